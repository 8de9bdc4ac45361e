//! Encoding functions: base64encode/decode, base64gzip, textencodebase64/textdecodebase64,
//! urlencode, jsonencode/jsondecode, csvdecode, yamlencode/yamldecode (Terraform's
//! lang/funcs/encoding.go, cty's stdlib json.go and csv.go, go-cty-yaml).

use super::{str_arg, FuncError, Function, Impl, Param, Registry, MAX_ELEMENTS};
use crate::lang::number::Number;
use crate::lang::types::Type;
use crate::lang::value::{go_quote, Attrs, Kind, Value};
use base64::Engine as _;
use std::collections::HashMap;
use std::io::Write as _;

/// Registers this group's functions.
pub fn register(r: &mut Registry) {
    let st = || Param::new("str", Type::String);
    let string = |params, imp: Impl| Function::simple(params, Type::String, imp);
    r.register("base64encode", string(vec![st()], base64encode));
    r.register("base64decode", string(vec![st()], base64decode));
    r.register("base64gzip", string(vec![st()], base64gzip));
    r.register(
        "textencodebase64",
        string(
            vec![
                Param::new("string", Type::String),
                Param::new("encoding", Type::String),
            ],
            textencodebase64,
        ),
    );
    r.register(
        "textdecodebase64",
        string(
            vec![
                Param::new("source", Type::String),
                Param::new("encoding", Type::String),
            ],
            textdecodebase64,
        ),
    );
    r.register("urlencode", string(vec![st()], urlencode));
    register_jsonencode(r);
    r.register(
        "jsondecode",
        Function::computed(
            vec![st()],
            |a| match a.first().and_then(Value::as_str) {
                Some(s) => jsondecode_value(s).map(|v| v.ty()),
                None => Ok(Type::Dynamic),
            },
            jsondecode,
        ),
    );
    r.register(
        "csvdecode",
        Function::computed(
            vec![st()],
            |a| match a.first().and_then(Value::as_str) {
                Some(s) => csv_decode(s).map(|v| v.ty()).map_err(FuncError::new),
                None => Ok(Type::Dynamic),
            },
            csvdecode,
        ),
    );
    r.register(
        "yamlencode",
        string(
            vec![Param::new("value", Type::Dynamic)
                .allow_null()
                .allow_unknown()
                .allow_dynamic_type()],
            yamlencode,
        ),
    );
    r.register(
        "yamldecode",
        Function::computed(
            vec![Param::new("src", Type::String)],
            |a| match a.first().and_then(Value::as_str) {
                Some(s) => yaml_decode(s).map(|v| v.ty()).map_err(FuncError::new),
                None => Ok(Type::Dynamic),
            },
            yamldecode,
        ),
    );
}

/// Registers `jsonencode`, which [`Registry::builtins`] has too.
pub(super) fn register_jsonencode(r: &mut Registry) {
    r.register(
        "jsonencode",
        Function::simple(
            vec![Param::new("val", Type::Dynamic)
                .allow_null()
                .allow_unknown()
                .allow_dynamic_type()],
            Type::String,
            jsonencode,
        ),
    );
}

// ---- base64 ----

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Go's `base64.StdEncoding.DecodeString`: padding required, `\r` and `\n` ignored, lenient
/// about trailing bits; the error is the offset of the offending byte (`CorruptInputError`).
pub fn go_base64_decode(s: &str) -> Result<Vec<u8>, usize> {
    fn val(c: u8) -> Option<u8> {
        match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let src = s.as_bytes();
    let is_nl = |c: u8| c == b'\n' || c == b'\r';
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0usize;
    loop {
        let mut dbuf = [0u8; 4];
        let mut dlen = 4usize;
        let mut j = 0usize;
        let mut trailing_err = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = val(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if is_nl(c) {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            // Padding: the end.
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < src.len() && is_nl(src[si]) {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && is_nl(src[si]) {
                si += 1;
            }
            if si < src.len() {
                trailing_err = Some(si);
            }
            dlen = j;
            break;
        }
        let v = (u32::from(dbuf[0]) << 18)
            | (u32::from(dbuf[1]) << 12)
            | (u32::from(dbuf[2]) << 6)
            | u32::from(dbuf[3]);
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(e) = trailing_err {
            return Err(e);
        }
        if dlen < 4 {
            return Ok(out);
        }
    }
}

fn base64encode(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(b64(str_arg(args, 0)?.as_bytes())))
}

fn base64decode(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0)?;
    let bytes = go_base64_decode(s)
        .map_err(|_| FuncError::new(format!("failed to decode base64 data '{s}'")))?;
    String::from_utf8(bytes).map(Value::string).map_err(|_| {
        FuncError::new("the result of decoding the provided string is not valid UTF-8")
    })
}

fn base64gzip(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0)?;
    let gz = go_gzip(s.as_bytes())
        .map_err(|e| FuncError::new(format!("failed to write gzip raw data: {e}")))?;
    Ok(Value::string(b64(&gz)))
}

/// gzip as Go's `gzip.NewWriter` + `Write` + `Flush` + `Close` frame it: a 10-byte header
/// with no name and time 0 (OS byte 255), the deflate stream with a sync flush and an empty
/// final stored block, CRC-32 and size.
fn go_gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut comp = flate2::Compress::new(flate2::Compression::default(), false);
    let mut buf: Vec<u8> = Vec::with_capacity(data.len() + data.len() / 8 + 1024);
    if data.is_empty() {
        // Go's flush of an empty stream writes an empty stored block.
        buf.extend_from_slice(&[0, 0, 0, 0xff, 0xff]);
    } else {
        loop {
            let done = (comp.total_in() as usize).min(data.len());
            if buf.capacity() - buf.len() < 1024 {
                buf.reserve(buf.capacity().max(1024));
            }
            comp.compress_vec(&data[done..], &mut buf, flate2::FlushCompress::Sync)
                .map_err(std::io::Error::other)?;
            if comp.total_in() as usize >= data.len() && buf.ends_with(&[0, 0, 0xff, 0xff]) {
                break;
            }
        }
    }
    out.extend_from_slice(&buf);
    // Close: an empty final stored block.
    out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    let crc = crc32(data);
    out.write_all(&crc.to_le_bytes())?;
    out.write_all(&(data.len() as u32).to_le_bytes())?;
    Ok(out)
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

// ---- text encodings ----

