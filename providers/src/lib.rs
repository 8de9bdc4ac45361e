//! The providers compiled into sakk. Each module is one provider; [`registry`] lists them all.

pub mod aws;
pub mod builtin;
pub mod gitops;

use std::sync::Arc;

/// Every provider of this build.
pub fn registry() -> engine::provider::Registry {
    let mut r = engine::provider::Registry::new();
    r.add(Arc::new(builtin::Builtin::new()));
    for p in aws::providers() {
        r.add(p);
    }
    for p in gitops::providers() {
        r.add(p);
    }
    r
}
