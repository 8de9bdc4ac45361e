//! Numbers with the semantics of cty's numbers: Go `big.Float` values with a per-value binary
//! precision (512 bits for literals and parsed strings, 64 for integers made by functions such as
//! `length`, 53 for values made from a float64), rounding to nearest-even, and Go's shortest
//! decimal printing (`Text('f', -1)`), so `1/3` prints exactly as Terraform prints it and
//! `0.1 + 0.2` prints `0.3`.
//!
//! A value is `(-1)^neg * mant * 2^exp` (finite), zero (signed) or infinite (signed).

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, ToPrimitive, Zero};
use std::cmp::Ordering;

/// The precision of numbers parsed from literals and strings (cty's `ParseNumberVal`).
pub const PARSE_PREC: u32 = 512;
/// The precision of numbers made from integers (cty's `NumberIntVal`).
pub const INT_PREC: u32 = 64;
/// The precision of numbers made from float64 values (cty's `NumberFloatVal`).
pub const FLOAT_PREC: u32 = 53;

/// Largest decimal exponent accepted when parsing, to keep parsing cheap on hostile input.
const MAX_DEC_EXP: i64 = 100_000;

/// Magnitudes of `2^MAX_EXP` and more overflow to an infinity, and those under `2^-MAX_EXP`
/// underflow to zero, as Go's `big.Float` does at `2^(2^31-1)`, but far sooner: arithmetic
/// could otherwise square its way to numbers whose decimal text takes more memory than the
/// machine has (`1e100000 * 1e100000`, squared twenty times, was a 43 GB allocation when
/// printed). `2^MAX_EXP` is about `10^315652`, beyond what a literal can say.
const MAX_EXP: i64 = 1 << 20;

#[derive(Clone, Debug)]
enum Form {
    Zero,
    Finite { mant: BigUint, exp: i64 },
    Inf,
}

/// An arbitrary-precision binary floating point number, like Go's `*big.Float` in cty.
#[derive(Clone, Debug)]
pub struct Number {
    neg: bool,
    form: Form,
    prec: u32,
}

/// Errors from number arithmetic (Go's `big.ErrNaN` cases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    /// `0/0` or `inf/inf`.
    DivNaN,
    /// `inf - inf` and the like.
    NaN,
}

impl std::fmt::Display for NumberError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NumberError::DivNaN => f.write_str("can't divide zero by zero or infinity by infinity"),
            NumberError::NaN => f.write_str("the result is not a number"),
        }
    }
}

fn bitlen(m: &BigUint) -> i64 {
    m.bits() as i64
}

/// Rounds `mant * 2^exp` to `prec` bits (nearest, ties to even). `sticky` says there are further
/// non-zero bits below `mant`'s lowest bit.
fn round(mut mant: BigUint, mut exp: i64, prec: u32, sticky: bool) -> (BigUint, i64) {
    let prec = prec.max(1) as i64;
    let bl = bitlen(&mant);
    if bl > prec {
        let s = (bl - prec) as u64;
        let half = mant.bit(s - 1);
        let lower_nonzero = sticky || (s >= 2 && mant.trailing_zeros().is_some_and(|t| t < s - 1));
        mant >>= s;
        exp += s as i64;
        if half && (lower_nonzero || mant.bit(0)) {
            mant += 1u32;
            if bitlen(&mant) > prec {
                mant >>= 1u32;
                exp += 1;
            }
        }
    }
    // Canonical form: no trailing zero bits.
    if let Some(tz) = mant.trailing_zeros() {
        if tz > 0 {
            mant >>= tz;
            exp += tz as i64;
        }
    }
    (mant, exp)
}

impl Number {
    fn finite(neg: bool, mant: BigUint, exp: i64, prec: u32, sticky: bool) -> Number {
        if mant.is_zero() {
            return Number {
                neg,
                form: Form::Zero,
                prec,
            };
        }
        let (mant, exp) = round(mant, exp, prec, sticky);
        let top = bitlen(&mant).saturating_add(exp);
        let form = if top > MAX_EXP {
            Form::Inf
        } else if top <= -MAX_EXP {
            Form::Zero
        } else {
            Form::Finite { mant, exp }
        };
        Number { neg, form, prec }
    }

