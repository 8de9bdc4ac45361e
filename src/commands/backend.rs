//! The backend part of `sakk init` ([`init_backend`]), and opening the recorded backend with its
//! lock for the commands that use the state.

use crate::cli::{InitArgs, LockArgs};
use crate::ui::Ui;
use engine::config::load::load_module;
use engine::diag::Sources;
use state::backend::s3::S3Backend;
use state::backend::Backend;
use state::config::{self, BackendConfig, Recorded};
use state::lock::{lock_with_timeout, parse_duration, LockInfo};
use state::State;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

/// The backend of the working directory, opened, and the current workspace.
pub struct Opened {
    #[allow(dead_code)]
    pub config: BackendConfig,
    pub backend: Box<dyn Backend>,
    pub workspace: String,
}

/// Opens the backend recorded by `sakk init` (the local backend when there is no record and the
/// configuration declares none). Errors are messages for the user.
pub fn open() -> Result<Opened, String> {
    let dir = Path::new(".");
    let mut sources = Sources::new();
    let (module, _) = load_module(dir, &mut sources);
    let block_kind = module.terraform.backend.as_ref().map(|b| b.kind.clone());
    let record = config::read_record(dir).map_err(|e| e.to_string())?;
    let config = match record {
        Some(r) => {
            if r.block_kind != block_kind {
                return Err(format!(
                    "the backend configuration changed since `sakk init` ({} then, {} now).\nHint: run `sakk init` again (with --migrate-state to copy the state, or --reconfigure to start afresh)",
                    r.block_kind.as_deref().unwrap_or("no backend block"),
                    block_kind.as_deref().unwrap_or("no backend block"),
                ));
            }
            r.backend
        }
        None => match block_kind {
            Some(k) => {
                return Err(format!(
                    "backend initialization required: the configuration declares backend \"{k}\" but `sakk init` has not been run here.\nHint: run `sakk init` (with --backend-config=backend.hcl if you keep the settings there)"
                ))
            }
            None => BackendConfig::default_local(),
        },
    };
    let backend = config.open(dir).map_err(|e| e.to_string())?;
    Ok(Opened {
        config,
        backend,
        workspace: config::current_workspace(dir),
    })
}

fn lock_timeout(l: &LockArgs) -> Result<Duration, String> {
    parse_duration(&l.lock_timeout).map_err(|e| format!("--lock-timeout: {e}"))
}

/// Runs `f` with the lock on `workspace` held (unless `--lock=false`), releasing it afterwards
/// whatever `f` returned.
pub fn with_lock<T>(
    backend: &dyn Backend,
    workspace: &str,
    lock: &LockArgs,
    operation: &str,
    f: impl FnOnce() -> Result<T, String>,
) -> Result<T, String> {
    if !lock.lock {
        return f();
    }
    let timeout = lock_timeout(lock)?;
    let info = LockInfo::new(operation);
    let id = lock_with_timeout(backend, workspace, &info, timeout).map_err(|e| e.to_string())?;
    // Test hook: hold the lock for a while, to exercise conflicts between processes.
    if let Some(secs) = std::env::var("SAKK_TEST_HOLD_LOCK")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        std::thread::sleep(Duration::try_from_secs_f64(secs).unwrap_or_default());
    }
    let r = f();
    let u = backend.unlock(workspace, &id);
    match (r, u) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(format!(
            "the work was done, but releasing the state lock failed: {e}\nHint: release it with `sakk force-unlock {id}`"
        )),
    }
}

/// Reads, changes and writes back the state of the current workspace under the lock, bumping
/// the serial. `f` returns the message to print on success.
pub fn modify(
    ui: &Ui,
    lock: &LockArgs,
    operation: &str,
    f: impl FnOnce(&mut State) -> Result<String, String>,
) -> u8 {
    let o = match open() {
        Ok(o) => o,
        Err(e) => {
            ui.error(&e);
            return 1;
        }
    };
    let r = with_lock(o.backend.as_ref(), &o.workspace, lock, operation, || {
        let mut st = o
            .backend
            .get(&o.workspace)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!(
                    "there is no state yet at {}",
                    o.backend.location(&o.workspace)
                )
            })?;
        let msg = f(&mut st)?;
        st.serial += 1;
        o.backend
            .put(&o.workspace, &st)
            .map_err(|e| e.to_string())?;
        Ok(msg)
    });
    match r {
        Ok(msg) => {
            println!("{msg}");
            0
        }
        Err(e) => {
            ui.error(&e);
            1
        }
    }
}

