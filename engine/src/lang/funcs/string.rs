//! String functions (go-cty stdlib and Terraform's `replace`): chomp, format, formatlist,
//! indent, join, lower, regex, regexall, replace, split, strrev, substr, title, trim,
//! trimprefix, trimsuffix, trimspace, upper.

use super::{
    int_arg, str_arg, string_too_long, FuncError, Function, Impl, Param, Registry, MAX_STRING_BYTES,
};
use crate::lang::convert::convert;
use crate::lang::number::Number;
use crate::lang::types::Type;
use crate::lang::value::Value;
use unicode_segmentation::UnicodeSegmentation;

fn graphemes(s: &str) -> usize {
    s.graphemes(true).count()
}

/// Go's `unicode.ToUpper`: the simple (one character) case mapping, so `ß` stays `ß` where
/// Rust's full mapping gives `SS`. The characters whose full mapping has several characters
/// have no simple mapping, except the Greek ones with iota subscript.
fn go_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    if let (Some(u), None) = (up.next(), up.next()) {
        return u;
    }
    greek_iota_title(c).unwrap_or(c)
}

/// The simple upper/title mapping of the Greek letters with iota subscript (U+1F80–U+1FFC).
fn greek_iota_title(c: char) -> Option<char> {
    let u = c as u32;
    let mapped = match u {
        0x1F80..=0x1FAF if u & 0xF < 8 => u + 8,
        0x1FB3 | 0x1FC3 | 0x1FF3 => u + 9,
        _ => return None,
    };
    char::from_u32(mapped)
}

/// Go's `unicode.ToLower` (simple mapping: `İ` becomes `i`, and `Σ` is always `σ`).
fn go_lower(c: char) -> char {
    let mut low = c.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) => l,
        (Some(l), Some(_)) if l.is_ascii() => l,
        _ => c,
    }
}

/// Go's `unicode.ToTitle`.
fn go_title(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        _ => go_upper(c),
    }
}

/// Go's `strings.ToUpper`, as cty's `upper`.
fn to_upper(s: &str) -> String {
    s.chars().map(go_upper).collect()
}

/// Go's `strings.ToLower`, as cty's `lower`.
fn to_lower(s: &str) -> String {
    s.chars().map(go_lower).collect()
}

fn upper_impl(a: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(to_upper(str_arg(a, 0)?)))
}
fn lower_impl(a: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(to_lower(str_arg(a, 0)?)))
}
fn strrev_impl(a: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(a, 0)?;
    Ok(Value::string(s.graphemes(true).rev().collect::<String>()))
}
fn chomp_impl(a: &[Value]) -> Result<Value, FuncError> {
    let mut s = str_arg(a, 0)?;
    loop {
        if let Some(x) = s.strip_suffix("\r\n") {
            s = x;
        } else if let Some(x) = s.strip_suffix('\n').or_else(|| s.strip_suffix('\r')) {
            s = x;
        } else {
            break;
        }
    }
    Ok(Value::string(s))
}
fn indent_impl(a: &[Value]) -> Result<Value, FuncError> {
    let n = int_arg(a, 0).map_err(FuncError::new)?;
    let s = str_arg(a, 1)?;
    // The padding goes after every newline: refuse before building more than the limit.
    let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
    let lines = s.bytes().filter(|&b| b == b'\n').count();
    let len = lines.saturating_mul(n).saturating_add(s.len());
    if len > MAX_STRING_BYTES {
        return Err(FuncError::arg(0, string_too_long(Some(len))));
    }
    let pad = " ".repeat(if lines == 0 { 0 } else { n });
    Ok(Value::string(s.replace('\n', &format!("\n{pad}"))))
}
fn title_impl(a: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(a, 0)?;
    let is_sep = |r: char| -> bool {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if r.is_alphabetic() || r.is_numeric() {
            return false;
        }
        r.is_whitespace()
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_sep(prev) {
            out.push(go_title(c));
        } else {
            out.push(c);
        }
        prev = c;
    }
    Ok(Value::string(out))
}
fn trimspace_impl(a: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(str_arg(a, 0)?.trim()))
}
fn trim_impl(a: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(a, 0)?;
    let cut = str_arg(a, 1)?;
    Ok(Value::string(s.trim_matches(|c| cut.contains(c))))
}
fn trimprefix_impl(a: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(a, 0)?;
    let p = str_arg(a, 1)?;
    Ok(Value::string(s.strip_prefix(p).unwrap_or(s)))
}
fn trimsuffix_impl(a: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(a, 0)?;
    let p = str_arg(a, 1)?;
    Ok(Value::string(s.strip_suffix(p).unwrap_or(s)))
}
fn split_impl(a: &[Value]) -> Result<Value, FuncError> {
    let sep = str_arg(a, 0)?;
    let s = str_arg(a, 1)?;
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::string(c.to_string())).collect()
    } else {
        s.split(sep).map(Value::string).collect()
    };
    Ok(Value::list(Type::String, parts))
}
fn join_impl(a: &[Value]) -> Result<Value, FuncError> {
    let sep = str_arg(a, 0)?;
    let lists = &a[1.min(a.len())..];
    if lists.is_empty() {
        return Err(FuncError::new("at least one list is required"));
    }
    if lists.iter().any(|l| !l.is_wholly_known()) {
        return Ok(Value::unknown(Type::String));
    }
    let mut items: Vec<&str> = Vec::new();
    for (ai, l) in lists.iter().enumerate() {
        for (ei, v) in l.elements().unwrap_or(&[]).iter().enumerate() {
            match v.as_str() {
                Some(s) => items.push(s),
                None if lists.len() > 1 => {
                    return Err(FuncError::arg(
                        ai + 1,
                        format!(
                            "element {ei} of list {} is null; cannot concatenate null values",
                            ai + 1
                        ),
                    ))
                }
                None => {
                    return Err(FuncError::arg(
                        ai + 1,
                        format!("element {ei} is null; cannot concatenate null values"),
                    ))
                }
            }
        }
    }
    Ok(Value::string(items.join(sep)))
}

