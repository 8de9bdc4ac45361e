//! Native HCL syntax: parsed by hcl-edit, lowered into [`ast`](super::ast) with line/column ranges.

use super::ast::*;
use crate::diag::{Diagnostic, LineIndex, Range};
use hcl_edit::expr as hx;
use hcl_edit::structure as hs;
use hcl_edit::template as ht;
use hcl_edit::Span;
use std::sync::Arc;

/// Parses a whole `.tf` file.
pub fn parse_body(filename: Arc<str>, src: Arc<str>) -> Result<Body, Diagnostic> {
    let idx = LineIndex::new(filename, src.clone());
    let (body, empty_heredocs) = parse_patched(&src, hcl_edit::parser::parse_body, |b, v| {
        hcl_edit::visit::visit_body(v, b)
    })
    .map_err(|e| parse_error(&idx, &src, &e))?;
    let lw = Lower::new(&idx, &src, &empty_heredocs);
    let out = lw.body(&body, 0..src.len());
    lw.finish(out)
}

/// Parses a standalone expression (used by `--var` values, the console and `.tf.json` strings).
pub fn parse_expr(filename: Arc<str>, src: &str) -> Result<Expr, Diagnostic> {
    let src: Arc<str> = src.into();
    let idx = LineIndex::new(filename, src.clone());
    let (e, empty_heredocs) = parse_patched(&src, hcl_edit::parser::parse_expr, |e, v| {
        hcl_edit::visit::visit_expr(v, e)
    })
    .map_err(|e| parse_error(&idx, &src, &e))?;
    let lw = Lower::new(&idx, &src, &empty_heredocs);
    let out = lw.expr(&e);
    lw.finish(out)
}

/// Parses a string as a template (the content of a `.tf.json` string or a `templatefile`).
pub fn parse_template(filename: Arc<str>, src: &str) -> Result<Expr, Diagnostic> {
    let src: Arc<str> = src.into();
    let idx = LineIndex::new(filename, src.clone());
    let (t, empty_heredocs) = parse_patched(&src, hcl_edit::parser::parse_template, |t, v| {
        hcl_edit::visit::visit_template(v, t)
    })
    .map_err(|e| parse_error(&idx, &src, &e))?;
    let lw = Lower::new(&idx, &src, &empty_heredocs);
    let out = lw.template_expr(&t, 0..src.len());
    lw.finish(out)
}

/// Runs an hcl-edit parser over `src`, working around two of its bugs with length-preserving
/// patches of the text it is given (so every byte offset, and so every range, stays that of the
/// original source; the lowering reads literal text from the original):
///
/// * a number literal beyond float64 range (`1e400`) is a parse error in hcl-edit, while HCL
///   keeps it as an arbitrary-precision number: its digits are zeroed for hcl-edit only;
/// * an empty heredoc (`<<EOT` directly followed by its closing `EOT` line) is not closed by
///   hcl-edit, which then swallows the following text: it is replaced by `""` and blanks.
///
/// Returns the parsed tree and the byte ranges of the empty heredocs that were replaced.
fn parse_patched<T>(
    src: &str,
    parse: impl Fn(&str) -> Result<T, hcl_edit::parser::Error>,
    visit: impl Fn(&T, &mut HeredocFinder),
) -> Result<(T, Vec<std::ops::Range<usize>>), hcl_edit::parser::Error> {
    let mut text = src.to_string();
    let mut empty_heredocs = Vec::new();
    // Each round patches one more place, and there are fewer places than bytes.
    for _ in 0..=src.len() {
        match parse(&text) {
            Err(e) => match huge_number_at(&text, e.location().offset()) {
                Some(r) => zero_digits(&mut text, r),
                None => return Err(e),
            },
            Ok(tree) => {
                let mut finder = HeredocFinder::default();
                visit(&tree, &mut finder);
                let Some(r) = finder
                    .found
                    .iter()
                    .filter_map(|(start, delim)| unclosed_empty_heredoc(&text, *start, delim))
                    .min_by_key(|r| r.start)
                else {
                    return Ok((tree, empty_heredocs));
                };
                blank_empty_heredoc(&mut text, r.clone());
                empty_heredocs.push(r);
            }
        }
    }
    parse(&text).map(|t| (t, empty_heredocs))
}

/// Collects where each heredoc's template starts, with its delimiter.
#[derive(Default)]
struct HeredocFinder {
    found: Vec<(usize, String)>,
}