    pub fn zero() -> Number {
        Number {
            neg: false,
            form: Form::Zero,
            prec: INT_PREC,
        }
    }

    pub fn infinity(neg: bool) -> Number {
        Number {
            neg,
            form: Form::Inf,
            prec: PARSE_PREC,
        }
    }

    /// cty's `NumberIntVal` (precision 64).
    pub fn from_i64(v: i64) -> Number {
        Number::finite(v < 0, BigUint::from(v.unsigned_abs()), 0, INT_PREC, false)
    }

    pub fn from_u64(v: u64) -> Number {
        Number::finite(false, BigUint::from(v), 0, INT_PREC, false)
    }

    /// cty's `NumberFloatVal` (precision 53). NaN becomes zero.
    pub fn from_f64(v: f64) -> Number {
        if v.is_infinite() {
            return Number {
                prec: FLOAT_PREC,
                ..Number::infinity(v < 0.0)
            };
        }
        if v == 0.0 || v.is_nan() {
            return Number {
                neg: v.is_sign_negative() && !v.is_nan(),
                form: Form::Zero,
                prec: FLOAT_PREC,
            };
        }
        let bits = v.to_bits();
        let neg = bits >> 63 == 1;
        let e = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (m, exp) = if e == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), e - 1075)
        };
        Number::finite(neg, BigUint::from(m), exp, FLOAT_PREC, false)
    }

    /// An exact integer with enough precision to hold it (at least 64 bits).
    pub fn from_biguint(neg: bool, v: BigUint) -> Number {
        let prec = (v.bits() as u32).max(INT_PREC);
        Number::finite(neg, v, 0, prec, false)
    }

    /// Parses a decimal number as cty's `ParseNumberVal` does (precision 512). Accepts an optional
    /// sign, digits with an optional fraction, and an optional exponent.
    pub fn parse(s: &str) -> Option<Number> {
        Number::parse_with_prec(s, PARSE_PREC)
    }

    /// [`Number::parse`] at a given binary precision (correctly rounded to `prec` bits; the cost
    /// grows with `prec`, so bound it for untrusted input).
    pub fn parse_with_prec(s: &str, prec: u32) -> Option<Number> {
        let b = s.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            neg = b[i] == b'-';
            i += 1;
        }
        let rest = &s[i..];
        if rest == "Inf" || rest == "inf" {
            return Some(Number {
                prec,
                ..Number::infinity(neg)
            });
        }
        let mut digits = String::new();
        let mut dexp: i64 = 0;
        let mut seen_digit = false;
        while i < b.len() && b[i].is_ascii_digit() {
            digits.push(b[i] as char);
            seen_digit = true;
            i += 1;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                digits.push(b[i] as char);
                dexp -= 1;
                seen_digit = true;
                i += 1;
            }
        }
        if !seen_digit {
            return None;
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let mut eneg = false;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                eneg = b[i] == b'-';
                i += 1;
            }
            let start = i;
            let mut e: i64 = 0;
            while i < b.len() && b[i].is_ascii_digit() {
                e = e.saturating_mul(10).saturating_add((b[i] - b'0') as i64);
                i += 1;
            }
            if start == i {
                return None;
            }
            dexp = dexp.saturating_add(if eneg { -e } else { e });
        }
        if i != b.len() {
            return None;
        }
        let d: BigUint = digits.parse().ok()?;
        Some(Number::from_decimal(neg, d, dexp, prec))
    }

    /// `d * 10^dexp`, correctly rounded to `prec` bits.
    fn from_decimal(neg: bool, d: BigUint, dexp: i64, prec: u32) -> Number {
        if d.is_zero() {
            return Number {
                neg,
                form: Form::Zero,
                prec,
            };
        }
        if dexp > MAX_DEC_EXP {
            return Number {
                prec,
                ..Number::infinity(neg)
            };
        }
        if dexp < -MAX_DEC_EXP {
            return Number {
                neg,
                form: Form::Zero,
                prec,
            };
        }
        if dexp >= 0 {
            let m = d * BigUint::from(5u32).pow(dexp as u32);
            return Number::finite(neg, m, dexp, prec, false);
        }
        let n = (-dexp) as u32;
        let den = BigUint::from(5u32).pow(n);
        let (m, e, sticky) = quo_bits(&d, &den, prec);
        Number::finite(neg, m, e - n as i64, prec, sticky)
    }

    pub fn prec(&self) -> u32 {
        self.prec
    }
    pub fn is_zero(&self) -> bool {
        matches!(self.form, Form::Zero)
    }
    pub fn is_inf(&self) -> bool {
        matches!(self.form, Form::Inf)
    }
    pub fn is_neg(&self) -> bool {
        self.neg
    }
    /// Negative and not zero.
    pub fn is_negative(&self) -> bool {
        self.neg && !self.is_zero()
    }

    /// Whether the value is a whole number (infinities are not).
    pub fn is_integer(&self) -> bool {
        match &self.form {
            Form::Zero => true,
            Form::Inf => false,
            Form::Finite { exp, .. } => *exp >= 0,
        }
    }

    /// The exact integer value, if it is a whole number.
    pub fn to_bigint_parts(&self) -> Option<(bool, BigUint)> {
        match &self.form {
            Form::Zero => Some((false, BigUint::zero())),
            Form::Inf => None,
            Form::Finite { mant, exp } => {
                if *exp < 0 || *exp > 1_000_000 {
                    None
                } else {
                    Some((self.neg, mant << (*exp as u64)))
                }
            }
        }
    }

    /// The value as an `i64`, if it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        let (neg, m) = self.to_bigint_parts()?;
        let v = m.to_u64()?;
        if neg {
            if v <= i64::MAX as u64 + 1 {
                Some((v as i128).wrapping_neg() as i64)
            } else {
                None
            }
        } else {
            i64::try_from(v).ok()
        }
    }

    /// The nearest `f64` (saturating to +-MAX like Go's `Float64` would to +-Inf... we return inf).
    pub fn to_f64(&self) -> f64 {
        let sign = if self.neg { -1.0 } else { 1.0 };
        match &self.form {
            Form::Zero => 0.0 * sign,
            Form::Inf => f64::INFINITY * sign,
            Form::Finite { .. } => self.text_g(17).parse::<f64>().unwrap_or(0.0),
        }
    }

    /// Truncates toward zero (Go's `Float.Int`).
    pub fn trunc(&self) -> Number {
        match &self.form {
            Form::Finite { mant, exp } if *exp < 0 => {
                let s = (-*exp) as u64;
                let m = if s >= mant.bits() {
                    BigUint::zero()
                } else {
                    mant >> s
                };
                Number::finite(self.neg, m, 0, self.prec, false)
            }
            _ => self.clone(),
        }
    }

    /// Rounds toward negative infinity.
    pub fn floor(&self) -> Number {
        let t = self.trunc();
        if self.neg && !t.eq_num(self) {
            t.sub(&Number::from_i64(1)).unwrap_or(t)
        } else {
            t
        }
    }

    /// Rounds toward positive infinity.
    pub fn ceil(&self) -> Number {
        let t = self.trunc();
        if !self.neg && !t.eq_num(self) {
            t.add(&Number::from_i64(1)).unwrap_or(t)
        } else {
            t
        }
    }

    pub fn neg(&self) -> Number {
        Number {
            neg: !self.neg,
            ..self.clone()
        }
    }

    pub fn abs(&self) -> Number {
        Number {
            neg: false,
            ..self.clone()
        }
    }

    fn result_prec(&self, o: &Number) -> u32 {
        self.prec.max(o.prec)
    }

    pub fn add(&self, o: &Number) -> Result<Number, NumberError> {
        let prec = self.result_prec(o);
        match (&self.form, &o.form) {
            (Form::Inf, Form::Inf) => {
                if self.neg != o.neg {
                    Err(NumberError::NaN)
                } else {
                    Ok(self.with_prec(prec))
                }
            }
            (Form::Inf, _) => Ok(self.with_prec(prec)),
            (_, Form::Inf) => Ok(o.with_prec(prec)),
            (Form::Zero, Form::Zero) => Ok(Number {
                neg: self.neg && o.neg,
                form: Form::Zero,
                prec,
            }),
            (Form::Zero, _) => Ok(Number::finite_from(o, prec)),
            (_, Form::Zero) => Ok(Number::finite_from(self, prec)),
            (Form::Finite { mant: ma, exp: ea }, Form::Finite { mant: mb, exp: eb }) => {
                Ok(add_finite(self.neg, ma, *ea, o.neg, mb, *eb, prec))
            }
        }
    }

    pub fn sub(&self, o: &Number) -> Result<Number, NumberError> {
        self.add(&o.neg())
    }

    pub fn mul(&self, o: &Number) -> Result<Number, NumberError> {
        let prec = self.result_prec(o);
        let neg = self.neg != o.neg;
        match (&self.form, &o.form) {
            (Form::Inf, Form::Zero) | (Form::Zero, Form::Inf) => Err(NumberError::NaN),
            (Form::Inf, _) | (_, Form::Inf) => Ok(Number {
                neg,
                form: Form::Inf,
                prec,
            }),
            (Form::Zero, _) | (_, Form::Zero) => Ok(Number {
                neg,
                form: Form::Zero,
                prec,
            }),
            (Form::Finite { mant: ma, exp: ea }, Form::Finite { mant: mb, exp: eb }) => {
                Ok(Number::finite(neg, ma * mb, ea + eb, prec, false))
            }
        }
    }

    pub fn div(&self, o: &Number) -> Result<Number, NumberError> {
        let prec = self.result_prec(o);
        let neg = self.neg != o.neg;
        match (&self.form, &o.form) {
            (Form::Zero, Form::Zero) | (Form::Inf, Form::Inf) => Err(NumberError::DivNaN),
            (Form::Inf, _) | (_, Form::Zero) => Ok(Number {
                neg,
                form: Form::Inf,
                prec,
            }),
            (Form::Zero, _) | (_, Form::Inf) => Ok(Number {
                neg,
                form: Form::Zero,
                prec,
            }),
            (Form::Finite { mant: ma, exp: ea }, Form::Finite { mant: mb, exp: eb }) => {
                let (m, e, sticky) = quo_bits(ma, mb, prec);
                Ok(Number::finite(neg, m, e + ea - eb, prec, sticky))
            }
        }
    }

    /// cty's `Modulo`: `a - trunc(a/b)*b`; infinities as cty handles them; `x % 0` is `x`.
    pub fn rem(&self, o: &Number) -> Result<Number, NumberError> {
        if self.is_inf() {
            return self.mul(o);
        }
        if o.is_inf() {
            return Ok(self.clone());
        }
        if o.is_zero() {
            return Ok(self.clone());
        }
        let q = self.div(o)?.trunc();
        let p = q.mul(o)?;
        self.sub(&p)
    }

    fn with_prec(&self, prec: u32) -> Number {
        Number {
            prec,
            ..self.clone()
        }
    }

    fn finite_from(x: &Number, prec: u32) -> Number {
        match &x.form {
            Form::Finite { mant, exp } => Number::finite(x.neg, mant.clone(), *exp, prec, false),
            _ => x.with_prec(prec),
        }
    }

    /// Numeric comparison (`-0 == 0`).
    pub fn cmp_num(&self, o: &Number) -> Ordering {
        let sa = self.signum();
        let sb = o.signum();
        if sa != sb {
            return sa.cmp(&sb);
        }
        let mag = match (&self.form, &o.form) {
            (Form::Zero, Form::Zero) => Ordering::Equal,
            (Form::Inf, Form::Inf) => Ordering::Equal,
            (Form::Inf, _) => Ordering::Greater,
            (_, Form::Inf) => Ordering::Less,
            (Form::Finite { mant: ma, exp: ea }, Form::Finite { mant: mb, exp: eb }) => {
                let ta = bitlen(ma) + ea;
                let tb = bitlen(mb) + eb;
                if ta != tb {
                    ta.cmp(&tb)
                } else if ea >= eb {
                    (ma << ((ea - eb) as u64)).cmp(mb)
                } else {
                    ma.cmp(&(mb << ((eb - ea) as u64)))
                }
            }
            _ => Ordering::Equal,
        };
        if sa < 0 {
            mag.reverse()
        } else {
            mag
        }
    }

    pub fn eq_num(&self, o: &Number) -> bool {
        self.cmp_num(o) == Ordering::Equal
    }

    fn signum(&self) -> i8 {
        match self.form {
            Form::Zero => 0,
            _ if self.neg => -1,
            _ => 1,
        }
    }

    /// The exact decimal expansion: (digits without trailing zeros, decimal exponent) meaning
    /// `0.digits * 10^exp`, like Go's `big.decimal`.
    fn decimal(&self) -> Decimal {
        match &self.form {
            Form::Finite { mant, exp } => Decimal::from_binary(mant, *exp),
            _ => Decimal {
                mant: Vec::new(),
                exp: 0,
            },
        }
    }

    /// Go's `Text('f', -1)`: the shortest decimal that reads back as the same number at this
    /// number's precision, without an exponent. This is how Terraform prints numbers.
    pub fn text_f(&self) -> String {
        let mut out = String::new();
        if self.is_inf() {
            return if self.neg {
                "-Inf".into()
            } else {
                "+Inf".into()
            };
        }
        if self.neg {
            out.push('-');
        }
        let mut d = self.decimal();
        if let Form::Finite { mant, exp } = &self.form {
            round_shortest(&mut d, mant, *exp, self.prec);
        }
        let prec = (d.mant.len() as i64 - d.exp).max(0);
        fmt_f(&mut out, prec, &d);
        out
    }

    /// Go's `Text('g', prec)` (used for cty's set hashing, where `prec` is 10).
    pub fn text_g(&self, prec: usize) -> String {
        let mut out = String::new();
        if self.is_inf() {
            return if self.neg {
                "-Inf".into()
            } else {
                "+Inf".into()
            };
        }
        if self.neg {
            out.push('-');
        }
        let mut d = self.decimal();
        let prec = prec.max(1) as i64;
        d.round(prec);
        let mut eprec = prec;
        if eprec > d.mant.len() as i64 && d.mant.len() as i64 >= d.exp {
            eprec = d.mant.len() as i64;
        }
        let exp = d.exp - 1;
        if exp < -4 || exp >= eprec {
            let p = prec.min(d.mant.len() as i64);
            fmt_e(&mut out, p - 1, &d);
            return out;
        }
        let p = if prec > d.exp {
            d.mant.len() as i64
        } else {
            prec
        };
        fmt_f(&mut out, (p - d.exp).max(0), &d);
        out
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text_f())
    }
}

