//! sakk's engine: the language and the core. No AWS and no git dependency lives here; providers
//! and the state backends plug in from other crates.
//!
//! Data flows one way: `lang` (syntax) -> `config` (the module tree) -> `graph` (the DAG) ->
//! plan -> apply.

// Diagnostics are returned by value: they are rare and carry ranges, hints and related places.
#![allow(clippy::result_large_err)]

pub mod addrs;
pub mod config;
pub mod diag;
pub mod evaluate;
pub mod fmt;
pub mod graph;
pub mod lang;
pub mod plan;
pub mod provider;
pub mod provider_mock;
pub mod vfs;
