//! Resource limits: `count` and `for_each` asking for more instances than
//! `EvalOptions::max_instances` (1,000,000 per block by default, over all the instances of the
//! block's module) are a diagnostic at the argument, with the source line and a hint, planned
//! without allocating for the instances; and a plan of `count = 1e12` stays small in memory (in
//! a child process, so other tests do not count).

mod harness;

use harness::{Harness, PlanOpts, Planned};

fn plan(files: &[(&str, &str)], max_instances: Option<usize>) -> Planned {
    let h = Harness::new(files);
    h.plan_with(PlanOpts {
        max_instances,
        ..Default::default()
    })
}

/// The rendered errors of a plan of `main.tf` that must fail.
fn errors(main: &str, max_instances: Option<usize>) -> String {
    let p = plan(&[("main.tf", main)], max_instances);
    let e = p.errors();
    assert!(
        !e.is_empty(),
        "expected errors from {main}, got a plan: {:?}",
        p.actions()
    );
    assert!(p.plan.changes.is_empty(), "{:?}", p.actions());
    e
}

#[test]
fn count_1e12_is_a_diagnostic_at_the_argument() {
    let e = errors("resource \"mock_thing\" \"n\" {\n  count = 1e12\n}\n", None);
    assert!(e.contains("Invalid count argument"), "{e}");
    assert!(e.contains("/main.tf:2:11"), "{e}");
    assert!(e.contains("  2 |   count = 1e12\n"), "{e}");
    assert!(
        e.contains("asks for 1000000000000 instances, more than the 1000000 instances sakk expands for one block"),
        "{e}"
    );
    assert!(e.contains("Terraform has no such limit"), "{e}");
    assert!(
        e.contains("Hint: use a smaller count, or split the instances over several blocks"),
        "{e}"
    );
}

#[test]
fn count_just_over_the_default_ceiling_is_a_diagnostic() {
    let e = errors(
        "resource \"mock_thing\" \"n\" {\n  count = 1000001\n}\n",
        None,
    );
    assert!(e.contains("/main.tf:2:11"), "{e}");
    assert!(e.contains("asks for 1000001 instances"), "{e}");
}

#[test]
fn count_beyond_i64_is_the_same_diagnostic() {
    let e = errors(
        "resource \"mock_thing\" \"n\" {\n  count = 1e400\n}\n",
        None,
    );
    assert!(e.contains("Invalid count argument"), "{e}");
    assert!(e.contains("asks for 1e+400 instances"), "{e}");
}

#[test]
fn for_each_over_range_1e7_is_a_diagnostic() {
    let e = errors(
        "resource \"mock_thing\" \"n\" {\n  for_each = range(1e7)\n}\n",
        None,
    );
    // range() itself refuses (cty's 1024-element bound) before any instance is considered.
    assert!(e.contains("/main.tf:2:14"), "{e}");
    assert!(e.contains("  2 |   for_each = range(1e7)\n"), "{e}");
    assert!(e.contains("more than 1024 values were generated"), "{e}");
}

#[test]
fn the_ceiling_is_an_option_and_its_value_is_allowed() {
    let main = "resource \"mock_thing\" \"n\" {\n  count = var.n\n}\nvariable \"n\" {}\n";
    let h = Harness::new(&[("main.tf", main)]);
    let at = |n: &str| {
        h.plan_with(PlanOpts {
            max_instances: Some(3),
            vars: vec![format!("n={n}")],
            ..Default::default()
        })
    };
    let p = at("3");
    assert!(p.errors().is_empty(), "{}", p.errors());
    assert_eq!(p.actions().len(), 3);
    let e = at("4").errors();
    assert!(
        e.contains("asks for 4 instances, more than the 3 instances sakk expands for one block"),
        "{e}"
    );
}

#[test]
fn for_each_maps_and_sets_over_the_ceiling_are_diagnostics() {
    let e = errors(
        "resource \"mock_thing\" \"m\" {\n  for_each = { a = 1, b = 2, c = 3 }\n}\n",
        Some(2),
    );
    assert!(e.contains("Invalid for_each argument"), "{e}");
    assert!(e.contains("/main.tf:2:14"), "{e}");
    assert!(e.contains("asks for 3 instances, more than the 2"), "{e}");
    assert!(e.contains("Hint: use a smaller for_each"), "{e}");
    let e = errors(
        "resource \"mock_thing\" \"s\" {\n  for_each = toset([\"a\", \"b\", \"c\"])\n}\n",
        Some(2),
    );
    assert!(e.contains("asks for 3 instances"), "{e}");
}

#[test]
fn data_sources_have_the_ceiling_too() {
    let e = errors("data \"mock_lookup\" \"d\" {\n  count = 1e12\n}\n", None);
    assert!(e.contains("Invalid count argument"), "{e}");
    assert!(e.contains("/main.tf:2:11"), "{e}");
}

