//! Differential test against Terraform 1.0.3: every fixture in tests/fixtures/lang was recorded
//! with the real terraform (`terraform apply` + `terraform output -json`, see the README there);
//! sakk must produce the same outputs (value, type, sensitive) or the same errors.
//!
//! Known differences are listed, with reasons, in tests/fixtures/lang/KNOWN_DIFFERENCES; the test
//! fails if a listed fixture starts passing (so the list stays true) or an unlisted one fails.

mod common;
use common::*;
use serde_json::Value as J;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        let name = e.file_name();
        let n = name.to_string_lossy();
        if n.starts_with("expected")
            || n == "exit_code"
            || n == "error_match.txt"
            || n == "NONDETERMINISTIC"
        {
            continue;
        }
        if p.is_dir() {
            copy_dir(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).expect("copy");
        }
    }
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .map(|s| {
            s.lines()
                .map(str::trim_end)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Numbers are compared as float64, which is what terraform's JSON printed.
fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Runs one fixture; Ok(()) when sakk agrees with terraform, Err(why) otherwise.
fn check(fixture: &Path, sakk_bin: &Path) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = tmp.path().join("root");
    copy_dir(fixture, &dir);
    let mut env: Vec<(String, String)> = Vec::new();
    for l in lines(&fixture.join("env.txt")) {
        if let Some((k, v)) = l.split_once('=') {
            env.push((k.to_string(), v.to_string()));
        }
    }
    let run = |args: &[String]| {
        let mut c = std::process::Command::new(sakk_bin);
        c.current_dir(&dir).args(args).env_clear();
        c.env("PATH", std::env::var("PATH").unwrap_or_default());
        c.env("HOME", "/nonexistent-home")
            .env("NO_COLOR", "1")
            .env("LANG", "C.UTF-8");
        for (k, v) in &env {
            c.env(k, v);
        }
        c.stdin(std::process::Stdio::null());
        c.output().map_err(|e| e.to_string())
    };
    let mut errors = String::new();
    let init = run(&["init".to_string()])?;
    let mut failed_status = None;
    if init.status.success() {
        let mut args = vec!["apply".to_string(), "--auto-approve".to_string()];
        args.extend(lines(&fixture.join("vars.txt")));
        let apply = run(&args)?;
        errors.push_str(&String::from_utf8_lossy(&apply.stderr));
        if !apply.status.success() {
            failed_status = apply.status.code();
        }
    } else {
        errors.push_str(&String::from_utf8_lossy(&init.stderr));
        failed_status = init.status.code();
    }

    if fixture.join("expected.json").exists() {
        if let Some(code) = failed_status {
            return Err(format!(
                "expected success, sakk failed with {code}:\n{errors}"
            ));
        }
        let out = run(&["output".to_string(), "--json".to_string()])?;
        let got: J = serde_json::from_slice(&out.stdout).map_err(|e| {
            format!(
                "sakk output --json is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })?;
        let want: J = serde_json::from_str(
            &std::fs::read_to_string(fixture.join("expected.json")).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        let (J::Object(g), J::Object(w)) = (&got, &want) else {
            return Err("outputs are not objects".into());
        };
        let mut diffs = Vec::new();
        for (name, wv) in w {
            match g.get(name) {
                None => diffs.push(format!("{name}: missing")),
                Some(gv) if !same(gv, wv) => diffs.push(format!("{name}: got {gv}, want {wv}")),
                _ => {}
            }
        }
        for name in g.keys() {
            if !w.contains_key(name) {
                diffs.push(format!("{name}: unexpected (terraform omits null outputs)"));
            }
        }
        if let Ok(warn) = std::fs::read_to_string(fixture.join("expected_warnings.txt")) {
            for l in warn.lines().filter(|l| l.starts_with("Warning: ")) {
                if !errors.contains(l) {
                    diffs.push(format!("missing warning {l:?}"));
                }
            }
        }
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(diffs.join("\n"))
        }
    } else {
        if failed_status.is_none() {
            return Err("expected an error, sakk succeeded".into());
        }
        // Every error summary terraform printed must be among sakk's.
        let expected =
            std::fs::read_to_string(fixture.join("expected_error.txt")).unwrap_or_default();
        let mut wanted: Vec<String> = expected
            .lines()
            .filter(|l| l.starts_with("Error: "))
            .map(str::to_string)
            .collect();
        let matches = lines(&fixture.join("error_match.txt"));
        if !matches.is_empty() {
            // Stable substrings of a non-deterministic message; terraform's " (expand)" node
            // suffixes are its own graph's names.
            wanted = matches
                .iter()
                .map(|m| m.trim_end_matches(" (expand)").to_string())
                .collect();
        }
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|w| !errors.contains(w.as_str()))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing {missing:?} in:\n{errors}"))
        }
    }
}

#[test]
fn terraform_oracle_corpus() {
    let root = repo_root().join("tests/fixtures/lang");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_sakk"));
    let known: BTreeMap<String, String> = std::fs::read_to_string(root.join("KNOWN_DIFFERENCES"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once(char::is_whitespace)
                .map(|(a, b)| (a.to_string(), b.trim().to_string()))
        })
        .collect();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    fixtures.sort();
    let only = std::env::var("ORACLE_ONLY").ok();
    let (mut pass, mut outputs) = (0, 0);
    let mut unexpected = Vec::new();
    for f in &fixtures {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let result = check(f, &bin);
        match (&result, known.get(&name)) {
            (Ok(()), None) => {
                pass += 1;
                if let Ok(s) = std::fs::read_to_string(f.join("expected.json")) {
                    outputs += serde_json::from_str::<J>(&s)
                        .ok()
                        .and_then(|v| v.as_object().map(|o| o.len()))
                        .unwrap_or(0);
                }
            }
            (Err(_), Some(_)) => {}
            (Ok(()), Some(why)) => unexpected.push(format!(
                "{name}: passes now; remove it from KNOWN_DIFFERENCES ({why})"
            )),
            (Err(e), None) => unexpected.push(format!("{name}:\n{e}")),
        }
    }
    eprintln!(
        "oracle: {pass} fixtures agree with terraform ({outputs} outputs), {} known differences",
        known.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} fixtures disagree with terraform:\n\n{}",
        unexpected.len(),
        unexpected.join("\n\n")
    );
}
