//! A small JSON reader that keeps numbers exact, and cty's JSON-to-value rules
//! (`json.Unmarshal` with a type, and `ImpliedType` for `Type::Dynamic`).

use super::number::Number;
use super::types::Type;
use super::value::Value;
use std::sync::Arc;

/// A parsed JSON document; numbers keep their text, objects their member order.
#[derive(Debug, Clone)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

pub fn parse(src: &str) -> Result<Json, String> {
    let mut p = P {
        b: src.as_bytes(),
        i: 0,
        depth: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.b.len() {
        return Err(format!(
            "extra characters after JSON value at offset {}",
            p.i
        ));
    }
    Ok(v)
}

struct P<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("invalid JSON at offset {}: {what}", self.i))
    }
    fn lit(&mut self, s: &str) -> bool {
        if self.b[self.i..].starts_with(s.as_bytes()) {
            self.i += s.len();
            true
        } else {
            false
        }
    }
    fn value(&mut self) -> Result<Json, String> {
        self.depth += 1;
        if self.depth > 512 {
            return self.err("nested too deeply");
        }
        let r = match self.b.get(self.i) {
            None => self.err("unexpected end of input"),
            Some(b'n') if self.lit("null") => Ok(Json::Null),
            Some(b't') if self.lit("true") => Ok(Json::Bool(true)),
            Some(b'f') if self.lit("false") => Ok(Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.value()?);
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return self.err("expected ',' or ']'"),
                        }
                    }
                }
                Ok(Json::Array(items))
            }
            Some(b'{') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.b.get(self.i) != Some(&b'"') {
                            return self.err("expected a string key");
                        }
                        let k = self.string()?;
                        self.ws();
                        if self.b.get(self.i) != Some(&b':') {
                            return self.err("expected ':'");
                        }
                        self.i += 1;
                        self.ws();
                        let v = self.value()?;
                        items.push((k, v));
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            _ => return self.err("expected ',' or '}'"),
                        }
                    }
                }
                Ok(Json::Object(items))
            }
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                self.i += 1;
                while self.i < self.b.len()
                    && matches!(
                        self.b[self.i],
                        b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'
                    )
                {
                    self.i += 1;
                }
                let s = String::from_utf8_lossy(&self.b[start..self.i]).into_owned();
                if Number::parse(&s).is_none() {
                    return self.err("invalid number");
                }
                Ok(Json::Number(s))
            }
            _ => self.err("unexpected character"),
        };
        self.depth -= 1;
        r
    }
    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return self.err("unterminated string");
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.b.get(self.i) else {
                        return self.err("unterminated string");
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xd800..0xdc00).contains(&cp) && self.lit("\\u") {
                                let lo = self.hex4()?;
                                cp = 0x10000
                                    + ((cp - 0xd800) << 10)
                                    + (lo.wrapping_sub(0xdc00) & 0x3ff);
                            }
                            char::from_u32(cp).unwrap_or('\u{fffd}')
                        }
                        _ => return self.err("invalid escape"),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out).or_else(|_| self.err("invalid UTF-8"))
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let s = self
            .b
            .get(self.i..self.i + 4)
            .ok_or("invalid JSON: short \\u escape")?;
        let s = std::str::from_utf8(s).map_err(|e| e.to_string())?;
        let v =
            u32::from_str_radix(s, 16).map_err(|_| "invalid JSON: bad \\u escape".to_string())?;
        self.i += 4;
        Ok(v)
    }
}

fn path_str(path: &[String]) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{}: ", path.join(""))
    }
}

/// Converts parsed JSON to a value of type `ty`.
pub fn to_value(j: &Json, ty: &Type, path: &mut Vec<String>) -> Result<Value, String> {
    convert(j, ty, path, false)
}

/// As [`to_value`], for JSON written by [`Value::to_json_typed`]: at positions of dynamic type
/// the value is cty's typed encoding `{"value": ..., "type": ...}` (how Terraform stores
/// dynamic attributes in its state). Plain JSON there is read with its implied type.
pub fn to_value_typed(j: &Json, ty: &Type, path: &mut Vec<String>) -> Result<Value, String> {
    convert(j, ty, path, true)
}

/// The `{"value": V, "type": T}` of a dynamic position: (V, T).
fn typed_parts(j: &Json) -> Option<(&Json, Type)> {
    let Json::Object(items) = j else { return None };
    let [(k1, v1), (k2, v2)] = items.as_slice() else {
        return None;
    };
    let (value, ty) = match (k1.as_str(), k2.as_str()) {
        ("value", "type") => (v1, v2),
        ("type", "value") => (v2, v1),
        _ => return None,
    };
    Some((value, Type::from_json(&to_serde(ty)).ok()?))
}

