//! The AWS provider (issue 6).

use engine::provider::Provider;
use std::sync::Arc;

/// The AWS provider, once it exists.
pub fn providers() -> Vec<Arc<dyn Provider>> {
    Vec::new()
}