fn substr_impl(a: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(a, 0)?;
    let mut offset = int_arg(a, 1).map_err(FuncError::new)?;
    let length = int_arg(a, 2).map_err(FuncError::new)?;
    if offset < 0 {
        offset += graphemes(s) as i64;
    } else if length == 0 {
        return Ok(Value::string(""));
    }
    let gs: Vec<&str> = s.graphemes(true).collect();
    let start = offset.max(0) as usize;
    if offset > 0 && start >= gs.len() {
        return Ok(Value::string(""));
    }
    let rest = &gs[start.min(gs.len())..];
    if length < 0 {
        return Ok(Value::string(rest.concat()));
    }
    // cty's loop always takes at least one cluster when any remain.
    let take = (length as usize).max(1).min(rest.len());
    Ok(Value::string(rest[..take].concat()))
}

// ---- regular expressions ----

/// Translates Go RE2 syntax to the `regex` crate's: Go's `\d`, `\w`, `\s` and `\b` are ASCII
/// only, while the crate's are Unicode-aware.
fn go_regex(pat: &str) -> Result<regex::Regex, String> {
    let mut out = String::with_capacity(pat.len() + 8);
    let mut it = pat.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('s') => out.push_str("[\\t\\n\\f\\r ]"),
            Some('S') => out.push_str("[^\\t\\n\\f\\r ]"),
            Some('b') => out.push_str("(?-u:\\b)"),
            Some('B') => out.push_str("(?-u:\\B)"),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    regex::RegexBuilder::new(&out)
        .size_limit(1 << 24)
        .build()
        .map_err(|e| regex_error(pat, &e))
}

fn regex_error(pat: &str, e: &regex::Error) -> String {
    let text = e.to_string();
    let code = if text.contains("unclosed group") {
        "missing closing )"
    } else if text.contains("unopened group") {
        "unexpected )"
    } else if text.contains("unclosed character class") {
        "missing closing ]"
    } else if text.contains("repetition operator missing expression") {
        "missing argument to repetition operator"
    } else if text.contains("escape sequence") {
        "invalid escape sequence"
    } else {
        return format!(
            "error parsing pattern: {}",
            text.lines().last().unwrap_or("")
        );
    };
    format!("invalid regexp pattern: {code} in {pat}")
}

fn regex_result_type(pat: &str) -> Result<Type, FuncError> {
    let re = go_regex(pat).map_err(|m| FuncError::arg(0, m))?;
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let unnamed = names.iter().filter(|n| n.is_none()).count();
    let named: Vec<&str> = names.iter().flatten().copied().collect();
    match (unnamed, named.len()) {
        (0, 0) => Ok(Type::String),
        (u, k) if u > 0 && k > 0 => Err(FuncError::arg(
            0,
            "invalid regexp pattern: cannot mix both named and unnamed capture groups",
        )),
        (u, 0) => Ok(Type::tuple(vec![Type::String; u])),
        _ => Ok(Type::object(
            named.into_iter().map(|n| (n.to_string(), Type::String)),
        )),
    }
}

fn regex_ret(a: &[Value]) -> Result<Type, FuncError> {
    match a.first().and_then(Value::as_str) {
        Some(p) => regex_result_type(p),
        None => Ok(Type::Dynamic),
    }
}
fn regexall_ret(a: &[Value]) -> Result<Type, FuncError> {
    match a.first().and_then(Value::as_str) {
        Some(p) => regex_result_type(p).map(Type::list),
        None => Ok(Type::list(Type::Dynamic)),
    }
}

fn capture_value(caps: &regex::Captures<'_>, re: &regex::Regex, ty: &Type) -> Value {
    let get = |i: usize| match caps.get(i) {
        Some(m) => Value::string(m.as_str()),
        None => Value::null(Type::String),
    };
    match ty {
        Type::Tuple(ts) => Value::tuple((1..=ts.len()).map(get).collect()),
        Type::Object(_) => Value::object(
            re.capture_names()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), get(i))))
                .collect(),
        ),
        _ => get(0),
    }
}

fn regex_impl(a: &[Value]) -> Result<Value, FuncError> {
    let pat = str_arg(a, 0)?;
    let s = str_arg(a, 1)?;
    let ty = regex_result_type(pat)?;
    let re = go_regex(pat).map_err(|m| FuncError::arg(0, m))?;
    match re.captures(s) {
        Some(c) => Ok(capture_value(&c, &re, &ty)),
        None => Err(FuncError::new(
            "pattern did not match any part of the given string",
        )),
    }
}

