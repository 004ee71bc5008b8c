; Pilotfish additions to tree-sitter-rust's TAGS_QUERY: `use` trees (expanded in code),
; constants, statics, type uses and identifiers.

(use_declaration
  argument: (_) @import.use) @import

(const_item
  name: (identifier) @name) @definition.constant

(static_item
  name: (identifier) @name) @definition.constant

(type_identifier) @name @reference.type

(identifier) @name @reference.identifier

(function_signature_item
  name: (identifier) @name) @definition.method

(mod_item name: (identifier) @skip)
