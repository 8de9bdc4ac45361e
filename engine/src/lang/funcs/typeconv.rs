//! Type-conversion functions: `tobool`, `tolist`, `tomap`, `tonumber`, `toset`, `tostring`,
//! `sensitive`, `nonsensitive`, the experiment-only `defaults`, and the lazily-evaluated `try`
//! and `can`, which the evaluator calls through [`try_can`].

use super::{FuncError, Function, Param, Registry};
use crate::lang::convert;
use crate::lang::types::Type;
use crate::lang::value::{Marks, Value};

/// Registers this group's functions (`try` and `can` are evaluator special forms, see
/// [`try_can`]).
pub fn register(r: &mut Registry) {
    r.register("tostring", to_func(Type::String));
    r.register("tonumber", to_func(Type::Number));
    r.register("tobool", to_func(Type::Bool));
    r.register("tolist", to_func(Type::list(Type::Dynamic)));
    r.register("toset", to_func(Type::set(Type::Dynamic)));
    r.register("tomap", to_func(Type::map(Type::Dynamic)));
    r.register(
        "sensitive",
        Function::new(
            vec![any("value")],
            |a| Ok(a[0].ty()),
            |a, _| Ok(a[0].clone().mark_sensitive()),
        ),
    );
    r.register(
        "nonsensitive",
        Function::new(
            vec![any("value")],
            |a| Ok(a[0].ty()),
            |a, _| nonsensitive_impl(a),
        ),
    );
    r.register("defaults", defaults_experimental());
}

/// A parameter taking anything: null, unknown, of unknown type, marked.
fn any(name: &'static str) -> Param {
    Param::new(name, Type::Dynamic)
        .allow_null()
        .allow_unknown()
        .allow_dynamic_type()
        .allow_marked()
}

/// Terraform's `MakeToFunc`: `tostring`, `tonumber`, `tobool`, `tolist`, `toset`, `tomap`.
/// As in Terraform 1.0, a null or unknown argument of unknown type passes through unchanged.
fn to_func(want: Type) -> Function {
    let want2 = want.clone();
    Function::new(
        vec![Param::new("v", Type::Dynamic).allow_null().allow_marked()],
        move |a| {
            let got = a[0].ty();
            if got == want {
                return Ok(want.clone());
            }
            if !convert::can_convert(&got, &want, true) {
                let msg = match (&got, &want) {
                    (Type::Tuple(_), Type::Tuple(_)) => format!(
                        "incompatible tuple type for conversion: {}",
                        convert::mismatch_message(&got, &want)
                    ),
                    (Type::Object(_), Type::Object(_)) => format!(
                        "incompatible object type for conversion: {}",
                        convert::mismatch_message(&got, &want)
                    ),
                    _ => format!(
                        "cannot convert {} to {}",
                        got.friendly_name(),
                        friendly_to(&want)
                    ),
                };
                return Err(FuncError::arg(0, msg));
            }
            Ok(want.clone())
        },
        move |a, ret| {
            convert::convert(&a[0], ret).map_err(|_| {
                let (val, _) = a[0].clone().unmark_deep();
                let got = val.ty();
                let what = || val.as_str().map(|s| format!("{s:?}")).unwrap_or_else(|| "string".into());
                let msg = if a[0].is_sensitive_deep() {
                    format!("cannot convert this sensitive {} to {}", got.friendly_name(), friendly_to(&want2))
                } else if got == Type::String && want2 == Type::Bool {
                    format!("cannot convert {} to bool; only the strings \"true\" or \"false\" are allowed", what())
                } else if got == Type::String && want2 == Type::Number {
                    format!("cannot convert {} to number; given string must be a decimal representation of a number", what())
                } else {
                    format!("cannot convert {} to {}", got.friendly_name(), friendly_to(&want2))
                };
                FuncError::arg(0, msg)
            })
        },
    )
}

/// `list of any single type` for `list(any)`, as cty's `FriendlyNameForConstraint`.
fn friendly_to(t: &Type) -> String {
    match t {
        Type::List(e) if e.is_dynamic() => "list of any single type".into(),
        Type::Set(e) if e.is_dynamic() => "set of any single type".into(),
        Type::Map(e) if e.is_dynamic() => "map of any single type".into(),
        t => t.friendly_name_for_constraint(),
    }
}

fn nonsensitive_impl(args: &[Value]) -> Result<Value, FuncError> {
    let a = args.first().cloned().unwrap_or_else(Value::null_dynamic);
    if a.is_known() && !a.is_sensitive() {
        return Err(FuncError::arg(
            0,
            "the given value is not sensitive, so this call is redundant",
        ));
    }
    // Only the top-level sensitive mark goes (as in Terraform: a sensitive element of a
    // collection stays sensitive); what was sensitive is marked declassified, so the plan can
    // say so.
    let was_sensitive = a.is_sensitive();
    let (v, marks) = a.unmark();
    let v = v.mark(marks.without(Marks::SENSITIVE));
    Ok(if was_sensitive {
        v.mark_declassified()
    } else {
        v
    })
}