fn regexall_impl(a: &[Value]) -> Result<Value, FuncError> {
    let pat = str_arg(a, 0)?;
    let s = str_arg(a, 1)?;
    let ty = regex_result_type(pat)?;
    let re = go_regex(pat).map_err(|m| FuncError::arg(0, m))?;
    let items: Vec<Value> = re
        .captures_iter(s)
        .map(|c| capture_value(&c, &re, &ty))
        .collect();
    Ok(Value::list(ty, items))
}

fn replace_impl(a: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(a, 0)?;
    let sub = str_arg(a, 1)?;
    let rep = str_arg(a, 2)?;
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = go_regex(&sub[1..sub.len() - 1]).map_err(FuncError::new)?;
        // `Regex::replace_all`, checking the length as it goes (every match may expand `rep`).
        let mut out = String::new();
        let mut last = 0;
        for caps in re.captures_iter(s) {
            let Some(m) = caps.get(0) else { continue };
            out.push_str(&s[last..m.start()]);
            caps.expand(rep, &mut out);
            last = m.end();
            if out.len() > MAX_STRING_BYTES {
                return Err(FuncError::arg(2, string_too_long(None)));
            }
        }
        out.push_str(&s[last..]);
        return Ok(Value::string(out));
    }
    // The length of the result: every occurrence of `sub` (every rune boundary when it is
    // empty) becomes `rep`.
    let occurrences = if sub.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(sub).count()
    };
    let len = (s.len() - occurrences.saturating_mul(sub.len()).min(s.len()))
        .saturating_add(occurrences.saturating_mul(rep.len()));
    if len > MAX_STRING_BYTES {
        return Err(FuncError::arg(2, string_too_long(Some(len))));
    }
    if sub.is_empty() {
        // Go's strings.Replace with an empty old string inserts `rep` around every rune.
        let mut out = String::with_capacity(s.len() * 2 + rep.len());
        out.push_str(rep);
        for c in s.chars() {
            out.push(c);
            out.push_str(rep);
        }
        return Ok(Value::string(out));
    }
    Ok(Value::string(s.replace(sub, rep)))
}

// ---- format ----

