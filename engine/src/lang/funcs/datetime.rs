//! Date and time functions: formatdate, timeadd, timestamp (cty's stdlib datetime.go and
//! Terraform's lang/funcs/datetime.go), with Go's RFC 3339 parsing and duration syntax.

use super::{str_arg, FuncError, Function, Param, Registry};
use crate::lang::types::Type;
use crate::lang::value::{go_quote, Value};

/// Registers this group's functions.
pub fn register(r: &mut Registry) {
    let s = |name| Param::new(name, Type::String);
    r.register(
        "formatdate",
        Function::simple(vec![s("format"), s("time")], Type::String, formatdate),
    );
    r.register(
        "timeadd",
        Function::simple(vec![s("timestamp"), s("duration")], Type::String, timeadd),
    );
    r.register(
        "timestamp",
        Function::simple(vec![], Type::String, timestamp),
    );
}

/// A point in time with a fixed UTC offset, as Go's `time.Time` from `time.Parse(RFC3339)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// Seconds since the Unix epoch (UTC).
    pub unix: i64,
    pub nanos: u32,
    /// Offset east of UTC, in seconds; `None` for `Z` (zone name "UTC").
    pub offset: Option<i32>,
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in(m: u32, y: i64) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Local calendar fields of a time (in its own offset).
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: usize,
}

impl Time {
    fn civil(&self) -> Civil {
        let local = self.unix + i64::from(self.offset.unwrap_or(0));
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs / 60 % 60) as u32,
            second: (secs % 60) as u32,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4).rem_euclid(7) as usize,
        }
    }

    fn zone_hhmm(&self, colon: bool) -> String {
        let off = self.offset.unwrap_or(0);
        let sign = if off < 0 { '-' } else { '+' };
        let m = off.abs() / 60;
        if colon {
            format!("{sign}{:02}:{:02}", m / 60, m % 60)
        } else {
            format!("{sign}{:02}{:02}", m / 60, m % 60)
        }
    }

    /// Go's `Format(time.RFC3339)`.
    pub fn rfc3339(&self) -> String {
        let c = self.civil();
        let zone = match self.offset {
            None => "Z".to_string(),
            Some(_) => self.zone_hhmm(true),
        };
        format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
            go_year(c.year),
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second
        )
    }
}

/// Go's `appendInt(year, 4)`.
fn go_year(y: i64) -> String {
    if y < 0 {
        format!("-{:04}", -y)
    } else {
        format!("{y:04}")
    }
}

struct ParseErr {
    layout_elem: &'static str,
    value_elem: String,
    message: String,
}