#[derive(Clone, Copy)]
enum TextEnc {
    Utf8,
    Utf16 { be: bool, bom: bool },
    Latin1,
    Ascii,
    Rs(&'static encoding_rs::Encoding),
}

/// golang.org/x/text's IANA index: the encoding for a name or alias, and its IANA name.
fn iana_encoding(name: &str) -> Option<(TextEnc, &'static str)> {
    let n = name.to_ascii_lowercase();
    let n = n.as_str();
    use encoding_rs as e;
    Some(match n {
        "utf-8" | "csutf8" => (TextEnc::Utf8, "UTF-8"),
        "utf-16" | "csutf16" => (
            TextEnc::Utf16 {
                be: true,
                bom: true,
            },
            "UTF-16",
        ),
        "utf-16be" | "csutf16be" => (
            TextEnc::Utf16 {
                be: true,
                bom: false,
            },
            "UTF-16BE",
        ),
        "utf-16le" | "csutf16le" => (
            TextEnc::Utf16 {
                be: false,
                bom: false,
            },
            "UTF-16LE",
        ),
        "iso_8859-1:1987" | "iso-ir-100" | "iso_8859-1" | "iso-8859-1" | "latin1" | "l1"
        | "ibm819" | "cp819" | "csisolatin1" => (TextEnc::Latin1, "ISO_8859-1:1987"),
        "us-ascii" | "iso-ir-6" | "ansi_x3.4-1968" | "ansi_x3.4-1986" | "iso_646.irv:1991"
        | "iso646-us" | "us" | "ibm367" | "cp367" | "csascii" => (TextEnc::Ascii, "US-ASCII"),
        "shift_jis" | "ms_kanji" | "csshiftjis" => (TextEnc::Rs(e::SHIFT_JIS), "Shift_JIS"),
        "euc-jp" | "extended_unix_code_packed_format_for_japanese" | "cseucpkdfmtjapanese" => (
            TextEnc::Rs(e::EUC_JP),
            "Extended_UNIX_Code_Packed_Format_for_Japanese",
        ),
        "iso-2022-jp" | "csiso2022jp" => (TextEnc::Rs(e::ISO_2022_JP), "ISO-2022-JP"),
        "euc-kr" | "cseuckr" => (TextEnc::Rs(e::EUC_KR), "EUC-KR"),
        "gbk" | "cp936" | "ms936" | "windows-936" | "csgbk" => (TextEnc::Rs(e::GBK), "GBK"),
        "gb18030" | "csgb18030" => (TextEnc::Rs(e::GB18030), "GB18030"),
        "big5" | "csbig5" => (TextEnc::Rs(e::BIG5), "Big5"),
        "koi8-r" | "cskoi8r" => (TextEnc::Rs(e::KOI8_R), "KOI8-R"),
        "koi8-u" | "cskoi8u" => (TextEnc::Rs(e::KOI8_U), "KOI8-U"),
        "macintosh" | "mac" | "csmacintosh" => (TextEnc::Rs(e::MACINTOSH), "macintosh"),
        "ibm866" | "cp866" | "866" | "csibm866" => (TextEnc::Rs(e::IBM866), "IBM866"),
        "windows-874" | "cswindows874" => (TextEnc::Rs(e::WINDOWS_874), "windows-874"),
        _ => {
            if let Some(rest) = n.strip_prefix("windows-125") {
                let enc = match rest {
                    "0" => e::WINDOWS_1250,
                    "1" => e::WINDOWS_1251,
                    "2" => e::WINDOWS_1252,
                    "3" => e::WINDOWS_1253,
                    "4" => e::WINDOWS_1254,
                    "5" => e::WINDOWS_1255,
                    "6" => e::WINDOWS_1256,
                    "7" => e::WINDOWS_1257,
                    "8" => e::WINDOWS_1258,
                    _ => return None,
                };
                let name: &'static str = match rest {
                    "0" => "windows-1250",
                    "1" => "windows-1251",
                    "2" => "windows-1252",
                    "3" => "windows-1253",
                    "4" => "windows-1254",
                    "5" => "windows-1255",
                    "6" => "windows-1256",
                    "7" => "windows-1257",
                    _ => "windows-1258",
                };
                return Some((TextEnc::Rs(enc), name));
            }
            // ISO-8859-N (N = 2..16 as encoding_rs has them).
            let num = n
                .strip_prefix("iso-8859-")
                .or_else(|| n.strip_prefix("iso_8859-"))
                .map(|r| r.split(':').next().unwrap_or(r))?;
            let (enc, name): (&'static encoding_rs::Encoding, &'static str) = match num {
                "2" => (e::ISO_8859_2, "ISO_8859-2:1987"),
                "3" => (e::ISO_8859_3, "ISO_8859-3:1988"),
                "4" => (e::ISO_8859_4, "ISO_8859-4:1988"),
                "5" => (e::ISO_8859_5, "ISO_8859-5:1988"),
                "6" => (e::ISO_8859_6, "ISO_8859-6:1987"),
                "7" => (e::ISO_8859_7, "ISO_8859-7:1987"),
                "8" => (e::ISO_8859_8, "ISO_8859-8:1988"),
                "10" => (e::ISO_8859_10, "ISO-8859-10"),
                "13" => (e::ISO_8859_13, "ISO-8859-13"),
                "14" => (e::ISO_8859_14, "ISO-8859-14"),
                "15" => (e::ISO_8859_15, "ISO-8859-15"),
                "16" => (e::ISO_8859_16, "ISO-8859-16"),
                _ => return None,
            };
            (TextEnc::Rs(enc), name)
        }
    })
}

fn unsupported_encoding(name: &str) -> FuncError {
    FuncError::arg(
        1,
        format!(
            "{} is not a supported IANA encoding name or alias in this Terraform version",
            go_quote(name)
        ),
    )
}

fn text_encode(s: &str, enc: TextEnc) -> Option<Vec<u8>> {
    match enc {
        TextEnc::Utf8 => Some(s.as_bytes().to_vec()),
        TextEnc::Utf16 { be, bom } => {
            let mut out = Vec::with_capacity(s.len() * 2 + 2);
            let mut push = |u: u16| {
                if be {
                    out.extend_from_slice(&u.to_be_bytes());
                } else {
                    out.extend_from_slice(&u.to_le_bytes());
                }
            };
            if bom {
                push(0xFEFF);
            }
            s.encode_utf16().for_each(push);
            Some(out)
        }
        TextEnc::Latin1 => s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect(),
        TextEnc::Ascii => s.chars().map(|c| c.is_ascii().then_some(c as u8)).collect(),
        TextEnc::Rs(e) => {
            let (out, _, unmappable) = e.encode(s);
            (!unmappable).then(|| out.into_owned())
        }
    }
}

fn text_decode(b: &[u8], enc: TextEnc) -> Option<String> {
    let s = match enc {
        TextEnc::Utf8 => String::from_utf8_lossy(b).into_owned(),
        TextEnc::Utf16 { be, bom } => {
            let mut b = b;
            let mut be = be;
            if bom && b.len() >= 2 {
                if b[..2] == [0xFE, 0xFF] {
                    b = &b[2..];
                } else if b[..2] == [0xFF, 0xFE] {
                    b = &b[2..];
                    be = false;
                }
            }
            let units = b.chunks(2).map(|c| {
                if c.len() < 2 {
                    0xDC00 // a lone byte decodes to U+FFFD like an unpaired surrogate
                } else if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            });
            char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{FFFD}'))
                .collect()
        }
        TextEnc::Latin1 => b.iter().map(|&c| char::from(c)).collect(),
        TextEnc::Ascii => b
            .iter()
            .map(|&c| {
                if c.is_ascii() {
                    char::from(c)
                } else {
                    '\u{FFFD}'
                }
            })
            .collect(),
        TextEnc::Rs(e) => e.decode_without_bom_handling(b).0.into_owned(),
    };
    (!s.contains('\u{FFFD}')).then_some(s)
}

fn textencodebase64(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0)?;
    let name = str_arg(args, 1)?;
    let (enc, canonical) = iana_encoding(name).ok_or_else(|| unsupported_encoding(name))?;
    let bytes = text_encode(s, enc).ok_or_else(|| {
        FuncError::arg(
            0,
            format!(
                "the given string contains characters that cannot be represented in {canonical}"
            ),
        )
    })?;
    Ok(Value::string(b64(&bytes)))
}

fn textdecodebase64(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0)?;
    let name = str_arg(args, 1)?;
    let (enc, canonical) = iana_encoding(name).ok_or_else(|| unsupported_encoding(name))?;
    let bytes = go_base64_decode(s).map_err(|off| {
        FuncError::arg(
            0,
            format!("the given value is has an invalid base64 symbol at offset {off}"),
        )
    })?;
    let out = text_decode(&bytes, enc).ok_or_else(|| {
        FuncError::arg(
            0,
            format!("the given string contains symbols that are not defined for {canonical}"),
        )
    })?;
    Ok(Value::string(out))
}