#[derive(Default, Clone)]
struct Verb {
    raw: String,
    offset: usize,
    arg: usize,
    mode: char,
    zero: bool,
    sharp: bool,
    plus: bool,
    minus: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// cty's `formatFSM`. Errors from an argument carry its index among the format arguments.
pub(crate) fn format_str(f: &str, args: &[Value]) -> Result<String, FuncError> {
    let b = f.as_bytes();
    let mut out = String::new();
    let mut p = 0usize;
    let mut next_arg = 1usize;
    let mut highest = 0usize;
    while p < b.len() {
        if b[p] != b'%' {
            let ch_len = f[p..].chars().next().map(char::len_utf8).unwrap_or(1);
            out.push_str(&f[p..p + ch_len]);
            p += ch_len;
            continue;
        }
        let start = p;
        p += 1;
        if p < b.len() && b[p] == b'%' {
            out.push('%');
            p += 1;
            continue;
        }
        let mut v = Verb {
            arg: next_arg,
            offset: start,
            ..Verb::default()
        };
        while p < b.len() {
            match b[p] {
                b'0' => v.zero = true,
                b'#' => v.sharp = true,
                b'-' => v.minus = true,
                b'+' => v.plus = true,
                b' ' => v.space = true,
                _ => break,
            }
            p += 1;
        }
        if p < b.len() && (b'1'..=b'9').contains(&b[p]) {
            v.width = Some(at_most_max("width", decimal(b, &mut p), start)?);
        }
        if p < b.len() && b[p] == b'.' {
            p += 1;
            v.prec = Some(at_most_max("precision", decimal(b, &mut p), start)?);
        }
        if p < b.len() && b[p] == b'[' {
            p += 1;
            if p >= b.len() || !(b'1'..=b'9').contains(&b[p]) {
                return bad_char(f, p);
            }
            let n = decimal(b, &mut p);
            if p >= b.len() || b[p] != b']' {
                return bad_char(f, p);
            }
            p += 1;
            v.arg = n;
        }
        if p >= b.len() {
            return Err(FuncError::new(format!(
                "invalid format string starting at offset {}",
                p.saturating_sub(1).max(start)
            )));
        }
        if !b[p].is_ascii_alphabetic() {
            return bad_char(f, p);
        }
        v.mode = b[p] as char;
        p += 1;
        v.raw = f[start..p].to_string();
        highest = highest.max(v.arg);
        format_append(&v, &mut out, args)?;
        // Each verb is at most MAX_WIDTH wide, but there may be many.
        if out.len() > MAX_STRING_BYTES {
            return Err(FuncError::arg(0, string_too_long(None)));
        }
        next_arg = v.arg + 1;
    }
    if highest < args.len() {
        let first_bad = highest + 1;
        if highest == 0 {
            return Err(FuncError::arg(
                first_bad,
                "too many arguments; no verbs in format string",
            ));
        }
        return Err(FuncError::arg(
            first_bad,
            format!("too many arguments; only {highest} used by format string"),
        ));
    }
    Ok(out)
}

/// Widths and precisions beyond this are refused (Go's fmt gives up at the same size) rather than
/// allocating gigabytes: `format("%9007199254740993v", 1)` was found by the fuzzer.
const MAX_WIDTH: usize = 1_000_000;

/// The decimal digits at `b[*p..]` as a number (saturating), with `p` moved past them.
fn decimal(b: &[u8], p: &mut usize) -> usize {
    let mut n = 0usize;
    while *p < b.len() && b[*p].is_ascii_digit() {
        n = n.saturating_mul(10).saturating_add((b[*p] - b'0') as usize);
        *p += 1;
    }
    n
}

/// `n`, a width or a precision, unless it is over [`MAX_WIDTH`].
fn at_most_max(what: &str, n: usize, start: usize) -> Result<usize, FuncError> {
    if n > MAX_WIDTH {
        return Err(FuncError::new(format!(
            "{what} {n} at offset {start} is too large (at most {MAX_WIDTH})"
        )));
    }
    Ok(n)
}

fn bad_char(f: &str, p: usize) -> Result<String, FuncError> {
    let c = f
        .get(p..)
        .and_then(|r| r.chars().next())
        .unwrap_or('\u{fffd}');
    Err(FuncError::new(format!(
        "unrecognized format character {} at offset {p}",
        go_quote_rune(c)
    )))
}

fn go_quote_rune(c: char) -> String {
    let q = crate::lang::value::go_quote(&c.to_string());
    let inner = &q[1..q.len() - 1];
    let inner = if inner == "\\\"" { "\"" } else { inner };
    if c == '\'' {
        return "'\\''".into();
    }
    format!("'{inner}'")
}

fn format_append(v: &Verb, out: &mut String, args: &[Value]) -> Result<(), FuncError> {
    let idx = v.arg.wrapping_sub(1);
    let Some(arg) = args.get(idx) else {
        return Err(FuncError::new(format!(
            "not enough arguments for {} at {}: need index {} but have {} total",
            crate::lang::value::go_quote(&v.raw),
            v.offset,
            v.arg,
            args.len()
        )));
    };
    let unsupported = |m: &str| {
        FuncError::new(format!(
            "unsupported value for {} at {}: {m}",
            crate::lang::value::go_quote(&v.raw),
            v.offset
        ))
    };
    if v.mode != 'v' && arg.is_null() {
        return Err(unsupported("null value cannot be formatted"));
    }
    match v.mode {
        'v' => {
            if !v.sharp && !arg.is_null() {
                if let Some(s) = arg.as_str() {
                    out.push_str(&pad_width(v, s.to_string()));
                    return Ok(());
                }
                if let Some(n) = arg.as_number() {
                    out.push_str(&pad_width(v, fmt_float_g(n, None)));
                    return Ok(());
                }
            }
            let j = arg.to_json().map_err(|e| unsupported(&e))?;
            out.push_str(&pad_width(v, j));
        }
        't' => {
            let b = convert(arg, &Type::Bool).map_err(|e| unsupported(&e.message))?;
            out.push_str(if b.as_bool() == Some(true) {
                "true"
            } else {
                "false"
            });
        }
        'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G' => {
            let nv = convert(arg, &Type::Number).map_err(|e| unsupported(&e.message))?;
            let Some(n) = nv.as_number() else {
                return Err(unsupported("a number is required"));
            };
            if matches!(v.mode, 'b' | 'd' | 'o' | 'x' | 'X') {
                let Some((neg, m)) = n.to_bigint_parts() else {
                    return Err(unsupported("an integer is required"));
                };
                out.push_str(&fmt_int(v, neg, &m));
            } else {
                out.push_str(&fmt_float(v, n));
            }
        }
        's' | 'q' => {
            let sv = convert(arg, &Type::String).map_err(|e| unsupported(&e.message))?;
            let s = sv.as_str().unwrap_or("");
            let s: String = match v.prec {
                Some(p) if p > 0 => s.graphemes(true).take(p).collect(),
                _ => s.to_string(),
            };
            if v.mode == 's' {
                out.push_str(&pad_width(v, s));
            } else {
                let j = Value::string(s).to_json().unwrap_or_default();
                out.push_str(&pad_width(v, j));
            }
        }
        m => {
            return Err(FuncError::new(format!(
                "unsupported format verb {} in {} at offset {}",
                go_quote_rune(m),
                crate::lang::value::go_quote(&v.raw),
                v.offset
            )))
        }
    }
    Ok(())
}

fn pad_width(v: &Verb, s: String) -> String {
    let Some(w) = v.width else { return s };
    let n = graphemes(&s);
    if n >= w {
        return s;
    }
    let pads = (if v.zero { "0" } else { " " }).repeat(w - n);
    if v.minus {
        s + &pads
    } else {
        pads + &s
    }
}

/// Go's `fmt` of a `*big.Int` with the integer verbs.
fn fmt_int(v: &Verb, neg: bool, m: &num_bigint::BigUint) -> String {
    let base = match v.mode {
        'b' => 2,
        'o' => 8,
        'x' | 'X' => 16,
        _ => 10,
    };
    let mut digits = m.to_str_radix(base);
    if v.mode == 'X' {
        digits = digits.to_uppercase();
    }
    let sign = if neg && m.bits() > 0 {
        "-"
    } else if v.plus {
        "+"
    } else if v.space {
        " "
    } else {
        ""
    };
    let prefix = if v.sharp {
        match v.mode {
            'b' => "0b",
            'o' => "0",
            'x' => "0x",
            'X' => "0X",
            _ => "",
        }
    } else {
        ""
    };
    let mut zeros = 0usize;
    if let Some(p) = v.prec {
        if digits.len() < p {
            zeros = p - digits.len();
        } else if digits == "0" && p == 0 {
            return String::new();
        }
    }
    let len = sign.len() + prefix.len() + zeros + digits.len();
    let mut left = 0usize;
    let mut right = 0usize;
    if let Some(w) = v.width {
        if len < w {
            let d = w - len;
            if v.minus {
                right = d;
            } else if v.zero && v.prec.is_none() {
                zeros = d;
            } else {
                left = d;
            }
        }
    }
    format!(
        "{}{sign}{prefix}{}{digits}{}",
        " ".repeat(left),
        "0".repeat(zeros),
        " ".repeat(right)
    )
}

/// Exact decimal digits of a number: (digits without leading zeros, exponent) so that the
/// value is 0.d1d2... * 10^exp. Empty digits for zero.
fn decimal_digits(n: &Number, shortest: bool) -> (Vec<u8>, i64) {
    let a = n.abs();
    let text = if shortest { a.text_f() } else { a.text_g(200) };
    parse_decimal(&text)
}

fn parse_decimal(t: &str) -> (Vec<u8>, i64) {
    let (mant, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (t, 0),
    };
    let (ip, fp) = match mant.find('.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, ""),
    };
    let mut digits: Vec<u8> = ip.bytes().chain(fp.bytes()).map(|c| c - b'0').collect();
    let mut e = ip.len() as i64 + exp;
    while digits.first() == Some(&0) {
        digits.remove(0);
        e -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        e = 0;
    }
    (digits, e)
}

/// Rounds decimal digits to `n` significant digits, half to even (exact input).
fn round_digits(d: &mut Vec<u8>, e: &mut i64, n: i64) {
    if n < 0 {
        d.clear();
        return;
    }
    let n = n as usize;
    if d.len() <= n {
        return;
    }
    let up = match d[n].cmp(&5) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => {
            d[n + 1..].iter().any(|&x| x != 0) || (n > 0 && d[n - 1] % 2 == 1)
        }
    };
    d.truncate(n);
    if up {
        let mut i = n;
        loop {
            if i == 0 {
                d.insert(0, 1);
                *e += 1;
                break;
            }
            i -= 1;
            if d[i] == 9 {
                d[i] = 0;
            } else {
                d[i] += 1;
                break;
            }
        }
        if n == 0 && d.len() > 1 {
            d.truncate(1);
        }
    }
    while d.last() == Some(&0) {
        d.pop();
    }
}