fn to_serde(j: &Json) -> serde_json::Value {
    use serde_json::Value as J;
    match j {
        Json::Null => J::Null,
        Json::Bool(b) => J::Bool(*b),
        Json::Number(n) => serde_json::from_str(n).unwrap_or(J::Null),
        Json::String(s) => J::String(s.clone()),
        Json::Array(a) => J::Array(a.iter().map(to_serde).collect()),
        Json::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect()),
    }
}

fn convert(j: &Json, ty: &Type, path: &mut Vec<String>, typed: bool) -> Result<Value, String> {
    if let Json::Null = j {
        return Ok(Value::null(ty.clone()));
    }
    let bad = |want: &str, path: &[String]| Err(format!("{}{want} is required", path_str(path)));
    match ty {
        Type::Dynamic if typed => match typed_parts(j) {
            Some((v, t)) => convert(v, &t, path, false),
            None => implied(j),
        },
        Type::Dynamic => implied(j),
        Type::String => match j {
            Json::String(s) => Ok(Value::string(s.as_str())),
            Json::Number(n) => Ok(Value::string(n.as_str())),
            Json::Bool(b) => Ok(Value::string(if *b { "true" } else { "false" })),
            _ => bad("string", path),
        },
        Type::Number => match j {
            Json::Number(n) | Json::String(n) => Number::parse(n)
                .map(Value::number)
                .ok_or_else(|| format!("{}a number is required", path_str(path))),
            _ => bad("number", path),
        },
        Type::Bool => match j {
            Json::Bool(b) => Ok(Value::bool(*b)),
            Json::String(s) if s == "true" => Ok(Value::bool(true)),
            Json::String(s) if s == "false" => Ok(Value::bool(false)),
            _ => bad("bool", path),
        },
        Type::List(e) | Type::Set(e) => {
            let Json::Array(items) = j else {
                return bad("array", path);
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, it) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                out.push(convert(it, e, path, typed)?);
                path.pop();
            }
            Ok(if ty.is_set() {
                Value::set(Type::clone(e), out)
            } else {
                Value::list(Type::clone(e), out)
            })
        }
        Type::Tuple(ts) => {
            let Json::Array(items) = j else {
                return bad("array", path);
            };
            if items.len() != ts.len() {
                return Err(format!(
                    "{}tuple with {} elements is required",
                    path_str(path),
                    ts.len()
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (it, t)) in items.iter().zip(ts.iter()).enumerate() {
                path.push(format!("[{i}]"));
                out.push(convert(it, t, path, typed)?);
                path.pop();
            }
            Ok(Value::tuple(out))
        }
        Type::Map(e) => {
            let Json::Object(items) = j else {
                return bad("object", path);
            };
            let mut out = Vec::with_capacity(items.len());
            for (k, it) in items {
                path.push(format!("[{k:?}]"));
                out.push((k.clone(), convert(it, e, path, typed)?));
                path.pop();
            }
            Ok(Value::map(Type::clone(e), out))
        }
        Type::Object(attrs) => {
            let Json::Object(items) = j else {
                return bad("object", path);
            };
            let mut out = Vec::with_capacity(attrs.len());
            for (k, it) in items {
                let Some(t) = attrs.get(k) else {
                    return Err(format!("{}unsupported attribute {k:?}", path_str(path)));
                };
                path.push(format!(".{k}"));
                out.push((k.clone(), convert(it, t, path, typed)?));
                path.pop();
            }
            if out.len() < attrs.len() {
                // Attributes the JSON leaves out are null (a set makes this linear).
                let given: std::collections::HashSet<&str> =
                    items.iter().map(|(ik, _)| ik.as_str()).collect();
                for (k, t) in attrs.iter() {
                    if !given.contains(k.as_str()) {
                        out.push((k.clone(), Value::null(t.clone())));
                    }
                }
            }
            Ok(Value::object(out))
        }
    }
}

/// The value with the type implied by the JSON (cty's `ImpliedType` then `Unmarshal`).
fn implied(j: &Json) -> Result<Value, String> {
    Ok(match j {
        Json::Null => Value::null_dynamic(),
        Json::Bool(b) => Value::bool(*b),
        Json::Number(n) => Value::number(Number::parse(n).ok_or("invalid number")?),
        Json::String(s) => Value::string(Arc::<str>::from(s.as_str())),
        Json::Array(items) => Value::tuple(items.iter().map(implied).collect::<Result<_, _>>()?),
        Json::Object(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (k, v) in items {
                out.push((k.clone(), implied(v)?));
            }
            Value::object(out)
        }
    })
}
