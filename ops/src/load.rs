//! Loading: the configuration and its graph, the input variables, and evaluation options. Every
//! file goes through an [`engine::vfs::FileSystem`]: the OS, a recording one (a plan keeps what
//! it read), or a saved plan's snapshot.

use crate::{Error, Result};
use engine::config::tree::{load_config_with, Config, ManifestResolver};
use engine::diag::{Diagnostics, Sources};
use engine::evaluate::inputs::{gather, CliInput, RawInput};
use engine::evaluate::walk::{evaluate_then, EvalOptions, RootEval};
use engine::graph::Graph;
use engine::vfs::FileSystem;
use std::path::Path;
use std::sync::Arc;

/// The loaded configuration and its graph, with every diagnostic found on the way (warnings,
/// when loading succeeded).
pub struct Loaded {
    pub config: Config,
    pub graph: Graph,
    pub diags: Diagnostics,
    pub sources: Sources,
}

/// Where input variables come from besides the files of the root module directory.
#[derive(Debug, Clone, Default)]
pub struct InputOptions {
    /// `--var NAME=VALUE` and `--var-file FILE`, in command-line order.
    pub cli: Vec<CliInput>,
    /// The environment (`TF_VAR_x`, `SAKK_VAR_x` are read from it).
    pub env: Vec<(String, String)>,
}

impl InputOptions {
    /// The process environment and the given command-line inputs.
    pub fn from_env(cli: Vec<CliInput>) -> Self {
        InputOptions {
            cli,
            env: std::env::vars().collect(),
        }
    }
}

/// Loads the configuration in `dir` through `fs` and builds its graph (errors included in
/// `diags`).
pub fn load_with(fs: &dyn FileSystem, dir: &Path) -> Loaded {
    let mut sources = Sources::new();
    let (config, mut diags) =
        load_config_with(fs, dir, &ManifestResolver::new_with(fs, dir), &mut sources);
    let (graph, gd) = engine::graph::build(&config);
    diags.extend(gd);
    Loaded {
        config,
        graph,
        diags,
        sources,
    }
}

/// [`load_with`] on the real filesystem.
pub fn load(dir: &Path) -> Loaded {
    load_with(&*engine::vfs::os(), dir)
}

/// Evaluation options for the root module in `dir`, reading files through `fs`.
pub fn eval_options(dir: &Path, fs: Arc<dyn FileSystem>) -> EvalOptions {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    EvalOptions {
        workspace: state::config::current_workspace(dir),
        root_dir: abs.clone(),
        cwd: abs,
        fs,
        max_instances: engine::evaluate::walk::DEFAULT_MAX_INSTANCES,
    }
}

/// Loads the configuration and gathers the input variables (no evaluation yet).
pub fn load_with_inputs(
    dir: &Path,
    fs: Arc<dyn FileSystem>,
    inputs: &InputOptions,
) -> Result<(Loaded, Vec<RawInput>, EvalOptions)> {
    let mut loaded = load_with(&*fs, dir);
    if loaded.diags.has_errors() {
        return Err(Error::Diagnostics(loaded.diags, loaded.sources));
    }
    let (raw, diags) = gather(dir, &inputs.env, &inputs.cli, &mut loaded.sources);
    loaded.diags.extend(diags);
    if loaded.diags.has_errors() {
        return Err(Error::Diagnostics(loaded.diags, loaded.sources));
    }
    Ok((loaded, raw, eval_options(dir, fs)))
}

/// Loads and evaluates the configuration in `dir`, then runs `then` with an evaluator for more
/// expressions in the root module (`sakk console`). Returns the warnings and their sources.
pub fn evaluate_with(
    dir: &Path,
    inputs: &InputOptions,
    then: &mut dyn FnMut(RootEval),
) -> Result<(Diagnostics, Sources)> {
    let (mut loaded, raw, opts) = load_with_inputs(dir, engine::vfs::os(), inputs)?;
    let (_, diags) = evaluate_then(&loaded.config, &loaded.graph, &raw, &opts, then);
    loaded.diags.extend(diags);
    if loaded.diags.has_errors() {
        return Err(Error::Diagnostics(loaded.diags, loaded.sources));
    }
    Ok((loaded.diags, loaded.sources))
}