// ---- urlencode ----

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn urlencode(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::string(query_escape(str_arg(args, 0)?)))
}

// ---- JSON ----

fn jsonencode(args: &[Value]) -> Result<Value, FuncError> {
    let v = args
        .first()
        .ok_or_else(|| FuncError::arg(0, "a value is required"))?;
    if !v.is_wholly_known() {
        return Ok(Value::unknown(Type::String));
    }
    if v.is_null() {
        return Ok(Value::string("null"));
    }
    v.to_json().map(Value::string).map_err(FuncError::new)
}

fn jsondecode(args: &[Value]) -> Result<Value, FuncError> {
    jsondecode_value(str_arg(args, 0)?)
}

fn jsondecode_value(s: &str) -> Result<Value, FuncError> {
    go_json_check(s).map_err(FuncError::new)?;
    Value::from_json_with_type(s, &Type::Dynamic).map_err(FuncError::new)
}

/// Walks JSON the way cty's `json.ImpliedType` does with Go's `json.Decoder.Token`, to fail
/// with Go's error texts.
fn go_json_check(s: &str) -> Result<(), String> {
    let mut p = GoJson {
        b: s.as_bytes(),
        i: 0,
        depth: 0,
    };
    let c = p.peek().ok_or("EOF")?;
    p.value(c, " looking for beginning of value")?;
    if let Some(c) = p.peek() {
        if c != b']' && c != b'}' {
            return Err("extraneous data after JSON object".into());
        }
    }
    Ok(())
}

struct GoJson<'a> {
    b: &'a [u8],
    i: usize,
    /// Arrays and objects open around `i`: recursion, so bounded like [`jsonval`]'s parser.
    ///
    /// [`jsonval`]: crate::lang::jsonval
    depth: usize,
}

/// How deep arrays and objects may nest in `jsondecode`'s input (what the value parser allows).
const JSON_MAX_DEPTH: usize = 512;

fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        _ => {
            let q = go_quote(&char::from(c).to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

fn invalid(c: u8, ctx: &str) -> String {
    format!("invalid character {}{ctx}", quote_char(c))
}

impl GoJson<'_> {
    fn peek(&mut self) -> Option<u8> {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
        self.b.get(self.i).copied()
    }
    fn next_raw(&mut self) -> Result<u8, String> {
        let c = self.b.get(self.i).copied().ok_or("unexpected EOF")?;
        self.i += 1;
        Ok(c)
    }

    /// A value starting at `c` (already peeked); `ctx` is Go's context for a bad first byte.
    fn value(&mut self, c: u8, ctx: &str) -> Result<(), String> {
        if matches!(c, b'{' | b'[') {
            self.depth += 1;
            if self.depth > JSON_MAX_DEPTH {
                return Err(format!(
                    "invalid JSON at offset {}: nested too deeply",
                    self.i
                ));
            }
        }
        let r = match c {
            b'{' => {
                self.i += 1;
                self.object()
            }
            b'[' => {
                self.i += 1;
                self.array()
            }
            b'}' | b']' | b',' | b':' => Err(invalid(c, ctx)),
            _ => self.scalar(),
        };
        if matches!(c, b'{' | b'[') {
            self.depth -= 1;
        }
        r
    }

    fn object(&mut self) -> Result<(), String> {
        let mut first = true;
        loop {
            let c = self.peek().ok_or("EOF")?;
            if first && c == b'}' {
                self.i += 1;
                return Ok(());
            }
            if c != b'"' {
                let ctx = if first {
                    ""
                } else {
                    " looking for beginning of object key string"
                };
                return Err(invalid(c, ctx));
            }
            first = false;
            self.i += 1;
            self.string_body()?;
            let c = self.peek().ok_or("EOF")?;
            if c != b':' {
                return Err(invalid(c, " after object key"));
            }
            self.i += 1;
            let c = self.peek().ok_or("EOF")?;
            self.value(c, " looking for beginning of value")?;
            let c = self.peek().ok_or("EOF")?;
            match c {
                b'}' => {
                    self.i += 1;
                    return Ok(());
                }
                b',' => self.i += 1,
                _ => return Err(invalid(c, " after object key:value pair")),
            }
        }
    }

    fn array(&mut self) -> Result<(), String> {
        let mut first = true;
        loop {
            let c = self.peek().ok_or("EOF")?;
            if first && c == b']' {
                self.i += 1;
                return Ok(());
            }
            first = false;
            self.value(c, " looking for beginning of value")?;
            let c = self.peek().ok_or("EOF")?;
            match c {
                b']' => {
                    self.i += 1;
                    return Ok(());
                }
                b',' => self.i += 1,
                _ => return Err(invalid(c, " after array element")),
            }
        }
    }

    fn string_body(&mut self) -> Result<(), String> {
        loop {
            let c = self.next_raw()?;
            match c {
                b'"' => return Ok(()),
                b'\\' => {
                    let e = self.next_raw()?;
                    match e {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            for _ in 0..4 {
                                let h = self.next_raw()?;
                                if !h.is_ascii_hexdigit() {
                                    return Err(invalid(h, " in \\u hexadecimal character escape"));
                                }
                            }
                        }
                        _ => return Err(invalid(e, " in string escape code")),
                    }
                }
                c if c < 0x20 => return Err(invalid(c, " in string literal")),
                _ => {}
            }
        }
    }

    fn scalar(&mut self) -> Result<(), String> {
        let c = self.next_raw()?;
        match c {
            b'"' => self.string_body(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'-' | b'0'..=b'9' => self.number(c),
            _ => Err(invalid(c, " looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), String> {
        for w in word.bytes().skip(1) {
            let c = self.next_raw()?;
            if c != w {
                return Err(invalid(
                    c,
                    &format!(" in literal {word} (expecting {})", quote_char(w)),
                ));
            }
        }
        Ok(())
    }

    fn number(&mut self, first: u8) -> Result<(), String> {
        let mut c = first;
        if c == b'-' {
            c = self.next_raw()?;
            if !c.is_ascii_digit() {
                return Err(invalid(c, " in numeric literal"));
            }
        }
        if c != b'0' {
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            let d = self.next_raw()?;
            if !d.is_ascii_digit() {
                return Err(invalid(d, " after decimal point in numeric literal"));
            }
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            let mut d = self.next_raw()?;
            if d == b'+' || d == b'-' {
                d = self.next_raw()?;
            }
            if !d.is_ascii_digit() {
                return Err(invalid(d, " in exponent of numeric literal"));
            }
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
        }
        Ok(())
    }
}

// ---- CSV (Go's encoding/csv with cty's csvdecode) ----

enum CsvErr {
    Quote(usize),
    BareQuote(usize),
    FieldCount(usize),
}

impl CsvErr {
    fn message(&self) -> String {
        let (line, what) = match self {
            CsvErr::Quote(l) => (l, "extraneous or missing \" in quoted-field"),
            CsvErr::BareQuote(l) => (l, "bare \" in non-quoted-field"),
            CsvErr::FieldCount(l) => (l, "wrong number of fields"),
        };
        format!("CSV parse error on line {line}: {what}")
    }
}

struct CsvReader<'a> {
    lines: Vec<&'a str>,
    next: usize,
    fields_per_record: usize,
}

impl<'a> CsvReader<'a> {
    fn new(s: &'a str) -> CsvReader<'a> {
        CsvReader {
            lines: s.split_inclusive('\n').collect(),
            next: 0,
            fields_per_record: 0,
        }
    }

    /// The next line, with `\r\n` normalized to `\n` and a final line given a `\n`.
    fn read_line(&mut self) -> Option<String> {
        let l = *self.lines.get(self.next)?;
        self.next += 1;
        let mut l = l.to_string();
        if !l.ends_with('\n') {
            if l.ends_with('\r') {
                l.pop();
            }
            l.push('\n');
        } else if l.ends_with("\r\n") {
            l.truncate(l.len() - 2);
            l.push('\n');
        }
        Some(l)
    }

    fn read(&mut self) -> Option<Result<Vec<String>, CsvErr>> {
        let mut line = loop {
            let l = self.read_line()?;
            if l != "\n" {
                break l;
            }
        };
        let rec_line = self.next;
        let mut fields = Vec::new();
        let res: Result<(), CsvErr> = 'parse: loop {
            if !line.starts_with('"') {
                let (field, rest) = match line.find(',') {
                    Some(i) => (line[..i].to_string(), Some(line[i + 1..].to_string())),
                    None => (line.trim_end_matches('\n').to_string(), None),
                };
                if field.contains('"') {
                    break 'parse Err(CsvErr::BareQuote(self.next));
                }
                fields.push(field);
                match rest {
                    Some(r) => {
                        line = r;
                        continue 'parse;
                    }
                    None => break 'parse Ok(()),
                }
            }
            // Quoted field.
            let mut field = String::new();
            let mut rest = line[1..].to_string();
            loop {
                if let Some(i) = rest.find('"') {
                    field.push_str(&rest[..i]);
                    let after = rest[i + 1..].to_string();
                    if let Some(r) = after.strip_prefix('"') {
                        field.push('"');
                        rest = r.to_string();
                    } else if let Some(r) = after.strip_prefix(',') {
                        fields.push(std::mem::take(&mut field));
                        line = r.to_string();
                        continue 'parse;
                    } else if after == "\n" || after.is_empty() {
                        fields.push(std::mem::take(&mut field));
                        break 'parse Ok(());
                    } else {
                        break 'parse Err(CsvErr::Quote(self.next));
                    }
                } else if !rest.is_empty() {
                    field.push_str(&rest);
                    match self.read_line() {
                        Some(l) => rest = l,
                        None => break 'parse Err(CsvErr::Quote(self.next)),
                    }
                } else {
                    break 'parse Err(CsvErr::Quote(self.next));
                }
            }
        };
        if let Err(e) = res {
            return Some(Err(e));
        }
        if self.fields_per_record > 0 {
            if fields.len() != self.fields_per_record {
                return Some(Err(CsvErr::FieldCount(rec_line)));
            }
        } else {
            self.fields_per_record = fields.len();
        }
        Some(Ok(fields))
    }
}

fn csv_decode(s: &str) -> Result<Value, String> {
    let mut r = CsvReader::new(s);
    let headers = match r.read() {
        None => return Err("missing header line".into()),
        Some(Err(e)) => return Err(e.message()),
        Some(Ok(h)) => h,
    };
    let mut seen = std::collections::HashSet::new();
    for h in &headers {
        if !seen.insert(h.as_str()) {
            return Err(format!("duplicate column name {}", go_quote(h)));
        }
    }
    let ety = Type::object(headers.iter().map(|h| (h.clone(), Type::String)));
    let mut rows = Vec::new();
    while let Some(rec) = r.read() {
        let rec = rec.map_err(|e| e.message())?;
        let attrs: Vec<(String, Value)> = headers
            .iter()
            .cloned()
            .zip(rec.into_iter().map(Value::string))
            .collect();
        rows.push(Value::object(attrs));
    }
    Ok(Value::list(ety, rows))
}

fn csvdecode(args: &[Value]) -> Result<Value, FuncError> {
    csv_decode(str_arg(args, 0)?).map_err(FuncError::new)
}

// ---- YAML decoding (go-cty-yaml) ----

const YAML_TAG: &str = "tag:yaml.org,2002:";

fn long_tag(t: &yaml_rust2::parser::Tag) -> String {
    if t.handle == "!!" || t.handle == YAML_TAG {
        format!("{YAML_TAG}{}", t.suffix)
    } else {
        format!("{}{}", t.handle, t.suffix)
    }
}

/// Parses a number the way `cty.ParseNumberVal` does (Go's `big.ParseFloat`, base 10).
fn parse_cty_number(s: &str) -> Option<Number> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(Number::infinity(s.starts_with('-')));
    }
    let mut digits = 0;
    let mut chars = body.chars().peekable();
    while chars.peek().is_some_and(char::is_ascii_digit) {
        chars.next();
        digits += 1;
    }
    if chars.peek() == Some(&'.') {
        chars.next();
        while chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(chars.peek(), Some('e' | 'E')) {
        chars.next();
        if matches!(chars.peek(), Some('+' | '-')) {
            chars.next();
        }
        if !chars.peek().is_some_and(char::is_ascii_digit) {
            return None;
        }
        while chars.peek().is_some_and(char::is_ascii_digit) {
            chars.next();
        }
    }
    if chars.next().is_some() {
        return None;
    }
    let norm = s.strip_prefix('+').unwrap_or(s);
    Number::parse(norm).or_else(|| {
        // Forms like "5." or ".5": give the parser a digit on each side.
        let (neg, b) = match norm.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, norm),
        };
        let (mant, exp) = match b.find(['e', 'E']) {
            Some(i) => (&b[..i], &b[i..]),
            None => (b, ""),
        };
        let mut m = mant.to_string();
        if m.starts_with('.') {
            m.insert(0, '0');
        }
        if m.ends_with('.') {
            m.push('0');
        }
        Number::parse(&format!("{}{m}{exp}", if neg { "-" } else { "" }))
    })
}

