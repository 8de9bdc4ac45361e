//! A small HCL native-syntax lexer that mirrors the token boundaries of HCL's own scanner
//! (`hclsyntax`), which is what Terraform's formatter works on.
//!
//! Every byte of the input ends up in exactly one token, except the ASCII spaces and tabs
//! between tokens, which are recorded as a count in [`Token::spaces_before`]. Comments,
//! string literals, heredocs and template text are kept verbatim.

/// The kinds of token the formatter distinguishes (named after HCL's `TokenType`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    OQuote,
    CQuote,
    OHeredoc,
    CHeredoc,
    Star,
    Slash,
    Plus,
    Minus,
    Percent,
    Equal,
    EqualOp,
    NotEqual,
    LessThan,
    LessThanEq,
    GreaterThan,
    GreaterThanEq,
    And,
    Or,
    Bang,
    Dot,
    Comma,
    Ellipsis,
    FatArrow,
    Question,
    Colon,
    TemplateInterp,
    TemplateControl,
    TemplateSeqEnd,
    /// Literal text inside a quoted template.
    QuotedLit,
    /// Literal text inside a heredoc template.
    StringLit,
    NumberLit,
    Ident,
    Comment,
    Newline,
    Invalid,
    Eof,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub text: String,
    pub spaces_before: usize,
}

impl Token {
    pub fn new(kind: Kind, text: impl Into<String>) -> Self {
        Token {
            kind,
            text: text.into(),
            spaces_before: 0,
        }
    }

    /// A single-line comment (`#`, `//`) consumes its newline, so it also ends a line.
    pub fn ends_line(&self) -> bool {
        match self.kind {
            Kind::Newline => true,
            Kind::Comment => self.text.ends_with('\n'),
            _ => false,
        }
    }

    /// +1 for an opening bracket (including `${` and `%{`), -1 for a closing one.
    pub fn bracket_change(&self) -> i64 {
        match self.kind {
            Kind::OBrace
            | Kind::OBrack
            | Kind::OParen
            | Kind::TemplateInterp
            | Kind::TemplateControl => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }
}

enum Mode {
    /// Ordinary expression syntax. `interp` is true inside `${ }` / `%{ }`, where `braces`
    /// counts the object braces opened since, so the closing `}` can be recognised.
    Main {
        interp: bool,
        braces: usize,
    },
    Quoted,
    Heredoc {
        marker: String,
        start_of_line: bool,
    },
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    spaces: usize,
    out: Vec<Token>,
    modes: Vec<Mode>,
}

/// Splits `src` into tokens; the last token is always [`Kind::Eof`].
pub fn lex(src: &str) -> Vec<Token> {
    let mut lx = Lexer {
        src,
        pos: 0,
        spaces: 0,
        out: Vec::new(),
        modes: vec![Mode::Main {
            interp: false,
            braces: 0,
        }],
    };
    while lx.pos < src.len() {
        match lx.modes.last() {
            Some(Mode::Quoted) => lx.quoted(),
            Some(Mode::Heredoc { .. }) => lx.heredoc(),
            _ => lx.main(),
        }
    }
    lx.push(Kind::Eof, src.len());
    lx.out
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c == '-' || c.is_alphanumeric() || is_combining(c)
}

/// Combining marks and joiners: they extend the previous character rather than start a new
/// user-perceived character (an approximation of Unicode grapheme cluster boundaries).
pub fn is_combining(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C..=0x200D
        | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF | 0xE0100..=0xE01EF)
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    /// Emits the token from the current position to `end` (a byte offset).
    fn push(&mut self, kind: Kind, end: usize) {
        let end = end.clamp(self.pos, self.src.len());
        self.out.push(Token {
            kind,
            text: self.src[self.pos..end].to_string(),
            spaces_before: self.spaces,
        });
        self.spaces = 0;
        self.pos = end;
    }

    fn push_len(&mut self, kind: Kind, len: usize) {
        self.push(kind, self.pos + len);
    }