fn ask_yes(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("{question}\n  Only 'yes' will be accepted.\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim() == "yes"
}

/// `sakk init`, backend part: resolves the backend configuration, checks (or with `--bootstrap`
/// creates) the bucket and lock table, migrates an existing state when the backend changed, and
/// records the backend under `.sakk/`.
pub fn init_backend(args: &InitArgs, ui: &Ui) -> u8 {
    match init_backend_inner(args, ui) {
        Ok(()) => 0,
        Err(e) => {
            if !e.is_empty() {
                ui.error(&e);
            }
            1
        }
    }
}

fn init_backend_inner(args: &InitArgs, ui: &Ui) -> Result<(), String> {
    let dir = Path::new(".");
    let mut sources = Sources::new();
    let (module, diags) = load_module(dir, &mut sources);
    if diags.has_errors() {
        ui.diagnostics(&diags, &sources);
        return Err(String::new());
    }
    let block = module
        .terraform
        .backend
        .as_ref()
        .map(|b| (b.kind.as_str(), &b.body));
    let cfg = match config::resolve(block, &args.backend_config, dir, &mut sources) {
        Ok(c) => c,
        Err(d) => {
            ui.diagnostics(&d, &sources);
            return Err(String::new());
        }
    };
    println!("Initializing the backend...");
    let backend: Box<dyn Backend> = match &cfg {
        BackendConfig::S3(c) => {
            let b = S3Backend::new(c.clone()).map_err(|e| e.to_string())?;
            for line in b.check(args.bootstrap).map_err(|e| e.to_string())? {
                println!("  {line}");
            }
            Box::new(b)
        }
        BackendConfig::Local { .. } => cfg.open(dir).map_err(|e| e.to_string())?,
    };

    // Never drop an existing state: copy it over when the backend changed.
    let record = config::read_record(dir).map_err(|e| e.to_string())?;
    let previous = match (&record, args.reconfigure) {
        (_, true) => None,
        (Some(r), false) => Some(r.backend.clone()),
        (None, false) => Some(BackendConfig::default_local()),
    };
    if let Some(prev) = previous.filter(|p| p != &cfg) {
        migrate(&prev, &cfg, backend.as_ref(), args, dir)?;
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
    println!(
        "{}",
        ui.green(&format!(
            "Successfully configured the backend \"{}\": {}",
            cfg.kind(),
            backend.location(&config::current_workspace(dir))
        ))
    );
    Ok(())
}

fn migrate(
    prev: &BackendConfig,
    cfg: &BackendConfig,
    new: &dyn Backend,
    args: &InitArgs,
    dir: &Path,
) -> Result<(), String> {
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
    let copy = args.force_copy
        || args.migrate_state
            && (ask_yes(&format!(
                "Do you want to copy the existing state from the {} backend to the new {} backend (workspaces: {})?",
                prev.describe(),
                cfg.describe(),
                names.join(", ")
            )) || !std::io::stdin().is_terminal());
    if !copy {
        return Err(format!(
            "the previous backend {} holds state (workspaces: {}) and the backend changed to {}.\n\
             Hint: run `sakk init --migrate-state` to copy it (add --force-copy in CI to answer yes), or `sakk init --reconfigure` to use the new backend without it",
            prev.describe(),
            names.join(", "),
            cfg.describe()
        ));
    }
    for (ws, st) in to_copy {
        let existing = new.get(&ws).map_err(|e| e.to_string())?;
        if let Some(ex) = &existing {
            if !ex.is_empty() && ex != &st && !args.force_copy {
                return Err(format!(
                    "both the previous and the new backend have a state for workspace \"{ws}\" ({} serial {}, {} serial {}); nothing was copied.\n\
                     Hint: `sakk init --force-copy` overwrites the new one with the previous one",
                    prev.describe(),
                    st.serial,
                    cfg.describe(),
                    ex.serial
                ));
            }
        }
        let lock = LockArgs {
            lock: args.lock.lock,
            lock_timeout: args.lock.lock_timeout.clone(),
        };
        with_lock(new, &ws, &lock, "OperationTypeInit (migrate state)", || {
            new.put(&ws, &st).map_err(|e| e.to_string())
        })?;
        println!(
            "  copied workspace \"{ws}\" (lineage {}, serial {}) to {}",
            st.lineage,
            st.serial,
            new.location(&ws)
        );
    }
    Ok(())
}
