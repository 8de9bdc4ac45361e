//! The working directory's backend, opened as `sakk init` recorded it, the state lock, and
//! `sakk init`'s backend part ([`init_backend`]).

use crate::{Error, Result};
use engine::config::load::load_module;
use engine::diag::Sources;
use state::backend::s3::S3Backend;
use state::backend::Backend;
use state::config::{self, BackendConfig, Recorded};
use state::lock::{lock_with_timeout, LockInfo};
use state::State;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A root module directory with its backend opened, and the current workspace.
pub struct Project {
    pub dir: PathBuf,
    pub config: BackendConfig,
    pub backend: Arc<dyn Backend>,
    pub workspace: String,
    /// The providers plans and applies use (this build's: [`crate::state_io::providers`]).
    pub providers: engine::provider::Registry,
}

/// Whether and how long to wait for the state lock (`--lock`, `--lock-timeout`).
#[derive(Debug, Clone)]
pub struct LockOptions {
    pub enabled: bool,
    pub timeout: Duration,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            enabled: true,
            timeout: Duration::ZERO,
        }
    }
}

impl Project {
    /// Opens the backend recorded by `sakk init` in `dir` (the local backend when there is no
    /// record and the configuration declares none).
    pub fn open(dir: &Path) -> Result<Project> {
        let mut sources = Sources::new();
        let (module, _) = load_module(dir, &mut sources);
        let block_kind = module.terraform.backend.as_ref().map(|b| b.kind.clone());
        let record = config::read_record(dir).map_err(|e| e.to_string())?;
        let config = match record {
            Some(r) => {
                if r.block_kind != block_kind {
                    return Err(Error::Message(format!(
                        "the backend configuration changed since `sakk init` ({} then, {} now).\nHint: run `sakk init` again (with --migrate-state to copy the state, or --reconfigure to start afresh)",
                        r.block_kind.as_deref().unwrap_or("no backend block"),
                        block_kind.as_deref().unwrap_or("no backend block"),
                    )));
                }
                r.backend
            }
            None => match block_kind {
                Some(k) => {
                    return Err(Error::Message(format!(
                        "backend initialization required: the configuration declares backend \"{k}\" but `sakk init` has not been run here.\nHint: run `sakk init` (with --backend-config=backend.hcl if you keep the settings there)"
                    )))
                }
                None => BackendConfig::default_local(),
            },
        };
        let backend: Arc<dyn Backend> = Arc::from(config.open(dir).map_err(|e| e.to_string())?);
        Ok(Project {
            dir: dir.to_path_buf(),
            config,
            backend,
            workspace: config::current_workspace(dir),
            providers: crate::state_io::providers(),
        })
    }

    /// The current workspace's state (None: there is none yet).
    pub fn read_state(&self) -> Result<Option<State>> {
        self.backend
            .get(&self.workspace)
            .map_err(|e| Error::Message(e.to_string()))
    }

    /// Runs `f` with the lock on the workspace held (unless disabled), releasing it afterwards
    /// whatever `f` returned.
    pub fn with_lock<T>(
        &self,
        lock: &LockOptions,
        operation: &str,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        with_lock(self.backend.as_ref(), &self.workspace, lock, operation, f)
    }

    /// Reads, changes and writes back the state under the lock, bumping the serial; returns
    /// what `f` returned (a message for the user).
    pub fn modify(
        &self,
        lock: &LockOptions,
        operation: &str,
        f: impl FnOnce(&mut State) -> Result<String>,
    ) -> Result<String> {
        self.with_lock(lock, operation, || {
            let mut st = self.read_state()?.ok_or_else(|| {
                Error::Message(format!(
                    "there is no state yet at {}",
                    self.backend.location(&self.workspace)
                ))
            })?;
            let msg = f(&mut st)?;
            st.serial += 1;
            self.backend
                .put(&self.workspace, &st)
                .map_err(|e| e.to_string())?;
            Ok(msg)
        })
    }
}

/// Runs `f` with the lock on `workspace` held (unless disabled), releasing it afterwards.
pub fn with_lock<T>(
    backend: &dyn Backend,
    workspace: &str,
    lock: &LockOptions,
    operation: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    if !lock.enabled {
        return f();
    }
    let info = LockInfo::new(operation);
    let id =
        lock_with_timeout(backend, workspace, &info, lock.timeout).map_err(|e| e.to_string())?;
    let r = f();
    let u = backend.unlock(workspace, &id);
    match (r, u) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(Error::Message(format!(
            "the work was done, but releasing the state lock failed: {e}\nHint: release it with `sakk force-unlock {id}`"
        ))),
    }
}

/// `sakk init`'s backend options.
pub struct InitBackendOptions<'a> {
    pub backend_config: Vec<String>,
    pub bootstrap: bool,
    pub reconfigure: bool,
    pub migrate_state: bool,
    pub force_copy: bool,
    pub lock: LockOptions,
    /// Asked before copying a state to a new backend with `migrate_state`; false keeps it.
    pub confirm: &'a dyn Fn(&str) -> bool,
    /// Progress lines ("copied workspace ...").
    pub progress: &'a dyn Fn(&str),
}