    fn main(&mut self) {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return;
        };
        let b = rest.as_bytes();
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        match c {
            ' ' | '\t' => {
                self.spaces += 1;
                self.pos += 1;
            }
            '\n' => self.push_len(Kind::Newline, 1),
            '\r' if at(1) == b'\n' => self.push_len(Kind::Newline, 2),
            '#' => self.line_comment(),
            '/' if at(1) == b'/' => self.line_comment(),
            '/' if at(1) == b'*' => {
                let end = rest[2..].find("*/").map_or(rest.len(), |i| i + 4);
                self.push_len(Kind::Comment, end);
            }
            '"' => {
                self.push_len(Kind::OQuote, 1);
                self.modes.push(Mode::Quoted);
            }
            '<' if at(1) == b'<' => {
                if let Some((len, marker)) = heredoc_intro(rest) {
                    self.push_len(Kind::OHeredoc, len);
                    self.modes.push(Mode::Heredoc {
                        marker,
                        start_of_line: true,
                    });
                } else {
                    self.push_len(Kind::LessThan, 1);
                }
            }
            '0'..='9' => {
                let len = number_len(b);
                self.push_len(Kind::NumberLit, len);
            }
            c if is_ident_start(c) => {
                let len = rest
                    .char_indices()
                    .find(|&(i, ch)| i > 0 && !is_ident_continue(ch))
                    .map_or(rest.len(), |(i, _)| i);
                self.push_len(Kind::Ident, len);
            }
            '{' => {
                if let Some(Mode::Main { braces, .. }) = self.modes.last_mut() {
                    *braces += 1;
                }
                self.push_len(Kind::OBrace, 1);
            }
            '}' => self.close_brace(1),
            '~' if at(1) == b'}' => self.close_brace(2),
            _ => {
                let two = |s: &[u8; 2]| at(0) == s[0] && at(1) == s[1];
                let (kind, len) = if rest.starts_with("...") {
                    (Kind::Ellipsis, 3)
                } else if two(b"=>") {
                    (Kind::FatArrow, 2)
                } else if two(b"==") {
                    (Kind::EqualOp, 2)
                } else if two(b"!=") {
                    (Kind::NotEqual, 2)
                } else if two(b">=") {
                    (Kind::GreaterThanEq, 2)
                } else if two(b"<=") {
                    (Kind::LessThanEq, 2)
                } else if two(b"&&") {
                    (Kind::And, 2)
                } else if two(b"||") {
                    (Kind::Or, 2)
                } else {
                    let kind = match c {
                        '[' => Kind::OBrack,
                        ']' => Kind::CBrack,
                        '(' => Kind::OParen,
                        ')' => Kind::CParen,
                        '.' => Kind::Dot,
                        ',' => Kind::Comma,
                        '*' => Kind::Star,
                        '/' => Kind::Slash,
                        '%' => Kind::Percent,
                        '+' => Kind::Plus,
                        '-' => Kind::Minus,
                        '=' => Kind::Equal,
                        '<' => Kind::LessThan,
                        '>' => Kind::GreaterThan,
                        '!' => Kind::Bang,
                        '?' => Kind::Question,
                        ':' => Kind::Colon,
                        _ => Kind::Invalid,
                    };
                    (kind, c.len_utf8())
                };
                self.push_len(kind, len);
            }
        }
    }

    fn line_comment(&mut self) {
        let end = self.rest().find('\n').map_or(self.rest().len(), |i| i + 1);
        self.push_len(Kind::Comment, end);
    }

    fn close_brace(&mut self, len: usize) {
        match self.modes.last_mut() {
            Some(Mode::Main {
                interp: true,
                braces: 0,
            }) => {
                self.push_len(Kind::TemplateSeqEnd, len);
                self.modes.pop();
            }
            Some(Mode::Main { braces, .. }) if len == 1 => {
                *braces = braces.saturating_sub(1);
                self.push_len(Kind::CBrace, 1);
            }
            // A `~` that does not close a template sequence.
            _ => self.push_len(Kind::Invalid, 1),
        }
    }

    /// `${`, `${~`, `%{` or `%{~` at the current position: emits it and enters expression mode.
    fn template_intro(&mut self) -> bool {
        let rest = self.rest();
        let kind = if rest.starts_with("${") {
            Kind::TemplateInterp
        } else if rest.starts_with("%{") {
            Kind::TemplateControl
        } else {
            return false;
        };
        let len = if rest[2..].starts_with('~') { 3 } else { 2 };
        self.push_len(kind, len);
        self.modes.push(Mode::Main {
            interp: true,
            braces: 0,
        });
        true
    }

    fn quoted(&mut self) {
        let src = self.src;
        let rest = &src[self.pos..];
        if rest.starts_with('"') {
            self.push_len(Kind::CQuote, 1);
            self.modes.pop();
            return;
        }
        if self.template_intro() {
            return;
        }
        // Literal text up to the next quote, template introducer or newline. Like HCL's
        // scanner, a lone `$` or `%` (and the escapes `$${`, `%%{`) is a token of its own.
        let b = rest.as_bytes();
        if b[0] == b'$' || b[0] == b'%' {
            let escaped = b.get(1) == Some(&b[0]) && b.get(2) == Some(&b'{');
            self.push_len(Kind::QuotedLit, if escaped { 3 } else { 1 });
            return;
        }
        if b[0] == b'\n' || b[0] == b'\r' {
            // Not valid HCL; keep going without losing bytes.
            let len = if b[0] == b'\r' && b.get(1) == Some(&b'\n') {
                2
            } else {
                1
            };
            self.push_len(Kind::Newline, len);
            self.modes.pop();
            return;
        }
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'"' | b'$' | b'%' | b'\n' | b'\r' => break,
                b'\\' => {
                    i += 1;
                    if i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                        i += utf8_len(b[i]);
                    }
                }
                x => i += utf8_len(x),
            }
        }
        self.push_len(Kind::QuotedLit, i.max(1));
    }

    fn heredoc(&mut self) {
        let Some(Mode::Heredoc {
            marker,
            start_of_line,
        }) = self.modes.last()
        else {
            return;
        };
        let (marker, start_of_line) = (marker.clone(), *start_of_line);
        let src = self.src;
        let rest = &src[self.pos..];
        let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        if start_of_line {
            let line = &rest[..line_end];
            if line.ends_with('\n') && line.trim_matches([' ', '\t', '\r', '\n']) == marker.as_str()
            {
                let body = line.strip_suffix('\n').unwrap_or(line);
                let body = body.strip_suffix('\r').unwrap_or(body);
                let body_len = body.len();
                self.push_len(Kind::CHeredoc, body_len);
                let nl = line_end - body_len;
                self.push_len(Kind::Newline, nl);
                self.modes.pop();
                return;
            }
        }
        if self.template_intro() {
            if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.iter_mut().rev().nth(1) {
                *start_of_line = false;
            }
            return;
        }
        let b = rest.as_bytes();
        let mut i = 0;
        while i < line_end {
            if (b[i] == b'$' || b[i] == b'%') && b.get(i + 1) == Some(&b'{') {
                break;
            }
            if (b[i] == b'$' || b[i] == b'%')
                && b.get(i + 1) == Some(&b[i])
                && b.get(i + 2) == Some(&b'{')
            {
                i += 3;
                continue;
            }
            i += 1;
        }
        let i = i.min(line_end).max(1);
        // Only cut at character boundaries.
        let mut i = i;
        while i < rest.len() && !rest.is_char_boundary(i) {
            i += 1;
        }
        let ends_line = rest[..i].ends_with('\n');
        self.push_len(Kind::StringLit, i);
        if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
            *start_of_line = ends_line;
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// `<<EOT\n` or `<<-EOT\n`: the length of the introducer (newline included) and the marker.
fn heredoc_intro(rest: &str) -> Option<(usize, String)> {
    let after = rest.strip_prefix("<<")?;
    let after = after.strip_prefix('-').unwrap_or(after);
    let mut chars = after.char_indices();
    let (_, first) = chars.next()?;
    if !is_ident_start(first) {
        return None;
    }
    let end = after
        .char_indices()
        .find(|&(i, ch)| i > 0 && !is_ident_continue(ch))
        .map_or(after.len(), |(i, _)| i);
    let marker = &after[..end];
    let tail = &after[end..];
    let nl = if tail.starts_with('\n') {
        1
    } else if tail.starts_with("\r\n") {
        2
    } else {
        return None;
    };
    Some((rest.len() - tail.len() + nl, marker.to_string()))
}

/// Digits, an optional fraction and an optional exponent.
fn number_len(b: &[u8]) -> usize {
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(0);
    if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        i = digits(i + 1);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            i = digits(j);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Kind> {
        lex(src).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn every_byte_is_kept() {
        let src =
            "a = \"x${b}\\\"y$${z}\" # c\r\nh = <<-EOT\n  hi ${x}\n  EOT\n/* m\n*/ n = 1.5e+3\n";
        let toks = lex(src);
        let joined: String = toks
            .iter()
            .map(|t| " ".repeat(t.spaces_before) + &t.text)
            .collect();
        assert_eq!(joined, src);
    }

    #[test]
    fn templates_and_heredocs() {
        use Kind::*;
        assert_eq!(
            kinds("x = \"a${b}\"\n"),
            [
                Ident,
                Equal,
                OQuote,
                QuotedLit,
                TemplateInterp,
                Ident,
                TemplateSeqEnd,
                CQuote,
                Newline,
                Eof
            ]
        );
        assert_eq!(
            kinds("x = <<EOT\nhi\n  EOT\n"),
            [Ident, Equal, OHeredoc, StringLit, CHeredoc, Newline, Eof]
        );
        assert_eq!(
            kinds("x = \"${ {a=1} }\""),
            [
                Ident,
                Equal,
                OQuote,
                TemplateInterp,
                OBrace,
                Ident,
                Equal,
                NumberLit,
                CBrace,
                TemplateSeqEnd,
                CQuote,
                Eof
            ]
        );
        assert_eq!(kinds("a<<b"), [Ident, LessThan, LessThan, Ident, Eof]);
    }

    #[test]
    fn numbers_and_operators() {
        use Kind::*;
        assert_eq!(kinds("1.5e+3"), [NumberLit, Eof]);
        assert_eq!(kinds("a.0"), [Ident, Dot, NumberLit, Eof]);
        assert_eq!(
            kinds("f(x...)=>!=="),
            [Ident, OParen, Ident, Ellipsis, CParen, FatArrow, NotEqual, Equal, Eof]
        );
    }
}
