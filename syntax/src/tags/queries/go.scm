; Pilotfish additions to tree-sitter-go's TAGS_QUERY: imports, constants, package-level
; variables and identifiers.

(import_spec
  name: (_)? @import.alias
  path: (_) @import.module) @import

(source_file
  (const_declaration (const_spec name: (identifier) @name) @definition.constant))

(source_file
  (var_declaration (var_spec name: (identifier) @name) @definition.constant))

(identifier) @name @reference.identifier

(package_clause) @skip
