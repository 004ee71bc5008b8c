//! Fitting a static token table to a teacher (tokenlearn-style): given texts as token ids and the
//! teacher's unit vectors for them, adjust the table rows so that the normalised sum of a text's
//! rows points where the teacher's vector points. The distilled rows (each token embedded alone)
//! are the starting point; the fit moves them toward what the token means *in context*, which is
//! what single-token distillation cannot see.
//!
//! Pure computation: the caller embeds the texts with the teacher and keeps the cache on disk.
//! The loop is written by hand (cosine loss, lazy Adam over the rows a batch touches) because it is
//! a few dozen lines of arithmetic over sparse rows, and no well-kept crate trains an embedding bag
//! without pulling a tensor framework into the engine. Shuffling uses a seeded SplitMix64 for the
//! same reason: the engine takes no entropy and no `rand` dependency for one permutation.

use rustc_hash::FxHashSet;

use engine::embed::EmbedError;
use engine::search::vector::normalize;

/// Settings of [`fit_rows`].
#[derive(Debug, Clone)]
pub struct FitConfig {
    /// Passes over the training texts.
    pub epochs: usize,
    /// Adam step size.
    pub learning_rate: f32,
    /// Texts per update.
    pub batch_size: usize,
    /// Seed of the per-epoch shuffle; the same seed and data give the same rows, bit for bit.
    pub seed: u64,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            epochs: 4,
            learning_rate: 1e-3,
            batch_size: 32,
            seed: 0x5eed,
        }
    }
}

/// Training data: each text's token ids (no special tokens) and the teacher's unit vector.
#[derive(Debug, Clone, Copy)]
pub struct FitData<'a> {
    pub texts: &'a [Vec<u32>],
    /// `texts.len() × dims`, each row unit length.
    pub targets: &'a [f32],
}

/// What the fit did: the mean cosine loss (1 − cos) before training and after each epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    pub initial_loss: f32,
    pub epoch_losses: Vec<f32>,
}

fn invalid(message: impl Into<String>) -> EmbedError {
    EmbedError::InvalidModel(message.into())
}

fn check(rows: &[f32], dims: usize, data: FitData<'_>) -> Result<(), EmbedError> {
    if dims == 0 || !rows.len().is_multiple_of(dims) {
        return Err(invalid(format!(
            "{} values do not form rows of {dims} dimensions",
            rows.len()
        )));
    }
    if data.targets.len() != data.texts.len() * dims {
        return Err(invalid(format!(
            "{} texts need {} target values, got {}",
            data.texts.len(),
            data.texts.len() * dims,
            data.targets.len()
        )));
    }
    let vocab = rows.len() / dims;
    if let Some(bad) = data.texts.iter().flatten().find(|&&t| t as usize >= vocab) {
        return Err(invalid(format!(
            "token id {bad} is outside the table's {vocab} rows"
        )));
    }
    Ok(())
}

/// Sum of a text's rows, written into `sum`.
fn sum_rows(rows: &[f32], dims: usize, ids: &[u32], sum: &mut [f32]) {
    sum.iter_mut().for_each(|s| *s = 0.0);
    for &id in ids {
        let row = &rows[id as usize * dims..][..dims];
        sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
    }
}

/// Mean of `1 − cos(sum of rows, target)` over the texts: 0 is a perfect fit, 1 is orthogonal. A
/// text with no tokens (or whose rows cancel) counts as orthogonal.
pub fn mean_cosine_loss(rows: &[f32], dims: usize, data: FitData<'_>) -> Result<f32, EmbedError> {
    check(rows, dims, data)?;
    let mut sum = vec![0.0f32; dims];
    let mut total = 0.0f64;
    for (ids, target) in data.texts.iter().zip(data.targets.chunks_exact(dims)) {
        sum_rows(rows, dims, ids, &mut sum);
        normalize(&mut sum);
        let cos: f32 = sum.iter().zip(target).map(|(a, b)| a * b).sum();
        total += f64::from(1.0 - cos);
    }
    Ok((total / data.texts.len().max(1) as f64) as f32)
}

