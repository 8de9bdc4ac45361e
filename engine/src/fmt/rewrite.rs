//! The rewrites `terraform fmt` makes on top of `hclwrite`'s whitespace formatting:
//!
//! - block labels are written in quoted form (`resource aws_vpc main` becomes
//!   `resource "aws_vpc" "main"`), dropping comments between labels;
//! - an attribute whose whole value is one interpolation, `"${ expr }"`, becomes `expr`;
//! - in a top-level `variable` block, `type = "string"` (and `"list"`, `"map"`) become the
//!   type constraints `string`, `list(string)`, `map(string)`, and a bare `list`, `map` or
//!   `set` becomes `list(any)`, `map(any)`, `set(any)`.
//!
//! They are done on the token stream, following the body structure (attributes and blocks).

use super::lexer::{Kind, Token};
use std::ops::Range;

/// Applies the rewrites, returning the new token stream.
pub fn rewrite(tokens: Vec<Token>) -> Vec<Token> {
    let mut w = Walker {
        toks: &tokens,
        edits: Vec::new(),
    };
    let mut i = 0;
    let mut path = Vec::new();
    while i < tokens.len() {
        i = w.body(i, &mut path);
        if tokens.get(i).is_none_or(|t| t.kind == Kind::Eof) {
            break;
        }
        // A stray closing brace at the top level (not valid HCL): skip it.
        i += 1;
    }
    let mut edits = w.edits;
    if edits.is_empty() {
        return tokens;
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::with_capacity(tokens.len());
    let mut pos = 0;
    let mut tokens = tokens.into_iter().enumerate().peekable();
    for (range, replacement) in edits {
        if range.start < pos {
            continue; // overlapping edits cannot happen, but never corrupt the output
        }
        while let Some((_, t)) = tokens.next_if(|(i, _)| *i < range.start) {
            out.push(t);
        }
        while tokens.next_if(|(i, _)| *i < range.end).is_some() {}
        out.extend(replacement);
        pos = range.end;
    }
    out.extend(tokens.map(|(_, t)| t));
    out
}

struct Walker<'a> {
    toks: &'a [Token],
    edits: Vec<(Range<usize>, Vec<Token>)>,
}

impl Walker<'_> {
    fn kind(&self, i: usize) -> Kind {
        self.toks.get(i).map_or(Kind::Eof, |t| t.kind)
    }

    fn skip_comments(&self, mut i: usize) -> usize {
        while self.kind(i) == Kind::Comment {
            i += 1;
        }
        i
    }

    /// Walks a body from `i`; returns the index of its closing brace (or of the EOF token).
    fn body(&mut self, mut i: usize, path: &mut Vec<String>) -> usize {
        loop {
            match self.kind(i) {
                Kind::Eof | Kind::CBrace => return i.min(self.toks.len()),
                Kind::Ident => {
                    let j = self.skip_comments(i + 1);
                    i = if self.kind(j) == Kind::Equal {
                        self.attribute(i, j, path)
                    } else {
                        self.block(i, j, path)
                    };
                }
                _ => i += 1,
            }
        }
    }

    /// An attribute whose name is at `name` and `=` at `eq`; returns the index after its value.
    fn attribute(&mut self, name: usize, eq: usize, path: &[String]) -> usize {
        let mut k = eq + 1;
        let mut depth = 0i64;
        while let Some(t) = self.toks.get(k) {
            let at_end = match t.kind {
                Kind::Newline | Kind::Eof => true,
                Kind::Comment => t.ends_line(),
                Kind::CBrace => depth == 0,
                _ => false,
            };
            if depth <= 0 && at_end {
                break;
            }
            depth += t.bracket_change();
            k += 1;
        }
        // The expression itself, without comments around it.
        let (mut s, mut e) = (eq + 1, k);
        while s < e && self.toks[s].kind == Kind::Comment {
            s += 1;
        }
        while e > s && self.toks[e - 1].kind == Kind::Comment {
            e -= 1;
        }
        let expr = &self.toks[s..e];
        let is_type = path.len() == 1 && path[0] == "variable" && self.toks[name].text == "type";
        let new = if is_type {
            type_expr(expr)
        } else {
            value_expr(expr)
        };
        if let Some(new) = new {
            self.edits.push((s..e, new));
        }
        k
    }

    /// A block whose type is at `ty`, labels (if any) starting at `j`; returns the index
    /// after its closing brace.
    fn block(&mut self, ty: usize, j: usize, path: &mut Vec<String>) -> usize {
        let mut k = j;
        let mut labels: Vec<(Range<usize>, Option<String>)> = Vec::new();
        loop {
            match self.kind(k) {
                Kind::Comment => k += 1,
                Kind::Ident => {
                    labels.push((k..k + 1, Some(self.toks[k].text.clone())));
                    k += 1;
                }
                Kind::OQuote => {
                    let mut m = k + 1;
                    while !matches!(self.kind(m), Kind::CQuote | Kind::Newline | Kind::Eof) {
                        m += 1;
                    }
                    let inner = &self.toks[k + 1..m.min(self.toks.len())];
                    let value = match inner {
                        [] => Some(String::new()),
                        [lit] if lit.kind == Kind::QuotedLit => unescape(&lit.text),
                        _ => None,
                    };
                    let start = k;
                    k = m + usize::from(self.kind(m) == Kind::CQuote);
                    labels.push((start..k, value));
                }
                Kind::OBrace => break,
                // Not a block after all (not valid HCL): carry on after it.
                _ => return k.max(ty + 1),
            }
        }
        // Like `hclwrite`'s `SetLabels`, this also drops comments among the labels (and between
        // the block type and the first label).
        if let Some(last) = labels.last() {
            let range = ty + 1..last.0.end;
            let mut new = Vec::new();
            for (_, value) in &labels {
                if let Some(v) = value {
                    new.push(Token::new(Kind::OQuote, "\""));
                    new.push(Token::new(Kind::QuotedLit, escape(v)));
                    new.push(Token::new(Kind::CQuote, "\""));
                }
            }
            let changed = self.toks[range.clone()]
                .iter()
                .map(|t| (t.kind, t.text.as_str()))
                .ne(new.iter().map(|t| (t.kind, t.text.as_str())));
            if changed {
                self.edits.push((range, new));
            }
        }
        path.push(self.toks[ty].text.clone());
        let end = self.body(k + 1, path);
        path.pop();
        if self.kind(end) == Kind::CBrace {
            end + 1
        } else {
            end
        }
    }
}

