//! Saved plans (`sakk plan --out FILE`, `sakk apply FILE`, `sakk show FILE`).
//!
//! A plan file is the contract of a reviewed plan: it holds the whole plan (every change with
//! its prior and planned values, unknowns and sensitive marks included; drift, moves, imports,
//! adoptions; the output changes), the lineage and serial of the state it was made against, the
//! root variable values, and a snapshot of every file the plan read (the module tree's files
//! and every file read through `file()`, `templatefile()`, `fileset()`, ...). `apply FILE`
//! executes that plan without planning again, evaluating the snapshot rather than the files on
//! disk; it refuses only when the state moved on.
//!
//! Layout: a header of three lines, then the body (JSON):
//!
//! ```text
//! sakk-plan 2
//! sha256 <hex digest of the body>
//! hmac-sha256 <hex HMAC of the body with SAKK_PLAN_KEY>   (or: unsigned)
//! ```
//!
//! The digest refuses a damaged, truncated or hand-edited file; the HMAC (when a key is given)
//! refuses one that was edited and re-hashed. Like Terraform's, a plan file may hold secrets:
//! it is written 0600; keep it where the state is kept.

use crate::load::{eval_options, load_with, Loaded};
use crate::outputs;
use crate::planning::{parse_addresses, PlanOptions, Planned};
use crate::project::Project;
use crate::state_io::{deposed_from_state, prior_from_state};
use crate::{Error, Result};
use engine::evaluate::inputs::from_values;
use engine::lang::value::Value;
use engine::plan::Plan;
use engine::vfs::{FileSystem, Snapshot, SnapshotFs};
use hmac::{Hmac, KeyInit, Mac};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use state::model::OutputValue;
use state::State;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

const MAGIC: &str = "sakk-plan";
const FORMAT: u32 = 2;

/// The body of a plan file.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub sakk_version: String,
    pub workspace: String,
    /// The state the plan was made against (None: there was no state yet).
    pub lineage: Option<String>,
    pub serial: Option<u64>,
    pub options: PlanOptions,
    pub variables: IndexMap<String, Value>,
    pub snapshot: Snapshot,
    pub plan: Plan,
    pub prior_outputs: IndexMap<String, OutputValue>,
    pub new_outputs: IndexMap<String, OutputValue>,
}

impl SavedPlan {
    pub fn of(planned: &Planned) -> SavedPlan {
        let (lineage, serial) = planned.state_version();
        SavedPlan {
            sakk_version: env!("CARGO_PKG_VERSION").into(),
            workspace: planned.workspace.clone(),
            lineage,
            serial,
            options: planned.options.clone(),
            variables: planned.variables.clone(),
            snapshot: planned.snapshot.clone(),
            plan: planned.plan.clone(),
            prior_outputs: planned.prior_outputs().clone(),
            new_outputs: planned.new_outputs.clone(),
        }
    }

    pub fn output_changes(&self) -> Vec<(&str, outputs::Change<'_>)> {
        match self.options.mode {
            engine::evaluate::resources::PlanMode::RefreshOnly => Vec::new(),
            _ => outputs::diff(&self.prior_outputs, &self.new_outputs),
        }
    }

