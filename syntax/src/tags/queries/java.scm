; Pilotfish additions to tree-sitter-java's TAGS_QUERY: imports, enums, records, constants,
; type uses and identifiers.

; `import a.b.C;` imports `C` from `a.b`; `import a.b.*;` everything in `a.b` (told apart in code).
(import_declaration
  (scoped_identifier) @import.path) @import

(enum_declaration
  name: (identifier) @name) @definition.class

(record_declaration
  name: (identifier) @name) @definition.class

(field_declaration
  (modifiers "static" "final")
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant

(type_identifier) @name @reference.type

(identifier) @name @reference.identifier

(package_declaration) @skip
