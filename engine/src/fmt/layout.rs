//! The whitespace pass of HCL's `hclwrite` formatter: indentation by bracket nesting, spacing
//! between tokens, and vertical alignment of `=` and of trailing comments.
//!
//! Like `hclwrite`, it only ever changes [`Token::spaces_before`]; token text is never touched.

use super::lexer::{is_combining, Kind, Token};
use std::ops::Range;

/// One source line, split into up to three cells whose first tokens get aligned.
#[derive(Debug, Default, Clone)]
struct Line {
    /// Everything up to the assignment or trailing comment.
    lead: Range<usize>,
    /// From the `=` of a single-line attribute to the end of the line.
    assign: Option<Range<usize>>,
    /// A trailing single-line comment after other tokens.
    comment: Option<usize>,
}

/// Rewrites the spacing of `tokens` in place.
pub fn format(tokens: &mut [Token]) {
    let mut lines = lines(tokens);
    indent(tokens, &lines);
    spaces(tokens, &mut lines);
    cells(tokens, &lines);
}

/// Writes the tokens out, each preceded by its spaces.
pub fn render(tokens: &[Token]) -> String {
    let mut out =
        String::with_capacity(tokens.iter().map(|t| t.text.len() + t.spaces_before).sum());
    for t in tokens {
        out.extend(std::iter::repeat_n(' ', t.spaces_before));
        out.push_str(&t.text);
    }
    out
}

fn lines(tokens: &[Token]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.kind == Kind::Eof {
            lines.push(start..i);
            start = tokens.len();
            break;
        }
        if t.ends_line() {
            lines.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        let mut end = tokens.len();
        if tokens[end - 1].kind == Kind::Eof {
            end -= 1;
        }
        lines.push(start..end);
    }
    lines
        .into_iter()
        .map(|mut lead| {
            let mut line = Line::default();
            if lead.is_empty() {
                line.lead = lead;
                return line;
            }
            if lead.len() > 1 && tokens[lead.end - 1].kind == Kind::Comment {
                line.comment = Some(lead.end - 1);
                lead.end -= 1;
            }
            if let Some(eq) = lead
                .clone()
                .skip(1)
                .find(|&i| tokens[i].kind == Kind::Equal)
            {
                let net: i64 = tokens[eq..lead.end].iter().map(Token::bracket_change).sum();
                if net == 0 {
                    line.assign = Some(eq..lead.end);
                    lead.end = eq;
                }
            }
            line.lead = lead;
            line
        })
        .collect()
}

fn indent(tokens: &mut [Token], lines: &[Line]) {
    let mut indents: Vec<i64> = Vec::new();
    for line in lines {
        if line.lead.is_empty() {
            continue;
        }
        let first = line.lead.start;
        if tokens[first].kind == Kind::Newline {
            tokens[first].spaces_before = 0;
            continue;
        }
        let net: i64 = tokens[line.lead.clone()]
            .iter()
            .chain(line.assign.clone().map_or(&[][..], |r| &tokens[r]))
            .map(Token::bracket_change)
            .sum();
        if net > 0 {
            tokens[first].spaces_before = 2 * indents.len();
            indents.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else {
                    break;
                };
                if closed > *top {
                    closed -= *top;
                    indents.pop();
                } else if closed < *top {
                    *top -= closed;
                    closed = 0;
                } else {
                    indents.pop();
                    closed = 0;
                }
            }
            tokens[first].spaces_before = 2 * indents.len();
        }
    }
}

fn spaces(tokens: &mut [Token], lines: &mut [Line]) {
    for line in lines.iter() {
        space_cell(tokens, line.lead.clone());
        if let Some(assign) = line.assign.clone() {
            if let Some(t) = tokens.get_mut(assign.start) {
                t.spaces_before = 1;
            }
            space_cell(tokens, assign);
        }
    }
}

