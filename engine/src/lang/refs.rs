//! References: what an expression refers to (`var.x`, `module.m.out`, `aws_vpc.main.id`, ...).
//!
//! Both the graph builder (edges) and the evaluator (values) use [`reference_at`] to decide what a
//! traversal names, so the two can never disagree.

use super::ast::{Expr, ExprKind, TemplatePart, TraversalOp};
use crate::diag::{Diagnostic, Range};

/// Managed resource (`resource`) or data source (`data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Managed,
    Data,
}

/// The thing a reference names, before any further attribute or index steps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Var(String),
    Local(String),
    /// `module.NAME`: all instances of a module call (an object of outputs, or a tuple/map of
    /// them for count/for_each).
    Module(String),
    Resource {
        mode: Mode,
        type_: String,
        name: String,
    },
    CountIndex,
    EachKey,
    EachValue,
    PathModule,
    PathRoot,
    PathCwd,
    TerraformWorkspace,
    /// `self` (only valid in provisioner/connection blocks; kept so it can be diagnosed).
    SelfObject,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Var(n) => write!(f, "var.{n}"),
            Subject::Local(n) => write!(f, "local.{n}"),
            Subject::Module(n) => write!(f, "module.{n}"),
            Subject::Resource {
                mode: Mode::Managed,
                type_,
                name,
            } => write!(f, "{type_}.{name}"),
            Subject::Resource {
                mode: Mode::Data,
                type_,
                name,
            } => write!(f, "data.{type_}.{name}"),
            Subject::CountIndex => f.write_str("count.index"),
            Subject::EachKey => f.write_str("each.key"),
            Subject::EachValue => f.write_str("each.value"),
            Subject::PathModule => f.write_str("path.module"),
            Subject::PathRoot => f.write_str("path.root"),
            Subject::PathCwd => f.write_str("path.cwd"),
            Subject::TerraformWorkspace => f.write_str("terraform.workspace"),
            Subject::SelfObject => f.write_str("self"),
        }
    }
}

/// One reference found in an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference<'a> {
    pub subject: Subject,
    /// The range of the text naming the subject (`var.x`, `module.m`).
    pub range: Range,
    /// The traversal steps after the subject (`.out`, `[0].id`).
    pub rest: &'a [TraversalOp],
}

impl Reference<'_> {
    /// For `module.NAME.OUTPUT` / `module.NAME[KEY].OUTPUT`: the output name, when static.
    pub fn module_output(&self) -> Option<(&str, &Range)> {
        match self.rest {
            [TraversalOp::GetAttr(out, r), ..] => Some((out, r)),
            [TraversalOp::Index(_), TraversalOp::GetAttr(out, r), ..] => Some((out, r)),
            [TraversalOp::LegacyIndex(..), TraversalOp::GetAttr(out, r), ..] => Some((out, r)),
            _ => None,
        }
    }
}

