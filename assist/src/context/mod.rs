//! Context for a cursor: gathering the snippets a prompt can use.
