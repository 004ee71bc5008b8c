//! The static embedder: a model2vec-style table with one vector per vocabulary token, distilled
//! from the transformer (each token embedded through the model on its own, the table centred and
//! weighted so frequent tokens count little). A text's vector is the normalised sum of its tokens'
//! rows, so embedding costs one tokenization and a few hundred additions: microseconds per chunk,
//! which is what bulk indexing in a browser tab needs.
//!
//! Tokenization is the model's own WordPiece (`tokenizers`, from the `tokenizer.json` that the table
//! file carries), so a table can never be paired with a mismatched vocabulary.
//!
//! File format (little-endian), written by hand because it is six fixed fields and two blobs; a
//! general serialization crate would add a dependency and hide the layout the browser host reads:
//!
//! ```text
//! magic    8 bytes  "PFSTATIC"
//! version  u32      1
//! dims     u32
//! rows     u32      vocabulary size
//! id       u32 length + UTF-8   the model the table was distilled from
//! tokenizer u32 length + UTF-8  the model's tokenizer.json
//! rows × (scale f32, dims × i8) value = scale × i8; the token weight is folded into the scale
//! crc32    u32      of every byte before it
//! ```

use tokenizers::Tokenizer;

use super::tokenizer::load_tokenizer;
use super::{EmbedError, Embedder};
use crate::search::vector::normalize;

const MAGIC: &[u8; 8] = b"PFSTATIC";
const VERSION: u32 = 1;

/// A loaded static token-embedding table.
pub struct StaticTable {
    id: String,
    model_id: String,
    dims: usize,
    /// Per-row dequantisation factor (token weight included).
    scales: Vec<f32>,
    /// `rows × dims` quantised values.
    values: Vec<i8>,
    tokenizer: Tokenizer,
    tokenizer_json: Vec<u8>,
}

impl std::fmt::Debug for StaticTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticTable")
            .field("id", &self.id)
            .field("dims", &self.dims)
            .field("rows", &self.scales.len())
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> EmbedError {
    EmbedError::InvalidModel(message.into())
}

impl StaticTable {
    /// Builds a table from `rows × dims` float rows (weights already applied), quantising each row
    /// to int8 with its own scale.
    pub fn from_rows(
        model_id: &str,
        tokenizer_json: &[u8],
        dims: usize,
        rows: &[f32],
    ) -> Result<Self, EmbedError> {
        if dims == 0 || !rows.len().is_multiple_of(dims) {
            return Err(invalid(format!(
                "{} values do not form rows of {dims} dimensions",
                rows.len()
            )));
        }
        if rows.iter().any(|x| !x.is_finite()) {
            return Err(invalid("table rows contain a non-finite value"));
        }
        let mut scales = Vec::with_capacity(rows.len() / dims);
        let mut values = Vec::with_capacity(rows.len());
        for row in rows.chunks_exact(dims) {
            let max = row.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 0.0 };
            scales.push(scale);
            values.extend(row.iter().map(|x| {
                if scale > 0.0 {
                    (x / scale).round().clamp(-127.0, 127.0) as i8
                } else {
                    0
                }
            }));
        }
        Self::assemble(
            model_id.to_owned(),
            tokenizer_json.to_vec(),
            dims,
            scales,
            values,
        )
    }

    fn assemble(
        model_id: String,
        tokenizer_json: Vec<u8>,
        dims: usize,
        scales: Vec<f32>,
        values: Vec<i8>,
    ) -> Result<Self, EmbedError> {
        let tokenizer = load_tokenizer(&tokenizer_json, None)?;
        let vocab = tokenizer.get_vocab_size(true);
        if vocab > scales.len() {
            return Err(invalid(format!(
                "the tokenizer has {vocab} tokens but the table only {} rows",
                scales.len()
            )));
        }
        let mut checksum = crc32fast::Hasher::new();
        for scale in &scales {
            checksum.update(&scale.to_le_bytes());
        }
        checksum.update(&values.iter().map(|&v| v as u8).collect::<Vec<_>>());
        // `split`: texts are embedded with identifiers split into words; vectors cached or
        // snapshotted under an id without it were embedded differently and must not be mixed in.
        let id = format!("static:{model_id}:{dims}:{:08x}:split", checksum.finalize());
        Ok(Self {
            id,
            model_id,
            dims,
            scales,
            values,
            tokenizer,
            tokenizer_json,
        })
    }

    /// Reads a table written by [`StaticTable::to_bytes`]. A truncated, corrupted or foreign file
    /// is an error naming what is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EmbedError> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(invalid("not a static embedding table (bad magic)"));
        }
        if bytes.len() < MAGIC.len() + 4 {
            return Err(invalid("static table is truncated"));
        }
        let (body, trailer) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes(trailer.try_into().expect("4-byte trailer"));
        let mut reader = Reader {
            bytes: body,
            at: MAGIC.len(),
        };
        let version = reader.u32()?;
        if version != VERSION {
            return Err(invalid(format!(
                "static table version {version} is not supported (expected {VERSION})"
            )));
        }
        if crc32fast::hash(body) != stored {
            return Err(invalid(
                "static table checksum mismatch (file is corrupted)",
            ));
        }
        let dims = reader.u32()? as usize;
        let rows = reader.u32()? as usize;
        let model_id = String::from_utf8(reader.blob()?.to_vec())
            .map_err(|_| invalid("static table model id is not UTF-8"))?;
        let tokenizer_json = reader.blob()?.to_vec();
        let row_bytes = dims
            .checked_add(4)
            .and_then(|r| r.checked_mul(rows))
            .ok_or_else(|| invalid("static table size overflows"))?;
        let data = reader.take(row_bytes)?;
        if reader.at != body.len() {
            return Err(invalid("static table has trailing bytes"));
        }
        if dims == 0 {
            return Err(invalid("static table has zero dimensions"));
        }
        let mut scales = Vec::with_capacity(rows);
        let mut values = Vec::with_capacity(rows * dims);
        for row in data.chunks_exact(dims + 4) {
            let scale = f32::from_le_bytes(row[..4].try_into().expect("4-byte scale"));
            if !scale.is_finite() {
                return Err(invalid("static table has a non-finite scale"));
            }
            scales.push(scale);
            values.extend(row[4..].iter().map(|&b| b as i8));
        }
        Self::assemble(model_id, tokenizer_json, dims, scales, values)
    }

    /// Serialises the table in the format described in the module documentation.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.values.len() + self.scales.len() * 4 + 1024);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.dims as u32).to_le_bytes());
        out.extend_from_slice(&(self.scales.len() as u32).to_le_bytes());
        for blob in [self.model_id.as_bytes(), &self.tokenizer_json] {
            out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            out.extend_from_slice(blob);
        }
        for (scale, row) in self.scales.iter().zip(self.values.chunks_exact(self.dims)) {
            out.extend_from_slice(&scale.to_le_bytes());
            out.extend(row.iter().map(|&v| v as u8));
        }
        let checksum = crc32fast::hash(&out);
        out.extend_from_slice(&checksum.to_le_bytes());
        out
    }

    /// Number of rows (vocabulary tokens).
    pub fn rows(&self) -> usize {
        self.scales.len()
    }

    /// The model this table was distilled from.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The dequantised row of one token (tests and diagnostics).
    pub fn row(&self, token: u32) -> Option<Vec<f32>> {
        let scale = *self.scales.get(token as usize)?;
        let start = token as usize * self.dims;
        Some(
            self.values[start..start + self.dims]
                .iter()
                .map(|&v| v as f32 * scale)
                .collect(),
        )
    }

    /// Sums the rows of `ids` and normalises: the weights folded into the rows make this the
    /// weighted mean direction. Unknown ids are skipped; no known id gives the zero vector.
    pub fn embed_ids(&self, ids: &[u32]) -> Vec<f32> {
        let mut sum = vec![0.0f32; self.dims];
        for &id in ids {
            let Some(&scale) = self.scales.get(id as usize) else {
                continue;
            };
            let start = id as usize * self.dims;
            for (s, &v) in sum.iter_mut().zip(&self.values[start..start + self.dims]) {
                *s += scale * v as f32;
            }
        }
        normalize(&mut sum);
        sum
    }
}