impl hcl_edit::visit::Visit for HeredocFinder {
    fn visit_heredoc_template(&mut self, node: &ht::HeredocTemplate) {
        if let Some(span) = node.template.span() {
            self.found
                .push((span.start, node.delimiter.as_str().to_string()));
        }
        hcl_edit::visit::visit_heredoc_template(self, node);
    }
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// When the template of a heredoc (starting at `start`) begins with its own closing delimiter
/// line, hcl-edit has mis-parsed an empty heredoc: returns the range from `<<` to the end of
/// the closing delimiter.
fn unclosed_empty_heredoc(text: &str, start: usize, delim: &str) -> Option<std::ops::Range<usize>> {
    let rest = text.get(start..)?;
    let after_ws = rest.trim_start_matches([' ', '\t']);
    let after = after_ws.strip_prefix(delim)?;
    if after.chars().next().is_some_and(is_ident_continue) {
        return None;
    }
    let end = text.len() - after.len();
    let header = text.get(..start)?.rfind("<<")?;
    Some(header..end)
}

/// Replaces `<<EOT\nEOT` by `""   \n   `: same length, same line breaks.
fn blank_empty_heredoc(text: &mut String, r: std::ops::Range<usize>) {
    let Some(old) = text.get(r.clone()) else {
        return;
    };
    let mut new = String::with_capacity(old.len());
    for (i, c) in old.char_indices() {
        match c {
            '\n' | '\r' => new.push(c),
            _ if i < 2 => new.push('"'),
            _ => new.extend(std::iter::repeat_n(' ', c.len_utf8())),
        }
    }
    text.replace_range(r, &new);
}

/// The range of a number literal around byte `at` that does not fit a float64.
fn huge_number_at(text: &str, at: usize) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let at = at.min(bytes.len());
    let mut start = at;
    while start > 0 && bytes[start - 1].is_ascii_digit() {
        start -= 1;
    }
    if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
        return None;
    }
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut end = digits(start);
    if end == start {
        return None;
    }
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = digits(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut i = end + 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = digits(i);
        if e > i {
            end = e;
        }
    }
    let literal = text.get(start..end)?;
    let value: f64 = literal.parse().ok()?;
    (at <= end && !value.is_finite()).then_some(start..end)
}

fn zero_digits(text: &mut String, r: std::ops::Range<usize>) {
    let Some(old) = text.get(r.clone()) else {
        return;
    };
    let new: String = old
        .chars()
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect();
    text.replace_range(r, &new);
}