/// `"${ expr }"` as a whole attribute value becomes `expr`.
fn value_expr(tokens: &[Token]) -> Option<Vec<Token>> {
    let n = tokens.len();
    if n < 5
        || tokens[0].kind != Kind::OQuote
        || tokens[1].kind != Kind::TemplateInterp
        || tokens[n - 2].kind != Kind::TemplateSeqEnd
        || tokens[n - 1].kind != Kind::CQuote
    {
        return None;
    }
    let inside = &tokens[2..n - 2];
    let mut quotes = 0i64;
    for t in inside {
        match t.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            Kind::TemplateInterp | Kind::TemplateSeqEnd | Kind::QuotedLit => return None,
            _ => {}
        }
    }
    let start = inside
        .iter()
        .position(|t| t.kind != Kind::Newline)
        .unwrap_or(inside.len());
    let end = inside
        .iter()
        .rposition(|t| t.kind != Kind::Newline)
        .map_or(start, |i| i + 1);
    let trimmed = &inside[start..end.max(start)];
    // A multi-line expression is parenthesised so that it still parses (e.g. a conditional
    // split over lines), unless it already starts and ends with parentheses.
    let multi_line = trimmed.iter().any(|t| t.kind == Kind::Newline);
    let parens = trimmed.len() > 1
        && trimmed.first().is_some_and(|t| t.kind == Kind::OParen)
        && trimmed.last().is_some_and(|t| t.kind == Kind::CParen);
    if multi_line && !parens {
        let mut wrapped = Vec::with_capacity(trimmed.len() + 2);
        wrapped.push(Token::new(Kind::OParen, "("));
        wrapped.extend_from_slice(trimmed);
        wrapped.push(Token::new(Kind::CParen, ")"));
        return Some(wrapped);
    }
    Some(trimmed.to_vec())
}

/// Legacy type constraints in a `variable` block's `type`.
fn type_expr(tokens: &[Token]) -> Option<Vec<Token>> {
    let call = |name: &str, arg: &str| {
        vec![
            Token::new(Kind::Ident, name),
            Token::new(Kind::OParen, "("),
            Token::new(Kind::Ident, arg),
            Token::new(Kind::CParen, ")"),
        ]
    };
    match tokens {
        [kw] if kw.kind == Kind::Ident => match kw.text.as_str() {
            "list" | "map" | "set" => Some(call(&kw.text, "any")),
            _ => None,
        },
        [o, s, c]
            if o.kind == Kind::OQuote && s.kind == Kind::QuotedLit && c.kind == Kind::CQuote =>
        {
            match s.text.as_str() {
                "string" => Some(vec![Token::new(Kind::Ident, "string")]),
                "list" => Some(call("list", "string")),
                "map" => Some(call("map", "string")),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The value of a quoted string literal's text (HCL escapes); `None` if it is malformed.
pub fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                u @ ('u' | 'U') => {
                    let n = if u == 'u' { 4 } else { 8 };
                    let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                    if hex.len() != n {
                        return None;
                    }
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            },
            '$' | '%' if chars.peek() == Some(&c) => {
                // `$${` and `%%{` are escapes for a literal `${` / `%{`.
                let mut look = chars.clone();
                look.next();
                if look.peek() == Some(&'{') {
                    chars.next();
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// A string as the text of a quoted HCL string literal.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' => {
                out.push(c);
                if chars.peek() == Some(&'{') {
                    out.push(c);
                }
            }
            c if c.is_control() || matches!(c as u32, 0x2028 | 0x2029 | 0xFEFF) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        for s in ["plain", "a\"b\\c", "${x}", "%{y}", "tab\there\n", "\u{1}"] {
            assert_eq!(unescape(&escape(s)).as_deref(), Some(s));
        }
        assert_eq!(unescape("a\\u0041"), Some("aA".into()));
        assert_eq!(unescape("bad\\q"), None);
    }
}