fn digit_at(d: &[u8], i: i64) -> char {
    if i >= 0 && (i as usize) < d.len() {
        (b'0' + d[i as usize]) as char
    } else {
        '0'
    }
}

fn fmt_f_digits(d: &[u8], e: i64, prec: usize) -> String {
    let mut s = String::new();
    if e > 0 {
        for i in 0..e {
            s.push(digit_at(d, i));
        }
    } else {
        s.push('0');
    }
    if prec > 0 {
        s.push('.');
        for i in 0..prec as i64 {
            s.push(digit_at(d, e + i));
        }
    }
    s
}

fn fmt_e_digits(d: &[u8], e: i64, prec: usize, ch: char) -> String {
    let mut s = String::new();
    s.push(if d.is_empty() { '0' } else { digit_at(d, 0) });
    if prec > 0 {
        s.push('.');
        for i in 1..=prec as i64 {
            s.push(digit_at(d, i));
        }
    }
    let exp = if d.is_empty() { 0 } else { e - 1 };
    s.push(ch);
    s.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        s.push('0');
    }
    s.push_str(&a.to_string());
    s
}

/// Go's big.Float `Text('g', prec)` (prec None = shortest) without sign.
fn fmt_float_g_abs(n: &Number, prec: Option<usize>, ch: char) -> String {
    let shortest = prec.is_none();
    let (mut d, mut e) = decimal_digits(n, shortest);
    let mut p = match prec {
        Some(p) => {
            let p = p.max(1);
            round_digits(&mut d, &mut e, p as i64);
            p as i64
        }
        None => d.len() as i64,
    };
    let mut eprec = p;
    if eprec > d.len() as i64 && d.len() as i64 >= e {
        eprec = d.len() as i64;
    }
    if shortest {
        eprec = 6;
    }
    let exp = e - 1;
    if !d.is_empty() && (exp < -4 || exp >= eprec) {
        if p > d.len() as i64 {
            p = d.len() as i64;
        }
        return fmt_e_digits(
            &d,
            e,
            (p - 1).max(0) as usize,
            if ch == 'G' { 'E' } else { 'e' },
        );
    }
    if p > e {
        p = d.len() as i64;
    }
    fmt_f_digits(&d, e, (p - e).max(0) as usize)
}

fn fmt_float_g(n: &Number, prec: Option<usize>) -> String {
    if n.is_inf() {
        return if n.is_neg() { "-Inf" } else { "+Inf" }.into();
    }
    let body = fmt_float_g_abs(n, prec, 'g');
    if n.is_neg() {
        format!("-{body}")
    } else {
        body
    }
}