/// Go's `time.Parse(time.RFC3339, s)`, with its error details.
fn go_parse_rfc3339(value: &str) -> Result<Time, ParseErr> {
    let err = |le: &'static str, ve: &str, msg: &str| ParseErr {
        layout_elem: le,
        value_elem: ve.to_string(),
        message: msg.to_string(),
    };
    let digit = |s: &str, i: usize| s.as_bytes().get(i).is_some_and(u8::is_ascii_digit);
    // getnum: one or two digits (two required if fixed).
    fn getnum(s: &str, fixed: bool) -> Option<(u32, &str)> {
        let b = s.as_bytes();
        if !b.first().is_some_and(u8::is_ascii_digit) {
            return None;
        }
        if !b.get(1).is_some_and(u8::is_ascii_digit) {
            if fixed {
                return None;
            }
            return Some((u32::from(b[0] - b'0'), &s[1..]));
        }
        Some((
            u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0'),
            &s[2..],
        ))
    }
    let skip = |v: &str, lit: &'static str| -> Result<String, ParseErr> {
        v.strip_prefix(lit)
            .map(str::to_string)
            .ok_or_else(|| err(lit, v, ""))
    };
    let mut v = value.to_string();
    // 2006
    if v.len() < 4
        || !digit(&v, 0)
        || !v.is_char_boundary(4)
        || !v[..4].bytes().all(|c| c.is_ascii_digit())
    {
        return Err(err("2006", &v, ""));
    }
    let year: i64 = v[..4].parse().map_err(|_| err("2006", value, ""))?;
    v = v[4..].to_string();
    v = skip(&v, "-")?;
    // 01
    let hold = v.clone();
    let (month, rest) = getnum(&hold, true).ok_or_else(|| err("01", &hold, ""))?;
    v = rest.to_string();
    if !(1..=12).contains(&month) {
        return Err(err("01", &v, ": month out of range"));
    }
    v = skip(&v, "-")?;
    // 02
    let hold = v.clone();
    let (day, rest) = getnum(&hold, true).ok_or_else(|| err("02", &hold, ""))?;
    v = rest.to_string();
    v = skip(&v, "T")?;
    // 15
    let hold = v.clone();
    let (hour, rest) = getnum(&hold, false).ok_or_else(|| err("15", &hold, ""))?;
    v = rest.to_string();
    if hour >= 24 {
        return Err(err("15", &v, ": hour out of range"));
    }
    v = skip(&v, ":")?;
    let hold = v.clone();
    let (minute, rest) = getnum(&hold, true).ok_or_else(|| err("04", &hold, ""))?;
    v = rest.to_string();
    if minute >= 60 {
        return Err(err("04", &v, ": minute out of range"));
    }
    v = skip(&v, ":")?;
    let hold = v.clone();
    let (second, rest) = getnum(&hold, true).ok_or_else(|| err("05", &hold, ""))?;
    v = rest.to_string();
    if second >= 60 {
        return Err(err("05", &v, ": second out of range"));
    }
    let mut nanos = 0u32;
    let vb = v.as_bytes();
    if vb.len() >= 2 && (vb[0] == b'.' || vb[0] == b',') && vb[1].is_ascii_digit() {
        let mut n = 2;
        while n < vb.len() && vb[n].is_ascii_digit() {
            n += 1;
        }
        let frac = &v[1..n];
        let mut ns: u64 = 0;
        for (i, c) in frac.bytes().take(9).enumerate() {
            ns += u64::from(c - b'0') * 10u64.pow(8 - i as u32);
        }
        nanos = ns as u32;
        v = v[n..].to_string();
    }
    // Z07:00
    let hold = v.clone();
    let offset = if v.starts_with('Z') {
        v = v[1..].to_string();
        None
    } else {
        let b = v.as_bytes();
        if b.len() < 6 || b[3] != b':' || !v.is_char_boundary(6) {
            return Err(err("Z07:00", &hold, ""));
        }
        let (sign, hh, mm) = (&v[0..1], &v[1..3], &v[4..6]);
        let (Ok(h), Ok(m)) = (hh.parse::<i32>(), mm.parse::<i32>()) else {
            return Err(err("Z07:00", &hold, ""));
        };
        if !hh.bytes().chain(mm.bytes()).all(|c| c.is_ascii_digit()) {
            return Err(err("Z07:00", &hold, ""));
        }
        let off = (h * 60 + m) * 60;
        let off = match sign {
            "+" => off,
            "-" => -off,
            _ => return Err(err("Z07:00", &hold, "")),
        };
        v = v[6..].to_string();
        Some(off)
    };
    if !v.is_empty() {
        return Err(ParseErr {
            layout_elem: "",
            value_elem: v.clone(),
            message: format!(": extra text: {v}"),
        });
    }
    if day < 1 || day > days_in(month, year) {
        return Err(err("", "", ": day out of range"));
    }
    let local = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    Ok(Time {
        unix: local - i64::from(offset.unwrap_or(0)),
        nanos,
        offset,
    })
}

/// cty's `parseTimestamp`: RFC 3339 with friendlier errors.
pub fn parse_timestamp(ts: &str) -> Result<Time, String> {
    let e = match go_parse_rfc3339(ts) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    if e.layout_elem.is_empty() && e.value_elem.is_empty() && !e.message.is_empty() {
        return Err(format!("not a valid RFC3339 timestamp{}", e.message));
    }
    let what = match e.layout_elem {
        "2006" => "year",
        "01" => "month",
        "02" => "day of month",
        "15" => "hour",
        "04" => "minute",
        "05" => "second",
        "Z07:00" => "UTC offset",
        "T" => {
            return Err(
                "not a valid RFC3339 timestamp: missing required time introducer 'T'".into(),
            )
        }
        ":" | "-" => {
            return Err(if e.value_elem.is_empty() {
                format!(
                    "not a valid RFC3339 timestamp: end of string where {} is expected",
                    go_quote(e.layout_elem)
                )
            } else {
                format!(
                    "not a valid RFC3339 timestamp: found {} where {} is expected",
                    go_quote(&e.value_elem),
                    go_quote(e.layout_elem)
                )
            })
        }
        _ => "timestamp segment",
    };
    Err(if e.value_elem.is_empty() {
        format!("not a valid RFC3339 timestamp: end of string before {what}")
    } else {
        format!(
            "not a valid RFC3339 timestamp: cannot use {} as {what}",
            go_quote(&e.value_elem)
        )
    })
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Splits a format string into tokens as cty's `splitDateFormat` does.
fn split_date_format(f: &str) -> Vec<&str> {
    let b = f.as_bytes();
    let is_verb = |c: u8| c.is_ascii_alphabetic();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                i += 2;
            } else {
                let mut j = i + 1;
                let mut end = b.len();
                while j < b.len() {
                    if b[j] == b'\'' {
                        if b.get(j + 1) == Some(&b'\'') {
                            j += 2;
                            continue;
                        }
                        end = j + 1;
                        break;
                    }
                    j += 1;
                }
                i = end;
            }
        } else if is_verb(b[i]) {
            let rep = b[i];
            while i < b.len() && b[i] == rep {
                i += 1;
            }
        } else {
            i += 1;
            while i < b.len() && b[i] != b'\'' && !is_verb(b[i]) {
                i += 1;
            }
        }
        out.push(&f[start..i]);
    }
    out
}

