//! Errors of the state layer. Each message says what went wrong and what to do about it; none
//! includes credentials.

use crate::lock::LockInfo;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The state is locked by someone else.
    #[error("{}", locked_message(.0))]
    Locked(Box<LockInfo>),

    #[error("lock ID \"{given}\" does not match the lock held on {path} (held with ID \"{held}\"); nothing was unlocked.\nHint: run `sakk force-unlock {held}` only if you are sure no other sakk is using this state")]
    LockIdMismatch {
        path: String,
        given: String,
        held: String,
    },

    #[error("{path} is not locked")]
    NotLocked { path: String },

    #[error("cannot read the state file {path}: {msg}\nThe file was left as it is. Hint: restore it from {path}.backup or from your version history, or fix it by hand")]
    Parse { path: String, msg: String },

    #[error("{0}")]
    Io(String),

    /// An AWS call failed: what was being done, the error code and message, what to check.
    #[error("{op} failed: {code}: {message}\nHint: {hint}")]
    Aws {
        op: String,
        code: String,
        message: String,
        hint: String,
    },

    #[error("{0}")]
    Digest(String),

    #[error("{0}")]
    Config(String),

    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(what: &str, path: &std::path::Path, e: std::io::Error) -> Error {
        Error::Io(format!("cannot {what} {}: {e}", path.display()))
    }
}

fn locked_message(info: &LockInfo) -> String {
    format!(
        "Error acquiring the state lock: the state is locked.\n\
         Lock Info:\n  ID:        {}\n  Path:      {}\n  Operation: {}\n  Who:       {}\n  Version:   {}\n  Created:   {}\n  Info:      {}\n\n\
         Another sakk or Terraform is probably using this state; wait for it to finish and retry, or pass --lock-timeout=DURATION to wait.\n\
         If you are sure nobody holds it (the process was killed), release it with:\n  sakk force-unlock {}",
        info.id, info.path, info.operation, info.who, info.version, info.created, info.info, info.id
    )
}
