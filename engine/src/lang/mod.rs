//! The HCL language: syntax tree, parsing (native and JSON), references.

pub mod ast;
pub mod json;
pub mod parse;
pub mod refs;
