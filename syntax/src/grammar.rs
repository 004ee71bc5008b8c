//! Grammar loading: maps a [`Language`] to its compiled tree-sitter grammar. Each grammar sits
//! behind its `lang-*` Cargo feature so a slim wasm build can leave the large ones out; a language
//! whose feature is off has no grammar and is chunked by line windows.

use crate::language::Language;

/// The tree-sitter grammar for `language`, or `None` when its `lang-*` feature is disabled.
pub fn grammar(language: Language) -> Option<tree_sitter::Language> {
    let function: tree_sitter_language::LanguageFn = match language {
        #[cfg(feature = "lang-python")]
        Language::Python => tree_sitter_python::LANGUAGE,
        #[cfg(feature = "lang-javascript")]
        Language::JavaScript => tree_sitter_javascript::LANGUAGE,
        #[cfg(feature = "lang-typescript")]
        Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT,
        #[cfg(feature = "lang-typescript")]
        Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX,
        #[cfg(feature = "lang-rust")]
        Language::Rust => tree_sitter_rust::LANGUAGE,
        #[cfg(feature = "lang-go")]
        Language::Go => tree_sitter_go::LANGUAGE,
        #[cfg(feature = "lang-java")]
        Language::Java => tree_sitter_java::LANGUAGE,
        #[cfg(feature = "lang-c")]
        Language::C => tree_sitter_c::LANGUAGE,
        #[cfg(feature = "lang-cpp")]
        Language::Cpp => tree_sitter_cpp::LANGUAGE,
        #[cfg(feature = "lang-csharp")]
        Language::CSharp => tree_sitter_c_sharp::LANGUAGE,
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    Some(function.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every grammar compiled in must load into a parser (ABI within the runtime's range).
    #[test]
    fn all_enabled_grammars_load() {
        for language in Language::ALL {
            if let Some(grammar) = grammar(language) {
                let mut parser = tree_sitter::Parser::new();
                parser
                    .set_language(&grammar)
                    .unwrap_or_else(|e| panic!("{language:?}: {e}"));
            }
        }
    }
}