/// Go's `fmt` of a `*big.Float` with %e %E %f %g %G, including flags and width.
fn fmt_float(v: &Verb, n: &Number) -> String {
    let body = if n.is_inf() {
        "Inf".to_string()
    } else {
        match v.mode {
            'f' => {
                let prec = v.prec.unwrap_or(6);
                let (mut d, mut e) = decimal_digits(n, false);
                let keep = e + prec as i64;
                round_digits(&mut d, &mut e, keep);
                fmt_f_digits(&d, e, prec)
            }
            'e' | 'E' => {
                let prec = v.prec.unwrap_or(6);
                let (mut d, mut e) = decimal_digits(n, false);
                round_digits(&mut d, &mut e, 1 + prec as i64);
                fmt_e_digits(&d, e, prec, v.mode)
            }
            _ => fmt_float_g_abs(n, v.prec, v.mode),
        }
    };
    let sign = if n.is_neg() {
        "-"
    } else if v.plus {
        "+"
    } else if v.space {
        " "
    } else {
        ""
    };
    let mut pad = 0usize;
    if let Some(w) = v.width {
        if w > sign.len() + body.len() {
            pad = w - sign.len() - body.len();
        }
    }
    if v.zero && !n.is_inf() {
        format!("{sign}{}{body}", "0".repeat(pad))
    } else if v.minus {
        format!("{sign}{body}{}", " ".repeat(pad))
    } else {
        format!("{}{sign}{body}", " ".repeat(pad))
    }
}

fn format_impl(a: &[Value]) -> Result<Value, FuncError> {
    let f = str_arg(a, 0)?;
    let rest = &a[1.min(a.len())..];
    if rest.iter().any(|v| !v.is_wholly_known()) {
        return Ok(Value::unknown(Type::String));
    }
    format_str(f, rest).map(Value::string)
}

fn formatlist_impl(a: &[Value]) -> Result<Value, FuncError> {
    let f = str_arg(a, 0)?;
    let rest = &a[1.min(a.len())..];
    if rest.is_empty() {
        return Ok(Value::list(
            Type::String,
            vec![Value::string(format_str(f, rest)?)],
        ));
    }
    let mut iter_len: Option<(usize, usize)> = None;
    let mut unknown = false;
    for (i, arg) in rest.iter().enumerate() {
        let ty = arg.ty();
        if (ty.is_list() || ty.is_set() || ty.is_tuple()) && !arg.is_null() {
            if !ty.is_tuple() && !arg.is_known() {
                unknown = true;
                continue;
            }
            let this = match &ty {
                Type::Tuple(ts) => ts.len(),
                _ => arg.length().unwrap_or(0),
            };
            match iter_len {
                None => iter_len = Some((this, i)),
                Some((l, chooser)) if l != this => {
                    return Err(FuncError::arg(
                        i + 1,
                        format!(
                            "argument {} has length {this}, which is inconsistent with argument {} of length {l}",
                            i + 1,
                            chooser + 1
                        ),
                    ))
                }
                _ => {}
            }
            if !arg.is_known() {
                unknown = true;
            }
        }
    }
    if unknown {
        return Ok(Value::unknown(Type::list(Type::String)));
    }
    let n = match iter_len {
        Some((0, _)) => return Ok(Value::empty_list(Type::String)),
        Some((l, _)) => l,
        None => 1,
    };
    let mut out = Vec::with_capacity(n);
    let mut total = 0usize;
    'results: for k in 0..n {
        let mut fargs = Vec::with_capacity(rest.len());
        for arg in rest {
            let ty = arg.ty();
            let v = if (ty.is_list() || ty.is_set() || ty.is_tuple()) && !arg.is_null() {
                arg.elements()
                    .and_then(|e| e.get(k))
                    .cloned()
                    .unwrap_or_else(|| Value::unknown(Type::Dynamic))
            } else {
                arg.clone()
            };
            if !v.is_wholly_known() {
                out.push(Value::unknown(Type::String));
                continue 'results;
            }
            fargs.push(v);
        }
        match format_str(f, &fargs) {
            Ok(s) => {
                total = total.saturating_add(s.len());
                if total > MAX_STRING_BYTES {
                    return Err(FuncError::arg(0, string_too_long(None)));
                }
                out.push(Value::string(s))
            }
            Err(e) => {
                return Err(FuncError::new(format!(
                    "error on format iteration {k}: {}",
                    e.message
                )))
            }
        }
    }
    Ok(Value::list(Type::String, out))
}

