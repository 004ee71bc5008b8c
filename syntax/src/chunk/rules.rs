//! Per-language node-kind tables: what role a node that appears at file, namespace or class level
//! plays for the chunker. A plain `match` on the kind string is used instead of tree-sitter
//! queries: it is only consulted for scope-level nodes (not every node), needs no regex tables in
//! the wasm and keeps each language's rules readable in one place.

use crate::language::Language;

/// What a scope-level node is, for chunking purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A function or method with a body: its own chunk (split when too big).
    Function,
    /// A class-like container: a header chunk plus one chunk per method inside.
    Class,
    /// A type kept whole (struct, enum, interface, Go type): one `Class` chunk, split when too big.
    Type,
    /// A named scope (namespace, module) whose items are chunked as if at top level.
    Namespace,
    /// A node whose items are chunked in the enclosing scope (preprocessor conditionals, `extern "C"`).
    Transparent,
    /// A node wrapping the real unit (decorators, `export`, `template<...>`).
    Wrapper,
    /// A C/C++ declaration whose `type` may be a struct/class with a body.
    Holder,
    /// A JS/TS variable declaration that may bind a function, a class or a `require`.
    Binding,
    /// An import, include or use declaration.
    Import,
    /// A comment; a run directly above a unit is its leading doc comment.
    Comment,
    /// An attribute line (`#[derive]`) that belongs to the unit below it.
    Attribute,
    /// Anything else: a statement merged with its neighbours into module-level chunks.
    Other,
}

/// The qualified-name separator of a language: `Class.method` or `Type::method`.
pub(super) fn separator(language: Language) -> &'static str {
    match language {
        Language::Rust | Language::Cpp | Language::C => "::",
        _ => ".",
    }
}

/// The role of a scope-level node of the given kind.
pub(super) fn role(language: Language, kind: &str) -> Role {
    use Role::*;
    if kind == "comment" || kind == "line_comment" || kind == "block_comment" {
        return Comment;
    }
    match language {
        Language::Python => match kind {
            "function_definition" => Function,
            "class_definition" => Class,
            "decorated_definition" => Wrapper,
            "import_statement" | "import_from_statement" | "future_import_statement" => Import,
            _ => Other,
        },
        Language::JavaScript | Language::TypeScript | Language::Tsx => match kind {
            "function_declaration"
            | "generator_function_declaration"
            | "method_definition"
            | "function_expression" => Function,
            "class_declaration" | "abstract_class_declaration" | "class" => Class,
            "interface_declaration" | "enum_declaration" => Type,
            "internal_module" | "module" => Namespace,
            "export_statement" | "expression_statement" | "ambient_declaration" => Wrapper,
            "lexical_declaration" | "variable_declaration" => Binding,
            "import_statement" => Import,
            "decorator" => Attribute,
            _ => Other,
        },
        Language::Rust => match kind {
            "function_item" => Function,
            "impl_item" | "trait_item" => Class,
            "struct_item" | "enum_item" | "union_item" | "macro_definition" => Type,
            "mod_item" => Namespace,
            "use_declaration" | "extern_crate_declaration" => Import,
            "attribute_item" => Attribute,
            _ => Other,
        },
        Language::Go => match kind {
            "function_declaration" | "method_declaration" => Function,
            "type_declaration" => Type,
            "import_declaration" => Import,
            _ => Other,
        },
        Language::Java => match kind {
            "method_declaration"
            | "constructor_declaration"
            | "compact_constructor_declaration" => Function,
            "class_declaration"
            | "interface_declaration"
            | "enum_declaration"
            | "record_declaration"
            | "annotation_type_declaration" => Class,
            "enum_body_declarations" => Transparent,
            "import_declaration" => Import,
            _ => Other,
        },
        Language::C | Language::Cpp => match kind {
            "function_definition" => Function,
            "class_specifier" | "struct_specifier" if language == Language::Cpp => Class,
            "struct_specifier" | "union_specifier" | "enum_specifier" => Type,
            "namespace_definition" => Namespace,
            "template_declaration" => Wrapper,
            "declaration" | "type_definition" | "field_declaration" => Holder,
            "preproc_include" => Import,
            "preproc_ifdef"
            | "preproc_if"
            | "preproc_else"
            | "preproc_elif"
            | "preproc_elifdef"
            | "linkage_specification"
            | "declaration_list" => Transparent,
            _ => Other,
        },
        Language::CSharp => match kind {
            "method_declaration"
            | "constructor_declaration"
            | "destructor_declaration"
            | "operator_declaration"
            | "conversion_operator_declaration"
            | "local_function_statement" => Function,
            "class_declaration"
            | "struct_declaration"
            | "interface_declaration"
            | "record_declaration" => Class,
            "enum_declaration" => Type,
            "namespace_declaration" | "file_scoped_namespace_declaration" => Namespace,
            "using_directive" => Import,
            "attribute_list" => Attribute,
            _ => Other,
        },
    }
}
