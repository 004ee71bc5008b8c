// Builds `SearchHit` objects from the flat form `plugin-wasm/src/hits.rs` writes: 13 numbers per
// hit and one string holding every hit's strings back to back. Kept in JS because creating
// objects here is a few hundred nanoseconds, while building them from wasm costs a boundary
// crossing per field and a JSON round trip costs a parse of the whole result.

const FIELDS = 13;

export function searchHits(numbers, text) {
  const hits = new Array(numbers.length / FIELDS);
  let at = 0;
  // String lengths are UTF-16 code units; -1 stands for null.
  const take = (length) => {
    if (length < 0) return null;
    const s = text.substring(at, at + length);
    at += length;
    return s;
  };
  for (let h = 0, i = 0; i < numbers.length; h += 1, i += FIELDS) {
    const path = take(numbers[i]);
    const name = take(numbers[i + 1]);
    const qualifiedName = take(numbers[i + 2]);
    const kind = take(numbers[i + 3]);
    const language = take(numbers[i + 4]);
    hits[h] = {
      path,
      name,
      qualifiedName,
      kind,
      language,
      startLine: numbers[i + 5],
      endLine: numbers[i + 6],
      score: numbers[i + 7],
      // Rank 0 means the retriever did not return the hit.
      keyword: numbers[i + 8] > 0 ? { rank: numbers[i + 8], score: numbers[i + 9] } : null,
      vector: numbers[i + 10] > 0 ? { rank: numbers[i + 10], score: numbers[i + 11] } : null,
      fused: numbers[i + 12],
    };
  }
  return hits;
}