    /// Why this plan cannot be applied to `state`, if it cannot.
    pub fn stale_against(&self, state: Option<&State>) -> Option<String> {
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

    /// The plan as it will be applied to `state` (read under the lock) in the project: the
    /// configuration is loaded from the snapshot, the variables are the recorded ones, and the
    /// changes are the saved ones. Refused when the state moved on since the plan.
    pub fn into_planned(self, project: &Project, state: Option<State>) -> Result<Planned> {
        let (dir, workspace) = (project.dir.as_path(), project.workspace.as_str());
        if self.workspace != workspace {
            return Err(Error::Message(format!(
                "the plan was made for workspace \"{}\", but \"{workspace}\" is selected\nHint: select it with `sakk workspace select {}`",
                self.workspace, self.workspace
            )));
        }
        if let Some(why) = self.stale_against(state.as_ref()) {
            return Err(Error::Message(format!(
                "Saved plan is stale: {why}.\nThe plan can no longer be applied as it was shown.\nHint: run `sakk plan --out FILE` again, review it, and apply the new plan"
            )));
        }
        let fs: Arc<dyn FileSystem> =
            Arc::new(SnapshotFs::new(self.snapshot.clone(), dir.to_path_buf()));
        let mut loaded: Loaded = load_with(&*fs, dir);
        if loaded.diags.has_errors() {
            return Err(Error::Diagnostics(loaded.diags, loaded.sources));
        }
        let inputs = from_values(&self.variables, &mut loaded.sources);
        let opts = eval_options(dir, fs);
        let providers = project.providers.clone();
        let mut state = state;
        if let Some(st) = state.as_mut() {
            // The same renames as at plan time: same configuration, same state.
            let moved = crate::moves::apply_moves(&loaded.config, st)?;
            if moved != self.plan.moved {
                return Err(Error::Message("the saved plan's moves do not match its own configuration and the state; the plan file is inconsistent.\nHint: make a new plan with `sakk plan --out FILE`".into()));
            }
        }
        let prior = match state.as_ref() {
            Some(s) => prior_from_state(s, &providers)?,
            None => IndexMap::new(),
        };
        let deposed = match state.as_ref() {
            Some(s) => deposed_from_state(s, &providers)?,
            None => IndexMap::new(),
        };
        let addrs = parse_addresses(&self.options)?;
        Ok(Planned {
            loaded,
            inputs,
            opts,
            providers,
            prior,
            deposed,
            state,
            plan: self.plan,
            options: self.options,
            targets: addrs.targets,
            replace: addrs.replace,
            variables: self.variables,
            new_outputs: self.new_outputs,
            snapshot: self.snapshot,
            workspace: self.workspace,
        })
    }
}

fn digest(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn mac(key: &[u8], body: &[u8]) -> Result<Hmac<Sha256>> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|e| Error::Message(format!("SAKK_PLAN_KEY cannot be used as a key: {e}")))?;
    m.update(body);
    Ok(m)
}

/// The bytes of a plan file for `saved`, signed with `key` when given.
pub fn encode(saved: &SavedPlan, key: Option<&[u8]>) -> Result<Vec<u8>> {
    let body = serde_json::to_vec(saved)
        .map_err(|e| Error::Message(format!("cannot encode the plan: {e}")))?;
    let sig = match key {
        Some(k) => format!(
            "hmac-sha256 {}",
            hex::encode(mac(k, &body)?.finalize().into_bytes())
        ),
        None => "unsigned".into(),
    };
    let mut out = format!("{MAGIC} {FORMAT}\nsha256 {}\n{sig}\n", digest(&body)).into_bytes();
    out.extend_from_slice(&body);
    Ok(out)
}

/// Writes `planned` to `path` (0600, atomically: a temporary file renamed into place).
pub fn save(path: &Path, planned: &Planned, key: Option<&[u8]>) -> Result<()> {
    let bytes = encode(&SavedPlan::of(planned), key)?;
    let err = |e: std::io::Error| {
        Error::Message(format!("saving the plan to {} failed: {e}", path.display()))
    };
    let tmp = path.with_extension("tmp");
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(&tmp).map_err(err)?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(err)
}

/// Reads and checks a plan file: its digest always, its HMAC when `key` is given (then an
/// unsigned file is refused too).
pub fn load(path: &Path, key: Option<&[u8]>) -> Result<SavedPlan> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Message(format!("cannot read the plan file {}: {e}", path.display()))
    })?;
    decode(&bytes, key).map_err(|why| {
        Error::Message(format!(
            "{} cannot be applied: {why}\nHint: make the plan again with `sakk plan --out {}`, review it, and apply that file",
            path.display(),
            path.display()
        ))
    })
}

