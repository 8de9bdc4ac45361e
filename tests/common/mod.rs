//! Helpers for end-to-end tests: they run the real `sakk` binary in temporary directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn sakk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sakk"));
    c.env("NO_COLOR", "1");
    c
}

/// Writes `files` (relative path, content) under a new temporary directory.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        let p = dir.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
    }
    dir
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    sakk()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run sakk")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The diagnostics of `sakk validate --json` in `dir`.
pub fn validate_json(dir: &Path) -> serde_json::Value {
    let o = run_in(dir, &["validate", "--json"]);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("bad json ({e}): {}", stdout(&o)))
}

/// (summary, filename, line, column) of every diagnostic.
pub fn diag_locations(v: &serde_json::Value) -> Vec<(String, String, u64, u64)> {
    v["diagnostics"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["summary"].as_str().unwrap_or_default().to_string(),
                        d["range"]["filename"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        d["range"]["start"]["line"].as_u64().unwrap_or(0),
                        d["range"]["start"]["column"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
