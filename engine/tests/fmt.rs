//! `sakk fmt` against goldens recorded with `terraform fmt` (Terraform 1.0.3); see
//! `scripts/record-fmt-fixtures`.

use engine::fmt::{format_paths, format_source, FmtOptions};
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/fmt")
}

/// (name, input, golden) for every fixture.
fn fixtures() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read_to_string(&p).unwrap();
        let golden = std::fs::read_to_string(p.with_extension("tf.golden"))
            .unwrap_or_else(|_| panic!("{name} has no .golden; run scripts/record-fmt-fixtures"));
        out.push((name, input, golden));
    }
    assert!(
        out.len() >= 25,
        "expected at least 25 fixtures, found {}",
        out.len()
    );
    out
}

#[test]
fn fixtures_format_to_their_goldens() {
    let mut failed = Vec::new();
    for (name, input, golden) in fixtures() {
        match format_source(&name, &input) {
            Ok(got) if got == golden => {}
            Ok(got) => {
                eprintln!(
                    "=== {name}: differs from golden\n{}",
                    engine::fmt::unified_diff(&name, &golden, &got)
                );
                failed.push(name);
            }
            Err(d) => {
                eprintln!("=== {name}: error {d:?}");
                failed.push(name);
            }
        }
    }
    assert!(
        failed.is_empty(),
        "fixtures not matching their goldens: {failed:?}"
    );
}

#[test]
fn formatting_a_golden_is_a_no_op() {
    for (name, _, golden) in fixtures() {
        let again = format_source(&name, &golden).expect("golden parses");
        assert_eq!(again, golden, "{name}.golden is not a fixed point");
    }
}

#[test]
fn syntax_errors_have_positions() {
    let cases = [
        ("a = 1\nb = [1, 2\nc = 3\n", 3, 1),
        ("resource \"x\" {\n  a = = 1\n}\n", 2, 7),
        ("a = 1\nb = 2 +\n", 2, 8),
        ("a = 1\n\nb c d\n", 3, 6),
        ("a = 1\nb = 2\na = 3\n", 3, 1),
    ];
    for (src, line, col) in cases {
        let d = format_source("bad.tf", src).expect_err(src);
        let r = d.range.clone().expect("range");
        assert_eq!(&*r.filename, "bad.tf");
        assert_eq!(
            (r.start.line, r.start.column),
            (line, col),
            "{src:?}: {d:?}"
        );
    }
}

#[test]
fn never_panics_on_garbage() {
    let inputs = [
        "",
        "}",
        "{",
        "\"",
        "<<EOT\n",
        "a = <<EOT\nno end",
        "a = \"${",
        "/*",
        "#",
        "\r",
        "a = ~",
        "x = \"%{ if }",
        "é = 1",
        "a = 1\r",
        "\u{feff}a = 1",
        "a = [}\n",
        "a b c",
        "=",
        "a = \"\n\"",
    ];
    for src in inputs {
        let _ = format_source("g.tf", src);
        let _ = engine::fmt::format_unchecked(src);
    }
    // Every prefix of some real fixtures.
    for (_, input, _) in fixtures().into_iter().take(8) {
        for end in (0..input.len()).filter(|&i| input.is_char_boundary(i)) {
            let _ = engine::fmt::format_unchecked(&input[..end]);
        }
    }
}

#[test]
fn paths_check_diff_and_write() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ugly.tf"), "a=1\n").unwrap();
    std::fs::write(d.join("fine.tf"), "a = 1\n").unwrap();
    std::fs::write(d.join("bad.tf"), "a = {\n").unwrap();
    std::fs::write(d.join("vars.tfvars"), "x=1").unwrap();
    std::fs::write(d.join(".hidden.tf"), "a=1\n").unwrap();
    std::fs::write(d.join("notes.txt"), "a=1\n").unwrap();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/inner.tf"), "b=2\n").unwrap();

    let check = FmtOptions {
        check: true,
        diff: true,
        ..Default::default()
    };
    let report = format_paths(&[d.to_path_buf()], &check);
    let names: Vec<_> = report
        .files
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["bad.tf", "fine.tf", "ugly.tf", "vars.tfvars"]);
    let changed: Vec<_> = report.changed().map(|f| f.path.clone()).collect();
    assert_eq!(changed, [d.join("ugly.tf"), d.join("vars.tfvars")]);
    let diff = report.files[2].diff.as_deref().unwrap();
    assert!(diff.contains("-a=1\n+a = 1\n"), "{diff}");
    assert_eq!(report.errors().count(), 1);
    assert_eq!(report.exit_code(&check), 1);
    assert_eq!(
        std::fs::read_to_string(d.join("ugly.tf")).unwrap(),
        "a=1\n",
        "check never writes"
    );

    std::fs::remove_file(d.join("bad.tf")).unwrap();
    let report = format_paths(&[d.to_path_buf()], &check);
    assert_eq!(report.exit_code(&check), 3);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(d.join("ugly.tf"), std::fs::Permissions::from_mode(0o600))
            .unwrap();
    }
    let write = FmtOptions {
        write: true,
        recursive: true,
        ..Default::default()
    };
    let report = format_paths(&[d.to_path_buf()], &write);
    assert_eq!(report.exit_code(&write), 0);
    assert_eq!(
        std::fs::read_to_string(d.join("ugly.tf")).unwrap(),
        "a = 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("sub/inner.tf")).unwrap(),
        "b = 2\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.join(".hidden.tf")).unwrap(),
        "a=1\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("ugly.tf"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let leftovers = std::fs::read_dir(d)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("sakk-fmt"))
        .count();
    assert_eq!(leftovers, 0);

    // A parse error leaves the file untouched; explicit non-config files are refused.
    std::fs::write(d.join("bad.tf"), "a = {\n").unwrap();
    let report = format_paths(
        &[d.join("bad.tf"), d.join("notes.txt"), d.join("missing.tf")],
        &write,
    );
    assert_eq!(report.errors().count(), 3);
    assert_eq!(
        std::fs::read_to_string(d.join("bad.tf")).unwrap(),
        "a = {\n"
    );
}
