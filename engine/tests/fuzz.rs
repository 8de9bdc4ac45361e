//! A mutation fuzzer for the parser, the JSON reader, the formatter, the config decoder, the
//! graph builder and the evaluator: takes the .tf files of the test corpus, mutates them at
//! random (byte flips, cuts, duplications, splices, insertion of HCL tokens and edge-case
//! literals), and runs every stage on the result. Any panic fails the test and saves the input.
//!
//! CI runs it briefly; for a long run (the issue's 10 minutes):
//!
//! ```sh
//! SAKK_FUZZ_SECS=600 cargo test --release -p sakk-engine --test fuzz -- --nocapture
//! ```
//!
//! `SAKK_FUZZ_SEED=N` replays a run.

use engine::config::tree::{Config, ModuleNode};
use engine::config::Module;
use engine::diag::Diagnostics;
use engine::evaluate::walk::{evaluate, EvalOptions};
use engine::lang::eval::{eval, EmptyScope, EvalContext};
use engine::lang::funcs::Registry;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "${",
    "}",
    "%{",
    "%{ if true }",
    "%{ else }",
    "%{ endif }",
    "%{ for x in [1] }",
    "%{ endfor }",
    "~}",
    "${~",
    "[*]",
    ".*",
    ".0",
    "[0]",
    "[\"k\"]",
    "for x in ",
    " : ",
    " => ",
    "...",
    " if ",
    "<<EOT\n",
    "<<-EOT\n",
    "\nEOT\n",
    "\"",
    "\\u00e9",
    "\\",
    "$${",
    "%%{",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    "==",
    "!=",
    "&&",
    "||",
    "!",
    "-",
    "+",
    "*",
    "/",
    "%",
    "?",
    ":",
    "null",
    "true",
    "1e999",
    "-1e-999",
    "9007199254740993",
    "0.1",
    "18446744073709551616",
    "var.x",
    "local.y",
    "module.m.o",
    "each.key",
    "count.index",
    "path.module",
    "terraform.workspace",
    "self",
    "aws_s3_bucket.b.id",
    "data.x.y",
    "upper(",
    "length(",
    "jsonencode(",
    "tolist(",
    "try(",
    "can(",
    "format(\"%v\", ",
    "element(",
    "range(",
    "lookup(",
    "merge(",
    "flatten(",
    "split(",
    "replace(",
    "regex(",
    "substr(",
    "cidrsubnet(",
    "\n",
    " ",
    "\t",
    "# c\n",
    "/* c */",
    "😀",
    "e\u{301}",
    "\u{0}",
    "locals {\n",
    "variable \"x\" {\n",
    "output \"o\" {\n  value = ",
    "module \"m\" {\n  source = \"./m\"\n",
    "resource \"a\" \"b\" {\n",
    "}\n",
    "count = 2\n",
    "for_each = {a = 1}\n",
    "depends_on = [",
    "validation {\n condition = ",
    "type = list(",
    "object({a=string})",
    "tuple([",
    "map(number)",
    "set(any)",
];

fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![
        root.join("tests/fixtures"),
        root.join("examples"),
        root.join("modules"),
    ];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "tf" || x == "json" || x == "golden" || x == "tfvars")
            {
                if let Ok(s) = std::fs::read_to_string(&p) {
                    out.push(s);
                }
            }
        }
    }
    out.sort();
    out
}

fn mutate(rng: &mut Rng, corpus: &[String]) -> String {
    let mut s: Vec<u8> = corpus[rng.below(corpus.len())].clone().into_bytes();
    for _ in 0..1 + rng.below(8) {
        let len = s.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                s[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(32)).min(len);
                s.drain(a..b);
            }
            2 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(64)).min(len);
                let piece = s[a..b].to_vec();
                let at = rng.below(len);
                s.splice(at..at, piece);
            }
            3 => {
                let other = corpus[rng.below(corpus.len())].as_bytes();
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = (a + rng.below(200)).min(other.len());
                    let at = rng.below(len + 1);
                    s.splice(at..at, other[a..b].iter().copied());
                }
            }
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let at = rng.below(len + 1);
                s.splice(at..at, t.iter().copied());
            }
        }
    }
    String::from_utf8_lossy(&s).into_owned()
}

