//! Which indexed files an import refers to.
//!
//! The project's root is unknown (a tab indexes whatever the host hands it, and a package may sit
//! under `src/` or a monorepo folder), so a module becomes candidate paths without extension
//! ("stems"), relative to the importing file where the language says so (`./x`, `.x`, `super::`)
//! and otherwise matched as a suffix of an indexed path (`pkg.sub` matches `src/pkg/sub.py`).

use syntax::Language;
use syntax::tags::{Import, ImportKind};

use super::index::TagIndex;

/// The indexed files `import` (written in `from`, a file in `language`) refers to, best first.
pub fn module_files<'a>(
    index: &'a TagIndex,
    from: &str,
    language: Language,
    import: &Import,
) -> Vec<&'a str> {
    let dir = parent(from);
    let mut relative: Vec<String> = Vec::new();
    let mut suffixes: Vec<String> = Vec::new();
    let module = import.module.as_str();
    match language {
        Language::Python => {
            let dots = module.chars().take_while(|&c| c == '.').count();
            let rest = module[dots..].replace('.', "/");
            let mut stems = Vec::new();
            if dots > 0 {
                let mut base = dir.to_string();
                for _ in 1..dots {
                    base = parent(&base).to_string();
                }
                stems.push(join(&base, &rest));
            } else {
                stems.push(rest);
            }
            for stem in stems {
                if let Some(name) = &import.name {
                    // `from pkg import sub` may import the module `pkg/sub.py`.
                    let sub = join(&stem, name);
                    push_python(&mut relative, &mut suffixes, dots > 0, &sub);
                }
                push_python(&mut relative, &mut suffixes, dots > 0, &stem);
            }
        }
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            let stem = strip_extension(module);
            if stem.starts_with('.') {
                let path = normalize(&join(dir, stem));
                relative.push(join(&path, "index"));
                relative.insert(0, path);
            } else {
                // A path alias (`@/x`, `~/x`, `src/x`) or a package; packages match nothing.
                let stem = stem.trim_start_matches("@/").trim_start_matches("~/");
                suffixes.push(stem.to_string());
                suffixes.push(join(stem, "index"));
            }
        }
        Language::Rust => {
            let path: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
            let (base, rest): (String, &[&str]) = match path.first() {
                Some(&"crate") => (String::new(), &path[1..]),
                Some(&"self") => (dir.to_string(), &path[1..]),
                Some(&"super") => (parent(dir).to_string(), &path[1..]),
                _ => (String::new(), &path[..]),
            };
            let rest = rest.join("/");
            let full = match &import.name {
                Some(name) if import.kind == ImportKind::Name => join(&rest, name),
                _ => rest.clone(),
            };
            for stem in [&full, &rest] {
                if stem.is_empty() {
                    continue;
                }
                for candidate in [stem.clone(), join(stem, "mod"), join(stem, "lib")] {
                    if base.is_empty() {
                        suffixes.push(candidate);
                    } else {
                        relative.push(join(&base, &candidate));
                    }
                }
            }
        }
        Language::Go => {
            // Go imports a package: every file of a folder whose path ends with the import path's
            // last segments (the module prefix is unknown).
            return directory_files(index, module, 2);
        }
        Language::Java => {
            let base = module.replace('.', "/");
            match &import.name {
                Some(name) => suffixes.push(join(&base, name)),
                None => return directory_files(index, &base, usize::MAX),
            }
        }
        Language::C | Language::Cpp => {
            let stem = strip_extension(module);
            relative.push(normalize(&join(dir, stem)));
            suffixes.push(stem.to_string());
        }
        // A C# namespace names no file; resolution falls back to names.
        Language::CSharp => return Vec::new(),
    }
    let mut out: Vec<&str> = Vec::new();
    for stem in &relative {
        for path in index.paths_with_stem(last_segment(stem)) {
            if strip_extension(path) == stem && !out.contains(&path.as_str()) {
                out.push(path);
            }
        }
    }
    for stem in &suffixes {
        for path in index.paths_with_stem(last_segment(stem)) {
            let own = strip_extension(path);
            let matches = own == stem
                || (own.len() > stem.len()
                    && own.ends_with(stem.as_str())
                    && own.as_bytes()[own.len() - stem.len() - 1] == b'/');
            if matches && !out.contains(&path.as_str()) {
                out.push(path);
            }
        }
    }
    out
}

fn push_python(relative: &mut Vec<String>, suffixes: &mut Vec<String>, rel: bool, stem: &str) {
    let list = if rel { relative } else { suffixes };
    list.push(stem.to_string());
    list.push(join(stem, "__init__"));
}

/// Files directly in a folder whose path ends with the last `segments` segments of `dir`.
fn directory_files<'a>(index: &'a TagIndex, dir: &str, segments: usize) -> Vec<&'a str> {
    let parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    let tail = parts[parts.len().saturating_sub(segments)..].join("/");
    if tail.is_empty() {
        return Vec::new();
    }
    index
        .files()
        .map(|(path, _)| path)
        .filter(|path| {
            let folder = parent(path);
            folder == tail || folder.ends_with(&format!("/{tail}"))
        })
        .collect()
}

/// The last segment of an extension-less stem: the key of [`TagIndex::paths_with_stem`] (a stem's
/// own dots, as in `b.test`, are part of the name, not an extension).
fn last_segment(stem: &str) -> &str {
    stem.rsplit('/').next().unwrap_or(stem)
}

/// The folder of a path (`""` at the root).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// Resolves `.` and `..` segments.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// The path without its last extension (`a/b.test.ts` keeps `.test`; `./x.js` imports `x.ts`).
fn strip_extension(path: &str) -> &str {
    let file_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[file_start..].rfind('.') {
        Some(dot) if dot > 0 => &path[..file_start + dot],
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(strip_extension("a/b.test.ts"), "a/b.test");
        assert_eq!(strip_extension("./x"), "./x");
        assert_eq!(strip_extension("../x.js"), "../x");
        assert_eq!(normalize("src/a/../b/./c"), "src/b/c");
        assert_eq!(parent("a/b/c.py"), "a/b");
        assert_eq!(parent("c.py"), "");
    }
}