impl PartialEq for Number {
    fn eq(&self, o: &Number) -> bool {
        self.eq_num(o)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Number {
        Number::from_i64(v)
    }
}

/// `a / b` as a mantissa with at least `prec + 2` bits, its binary exponent, and whether the
/// division was inexact.
fn quo_bits(a: &BigUint, b: &BigUint, prec: u32) -> (BigUint, i64, bool) {
    let want = prec as i64 + 2 + bitlen(b) - bitlen(a);
    let k = want.max(0);
    let num = a << (k as u64);
    let (q, r) = num.div_rem(b);
    (q, -k, !r.is_zero())
}

fn add_finite(
    na: bool,
    ma: &BigUint,
    ea: i64,
    nb: bool,
    mb: &BigUint,
    eb: i64,
    prec: u32,
) -> Number {
    // Keep huge exponent gaps cheap: a far smaller operand only matters as a sticky bit.
    let top_a = bitlen(ma) + ea;
    let top_b = bitlen(mb) + eb;
    let limit = prec as i64 + 8;
    let (ma, ea, mb, eb) = if top_a - top_b > limit + bitlen(ma) {
        (ma.clone(), ea, BigUint::one(), ea - limit)
    } else if top_b - top_a > limit + bitlen(mb) {
        (BigUint::one(), eb - limit, mb.clone(), eb)
    } else {
        (ma.clone(), ea, mb.clone(), eb)
    };
    let e = ea.min(eb);
    let a = ma << ((ea - e) as u64);
    let b = mb << ((eb - e) as u64);
    if na == nb {
        Number::finite(na, a + b, e, prec, false)
    } else {
        match a.cmp(&b) {
            Ordering::Equal => Number {
                neg: false,
                form: Form::Zero,
                prec,
            },
            Ordering::Greater => Number::finite(na, a - b, e, prec, false),
            Ordering::Less => Number::finite(nb, b - a, e, prec, false),
        }
    }
}

/// Go's `big.decimal`: `0.mant * 10^exp`, `mant` ASCII digits without trailing zeros.
#[derive(Debug, Clone)]
struct Decimal {
    mant: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// The exact decimal value of `m * 2^shift`.
    fn from_binary(m: &BigUint, shift: i64) -> Decimal {
        if m.is_zero() {
            return Decimal {
                mant: Vec::new(),
                exp: 0,
            };
        }
        let (digits, k) = if shift >= 0 {
            ((m << (shift as u64)).to_str_radix(10), 0i64)
        } else {
            let n = (-shift) as u32;
            ((m * BigUint::from(5u32).pow(n)).to_str_radix(10), n as i64)
        };
        let mut mant = digits.into_bytes();
        let exp = mant.len() as i64 - k;
        while mant.last() == Some(&b'0') {
            mant.pop();
        }
        Decimal { mant, exp }
    }

