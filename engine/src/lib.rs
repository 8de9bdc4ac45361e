//! sakk's engine: the language and the core. No AWS and no git dependency lives here; providers
//! and the state backends plug in from other crates.
//!
//! Data flows one way: `lang` (syntax) -> `config` (the module tree) -> `graph` (the DAG) ->
//! plan -> apply.

pub mod addrs;
pub mod config;
pub mod diag;
pub mod fmt;
pub mod graph;
pub mod lang;