/// Decides what `root` followed by `ops` refers to. `root_range` is the range of the root name.
/// Returns `Ok(None)` when `root` is not a reference root at all (that is for the caller to judge,
/// e.g. a for-expression variable), and an error for a malformed reference (`var` alone, `var[0]`).
pub fn reference_at<'a>(
    root: &str,
    root_range: &Range,
    ops: &'a [TraversalOp],
) -> Result<Option<Reference<'a>>, Diagnostic> {
    let attr = |i: usize| match ops.get(i) {
        Some(TraversalOp::GetAttr(name, r)) => Some((name.as_str(), r)),
        _ => None,
    };
    let need_attr = |i: usize, what: &str, example: &str| {
        attr(i).ok_or_else(|| {
            let at = ops.get(i).map(|o| o.range().clone()).unwrap_or_else(|| root_range.clone());
            Diagnostic::error(format!("Invalid reference: {root} needs {what}"))
                .at(&root_range.to(&at))
                .detail(format!(
                    "A reference starting with \"{root}\" must be followed by {what}, like {example}."
                ))
                .hint(format!("write it as {example}"))
        })
    };
    let mk = |subject: Subject, used: usize| {
        let end = if used == 0 {
            root_range.clone()
        } else {
            ops[used - 1].range().clone()
        };
        Reference {
            subject,
            range: root_range.to(&end),
            rest: &ops[used..],
        }
    };
    let r = match root {
        "var" => {
            let (n, _) = need_attr(0, "a variable name", "var.name")?;
            mk(Subject::Var(n.into()), 1)
        }
        "local" => {
            let (n, _) = need_attr(0, "a local value name", "local.name")?;
            mk(Subject::Local(n.into()), 1)
        }
        "module" => {
            let (n, _) = need_attr(0, "a module call name", "module.name.output")?;
            mk(Subject::Module(n.into()), 1)
        }
        "data" => {
            let (t, _) = need_attr(0, "a data source type and name", "data.type.name")?;
            let (n, _) = need_attr(1, "a data source type and name", "data.type.name")?;
            mk(
                Subject::Resource {
                    mode: Mode::Data,
                    type_: t.into(),
                    name: n.into(),
                },
                2,
            )
        }
        "count" => {
            let (n, _) = need_attr(0, "an attribute", "count.index")?;
            if n != "index" {
                return Err(Diagnostic::error("Invalid \"count\" attribute")
                    .at(&mk(Subject::CountIndex, 1).range)
                    .detail(format!("The \"count\" object does not have an attribute named \"{n}\". The only supported attribute is count.index, the index of the current instance."))
                    .hint("use count.index"));
            }
            mk(Subject::CountIndex, 1)
        }
        "each" => {
            let (n, _) = need_attr(0, "an attribute", "each.key or each.value")?;
            match n {
                "key" => mk(Subject::EachKey, 1),
                "value" => mk(Subject::EachValue, 1),
                _ => {
                    return Err(Diagnostic::error("Invalid \"each\" attribute")
                        .at(&mk(Subject::EachKey, 1).range)
                        .detail(format!("The \"each\" object does not have an attribute named \"{n}\". The supported attributes are each.key and each.value, the current key and value pair of the \"for_each\" attribute set."))
                        .hint("use each.key or each.value"))
                }
            }
        }
        "path" => {
            let (n, _) = need_attr(0, "an attribute", "path.module")?;
            let s = match n {
                "module" => Subject::PathModule,
                "root" => Subject::PathRoot,
                "cwd" => Subject::PathCwd,
                _ => {
                    return Err(Diagnostic::error("Invalid \"path\" attribute")
                        .at(&mk(Subject::PathModule, 1).range)
                        .detail(format!("The \"path\" object does not have an attribute named \"{n}\". The supported attributes are path.module, path.root and path.cwd."))
                        .hint("use path.module, path.root or path.cwd"))
                }
            };
            mk(s, 1)
        }
        "terraform" => {
            let (n, _) = need_attr(0, "an attribute", "terraform.workspace")?;
            if n != "workspace" {
                return Err(Diagnostic::error("Invalid \"terraform\" attribute")
                    .at(&mk(Subject::TerraformWorkspace, 1).range)
                    .detail(format!("The \"terraform\" object does not have an attribute named \"{n}\". The only supported attribute is terraform.workspace, the name of the currently-selected workspace."))
                    .hint("use terraform.workspace"));
            }
            mk(Subject::TerraformWorkspace, 1)
        }
        "self" => mk(Subject::SelfObject, 0),
        "resource" | "template" | "provider" | "lazy" | "arg" | "dependency" => {
            return Err(Diagnostic::error("Reserved symbol name")
                .at(root_range)
                .detail(format!(
                    "The symbol name \"{root}\" is reserved for future use."
                ))
                .hint("rename the object this refers to"))
        }
        _ => {
            // TYPE.NAME: a managed resource. A lone name (or one followed by an index) is not a
            // reference; the caller decides (it may be a for-expression variable).
            match attr(0) {
                Some((n, _)) => mk(
                    Subject::Resource {
                        mode: Mode::Managed,
                        type_: root.into(),
                        name: n.into(),
                    },
                    1,
                ),
                None => return Ok(None),
            }
        }
    };
    Ok(Some(r))
}

/// Splits an expression into a root variable name and its traversal steps, if it is one.
pub fn traversal_parts(e: &Expr) -> Option<(&str, &Range, &[TraversalOp])> {
    match &e.kind {
        ExprKind::Variable(v) => Some((v, &e.range, &[])),
        ExprKind::Traversal { base, ops } => match &base.kind {
            ExprKind::Variable(v) => Some((v, &base.range, ops)),
            _ => None,
        },
        _ => None,
    }
}

/// Every reference in `expr`, in source order. Names bound by for-expressions and template `for`
/// directives are local to them and are not references. Malformed references are reported in
/// `diags` and skipped.
pub fn references<'a>(expr: &'a Expr, diags: &mut Vec<Diagnostic>) -> Vec<Reference<'a>> {
    references_with(expr, &[], diags)
}

/// Like [`references`], with `bound` names (the iterators of enclosing dynamic blocks) local to
/// the expression: a traversal rooted at one of them is not a reference.
pub fn references_with<'a>(
    expr: &'a Expr,
    bound: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Reference<'a>> {
    let mut out = Vec::new();
    let mut bound: Vec<&str> = bound.to_vec();
    walk(expr, &mut bound, &mut out, diags);
    out
}

