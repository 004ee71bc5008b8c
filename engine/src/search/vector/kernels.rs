//! The vector kernels every scan stands on: the f32 and int8 dot products (explicit SIMD128 lanes
//! on wasm32, eight accumulators elsewhere so LLVM vectorises for the host), normalisation, the
//! symmetric int8 quantisation, and the row touch that stands in for a prefetch.

/// Largest code of the symmetric int8 quantisation (−127..=127; −128 is never used so negation
/// and the widening dot product stay symmetric).
const CODE_MAX: f32 = 127.0;

/// Loads 16 bytes from the start of `bytes` as one `v128.load`.
///
/// This is the crate's only `unsafe`: building lanes from slice elements (`f32x4(x[0], ..)`)
/// is safe but compiles, at the wasm build's opt-level "z", to one `v128.load*_lane` per element
/// (measured: the scans ran 5–10× slower), and `core::arch::wasm32` offers no safe load.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(unsafe_code)]
#[inline(always)]
fn load16<T: Copy>(items: &[T]) -> core::arch::wasm32::v128 {
    assert!(core::mem::size_of_val(items) >= 16);
    // SAFETY: the assertion above keeps the 16-byte read inside `items`; `v128_load` has no
    // alignment requirement, and every bit pattern is a valid v128.
    unsafe { core::arch::wasm32::v128_load(items.as_ptr().cast()) }
}

/// Loads 8 int8 codes sign-extended to i16 lanes (`i16x8.load8x8_s`). Spelled out because LLVM
/// turned a 16-byte load followed by `extend_low`/`extend_high` back into sixteen byte loads.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(unsafe_code)]
#[inline(always)]
fn load8_widened(codes: &[i8]) -> core::arch::wasm32::v128 {
    assert!(codes.len() >= 8);
    // SAFETY: the assertion keeps the 8-byte read inside `codes`; no alignment is required.
    unsafe { core::arch::wasm32::i16x8_load_extend_i8x8(codes.as_ptr()) }
}

/// Dot product of two equal-length vectors.
///
/// Four named accumulators over `[f32; 16]` blocks. At the wasm build's opt-level "z", a loop over
/// an accumulator array was not unrolled (every step went through memory), and sub-slices of
/// `chunks_exact` chunks kept their bounds checks: the scan ran at 7–8 GB/s in Chromium against
/// 19 GB/s natively. With fixed-size blocks and named accumulators it runs at 19 GB/s there too.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    use core::arch::wasm32::{f32x4_add, f32x4_extract_lane, f32x4_mul, f32x4_splat};
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (mut s0, mut s1, mut s2, mut s3) = (
        f32x4_splat(0.0),
        f32x4_splat(0.0),
        f32x4_splat(0.0),
        f32x4_splat(0.0),
    );
    // Fixed-size blocks: every sub-slice below has constant bounds, so no check is left in the loop.
    let (blocks_a, rest_a) = a.as_chunks::<16>();
    let (blocks_b, rest_b) = b.as_chunks::<16>();
    for (x, y) in blocks_a.iter().zip(blocks_b) {
        s0 = f32x4_add(s0, f32x4_mul(load16(&x[..4]), load16(&y[..4])));
        s1 = f32x4_add(s1, f32x4_mul(load16(&x[4..8]), load16(&y[4..8])));
        s2 = f32x4_add(s2, f32x4_mul(load16(&x[8..12]), load16(&y[8..12])));
        s3 = f32x4_add(s3, f32x4_mul(load16(&x[12..]), load16(&y[12..])));
    }
    let sum = f32x4_add(f32x4_add(s0, s1), f32x4_add(s2, s3));
    let mut total = f32x4_extract_lane::<0>(sum)
        + f32x4_extract_lane::<1>(sum)
        + f32x4_extract_lane::<2>(sum)
        + f32x4_extract_lane::<3>(sum);
    for (x, y) in rest_a.iter().zip(rest_b) {
        total += x * y;
    }
    total
}

/// Dot product of two equal-length vectors.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let mut xa = a.chunks_exact(8);
    let mut xb = b.chunks_exact(8);
    for (x, y) in (&mut xa).zip(&mut xb) {
        for lane in 0..8 {
            acc[lane] += x[lane] * y[lane];
        }
    }
    let mut total: f32 = acc.iter().sum();
    for (x, y) in xa.remainder().iter().zip(xb.remainder()) {
        total += x * y;
    }
    total
}

/// Scales `v` to unit length in place (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Quantises `v` to int8 codes with one scale (`v ≈ codes × scale`); returns the scale.
pub fn quantize(v: &[f32], codes: &mut [i8]) -> f32 {
    let peak = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if peak == 0.0 {
        codes.iter_mut().for_each(|c| *c = 0);
        return 0.0;
    }
    let scale = peak / CODE_MAX;
    for (c, x) in codes.iter_mut().zip(v) {
        *c = (x / scale).round().clamp(-CODE_MAX, CODE_MAX) as i8;
    }
    scale
}

/// A query prepared for the int8 scan: its codes (widened to i16 once, so the inner loop only
/// widens the stored row) and its scale.
#[derive(Debug, Clone)]
pub struct QuantizedQuery {
    wide: Vec<i16>,
    scale: f32,
}

impl QuantizedQuery {
    pub fn new(query: &[f32]) -> Self {
        let mut codes = vec![0i8; query.len()];
        let scale = quantize(query, &mut codes);
        QuantizedQuery {
            wide: codes.into_iter().map(i16::from).collect(),
            scale,
        }
    }

