//! Table-driven evaluator tests. `lang_eval_oracle.txt` holds, for each expression, what
//! `terraform console` (Terraform 1.0.3) printed for it: the value, or
//! `ERR: <summary> | <detail...>` for errors. It was produced by feeding each expression to
//! `terraform console` and normalising the error box; regenerate it the same way.

use engine::diag::{Diagnostic, Range};
use engine::lang::eval::{eval, EvalContext, Scope};
use engine::lang::funcs::Registry;
use engine::lang::number::Number;
use engine::lang::parse::parse_expr;
use engine::lang::refs::Subject;
use engine::lang::types::Type;
use engine::lang::value::Value;

/// A scope like `terraform console` in an empty configuration, plus a few variables for the
/// unknown/sensitive tests.
struct TestScope;

impl Scope for TestScope {
    fn get(&self, subject: &Subject, range: &Range) -> Result<Value, Diagnostic> {
        match subject {
            Subject::Var(n) => match n.as_str() {
                "unknown_s" => Ok(Value::unknown(Type::String)),
                "unknown_n" => Ok(Value::unknown(Type::Number)),
                "unknown_b" => Ok(Value::unknown(Type::Bool)),
                "unknown_l" => Ok(Value::unknown(Type::list(Type::String))),
                "unknown_any" => Ok(Value::unknown_dynamic()),
                "secret" => Ok(Value::string("hunter2").mark_sensitive()),
                "list" => Ok(Value::list(
                    Type::String,
                    vec![Value::string("a"), Value::unknown(Type::String)],
                )),
                "obj" => Ok(Value::object(vec![
                    ("id".into(), Value::unknown(Type::String)),
                    ("name".into(), Value::string("n")),
                ])),
                _ => Err(Diagnostic::error("Reference to undeclared input variable").at(range)),
            },
            _ => Err(Diagnostic::error("Reference not available").at(range)),
        }
    }
}