fn walk<'a: 'b, 'b>(
    e: &'a Expr,
    bound: &mut Vec<&'b str>,
    out: &mut Vec<Reference<'a>>,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some((root, rr, ops)) = traversal_parts(e) {
        if !bound.contains(&root) {
            match reference_at(root, rr, ops) {
                Ok(Some(r)) => out.push(r),
                Ok(None) => diags.push(unknown_name(root, rr)),
                Err(d) => diags.push(d),
            }
        }
        for op in ops {
            if let TraversalOp::Index(ix) = op {
                walk(ix, bound, out, diags);
            }
        }
        return;
    }
    match &e.kind {
        ExprKind::For(fe) => {
            walk(&fe.collection, bound, out, diags);
            let n = bound.len();
            if let Some(k) = &fe.key_var {
                bound.push(k);
            }
            bound.push(&fe.value_var);
            if let Some(k) = &fe.key_expr {
                walk(k, bound, out, diags);
            }
            walk(&fe.value_expr, bound, out, diags);
            if let Some(c) = &fe.cond {
                walk(c, bound, out, diags);
            }
            bound.truncate(n);
        }
        ExprKind::Template(parts) => walk_template(parts, bound, out, diags),
        _ => e.children(&mut |c| walk(c, bound, out, diags)),
    }
}

fn walk_template<'a: 'b, 'b>(
    parts: &'a [TemplatePart],
    bound: &mut Vec<&'b str>,
    out: &mut Vec<Reference<'a>>,
    diags: &mut Vec<Diagnostic>,
) {
    for p in parts {
        match p {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(e) => walk(e, bound, out, diags),
            TemplatePart::If {
                cond, then, other, ..
            } => {
                walk(cond, bound, out, diags);
                walk_template(then, bound, out, diags);
                walk_template(other, bound, out, diags);
            }
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
                ..
            } => {
                walk(collection, bound, out, diags);
                let n = bound.len();
                if let Some(k) = key_var {
                    bound.push(k);
                }
                bound.push(value_var);
                walk_template(body, bound, out, diags);
                bound.truncate(n);
            }
        }
    }
}

/// The diagnostic for a bare name that is neither a reference root nor a bound variable.
pub fn unknown_name(root: &str, range: &Range) -> Diagnostic {
    Diagnostic::error("Invalid reference")
        .at(range)
        .detail(format!(
            "A reference to a resource type must be followed by at least one attribute access, specifying the resource name; \"{root}\" alone is not a valid reference."
        ))
        .hint(format!(
            "to use a literal string, quote it: \"{root}\"; to refer to a variable, write var.{root}"
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::parse::parse_expr;

    fn refs(src: &str) -> (Vec<String>, Vec<Diagnostic>) {
        let e = parse_expr("t.tf".into(), src).expect("parses");
        let mut diags = Vec::new();
        let r = references(&e, &mut diags)
            .into_iter()
            .map(|r| r.subject.to_string())
            .collect();
        (r, diags)
    }

    #[test]
    fn finds_all_reference_kinds() {
        let (r, d) =
            refs("\"${var.a}-${local.b}\" == module.m[0].out ? data.aws_x.y.id : aws_vpc.main.id");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            r,
            vec![
                "var.a",
                "local.b",
                "module.m",
                "data.aws_x.y",
                "aws_vpc.main"
            ]
        );
    }

    #[test]
    fn for_variables_are_not_references() {
        let (r, d) = refs("{ for k, v in var.m : k => v.x if v != local.skip }");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(r, vec!["var.m", "local.skip"]);
        let (r, d) = refs("\"%{ for x in var.l }${x}%{ endfor }\"");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(r, vec!["var.l"]);
    }

    #[test]
    fn malformed_references_are_diagnosed() {
        let (_, d) = refs("var");
        assert_eq!(d.len(), 1);
        assert!(d[0].summary.contains("var needs a variable name"));
        let (_, d) = refs("count.idx");
        assert_eq!(d[0].summary, "Invalid \"count\" attribute");
        let (_, d) = refs("bare");
        assert_eq!(d[0].summary, "Invalid reference");
    }

    #[test]
    fn module_output_names() {
        let e = parse_expr("t.tf".into(), "module.m[\"k\"].vpc_id").expect("parses");
        let mut d = Vec::new();
        let r = references(&e, &mut d);
        assert_eq!(r[0].module_output().map(|x| x.0), Some("vpc_id"));
    }
}
