//! Every diagnostic of configuration loading, checked end to end with its exact location.

mod common;
use common::*;

fn one(files: &[(&str, &str)]) -> (serde_json::Value, Vec<(String, String, u64, u64)>) {
    let p = project(files);
    let v = validate_json(p.path());
    let locs = diag_locations(&v);
    (v, locs)
}

fn loc(summary: &str, file: &str, line: u64, col: u64) -> (String, String, u64, u64) {
    (summary.to_string(), file.to_string(), line, col)
}

#[test]
fn valid_configuration_says_so() {
    let p = project(&[(
        "main.tf",
        "variable \"x\" {}\noutput \"y\" { value = var.x }\n",
    )]);
    let o = run_in(p.path(), &["validate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Success! The configuration is valid."));
    assert_eq!(validate_json(p.path())["valid"], true);
}

#[test]
fn parse_error_has_location_and_exit_code() {
    let p = project(&[("main.tf", "locals {\n  a = 1\n  b = \n}\n")]);
    let o = run_in(p.path(), &["validate"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("Error: Invalid HCL syntax"), "{err}");
    assert!(err.contains("on main.tf:"), "{err}");
    let v = validate_json(p.path());
    let l = diag_locations(&v);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].0, "Invalid HCL syntax");
    assert!(l[0].2 >= 3, "line {:?}", l[0]);
}

#[test]
fn unknown_variable_suggests_the_close_name() {
    let (v, l) = one(&[(
        "main.tf",
        "variable \"name\" {}\n\nlocals {\n  greeting = \"hi ${var.nmae}\"\n}\n",
    )]);
    assert_eq!(
        l,
        vec![loc(
            "Reference to undeclared input variable",
            "main.tf",
            4,
            20
        )]
    );
    assert_eq!(v["diagnostics"][0]["hint"], "did you mean \"name\"?");
    assert_eq!(
        v["diagnostics"][0]["snippet"]["code"],
        "  greeting = \"hi ${var.nmae}\""
    );
}

#[test]
fn unknown_local_module_and_resource_references() {
    let (_, l) = one(&[(
        "main.tf",
        "locals {\n  a = local.nope\n  b = module.none.x\n  c = aws_vpc.main.id\n  d = data.aws_x.y.id\n}\n",
    )]);
    assert_eq!(
        l,
        vec![
            loc("Reference to undeclared local value", "main.tf", 2, 7),
            loc("Reference to undeclared module", "main.tf", 3, 7),
            loc("Reference to undeclared resource", "main.tf", 4, 7),
            loc("Reference to undeclared resource", "main.tf", 5, 7),
        ]
    );
}

