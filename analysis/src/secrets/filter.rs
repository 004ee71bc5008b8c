//! What a pattern match must also pass to be a secret: enough entropy, not a placeholder from
//! the stop-list, not (for the name-based rules) a value that is plainly code, and not inside a
//! span that only looks like one (an inline base64 image, a lockfile integrity hash).
//!
//! Documentation examples count as placeholders: AWS's `AKIAIOSFODNN7EXAMPLE` and any value
//! containing `example` are not findings. A real key never says "example", and flagging the
//! examples from every README and SDK doc would bury the real findings in noise.

use std::ops::Range;

/// Shannon entropy of `bytes`, in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Substrings (lower-case) that mark a value as a placeholder, a template or a reference to a
/// secret held elsewhere.
const PLACEHOLDER_PARTS: &[&str] = &[
    "example",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "dummy",
    "redacted",
    "your_",
    "your-",
    "yourapikey",
    "yoursecret",
    "yourtoken",
    "yourpassword",
    "insert_",
    "insert-",
    "replace_me",
    "replace-me",
    "replaceme",
    "xxxx",
    "****",
    "....",
    "<",
    ">",
    "{",
    "}",
    "%(",
    "$(",
    "process.env",
    "os.environ",
    "getenv",
    "env(",
    "env[",
    "env.",
    "secrets.",
    "vault:",
    "${",
];

/// Whole values (lower-case) that are defaults or words, not secrets.
const PLACEHOLDER_VALUES: &[&str] = &[
    "password",
    "passwd",
    "passw0rd",
    "secret",
    "token",
    "pass",
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "string",
    "value",
    "test",
    "testing",
    "foo",
    "bar",
    "foobar",
    "admin",
    "root",
    "guest",
    "user",
    "username",
    "postgres",
    "mysql",
    "default",
    "todo",
    "tbd",
    "empty",
    "required",
    "optional",
    "hidden",
    "masked",
    "bearer",
];

/// True when `value` is a placeholder: on the stop-list, a template or environment reference,
/// or a run of too few distinct characters to be random (`00000000`, `abababab`).
pub fn is_placeholder(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    let lower = String::from_utf8_lossy(&lower);
    if PLACEHOLDER_VALUES.contains(&lower.as_ref())
        || PLACEHOLDER_PARTS.iter().any(|p| lower.contains(p))
    {
        return true;
    }
    if lower.starts_with('$') || lower.starts_with('%') || lower.starts_with('@') {
        return true;
    }
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in value {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
        }
    }
    value.len() >= 6 && distinct <= 3
}

/// For the name-based rules: true when the value is plainly not a secret literal: a UUID, a
/// dotted or snake_case identifier without digits, a path or a URL without credentials.
pub fn looks_like_code(value: &[u8]) -> bool {
    if is_uuid(value) {
        return true;
    }
    if value.starts_with(b"/")
        || value.starts_with(b"./")
        || value.starts_with(b"../")
        || value.starts_with(b"~/")
        || value.starts_with(b"http://")
        || value.starts_with(b"https://")
    {
        return true;
    }
    // `self.token`, `options?.token`, `keyword.$0` (a tokenizer's substitution), `refreshToken`,
    // `auth_token_header`, `ENCRYPTBYPASSPHRASE`: identifiers and names, not literals.
    let mut name = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            // `$1`, `$S2`: a highlighter's or a regex replacement's group reference.
            b'$' if value.get(i + 1).is_some_and(u8::is_ascii_digit)
                || (value.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
                    && value.get(i + 2).is_some_and(u8::is_ascii_digit)) =>
            {
                i += if value[i + 1].is_ascii_digit() { 1 } else { 2 };
                while value.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                continue;
            }
            b'?' => {}
            b => name.push(b),
        }
        i += 1;
    }
    // A member path (`options2.token`): every segment an identifier.
    let segment = |seg: &[u8]| {
        seg.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && seg.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    if name.contains(&b'.') && name.split(|b| *b == b'.').all(segment) {
        return true;
    }
    let identifier = name
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && name
            .iter()
            .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-'));
    if !identifier {
        return false;
    }
    let separated = name.iter().any(|b| matches!(b, b'_' | b'.' | b'-'));
    let single_case =
        !name.iter().any(u8::is_ascii_uppercase) || !name.iter().any(u8::is_ascii_lowercase);
    separated || single_case || is_camel_case(&name)
}

/// `refreshToken`, `ProgressTokenSchema`: words of two or more lower-case letters, each but the
/// first starting with a capital. Random letters almost never fall into that shape.
fn is_camel_case(name: &[u8]) -> bool {
    let mut words = Vec::new();
    let mut start = 0;
    for (i, b) in name.iter().enumerate().skip(1) {
        if b.is_ascii_uppercase() {
            words.push(&name[start..i]);
            start = i;
        }
    }
    words.push(&name[start..]);
    words.len() >= 2
        && words.iter().all(|w| {
            let rest = if w[0].is_ascii_uppercase() {
                &w[1..]
            } else {
                w
            };
            rest.len() >= 2 && rest.iter().all(u8::is_ascii_lowercase)
        })
}

/// `8-4-4-4-12` hex digits.
pub fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Markers after which a run of base64 is data, not a secret: inline base64 data
/// (`data:image/png;base64,...`) and subresource-integrity hashes (`sha512-...` in
/// package-lock.json), whose random alphabet can contain any key's prefix.
pub const MASK_MARKERS: &[&str] = &[";base64,", "sha512-", "sha384-", "sha256-"];

/// The base64 run of `text` starting at each of `starts` (the ends of [`MASK_MARKERS`]
/// occurrences), sorted: spans where nothing is a secret even if a rule matches inside.
pub fn masked_spans(text: &[u8], starts: &[usize]) -> Vec<Range<usize>> {
    let is_b64 =
        |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-');
    let mut spans: Vec<Range<usize>> = starts
        .iter()
        .map(|&start| start..start + text[start..].iter().take_while(|b| is_b64(b)).count())
        .filter(|span| !span.is_empty())
        .collect();
    spans.sort_by_key(|s| s.start);
    spans
}
