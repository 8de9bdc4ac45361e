//! The state backend for the current working directory.

use state::Backend;

/// The backend the working directory uses: the one `sakk init` recorded under `.sakk/` (local
/// when there is none and the configuration declares no backend).
pub fn open() -> Result<Box<dyn Backend>, String> {
    super::backend::open().map(|o| o.backend)
}