#[test]
fn duplicate_definitions_point_at_the_second_and_name_the_first() {
    let (v, l) = one(&[
        ("a.tf", "variable \"x\" {}\noutput \"o\" { value = 1 }\n"),
        (
            "b.tf",
            "\nvariable \"x\" {}\nlocals { l = 1 }\nlocals { l = 2 }\n",
        ),
    ]);
    assert_eq!(
        l,
        vec![
            loc("Duplicate variable declaration", "b.tf", 2, 1),
            loc("Duplicate local value definition", "b.tf", 4, 10),
        ]
    );
    assert!(v["diagnostics"][0]["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("a.tf:1:1"));
}

#[test]
fn module_inputs_missing_and_unknown() {
    let (v, l) = one(&[
        (
            "main.tf",
            "module \"net\" {\n  source = \"./net\"\n  cidr   = \"10.0.0.0/16\"\n  zonez  = 3\n}\n",
        ),
        (
            "net/main.tf",
            "variable \"cidr\" {}\nvariable \"zones\" {}\nvariable \"opt\" {\n  default = 1\n}\n",
        ),
    ]);
    assert_eq!(
        l,
        vec![
            loc("Unsupported argument", "main.tf", 4, 3),
            loc("Missing required argument", "main.tf", 1, 1),
        ]
    );
    assert_eq!(v["diagnostics"][0]["hint"], "did you mean \"zones\"?");
}

#[test]
fn unknown_top_level_block_and_misplaced_each() {
    let (v, l) = one(&[(
        "main.tf",
        "resorce \"aws_vpc\" \"x\" {}\nlocals {\n  k = each.key\n}\n",
    )]);
    assert_eq!(
        l,
        vec![
            loc("Unsupported block type", "main.tf", 1, 1),
            loc(
                "Reference to \"each\" in context without for_each",
                "main.tf",
                3,
                7
            ),
        ]
    );
    assert_eq!(v["diagnostics"][0]["hint"], "did you mean \"resource\"?");
}

#[test]
fn missing_module_output() {
    let (_, l) = one(&[
        ("main.tf", "module \"m\" {\n  source = \"./m\"\n}\noutput \"x\" {\n  value = module.m.vpc_idd\n}\n"),
        ("m/main.tf", "output \"vpc_id\" { value = \"v\" }\n"),
    ]);
    assert_eq!(l, vec![loc("Unsupported attribute", "main.tf", 5, 11)]);
}

#[test]
fn cycle_across_two_modules_lists_every_member() {
    let p = project(&[
        (
            "main.tf",
            "module \"a\" {\n  source = \"./a\"\n  x      = module.b.out\n}\n\nmodule \"b\" {\n  source = \"./b\"\n  y      = module.a.out\n}\n",
        ),
        ("a/main.tf", "variable \"x\" {}\n\noutput \"out\" {\n  value = var.x\n}\n"),
        ("b/main.tf", "variable \"y\" {}\n\noutput \"out\" {\n  value = var.y\n}\n"),
    ]);
    let o = run_in(p.path(), &["validate"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("Error: Cycle: module.a.var.x, module.b.output.out, module.b.var.y, module.a.output.out"), "{err}");
    assert!(
        err.contains("module.a.var.x -> module.b.output.out -> module.b.var.y -> module.a.output.out -> module.a.var.x"),
        "{err}"
    );
    // every member with its file:line
    for member in [
        "a/main.tf:3:1",
        "a/main.tf:1:1",
        "b/main.tf:3:1",
        "b/main.tf:1:1",
    ] {
        assert!(err.contains(member), "missing {member} in {err}");
    }
    // modules that feed each other without a real cycle are fine
    let ok = project(&[
        ("main.tf", "module \"a\" {\n  source = \"./a\"\n  x = module.b.out\n}\nmodule \"b\" {\n  source = \"./b\"\n  y = module.a.const\n}\n"),
        ("a/main.tf", "variable \"x\" {}\noutput \"out\" { value = var.x }\noutput \"const\" { value = 1 }\n"),
        ("b/main.tf", "variable \"y\" {}\noutput \"out\" { value = var.y }\n"),
    ]);
    assert_eq!(validate_json(ok.path())["valid"], true);
}

#[test]
fn json_syntax_files_are_loaded_with_locations() {
    let (_, l) = one(&[
        ("main.tf", "variable \"region\" {}\n"),
        (
            "extra.tf.json",
            "{\n  \"output\": {\n    \"r\": {\"value\": \"${var.regoin}\"}\n  }\n}\n",
        ),
    ]);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(
        (l[0].0.as_str(), l[0].1.as_str(), l[0].2),
        ("Reference to undeclared input variable", "extra.tf.json", 3)
    );
}

#[test]
fn examples_simple_validates_and_graphs() {
    let dir = repo_root().join("examples/simple");
    let o = run_in(&dir, &["validate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_in(&dir, &["graph"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dot = stdout(&o);
    assert!(dot.starts_with("digraph sakk {"));
    assert!(dot.contains("subgraph cluster_1 {\n    label = \"module.sak_kubeflow\";"));
    assert!(dot.contains("\"module.sak_kubeflow.var.admin_arns\" -> \"module.sak_kubeflow\";"));
    // If Graphviz is installed (CI installs it), the DOT must render.
    if let Ok(mut child) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(dot.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("dot");
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    } else if std::env::var_os("CI").is_some() {
        panic!("graphviz `dot` must be installed in CI");
    }
}

#[test]
fn single_dash_terraform_spellings() {
    let p = project(&[("sub/main.tf", "variable \"x\" {}\n")]);
    let o = run_in(p.path(), &["-chdir=sub", "validate", "-json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json")["valid"],
        true
    );
}