    fn at(&self, i: i64) -> u8 {
        if i >= 0 && (i as usize) < self.mant.len() {
            self.mant[i as usize]
        } else {
            b'0'
        }
    }

    fn trim(&mut self) {
        while self.mant.last() == Some(&b'0') {
            self.mant.pop();
        }
        if self.mant.is_empty() {
            self.exp = 0;
        }
    }

    fn round(&mut self, n: i64) {
        if n < 0 || n >= self.mant.len() as i64 {
            return;
        }
        if self.should_round_up(n as usize) {
            self.round_up(n);
        } else {
            self.round_down(n);
        }
    }

    fn should_round_up(&self, n: usize) -> bool {
        if self.mant[n] == b'5' && n + 1 == self.mant.len() {
            return n > 0 && (self.mant[n - 1] - b'0') & 1 != 0;
        }
        self.mant[n] >= b'5'
    }

    fn round_up(&mut self, n: i64) {
        if n < 0 || n >= self.mant.len() as i64 {
            return;
        }
        let mut n = n as usize;
        while n > 0 && self.mant[n - 1] >= b'9' {
            n -= 1;
        }
        if n == 0 {
            self.mant.truncate(1);
            self.mant[0] = b'1';
            self.exp += 1;
            return;
        }
        self.mant[n - 1] += 1;
        self.mant.truncate(n);
    }