#[test]
fn module_calls_have_the_ceiling_too() {
    let p = plan(
        &[
            (
                "main.tf",
                "module \"m\" {\n  source = \"./m\"\n  count = 1e12\n}\n",
            ),
            ("m/main.tf", ""),
        ],
        None,
    );
    let e = p.errors();
    assert!(e.contains("Invalid count argument"), "{e}");
    assert!(e.contains("/main.tf:3:11"), "{e}");
    let p = plan(
        &[
            (
                "main.tf",
                "module \"m\" {\n  source = \"./m\"\n  for_each = toset([\"a\", \"b\", \"c\"])\n}\n",
            ),
            ("m/main.tf", ""),
        ],
        Some(2),
    );
    let e = p.errors();
    assert!(e.contains("Invalid for_each argument"), "{e}");
    assert!(e.contains("asks for 3 instances"), "{e}");
}

#[test]
fn the_ceiling_counts_the_instances_of_a_block_in_every_instance_of_its_module() {
    // 1e6 module instances of 1e6 resources each would be 1e12 instances of one block.
    let files = [
        (
            "main.tf",
            "module \"m\" {\n  source = \"./m\"\n  count = 2\n}\n",
        ),
        (
            "m/main.tf",
            "resource \"mock_thing\" \"r\" {\n  count = 2\n}\n",
        ),
    ];
    let p = plan(&files, Some(4));
    assert!(p.errors().is_empty(), "{}", p.errors());
    assert_eq!(p.actions().len(), 4);
    let p = plan(&files, Some(3));
    let e = p.errors().replace('\\', "/");
    assert!(e.contains("/m/main.tf:2:11"), "{e}");
    assert!(
        e.contains("asks for 2 instances, more than the 3 instances sakk expands for one block (it has 2 already, in other instances of its module)"),
        "{e}"
    );
    // Module instances count over every instance of the calling module as well.
    let files = [
        (
            "main.tf",
            "module \"m\" {\n  source = \"./m\"\n  count = 2\n}\n",
        ),
        (
            "m/main.tf",
            "module \"n\" {\n  source = \"./n\"\n  count = 2\n}\n",
        ),
        ("m/n/main.tf", ""),
    ];
    let e = plan(&files, Some(3)).errors();
    assert!(e.contains("(it has 2 already"), "{e}");
}

/// Expressions with absurd arguments, each planned as `locals { x = EXPR }` and refused with a
/// diagnostic at the expression or one of its parts, and what the diagnostic says. None needs
/// much memory to refuse (the child process below plans them all under 100 MiB).
const ABSURD: &[(&str, &str)] = &[
    ("range(1e12)", "more than 1024 values were generated"),
    ("range(0, 1, 1e-9)", "more than 1024 values were generated"),
    ("format(\"%999999999d\", 1)", "width 999999999 at offset 0 is too large"),
    ("format(\"%.999999999f\", 1)", "precision 999999999 at offset 0 is too large"),
    ("formatlist(\"%999999999d\", [1])", "is too large"),
    ("indent(1e12, \"a\\nb\")", "more than the 100 MiB sakk builds for one string"),
    ("replace(join(\"\", [for i in range(200): \"a\"]), \"\", format(\"%1000000s\", \"\"))", "more than the 100 MiB"),
    ("setproduct(range(1000), range(1000), range(1000))", "the product of the given sets is too large"),
    ("setproduct(range(1024), range(1024), range(1024), range(1024), range(1024), range(1024), range(1024))", "the product of the given sets is too large"),
    ("cidrsubnets(\"10.0.0.0/8\", 1e12)", "may not extend prefix by more than 32 bits"),
    ("cidrsubnet(\"::/0\", 128, 99999999999999)", "may not extend prefix by more than 32 bits"),
    ("jsondecode(join(\"\", concat([for i in range(1000): \"[\"], [for i in range(1000): \"]\"])))", "nested too deeply"),
    ("file(\"/dev/zero\")", "not a regular file, and longer than 100 MiB"),
];

fn absurd_main(expr: &str) -> String {
    format!("locals {{\n  x = {expr}\n}}\noutput \"o\" {{\n  value = local.x\n}}\n")
}

#[test]
fn absurd_function_arguments_are_diagnostics() {
    for (expr, want) in ABSURD {
        if expr.contains("/dev/zero") && !std::path::Path::new("/dev/zero").exists() {
            continue;
        }
        let e = errors(&absurd_main(expr), None);
        assert!(e.contains(want), "{expr}: {e}");
        assert!(e.contains("/main.tf:2:"), "{expr}: {e}");
        assert!(e.contains(&format!("  2 |   x = {expr}\n")), "{expr}: {e}");
    }
}

