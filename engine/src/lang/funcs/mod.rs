//! Functions.

pub mod common_b;
pub mod crypto;
pub mod datetime;
pub mod encoding;
pub mod filesystem;
pub mod ipnet;

/// The encoding, filesystem, date/time, hash/crypto and IP network functions, as data
/// (see [`common_b`]).
pub fn functions_b() -> Vec<common_b::FuncDef> {
    let mut v = Vec::new();
    v.extend(encoding::functions());
    v.extend(filesystem::functions());
    v.extend(datetime::functions());
    v.extend(crypto::functions());
    v.extend(ipnet::functions());
    v
}
