//! The tags' data: definitions, references and imports of one file, with their kinds, names,
//! ranges and lines.

/// What a definition defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefinitionKind {
    Function,
    /// A function inside a class, interface, trait or impl.
    Method,
    /// A class, struct, union or enum.
    Class,
    /// An interface or trait.
    Interface,
    /// A type alias, typedef or (in some grammars) an enum.
    Type,
    /// A constant or module-level variable.
    Constant,
    Module,
    Macro,
}

impl DefinitionKind {
    pub fn name(self) -> &'static str {
        match self {
            DefinitionKind::Function => "function",
            DefinitionKind::Method => "method",
            DefinitionKind::Class => "class",
            DefinitionKind::Interface => "interface",
            DefinitionKind::Type => "type",
            DefinitionKind::Constant => "constant",
            DefinitionKind::Module => "module",
            DefinitionKind::Macro => "macro",
        }
    }

    pub(super) fn from_capture(suffix: &str) -> DefinitionKind {
        match suffix {
            "function" => DefinitionKind::Function,
            "method" => DefinitionKind::Method,
            "class" => DefinitionKind::Class,
            "interface" => DefinitionKind::Interface,
            "constant" => DefinitionKind::Constant,
            "module" => DefinitionKind::Module,
            "macro" => DefinitionKind::Macro,
            _ => DefinitionKind::Type,
        }
    }

    /// Whether functions directly inside this definition are its methods.
    pub fn holds_methods(self) -> bool {
        matches!(
            self,
            DefinitionKind::Class | DefinitionKind::Interface | DefinitionKind::Type
        )
    }
}

/// A named definition. Byte offsets are UTF-8 offsets into the text; lines are 1-based and
/// inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub name: String,
    pub kind: DefinitionKind,
    /// The whole declaration (for C and C++ the function definition around its declarator).
    pub start_byte: usize,
    pub end_byte: usize,
    pub start_line: usize,
    pub end_line: usize,
    /// The last line of the signature: the line before the body when the body starts on a line
    /// of its own (Python), the body's first line when it opens on the signature's line (`{`);
    /// `end_line` when there is no body.
    pub signature_end_line: usize,
    /// Index in [`FileTags::definitions`] of the innermost definition around this one.
    pub parent: Option<usize>,
}

/// How a name is referred to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReferenceKind {
    /// A call (or `new`) of the name.
    Call,
    /// A type use: annotation, base class, implemented trait, instantiation.
    Type,
    /// Any other use of the identifier.
    Identifier,
}

impl ReferenceKind {
    pub fn name(self) -> &'static str {
        match self {
            ReferenceKind::Call => "call",
            ReferenceKind::Type => "type",
            ReferenceKind::Identifier => "identifier",
        }
    }
}

/// A use of a name that is not its definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub kind: ReferenceKind,
    /// The name's own range.
    pub start_byte: usize,
    pub end_byte: usize,
    pub line: usize,
    /// Index in [`FileTags::definitions`] of the innermost definition the reference is inside.
    pub enclosing: Option<usize>,
}

/// How an import binds names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportKind {
    /// One name from a module: `from m import a`, `import {a} from 'm'`, `use m::a`,
    /// `import m.A;` (Java).
    Name,
    /// A whole module bound to a local name: `import m`, `import * as m from 'm'`,
    /// `const m = require('m')`, a Go import, `using M;`, `#include "m.h"`.
    Module,
    /// JavaScript's default export bound to a local name: `import a from 'm'`.
    Default,
    /// Every public name of the module: `from m import *`, `use m::*`, `import m.*;`.
    Wildcard,
}

impl ImportKind {
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::Name => "name",
            ImportKind::Module => "module",
            ImportKind::Default => "default",
            ImportKind::Wildcard => "wildcard",
        }
    }
}

/// One name (or module) a file imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub kind: ImportKind,
    /// The module or path as written, without quotes: `os.path`, `./util`, `fmt`,
    /// `crate::config`, `java.util`, `stdio.h`, `..models` (Python relative imports keep dots).
    pub module: String,
    /// The imported name for [`ImportKind::Name`] (`a` in `from m import a as b`).
    pub name: Option<String>,
    /// The local name when it differs from `name` or the module (`b` above, the `m` of
    /// `import * as m`, the default import's binding).
    pub alias: Option<String>,
    pub line: usize,
}

impl Import {
    /// The name this import binds in the importing file, if one: the alias, else the name, else
    /// the module's last segment (`import os.path` binds `os` in Python, but the last segment is
    /// what code is written against in every other language, and `os` is still found as the
    /// module's first segment by a resolver that cares).
    pub fn local_name(&self) -> Option<&str> {
        match self.kind {
            ImportKind::Wildcard => None,
            _ => self.alias.as_deref().or(self.name.as_deref()).or_else(|| {
                let module = [".hpp", ".hh", ".hxx", ".h"]
                    .iter()
                    .find_map(|ext| self.module.strip_suffix(ext))
                    .unwrap_or(&self.module);
                module.rsplit(['.', '/', ':']).find(|s| !s.is_empty())
            }),
        }
    }
}

/// Everything tagged in one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileTags {
    /// In source order (by start, outer before inner).
    pub definitions: Vec<Definition>,
    /// In source order.
    pub references: Vec<Reference>,
    /// In source order.
    pub imports: Vec<Import>,
}

impl FileTags {
    /// The innermost definition whose range holds `byte`.
    pub fn enclosing(&self, byte: usize) -> Option<usize> {
        self.definitions
            .iter()
            .enumerate()
            .filter(|(_, d)| d.start_byte <= byte && byte < d.end_byte)
            .max_by_key(|(_, d)| d.start_byte)
            .map(|(i, _)| i)
    }
}