#[test]
fn templates_are_bounded_as_a_whole() {
    let e = errors(
        &absurd_main("\"%{ for i in range(110) }${format(\"%1000000s\", i)}%{ endfor }\""),
        None,
    );
    assert!(e.contains("Template result too long"), "{e}");
    assert!(e.contains("/main.tf:2:"), "{e}");
    assert!(
        e.contains("more than the 100 MiB sakk builds for one string"),
        "{e}"
    );
    // templatefile renders through the same code.
    let h = Harness::new(&[(
        "t.tftpl",
        "%{ for i in range(110) }${format(\"%1000000s\", i)}%{ endfor }",
    )]);
    let t = h.path().join("t.tftpl");
    h.write(
        "main.tf",
        &absurd_main(&format!(
            "templatefile({:?}, {{}})",
            t.display().to_string()
        )),
    );
    let e = h.plan().errors();
    assert!(e.contains("Template result too long"), "{e}");
    assert!(e.contains("/main.tf:2:"), "{e}");
}

#[test]
fn numbers_squared_without_end_become_infinite() {
    // Each square doubles the length of the number's decimal text: twenty of them used to be a
    // 43 GB allocation when the result was printed.
    let mut expr = String::from("1e100000");
    for _ in 0..20 {
        expr = format!("[for x in [{expr}]: x * x][0]");
    }
    let p = plan(
        &[(
            "main.tf",
            &format!("output \"o\" {{\n  value = tostring({expr})\n}}\n"),
        )],
        None,
    );
    assert!(p.errors().is_empty(), "{}", p.errors());
    let o = p.evaluated.outputs.get("o").expect("output o");
    assert_eq!(o.value.as_str(), Some("+Inf"));
}

/// A value standing for 10^9 strings, in little memory: each level refers to the one below a
/// thousand times.
const LAUGHS: &str = "locals {\n  a = [for i in range(1000): \"xxxxxxxxxx\"]\n  b = [for i in range(1000): local.a]\n  c = [for i in range(1000): local.b]\n}\n";

#[test]
fn values_made_of_shared_parts_are_refused_where_they_would_be_copied() {
    let e = errors(
        &format!("{LAUGHS}output \"o\" {{\n  value = length(flatten(local.c))\n}}\n"),
        None,
    );
    assert!(e.contains("Invalid function argument"), "{e}");
    assert!(e.contains("/main.tf:7:26"), "{e}");
    assert!(
        e.contains("the flattened list would have more than 1000000 elements"),
        "{e}"
    );
    // Referring to it is fine: nothing is copied.
    let p = plan(
        &[(
            "main.tf",
            &format!("{LAUGHS}output \"o\" {{\n  value = length(local.c)\n}}\n"),
        )],
        None,
    );
    assert!(p.errors().is_empty(), "{}", p.errors());
}

/// The name of the child test, and the variable that tells it it is the child.
const CHILD: &str = "child_plans_absurd_inputs";
const CHILD_ENV: &str = "SAKK_LIMITS_CHILD";

/// Run by [`absurd_inputs_plan_in_little_memory`] in a process of its own.
#[test]
#[ignore = "run in a child process by absurd_inputs_plan_in_little_memory"]
fn child_plans_absurd_inputs() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let e = errors("resource \"mock_thing\" \"n\" {\n  count = 1e12\n}\n", None);
    assert!(e.contains("Invalid count argument"), "{e}");
    let e = errors(
        "module \"m\" {\n  source = \"./m\"\n  count = 1e12\n}\nresource \"mock_thing\" \"n\" {\n  for_each = range(1e7)\n}\n",
        None,
    );
    assert!(
        e.contains("Module directory not found") || e.contains("Invalid count"),
        "{e}"
    );
    for (expr, want) in ABSURD {
        if expr.contains("/dev/zero") {
            continue; // reads 100 MiB before refusing
        }
        let e = errors(&absurd_main(expr), None);
        assert!(e.contains(want), "{expr}: {e}");
    }
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let hwm_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    println!("max RSS {hwm_kb} kB");
    assert!(hwm_kb < 100 * 1024, "max RSS {hwm_kb} kB");
}

/// Plans `count = 1e12` and the [`ABSURD`] expressions in a child process whose address space
/// is limited to 1 GiB (so a regression fails rather than taking the machine down) and checks
/// its peak RSS stays under 100 MiB.
#[cfg(target_os = "linux")]
#[test]
fn absurd_inputs_plan_in_little_memory() {
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(exe)
        .args([
            "--exact",
            CHILD,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run the child");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("max RSS"),
        "the child test did not run: {text}"
    );
    assert!(text.contains("1 passed"), "{text}");
}