/// Go's `strconv.ParseInt(s, 0, 64)` (and ParseUint), for 0x/0o/0b/leading-zero forms.
fn parse_go_int(s: &str) -> Option<Number> {
    let (neg, b) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = b.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    if digits.is_empty() {
        return None;
    }
    let v = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some(Number::from_i64((v as i64).wrapping_neg()))
    } else {
        Some(Number::from_u64(v))
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// go-cty-yaml's timestamp forms (`2006-1-2T15:4:5.999999999Z07:00`, lower-case `t`, space
/// separated without zone, date only), rendered as RFC 3339.
fn yaml_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let num = |t: &str, max_len: usize| -> Option<u32> {
        (!t.is_empty() && t.len() <= max_len && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let year: i64 = s[..4].parse().ok()?;
    let rest = &s[5..];
    let (date, time) = match rest.find(['T', 't', ' ']) {
        Some(i) => (&rest[..i], Some((&rest[i..i + 1], &rest[i + 1..]))),
        None => (rest, None),
    };
    let mut dp = date.splitn(2, '-');
    let month = num(dp.next()?, 2)?;
    let day = num(dp.next()?, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (mut h, mut mi, mut sec, mut off) = (0, 0, 0, None::<String>);
    if let Some((sep, t)) = time {
        let (clock, zone) = if sep == " " {
            (t, None)
        } else {
            match t.find(['Z', '+', '-']) {
                Some(i) => (&t[..i], Some(&t[i..])),
                None => return None,
            }
        };
        let mut cp = clock.splitn(3, ':');
        h = num(cp.next()?, 2)?;
        mi = num(cp.next()?, 2)?;
        let sfull = cp.next()?;
        let sint = sfull.split('.').next().unwrap_or(sfull);
        if let Some(frac) = sfull.strip_prefix(sint).and_then(|f| f.strip_prefix('.')) {
            if frac.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
        }
        sec = num(sint, 2)?;
        if h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        if let Some(z) = zone {
            if z == "Z" {
                off = None;
            } else {
                let zb = z.as_bytes();
                if zb.len() != 6 || zb[3] != b':' {
                    return None;
                }
                num(&z[1..3], 2)?;
                num(&z[4..6], 2)?;
                off = Some(z.to_string());
            }
        }
    }
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{mi:02}:{sec:02}{}",
        off.as_deref().unwrap_or("Z")
    ))
}

/// go-cty-yaml's `resolveScalar`.
fn resolve_scalar(tag: &str, src: &str) -> Result<Value, String> {
    let short = tag.strip_prefix(YAML_TAG).map(|s| format!("!!{s}"));
    let tag = short.as_deref().unwrap_or(tag);
    if !matches!(
        tag,
        "" | "!!str" | "!!bool" | "!!int" | "!!float" | "!!null" | "!!timestamp" | "!!binary"
    ) {
        return Err(format!("unsupported tag {}", go_quote(&long_tag_of(tag))));
    }
    let hint = match src.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        _ => 0,
    };
    let mut tag = tag.to_string();
    if hint != 0 && tag != "!!str" && tag != "!!binary" {
        if let Some(v) = resolve_map(src) {
            return Ok(v);
        }
        if matches!(src, ".nan" | ".NaN" | ".NAN") {
            return Err("floating point NaN is not supported".into());
        }
        match hint {
            b'.' => {
                if let Some(n) = parse_cty_number(src) {
                    return Ok(Value::number(n));
                }
            }
            b'D' | b'S' => {
                if tag.is_empty() || tag == "!!timestamp" {
                    if let Some(t) = yaml_timestamp(src) {
                        return Ok(Value::string(t));
                    }
                }
                let plain = src.replace('_', "");
                if let Some(n) = parse_cty_number(&plain) {
                    return Ok(Value::number(n));
                }
                if let Some(n) = parse_go_int(&plain) {
                    return Ok(Value::number(n));
                }
            }
            _ => {}
        }
    }
    let cannot = |t: &str| format!("cannot parse {} as {}", go_quote(src), long_tag_of(t));
    match tag.as_str() {
        "!!str" | "" => Ok(Value::string(src)),
        "!!binary" => {
            go_base64_decode(src).map_err(|_| {
                format!("cannot parse {} as {tag}: not valid base64", go_quote(src))
            })?;
            Ok(Value::string(src))
        }
        "!!bool" => match resolve_map(src) {
            Some(v) if v.as_bool().is_some() => Ok(v),
            _ => Err(cannot(&tag)),
        },
        "!!int" | "!!float" => {
            let plain = src.replace('_', "");
            parse_cty_number(&plain)
                .or_else(|| parse_go_int(&plain))
                .map(Value::number)
                .ok_or_else(|| cannot(&tag))
        }
        "!!timestamp" => yaml_timestamp(src)
            .map(Value::string)
            .ok_or_else(|| cannot(&tag)),
        "!!null" => Ok(Value::null_dynamic()),
        _ => {
            tag.clear();
            Err("unsupported tag".into())
        }
    }
}

