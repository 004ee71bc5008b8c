; Pilotfish's C# tags: tree-sitter-c-sharp ships a tags query but exports no TAGS_QUERY
; constant, so definitions, references and `using` directives are all written here.

(class_declaration name: (identifier) @name) @definition.class

(struct_declaration name: (identifier) @name) @definition.class

(record_declaration name: (identifier) @name) @definition.class

(interface_declaration name: (identifier) @name) @definition.interface

(enum_declaration name: (identifier) @name) @definition.type

(method_declaration name: (identifier) @name) @definition.method

(constructor_declaration name: (identifier) @name) @definition.method

(property_declaration name: (identifier) @name) @definition.method

(namespace_declaration name: (_) @name) @definition.module

(field_declaration
  (modifier "const")
  (variable_declaration (variable_declarator name: (identifier) @name))) @definition.constant

(invocation_expression function: (identifier) @name) @reference.call

(invocation_expression
  function: (member_access_expression name: (identifier) @name)) @reference.call

(object_creation_expression type: (identifier) @name) @reference.type

(base_list (identifier) @name) @reference.type

; `using A.B;` and `using X = A.B;` (the alias and the namespace are told apart in code).
(using_directive) @import.using

(identifier) @name @reference.identifier

(namespace_declaration name: (_) @skip)

(file_scoped_namespace_declaration name: (_) @skip)
