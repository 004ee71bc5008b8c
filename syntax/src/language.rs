//! Languages the chunker understands, and how a file's language is detected.

/// A programming language with a tree-sitter grammar compiled in (or the plain-text fallback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Rust,
    Go,
    Java,
    C,
    Cpp,
    CSharp,
}

impl Language {
    pub const ALL: [Language; 10] = [
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Rust,
        Language::Go,
        Language::Java,
        Language::C,
        Language::Cpp,
        Language::CSharp,
    ];

    /// The stable lowercase name used on the wire and in snapshots.
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Rust => "rust",
            Language::Go => "go",
            Language::Java => "java",
            Language::C => "c",
            Language::Cpp => "cpp",
            Language::CSharp => "csharp",
        }
    }

    pub fn from_name(name: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.name() == name)
    }

    /// Detects the language from the path's extension, then from a shebang line.
    pub fn detect(path: &str, text: &str) -> Option<Language> {
        let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let extension = file_name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase());
        let by_extension = match extension.as_deref() {
            Some("py" | "pyi" | "pyw") => Some(Language::Python),
            Some("js" | "mjs" | "cjs" | "jsx") => Some(Language::JavaScript),
            Some("ts" | "mts" | "cts") => Some(Language::TypeScript),
            Some("tsx") => Some(Language::Tsx),
            Some("rs") => Some(Language::Rust),
            Some("go") => Some(Language::Go),
            Some("java") => Some(Language::Java),
            Some("c") => Some(Language::C),
            // `.h` is shared by C and C++; C++ is the superset grammar, so it parses both.
            Some("h" | "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "ipp" | "inl") => {
                Some(Language::Cpp)
            }
            Some("cs") => Some(Language::CSharp),
            _ => None,
        };
        by_extension.or_else(|| Language::from_shebang(text))
    }

    fn from_shebang(text: &str) -> Option<Language> {
        let first_line = text.lines().next()?;
        let interpreter_line = first_line.strip_prefix("#!")?;
        let mut words = interpreter_line.split_whitespace();
        let program = words.next()?.rsplit('/').next()?;
        // `#!/usr/bin/env [-S] python3` names the interpreter in a later word.
        let interpreter = if program == "env" {
            words.find(|w| !w.starts_with('-'))?
        } else {
            program
        };
        if interpreter.starts_with("python") {
            Some(Language::Python)
        } else if interpreter == "node"
            || interpreter == "nodejs"
            || interpreter == "deno"
            || interpreter == "bun"
        {
            Some(Language::JavaScript)
        } else if interpreter == "ts-node" || interpreter == "tsx" {
            Some(Language::TypeScript)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_extension_and_shebang() {
        assert_eq!(Language::detect("a/b/c.py", ""), Some(Language::Python));
        assert_eq!(Language::detect("x.TSX", ""), Some(Language::Tsx));
        assert_eq!(Language::detect("x.h", ""), Some(Language::Cpp));
        assert_eq!(
            Language::detect("script", "#!/usr/bin/env python3\nprint(1)"),
            Some(Language::Python)
        );
        assert_eq!(
            Language::detect("run", "#!/usr/bin/node\n"),
            Some(Language::JavaScript)
        );
        assert_eq!(Language::detect("notes.txt", "hello"), None);
        assert_eq!(Language::detect("Makefile", "all:\n"), None);
    }
}