fn long_tag_of(t: &str) -> String {
    match t.strip_prefix("!!") {
        Some(s) => format!("{YAML_TAG}{s}"),
        None => t.to_string(),
    }
}

fn resolve_map(src: &str) -> Option<Value> {
    Some(match src {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Value::bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Value::bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Value::null_dynamic(),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            Value::number(Number::infinity(false))
        }
        "-.inf" | "-.Inf" | "-.INF" => Value::number(Number::infinity(true)),
        _ => return None,
    })
}

struct YamlDec<'a> {
    p: yaml_rust2::parser::Parser<std::str::Chars<'a>>,
    anchors: HashMap<usize, Value>,
    pending: Vec<usize>,
    /// Values brought in by aliases so far, counted as if copied (see [`values_in`]).
    aliased: usize,
}

/// The values in `v`, itself included, counted up to just over `limit`. Aliases share values,
/// so a small document can stand for an enormous one ("billion laughs"): go-yaml refuses
/// "excessive aliasing", and so does `yamldecode`, past [`MAX_ELEMENTS`] aliased values.
fn values_in(v: &Value, limit: usize) -> usize {
    let mut n = 0usize;
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        n += 1;
        if n > limit {
            break;
        }
        if let Some(items) = x.elements() {
            stack.extend(items.iter());
        } else if let Some(ents) = x.entries() {
            stack.extend(ents.values());
        }
    }
    n
}

type YEvent = (yaml_rust2::Event, yaml_rust2::scanner::Marker);

fn at(m: &yaml_rust2::scanner::Marker, msg: impl std::fmt::Display) -> String {
    format!("on line {}, column {}: {msg}", m.line(), m.col() + 1)
}

