//! Reading the llama weights out of a GGUF one tensor at a time, in the form the forward pass
//! wants: Q4_1 re-quantized to Q8_0, the attention's q, k and v projections fused into one matrix
//! and the feed-forward's gate and up projections into another, norms as f32.
//!
//! Tensor by tensor, and each big tensor in slices of rows, so that loading never holds more than
//! the weights kept plus one slice in flight: a whole-file rewrite held the file's tensors, their
//! converted copies and the rewritten file at once (a 453 MB peak for a 135M model).

use std::borrow::Cow;
use std::io::{Read, Seek};

use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::{Device, Result, Tensor};

/// Rows converted at a time: 1,024 rows of a 576-wide matrix are 2.4 MB of f32 in flight.
const ROWS_PER_SLICE: usize = 1024;

/// candle 0.11 has no SIMD kernel for Q4_1 (its dot product is the scalar reference code, about a
/// third of llama.cpp's speed here), while Q8_0 has AVX2, AVX-512 and NEON kernels. Q4_1 weights
/// are therefore re-quantized to Q8_0: 8 bits per weight with one scale per 32 hold each 4-bit
/// value with a rounding error far below the 4-bit step, at about twice the memory of Q4_1.
fn fast_dtype(dtype: GgmlDType) -> GgmlDType {
    match dtype {
        GgmlDType::Q4_1 => GgmlDType::Q8_0,
        other => other,
    }
}

/// Reads tensors of one GGUF by name.
pub struct TensorReader<'a, R> {
    content: &'a Content,
    reader: &'a mut R,
}

impl<'a, R: Read + Seek> TensorReader<'a, R> {
    pub fn new(content: &'a Content, reader: &'a mut R) -> Self {
        Self { content, reader }
    }

    pub fn has(&self, name: &str) -> bool {
        self.content.tensor_infos.contains_key(name)
    }

    /// A tensor as stored in the file.
    pub fn raw(&mut self, name: &str) -> Result<QTensor> {
        self.content.tensor(self.reader, name, &Device::Cpu)
    }

    /// A weight matrix in a dtype with fast kernels.
    pub fn matrix(&mut self, name: &str) -> Result<QTensor> {
        let tensor = self.raw(name)?;
        let dtype = fast_dtype(tensor.dtype());
        convert(tensor, dtype)
    }

    /// A vector (a norm's scale) as f32.
    pub fn vector(&mut self, name: &str) -> Result<Tensor> {
        self.raw(name)?.dequantize(&Device::Cpu)
    }

    /// Matrices with the same input width stacked row-wise into one, so that one matmul computes
    /// all their outputs (one pass over the input, one dispatch to the thread pool). Parts of
    /// different dtypes (mixed-precision files) are all brought to Q8_0 first.
    pub fn stacked(&mut self, names: &[&str]) -> Result<QTensor> {
        let mut parts = Vec::with_capacity(names.len());
        for name in names {
            parts.push(self.matrix(name)?);
        }
        let dtype = parts[0].dtype();
        if parts.iter().any(|p| p.dtype() != dtype) {
            parts = parts
                .into_iter()
                .map(|p| convert(p, GgmlDType::Q8_0))
                .collect::<Result<_>>()?;
        }
        stack_rows(&parts)
    }
}

/// `tensor` re-quantized to `dtype`, a slice of rows at a time (the f32 copy of a whole
/// 49,152-row embedding table alone would be 113 MB).
fn convert(tensor: QTensor, dtype: GgmlDType) -> Result<QTensor> {
    if tensor.dtype() == dtype {
        return Ok(tensor);
    }
    let (rows, cols) = tensor.shape().dims2()?;
    let from = tensor.dtype();
    let row_bytes = cols / from.block_size() * from.type_size();
    let data = tensor.data()?;
    let mut out = Vec::with_capacity(rows * cols / dtype.block_size() * dtype.type_size());
    for start in (0..rows).step_by(ROWS_PER_SLICE) {
        let n = ROWS_PER_SLICE.min(rows - start);
        let bytes = &data[start * row_bytes..(start + n) * row_bytes];
        let slice = QTensor::new(
            QStorage::from_data(Cow::Borrowed(bytes), &Device::Cpu, from)?,
            (n, cols),
        )?;
        let converted = QTensor::quantize(&slice.dequantize(&Device::Cpu)?, dtype)?;
        out.extend_from_slice(&converted.data()?);
    }
    QTensor::new(
        QStorage::from_data(Cow::Owned(out), &Device::Cpu, dtype)?,
        (rows, cols),
    )
}

/// Same-dtype matrices of equal width, one after the other: quantized rows are independent
/// byte ranges, so stacking is concatenating their bytes.
fn stack_rows(parts: &[QTensor]) -> Result<QTensor> {
    let dtype = parts[0].dtype();
    let cols = parts[0].shape().dims2()?.1;
    let mut rows = 0;
    let mut bytes = Vec::new();
    for part in parts {
        let (r, c) = part.shape().dims2()?;
        if c != cols {
            candle_core::bail!("stacked matrices differ in width: {c} against {cols}");
        }
        rows += r;
        bytes.extend_from_slice(&part.data()?);
    }
    QTensor::new(
        QStorage::from_data(Cow::Owned(bytes), &Device::Cpu, dtype)?,
        (rows, cols),
    )
}