/// Every stage, on one input. Errors are fine; panics are not.
fn run_all(src: &str, funcs: &Registry) {
    let _ = engine::fmt::format_unchecked(src);
    let _ = engine::fmt::format_source("fuzz.tf", src);
    let _ = engine::lang::json::parse_body("fuzz.tf.json".into(), src.into());
    let _ = engine::lang::parse::parse_expr("fuzz.tf".into(), src);
    let _ = engine::lang::parse::parse_template("fuzz.tf".into(), src);
    let Ok(body) = engine::lang::parse::parse_body("fuzz.tf".into(), src.into()) else {
        return;
    };
    // Each attribute as a constant expression.
    for a in body
        .attributes
        .iter()
        .chain(body.blocks.iter().flat_map(|b| b.body.attributes.iter()))
    {
        let scope = EmptyScope;
        let _ = eval(&a.expr, &EvalContext::new(&scope, funcs));
    }
    // The whole file as a root module.
    let mut module = Module {
        dir: PathBuf::from("."),
        ..Module::default()
    };
    let mut diags = Diagnostics::new();
    engine::config::decode::decode_file(&mut module, &body, &mut diags);
    module.module_calls.clear(); // no child modules on disk
    let config = Config {
        root: ModuleNode {
            path: Vec::new(),
            module,
            children: Default::default(),
        },
    };
    let (graph, gd) = engine::graph::build(&config);
    let _ = engine::graph::to_dot(&graph);
    if gd.has_errors() {
        return;
    }
    let opts = EvalOptions {
        workspace: "default".into(),
        root_dir: PathBuf::from("."),
        cwd: PathBuf::from("."),
        fs: engine::vfs::os(),
        max_instances: engine::evaluate::walk::DEFAULT_MAX_INSTANCES,
    };
    let _ = evaluate(&config, &graph, &[], &opts);
}

#[test]
fn fuzz_parser_and_evaluator() {
    let secs: u64 = std::env::var("SAKK_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("SAKK_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                | 1
        });
    let corpus = corpus();
    assert!(corpus.len() > 50, "corpus too small: {}", corpus.len());
    let funcs = Registry::builtins();
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    // Panics are expected to be caught; keep the default hook from printing each one twice.
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let input = mutate(&mut rng, &corpus);
        let result = catch_unwind(AssertUnwindSafe(|| run_all(&input, &funcs)));
        runs += 1;
        if result.is_err() {
            let path = std::env::temp_dir().join(format!("sakk-fuzz-crash-{seed}-{runs}.tf"));
            let _ = std::fs::write(&path, &input);
            panic!(
                "panic on a fuzzed input (seed {seed}, run {runs}); input saved to {}",
                path.display()
            );
        }
    }
    eprintln!("fuzz: {runs} inputs in {secs}s (seed {seed}), no panic");
}

/// Inputs the fuzzer found, kept as regressions.
#[test]
fn fuzz_findings_stay_fixed() {
    let funcs = Registry::builtins();
    // A width this large used to abort the process on allocation.
    run_all(
        "locals {\n  a = format(\"%9007199254740993v\", 1)\n  b = format(\"%.9007199254740993f\", 1)\n}\n",
        &funcs,
    );
    let scope = EmptyScope;
    let e = engine::lang::parse::parse_expr("t.tf".into(), "format(\"%9007199254740993v\", 1)")
        .expect("parses");
    let err = eval(&e, &EvalContext::new(&scope, &funcs)).expect_err("refused");
    assert!(
        err.iter().any(|d| d.detail.contains("too large")),
        "{err:?}"
    );
}
