//! Saved plans (`sakk plan --out FILE`, `sakk apply FILE`).
//!
//! A plan file records what the plan was made from: the state's lineage and serial, a digest of
//! every configuration and variables file, the command-line variables, the TF_VAR_/SAKK_VAR_
//! environment, the planning options, and the list of changes that were shown. `sakk apply FILE`
//! refuses the file when the state moved on or the configuration changed, then plans again from
//! exactly the same inputs (without refresh) and applies only if that gives the same changes.
//! Like Terraform's, a plan file may hold secrets: keep it where the state is kept.

use super::planning::Planned;
use crate::cli::{PlanningArgs, VarArgs};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const FORMAT: &str = "sakk-plan-1";

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct PlanFile {
    pub format: String,
    pub sakk_version: String,
    pub workspace: String,
    /// None when there was no state yet.
    pub lineage: Option<String>,
    pub serial: Option<u64>,
    pub config_digest: String,
    pub vars: Vec<String>,
    pub var_files: Vec<PathBuf>,
    pub env: Vec<(String, String)>,
    pub targets: Vec<String>,
    pub replace: Vec<String>,
    pub destroy: bool,
    pub refresh_only: bool,
    pub gitops_branch: Option<String>,
    /// (address, actions) of every change shown, and the names of changed outputs.
    pub changes: Vec<(String, String)>,
    pub output_changes: Vec<String>,
}

/// A digest of every file the configuration was read from, plus the variables files.
pub fn config_digest(planned: &Planned, var_files: &[PathBuf]) -> String {
    let mut files: Vec<PathBuf> = Vec::new();
    for m in planned.loaded.config.root.walk() {
        files.extend(m.module.files.iter().cloned());
    }
    if let Ok(rd) = std::fs::read_dir(".") {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".tfvars") || n.ends_with(".tfvars.json") {
                files.push(e.path());
            }
        }
    }
    files.extend(var_files.iter().cloned());
    files.sort();
    files.dedup();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(std::fs::read(&f).unwrap_or_default());
        h.update([0]);
    }
    format!("{:x}", h.finalize())
}

pub fn summary(planned: &Planned) -> (Vec<(String, String)>, Vec<String>) {
    let changes = planned
        .plan
        .changes
        .iter()
        .filter(|c| c.action != engine::plan::Action::NoOp)
        .map(|c| (c.addr.to_string(), c.action.json_actions().join(",")))
        .chain(planned.plan.adopted.iter().map(|a| {
            let how = match &a.how {
                engine::plan::Adoption::Import(id) => format!("import {id}"),
                engine::plan::Adoption::Token(t) => format!("adopt {t}"),
            };
            (a.addr.to_string(), how)
        }))
        .chain(
            planned
                .plan
                .moved
                .iter()
                .map(|m| (m.from.clone(), format!("moved to {}", m.to))),
        )
        .collect();
    let outputs = planned
        .output_changes()
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    (changes, outputs)
}

fn input_env() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("TF_VAR_") || k.starts_with("SAKK_VAR_"))
        .collect();
    env.sort();
    env
}

pub fn save(
    path: &Path,
    planned: &Planned,
    vars: &VarArgs,
    planning: &PlanningArgs,
) -> Result<(), String> {
    let (changes, output_changes) = summary(planned);
    let pf = PlanFile {
        format: FORMAT.into(),
        sakk_version: env!("CARGO_PKG_VERSION").into(),
        workspace: planned.opts.workspace.clone(),
        lineage: planned.state.as_ref().map(|s| s.lineage.clone()),
        serial: planned.state.as_ref().map(|s| s.serial),
        config_digest: config_digest(planned, &vars.var_files),
        vars: vars.vars.clone(),
        var_files: vars.var_files.clone(),
        env: input_env(),
        targets: planning.targets.clone(),
        replace: planning.replace.clone(),
        destroy: planning.destroy,
        refresh_only: planning.refresh_only,
        gitops_branch: planning.gitops_branch.clone(),
        changes,
        output_changes,
    };
    let bytes = serde_json::to_vec_pretty(&pf).map_err(|e| e.to_string())?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
    }
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}

pub fn load(path: &Path) -> Result<PlanFile, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the plan file {}: {e}", path.display()))?;
    let pf: PlanFile = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "{} is not a sakk plan file ({e})\nHint: create one with `sakk plan --out FILE`",
            path.display()
        )
    })?;
    if pf.format != FORMAT {
        return Err(format!(
            "{} has plan format {:?}; this sakk reads {FORMAT:?}",
            path.display(),
            pf.format
        ));
    }
    Ok(pf)
}

impl PlanFile {
    pub fn vars(&self) -> VarArgs {
        VarArgs {
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
        }
    }

    pub fn planning(&self) -> PlanningArgs {
        PlanningArgs {
            targets: self.targets.clone(),
            replace: self.replace.clone(),
            refresh: false,
            destroy: self.destroy,
            refresh_only: self.refresh_only,
            gitops_branch: self.gitops_branch.clone(),
            imports: Vec::new(),
        }
    }

    /// Puts the environment variables of the plan back (and removes ones it did not have).
    pub fn restore_env(&self) {
        for (k, _) in input_env() {
            if !self.env.iter().any(|(ek, _)| ek == &k) {
                std::env::remove_var(k);
            }
        }
        for (k, v) in &self.env {
            std::env::set_var(k, v);
        }
    }

    /// Why this plan cannot be applied to `state`, if it cannot.
    pub fn stale_against(&self, state: Option<&state::State>) -> Option<String> {
        let (lineage, serial) = (state.map(|s| s.lineage.clone()), state.map(|s| s.serial));
        if lineage != self.lineage {
            return Some(
                "the state is a different one than the plan was made against (its lineage differs)"
                    .into(),
            );
        }
        if serial != self.serial {
            return Some(format!(
                "the state has changed since the plan was made (serial {} then, {} now): someone applied in between",
                self.serial.map_or("none".into(), |s| s.to_string()),
                serial.map_or("none".into(), |s| s.to_string())
            ));
        }
        None
    }
}