/// Fits `rows` (`vocab × dims`, changed in place) to the teacher, reporting `(epoch, loss)` after
/// each epoch. Only rows of tokens that occur in the texts change.
pub fn fit_rows(
    rows: &mut [f32],
    dims: usize,
    data: FitData<'_>,
    config: &FitConfig,
    progress: &mut dyn FnMut(usize, f32),
) -> Result<FitReport, EmbedError> {
    check(rows, dims, data)?;
    if !(config.learning_rate.is_finite() && config.learning_rate > 0.0) {
        return Err(invalid("the learning rate must be a positive number"));
    }
    let initial_loss = mean_cosine_loss(rows, dims, data)?;
    let (beta1, beta2, epsilon) = (0.9f32, 0.999f32, 1e-8f32);
    let mut first = vec![0.0f32; rows.len()];
    let mut second = vec![0.0f32; rows.len()];
    let mut grad = vec![0.0f32; rows.len()];
    let mut touched: Vec<u32> = Vec::new();
    let mut seen = FxHashSet::default();
    let mut sum = vec![0.0f32; dims];
    let mut step = 0i32;
    let mut rng = SplitMix64(config.seed);
    let mut order: Vec<usize> = (0..data.texts.len()).collect();
    let mut epoch_losses = Vec::with_capacity(config.epochs);
    for epoch in 0..config.epochs {
        rng.shuffle(&mut order);
        for batch in order.chunks(config.batch_size.max(1)) {
            let scale = 1.0 / batch.len() as f32;
            for &i in batch {
                let ids = &data.texts[i];
                let target = &data.targets[i * dims..][..dims];
                sum_rows(rows, dims, ids, &mut sum);
                let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
                if norm <= f32::EPSILON {
                    continue;
                }
                // d(1 − cos)/d(sum) = −(target − cos · p) / |sum|, with p the unit direction.
                let cos: f32 = sum.iter().zip(target).map(|(s, t)| s / norm * t).sum();
                for &id in ids {
                    if seen.insert(id) {
                        touched.push(id);
                    }
                    let g = &mut grad[id as usize * dims..][..dims];
                    for ((g, s), t) in g.iter_mut().zip(&sum).zip(target) {
                        *g -= scale * (t - cos * s / norm) / norm;
                    }
                }
            }
            step += 1;
            let correct1 = 1.0 - beta1.powi(step);
            let correct2 = 1.0 - beta2.powi(step);
            for &id in &touched {
                let at = id as usize * dims;
                for j in at..at + dims {
                    let g = grad[j];
                    first[j] = beta1 * first[j] + (1.0 - beta1) * g;
                    second[j] = beta2 * second[j] + (1.0 - beta2) * g * g;
                    let m = first[j] / correct1;
                    let v = second[j] / correct2;
                    rows[j] -= config.learning_rate * m / (v.sqrt() + epsilon);
                    grad[j] = 0.0;
                }
            }
            touched.clear();
            seen.clear();
        }
        let loss = mean_cosine_loss(rows, dims, data)?;
        progress(epoch + 1, loss);
        epoch_losses.push(loss);
    }
    Ok(FitReport {
        initial_loss,
        epoch_losses,
    })
}

/// How often each vocabulary token occurs in the texts.
pub fn token_counts(texts: &[Vec<u32>], vocab: usize) -> Vec<u64> {
    let mut counts = vec![0u64; vocab];
    for &id in texts.iter().flatten() {
        if let Some(c) = counts.get_mut(id as usize) {
            *c += 1;
        }
    }
    counts
}

