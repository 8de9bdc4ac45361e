//! The HCL language: syntax tree, parsing (native and JSON), references.

pub mod ast;
pub mod parse;
pub mod refs;