impl YamlDec<'_> {
    fn next(&mut self) -> Result<YEvent, String> {
        self.p.next_token().map_err(|e| {
            let m = e.marker();
            at(m, e.info())
        })
    }

    fn node(&mut self, ev: YEvent) -> Result<Value, String> {
        use yaml_rust2::Event;
        let (e, mark) = ev;
        match e {
            Event::Scalar(src, style, anchor, tag) => {
                let tag = match (&tag, style) {
                    (Some(t), _) => long_tag(t),
                    (None, yaml_rust2::scanner::TScalarStyle::Plain) => String::new(),
                    (None, _) => format!("{YAML_TAG}str"),
                };
                let v = resolve_scalar(&tag, &src).map_err(|m| at(&mark, m))?;
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::Alias(id) => {
                if self.pending.contains(&id) {
                    return Err(at(
                        &mark,
                        "cannot refer to anchor from inside its own definition",
                    ));
                }
                let v = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| at(&mark, "reference to undefined anchor"))?;
                let left = MAX_ELEMENTS.saturating_sub(self.aliased);
                self.aliased = self.aliased.saturating_add(values_in(&v, left));
                if self.aliased > MAX_ELEMENTS {
                    return Err(at(&mark, "document contains excessive aliasing"));
                }
                Ok(v)
            }
            Event::SequenceStart(anchor, tag) => {
                if let Some(t) = &tag {
                    let lt = long_tag(t);
                    if lt != format!("{YAML_TAG}seq") {
                        return Err(at(&mark, format!("can't interpret sequence as {lt}")));
                    }
                }
                self.pending.push(anchor);
                let mut items = Vec::new();
                loop {
                    let ev = self.next()?;
                    if matches!(ev.0, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(ev)?);
                }
                self.pending.retain(|a| *a != anchor);
                let v = Value::tuple(items);
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::MappingStart(anchor, tag) => {
                if let Some(t) = &tag {
                    let lt = long_tag(t);
                    if lt != format!("{YAML_TAG}map") {
                        return Err(at(&mark, format!("can't interpret mapping as {lt}")));
                    }
                }
                self.pending.push(anchor);
                let mut vals: Attrs = Attrs::new();
                let mut merged: Attrs = Attrs::new();
                loop {
                    let (ke, km) = self.next()?;
                    let (src, style, tag) = match ke {
                        Event::MappingEnd => break,
                        Event::Scalar(src, style, _, tag) => (src, style, tag),
                        _ => return Err(at(&km, "only strings are allowed as mapping keys")),
                    };
                    let plain = style == yaml_rust2::scanner::TScalarStyle::Plain;
                    if plain && tag.is_none() && src == "<<" {
                        let ev = self.next()?;
                        let v = self.node(ev)?;
                        let sources: Vec<Value> = match v.kind() {
                            Kind::Tuple(xs) => xs.iter().rev().cloned().collect(),
                            _ => vec![v],
                        };
                        for s in sources {
                            let Some(ents) = s.entries() else {
                                return Err(at(
                                    &km,
                                    "map merge requires map or sequence of maps as the value",
                                ));
                            };
                            for (k, x) in ents {
                                merged.insert(k.clone(), x.clone());
                            }
                        }
                        continue;
                    }
                    let tag = match (&tag, plain) {
                        (Some(t), _) => long_tag(t),
                        (None, true) => String::new(),
                        (None, false) => format!("{YAML_TAG}str"),
                    };
                    let kv = resolve_scalar(&tag, &src)?;
                    let key = match kv.kind() {
                        Kind::String(s) => s.to_string(),
                        Kind::Bool(b) => b.to_string(),
                        Kind::Number(n) => n.text_f(),
                        Kind::Null => return Err(at(&km, "mapping key cannot be null")),
                        _ => return Err(at(&km, "only strings are allowed as mapping keys")),
                    };
                    let ev = self.next()?;
                    let v = self.node(ev)?;
                    vals.insert(key, v);
                }
                for (k, v) in merged {
                    vals.entry(k).or_insert(v);
                }
                self.pending.retain(|a| *a != anchor);
                let v = Value::object(vals.into_iter().collect());
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::StreamEnd => Err(at(&mark, "expecting value but found end of stream")),
            Event::DocumentStart => Err(at(&mark, "only a single document is allowed")),
            _ => Err(at(&mark, "unexpected parser event")),
        }
    }
}

fn yaml_decode(src: &str) -> Result<Value, String> {
    use yaml_rust2::Event;
    let src = if src.is_empty() { "\n" } else { src };
    let mut d = YamlDec {
        p: yaml_rust2::parser::Parser::new_from_str(src),
        anchors: HashMap::new(),
        pending: Vec::new(),
        aliased: 0,
    };
    let (e, m) = d.next()?;
    if !matches!(e, Event::StreamStart) {
        return Err(at(&m, "missing stream start token"));
    }
    let (e, _) = d.next()?;
    if !matches!(e, Event::DocumentStart) {
        return Err("on line 1, column 1: missing start of document".into());
    }
    let ev = d.next()?;
    let v = d.node(ev)?;
    let (e, m) = d.next()?;
    if !matches!(e, Event::DocumentEnd) {
        return Err(at(&m, "unexpected extra content after value"));
    }
    let (e, m) = d.next()?;
    if !matches!(e, Event::StreamEnd) {
        return Err(at(&m, "unexpected extra content after value"));
    }
    Ok(v)
}

fn yamldecode(args: &[Value]) -> Result<Value, FuncError> {
    yaml_decode(str_arg(args, 0)?).map_err(FuncError::new)
}

// ---- YAML encoding (go-yaml's emitter, as go-cty-yaml drives it) ----

struct Emitter {
    out: String,
    column: usize,
    indent: i64,
    indents: Vec<i64>,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
}

const BEST_INDENT: i64 = 2;
const BEST_WIDTH: usize = 80;

fn yaml_printable(c: char) -> bool {
    let u = u32::from(c);
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

fn yaml_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }
    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }
    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }
    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }
    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }
    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        for c in ind.chars() {
            self.put(c);
        }
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
        self.open_ended = false;
    }

    fn plain(&mut self, s: &str, root: bool) {
        self.increase_indent(true, false);
        if !self.whitespace {
            self.put(' ');
        }
        for c in s.chars() {
            self.put(c);
        }
        self.whitespace = false;
        self.indention = false;
        if root {
            self.open_ended = true;
        }
        self.pop_indent();
    }

    fn double_quoted(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !yaml_printable(c) || c == '\u{FEFF}' || yaml_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let u = u32::from(c);
                        let (ind, w) = if u <= 0xFF {
                            ('x', 2)
                        } else if u <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(ind);
                        for d in format!("{u:0w$X}").chars() {
                            self.put(d);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i != chars.len() - 1
                {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
            i += 1;
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        if chars.first().is_some_and(|c| *c == ' ' || yaml_break(*c)) {
            self.put(char::from(b'0' + BEST_INDENT as u8));
        }
        let n = chars.len();
        if n == 0 || !yaml_break(chars[n - 1]) {
            self.put('-');
        } else if n == 1 || yaml_break(chars[n - 2]) {
            self.put('+');
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if yaml_break(c) {
                if c == '\n' {
                    self.put_break();
                } else {
                    self.out.push(c);
                    self.column = 0;
                }
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }

    /// A string scalar: literal style when it has line breaks and block style is possible,
    /// double-quoted otherwise.
    fn string(&mut self, s: &str, simple_key: bool) {
        let chars: Vec<char> = s.chars().collect();
        let multiline = s.contains('\n');
        let special = chars.iter().any(|&c| !yaml_printable(c) || c == '\u{FEFF}');
        let mut space_break = false;
        for w in chars.windows(2) {
            if w[0] == ' ' && yaml_break(w[1]) {
                space_break = true;
            }
        }
        let trailing_space = chars.last() == Some(&' ');
        let block_allowed = !(special || space_break || trailing_space);
        self.increase_indent(true, false);
        if multiline && block_allowed && !simple_key {
            self.literal(s);
        } else {
            self.double_quoted(s, !simple_key);
        }
        self.pop_indent();
    }

    fn node(&mut self, v: &Value, root: bool, mapping_ctx: bool) -> Result<(), String> {
        if !v.is_known() {
            return Err("cannot serialize unknown value".into());
        }
        if v.is_null() {
            self.plain("null", root);
            return Ok(());
        }
        match v.kind() {
            Kind::Bool(b) => self.plain(if b { "true" } else { "false" }, root),
            Kind::Number(n) => {
                if n.is_inf() {
                    self.plain(if n.is_neg() { "-.Inf" } else { ".Inf" }, root)
                } else {
                    self.plain(&n.text_f(), root)
                }
            }
            Kind::String(s) => self.string(s, false),
            Kind::List(xs) | Kind::Set(xs) | Kind::Tuple(xs) => {
                if xs.is_empty() {
                    self.write_indicator("[", true, true, false);
                    self.write_indicator("]", false, false, false);
                    return Ok(());
                }
                let indentless = mapping_ctx && !self.indention;
                self.increase_indent(false, indentless);
                for x in xs {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(x, false, false)?;
                }
                self.pop_indent();
            }
            Kind::Map(m) | Kind::Object(m) => {
                if m.is_empty() {
                    self.write_indicator("{", true, true, false);
                    self.write_indicator("}", false, false, false);
                    return Ok(());
                }
                self.increase_indent(false, false);
                for (k, x) in m {
                    self.write_indent();
                    let simple = k.len() <= 128 && !k.chars().any(yaml_break);
                    if simple {
                        self.string(k, true);
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.string(k, false);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(x, false, true)?;
                }
                self.pop_indent();
            }
            Kind::Null | Kind::Unknown => {}
        }
        Ok(())
    }
}

/// go-cty-yaml's `Marshal` with the standard converter (block style).
pub fn yaml_encode(v: &Value) -> Result<String, String> {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        indent: -1,
        indents: Vec::new(),
        whitespace: true,
        indention: true,
        open_ended: false,
    };
    e.node(v, true, false)?;
    // Document end (implicit), then stream end.
    e.indent = -1;
    e.write_indent();
    if e.open_ended {
        e.write_indicator("...", true, false, false);
        e.write_indent();
    }
    Ok(e.out)
}

fn yamlencode(args: &[Value]) -> Result<Value, FuncError> {
    let v = args
        .first()
        .ok_or_else(|| FuncError::arg(0, "a value is required"))?;
    if !v.is_wholly_known() {
        return Ok(Value::unknown(Type::String));
    }
    yaml_encode(v).map(Value::string).map_err(FuncError::new)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn j(src: &str) -> Value {
        Value::from_json_with_type(src, &Type::Dynamic).expect("json")
    }

    #[test]
    fn base64_like_go() {
        assert_eq!(
            call_str("base64encode", &[s("Hello World")]),
            "SGVsbG8gV29ybGQ="
        );
        assert_eq!(
            call_str("base64encode", &[s("héllo ✓")]),
            "aMOpbGxvIOKckw=="
        );
        assert_eq!(
            call_str("base64decode", &[s("aMOpbGxvIOKckw==")]),
            "héllo ✓"
        );
        assert_eq!(call_str("base64decode", &[s("SGVs\nbG8=")]), "Hello");
        assert_eq!(call_str("base64decode", &[s("YR==")]), "a");
        assert_eq!(
            call_err("base64decode", &[s("YQ")]).message,
            "failed to decode base64 data 'YQ'"
        );
        assert_eq!(
            call_err("base64decode", &[s("/w==")]).message,
            "the result of decoding the provided string is not valid UTF-8"
        );
        assert_eq!(go_base64_decode("ab!c"), Err(2));
        assert_eq!(go_base64_decode("YQ==YQ=="), Err(4));
        assert_eq!(go_base64_decode("Y==="), Err(1));
    }

    #[test]
    fn gzip_like_go() {
        assert_eq!(
            call_str("base64gzip", &[s("test")]),
            "H4sIAAAAAAAA/ypJLS4BAAAA//8BAAD//wx+f9gEAAAA"
        );
        assert_eq!(
            call_str("base64gzip", &[s("")]),
            "H4sIAAAAAAAA/wAAAP//AQAA//8AAAAAAAAAAA=="
        );
        assert_eq!(
            call_str("base64gzip", &[s("hello world hello world")]).len(),
            60
        );
    }

    #[test]
    fn text_encodings() {
        let enc = |a: &str, e: &str| call_str("textencodebase64", &[s(a), s(e)]);
        let dec = |a: &str, e: &str| call_str("textdecodebase64", &[s(a), s(e)]);
        assert_eq!(
            enc("Hello World", "UTF-16LE"),
            "SABlAGwAbABvACAAVwBvAHIAbABkAA=="
        );
        assert_eq!(enc("héllo", "UTF-8"), "aMOpbGxv");
        assert_eq!(enc("héllo", "ISO-8859-1"), "aOlsbG8=");
        assert_eq!(enc("日本", "Shift_JIS"), "k/qWew==");
        assert_eq!(enc("x", "US-ASCII"), "eA==");
        assert_eq!(
            dec("SABlAGwAbABvACAAVwBvAHIAbABkAA==", "UTF-16LE"),
            "Hello World"
        );
        assert_eq!(dec("aOlsbG8=", "ISO-8859-1"), "héllo");
        assert_eq!(dec("gA==", "windows-1252"), "€");
        assert_eq!(dec(&enc("ü€", "UTF-16BE"), "UTF-16BE"), "ü€");
        let e = call_err("textencodebase64", &[s("☃"), s("ISO-8859-1")]);
        assert_eq!(e.arg, Some(0));
        assert_eq!(
            e.message,
            "the given string contains characters that cannot be represented in ISO_8859-1:1987"
        );
        let e = call_err("textencodebase64", &[s("x"), s("UTF-32")]);
        assert_eq!(e.arg, Some(1));
        assert_eq!(
            e.message,
            "\"UTF-32\" is not a supported IANA encoding name or alias in this Terraform version"
        );
        let e = call_err("textdecodebase64", &[s("!!"), s("UTF-8")]);
        assert_eq!(
            e.message,
            "the given value is has an invalid base64 symbol at offset 0"
        );
        let e = call_err("textdecodebase64", &[s("/w=="), s("UTF-8")]);
        assert_eq!(
            e.message,
            "the given string contains symbols that are not defined for UTF-8"
        );
    }

    #[test]
    fn urlencode_like_go() {
        let c = |a: &str| call_str("urlencode", &[s(a)]);
        assert_eq!(c("Hello World!"), "Hello+World%21");
        assert_eq!(c("a=b&c=d/e?f#g"), "a%3Db%26c%3Dd%2Fe%3Ff%23g");
        assert_eq!(c("☃ é"), "%E2%98%83+%C3%A9");
        assert_eq!(c("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(c(""), "");
    }

    #[test]
    fn json() {
        let v = j(r#"{"hello":"world","n":1,"b":true,"l":[1,"a"]}"#);
        assert_eq!(
            call_str("jsonencode", &[v]),
            r#"{"b":true,"hello":"world","l":[1,"a"],"n":1}"#
        );
        assert_eq!(
            call_str("jsonencode", &[s("a \"q\" <tag> & \u{2028}")]),
            r#""a \"q\" \u003ctag\u003e \u0026 \u2028""#
        );
        assert_eq!(call_str("jsonencode", &[Value::null_dynamic()]), "null");
        let u = call_in(
            std::path::Path::new("."),
            "jsonencode",
            &[Value::tuple(vec![Value::unknown_dynamic()])],
        )
        .unwrap();
        assert!(!u.is_known());
        let d = call_in(
            std::path::Path::new("."),
            "jsondecode",
            &[s(
                r#"{"hello": "world", "n": 1.5, "arr": [1, "x", null, true]}"#,
            )],
        )
        .unwrap();
        assert_eq!(
            d.to_json().unwrap(),
            r#"{"arr":[1,"x",null,true],"hello":"world","n":1.5}"#
        );
        let big = call_in(
            std::path::Path::new("."),
            "jsondecode",
            &[s("123456789012345678901234567890")],
        )
        .unwrap();
        assert_eq!(big.to_json().unwrap(), "123456789012345678901234567890");
        let err = |a: &str| call_err("jsondecode", &[s(a)]).message;
        assert_eq!(err("{not json}"), "invalid character 'n'");
        assert_eq!(
            err("{\"a\":1,}"),
            "invalid character '}' looking for beginning of object key string"
        );
        assert_eq!(err(""), "EOF");
        assert_eq!(err("[1,2"), "EOF");
        assert_eq!(err("1 2"), "extraneous data after JSON object");
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(err("tru"), "unexpected EOF");
        assert_eq!(
            err("trux"),
            "invalid character 'x' in literal true (expecting 'e')"
        );
        assert_eq!(err("[-x]"), "invalid character 'x' in numeric literal");
        assert_eq!(
            err("x"),
            "invalid character 'x' looking for beginning of value"
        );
    }

    #[test]
    fn csv() {
        let c = |a: &str| call_in(std::path::Path::new("."), "csvdecode", &[s(a)]);
        let v = c("a,b,c\n1,2,3\n4,5,6").unwrap();
        assert_eq!(
            v.to_json().unwrap(),
            r#"[{"a":"1","b":"2","c":"3"},{"a":"4","b":"5","c":"6"}]"#
        );
        let v = c("name,desc\n\"Smith, J\",\"said \"\"hi\"\"\"\n").unwrap();
        assert_eq!(
            v.to_json().unwrap(),
            r#"[{"desc":"said \"hi\"","name":"Smith, J"}]"#
        );
        let v = c("a,b\n").unwrap();
        assert_eq!(
            v.ty(),
            Type::list(Type::object(vec![
                ("a".into(), Type::String),
                ("b".into(), Type::String)
            ]))
        );
        assert_eq!(v.length(), Some(0));
        let v = c("a,b\r\n\r\n\"x\ny\",2\r\n").unwrap();
        assert_eq!(v.to_json().unwrap(), r#"[{"a":"x\ny","b":"2"}]"#);
        assert_eq!(
            c("a,b\n1,2,3").unwrap_err().message,
            "CSV parse error on line 2: wrong number of fields"
        );
        assert_eq!(
            c("a,b\n1,\"x\"y\n").unwrap_err().message,
            "CSV parse error on line 2: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            c("a,b\n1,x\"y\n").unwrap_err().message,
            "CSV parse error on line 2: bare \" in non-quoted-field"
        );
        assert_eq!(c("").unwrap_err().message, "missing header line");
        assert_eq!(
            c("a,a\n").unwrap_err().message,
            "duplicate column name \"a\""
        );
    }

    fn yenc(v: &Value) -> String {
        yaml_encode(v).expect("yaml")
    }

    #[test]
    fn yamlencode_like_go_yaml() {
        assert_eq!(
            yenc(&j(r#"{"a":"b","c":"d","n":1,"t":true,"l":["x",2]}"#)),
            "\"a\": \"b\"\n\"c\": \"d\"\n\"l\":\n- \"x\"\n- 2\n\"n\": 1\n\"t\": true\n"
        );
        assert_eq!(
            yenc(&j(r#"[{"a":"b","c":"d"},{"e":"f"}]"#)),
            "- \"a\": \"b\"\n  \"c\": \"d\"\n- \"e\": \"f\"\n"
        );
        assert_eq!(
            yenc(&j(r#"{"s":"true","e":"","multi":"a\nb","colon":"a: b","num":"1"}"#)),
            "\"colon\": \"a: b\"\n\"e\": \"\"\n\"multi\": |-\n  a\n  b\n\"num\": \"1\"\n\"s\": \"true\"\n"
        );
        assert_eq!(yenc(&j(r#"{"n":null}"#)), "\"n\": null\n");
        assert_eq!(yenc(&s("plain")), "\"plain\"\n");
        assert_eq!(yenc(&j("[1.5,100,-3]")), "- 1.5\n- 100\n- -3\n");
        assert_eq!(yenc(&j("[[1,2],[]]")), "- - 1\n  - 2\n- []\n");
        assert_eq!(
            yenc(&j(r#"{"a":{},"b":[],"c":{"d":[{"e":1}]},"f":[[{"g":1,"h":[1]}]]}"#)),
            "\"a\": {}\n\"b\": []\n\"c\":\n  \"d\":\n  - \"e\": 1\n\"f\":\n- - \"g\": 1\n    \"h\":\n    - 1\n"
        );
        assert_eq!(yenc(&Value::null_dynamic()), "null\n...\n");
        assert_eq!(yenc(&n("1.5")), "1.5\n...\n");
        assert_eq!(yenc(&j("[]")), "[]\n");
        assert_eq!(
            yenc(&j(r#"["a\nb", " lead\nx", "x\ny\n", "a\n\nb\n\n\n"]"#)),
            "- |-\n  a\n  b\n- |2-\n   lead\n  x\n- |\n  x\n  y\n- |+\n  a\n\n  b\n\n\n"
        );
        assert_eq!(yenc(&j(r#"{"k":["a\nb"]}"#)), "\"k\":\n- |-\n  a\n  b\n");
        assert_eq!(yenc(&s("\n")), "|2+\n\n");
        assert_eq!(yenc(&s("a\u{2028}b\nc")), "|-\n  a\u{2028}  b\n  c\n");
        assert_eq!(yenc(&s("")), "\"\"\n");
        assert_eq!(
            yenc(&j(r#"["\u0007x", "a\u00a0b", "\u2028", "\u0085", "\ufeff", "é\u0001", "\"q\\", "x\ty\nz", "trailing \nspace", "😀"]"#)),
            "- \"\\ax\"\n- \"a\u{a0}b\"\n- \"\\L\"\n- \"\\N\"\n- \"\\uFEFF\"\n- \"é\\x01\"\n- \"\\\"q\\\\\"\n- \"x\\ty\\nz\"\n- \"trailing \\nspace\"\n- \"\\U0001F600\"\n"
        );
        let words: Vec<String> = (0..30).map(|i| format!("word{i}")).collect();
        let long = words.join(" ");
        assert_eq!(
            yenc(&s(&long)),
            "\"word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n  word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 word23 word24\n  word25 word26 word27 word28 word29\"\n"
        );
        let obj = Value::object(vec![("k".into(), s(&long))]);
        assert_eq!(
            yenc(&obj),
            "\"k\": \"word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n  word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 word23 word24\n  word25 word26 word27 word28 word29\"\n"
        );
        let obj = Value::object(vec![("k".repeat(70), i(1)), ("a\nb".into(), i(2))]);
        assert_eq!(
            yenc(&obj),
            format!("? |-\n  a\n  b\n: 2\n\"{}\": 1\n", "k".repeat(70))
        );
    }

    #[test]
    fn yamldecode_like_cty_yaml() {
        let d = |a: &str| yaml_decode(a).map(|v| v.to_json().unwrap());
        assert_eq!(
            d("hello: world\nn: 1\nlist: [1, a, true]\n").unwrap(),
            r#"{"false":1,"hello":"world","list":[1,"a",true]}"#
        );
        assert_eq!(d("true").unwrap(), "true");
        assert_eq!(d("\"quoted\"").unwrap(), r#""quoted""#);
        assert_eq!(
            d("text: |\n  line1\n  line2\nfolded: >\n  a\n  b\n").unwrap(),
            r#"{"folded":"a b\n","text":"line1\nline2\n"}"#
        );
        assert_eq!(
            d("base: &b\n  x: 1\nderived:\n  <<: *b\n  y: 2\n").unwrap(),
            r#"{"base":{"x":1},"derived":{"true":2,"x":1}}"#
        );
        let v = yaml_decode("a: null\nb: ~\nc: 0x1F\nd: 1e3\ne: yes\nf: 'yes'\ng: 2001-12-14\n")
            .unwrap();
        assert_eq!(
            v.to_json().unwrap(),
            r#"{"a":null,"b":null,"c":31,"d":1000,"e":true,"f":"yes","g":"2001-12-14T00:00:00Z"}"#
        );
        assert_eq!(v.get_attr("a").unwrap().ty(), Type::Dynamic);
        assert_eq!(d("- a\n- b\n- c: d\n").unwrap(), r#"["a","b",{"c":"d"}]"#);
        assert_eq!(
            d("").unwrap_err(),
            "on line 1, column 1: missing start of document"
        );
        assert!(d("a: [").is_err());
        assert!(d("---\na: 1\n---\nb: 2\n")
            .unwrap_err()
            .ends_with("unexpected extra content after value"));
        assert_eq!(
            d("x: .5\nv: -1_000\nz: 0b101\nw: !!str 12").unwrap(),
            r#"{"v":-1000,"w":"12","x":0.5,"z":5}"#
        );
        let rt = yaml_decode(&yenc(&j(r#"{"k":["v",1]}"#))).unwrap();
        assert_eq!(rt.to_json().unwrap(), r#"{"k":["v",1]}"#);
    }

    #[test]
    fn decoding_is_bounded_in_depth_and_in_aliasing() {
        // Deep JSON used to overflow the stack of the syntax check (an abort).
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = call_err("jsondecode", &[s(&deep)]);
        assert!(e.message.contains("nested too deeply"), "{e:?}");
        let ok = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert!(call("jsondecode", &[s(&ok)]).is_ok());
        // "Billion laughs": each anchor aliases the previous one ten times.
        let mut y = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names: Vec<char> = ('a'..='l').collect();
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 10].join(", ");
            y.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        let e = call_err("yamldecode", &[s(&y)]);
        assert!(
            e.message.ends_with("document contains excessive aliasing"),
            "{e:?}"
        );
        // A few aliases are fine.
        let v = call("yamldecode", &[s("a: &a [1, 2]\nb: *a\nc: *a\n")]).expect("aliases");
        assert_eq!(v.length(), Some(3));
    }
}
