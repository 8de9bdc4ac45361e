//! `sakk fmt` end to end: exit codes, --check/--diff/--recursive, files that fail to parse are
//! left untouched, and formatting is idempotent.

mod common;
use common::*;

#[test]
fn check_diff_write_and_exit_codes() {
    let p = project(&[
        (
            "main.tf",
            "variable \"x\" {\ntype=\"string\"\n  default = 1\n}\n",
        ),
        ("sub/b.tf", "locals {\na=1\n  bbb = 2\n}\n"),
    ]);
    // --check: exit 3, lists the file, writes nothing
    let o = run_in(p.path(), &["fmt", "--check"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "main.tf");
    assert!(std::fs::read_to_string(p.path().join("main.tf"))
        .expect("read")
        .contains("type=\"string\""));
    // --recursive also sees sub/
    let o = run_in(p.path(), &["fmt", "--check", "--recursive"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("sub/b.tf"), "{}", stdout(&o));
    // --diff shows a unified diff
    let o = run_in(p.path(), &["fmt", "--check", "--diff", "main.tf"]);
    assert!(
        stdout(&o).contains("-type=\"string\"\n+  type    = string\n"),
        "{}",
        stdout(&o)
    );
    // write, then a second run changes nothing (idempotent) and --check passes
    let o = run_in(p.path(), &["fmt", "--recursive"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = std::fs::read_to_string(p.path().join("sub/b.tf")).expect("read");
    assert_eq!(first, "locals {\n  a   = 1\n  bbb = 2\n}\n");
    let o = run_in(p.path(), &["fmt", "--recursive"]);
    assert_eq!(stdout(&o), "");
    assert_eq!(
        std::fs::read_to_string(p.path().join("sub/b.tf")).expect("read"),
        first
    );
    let o = run_in(p.path(), &["-chdir=.", "fmt", "-check", "-recursive"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn parse_error_exits_1_and_keeps_the_file() {
    let bad = "locals {\n  a =\n";
    let p = project(&[("bad.tf", bad), ("ok.tf", "locals {\nb=1\n}\n")]);
    let o = run_in(p.path(), &["fmt"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("on bad.tf:"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(p.path().join("bad.tf")).expect("read"),
        bad
    );
}