    fn round_down(&mut self, n: i64) {
        if n < 0 || n >= self.mant.len() as i64 {
            return;
        }
        self.mant.truncate(n as usize);
        self.trim();
    }
}

/// Go's `roundShortest` for `big.Float`.
fn round_shortest(d: &mut Decimal, mant: &BigUint, exp: i64, prec: u32) {
    if d.mant.is_empty() {
        return;
    }
    // mant with prec+1 bits so its lsb is 1/2 ulp.
    let mut m = mant.clone();
    let mut e = exp;
    let s = bitlen(&m) - (prec as i64 + 1);
    if s < 0 {
        m <<= (-s) as u64;
    } else if s > 0 {
        m >>= s as u64;
    }
    e += s;
    let lower = Decimal::from_binary(&(&m - 1u32), e);
    let upper = Decimal::from_binary(&(&m + 1u32), e);
    let inclusive = !m.bit(1);
    for i in 0..d.mant.len() {
        let mi = d.mant[i];
        let l = lower.at(i as i64);
        let u = upper.at(i as i64);
        let okdown = l != mi || inclusive && i + 1 == lower.mant.len();
        let okup = mi != u && (inclusive || mi + 1 < u || i + 1 < upper.mant.len());
        let n = i as i64 + 1;
        if okdown && okup {
            d.round(n);
            return;
        } else if okdown {
            d.round_down(n);
            return;
        } else if okup {
            d.round_up(n);
            return;
        }
    }
}

fn fmt_f(out: &mut String, prec: i64, d: &Decimal) {
    if d.exp > 0 {
        let m = (d.mant.len() as i64).min(d.exp) as usize;
        out.extend(d.mant[..m].iter().map(|&c| c as char));
        for _ in m as i64..d.exp {
            out.push('0');
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            out.push(d.at(d.exp + i) as char);
        }
    }
}

fn fmt_e(out: &mut String, prec: i64, d: &Decimal) {
    out.push(d.mant.first().map(|&c| c as char).unwrap_or('0'));
    if prec > 0 {
        out.push('.');
        let mut i = 1usize;
        let m = d.mant.len().min(prec as usize + 1);
        if i < m {
            out.extend(d.mant[i..m].iter().map(|&c| c as char));
            i = m;
        }
        while (i as i64) <= prec {
            out.push('0');
            i += 1;
        }
    }
    out.push('e');
    let exp = if d.mant.is_empty() { 0 } else { d.exp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Number {
        Number::parse(s).expect("parses")
    }

    #[test]
    fn prints_like_terraform() {
        assert_eq!(p("0.1").add(&p("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(p("9007199254740993").to_string(), "9007199254740993");
        assert_eq!(
            p("1").div(&p("3")).unwrap().to_string(),
            "0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335"
        );
        assert_eq!(
            p("2").div(&p("3")).unwrap().to_string(),
            "0.6666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666667"
        );
        assert_eq!(
            p("3").div(&p("7")).unwrap().to_string(),
            "0.42857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142857142856"
        );
        assert_eq!(
            Number::from_i64(2)
                .div(&Number::from_i64(3))
                .unwrap()
                .to_string(),
            "0.6666666666666666667"
        );
        assert_eq!(p("10").div(&p("4")).unwrap().to_string(), "2.5");
        assert_eq!(p("2").div(&p("0")).unwrap().to_string(), "+Inf");
        assert!(p("0").div(&p("0")).is_err());
        assert_eq!(p("-0").to_string(), "-0");
        assert_eq!(p("1.5e3").to_string(), "1500");
        assert_eq!(p("0.000001").to_string(), "0.000001");
        assert_eq!(
            p("123456789.123456789")
                .mul(&p("1000"))
                .unwrap()
                .to_string(),
            "123456789123.456789"
        );
        assert_eq!(
            p("1")
                .div(&p("3"))
                .unwrap()
                .mul(&p("3"))
                .unwrap()
                .to_string(),
            "1"
        );
        assert!(p("0.1").add(&p("0.2")).unwrap().eq_num(&p("0.3")));
        assert_eq!(Number::from_f64(0.1).to_string(), "0.1");
    }

    #[test]
    fn modulo_like_cty() {
        assert_eq!(p("-7").rem(&p("3")).unwrap().to_string(), "-1");
        assert_eq!(p("7.5").rem(&p("-2")).unwrap().to_string(), "1.5");
        assert_eq!(p("-7.5").rem(&p("2")).unwrap().to_string(), "-1.5");
        assert_eq!(p("5").rem(&p("0")).unwrap().to_string(), "5");
        assert_eq!(p("1e30").rem(&p("7")).unwrap().to_string(), "1");
    }

    #[test]
    fn g_format() {
        assert_eq!(p("1").text_g(10), "1");
        assert_eq!(p("1234567890123").text_g(10), "1.23456789e+12");
        assert_eq!(p("0.5").text_g(10), "0.5");
    }

    #[test]
    fn magnitudes_from_2_pow_max_exp_overflow_and_below_its_inverse_underflow() {
        let two = Number::from_i64(2);
        let top = Number::finite(false, BigUint::one(), MAX_EXP - 1, INT_PREC, false);
        assert!(!top.is_inf());
        assert!(top.mul(&two).unwrap().is_inf());
        let low = Number::finite(true, BigUint::one(), -MAX_EXP, INT_PREC, false);
        assert!(!low.is_zero());
        let under = low.div(&two).unwrap();
        assert!(under.is_zero() && under.is_neg());
        // Squaring a big literal stays exact for a while, then overflows instead of growing
        // numbers too long to print.
        let mut x = p("1e100000");
        let sq = x.mul(&x).unwrap();
        assert_eq!(sq.to_string().len(), 200_000);
        for _ in 0..20 {
            x = x.mul(&x).unwrap();
        }
        assert!(x.is_inf() && !x.is_neg());
        assert_eq!(x.to_string(), "+Inf");
        let mut t = p("1e-100000");
        for _ in 0..20 {
            t = t.mul(&t).unwrap();
        }
        assert!(t.is_zero());
        assert_eq!(t.to_string(), "0");
    }
}