/// Registers this group's functions.
pub fn register(r: &mut Registry) {
    let s = |name| Param::new(name, Type::String);
    let n = |name| Param::new(name, Type::Number);
    let string = |params, imp: Impl| Function::simple(params, Type::String, imp);
    r.register("upper", string(vec![s("str")], upper_impl));
    r.register("lower", string(vec![s("str")], lower_impl));
    r.register(
        "strrev",
        string(vec![s("str").allow_dynamic_type()], strrev_impl),
    );
    r.register("chomp", string(vec![s("str")], chomp_impl));
    r.register("title", string(vec![s("str")], title_impl));
    r.register("trimspace", string(vec![s("str")], trimspace_impl));
    r.register("indent", string(vec![n("spaces"), s("str")], indent_impl));
    r.register("trim", string(vec![s("str"), s("cutset")], trim_impl));
    r.register(
        "trimprefix",
        string(vec![s("str"), s("prefix")], trimprefix_impl),
    );
    r.register(
        "trimsuffix",
        string(vec![s("str"), s("suffix")], trimsuffix_impl),
    );
    r.register(
        "split",
        Function::simple(
            vec![s("separator"), s("str")],
            Type::list(Type::String),
            split_impl,
        ),
    );
    r.register(
        "join",
        string(vec![s("separator")], join_impl)
            .variadic(Param::new("lists", Type::list(Type::String))),
    );
    r.register(
        "substr",
        string(
            vec![
                s("str").allow_dynamic_type(),
                n("offset").allow_dynamic_type(),
                n("length").allow_dynamic_type(),
            ],
            substr_impl,
        ),
    );
    r.register(
        "regex",
        Function::computed(vec![s("pattern"), s("string")], regex_ret, regex_impl),
    );
    r.register(
        "regexall",
        Function::computed(vec![s("pattern"), s("string")], regexall_ret, regexall_impl),
    );
    r.register(
        "replace",
        string(vec![s("str"), s("substr"), s("replace")], replace_impl),
    );
    r.register(
        "format",
        string(vec![s("format")], format_impl)
            .variadic(Param::new("args", Type::Dynamic).allow_null()),
    );
    r.register(
        "formatlist",
        Function::simple(vec![s("format")], Type::list(Type::String), formatlist_impl).variadic(
            Param::new("args", Type::Dynamic)
                .allow_null()
                .allow_unknown(),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn r(name: &str, args: Vec<Value>) -> String {
        run(name, args).replace('\n', " ")
    }

    #[test]
    fn format_verbs() {
        assert_eq!(
            r(
                "format",
                vec![
                    s("%v|%v|%#v|%v"),
                    n("1234567"),
                    n("0.5"),
                    s("x"),
                    tup(vec![n("1"), s("a")])
                ]
            ),
            r#""1.234567e+06|0.5|\"x\"|[1,\"a\"]""#
        );
        assert_eq!(
            r(
                "format",
                vec![
                    s("%5.2f|%-6d|%06.1f|%e|%g|%+d|%x|%X|%o|%b"),
                    n("3.14159"),
                    n("42"),
                    n("-2.5"),
                    n("1234.5678"),
                    n("0.000012345"),
                    n("5"),
                    n("255"),
                    n("255"),
                    n("8"),
                    n("5")
                ]
            ),
            "\" 3.14|42    |-002.5|1.234568e+03|1.2345e-05|+5|ff|FF|10|101\""
        );
        assert_eq!(
            r("format", vec![s("%s %[1]s %q"), s("é"), s("x")]),
            r#""é é \"x\"""#
        );
        assert_eq!(
            r(
                "format",
                vec![s("%.3s|%5s|%-5s|"), s("abcdef"), s("ab"), s("cd")]
            ),
            "\"abc|   ab|cd   |\""
        );
        assert_eq!(
            r("format", vec![s("%d"), n("1.5")]),
            "ERR: unsupported value for \"%d\" at 0: an integer is required"
        );
        assert_eq!(
            r("format", vec![s("%z"), n("1")]),
            "ERR: unsupported format verb 'z' in \"%z\" at offset 0"
        );
        assert_eq!(
            r("format", vec![s("%d"), s("x")]),
            "ERR: unsupported value for \"%d\" at 0: a number is required"
        );
        // %t converts as cty 1.9's convert package does ("1" and "0" are bools).
        assert_eq!(
            r("format", vec![s("%t %t"), s("1"), s("0")]),
            "\"true false\""
        );
        assert_eq!(
            r("format", vec![s("%t"), s("TRUE")]),
            "ERR: unsupported value for \"%t\" at 0: a bool is required; to convert from string, use lowercase \"true\""
        );
        assert_eq!(
            r("format", vec![s("a"), n("1")]),
            "ERR[1]: too many arguments; no verbs in format string"
        );
        assert_eq!(
            r("format", vec![s("%d %d"), n("1")]),
            "ERR: not enough arguments for \"%d\" at 3: need index 2 but have 1 total"
        );
        assert_eq!(
            r("format", vec![s("%s"), Value::unknown(Type::String)]),
            "(known after apply)"
        );
        assert_eq!(
            r("format", vec![s("%s"), s("x").mark_sensitive()]),
            "(sensitive)"
        );
        assert_eq!(
            r("formatlist", vec![s("%s-%d"), strs(&["a", "b"]), n("1")]),
            "tolist([   \"a-1\",   \"b-1\", ])"
        );
        assert_eq!(
            r("formatlist", vec![s("%s"), strs(&["a"]), strs(&["b", "c"])]),
            "ERR[2]: argument 2 has length 2, which is inconsistent with argument 1 of length 1"
        );
    }

    #[test]
    fn strings() {
        assert_eq!(r("upper", vec![s("héllo")]), "\"HÉLLO\"");
        // Go's simple case mappings, recorded from terraform 1.0.3.
        assert_eq!(r("upper", vec![s("straße ᾳ ǆ")]), "\"STRAßE ᾼ Ǆ\"");
        assert_eq!(r("lower", vec![s("İ ΟΔΟΣ")]), "\"i οδοσ\"");
        assert_eq!(r("title", vec![s("ǆx ßa")]), "\"ǅx ßa\"");
        assert_eq!(
            r("upper", vec![Value::null(Type::String)]),
            "ERR[0]: argument must not be null"
        );
        assert_eq!(r("strrev", vec![s("ae\u{301}b")]), "\"be\u{301}a\"");
        assert_eq!(r("substr", vec![s("héllo"), n("-3"), n("2")]), "\"ll\"");
        assert_eq!(r("substr", vec![s("abc"), n("1"), n("0")]), "\"\"");
        assert_eq!(r("substr", vec![s("abc"), n("5"), n("1")]), "\"\"");
        assert_eq!(r("substr", vec![s("abcdef"), n("1"), n("-1")]), "\"bcdef\"");
        assert_eq!(
            r("title", vec![s("hello wORLD-foo_bar")]),
            "\"Hello WORLD-Foo_bar\""
        );
        assert_eq!(
            r("split", vec![s(""), s("abc")]),
            "tolist([   \"a\",   \"b\",   \"c\", ])"
        );
        assert_eq!(r("split", vec![s(","), s("")]), "tolist([   \"\", ])");
        assert_eq!(r("chomp", vec![s("a\n\r\n")]), "\"a\"");
        assert_eq!(
            r(
                "join",
                vec![
                    s(","),
                    strs(&["a"]),
                    tup(vec![s("b"), Value::null(Type::String)])
                ]
            ),
            "ERR[2]: element 1 of list 2 is null; cannot concatenate null values"
        );
        assert_eq!(r("join", vec![s("-"), strs(&["a", "b"])]), "\"a-b\"");
        assert_eq!(r("indent", vec![n("2"), s("a\nb")]), "<<EOT a   b EOT");
        assert_eq!(r("trim", vec![s("?!hi!?"), s("!?")]), "\"hi\"");
        assert_eq!(r("trimprefix", vec![s("foobar"), s("foo")]), "\"bar\"");
        assert_eq!(r("trimsuffix", vec![s("foobar"), s("bar")]), "\"foo\"");
        assert_eq!(r("trimspace", vec![s(" \n x \t")]), "\"x\"");
    }

    #[test]
    fn regexes() {
        assert_eq!(
            r("replace", vec![s("abc"), s("/x*/"), s("-")]),
            "\"-a-b-c-\""
        );
        assert_eq!(
            r("replace", vec![s("a-b"), s("/(\\w)-(\\w)/"), s("$2+$1")]),
            "\"b+a\""
        );
        assert_eq!(r("replace", vec![s("aaa"), s("a"), s("b")]), "\"bbb\"");
        assert_eq!(
            r("regex", vec![s("(\\d+)-(\\w+)"), s("ab 12-xy")]),
            "[   \"12\",   \"xy\", ]"
        );
        assert_eq!(
            r("regex", vec![s("\\d"), s("٣")]),
            "ERR: pattern did not match any part of the given string"
        );
        assert_eq!(
            r("regexall", vec![s("(?P<k>[a-z])=(?P<v>\\d)?"), s("a=1 b=")]),
            "tolist([   {     \"k\" = \"a\"     \"v\" = \"1\"   },   {     \"k\" = \"b\"     \"v\" = tostring(null)   }, ])"
        );
        assert_eq!(
            r("regex", vec![s("(a"), s("x")]),
            "ERR[0]: invalid regexp pattern: missing closing ) in (a"
        );
        assert_eq!(
            r("regex", vec![s("(a)(?P<x>b)"), s("ab")]),
            "ERR[0]: invalid regexp pattern: cannot mix both named and unnamed capture groups"
        );
        assert_eq!(r("regexall", vec![s("z"), s("ab")]), "tolist([])");
    }

    /// Results sized by a number the configuration wrote are refused past
    /// [`MAX_STRING_BYTES`], blaming that argument, before anything that size is built.
    #[test]
    fn strings_sized_by_arguments_are_bounded() {
        let e = call_err("indent", &[n("1e12"), s("a\nb")]);
        assert_eq!(e.arg, Some(0));
        assert!(
            e.message
                .starts_with("the result would be 1000000000003 bytes long, more than the 100 MiB"),
            "{e:?}"
        );
        // indent's padding is not clamped: what fits is exact.
        let v = call_str("indent", &[n("2000000"), s("a\nb")]);
        assert_eq!(v.len(), 2_000_003);
        assert_eq!(
            call_str("indent", &[n("1e12"), s("no newline")]),
            "no newline"
        );
        // replace multiplies the occurrences by the replacement's length.
        let long = "x".repeat(1 << 20);
        let e = call_err("replace", &[s(&"a".repeat(200)), s(""), s(&long)]);
        assert_eq!(e.arg, Some(2));
        assert!(e.message.contains("210763976 bytes"), "{e:?}");
        let e = call_err("replace", &[s(&"ab".repeat(200)), s("a"), s(&long)]);
        assert_eq!(e.arg, Some(2));
        let e = call_err("replace", &[s(&"ab".repeat(200)), s("/a/"), s(&long)]);
        assert_eq!(e.arg, Some(2));
        assert!(
            e.message
                .starts_with("the result would be longer than the 100 MiB"),
            "{e:?}"
        );
        assert_eq!(
            call_str("replace", &[s("abab"), s("/(a)/"), s("<$1>")]),
            "<a>b<a>b"
        );
        assert_eq!(call_str("replace", &[s("ab"), s(""), s("-")]), "-a-b-");
        // Each verb is at most 1,000,000 wide; many of them are bounded as a whole.
        let many = "%1000000[1]s".repeat(110);
        let e = call_err("format", &[s(&many), s("x")]);
        assert_eq!(e.arg, Some(0));
        assert!(e.message.starts_with("the result would be longer"), "{e:?}");
        let items: Vec<Value> = (0..110).map(|k| s(&k.to_string())).collect();
        let e = call_err("formatlist", &[s("%1000000s"), lst(items)]);
        assert_eq!(e.arg, Some(0));
        assert!(e.message.starts_with("the result would be longer"), "{e:?}");
    }
}