    /// Approximate dot product with a stored row of codes and its scale.
    pub fn dot(&self, row: &[i8], row_scale: f32) -> f32 {
        dot_i8(row, &self.wide) as f32 * row_scale * self.scale
    }
}

/// Integer dot product of int8 codes with i16-widened query codes.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub fn dot_i8(row: &[i8], query: &[i16]) -> i32 {
    use core::arch::wasm32::{i32x4_add, i32x4_dot_i16x8, i32x4_extract_lane, i32x4_splat};
    let n = row.len().min(query.len());
    let (row, query) = (&row[..n], &query[..n]);
    let (mut lo, mut hi) = (i32x4_splat(0), i32x4_splat(0));
    // Fixed-size blocks, as in `dot`: constant sub-slice bounds leave no check in the loop.
    let (blocks_r, rest_r) = row.as_chunks::<16>();
    let (blocks_q, rest_q) = query.as_chunks::<16>();
    for (r, q) in blocks_r.iter().zip(blocks_q) {
        // |code × code| ≤ 127 × 127, so the pairwise i32 sums cannot overflow.
        lo = i32x4_add(lo, i32x4_dot_i16x8(load8_widened(&r[..8]), load16(&q[..8])));
        hi = i32x4_add(hi, i32x4_dot_i16x8(load8_widened(&r[8..]), load16(&q[8..])));
    }
    let sum = i32x4_add(lo, hi);
    let mut total = i32x4_extract_lane::<0>(sum)
        + i32x4_extract_lane::<1>(sum)
        + i32x4_extract_lane::<2>(sum)
        + i32x4_extract_lane::<3>(sum);
    for (r, q) in rest_r.iter().zip(rest_q) {
        total += i32::from(*r) * i32::from(*q);
    }
    total
}

/// Integer dot product of int8 codes with i16-widened query codes.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub fn dot_i8(row: &[i8], query: &[i16]) -> i32 {
    let n = row.len().min(query.len());
    let (row, query) = (&row[..n], &query[..n]);
    // Sixteen independent i32 lanes: integer addition is associative, so LLVM vectorises this
    // (pmaddwd on x86) without the reordering concern of float sums.
    let mut acc = [0i32; 16];
    let mut xr = row.chunks_exact(16);
    let mut xq = query.chunks_exact(16);
    for (r, q) in (&mut xr).zip(&mut xq) {
        for lane in 0..16 {
            acc[lane] += i32::from(r[lane]) * i32::from(q[lane]);
        }
    }
    let mut total: i32 = acc.iter().sum();
    for (r, q) in xr.remainder().iter().zip(xq.remainder()) {
        total += i32::from(*r) * i32::from(*q);
    }
    total
}

/// Rows re-scored per batch of [`touch_rows`]: 32 int8 rows of 384 dims are 12 KB, well inside
/// the L1 cache.
pub(super) const TOUCH_BATCH: usize = 32;

/// Reads one element per 64-byte cache line of each row, so the lines of all the rows are
/// requested from memory at once instead of one row's dependent chain at a time. (A load the
/// optimiser cannot drop stands in for a prefetch instruction, which wasm does not have.)
pub(super) fn touch_rows<T: Copy + Default + PartialEq>(
    data: &[T],
    dims: usize,
    rows: impl Iterator<Item = usize>,
) {
    let step = (64 / std::mem::size_of::<T>().max(1)).max(1);
    let mut seen = 0usize;
    for index in rows {
        let Some(row) = data.get(index * dims..(index + 1) * dims) else {
            continue;
        };
        // Every line start, and the last element for a row that straddles one more line.
        for x in row.iter().step_by(step).chain(row.last()) {
            seen += usize::from(*x == T::default());
        }
    }
    std::hint::black_box(seen);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_makes_unit_length_and_keeps_zero() {
        let mut v = [3.0, 4.0];
        normalize(&mut v);
        assert_eq!(v, [0.6, 0.8]);
        let mut zero = [0.0, 0.0];
        normalize(&mut zero);
        assert_eq!(zero, [0.0, 0.0]);
    }

    #[test]
    fn dot_matches_naive_sum_for_odd_lengths() {
        for n in [0, 1, 7, 8, 15, 16, 17, 384] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() < 1e-4, "n={n}");
        }
    }

    #[test]
    fn int8_dot_matches_integer_sum_for_odd_lengths() {
        for n in [0, 1, 15, 16, 17, 33, 384] {
            let row: Vec<i8> = (0..n).map(|i: i32| ((i * 37) % 255 - 127) as i8).collect();
            let query: Vec<i16> = (0..n).map(|i: i32| ((i * 11) % 255 - 127) as i16).collect();
            let naive: i32 = row
                .iter()
                .zip(&query)
                .map(|(&r, &q)| i32::from(r) * i32::from(q))
                .sum();
            assert_eq!(dot_i8(&row, &query), naive, "n={n}");
        }
    }

    #[test]
    fn quantisation_round_trips_within_half_a_step() {
        let v = [0.5f32, -0.25, 0.0, 0.125, -0.5];
        let mut codes = [0i8; 5];
        let scale = quantize(&v, &mut codes);
        assert_eq!(codes, [127, -64, 0, 32, -127]);
        for (c, x) in codes.iter().zip(v) {
            assert!((f32::from(*c) * scale - x).abs() <= scale / 2.0);
        }
        assert_eq!(quantize(&[0.0; 3], &mut [1i8; 3]), 0.0);
    }
}
