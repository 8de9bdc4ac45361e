//! JSON syntax (`*.tf.json`), lowered into the same [`ast`](super::ast) as native syntax.
//!
//! As in HCL's JSON syntax, strings are templates (`"${var.x}"`), and whether an object is a
//! block or an attribute value depends on where it appears: the top level and the bodies of
//! known block types (`variable`, `output`, `resource`, ...) are decoded as blocks with labels
//! taken from the nesting of object keys; everything else is an attribute. Keys named `//` are
//! comments. Bodies keep a `json` flag: the nested blocks of resource, data and provider bodies
//! depend on the provider's schema, so [`with_block_types`] reinterprets their attributes when
//! the schema is known. References in meta-arguments (`depends_on`, `provider`,
//! `ignore_changes`, ...) are written as strings and parsed here.

use super::ast::*;
use crate::diag::{Diagnostic, LineIndex, Range};
use std::sync::Arc;

/// A parsed JSON value with its range.
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<(J, Range)>),
    Object(Vec<(String, Range, J, Range)>),
}

/// Block types and how many labels each takes at the top level of a file.
fn top_level_labels(kind: &str) -> Option<usize> {
    Some(match kind {
        "terraform" | "locals" => 0,
        "variable" | "output" | "module" | "provider" => 1,
        "resource" | "data" => 2,
        "moved" | "import" | "check" => 0,
        _ => return None,
    })
}

/// Nested blocks known inside a block type (name, number of labels).
fn nested_blocks(kind: &str) -> &'static [(&'static str, usize)] {
    match kind {
        "terraform" => &[("required_providers", 0), ("backend", 1)],
        "variable" => &[("validation", 0)],
        "resource" | "data" => &[("lifecycle", 0)],
        _ => &[],
    }
}

pub fn parse_body(filename: Arc<str>, src: Arc<str>) -> Result<Body, Diagnostic> {
    let idx = LineIndex::new(filename.clone(), src.clone());
    let mut p = Parser {
        s: src.as_bytes(),
        i: 0,
        idx: &idx,
    };
    p.ws();
    let (root, root_range) = p.value()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err(
            "Extra characters after the JSON value",
            "remove everything after the closing brace",
        ));
    }
    let J::Object(items) = root else {
        return Err(Diagnostic::error("Invalid JSON configuration")
            .at(&root_range)
            .detail("The root of a .tf.json file must be a JSON object whose keys are block types.")
            .hint("wrap the content in { ... }"));
    };
    let mut body = Body {
        attributes: Vec::new(),
        blocks: Vec::new(),
        range: root_range,
        json: true,
    };
    for (key, krange, val, vrange) in items {
        if key == "//" {
            continue;
        }
        match top_level_labels(&key) {
            Some(n) => blocks(
                &key,
                &krange,
                n,
                Vec::new(),
                &val,
                &vrange,
                &filename,
                &mut body,
            )?,
            None => {
                // Let the config decoder report the unknown block type with its location.
                body.blocks.push(Block {
                    kind: key.clone(),
                    kind_range: krange.clone(),
                    labels: Vec::new(),
                    label_ranges: Vec::new(),
                    body: Body::default(),
                    def_range: krange.clone(),
                    range: krange.to(&vrange),
                })
            }
        }
    }
    Ok(body)
}