/// Terraform 1.0's `defaults` exists only with the `module_variable_optional_attrs`
/// experiment, which sakk does not implement: every call fails as it does without it.
fn defaults_experimental() -> Function {
    Function::new(
        vec![any("input"), any("defaults")],
        |_| Ok(Type::Dynamic),
        |_, _| {
            Err(FuncError::new(
                "this function is experimental and available only when the experiment keyword module_variable_optional_attrs is enabled for the current module",
            ))
        },
    )
}

// ---------------------------------------------------------------------------------------------
// try / can: evaluator special forms
// ---------------------------------------------------------------------------------------------

/// The outcome of evaluating one argument expression of `try`/`can`, as the evaluator reports
/// it to [`try_can`].
pub enum LazyArg {
    /// The expression evaluated to this value without error diagnostics.
    Value(Value),
    /// Evaluating the expression produced error diagnostics.
    Error,
}

/// The result of [`try_can`].
#[derive(Debug)]
pub enum TryCanOutcome {
    /// The call's value.
    Value(Value),
    /// An error, to be reported as `Call to function "<name>" failed: <msg>.` (or, for the
    /// errors carrying an index, `Invalid value for "expressions" parameter`).
    Error(FuncError),
}

/// `try` and `can` as HCL's `tryfunc` evaluates them. Their arguments must be evaluated lazily,
/// so the evaluator handles a call named `try` or `can` itself: it evaluates the argument
/// expressions one at a time, in order, and hands each outcome to `next`'s caller through the
/// `eval` callback, which receives the argument index and returns [`LazyArg`].
///
/// * `try`: the first argument that evaluates without errors to a *wholly known* value is the
///   result; an argument whose value is not wholly known makes the result unknown (of the
///   dynamic type) without looking further; if all fail, the error is
///   "no expression succeeded" (with the first failure's diagnostics in Terraform's detail).
///   At least one argument is required.
/// * `can`: exactly one argument; `true` if it evaluates without errors, unknown bool if its
///   value is not wholly known, else `false`.
///
/// Reference errors (to undeclared objects) are not caught by Terraform either; the evaluator
/// reports them at validation before calling this.
pub fn try_can(name: &str, nargs: usize, mut eval: impl FnMut(usize) -> LazyArg) -> TryCanOutcome {
    if name == "can" {
        if nargs != 1 {
            return TryCanOutcome::Error(FuncError::new(format!(
                "Function \"can\" expects 1 argument(s), {nargs} given"
            )));
        }
        return match eval(0) {
            LazyArg::Value(v) if !v.is_wholly_known() => {
                TryCanOutcome::Value(Value::unknown(Type::Bool))
            }
            LazyArg::Value(_) => TryCanOutcome::Value(Value::bool(true)),
            LazyArg::Error => TryCanOutcome::Value(Value::bool(false)),
        };
    }
    if nargs == 0 {
        return TryCanOutcome::Error(FuncError::new("at least one argument is required"));
    }
    for i in 0..nargs {
        match eval(i) {
            LazyArg::Value(v) if !v.is_wholly_known() => {
                return TryCanOutcome::Value(Value::unknown(Type::Dynamic))
            }
            LazyArg::Value(v) => return TryCanOutcome::Value(v),
            LazyArg::Error => {}
        }
    }
    TryCanOutcome::Error(FuncError::new("no expression succeeded"))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn r(name: &str, args: Vec<Value>) -> String {
        run(name, args)
    }

    #[test]
    fn to_primitives() {
        assert_eq!(r("tostring", vec![n("1.50")]), "\"1.5\"");
        assert_eq!(r("tostring", vec![b(true)]), "\"true\"");
        assert_eq!(r("tonumber", vec![s("12")]), "12");
        assert_eq!(
            r("tonumber", vec![s("no")]),
            "ERR[0]: cannot convert \"no\" to number; given string must be a decimal representation of a number"
        );
        assert_eq!(
            r("tobool", vec![s("yes")]),
            "ERR[0]: cannot convert \"yes\" to bool; only the strings \"true\" or \"false\" are allowed"
        );
        assert_eq!(r("tobool", vec![s("true")]), "true");
        assert_eq!(
            r("tostring", vec![strs(&["a"])]),
            "ERR[0]: cannot convert list of string to string"
        );
        assert_eq!(
            r("tonumber", vec![b(true)]),
            "ERR[0]: cannot convert bool to number"
        );
        // A null of unknown type passes through (terraform console: `tonumber(null)` is `null`).
        assert_eq!(r("tonumber", vec![Value::null_dynamic()]), "null");
        assert_eq!(
            r("tostring", vec![Value::unknown(Type::Number)]),
            "(known after apply)"
        );
        assert_eq!(
            r("tonumber", vec![s("x").mark_sensitive()]),
            "ERR[0]: cannot convert this sensitive string to number"
        );
        assert_eq!(r("tonumber", vec![s("5").mark_sensitive()]), "(sensitive)");
    }

    #[test]
    fn to_collections() {
        let (v, t) = run_ty("tolist", vec![tup(vec![s("a"), n("1")])]);
        assert_eq!(v, "tolist([\n  \"a\",\n  \"1\",\n])");
        assert_eq!(t, "list(string)");
        let (v, _) = run_ty("toset", vec![tup(vec![s("b"), s("a"), s("b")])]);
        assert_eq!(v, "toset([\n  \"a\",\n  \"b\",\n])");
        let (v, t) = run_ty("tomap", vec![obj(vec![("a", n("1")), ("b", b(true))])]);
        assert_eq!(v, "ERR: cannot convert object to map of any single type");
        assert_eq!(t, "");
        let (_, t) = run_ty("tomap", vec![obj(vec![("a", n("1")), ("b", s("x"))])]);
        assert_eq!(t, "map(string)");
        assert_eq!(
            r("tolist", vec![tup(vec![s("a"), tup(vec![])])]),
            "ERR[0]: cannot convert tuple to list of any single type"
        );
        let (_, t) = run_ty("tolist", vec![tup(vec![])]);
        assert_eq!(t, "list(any)");
    }

    #[test]
    fn sensitive_marks() {
        assert_eq!(r("sensitive", vec![s("x")]), "(sensitive)");
        assert_eq!(r("nonsensitive", vec![s("x").mark_sensitive()]), "\"x\"");
        assert_eq!(
            r("nonsensitive", vec![s("x")]),
            "ERR[0]: the given value is not sensitive, so this call is redundant"
        );
        assert_eq!(
            r("nonsensitive", vec![Value::unknown(Type::String)]),
            "(known after apply)"
        );
    }

    #[test]
    fn nonsensitive_declassifies_the_top_level_only() {
        let f = Registry::builtins();
        let call = |name: &str, v: Value| f.get(name).expect(name).call(vec![v]).expect(name);
        let d = call("nonsensitive", s("x").mark_sensitive());
        assert!(d.is_declassified() && !d.is_sensitive());
        // Twice is redundant, as in Terraform: declassified is not sensitive.
        assert!(f
            .get("nonsensitive")
            .expect("f")
            .call(vec![d.clone()])
            .is_err());
        // A sensitive element of a collection stays sensitive.
        let l = Value::tuple(vec![s("a").mark_sensitive()]).mark_sensitive();
        let out = call("nonsensitive", l);
        assert!(out.is_declassified() && out.is_sensitive_deep());
        // sensitive() again wins over the annotation.
        let again = call("sensitive", d);
        assert!(again.is_sensitive() && !again.is_declassified());
        // An unknown that was not sensitive has nothing to declassify.
        let u = call("nonsensitive", Value::unknown(Type::String));
        assert!(!u.marks().is_declassified());
        let u = call(
            "nonsensitive",
            Value::unknown(Type::String).mark_sensitive(),
        );
        assert!(u.is_declassified() && !u.is_known());
    }

    #[test]
    fn try_and_can() {
        let vals = [LazyArg::Error, LazyArg::Value(s("ok"))];
        let mut it = vals.into_iter();
        match try_can("try", 2, |_| it.next().unwrap_or(LazyArg::Error)) {
            TryCanOutcome::Value(v) => assert_eq!(v.to_string(), "\"ok\""),
            TryCanOutcome::Error(e) => panic!("{e}"),
        }
        match try_can("try", 1, |_| LazyArg::Error) {
            TryCanOutcome::Error(e) => assert_eq!(e.message, "no expression succeeded"),
            TryCanOutcome::Value(v) => panic!("{v}"),
        }
        match try_can("can", 1, |_| LazyArg::Value(Value::unknown(Type::String))) {
            TryCanOutcome::Value(v) => assert!(!v.is_known()),
            TryCanOutcome::Error(e) => panic!("{e}"),
        }
        match try_can("can", 1, |_| LazyArg::Error) {
            TryCanOutcome::Value(v) => assert_eq!(v.as_bool(), Some(false)),
            TryCanOutcome::Error(e) => panic!("{e}"),
        }
    }
}