fn formatdate(args: &[Value]) -> Result<Value, FuncError> {
    let format = str_arg(args, 0)?;
    let ts = str_arg(args, 1)?;
    let t = parse_timestamp(ts).map_err(|e| FuncError::arg(1, e))?;
    let c = t.civil();
    let mut out = String::new();
    for tok in split_date_format(format) {
        let b = tok.as_bytes();
        let n = b.len();
        let bad = |why: &str| {
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            };
            FuncError::arg(
                0,
                format!("invalid date format verb {}{why}", go_quote(tok)),
            )
        };
        if b[0] == b'\'' {
            if n == 1 || b[n - 1] != b'\'' {
                return Err(FuncError::arg(0, "unterminated literal '"));
            }
            if n == 2 {
                out.push('\'');
            } else {
                out.push_str(&tok[1..n - 1].replace("''", "'"));
            }
            continue;
        }
        if !b[0].is_ascii_alphabetic() {
            out.push_str(tok);
            continue;
        }
        match (b[0], n) {
            (b'Y', 2) => out.push_str(&format!("{:02}", c.year.rem_euclid(100))),
            (b'Y', 4) => out.push_str(&go_year(c.year)),
            (b'Y', _) => return Err(bad("year must either be \"YY\" or \"YYYY\"")),
            (b'M', 1) => out.push_str(&c.month.to_string()),
            (b'M', 2) => out.push_str(&format!("{:02}", c.month)),
            (b'M', 3) => out.push_str(&MONTHS[c.month as usize - 1][..3]),
            (b'M', 4) => out.push_str(MONTHS[c.month as usize - 1]),
            (b'M', _) => return Err(bad("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"")),
            (b'D', 1) => out.push_str(&c.day.to_string()),
            (b'D', 2) => out.push_str(&format!("{:02}", c.day)),
            (b'D', _) => return Err(bad("day of month must either be \"D\" or \"DD\"")),
            (b'E', 3) => out.push_str(&WEEKDAYS[c.weekday][..3]),
            (b'E', 4) => out.push_str(WEEKDAYS[c.weekday]),
            (b'E', _) => return Err(bad("day of week must either be \"EEE\" or \"EEEE\"")),
            (b'h', 1) => out.push_str(&c.hour.to_string()),
            (b'h', 2) => out.push_str(&format!("{:02}", c.hour)),
            (b'h', _) => return Err(bad("24-hour must either be \"h\" or \"hh\"")),
            (b'H', 1 | 2) => {
                let h = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
                if n == 1 {
                    out.push_str(&h.to_string());
                } else {
                    out.push_str(&format!("{h:02}"));
                }
            }
            (b'H', _) => return Err(bad("12-hour must either be \"H\" or \"HH\"")),
            (b'A' | b'a', 2) => {
                let pm = c.hour >= 12;
                out.push_str(match (b[0] == b'A', pm) {
                    (true, false) => "AM",
                    (true, true) => "PM",
                    (false, false) => "am",
                    (false, true) => "pm",
                });
            }
            (b'A' | b'a', _) => {
                let l = &tok[0..1];
                return Err(bad(&format!("must be \"{l}{l}\"")));
            }
            (b'm', 1) => out.push_str(&c.minute.to_string()),
            (b'm', 2) => out.push_str(&format!("{:02}", c.minute)),
            (b'm', _) => return Err(bad("minute must either be \"m\" or \"mm\"")),
            (b's', 1) => out.push_str(&c.second.to_string()),
            (b's', 2) => out.push_str(&format!("{:02}", c.second)),
            (b's', _) => return Err(bad("second must either be \"s\" or \"ss\"")),
            (b'Z', 1) => match t.offset {
                None => out.push('Z'),
                Some(_) => out.push_str(&t.zone_hhmm(true)),
            },
            (b'Z', 3) => match t.offset {
                None => out.push_str("UTC"),
                Some(_) => out.push_str(&t.zone_hhmm(false)),
            },
            (b'Z', 4) => out.push_str(&t.zone_hhmm(false)),
            (b'Z', 5) => out.push_str(&t.zone_hhmm(true)),
            (b'Z', _) => return Err(bad("timezone must be Z, ZZZZ, or ZZZZZ")),
            _ => return Err(bad("")),
        }
    }
    Ok(Value::string(out))
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote_plain(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.bytes().next() {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const MAX: u64 = 1 << 63;
    let mut d: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // leading int
        let mut i = 0;
        let mut v: u64 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            if v > MAX / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(b[i] - b'0');
            if v > MAX {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let start = i;
            let mut overflow = false;
            while i < b.len() && b[i].is_ascii_digit() {
                if !overflow {
                    if f > (MAX - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(b[i] - b'0');
                        if y > MAX {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i > start;
        }
        if !pre && !post {
            return Err(invalid());
        }
        let ustart = i;
        while i < b.len() && !(b[i] == b'.' || b[i].is_ascii_digit()) {
            i += 1;
        }
        if i == ustart {
            return Err(format!(
                "time: missing unit in duration {}",
                go_quote_plain(orig)
            ));
        }
        let u = &s[ustart..i];
        let unit: u64 = match u {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote_plain(u),
                    go_quote_plain(orig)
                ))
            }
        };
        if v > MAX / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > MAX {
                return Err(invalid());
            }
        }
        d += v;
        if d > MAX {
            return Err(invalid());
        }
        s = &s[i..];
    }
    if neg {
        return Ok((d as i128).wrapping_neg() as i64);
    }
    if d > MAX - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// The time package's own `quote`: double quotes around the text as is.
fn go_quote_plain(s: &str) -> String {
    format!("\"{s}\"")
}

fn timeadd(args: &[Value]) -> Result<Value, FuncError> {
    let t = parse_timestamp(str_arg(args, 0)?).map_err(FuncError::new)?;
    let d = parse_duration(str_arg(args, 1)?).map_err(FuncError::new)?;
    let total = i128::from(t.unix) * 1_000_000_000 + i128::from(t.nanos) + i128::from(d);
    let unix = total.div_euclid(1_000_000_000) as i64;
    let nanos = total.rem_euclid(1_000_000_000) as u32;
    Ok(Value::string(
        Time {
            unix,
            nanos,
            offset: t.offset,
        }
        .rfc3339(),
    ))
}

fn timestamp(_args: &[Value]) -> Result<Value, FuncError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| FuncError::new(e.to_string()))?;
    Ok(Value::string(
        Time {
            unix: now.as_secs() as i64,
            nanos: 0,
            offset: None,
        }
        .rfc3339(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn formatdate_like_terraform() {
        let t = "2018-01-02T23:12:01Z";
        let c = |fmt: &str, ts: &str| call_str("formatdate", &[s(fmt), s(ts)]);
        assert_eq!(c("YYYY-MM-DD'T'hh:mm:ssZ", t), "2018-01-02T23:12:01Z");
        assert_eq!(
            c("EEEE, DD-MMM-YY hh:mm:ss ZZZ", t),
            "Tuesday, 02-Jan-18 23:12:01 UTC"
        );
        assert_eq!(
            c("EEE, DD MMM YYYY hh:mm:ss ZZZ", t),
            "Tue, 02 Jan 2018 23:12:01 UTC"
        );
        assert_eq!(c("h:mm AA / h:mm aa", t), "23:12 PM / 23:12 pm");
        assert_eq!(c("D/M/YY H:m:s", "2006-01-02T03:04:05Z"), "2/1/06 3:4:5");
        assert_eq!(
            c("YYYY-MM-DD hh:mm ZZZZ ZZZZZ Z", "2020-06-15T10:30:00+05:30"),
            "2020-06-15 10:30 +0530 +05:30 +05:30"
        );
        assert_eq!(c("hh:mm ZZZZ", "2020-06-15T10:30:00-08:00"), "10:30 -0800");
        assert_eq!(c("'Date:' YYYY 'o''clock'", t), "Date: 2018 o'clock");
        assert_eq!(
            c("YYYY-MM-DD hh:mm:ss", "2020-01-01T00:00:00.123456Z"),
            "2020-01-01 00:00:00"
        );
        assert_eq!(
            c("EEEE DD MMMM YYYY", "2020-02-29T12:00:00Z"),
            "Saturday 29 February 2020"
        );
        assert_eq!(c("''", t), "'");
        assert_eq!(c("H AA", "2020-01-01T00:30:00Z"), "12 AM");
        let e = |fmt: &str, ts: &str| call_err("formatdate", &[s(fmt), s(ts)]);
        let x = e("YYY", t);
        assert_eq!(x.arg, Some(0));
        assert_eq!(
            x.message,
            "invalid date format verb \"YYY\": year must either be \"YY\" or \"YYYY\""
        );
        assert_eq!(e("x", t).message, "invalid date format verb \"x\"");
        assert_eq!(e("'abc", t).message, "unterminated literal '");
        let x = e("YYYY", "2018-01-02");
        assert_eq!(x.arg, Some(1));
        assert_eq!(
            x.message,
            "not a valid RFC3339 timestamp: missing required time introducer 'T'"
        );
        assert_eq!(
            e("YYYY", "2018-13-02T00:00:00Z").message,
            "not a valid RFC3339 timestamp: cannot use \"-02T00:00:00Z\" as month"
        );
        assert_eq!(
            e("YYYY", "2018-02-30T00:00:00Z").message,
            "not a valid RFC3339 timestamp: day out of range"
        );
        assert_eq!(
            e("YYYY", "2018-02-03T00:00:00").message,
            "not a valid RFC3339 timestamp: end of string before UTC offset"
        );
        assert_eq!(
            e("YYYY", "2018-02-03T00:00:00Zx").message,
            "not a valid RFC3339 timestamp: cannot use \"x\" as timestamp segment"
        );
        assert_eq!(
            e("YYYY", "20180203").message,
            "not a valid RFC3339 timestamp: found \"0203\" where \"-\" is expected"
        );
    }

    #[test]
    fn timeadd_like_go() {
        let c = |ts: &str, d: &str| call_str("timeadd", &[s(ts), s(d)]);
        assert_eq!(c("2017-11-22T00:00:00Z", "10m"), "2017-11-22T00:10:00Z");
        assert_eq!(c("2017-11-22T00:00:00Z", "-1h30m"), "2017-11-21T22:30:00Z");
        assert_eq!(c("2017-11-22T00:00:00Z", "72h"), "2017-11-25T00:00:00Z");
        assert_eq!(c("2017-11-22T00:00:00Z", "1.5h"), "2017-11-22T01:30:00Z");
        assert_eq!(
            c("2017-11-22T00:00:00+02:00", "1s"),
            "2017-11-22T00:00:01+02:00"
        );
        assert_eq!(c("2017-11-22T00:00:00Z", "1500ms"), "2017-11-22T00:00:01Z");
        assert_eq!(c("2020-12-31T23:59:59Z", "1s"), "2021-01-01T00:00:00Z");
        assert_eq!(c("2020-12-31T23:59:59.9Z", "0"), "2020-12-31T23:59:59Z");
        assert_eq!(c("1970-01-01T00:00:00Z", "-1s"), "1969-12-31T23:59:59Z");
        let e = |ts: &str, d: &str| call_err("timeadd", &[s(ts), s(d)]).message;
        assert_eq!(
            e("2017-11-22T00:00:00Z", "1"),
            "time: missing unit in duration \"1\""
        );
        assert_eq!(
            e("2017-11-22T00:00:00Z", "1x"),
            "time: unknown unit \"x\" in duration \"1x\""
        );
        assert_eq!(e("2017-11-22T00:00:00Z", ""), "time: invalid duration \"\"");
        assert_eq!(
            e("2017-11-22T00:00:00Z", "."),
            "time: invalid duration \".\""
        );
    }

    #[test]
    fn timestamp_shape() {
        let t = call_str("timestamp", &[]);
        assert_eq!(t.len(), 20);
        assert!(t.ends_with('Z'));
        assert_eq!(parse_timestamp(&t).map(|x| x.rfc3339()), Ok(t));
    }
}