fn parse_error(idx: &LineIndex, src: &str, e: &hcl_edit::parser::Error) -> Diagnostic {
    let loc = e.location();
    // hcl-edit reports 1-based line and column; turn them into a byte offset for a full range.
    let line_start: usize = src
        .split_inclusive('\n')
        .take(loc.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let line = src[line_start..].lines().next().unwrap_or("");
    let col_byte = line
        .char_indices()
        .nth(loc.column().saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(line.len());
    let at = line_start + col_byte;
    let end = (at + line[col_byte..].chars().next().map_or(0, char::len_utf8)).min(src.len());
    let msg = e.message().trim();
    if msg.starts_with("invalid escape sequence") {
        // The escape is the backslash nearest before the error, and the symbol after it.
        let bs = src
            .get(line_start..end)
            .and_then(|s| s.rfind('\\'))
            .map(|i| line_start + i);
        if let Some(bs) = bs {
            let symbol = src[bs + 1..].chars().next().unwrap_or(' ');
            let end = bs + 1 + symbol.len_utf8();
            return Diagnostic::error("Invalid escape sequence")
                .at(&idx.range(bs..end.min(src.len())))
                .detail(format!(
                    "The symbol \"{symbol}\" is not a valid escape sequence selector."
                ))
                .hint("use \\\\ for a literal backslash");
        }
    }
    if let Some(d) = unclosed_template_directive(idx, src, at) {
        return d;
    }
    if msg.starts_with("invalid block body") && is_single_line_block(&src[line_start..at]) {
        return Diagnostic::error("Invalid single-argument block definition")
            .at(&idx.range(at..end))
            .detail("A single-line block definition must end with a closing brace immediately after its single argument definition.")
            .hint("put the closing brace right after the argument, or write the block over several lines");
    }
    let msg = if msg.is_empty() {
        "invalid syntax"
    } else {
        msg
    };
    Diagnostic::error("Invalid HCL syntax")
        .at(&idx.range(at..end))
        .detail(format!("The parser stopped here: {msg}."))
        .hint("check for a missing closing brace, quote or bracket, or a misspelled keyword just before this point")
}

/// hcl-edit rejects a quoted template with an `%{ if }` or `%{ for }` left open as a whole
/// argument; HCL says which directive is missing its end. `at` is where hcl-edit stopped: the
/// argument's name, or its opening quote.
fn unclosed_template_directive(idx: &LineIndex, src: &str, at: usize) -> Option<Diagnostic> {
    let rest = src.get(at..)?;
    let value = match rest.find(|c: char| !is_ident_continue(c)) {
        Some(n) if n > 0 => rest[n..].trim_start().strip_prefix('=')?.trim_start(),
        _ => rest,
    };
    let open = src.len() - value.strip_prefix('"')?.len();
    let mut directives = Vec::new();
    let close = scan_quoted(src.as_bytes(), open, &mut directives).unwrap_or(src.len());
    let mut stack: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
    for (kw, r) in directives {
        let kw = src.get(kw)?;
        match kw {
            "if" | "for" => stack.push((kw, r)),
            "endif" | "endfor" => {
                stack.pop()?;
            }
            _ => {}
        }
    }
    let (kw, r) = stack.pop()?;
    let at = idx.range(r).hcl_string();
    Some(
        Diagnostic::error("Unexpected end of template")
            .at(&idx.range(close..(close + 1).min(src.len())))
            .detail(format!(
                "The {kw} directive at {at} is missing its corresponding end{kw} directive."
            ))
            .hint(format!("close it with %{{ end{kw} }}")),
    )
}

/// Scans a quoted template from just after its opening quote, collecting each directive's
/// keyword and whole range; returns the offset of the closing quote, or `None` when the string
/// is not terminated on its line.
fn scan_quoted(
    b: &[u8],
    mut i: usize,
    directives: &mut Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'"' => return Some(i),
            b'\n' => return None,
            b'\\' => i += 2,
            b'$' | b'%' if b.get(i + 1) == Some(&b[i]) && b.get(i + 2) == Some(&b'{') => i += 3,
            c @ (b'$' | b'%') if b.get(i + 1) == Some(&b'{') => {
                let end = scan_braced(b, i + 2)?;
                if c == b'%' {
                    let mut k = i + 2;
                    while k < end && (b[k] == b'~' || b[k].is_ascii_whitespace()) {
                        k += 1;
                    }
                    let mut e = k;
                    while e < end && (b[e].is_ascii_alphanumeric() || b[e] == b'_') {
                        e += 1;
                    }
                    directives.push((k..e, i..end + 1));
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// The offset of the `}` closing a `${` or `%{` sequence whose content starts at `i`.
fn scan_braced(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = scan_quoted(b, i + 1, &mut Vec::new())?;
            }
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether a line, up to a syntax error, opens a block and defines an argument on the same
/// line (`output "x" { value = ...`): HCL's single-line block, which must close right after
/// its argument.
fn is_single_line_block(line: &str) -> bool {
    let Some((header, rest)) = line.split_once('{') else {
        return false;
    };
    let header = header.trim();
    let starts_with_ident = header
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    let arg = rest.trim_start();
    let arg_name_len = arg
        .find(|c: char| !is_ident_continue(c))
        .unwrap_or(arg.len());
    starts_with_ident
        && !header.contains('=')
        && arg_name_len > 0
        && arg[arg_name_len..].trim_start().starts_with('=')
}

struct Lower<'a> {
    idx: &'a LineIndex,
    /// The original source (hcl-edit may have been given a patched copy, see [`parse_patched`]).
    src: &'a str,
    /// Byte ranges of empty heredocs that hcl-edit saw as `""`.
    empty_heredocs: &'a [std::ops::Range<usize>],
    /// The first syntax error that HCL reports and hcl-edit accepts.
    error: std::cell::RefCell<Option<Diagnostic>>,
}

impl<'a> Lower<'a> {
    fn new(
        idx: &'a LineIndex,
        src: &'a str,
        empty_heredocs: &'a [std::ops::Range<usize>],
    ) -> Lower<'a> {
        Lower {
            idx,
            src,
            empty_heredocs,
            error: std::cell::RefCell::new(None),
        }
    }

    fn report(&self, d: Diagnostic) {
        self.error.borrow_mut().get_or_insert(d);
    }

    fn finish<T>(self, out: T) -> Result<T, Diagnostic> {
        match self.error.into_inner() {
            Some(d) => Err(d),
            None => Ok(out),
        }
    }

    fn range(&self, span: Option<std::ops::Range<usize>>) -> Range {
        self.idx.range(span.unwrap_or(0..0))
    }

    fn body(&self, b: &hs::Body, span: std::ops::Range<usize>) -> Body {
        let mut out = Body {
            attributes: Vec::new(),
            blocks: Vec::new(),
            range: self.idx.range(span),
            json: false,
        };
        for s in b.iter() {
            match s {
                hs::Structure::Attribute(a) => out.attributes.push(Attribute {
                    name: a.key.as_str().to_string(),
                    name_range: self.range(a.key.span()),
                    expr: self.expr(&a.value),
                    range: self.range(a.span()),
                }),
                hs::Structure::Block(bl) => out.blocks.push(self.block(bl)),
            }
        }
        out
    }

    fn block(&self, b: &hs::Block) -> Block {
        let whole = b.span().unwrap_or(0..0);
        let kind_range = self.range(b.ident.span());
        let header_end = self.src[whole.clone()]
            .find('{')
            .map(|i| whole.start + i + 1)
            .unwrap_or(whole.end);
        // The body's own span is the inside of the braces.
        let body_span = header_end..whole.end.saturating_sub(1).max(header_end);
        Block {
            kind: b.ident.as_str().to_string(),
            kind_range,
            labels: b.labels.iter().map(|l| l.as_str().to_string()).collect(),
            label_ranges: b.labels.iter().map(|l| self.range(l.span())).collect(),
            body: self.body(&b.body, body_span),
            def_range: self.idx.range(whole.start..header_end),
            range: self.idx.range(whole),
        }
    }

    fn expr(&self, e: &hx::Expression) -> Expr {
        let mut range = self.range(e.span());
        let kind = match e {
            hx::Expression::Null(_) => ExprKind::Null,
            hx::Expression::Bool(b) => ExprKind::Bool(*b.value()),
            hx::Expression::Number(n) => {
                // Keep the literal text so the evaluator can convert it exactly.
                let text = e
                    .span()
                    .and_then(|s| self.src.get(s))
                    .map(str::to_string)
                    .unwrap_or_else(|| n.value().to_string());
                ExprKind::Number(text)
            }
            hx::Expression::String(s) => {
                if let Some(r) = e
                    .span()
                    .and_then(|sp| self.empty_heredocs.iter().find(|r| r.start == sp.start))
                {
                    range = self.idx.range(r.clone());
                }
                ExprKind::String(nfc(s.value()))
            }
            hx::Expression::Array(a) => ExprKind::Tuple(a.iter().map(|x| self.expr(x)).collect()),
            hx::Expression::Object(o) => ExprKind::Object(
                o.iter()
                    .map(|(k, v)| ObjectItem {
                        key: match k {
                            hx::ObjectKey::Ident(id) => {
                                ObjectKey::Ident(id.as_str().to_string(), self.range(id.span()))
                            }
                            hx::ObjectKey::Expression(x) => ObjectKey::Expr(self.expr(x)),
                        },
                        value: self.expr(v.expr()),
                    })
                    .collect(),
            ),
            hx::Expression::StringTemplate(t) => {
                return self.template_expr(t, e.span().unwrap_or(0..0));
            }
            hx::Expression::HeredocTemplate(h) => {
                return self.heredoc_expr(h, e.span().unwrap_or(0..0));
            }
            hx::Expression::Parenthesis(p) => ExprKind::Parens(Box::new(self.expr(p.inner()))),
            hx::Expression::Variable(v) => ExprKind::Variable(v.as_str().to_string()),
            hx::Expression::Conditional(c) => ExprKind::Conditional {
                cond: Box::new(self.expr(&c.cond_expr)),
                then: Box::new(self.expr(&c.true_expr)),
                other: Box::new(self.expr(&c.false_expr)),
            },
            hx::Expression::FuncCall(f) => {
                let mut name = String::new();
                for ns in &f.name.namespace {
                    name.push_str(ns.as_str());
                    name.push_str("::");
                }
                name.push_str(f.name.name.as_str());
                ExprKind::FuncCall {
                    name,
                    name_range: self.range(f.name.name.span()),
                    args: f.args.iter().map(|a| self.expr(a)).collect(),
                    expand_final: f.args.expand_final(),
                }
            }
            hx::Expression::Traversal(t) => return self.traversal(t, range),
            hx::Expression::UnaryOp(u) => ExprKind::Unary {
                op: match u.operator.value() {
                    hx::UnaryOperator::Neg => UnaryOp::Neg,
                    hx::UnaryOperator::Not => UnaryOp::Not,
                },
                expr: Box::new(self.expr(&u.expr)),
            },
            hx::Expression::BinaryOp(b) => ExprKind::Binary {
                op: match b.operator.value() {
                    hx::BinaryOperator::Eq => BinaryOp::Eq,
                    hx::BinaryOperator::NotEq => BinaryOp::NotEq,
                    hx::BinaryOperator::LessEq => BinaryOp::LtEq,
                    hx::BinaryOperator::GreaterEq => BinaryOp::GtEq,
                    hx::BinaryOperator::Less => BinaryOp::Lt,
                    hx::BinaryOperator::Greater => BinaryOp::Gt,
                    hx::BinaryOperator::Plus => BinaryOp::Add,
                    hx::BinaryOperator::Minus => BinaryOp::Sub,
                    hx::BinaryOperator::Mul => BinaryOp::Mul,
                    hx::BinaryOperator::Div => BinaryOp::Div,
                    hx::BinaryOperator::Mod => BinaryOp::Mod,
                    hx::BinaryOperator::And => BinaryOp::And,
                    hx::BinaryOperator::Or => BinaryOp::Or,
                },
                lhs: Box::new(self.expr(&b.lhs_expr)),
                rhs: Box::new(self.expr(&b.rhs_expr)),
            },
            hx::Expression::ForExpr(f) => ExprKind::For(Box::new(ForExpr {
                key_var: f.intro.key_var.as_ref().map(|k| k.as_str().to_string()),
                value_var: f.intro.value_var.as_str().to_string(),
                collection: self.expr(&f.intro.collection_expr),
                key_expr: f.key_expr.as_ref().map(|k| self.expr(k)),
                value_expr: self.expr(&f.value_expr),
                cond: f.cond.as_ref().map(|c| self.expr(&c.expr)),
                grouping: f.grouping,
            })),
        };
        Expr { kind, range }
    }

    /// Lowers `base op op [*] op op ...` into nested Traversal / Splat nodes.
    fn traversal(&self, t: &hx::Traversal, range: Range) -> Expr {
        let mut cur = self.expr(&t.expr);
        let mut ops: Vec<TraversalOp> = Vec::new();
        // Some(true): inside a full splat; Some(false): inside a legacy attribute splat.
        let mut splat: Option<bool> = None;
        let mut end = cur.range.end;
        let close = |cur: Expr, ops: Vec<TraversalOp>, splat: Option<bool>, end| -> Expr {
            let range = Range {
                filename: cur.range.filename.clone(),
                start: cur.range.start,
                end,
            };
            match splat {
                Some(_) => Expr {
                    kind: ExprKind::Splat {
                        source: Box::new(cur),
                        each: ops,
                    },
                    range,
                },
                None if ops.is_empty() => cur,
                None => Expr {
                    kind: ExprKind::Traversal {
                        base: Box::new(cur),
                        ops,
                    },
                    range,
                },
            }
        };
        for op in &t.operators {
            let op_range = self.range(op.span());
            match op.value() {
                hx::TraversalOperator::FullSplat(_) | hx::TraversalOperator::AttrSplat(_) => {
                    cur = close(cur, std::mem::take(&mut ops), splat, end);
                    splat = Some(matches!(op.value(), hx::TraversalOperator::FullSplat(_)));
                }
                hx::TraversalOperator::GetAttr(id) => ops.push(TraversalOp::GetAttr(
                    id.as_str().to_string(),
                    op_range.clone(),
                )),
                hx::TraversalOperator::Index(x) => {
                    if splat == Some(false) {
                        // A legacy `.*` splat only takes attribute steps; an index ends it.
                        cur = close(cur, std::mem::take(&mut ops), splat, end);
                        splat = None;
                    }
                    ops.push(TraversalOp::Index(self.expr(x)))
                }
                hx::TraversalOperator::LegacyIndex(i) => {
                    // `.1.0` is one number token to HCL's scanner, not two indexes.
                    if let (Some(TraversalOp::LegacyIndex(_, prev)), Some(span)) =
                        (ops.last(), op.span())
                    {
                        if prev.end.byte == span.start {
                            self.report(
                                Diagnostic::error("Invalid legacy index syntax")
                                    .at(&self.idx.range(prev.start.byte + 1..span.end))
                                    .detail("When using the legacy index syntax, chaining two indexes together is not permitted. Use the proper index syntax instead, like [1][0].")
                                    .hint("write the indexes in brackets, like [1][0]"),
                            );
                        }
                    }
                    if splat == Some(false) {
                        cur = close(cur, std::mem::take(&mut ops), splat, end);
                        splat = None;
                    }
                    ops.push(TraversalOp::LegacyIndex(*i.value(), op_range.clone()))
                }
            }
            end = op_range.end;
        }
        let mut out = close(cur, ops, splat, end);
        out.range = range;
        out
    }

    fn template_expr(&self, t: &ht::Template, span: std::ops::Range<usize>) -> Expr {
        let mut toks = Vec::new();
        self.flatten(t, &mut toks, false);
        apply_strips(&mut toks);
        self.template_from_toks(toks, span)
    }

    /// A heredoc is lowered from its source text as HCL's scanner sees it: one literal token
    /// per line, so a `~` strip marker only reaches to the end (or start) of its own line; then
    /// `<<-` removes the smallest indentation of the lines, counted after stripping (HCL's
    /// order; hcl-edit's own dedent runs first and is not used).
    fn heredoc_expr(&self, h: &ht::HeredocTemplate, span: std::ops::Range<usize>) -> Expr {
        let mut toks = Vec::new();
        self.flatten(&h.template, &mut toks, true);
        apply_strips(&mut toks);
        let flush = self
            .src
            .get(span.clone())
            .is_some_and(|s| s.starts_with("<<-"));
        if flush {
            flush_heredoc(&mut toks);
        }
        self.template_from_toks(toks, span)
    }

    fn template_from_toks(&self, toks: Vec<Tok>, span: std::ops::Range<usize>) -> Expr {
        let range = self.idx.range(span);
        let mut it = toks.into_iter().peekable();
        let parts = build_parts(&mut it);
        let kind = match parts.as_slice() {
            [] => ExprKind::String(String::new()),
            [TemplatePart::Literal(s)] => ExprKind::String(s.clone()),
            // "${x}" alone yields x's own value, not a string (Terraform's template unwrapping).
            [TemplatePart::Interp(e)] => return e.clone(),
            _ => ExprKind::Template(parts),
        };
        Expr { kind, range }
    }

    /// The literal tokens of a template; in a heredoc, read from the source and split per line.
    fn literal_toks(&self, lit: &hcl_edit::Spanned<String>, heredoc: bool, out: &mut Vec<Tok>) {
        let raw = if heredoc {
            lit.span().and_then(|sp| self.src.get(sp))
        } else {
            None
        };
        match raw {
            // A heredoc has no backslash escapes, only `$${` and `%%{`.
            Some(raw) => out.extend(
                raw.split_inclusive('\n')
                    .map(|line| Tok::Lit(nfc(&line.replace("$${", "${").replace("%%{", "%{")))),
            ),
            None => out.push(Tok::Lit(nfc(lit.value()))),
        }
    }

    fn flatten(&self, t: &ht::Template, out: &mut Vec<Tok>, heredoc: bool) {
        for el in t.iter() {
            match el {
                ht::Element::Literal(s) => self.literal_toks(s, heredoc, out),
                ht::Element::Interpolation(i) => out.push(Tok::Interp(
                    self.expr(&i.expr),
                    i.strip.strip_start(),
                    i.strip.strip_end(),
                )),
                ht::Element::Directive(dir) => match &**dir {
                    ht::Directive::If(d) => {
                        let range = self.range(d.span());
                        let s = d.if_expr.strip;
                        out.push(Tok::If(
                            self.expr(&d.if_expr.cond_expr),
                            range,
                            s.strip_start(),
                            s.strip_end(),
                        ));
                        self.flatten(&d.if_expr.template, out, heredoc);
                        if let Some(e) = &d.else_expr {
                            out.push(Tok::Else(e.strip.strip_start(), e.strip.strip_end()));
                            self.flatten(&e.template, out, heredoc);
                        }
                        let s = d.endif_expr.strip;
                        out.push(Tok::End(s.strip_start(), s.strip_end()));
                    }
                    ht::Directive::For(d) => {
                        let range = self.range(d.span());
                        let f = &d.for_expr;
                        out.push(Tok::For(
                            f.key_var.as_ref().map(|k| k.as_str().to_string()),
                            f.value_var.as_str().to_string(),
                            self.expr(&f.collection_expr),
                            range,
                            f.strip.strip_start(),
                            f.strip.strip_end(),
                        ));
                        self.flatten(&f.template, out, heredoc);
                        let s = d.endfor_expr.strip;
                        out.push(Tok::End(s.strip_start(), s.strip_end()));
                    }
                },
            }
        }
    }
}

/// A flat template token; strip flags are (strip before, strip after).
enum Tok {
    Lit(String),
    Interp(Expr, bool, bool),
    If(Expr, Range, bool, bool),
    For(Option<String>, String, Expr, Range, bool, bool),
    Else(bool, bool),
    End(bool, bool),
}

impl Tok {
    fn strips(&self) -> (bool, bool) {
        match self {
            Tok::Lit(_) => (false, false),
            Tok::Interp(_, a, b)
            | Tok::If(_, _, a, b)
            | Tok::For(_, _, _, _, a, b)
            | Tok::Else(a, b)
            | Tok::End(a, b) => (*a, *b),
        }
    }
}

/// `~` removes all whitespace (including newlines) on that side up to the neighbouring literal.
fn apply_strips(toks: &mut [Tok]) {
    for i in 0..toks.len() {
        let (before, after) = toks[i].strips();
        if before && i > 0 {
            if let Tok::Lit(s) = &mut toks[i - 1] {
                let t = s.trim_end().len();
                s.truncate(t);
            }
        }
        if after && i + 1 < toks.len() {
            if let Tok::Lit(s) = &mut toks[i + 1] {
                *s = s.trim_start().to_string();
            }
        }
    }
}

/// HCL's flush-heredoc rule (`<<-`), on the per-line tokens after strip markers: find the
/// line-leading literal with the fewest leading whitespace characters (grapheme clusters) and
/// remove that many from every line-leading literal. A line that is only whitespace does not
/// count; a line starting with an interpolation or directive counts as zero.
fn flush_heredoc(toks: &mut [Tok]) {
    use unicode_segmentation::UnicodeSegmentation;
    let mut min = usize::MAX;
    let mut newline = true;
    let mut adjust = Vec::new();
    for (i, tok) in toks.iter().enumerate() {
        if newline {
            newline = false;
            let spaces = match tok {
                Tok::Lit(s) => {
                    let trimmed = s.trim_start();
                    if trimmed.is_empty() && s.ends_with('\n') {
                        usize::MAX
                    } else {
                        adjust.push(i);
                        s[..s.len() - trimmed.len()].graphemes(true).count()
                    }
                }
                _ => 0,
            };
            min = min.min(spaces);
        }
        if matches!(tok, Tok::Lit(s) if s.ends_with('\n')) {
            newline = true;
        }
    }
    for i in adjust {
        if let Some(Tok::Lit(s)) = toks.get_mut(i) {
            let cut: usize = s.graphemes(true).take(min).map(str::len).sum();
            s.drain(..cut);
        }
    }
}

/// HCL normalises every string literal to Unicode NFC (`"e\u0301" == "\u00e9"`).
fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    if unicode_normalization::is_nfc(s) {
        s.to_string()
    } else {
        s.nfc().collect()
    }
}

fn build_parts(it: &mut std::iter::Peekable<std::vec::IntoIter<Tok>>) -> Vec<TemplatePart> {
    let mut parts = Vec::new();
    while let Some(tok) = it.peek() {
        if matches!(tok, Tok::Else(..) | Tok::End(..)) {
            break;
        }
        let Some(tok) = it.next() else { break };
        match tok {
            Tok::Lit(s) => {
                if let Some(TemplatePart::Literal(prev)) = parts.last_mut() {
                    prev.push_str(&s);
                } else if !s.is_empty() {
                    parts.push(TemplatePart::Literal(s))
                }
            }
            Tok::Interp(e, ..) => parts.push(TemplatePart::Interp(e)),
            Tok::If(cond, range, ..) => {
                let then = build_parts(it);
                let mut other = Vec::new();
                if matches!(it.peek(), Some(Tok::Else(..))) {
                    it.next();
                    other = build_parts(it);
                }
                it.next(); // endif
                parts.push(TemplatePart::If {
                    cond,
                    then,
                    other,
                    range,
                });
            }
            Tok::For(key_var, value_var, collection, range, ..) => {
                let body = build_parts(it);
                it.next(); // endfor
                parts.push(TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                    range,
                });
            }
            Tok::Else(..) | Tok::End(..) => unreachable!("checked by peek above"),
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(src: &str) -> Body {
        parse_body("t.tf".into(), src.into()).expect("parses")
    }
    fn expr(src: &str) -> Expr {
        parse_expr("t.tf".into(), src).expect("parses")
    }

    #[test]
    fn blocks_and_attributes_have_ranges() {
        let b = body("variable \"x\" {\n  default = 1\n}\n");
        let blk = &b.blocks[0];
        assert_eq!(blk.kind, "variable");
        assert_eq!(blk.labels, vec!["x"]);
        assert_eq!(blk.def_range.start.line, 1);
        let a = &blk.body.attributes[0];
        assert_eq!(a.name, "default");
        assert_eq!((a.range.start.line, a.range.start.column), (2, 3));
        assert_eq!(a.expr.kind, ExprKind::Number("1".into()));
    }

    #[test]
    fn numbers_keep_their_text() {
        assert_eq!(
            expr("9007199254740993").kind,
            ExprKind::Number("9007199254740993".into())
        );
        assert_eq!(expr("1.5e3").kind, ExprKind::Number("1.5e3".into()));
    }

    #[test]
    fn single_interpolation_unwraps() {
        assert!(matches!(
            expr("\"${var.x}\"").kind,
            ExprKind::Traversal { .. }
        ));
        assert!(matches!(expr("\"a${var.x}\"").kind, ExprKind::Template(_)));
    }

    /// The literal value of a template without interpolations or directives.
    fn literal(src: &str) -> String {
        match expr(src).kind {
            ExprKind::String(s) => s,
            k => panic!("string expected: {k:?}"),
        }
    }

    #[test]
    fn strip_markers_reach_only_their_own_line_in_heredocs() {
        // Recorded from terraform 1.0.3: a heredoc is one literal token per line.
        let e = expr("<<EOT\nhello\n%{~ if true ~}\n  yes\n%{~ endif ~}\nEOT");
        let ExprKind::Template(parts) = e.kind else {
            panic!("template expected")
        };
        assert_eq!(parts[0], TemplatePart::Literal("hello".into()));
        let TemplatePart::If { then, .. } = &parts[1] else {
            panic!("if expected")
        };
        assert_eq!(then, &vec![TemplatePart::Literal("  yes".into())]);
        // In a quoted template the whole literal is stripped.
        let e = expr("\"a\\n  %{~ if true ~}  \\n  b%{ endif }\"");
        let ExprKind::Template(parts) = e.kind else {
            panic!("template expected")
        };
        assert_eq!(parts[0], TemplatePart::Literal("a".into()));
    }

    #[test]
    fn flush_heredoc_dedents_after_stripping() {
        assert_eq!(
            literal("<<-EOT\n      six\n    four\n\n        eight\n  EOT"),
            "  six\nfour\n\n    eight\n"
        );
        // The line before `%{~` is stripped to nothing: a zero indent, nothing is removed.
        let e = expr("<<-EOT\n    %{~ for x in y ~}\n    ${x}\n    %{ endfor ~}\n    end\n    EOT");
        let ExprKind::Template(parts) = e.kind else {
            panic!("template expected")
        };
        assert_eq!(
            parts.last(),
            Some(&TemplatePart::Literal("    end\n".into()))
        );
        // Escapes are undone; backslashes stay.
        assert_eq!(
            literal("<<-EOT\n  $${a} %%{b} \\n\n  EOT"),
            "${a} %{b} \\n\n"
        );
    }

    #[test]
    fn empty_heredocs_do_not_swallow_what_follows() {
        let b = body("a = <<EOT\nEOT\nb = <<-EOT\n    x\n    EOT\nc = <<-EOF\n  EOF\n");
        let attrs = &b.attributes;
        assert_eq!(attrs.len(), 3);
        assert_eq!(attrs[0].expr.kind, ExprKind::String(String::new()));
        // The expression keeps the range of the whole heredoc.
        let r = &attrs[0].expr.range;
        assert_eq!((r.start.line, r.start.column, r.end.line), (1, 5, 2));
        assert_eq!(attrs[1].expr.kind, ExprKind::String("x\n".into()));
        assert_eq!(attrs[2].expr.kind, ExprKind::String(String::new()));
        assert_eq!(attrs[2].name_range.start.line, 6);
    }

    #[test]
    fn numbers_beyond_float64_parse() {
        assert_eq!(expr("1e400").kind, ExprKind::Number("1e400".into()));
        let e = expr("f(1.5E+400 / 1e300, 2)");
        let ExprKind::FuncCall { args, .. } = e.kind else {
            panic!("call expected")
        };
        let ExprKind::Binary { lhs, .. } = &args[0].kind else {
            panic!("binary expected")
        };
        assert_eq!(lhs.kind, ExprKind::Number("1.5E+400".into()));
        assert!(parse_expr("t.tf".into(), "1e").is_err());
    }

    #[test]
    fn string_literals_are_nfc() {
        assert_eq!(literal("\"e\\u0301\""), "\u{e9}");
        assert_eq!(literal("<<EOT\ne\u{301}\nEOT"), "\u{e9}\n");
    }

    #[test]
    fn splats_lower_to_splat_nodes() {
        let e = expr("aws_subnet.x[*].id");
        let ExprKind::Splat { source, each } = e.kind else {
            panic!("splat expected: {e:?}")
        };
        assert!(matches!(source.kind, ExprKind::Traversal { .. }));
        assert_eq!(each.len(), 1);
        let e = expr("a.*.b[0]");
        // legacy splat ends at the index: (a.*.b)[0]
        let ExprKind::Traversal { base, ops } = e.kind else {
            panic!("traversal expected")
        };
        assert!(matches!(base.kind, ExprKind::Splat { .. }));
        assert_eq!(ops.len(), 1);
    }

    #[test]
    fn chained_legacy_indexes_are_a_number_token() {
        let e = parse_expr("t.tf".into(), "local.t.1.0").unwrap_err();
        assert_eq!(e.summary, "Invalid legacy index syntax");
        let r = e.range.expect("range");
        assert_eq!((r.start.column, r.end.column), (9, 12));
        assert!(parse_expr("t.tf".into(), "local.t.1.a.0").is_ok());
        assert!(parse_expr("t.tf".into(), "local.t.1[0]").is_ok());
    }

    #[test]
    fn hcl_summaries_for_some_syntax_errors() {
        let e = parse_body(
            "t.tf".into(),
            "output \"x\" { value = \"bad \\q\" }\n".into(),
        )
        .unwrap_err();
        assert_eq!(e.summary, "Invalid escape sequence");
        assert_eq!(
            e.detail,
            "The symbol \"q\" is not a valid escape sequence selector."
        );
        let e = parse_body(
            "t.tf".into(),
            "output \"t\" { value = \"$$${\"x\"}\" }\n".into(),
        )
        .unwrap_err();
        assert_eq!(e.summary, "Invalid single-argument block definition");
        let e = parse_body("t.tf".into(), "x = 1\ny = \n".into()).unwrap_err();
        assert_eq!(e.summary, "Invalid HCL syntax");
        let e = parse_body(
            "main.tf".into(),
            "output \"x\" { value = \"%{ if true }never closed\" }\n".into(),
        )
        .unwrap_err();
        assert_eq!(e.summary, "Unexpected end of template");
        assert_eq!(
            e.detail,
            "The if directive at main.tf:1,23-35 is missing its corresponding endif directive."
        );
    }

    #[test]
    fn parse_errors_have_locations() {
        let err = parse_body("a.tf".into(), "x = 1\ny = \n".into()).unwrap_err();
        let r = err.range.expect("range");
        assert_eq!(r.filename.as_ref(), "a.tf");
        assert!(r.start.line >= 2, "{r:?}");
    }
}
