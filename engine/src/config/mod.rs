//! The module tree.
pub mod manifest;
pub mod source;
