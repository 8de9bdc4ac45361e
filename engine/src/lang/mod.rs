//! The HCL language: syntax tree, parsing (native and JSON), references.

pub mod ast;
pub mod convert;
pub mod eval;
pub mod funcs;
mod jsonval;
pub mod number;
pub mod parse;
pub mod refs;
pub mod types;
pub mod value;
