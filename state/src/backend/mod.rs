//! Where states live. Every backend stores one state per workspace and can lock it.

pub mod local;
pub mod s3;

use crate::error::Result;
use crate::lock::LockInfo;
use crate::model::State;
use std::time::Duration;

pub const DEFAULT_WORKSPACE: &str = "default";

/// A place that stores states, one per workspace, and locks them.
///
/// Methods block; the S3 backend runs its own Tokio runtime, so they may be called from any
/// thread (from async code, call them through `spawn_blocking` or the [`crate::writer`]).
pub trait Backend: Send + Sync {
    /// `local` or `s3`.
    fn kind(&self) -> &'static str;

    /// Where the state of `workspace` is, for messages (`terraform.tfstate`, `s3://b/k`).
    fn location(&self, workspace: &str) -> String;

    /// The state of `workspace`, or `None` if there is none yet.
    fn get(&self, workspace: &str) -> Result<Option<State>>;

    /// Stores `state` as the state of `workspace`, replacing the previous one atomically.
    fn put(&self, workspace: &str, state: &State) -> Result<()>;

    /// Takes the lock on `workspace`; returns the lock ID. Fails at once with
    /// [`crate::Error::Locked`] (naming the holder) when someone else holds it.
    fn lock(&self, workspace: &str, info: &LockInfo) -> Result<String>;

    /// Releases the lock `id` on `workspace`; refuses (and keeps the lock) when `id` is not the
    /// ID of the lock held.
    fn unlock(&self, workspace: &str, id: &str) -> Result<()>;

    /// Who holds the lock on `workspace`, if anyone.
    fn lock_holder(&self, workspace: &str) -> Result<Option<LockInfo>>;

    /// The workspaces that have a state, `default` always first.
    fn workspaces(&self) -> Result<Vec<String>>;

    /// Deletes the state of `workspace` (not `default`).
    fn delete_workspace(&self, workspace: &str) -> Result<()>;

    /// How often the write-back writer may persist: every change at once for local files, at
    /// most every few seconds for remote stores (each write is a PUT).
    fn persist_interval(&self) -> Duration {
        Duration::ZERO
    }
}

/// Workspace names as Terraform allows them: not empty, no `/`, no spaces or control characters.
pub fn check_workspace_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid workspace name \"{name}\": use letters, digits, '-', '_' and '.'"
        ))
    }
}
