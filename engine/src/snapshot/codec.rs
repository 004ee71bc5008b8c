//! The snapshot's byte codec: little-endian fixed-width numbers and length-prefixed strings and
//! arrays. Reading is bounds-checked everywhere and every count is checked against the bytes left,
//! so a corrupted length is an error, never a panic or a huge allocation.

use super::SnapshotError;

#[derive(Default)]
pub(super) struct Writer {
    pub(super) buf: Vec<u8>,
}

impl Writer {
    pub(super) fn u8(&mut self, x: u8) {
        self.buf.push(x);
    }
    pub(super) fn u32(&mut self, x: u32) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub(super) fn u64(&mut self, x: u64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub(super) fn u128(&mut self, x: u128) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub(super) fn f32(&mut self, x: f32) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub(super) fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
    }
    pub(super) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    pub(super) fn u32s(&mut self, xs: &[u32]) {
        self.u32(xs.len() as u32);
        xs.iter().for_each(|&x| self.u32(x));
    }
    pub(super) fn u16s(&mut self, xs: &[u16]) {
        self.u32(xs.len() as u32);
        xs.iter()
            .for_each(|&x| self.buf.extend_from_slice(&x.to_le_bytes()));
    }
}

pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    /// Length of the bytes the reader started with, so the fuzz tests know each field's offset.
    #[cfg(test)]
    origin: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            #[cfg(test)]
            origin: bytes.len(),
        }
    }
    /// How far into its bytes the reader is.
    #[cfg(test)]
    pub(super) fn offset(&self) -> usize {
        self.origin - self.bytes.len()
    }
    pub(super) fn remaining(&self) -> usize {
        self.bytes.len()
    }
    pub(super) fn rest(self) -> &'a [u8] {
        self.bytes
    }
    pub(super) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], SnapshotError> {
        if n > self.bytes.len() {
            return Err(SnapshotError::Truncated(what));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    pub(super) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], SnapshotError> {
        #[cfg(test)]
        fields::record(self.offset(), N);
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }
    pub(super) fn u8(&mut self, what: &'static str) -> Result<u8, SnapshotError> {
        Ok(self.array::<1>(what)?[0])
    }
    pub(super) fn u32(&mut self, what: &'static str) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    pub(super) fn u64(&mut self, what: &'static str) -> Result<u64, SnapshotError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    pub(super) fn u128(&mut self, what: &'static str) -> Result<u128, SnapshotError> {
        Ok(u128::from_le_bytes(self.array(what)?))
    }
    pub(super) fn f32(&mut self, what: &'static str) -> Result<f32, SnapshotError> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }
    /// An `f32` that must be a finite number: a NaN weight or length poisons every score.
    pub(super) fn finite_f32(&mut self, what: &'static str) -> Result<f32, SnapshotError> {
        let x = self.f32(what)?;
        if !x.is_finite() {
            return Err(SnapshotError::Invalid(format!(
                "{what} is {x}, not a finite number"
            )));
        }
        Ok(x)
    }
    /// A `u64` size or position that must fit this platform's `usize` (32 bits on wasm32, where
    /// `as` would silently cut it to another, plausible number).
    pub(super) fn size(&mut self, what: &'static str) -> Result<usize, SnapshotError> {
        let x = self.u64(what)?;
        usize::try_from(x)
            .map_err(|_| SnapshotError::Invalid(format!("{what} {x} does not fit this platform")))
    }
    /// A count of items each at least `min_size` bytes long, checked against what is left so a
    /// corrupted count cannot trigger a huge allocation.
    pub(super) fn count(
        &mut self,
        what: &'static str,
        min_size: usize,
    ) -> Result<usize, SnapshotError> {
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min_size) > self.bytes.len() {
            return Err(SnapshotError::Truncated(what));
        }
        Ok(n)
    }
    pub(super) fn str(&mut self, what: &'static str) -> Result<String, SnapshotError> {
        let n = self.count(what, 1)?;
        let bytes = self.take(n, what)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| SnapshotError::Invalid(format!("{what} is not UTF-8")))
    }
    pub(super) fn opt_str(&mut self, what: &'static str) -> Result<Option<String>, SnapshotError> {
        match self.u8(what)? {
            0 => Ok(None),
            _ => self.str(what).map(Some),
        }
    }
    pub(super) fn u32s(&mut self, what: &'static str) -> Result<Vec<u32>, SnapshotError> {
        let n = self.count(what, 4)?;
        let raw = self.take(n * 4, what)?;
        Ok(raw
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
    pub(super) fn u16s(&mut self, what: &'static str) -> Result<Vec<u16>, SnapshotError> {
        let n = self.count(what, 2)?;
        let raw = self.take(n * 2, what)?;
        Ok(raw
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect())
    }
}

/// The offsets and widths of the fixed-width fields a read visits, recorded for the fuzz tests
/// so they can mutate exactly the counts, lengths and flags rather than random bytes.
#[cfg(test)]
pub(super) mod fields {
    use std::cell::RefCell;

    thread_local! {
        static FIELDS: RefCell<Option<Vec<(usize, usize)>>> = const { RefCell::new(None) };
    }

    pub(in crate::snapshot) fn record(offset: usize, width: usize) {
        FIELDS.with(|f| {
            if let Some(fields) = f.borrow_mut().as_mut() {
                fields.push((offset, width));
            }
        });
    }

    /// Runs `read` and returns the `(offset, width)` of every field it read.
    pub(in crate::snapshot) fn recorded(read: impl FnOnce()) -> Vec<(usize, usize)> {
        FIELDS.with(|f| *f.borrow_mut() = Some(Vec::new()));
        read();
        FIELDS.with(|f| f.borrow_mut().take().unwrap_or_default())
    }
}
