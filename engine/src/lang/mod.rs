//! The HCL language: syntax tree, parsing (native and JSON), references, values, types,
//! conversions, the evaluator and the function library.

pub mod ast;
pub mod compare;
pub mod convert;
pub mod eval;
pub mod funcs;
pub mod json;
mod jsonval;
pub mod marks;
pub mod number;
pub mod parse;
pub mod refs;
pub mod types;
pub mod value;
pub mod wire;