fn space_cell(tokens: &mut [Token], cell: Range<usize>) {
    for i in cell.start..cell.end.saturating_sub(1) {
        let before = if i > cell.start {
            Some(tokens[i - 1].kind)
        } else {
            None
        };
        let space = space_after(&tokens[i], before, tokens[i + 1].kind);
        tokens[i + 1].spaces_before = usize::from(space);
    }
}

fn bracket_change(k: Kind) -> i64 {
    Token::new(k, "").bracket_change()
}

/// Whether `subject` is followed by a space when between `before` (None at the start of a
/// cell) and `after`. The order of the rules matters; it is `hclwrite`'s.
pub fn space_after(subject_token: &Token, before: Option<Kind>, after: Kind) -> bool {
    use Kind::*;
    let subject = subject_token.kind;
    match () {
        _ if after == Newline || after == Eof => false,
        _ if subject == Ident && after == OParen => false,
        _ if subject == Dot || after == Dot => false,
        _ if after == Comma || after == Ellipsis => false,
        _ if subject == Comma => true,
        _ if matches!(subject, QuotedLit | StringLit | OQuote | OHeredoc)
            || matches!(after, QuotedLit | StringLit | CQuote | CHeredoc) =>
        {
            false
        }
        // `in` of a for expression, before a tuple: `[for x in [a] : x]`.
        _ if subject == Ident && subject_token.text == "in" && before == Some(Ident) => true,
        _ if after == OBrack
            && (matches!(subject, Ident | NumberLit) || bracket_change(subject) < 0) =>
        {
            false
        }
        _ if subject == Bang => false,
        _ if subject == Minus => !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | GreaterThan
                    | GreaterThanEq
                    | LessThan
                    | LessThanEq
                    | And
                    | Or
                    | Bang
            )
        ),
        _ if subject == OBrace || after == CBrace => !(subject == OBrace && after == CBrace),
        _ if matches!(subject, TemplateInterp | TemplateControl) && after == OBrace => true,
        _ if subject == CBrace && after == TemplateSeqEnd => true,
        _ if subject == TemplateSeqEnd && matches!(after, TemplateInterp | TemplateControl) => {
            false
        }
        _ if bracket_change(subject) > 0 => false,
        _ if bracket_change(after) < 0 => false,
        _ => true,
    }
}

fn cells(tokens: &mut [Token], lines: &[Line]) {
    // `=` first: moving it moves the trailing comments too.
    let lead_cols = |tokens: &[Token], l: &Line| columns(&tokens[l.lead.clone()]);
    align(
        tokens,
        lines,
        |l| l.assign.as_ref().map(|a| a.start),
        lead_cols,
    );
    align(
        tokens,
        lines,
        |l| l.comment,
        |tokens, l| lead_cols(tokens, l) + l.assign.clone().map_or(0, |a| columns(&tokens[a])),
    );
}

/// Aligns the cell picked by `cell` on runs of consecutive lines that all have it.
fn align(
    tokens: &mut [Token],
    lines: &[Line],
    cell: impl Fn(&Line) -> Option<usize>,
    width: impl Fn(&[Token], &Line) -> usize,
) {
    let mut i = 0;
    while i < lines.len() {
        if cell(&lines[i]).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && cell(&lines[i]).is_some() {
            i += 1;
        }
        let chain = &lines[start..i];
        let max = chain.iter().map(|l| width(tokens, l)).max().unwrap_or(0);
        for l in chain {
            let w = width(tokens, l);
            if let Some(c) = cell(l) {
                tokens[c].spaces_before = max - w + 1;
            }
        }
    }
}

/// The width of a run of tokens in user-perceived characters, spaces included.
pub fn columns(tokens: &[Token]) -> usize {
    tokens
        .iter()
        .map(|t| {
            let mut n = 0;
            let mut prev_cr = false;
            for c in t.text.chars() {
                if !(is_combining(c) || (c == '\n' && prev_cr)) {
                    n += 1;
                }
                prev_cr = c == '\r';
            }
            t.spaces_before + n
        })
        .sum()
}