/// What `init_backend` configured.
pub struct InitBackend {
    pub kind: String,
    pub location: String,
}

/// `sakk init`, backend part: resolves the backend configuration, checks (or with `bootstrap`
/// creates) the bucket and lock table, migrates an existing state when the backend changed, and
/// records the backend under `.sakk/`.
pub fn init_backend(dir: &Path, o: &InitBackendOptions<'_>) -> Result<InitBackend> {
    let mut sources = Sources::new();
    let (module, diags) = load_module(dir, &mut sources);
    if diags.has_errors() {
        return Err(Error::Diagnostics(diags, sources));
    }
    let block = module
        .terraform
        .backend
        .as_ref()
        .map(|b| (b.kind.as_str(), &b.body));
    let cfg = match config::resolve(block, &o.backend_config, dir, &mut sources) {
        Ok(c) => c,
        Err(d) => return Err(Error::Diagnostics(d, sources)),
    };
    (o.progress)("Initializing the backend...");
    let backend: Box<dyn Backend> = match &cfg {
        BackendConfig::S3(c) => {
            let b = S3Backend::new(c.clone()).map_err(|e| e.to_string())?;
            for line in b.check(o.bootstrap).map_err(|e| e.to_string())? {
                (o.progress)(&format!("  {line}"));
            }
            Box::new(b)
        }
        BackendConfig::Local { .. } => cfg.open(dir).map_err(|e| e.to_string())?,
    };

    // Never drop an existing state: copy it over when the backend changed.
    let record = config::read_record(dir).map_err(|e| e.to_string())?;
    let previous = match (&record, o.reconfigure) {
        (_, true) => None,
        (Some(r), false) => Some(r.backend.clone()),
        (None, false) => Some(BackendConfig::default_local()),
    };
    if let Some(prev) = previous.filter(|p| p != &cfg) {
        migrate(&prev, &cfg, backend.as_ref(), o, dir)?;
    }

    config::write_record(
        dir,
        &Recorded {
            version: 1,
            backend: cfg.clone(),
            block_kind: module.terraform.backend.as_ref().map(|b| b.kind.clone()),
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(InitBackend {
        kind: cfg.kind().to_string(),
        location: backend.location(&config::current_workspace(dir)),
    })
}

fn migrate(
    prev: &BackendConfig,
    cfg: &BackendConfig,
    new: &dyn Backend,
    o: &InitBackendOptions<'_>,
    dir: &Path,
) -> Result<()> {
    let old = prev.open(dir).map_err(|e| e.to_string())?;
    let mut to_copy = Vec::new();
    for ws in old.workspaces().map_err(|e| e.to_string())? {
        // A state that cannot be read stops init: it must not be left behind silently.
        let Some(st) = old.get(&ws).map_err(|e| e.to_string())? else {
            continue;
        };
        if st.is_empty() && st.serial == 0 {
            continue;
        }
        to_copy.push((ws, st));
    }
    if to_copy.is_empty() {
        return Ok(());
    }
    let names: Vec<_> = to_copy.iter().map(|(w, _)| w.as_str()).collect();
    let copy = o.force_copy
        || o.migrate_state
            && (o.confirm)(&format!(
                "Do you want to copy the existing state from the {} backend to the new {} backend (workspaces: {})?",
                prev.describe(),
                cfg.describe(),
                names.join(", ")
            ));
    if !copy {
        return Err(Error::Message(format!(
            "the previous backend {} holds state (workspaces: {}) and the backend changed to {}.\n\
             Hint: run `sakk init --migrate-state` to copy it (add --force-copy in CI to answer yes), or `sakk init --reconfigure` to use the new backend without it",
            prev.describe(),
            names.join(", "),
            cfg.describe()
        )));
    }
    for (ws, st) in to_copy {
        let existing = new.get(&ws).map_err(|e| e.to_string())?;
        if let Some(ex) = &existing {
            if !ex.is_empty() && ex != &st && !o.force_copy {
                return Err(Error::Message(format!(
                    "both the previous and the new backend have a state for workspace \"{ws}\" ({} serial {}, {} serial {}); nothing was copied.\n\
                     Hint: `sakk init --force-copy` overwrites the new one with the previous one",
                    prev.describe(),
                    st.serial,
                    cfg.describe(),
                    ex.serial
                )));
            }
        }
        with_lock(
            new,
            &ws,
            &o.lock,
            "OperationTypeInit (migrate state)",
            || new.put(&ws, &st).map_err(|e| Error::Message(e.to_string())),
        )?;
        (o.progress)(&format!(
            "  copied workspace \"{ws}\" (lineage {}, serial {}) to {}",
            st.lineage,
            st.serial,
            new.location(&ws)
        ));
    }
    Ok(())
}