/// Re-weights rows by SIF with probabilities measured on a corpus: each row is normalised, then
/// scaled by `a / (a + p(token))`. Tokens never seen get the probability of a token seen once
/// (add-one smoothing), so rare words keep a high weight instead of an undefined one.
pub fn sif_reweight(rows: &mut [f32], dims: usize, counts: &[u64], coefficient: f32) {
    let total = counts.iter().sum::<u64>() + counts.len() as u64;
    for (row, &count) in rows.chunks_exact_mut(dims).zip(counts) {
        normalize(row);
        let p = (count + 1) as f32 / total.max(1) as f32;
        let weight = coefficient / (coefficient + p);
        row.iter_mut().for_each(|x| *x *= weight);
    }
}

/// A stable 64-bit key of a list of texts and a salt (the teacher's settings): names the teacher
/// cache, so a changed text list or model never reuses stale vectors.
pub fn texts_key(texts: &[String], salt: &str) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(salt.as_bytes());
    for text in texts {
        hasher.update(&(text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    hasher.digest()
}

/// Seeded SplitMix64: a deterministic shuffle without a `rand` dependency in the engine.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher–Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Projects `rows` (`n × dims`) onto their top `out_dims` principal directions, uncentred (the
/// eigenvectors of `RᵀR`): projection is linear, so the projected sum of a text's rows is the
/// projection of its sum, and dot products between texts are kept as well as `out_dims` allow.
/// Fewer dimensions make a smaller download and a faster scan. The eigenvectors come from a
/// cyclic Jacobi sweep, written by hand because the matrix is only `dims × dims` and the engine
/// otherwise needs no linear-algebra crate.
pub fn project_rows(rows: &[f32], dims: usize, out_dims: usize) -> Result<Vec<f32>, EmbedError> {
    if dims == 0 || !rows.len().is_multiple_of(dims) {
        return Err(invalid(format!(
            "{} values do not form rows of {dims} dimensions",
            rows.len()
        )));
    }
    if out_dims == 0 || out_dims > dims {
        return Err(invalid(format!(
            "cannot project {dims} dimensions to {out_dims}"
        )));
    }
    let mut moment = vec![0.0f64; dims * dims];
    for row in rows.chunks_exact(dims) {
        for i in 0..dims {
            let ri = f64::from(row[i]);
            for j in i..dims {
                moment[i * dims + j] += ri * f64::from(row[j]);
            }
        }
    }
    for i in 0..dims {
        for j in 0..i {
            moment[i * dims + j] = moment[j * dims + i];
        }
    }
    let (values, vectors) = symmetric_eigen(&mut moment, dims);
    let mut order: Vec<usize> = (0..dims).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let basis: Vec<Vec<f32>> = order[..out_dims]
        .iter()
        .map(|&k| (0..dims).map(|i| vectors[i * dims + k] as f32).collect())
        .collect();
    let mut out = Vec::with_capacity(rows.len() / dims * out_dims);
    for row in rows.chunks_exact(dims) {
        out.extend(
            basis
                .iter()
                .map(|axis| axis.iter().zip(row).map(|(a, x)| a * x).sum::<f32>()),
        );
    }
    Ok(out)
}

/// Eigenvalues and column eigenvectors (`dims × dims`, row-major) of a symmetric matrix, by cyclic
/// Jacobi rotations until the off-diagonal mass is negligible. `matrix` is destroyed.
fn symmetric_eigen(matrix: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut vectors = vec![0.0f64; n * n];
    (0..n).for_each(|i| vectors[i * n + i] = 1.0);
    let total: f64 = matrix.iter().map(|x| x * x).sum();
    for _sweep in 0..50 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| matrix[i * n + j].powi(2))
            .sum();
        if off <= total * 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = matrix[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (matrix[q * n + q] - matrix[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (matrix[k * n + p], matrix[k * n + q]);
                    matrix[k * n + p] = c * akp - s * akq;
                    matrix[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (matrix[p * n + k], matrix[q * n + k]);
                    matrix[p * n + k] = c * apk - s * aqk;
                    matrix[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (vectors[k * n + p], vectors[k * n + q]);
                    vectors[k * n + p] = c * vkp - s * vkq;
                    vectors[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| matrix[i * n + i]).collect(), vectors)
}
