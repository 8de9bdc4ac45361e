//! What plan and apply share: load the configuration, gather the input variables, evaluate.

use super::{load, Loaded};
use crate::cli::VarArgs;
use crate::ui::Ui;
use engine::evaluate::inputs::{gather, CliInput, RawInput};
use engine::evaluate::walk::{evaluate_then, EvalOptions, RootEval};
use std::path::Path;

/// Loads and evaluates the configuration in the current directory, then runs `then` with an
/// evaluator for more expressions in the root module. Errors are printed; returns the exit code.
pub fn prepare_then(vars: &VarArgs, ui: &Ui, then: &mut dyn FnMut(RootEval)) -> Result<(), u8> {
    let (mut loaded, inputs, opts) = load_with_inputs(vars, ui)?;
    let (_, diags) = evaluate_then(&loaded.config, &loaded.graph, &inputs, &opts, then);
    loaded.diags.extend(diags);
    ui.diagnostics(&loaded.diags, &loaded.sources);
    if loaded.diags.has_errors() {
        return Err(1);
    }
    Ok(())
}

/// Loads the configuration and gathers the input variables (no evaluation yet).
pub fn load_with_inputs(
    vars: &VarArgs,
    ui: &Ui,
) -> Result<(Loaded, Vec<RawInput>, EvalOptions), u8> {
    let root = Path::new(".");
    let mut loaded = load(root);
    if loaded.diags.has_errors() {
        ui.diagnostics(&loaded.diags, &loaded.sources);
        return Err(1);
    }
    // Command-line order matters between --var and --var-file: clap keeps each list in order,
    // so recover the interleaving from the raw arguments.
    let cli = cli_inputs(vars);
    let env: Vec<(String, String)> = std::env::vars().collect();
    let (inputs, diags) = gather(root, &env, &cli, &mut loaded.sources);
    loaded.diags.extend(diags);
    if loaded.diags.has_errors() {
        ui.diagnostics(&loaded.diags, &loaded.sources);
        return Err(1);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let opts = EvalOptions {
        workspace: state::config::current_workspace(root),
        root_dir: cwd.clone(),
        cwd,
        fs: engine::vfs::os(),
    };
    Ok((loaded, inputs, opts))
}

/// `--var` and `--var-file` in the order they were given on the command line.
fn cli_inputs(vars: &VarArgs) -> Vec<CliInput> {
    let args: Vec<String> = crate::cli::normalize_args(std::env::args());
    let (mut vi, mut fi) = (vars.vars.iter(), vars.var_files.iter());
    let mut out = Vec::new();
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        let is_var = a == "--var" || a.starts_with("--var=");
        let is_file = a == "--var-file" || a.starts_with("--var-file=");
        if is_var {
            if !a.contains('=') {
                it.next();
            }
            if let Some(v) = vi.next() {
                out.push(CliInput::Var(v.clone()));
            }
        } else if is_file {
            if !a.contains('=') {
                it.next();
            }
            if let Some(f) = fi.next() {
                out.push(CliInput::VarFile(f.clone()));
            }
        }
    }
    // Anything clap saw that the scan missed (should not happen) keeps clap's order.
    out.extend(vi.map(|v| CliInput::Var(v.clone())));
    out.extend(fi.map(|f| CliInput::VarFile(f.clone())));
    out
}