/// Decodes `val` as the body (or bodies) of blocks of `kind`, consuming `labels_left` levels of
/// object keys as labels first.
#[allow(clippy::too_many_arguments)]
fn blocks(
    kind: &str,
    krange: &Range,
    labels_left: usize,
    labels: Vec<(String, Range)>,
    val: &J,
    vrange: &Range,
    filename: &Arc<str>,
    out: &mut Body,
) -> Result<(), Diagnostic> {
    if labels_left > 0 {
        let J::Object(items) = val else {
            return Err(Diagnostic::error(format!("Invalid {kind} block"))
                .at(vrange)
                .detail(format!(
                    "A {kind} block in JSON is an object keyed by its label(s)."
                ))
                .hint(format!("write it as \"{kind}\": {{ \"name\": {{ ... }} }}")));
        };
        for (k, kr, v, vr) in items {
            if k == "//" {
                continue;
            }
            let mut l = labels.clone();
            l.push((k.clone(), kr.clone()));
            blocks(kind, krange, labels_left - 1, l, v, vr, filename, out)?;
        }
        return Ok(());
    }
    // An array gives several blocks of the same type and labels.
    let bodies: Vec<(&J, &Range)> = match val {
        J::Array(items) => items.iter().map(|(j, r)| (j, r)).collect(),
        _ => vec![(val, vrange)],
    };
    for (b, br) in bodies {
        let J::Object(items) = b else {
            return Err(Diagnostic::error(format!("Invalid {kind} block"))
                .at(br)
                .detail(format!("The body of a {kind} block must be a JSON object."))
                .hint("use { ... }"));
        };
        let mut body = Body {
            attributes: Vec::new(),
            blocks: Vec::new(),
            range: br.clone(),
            json: true,
        };
        let nested = nested_blocks(kind);
        for (k, kr, v, vr) in items {
            if k == "//" {
                continue;
            }
            if let Some((_, n)) = nested.iter().find(|(name, _)| *name == k) {
                blocks(k, kr, *n, Vec::new(), v, vr, filename, &mut body)?;
            } else {
                let mut e = expr(v, vr, filename)?;
                if takes_references(kind, k) {
                    strings_as_references(&mut e, filename);
                }
                body.attributes.push(Attribute {
                    name: k.clone(),
                    name_range: kr.clone(),
                    expr: e,
                    range: kr.to(vr),
                });
            }
        }
        out.blocks.push(Block {
            kind: kind.to_string(),
            kind_range: krange.clone(),
            labels: labels.iter().map(|(l, _)| l.clone()).collect(),
            label_ranges: labels.iter().map(|(_, r)| r.clone()).collect(),
            body,
            def_range: krange.clone(),
            range: krange.to(br),
        });
    }
    Ok(())
}

/// Meta-arguments whose values are references, not values (`depends_on = [aws_vpc.main]`):
/// in JSON they are written as strings holding the reference (`["aws_vpc.main"]`), as HCL's
/// `AbsTraversalForExpr` reads them.
fn takes_references(kind: &str, name: &str) -> bool {
    matches!(
        (kind, name),
        ("resource" | "data" | "module" | "output", "depends_on")
            | ("resource" | "data", "provider")
            | ("module", "providers")
            | ("lifecycle", "ignore_changes" | "replace_triggered_by")
    )
}

/// Parses a string (or each string of an array, or each string value of an object: a module's
/// `providers`) as the expression it spells, in place; a string that is not an expression is
/// left for the decoder to report.
fn strings_as_references(e: &mut Expr, filename: &Arc<str>) {
    match &mut e.kind {
        ExprKind::String(s) => {
            if let Ok(mut parsed) = super::parse::parse_expr(filename.clone(), s) {
                relocate(&mut parsed, &e.range);
                *e = parsed;
            }
        }
        ExprKind::Tuple(items) => {
            for it in items {
                if let ExprKind::String(_) = it.kind {
                    strings_as_references(it, filename);
                }
            }
        }
        ExprKind::Object(items) => {
            for it in items {
                if let ExprKind::String(_) = it.value.kind {
                    strings_as_references(&mut it.value, filename);
                }
            }
        }
        _ => {}
    }
}

/// The nested block types a JSON body is decoded with (a provider schema's blocks): HCL's JSON
/// syntax cannot tell a block from an object-valued argument without them.
pub trait BlockTypes {
    /// The block types inside blocks of type `name`, if `name` is a nested block type here.
    fn nested(&self, name: &str) -> Option<&dyn BlockTypes>;
}

