//! The operations layer: what `sakk init`, `plan`, `apply`, `destroy`, `refresh`, `import`
//! and the state commands do, as library functions that take typed options and return typed
//! results (events go to a callback). The CLI turns arguments into options and renders the
//! results; this crate never prints. Modelled on Terraform's `internal/backend/local` and
//! cargo's `ops`.
//!
//! - [`project`]: the working directory's backend (opened from `sakk init`'s record), the
//!   state lock, state read/modify/write.
//! - [`load`]: the configuration, its graph, and the input variables.
//! - [`planning`]: a plan against the state ([`planning::Planned`]).
//! - [`planfile`]: saved plans (`plan --out`): the whole plan, a snapshot of its inputs, a
//!   digest and an optional HMAC; loading one gives back a `Planned` to apply as it is.
//! - [`apply`]: executes a `Planned` (apply, destroy, refresh-only), writing the state as it goes.
//! - [`import`], [`state_cmds`], [`moves`], [`outputs`], [`state_io`] (engine <-> state).

pub mod apply;
pub mod import;
pub mod load;
pub mod moves;
pub mod outputs;
pub mod planfile;
pub mod planning;
pub mod project;
pub mod state_cmds;
pub mod state_io;

use engine::diag::{Diagnostics, Sources};

/// Why an operation stopped. Diagnostics carry the sources they point into.
#[derive(Debug)]
pub enum Error {
    Diagnostics(Diagnostics, Sources),
    Message(String),
}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error::Message(s)
    }
}

impl From<&str> for Error {
    fn from(s: &str) -> Self {
        Error::Message(s.to_string())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Message(m) => f.write_str(m),
            Error::Diagnostics(d, s) => f.write_str(&engine::diag::render_all(
                d,
                s,
                engine::diag::Style { color: false },
            )),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A Tokio runtime for provider I/O.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Message(format!("cannot start the async runtime: {e}")))
}