/// [`load`] on bytes; the error says what is wrong with them.
pub fn decode(bytes: &[u8], key: Option<&[u8]>) -> std::result::Result<SavedPlan, String> {
    let mut rest = bytes;
    let mut line = || -> Option<&str> {
        let i = rest.iter().position(|b| *b == b'\n')?;
        let (l, r) = rest.split_at(i);
        rest = &r[1..];
        std::str::from_utf8(l).ok()
    };
    let head = line().unwrap_or_default().to_string();
    match head.split_once(' ') {
        Some((MAGIC, v)) if v == FORMAT.to_string() => {}
        Some((MAGIC, v)) => {
            return Err(format!(
                "it has plan format {v}; this sakk ({}) reads format {FORMAT}",
                env!("CARGO_PKG_VERSION")
            ))
        }
        _ => return Err("it is not a sakk plan file".into()),
    }
    let want = line()
        .and_then(|l| l.strip_prefix("sha256 "))
        .map(str::to_string)
        .ok_or("it is damaged: its digest line is missing")?;
    let sig = line()
        .map(str::to_string)
        .ok_or("it is damaged: its signature line is missing")?;
    let body = rest;
    if digest(body) != want {
        return Err("it is damaged or was edited after it was written (its content does not match its digest)".into());
    }
    match (key, sig.strip_prefix("hmac-sha256 ")) {
        (Some(_), None) => {
            return Err("it is not signed, and SAKK_PLAN_KEY is set: only plans signed with that key are applied".into())
        }
        (Some(k), Some(hexsig)) => {
            let given = hex::decode(hexsig).map_err(|_| "it is damaged: its signature is not hex")?;
            mac(k, body)
                .map_err(|e| e.to_string())?
                .verify_slice(&given)
                .map_err(|_| "its signature does not match SAKK_PLAN_KEY: it was made with another key or changed after it was signed".to_string())?;
        }
        (None, _) => {}
    }
    serde_json::from_slice(body).map_err(|e| format!("it is damaged: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SavedPlan {
        SavedPlan {
            sakk_version: "0.1.0".into(),
            workspace: "default".into(),
            lineage: Some("l".into()),
            serial: Some(3),
            options: PlanOptions::default(),
            variables: IndexMap::from([(
                "pw".to_string(),
                Value::string("hunter2").mark_sensitive(),
            )]),
            snapshot: Snapshot::default(),
            plan: Plan::default(),
            prior_outputs: IndexMap::new(),
            new_outputs: IndexMap::new(),
        }
    }

    #[test]
    fn round_trips_and_refuses_edits() {
        let bytes = encode(&sample(), None).unwrap();
        assert_eq!(encode(&decode(&bytes, None).unwrap(), None).unwrap(), bytes);
        // One byte of the body changed: the digest refuses it.
        let mut edited = bytes.clone();
        let n = edited.len();
        edited[n - 3] ^= 1;
        assert!(decode(&edited, None).unwrap_err().contains("digest"));
        // Truncated.
        assert!(decode(&bytes[..bytes.len() / 2], None)
            .unwrap_err()
            .contains("digest"));
        assert!(decode(b"", None).unwrap_err().contains("not a sakk plan"));
        assert!(decode(b"sakk-plan 1\n", None)
            .unwrap_err()
            .contains("format 1"));
    }

    #[test]
    fn signatures() {
        let key = b"k3y".as_slice();
        let signed = encode(&sample(), Some(key)).unwrap();
        assert!(decode(&signed, Some(key)).unwrap().variables["pw"].is_sensitive());
        assert!(decode(&signed, Some(b"other"))
            .unwrap_err()
            .contains("signature does not match"));
        let unsigned = encode(&sample(), None).unwrap();
        assert!(decode(&unsigned, Some(key))
            .unwrap_err()
            .contains("not signed"));
        // Edited and re-hashed: the digest fits, the HMAC does not.
        let mut other = sample();
        other.variables.insert("x".into(), Value::string("y"));
        let forged_body = serde_json::to_vec(&other).unwrap();
        let sig_line = String::from_utf8_lossy(&signed)
            .lines()
            .nth(2)
            .unwrap()
            .to_string();
        let mut forged =
            format!("sakk-plan 2\nsha256 {}\n{sig_line}\n", digest(&forged_body)).into_bytes();
        forged.extend_from_slice(&forged_body);
        assert!(
            decode(&forged, None).is_ok(),
            "without a key only the digest is checked"
        );
        assert!(decode(&forged, Some(key))
            .unwrap_err()
            .contains("signature does not match"));
    }
}