/// Reinterprets a body written in JSON syntax with the block types of `types`, as HCL's JSON
/// syntax does when hcldec decodes it with a schema: a property named like a nested block type is
/// one block (an object), several blocks in order (an array of objects) or none (`null` or `[]`);
/// `dynamic` is always a block type, keyed by the generated block type (an object, or an array of
/// such objects), each an object (or an array of objects) with `for_each`, `iterator` (a name in
/// a string), `labels` and `content` (a block of the generated type). Nested blocks are
/// reinterpreted with their own block types; everything else stays an argument. Bodies not
/// written in JSON are returned unchanged.
pub fn with_block_types(body: &Body, types: &dyn BlockTypes) -> Result<Body, Vec<Diagnostic>> {
    if !body.json {
        return Ok(body.clone());
    }
    let mut errors = Vec::new();
    let out = reinterpret(body, types, false, &mut errors);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The block types of the syntax alone: every object-valued property may be a block (so a
/// `dynamic` property inside it is found), and `dynamic` is a dynamic block. For the dependency
/// graph, which is built before provider schemas are known: the references of a body are the
/// same whichever of its object-valued properties are blocks, except that a dynamic block's
/// iterator is a local name.
pub struct AnyObject;

impl BlockTypes for AnyObject {
    fn nested(&self, _: &str) -> Option<&dyn BlockTypes> {
        Some(&AnyObject)
    }
}

/// Like [`with_block_types`] with [`AnyObject`], leniently: a property that cannot be a block
/// (a string, a number, an array of non-objects, a malformed `dynamic`, ...) stays an argument.
pub fn with_any_blocks(body: &Body) -> Body {
    if !body.json {
        return body.clone();
    }
    reinterpret(body, &AnyObject, true, &mut Vec::new())
}

fn reinterpret(
    body: &Body,
    types: &dyn BlockTypes,
    lenient: bool,
    errors: &mut Vec<Diagnostic>,
) -> Body {
    let mut out = Body {
        attributes: Vec::new(),
        blocks: body.blocks.clone(),
        range: body.range.clone(),
        json: true,
    };
    for a in &body.attributes {
        let shaped = match &a.expr.kind {
            ExprKind::Object(_) => true,
            ExprKind::Tuple(items) => items.iter().all(|i| matches!(i.kind, ExprKind::Object(_))),
            _ => false,
        };
        let inner = types.nested(&a.name);
        if (lenient && !shaped) || (inner.is_none() && a.name != "dynamic") {
            out.attributes.push(a.clone());
            continue;
        }
        let from = out.blocks.len();
        let mut errs = Vec::new();
        if a.name == "dynamic" {
            dynamic_blocks(a, types, lenient, &mut out.blocks, &mut errs);
        } else if let Some(inner) = inner {
            property_blocks(a, &mut out.blocks, &mut errs);
            for b in &mut out.blocks[from..] {
                b.body = reinterpret(&b.body, inner, lenient, &mut errs);
            }
        }
        if lenient && !errs.is_empty() {
            out.blocks.truncate(from);
            out.attributes.push(a.clone());
        } else {
            errors.extend(errs);
        }
    }
    out
}

/// The body of an object-valued JSON property (its keys are string literals).
fn object_body(e: &Expr, items: &[ObjectItem], errors: &mut Vec<Diagnostic>) -> Body {
    let mut body = Body {
        attributes: Vec::new(),
        blocks: Vec::new(),
        range: e.range.clone(),
        json: true,
    };
    for it in items {
        let Some(name) = it.key.as_static() else {
            errors.push(
                Diagnostic::error("Invalid block argument name")
                    .at(it.key.range())
                    .detail("The names of the arguments of a block must be literal strings.")
                    .hint("write the argument name as a plain JSON string"),
            );
            continue;
        };
        body.attributes.push(Attribute {
            name: name.to_string(),
            name_range: it.key.range().clone(),
            expr: it.value.clone(),
            range: it.key.range().to(&it.value.range),
        });
    }
    body
}

/// The elements of a block-valued property: an object is one, an array each of its elements,
/// `null` none. Anything else (or a non-object element) is reported.
fn block_objects<'e>(
    a: &Attribute,
    e: &'e Expr,
    what: &str,
    hint: &str,
    errors: &mut Vec<Diagnostic>,
) -> Vec<(&'e Expr, &'e [ObjectItem])> {
    let invalid = |at: &Expr, detail: String| {
        Diagnostic::error(format!("Invalid {what} block"))
            .at(&at.range)
            .detail(detail)
            .hint(hint.to_string())
    };
    match &e.kind {
        ExprKind::Null => Vec::new(),
        ExprKind::Object(items) => vec![(e, items.as_slice())],
        ExprKind::Tuple(elems) => {
            let mut out = Vec::new();
            for el in elems {
                match &el.kind {
                    ExprKind::Object(items) => out.push((el, items.as_slice())),
                    _ => errors.push(invalid(
                        el,
                        format!(
                            "\"{}\" is a nested block type here: each element of its array must be a JSON object, the body of one block.",
                            a.name
                        ),
                    )),
                }
            }
            out
        }
        _ => {
            errors.push(invalid(
                e,
                format!(
                    "\"{}\" is a nested block type here: its value must be a JSON object (one block), an array of objects (one block each) or null (no block).",
                    a.name
                ),
            ));
            Vec::new()
        }
    }
}

/// The blocks of a property named like a nested block type.
fn property_blocks(a: &Attribute, out: &mut Vec<Block>, errors: &mut Vec<Diagnostic>) {
    let hint = format!(
        "write \"{0}\": {{ ... }} for one block or \"{0}\": [{{ ... }}, {{ ... }}] for several",
        a.name
    );
    for (e, items) in block_objects(a, &a.expr, &a.name, &hint, errors) {
        out.push(Block {
            kind: a.name.clone(),
            kind_range: a.name_range.clone(),
            labels: Vec::new(),
            label_ranges: Vec::new(),
            body: object_body(e, items, errors),
            def_range: a.name_range.clone(),
            range: a.name_range.to(&e.range),
        });
    }
}

/// `"dynamic": {"TYPE": {"for_each": ..., "iterator": "NAME", "content": {...}}}`, the value of
/// each type also an array of such objects, the whole also an array of objects keyed by type:
/// dynamic blocks as native syntax's `dynamic "TYPE" { ... }`, with the content reinterpreted
/// with the block types of TYPE.
fn dynamic_blocks(
    a: &Attribute,
    types: &dyn BlockTypes,
    lenient: bool,
    out: &mut Vec<Block>,
    errors: &mut Vec<Diagnostic>,
) {
    let hint =
        "write \"dynamic\": { \"BLOCK_TYPE\": { \"for_each\": \"${...}\", \"content\": { ... } } }";
    for (_, by_type) in block_objects(a, &a.expr, "dynamic", hint, errors) {
        for it in by_type {
            let Some(kind) = it.key.as_static() else {
                continue;
            };
            let label = Attribute {
                name: kind.to_string(),
                name_range: it.key.range().clone(),
                expr: it.value.clone(),
                range: it.key.range().to(&it.value.range),
            };
            let inner = types.nested(kind);
            for (e, items) in block_objects(&label, &it.value, "dynamic", hint, errors) {
                let mut body = object_body(e, items, errors);
                let mut attributes = Vec::new();
                for attr in std::mem::take(&mut body.attributes) {
                    match attr.name.as_str() {
                        "content" => {
                            let from = body.blocks.len();
                            let ch = "write \"content\": { ... } with the arguments of each generated block";
                            for (ce, citems) in
                                block_objects(&attr, &attr.expr, "content", ch, errors)
                            {
                                body.blocks.push(Block {
                                    kind: "content".into(),
                                    kind_range: attr.name_range.clone(),
                                    labels: Vec::new(),
                                    label_ranges: Vec::new(),
                                    body: object_body(ce, citems, errors),
                                    def_range: attr.name_range.clone(),
                                    range: attr.name_range.to(&ce.range),
                                });
                            }
                            // An unknown type is reported by the expansion, at its label.
                            if let Some(inner) = inner {
                                for b in &mut body.blocks[from..] {
                                    b.body = reinterpret(&b.body, inner, lenient, errors);
                                }
                            }
                        }
                        // The iterator's name is written as a string.
                        "iterator" => attributes.push(match &attr.expr.kind {
                            ExprKind::String(n) if is_identifier(n) => Attribute {
                                expr: Expr {
                                    kind: ExprKind::Variable(n.clone()),
                                    range: attr.expr.range.clone(),
                                },
                                ..attr
                            },
                            _ => attr,
                        }),
                        _ => attributes.push(attr),
                    }
                }
                body.attributes = attributes;
                out.push(Block {
                    kind: "dynamic".into(),
                    kind_range: a.name_range.clone(),
                    labels: vec![kind.to_string()],
                    label_ranges: vec![it.key.range().clone()],
                    body,
                    def_range: a.name_range.to(it.key.range()),
                    range: a.name_range.to(&e.range),
                });
            }
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Parses a JSON object whose members are plain values (a `.tfvars.json` file): each member
/// becomes an attribute, and strings are literal, not templates.
pub fn parse_values_object(filename: Arc<str>, src: Arc<str>) -> Result<Body, Diagnostic> {
    let idx = LineIndex::new(filename.clone(), src.clone());
    let mut p = Parser {
        s: src.as_bytes(),
        i: 0,
        idx: &idx,
    };
    p.ws();
    let (root, root_range) = p.value()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err(
            "Extra characters after the JSON value",
            "remove everything after the closing brace",
        ));
    }
    let J::Object(items) = root else {
        return Err(Diagnostic::error("Invalid variables file")
            .at(&root_range)
            .detail(
                "A .tfvars.json file must contain a JSON object whose members are variable values.",
            )
            .hint("wrap the values in { ... }"));
    };
    let mut body = Body {
        attributes: Vec::new(),
        blocks: Vec::new(),
        range: root_range,
        json: false,
    };
    for (k, kr, v, vr) in items {
        body.attributes.push(Attribute {
            name: k,
            name_range: kr.clone(),
            expr: expr_mode(&v, &vr, &filename, false)?,
            range: kr.to(&vr),
        });
    }
    Ok(body)
}

fn expr(v: &J, range: &Range, filename: &Arc<str>) -> Result<Expr, Diagnostic> {
    expr_mode(v, range, filename, true)
}

fn expr_mode(
    v: &J,
    range: &Range,
    filename: &Arc<str>,
    templates: bool,
) -> Result<Expr, Diagnostic> {
    let expr = |v: &J, r: &Range, f: &Arc<str>| expr_mode(v, r, f, templates);
    let kind = match v {
        J::Null => ExprKind::Null,
        J::Bool(b) => ExprKind::Bool(*b),
        J::Number(n) => ExprKind::Number(n.clone()),
        J::String(s) => {
            if !templates || (!s.contains("${") && !s.contains("%{")) {
                ExprKind::String(s.clone())
            } else {
                let mut e = super::parse::parse_template(filename.clone(), s).map_err(|d| {
                    // Point at the JSON string; the template's own positions are inside it.
                    let detail = d.detail.clone();
                    Diagnostic::error("Invalid template in JSON string")
                        .at(range)
                        .detail(detail)
                        .hint("check the ${...} and %{...} sequences in this string")
                })?;
                relocate(&mut e, range);
                return Ok(e);
            }
        }
        J::Array(items) => ExprKind::Tuple(
            items
                .iter()
                .map(|(j, r)| expr(j, r, filename))
                .collect::<Result<_, _>>()?,
        ),
        J::Object(items) => ExprKind::Object(
            items
                .iter()
                .filter(|(k, ..)| k != "//")
                .map(|(k, kr, j, r)| {
                    Ok(ObjectItem {
                        key: ObjectKey::Expr(Expr {
                            kind: ExprKind::String(k.clone()),
                            range: kr.clone(),
                        }),
                        value: expr(j, r, filename)?,
                    })
                })
                .collect::<Result<_, Diagnostic>>()?,
        ),
    };
    Ok(Expr {
        kind,
        range: range.clone(),
    })
}

/// Moves every range of a template parsed from a JSON string's content to the string's position:
/// positions on the first line shift by the column of the string's content, later lines by the
/// string's line. Escape sequences can make columns off by a few characters; the line is exact.
fn relocate(e: &mut Expr, at: &Range) {
    let base_line = at.start.line;
    let base_col = at.start.column; // the opening quote; content starts one after
    let fix = |r: &mut Range| {
        for p in [&mut r.start, &mut r.end] {
            if p.line == 1 {
                p.column += base_col;
            }
            p.line += base_line - 1;
            p.byte += at.start.byte + 1;
        }
    };
    visit_ranges(e, &fix);
}

fn visit_ranges(e: &mut Expr, f: &dyn Fn(&mut Range)) {
    f(&mut e.range);
    match &mut e.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::String(_)
        | ExprKind::Variable(_) => {}
        ExprKind::Template(parts) => visit_parts(parts, f),
        ExprKind::Tuple(items) => items.iter_mut().for_each(|x| visit_ranges(x, f)),
        ExprKind::Object(items) => {
            for it in items {
                match &mut it.key {
                    ObjectKey::Ident(_, r) => f(r),
                    ObjectKey::Expr(k) => visit_ranges(k, f),
                }
                visit_ranges(&mut it.value, f);
            }
        }
        ExprKind::Traversal { base, ops } => {
            visit_ranges(base, f);
            visit_ops(ops, f);
        }
        ExprKind::Splat { source, each } => {
            visit_ranges(source, f);
            visit_ops(each, f);
        }
        ExprKind::FuncCall {
            name_range, args, ..
        } => {
            f(name_range);
            args.iter_mut().for_each(|x| visit_ranges(x, f));
        }
        ExprKind::Conditional { cond, then, other } => {
            visit_ranges(cond, f);
            visit_ranges(then, f);
            visit_ranges(other, f);
        }
        ExprKind::Unary { expr, .. } => visit_ranges(expr, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            visit_ranges(lhs, f);
            visit_ranges(rhs, f);
        }
        ExprKind::For(fe) => {
            visit_ranges(&mut fe.collection, f);
            if let Some(k) = &mut fe.key_expr {
                visit_ranges(k, f);
            }
            visit_ranges(&mut fe.value_expr, f);
            if let Some(c) = &mut fe.cond {
                visit_ranges(c, f);
            }
        }
        ExprKind::Parens(x) => visit_ranges(x, f),
    }
}

fn visit_ops(ops: &mut [TraversalOp], f: &dyn Fn(&mut Range)) {
    for op in ops {
        match op {
            TraversalOp::GetAttr(_, r) | TraversalOp::LegacyIndex(_, r) => f(r),
            TraversalOp::Index(e) => visit_ranges(e, f),
        }
    }
}

fn visit_parts(parts: &mut [TemplatePart], f: &dyn Fn(&mut Range)) {
    for p in parts {
        match p {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(e) => visit_ranges(e, f),
            TemplatePart::If {
                cond,
                then,
                other,
                range,
            } => {
                f(range);
                visit_ranges(cond, f);
                visit_parts(then, f);
                visit_parts(other, f);
            }
            TemplatePart::For {
                collection,
                body,
                range,
                ..
            } => {
                f(range);
                visit_ranges(collection, f);
                visit_parts(body, f);
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    idx: &'a LineIndex,
}

impl Parser<'_> {
    fn err(&self, what: &str, hint: &str) -> Diagnostic {
        let end = (self.i + 1).min(self.s.len());
        Diagnostic::error("Invalid JSON syntax")
            .at(&self.idx.range(self.i..end))
            .detail(format!("{what}."))
            .hint(hint.to_string())
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<(J, Range), Diagnostic> {
        let start = self.i;
        let j = match self.s.get(self.i) {
            None => return Err(self.err("Unexpected end of file", "complete the JSON document")),
            Some(b'{') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if !self.eat("}") {
                    loop {
                        self.ws();
                        let ks = self.i;
                        if self.s.get(self.i) != Some(&b'"') {
                            return Err(self.err(
                                "Expected a quoted object key",
                                "object keys must be strings in double quotes",
                            ));
                        }
                        let k = self.string()?;
                        let kr = self.idx.range(ks..self.i);
                        self.ws();
                        if !self.eat(":") {
                            return Err(self.err(
                                "Expected ':' after the object key",
                                "add a colon between key and value",
                            ));
                        }
                        self.ws();
                        let (v, vr) = self.value()?;
                        items.push((k, kr, v, vr));
                        self.ws();
                        if self.eat(",") {
                            continue;
                        }
                        if self.eat("}") {
                            break;
                        }
                        return Err(
                            self.err("Expected ',' or '}'", "separate object members with commas")
                        );
                    }
                }
                J::Object(items)
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if !self.eat("]") {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        if self.eat(",") {
                            continue;
                        }
                        if self.eat("]") {
                            break;
                        }
                        return Err(
                            self.err("Expected ',' or ']'", "separate array elements with commas")
                        );
                    }
                }
                J::Array(items)
            }
            Some(b'"') => J::String(self.string()?),
            Some(b't') if self.eat("true") => J::Bool(true),
            Some(b'f') if self.eat("false") => J::Bool(false),
            Some(b'n') if self.eat("null") => J::Null,
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                if text.parse::<f64>().is_err() {
                    self.i = start;
                    return Err(self.err("Invalid number", "write a JSON number like 42 or 1.5e3"));
                }
                J::Number(text)
            }
            Some(_) => {
                return Err(self.err(
                    "Unexpected character",
                    "expected a JSON value: object, array, string, number, true, false or null",
                ))
            }
        };
        Ok((j, self.idx.range(start..self.i)))
    }

    fn string(&mut self) -> Result<String, Diagnostic> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(self.err(
                    "Unterminated string",
                    "close the string with a double quote",
                ));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.i += 1;
                    let Some(&e) = self.s.get(self.i) else {
                        return Err(self.err("Unterminated escape", "complete the escape sequence"));
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let cp = self.hex4()?;
                            let ch = if (0xD800..0xDC00).contains(&cp) && self.eat("\\u") {
                                let lo = self.hex4()?;
                                char::from_u32(
                                    0x10000
                                        + ((cp - 0xD800) << 10)
                                        + (lo.wrapping_sub(0xDC00) & 0x3FF),
                                )
                            } else {
                                char::from_u32(cp)
                            };
                            out.push(ch.unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.err(
                                "Invalid escape sequence",
                                "valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                            ));
                        }
                    }
                }
                _ => {
                    // Copy one UTF-8 character.
                    let rest = &self.s[self.i..];
                    let len = match c {
                        0x00..=0x7F => 1,
                        0xC0..=0xDF => 2,
                        0xE0..=0xEF => 3,
                        _ => 4,
                    }
                    .min(rest.len());
                    out.push_str(&String::from_utf8_lossy(&rest[..len]));
                    self.i += len;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Diagnostic> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| u32::from_str_radix(t, 16).ok());
        match h {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => Err(self.err(
                "Invalid \\u escape",
                "write \\u followed by four hex digits",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Body, Diagnostic> {
        parse_body("main.tf.json".into(), src.into())
    }

    #[test]
    fn blocks_with_labels_and_templates() {
        let b = parse(
            r#"{
  "variable": {"region": {"default": "eu-west-1", "validation": {"condition": "${length(var.region) > 0}", "error_message": "empty"}}},
  "resource": {"aws_s3_bucket": {"b": {"bucket": "x-${var.region}", "count": 2}}},
  "//": "comment"
}"#,
        )
        .expect("parses");
        assert_eq!(b.blocks.len(), 2);
        let v = &b.blocks[0];
        assert_eq!(
            (v.kind.as_str(), v.labels.clone()),
            ("variable", vec!["region".to_string()])
        );
        assert_eq!(v.body.blocks[0].kind, "validation");
        let r = &b.blocks[1];
        assert_eq!(r.labels, vec!["aws_s3_bucket", "b"]);
        let bucket = r.body.attribute("bucket").expect("bucket");
        assert!(matches!(bucket.expr.kind, ExprKind::Template(_)));
        assert_eq!(bucket.expr.range.start.line, 3);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse("{\n  \"locals\": {\"a\": 1,}\n}").unwrap_err();
        let r = e.range.expect("range");
        assert_eq!(r.start.line, 2);
    }

    #[test]
    fn interpolation_ranges_point_into_the_string() {
        let b = parse("{\"output\": {\"x\": {\"value\": \"${var.nope}\"}}}").expect("parses");
        let e = &b.blocks[0].body.attributes[0].expr;
        // "${var.nope}" unwraps to the traversal; it starts after `"${` at column 30.
        assert_eq!(e.range.start.line, 1);
        assert!(e.range.start.column > 27, "{:?}", e.range);
    }

    #[test]
    fn module_providers_are_written_as_strings() {
        let b = parse(r#"{"module": {"m": {"source": "./m", "providers": {"aws": "aws.east"}}}}"#)
            .expect("parses");
        let body = &b.blocks[0].body;
        let Some(ExprKind::Object(items)) = body.attribute("providers").map(|a| &a.expr.kind)
        else {
            panic!("providers is an object");
        };
        assert!(
            matches!(items[0].value.kind, ExprKind::Traversal { .. }),
            "{items:?}"
        );
        // The source stays a string.
        assert!(matches!(
            body.attribute("source").map(|a| &a.expr.kind),
            Some(ExprKind::String(_))
        ));
    }

    #[test]
    fn meta_argument_references_are_written_as_strings() {
        let b = parse(
            r#"{"resource": {"aws_s3_bucket": {"b": {
  "depends_on": ["aws_vpc.main", "module.net"],
  "provider": "aws.east",
  "tags": ["aws_vpc.main"],
  "lifecycle": {"ignore_changes": ["tags"], "replace_triggered_by": ["aws_vpc.main.id"]}
}}}}"#,
        )
        .expect("parses");
        let body = &b.blocks[0].body;
        let Some(ExprKind::Tuple(deps)) = body.attribute("depends_on").map(|a| &a.expr.kind) else {
            panic!("depends_on is a tuple");
        };
        assert!(
            matches!(deps[0].kind, ExprKind::Traversal { .. }),
            "{deps:?}"
        );
        assert_eq!(
            (deps[1].range.start.line, deps[1].range.start.column),
            (2, 35)
        );
        let provider = body.attribute("provider").expect("provider");
        assert!(matches!(provider.expr.kind, ExprKind::Traversal { .. }));
        // Other arguments keep their strings.
        let Some(ExprKind::Tuple(tags)) = body.attribute("tags").map(|a| &a.expr.kind) else {
            panic!("tags is a tuple");
        };
        assert!(matches!(tags[0].kind, ExprKind::String(_)));
        let lifecycle = &body.blocks[0].body;
        let Some(ExprKind::Tuple(ign)) =
            lifecycle.attribute("ignore_changes").map(|a| &a.expr.kind)
        else {
            panic!("ignore_changes is a tuple");
        };
        assert!(matches!(&ign[0].kind, ExprKind::Variable(v) if v == "tags"));
    }
}