fn run(src: &str) -> String {
    let funcs = Registry::builtins();
    let scope = TestScope;
    let ctx = EvalContext::new(&scope, &funcs);
    let e = match parse_expr("<console-input>".into(), src) {
        Ok(e) => e,
        Err(d) => return format!("PARSE: {}", d.summary),
    };
    match eval(&e, &ctx) {
        Ok(v) => v.to_string(),
        Err(ds) => {
            let first = ds
                .iter()
                .next()
                .map(|d| d.summary.clone())
                .unwrap_or_default();
            let details: Vec<String> = ds
                .iter()
                .map(|d| d.detail.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            format!("ERR: {first} | {}", details.join(" "))
        }
    }
}

#[test]
fn matches_terraform_console() {
    let oracle = include_str!("lang_eval_oracle.txt");
    let mut cases: Vec<(String, String)> = Vec::new();
    for line in oracle.lines() {
        if let Some(expr) = line.strip_prefix("=== ") {
            cases.push((expr.to_string(), String::new()));
        } else if let Some(last) = cases.last_mut() {
            if !last.1.is_empty() {
                last.1.push('\n');
            }
            last.1.push_str(line);
        }
    }
    assert!(cases.len() > 100);
    let mut failures = Vec::new();
    for (expr, want) in &cases {
        let got = run(expr);
        if &got != want {
            failures.push(format!("--- {expr}\nwant: {want}\ngot:  {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn is_unknown(src: &str, ty: &Type) {
    let funcs = Registry::builtins();
    let ctx = EvalContext::new(&TestScope, &funcs);
    let e = parse_expr("t.tf".into(), src).expect("parses");
    let v = eval(&e, &ctx).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    assert!(!v.is_known(), "{src} should be unknown, got {v}");
    assert_eq!(&v.ty(), ty, "{src}");
}

#[test]
fn unknowns_propagate() {
    is_unknown("var.unknown_n + 1", &Type::Number);
    is_unknown("\"a-${var.unknown_s}\"", &Type::String);
    is_unknown("var.unknown_b ? \"x\" : \"y\"", &Type::String);
    is_unknown("var.unknown_b ? 1 : \"y\"", &Type::String);
    is_unknown("var.unknown_b || true", &Type::Bool);
    is_unknown("var.unknown_s == \"a\"", &Type::Bool);
    is_unknown("upper(var.unknown_s)", &Type::String);
    is_unknown("var.unknown_l[0]", &Type::String);
    is_unknown("var.list[1]", &Type::String);
    is_unknown("var.obj.id", &Type::String);
    is_unknown("[for x in var.unknown_l: x]", &Type::Dynamic);
    is_unknown("var.unknown_any.foo[3]", &Type::Dynamic);
    is_unknown("length(var.unknown_l)", &Type::Number);
    is_unknown("\"%{for x in var.unknown_l}${x}%{endfor}\"", &Type::String);
    // An unknown of another type is known to be unequal.
    assert_eq!(run("var.unknown_s == 1"), "false");
    // Known parts stay known.
    assert_eq!(run("var.list[0]"), "\"a\"");
    assert_eq!(run("length(var.list)"), "2");
    assert_eq!(run("var.obj.name"), "\"n\"");
    assert_eq!(run("[for x in var.list: x][0]"), "\"a\"");
}

#[test]
fn sensitive_marks_propagate() {
    for src in [
        "var.secret",
        "\"x${var.secret}\"",
        "upper(var.secret)",
        "var.secret == \"a\"",
        "{for k in [1]: k => var.secret}[\"1\"]",
        "[var.secret][0]",
        "{a = var.secret}.a",
        "length(var.secret)",
        "{(var.secret) = 1}",
        "[for x in [1]: x if var.secret != \"\"]",
        "toset([var.secret])",
    ] {
        assert_eq!(run(src), "(sensitive)", "{src}");
    }
    assert_eq!(run("[var.secret]"), "[\n  (sensitive),\n]");
    assert_eq!(run("tolist([var.secret])"), "tolist([\n  (sensitive),\n])");
    assert_eq!(run("length([var.secret])"), "1");
    assert_eq!(run("var.secret != \"\" ? 1 : 2"), "1");
}

fn value_of(src: &str) -> Value {
    // Every function (`yamlencode` is not among the core ones); no file is read.
    let funcs = Registry::for_module(std::path::Path::new("."));
    let ctx = EvalContext::new(&TestScope, &funcs);
    let e = parse_expr("t.tf".into(), src).expect("parses");
    eval(&e, &ctx).unwrap_or_else(|d| panic!("{src}: {d:?}"))
}

/// `nonsensitive()` leaves a second mark, "declassified", that travels like the sensitive mark
/// through operators, templates, `for`, collections and functions, but never hides a value.
#[test]
fn declassified_marks_propagate_and_never_hide() {
    for src in [
        "nonsensitive(var.secret)",
        "\"x${nonsensitive(var.secret)}\"",
        "\"%{for c in [1]}${nonsensitive(var.secret)}%{endfor}\"",
        "upper(nonsensitive(var.secret))",
        "nonsensitive(var.secret) == \"a\"",
        "{for k in [1]: k => nonsensitive(var.secret)}[\"1\"]",
        "[nonsensitive(var.secret)][0]",
        "{a = nonsensitive(var.secret)}.a",
        "length(nonsensitive(var.secret))",
        "jsonencode({ pw = nonsensitive(var.secret) })",
        "yamlencode({ pw = nonsensitive(var.secret) })",
        "toset([nonsensitive(var.secret)])",
        "nonsensitive(sensitive(\"public\"))",
    ] {
        let v = value_of(src);
        assert!(v.is_declassified(), "{src}: {v:?}");
        assert!(!v.is_sensitive_deep(), "{src}");
        assert_ne!(v.to_string(), "(sensitive)", "{src}");
    }
    assert_eq!(
        value_of("jsonencode({ pw = nonsensitive(var.secret) })").as_str(),
        Some(r#"{"pw":"hunter2"}"#)
    );
    // Inside collections the mark stays on the element.
    let l = value_of("[for x in [1]: nonsensitive(var.secret)]");
    assert!(!l.is_declassified() && l.marks_deep().is_declassified());
    assert_eq!(l.to_string(), "[\n  \"hunter2\",\n]");
    // Mixed with a secret: sensitive, whatever was declassified.
    for src in [
        "\"${nonsensitive(var.secret)}${var.secret}\"",
        "jsonencode([nonsensitive(var.secret), var.secret])",
        "sensitive(nonsensitive(var.secret))",
    ] {
        let v = value_of(src);
        assert!(v.is_sensitive() && !v.is_declassified(), "{src}");
        assert_eq!(v.to_string(), "(sensitive)", "{src}");
    }
    // Only part declassified: the rest stays sensitive.
    let partial = value_of("{ a = nonsensitive(var.secret), b = var.secret }");
    assert!(partial.is_sensitive_deep());
    assert!(partial.get_attr("a").is_some_and(Value::is_declassified));
    // A condition's marks do not reach the result, as for the sensitive mark (Terraform 1.0).
    assert!(!value_of("nonsensitive(var.secret) != \"\" ? \"y\" : \"n\"").is_marked());
    // Twice is redundant, as in Terraform.
    assert!(run("nonsensitive(nonsensitive(var.secret))").starts_with("ERR: "));
}

#[test]
fn errors_have_ranges_and_hints() {
    let funcs = Registry::builtins();
    let ctx = EvalContext::new(&TestScope, &funcs);
    let e = parse_expr("t.tf".into(), "upper(1) + {abc = 1}.abd").expect("parses");
    let ds = eval(&e, &ctx).unwrap_err();
    let d = ds.iter().next().expect("one error");
    assert_eq!(d.summary, "Unsupported attribute");
    let r = d.range.as_ref().expect("range");
    assert_eq!((r.start.column, r.end.column), (21, 25));
    assert_eq!(d.hint.as_deref(), Some("did you mean \"abc\"?"));
    let e = parse_expr("t.tf".into(), "lenght([])").expect("parses");
    let d = eval(&e, &ctx).unwrap_err().0.remove(0);
    assert_eq!(d.hint.as_deref(), Some("did you mean length(...)?"));
    assert_eq!(
        d.range.map(|r| (r.start.column, r.end.column)),
        Some((1, 7))
    );
}

#[test]
fn numbers_are_exact() {
    let n = Number::parse("9007199254740993").expect("n");
    assert_eq!(Value::number(n).to_json().unwrap(), "9007199254740993");
    assert_eq!(run("0.1 + 0.2 == 0.3"), "true");
}

#[test]
fn big_collections_are_cheap() {
    // 20,000 instances: building, cloning and looking up must be fast.
    let items: Vec<(String, Value)> = (0..20_000)
        .map(|i| {
            (
                format!("k{i}"),
                Value::object(vec![("id".into(), Value::string(format!("id-{i}")))]),
            )
        })
        .collect();
    let m = Value::object(items);
    let t = std::time::Instant::now();
    for i in 0..20_000 {
        let c = m.clone();
        let v = c
            .get_attr(&format!("k{i}"))
            .and_then(|o| o.get_attr("id"))
            .cloned();
        assert!(v.is_some());
        let _ = c.ty();
    }
    assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
}

/// Values and types as `terraform output -json` prints them (checked against Terraform 1.0.3).
#[test]
fn output_json_like_terraform() {
    let cases = [
        (
            r#"{b = [1, "x", null], a = toset(["q", "p"]), c = tomap({z = 1/3})}"#,
            r#"["object",{"a":["set","string"],"b":["tuple",["number","string","dynamic"]],"c":["map","number"]}]"#,
            r#"{"a":["p","q"],"b":[1,"x",null],"c":{"z":0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335}}"#,
        ),
        (
            r#""<a & b>\n\t\u2028é""#,
            r#""string""#,
            r#""\u003ca \u0026 b\u003e\n\t\u2028é""#,
        ),
        (
            "tolist([{k = true}])",
            r#"["list",["object",{"k":"bool"}]]"#,
            r#"[{"k":true}]"#,
        ),
        ("[]", r#"["tuple",[]]"#, "[]"),
    ];
    let funcs = Registry::builtins();
    let ctx = EvalContext::new(&TestScope, &funcs);
    for (src, ty, val) in cases {
        let e = parse_expr("t.tf".into(), src).expect("parses");
        let v = eval(&e, &ctx).expect("evaluates");
        assert_eq!(v.ty().to_json().to_string(), ty, "{src}");
        assert_eq!(v.to_json().unwrap(), val, "{src}");
        let back = Value::from_json_with_type(val, &v.ty()).expect("reads back");
        assert_eq!(back.to_json().unwrap(), val, "{src}");
    }
}

#[test]
fn big_sets_are_linear() {
    let items: Vec<Value> = (0..40_000)
        .map(|i| Value::string(format!("k{}", i % 20_000)))
        .collect();
    let t = std::time::Instant::now();
    let s = Value::set(Type::String, items);
    assert_eq!(s.length(), Some(20_000));
    assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
}
