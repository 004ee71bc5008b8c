; Pilotfish additions to tree-sitter-cpp's TAGS_QUERY: includes, macros, calls, type uses and
; identifiers.

(preproc_include
  path: (string_literal (string_content) @import.module)) @import

(preproc_include
  path: (system_lib_string) @import.module) @import

(preproc_def
  name: (identifier) @name) @definition.constant

(preproc_function_def
  name: (identifier) @name) @definition.macro

(call_expression
  function: (identifier) @name) @reference.call

(call_expression
  function: (field_expression field: (field_identifier) @name)) @reference.call

(type_identifier) @name @reference.type

(identifier) @name @reference.identifier

(namespace_definition
  name: (namespace_identifier) @name) @definition.module

(call_expression
  function: (qualified_identifier name: (identifier) @name)) @reference.call
