//! The encoding, filesystem, date/time, hash/crypto and IP network functions through the
//! evaluator. `data/funcs/funcs_b_oracle.txt` holds what `terraform console` (Terraform 1.0.3)
//! printed for each expression, run in a directory laid out like [`fixture`] (each case is the
//! expression, `<<<`, the output, `>>>`).

use engine::diag::{Diagnostic, Range};
use engine::lang::eval::{eval, EvalContext, Scope};
use engine::lang::funcs::{FuncCtx, Registry};
use engine::lang::parse::parse_expr;
use engine::lang::refs::Subject;
use engine::lang::value::Value;

struct NoScope;

impl Scope for NoScope {
    fn get(&self, _subject: &Subject, range: &Range) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error("Reference not available").at(range))
    }
}

fn fixture() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path();
    std::fs::create_dir_all(p.join("files/sub")).expect("mkdir");
    std::fs::write(p.join("files/hello.txt"), "Hello World\n").expect("write");
    std::fs::write(p.join("files/sub/a.txt"), "a").expect("write");
    std::fs::write(
        p.join("files/t.tftpl"),
        "${x}-%{ for i in l }${i}%{ endfor }\n",
    )
    .expect("write");
    d
}

fn cases() -> Vec<(String, String)> {
    let src = include_str!("data/funcs/funcs_b_oracle.txt");
    let mut out = Vec::new();
    let mut lines = src.lines();
    while let Some(expr) = lines.next() {
        if expr.is_empty() {
            continue;
        }
        assert_eq!(lines.next(), Some("<<<"), "malformed case {expr}");
        let mut want = Vec::new();
        for l in lines.by_ref() {
            if l == ">>>" {
                break;
            }
            want.push(l);
        }
        out.push((expr.to_string(), want.join("\n")));
    }
    out
}

#[test]
fn functions_match_terraform_console() {
    let dir = fixture();
    let mut funcs = Registry::builtins();
    funcs.register_module_functions(FuncCtx::new(dir.path()));
    let scope = NoScope;
    let ctx = EvalContext::new(&scope, &funcs);
    let mut checked = 0;
    for (expr, want) in cases() {
        let e = parse_expr("<console-input>".into(), &expr).expect("parse");
        let got = match eval(&e, &ctx) {
            Ok(v) => v.to_string(),
            Err(ds) => {
                let msg: Vec<String> = ds
                    .iter()
                    .map(|d| format!("{}: {}", d.summary, d.detail))
                    .collect();
                let msg = msg.join("; ");
                // Functions of the other groups may not be registered on this branch yet.
                if msg.contains("unknown function") || msg.contains("Call to unknown function") {
                    continue;
                }
                format!("ERROR {msg}")
            }
        };
        assert_eq!(got, want, "{expr}");
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} cases checked");
}