impl Embedder for StaticTable {
    fn id(&self) -> &str {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.dims
    }

    /// Texts with no token (empty or whitespace) embed to the zero vector, which matches nothing.
    /// Identifiers are split into words first ([`split_identifiers`]).
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let split: Vec<String> = texts.iter().map(|t| split_identifiers(t)).collect();
        let encodings = self
            .tokenizer
            .encode_batch_fast(split, false)
            .map_err(|e| EmbedError::Inference(e.to_string()))?;
        Ok(encodings
            .iter()
            .map(|e| self.embed_ids(e.get_ids()))
            .collect())
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EmbedError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| invalid("static table is truncated"))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, EmbedError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn blob(&mut self) -> Result<&'a [u8], EmbedError> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

/// Spaces out the words inside code identifiers (`parseHTTPHeader` → `parse HTTP Header`,
/// `read_file` → `read file`) before WordPiece sees them. A static table has no context: the
/// transformer can read `getfilename`'s pieces `get ##fi ##len ##ame` as a whole, while summed
/// rows of such pieces point nowhere near "get file name". Split, the identifier's words hit the
/// vocabulary's whole-word rows, which are the ones the model embeds well on their own. The
/// tokenizer's normalizer lowercases afterwards. Written by hand: the code tokenizer of
/// `search::tokenize` also stems and drops stop words, which would change what WordPiece sees.
pub fn split_identifiers(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' {
            out.push(' ');
        } else {
            if c.is_uppercase()
                && let Some(p) = prev
            {
                let next_lower = chars.peek().is_some_and(|n| n.is_lowercase());
                // `fileName`: lower → upper; `HTTPHeader`: the last capital before a lowercase run.
                if p.is_lowercase() || p.is_ascii_digit() || (p.is_uppercase() && next_lower) {
                    out.push(' ');
                }
            }
            out.push(c);
        }
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_split_into_words() {
        for (text, want) in [
            ("parseHTTPHeader(x)", "parse HTTP Header(x)"),
            ("def read_file_v2(path):", "def read file v2(path):"),
            ("XMLHttpRequest", "XML Http Request"),
            ("already plain words", "already plain words"),
            ("utf8Decode __init__", "utf8 Decode   init  "),
            ("", ""),
        ] {
            assert_eq!(split_identifiers(text), want, "{text}");
        }
    }
}
