//! Numeric functions: abs, ceil, floor, log, max, min, parseint, pow, signum (go-cty stdlib).

use super::{num_arg, str_arg, to_int, FuncError, Function, Impl, Param, Registry};
use crate::lang::number::Number;
use crate::lang::types::Type;
use crate::lang::value::Value;
use num_bigint::BigUint;
use std::cmp::Ordering;

/// gocty's conversion of a number to a Go `float64`.
fn to_float(n: &Number) -> f64 {
    n.to_f64()
}

/// cty's `NumberFloatVal`, which panics on NaN; Terraform reports that panic as an error.
fn float_val(f: f64) -> Result<Value, FuncError> {
    if f.is_nan() {
        return Err(FuncError::new("can't use NaN as a number"));
    }
    if f.is_infinite() {
        return Ok(Value::number(Number::infinity(f < 0.0)));
    }
    Ok(Value::number(Number::from_f64(f)))
}

fn abs_impl(args: &[Value]) -> Result<Value, FuncError> {
    let marks = args.first().map(Value::marks).unwrap_or_default();
    Ok(Value::number(num_arg(args, 0)?.abs()).mark(marks))
}

fn ceil_impl(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::number(num_arg(args, 0)?.ceil()))
}

fn floor_impl(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::number(num_arg(args, 0)?.floor()))
}

fn log_impl(args: &[Value]) -> Result<Value, FuncError> {
    let x = to_float(num_arg(args, 0)?);
    let base = to_float(num_arg(args, 1)?);
    float_val(x.ln() / base.ln())
}

fn pow_impl(args: &[Value]) -> Result<Value, FuncError> {
    let x = to_float(num_arg(args, 0)?);
    let p = to_float(num_arg(args, 1)?);
    float_val(go_pow(x, p))
}

/// Go's `math.Pow`, which cty uses. It is not correctly rounded: the integer part of the
/// exponent is done by repeated squaring of the mantissa (`pow(10, 300)` is
/// `1.0000000000000006e300` there, not the `1e300` of C's `pow`), so it is ported as is.
fn go_pow(x: f64, y: f64) -> f64 {
    let odd_int = |y: f64| y.fract() == 0.0 && y.abs() < 9007199254740992.0 && (y % 2.0) != 0.0;
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if y == 1.0 {
        return x;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 {
        return if y < 0.0 {
            if x.is_sign_negative() && odd_int(y) {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        } else if x.is_sign_negative() && odd_int(y) {
            x
        } else {
            0.0
        };
    }
    if y.is_infinite() {
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if x.is_infinite() {
        if x < 0.0 {
            return go_pow(1.0 / x, -y);
        }
        return if y < 0.0 { 0.0 } else { f64::INFINITY };
    }
    if y == 0.5 {
        return x.sqrt();
    }
    if y == -0.5 {
        return 1.0 / x.sqrt();
    }
    let (mut yi, mut yf) = (y.abs().trunc(), y.abs().fract());
    if yf != 0.0 && x < 0.0 {
        return f64::NAN;
    }
    if yi >= 9223372036854775808.0 {
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let mut a1 = 1.0;
    let mut ae: i64 = 0;
    if yf != 0.0 {
        if yf > 0.5 {
            yf -= 1.0;
            yi += 1.0;
        }
        a1 = (yf * x.ln()).exp();
    }
    let (mut x1, mut xe) = frexp(x);
    // `yi` is below 2^63 here, so the conversion is exact.
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    ldexp(a1, ae)
}

/// Go's `math.Frexp`: `x = frac × 2^exp` with `|frac|` in [0.5, 1).
fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, mut e) = if x.abs() < f64::MIN_POSITIVE {
        (x * (1u64 << 52) as f64, -52)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1022;
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, e)
}

/// Go's `math.Ldexp`: `frac × 2^exp`, rounding once into the subnormal range.
fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || !frac.is_finite() {
        return frac;
    }
    let (frac, e) = frexp(frac);
    let exp = exp.saturating_add(e);
    // frac is in [0.5, 1): its biased exponent is 1022.
    let exp = exp - 1;
    if exp < -1075 {
        return 0.0_f64.copysign(frac);
    }
    if exp > 1023 {
        return f64::INFINITY.copysign(frac);
    }
    let (exp, m) = if exp < -1022 {
        (exp + 53, 1.0 / (1u64 << 53) as f64)
    } else {
        (exp, 1.0)
    };
    let bits = (frac * 2.0).to_bits() & !(0x7ff << 52);
    m * f64::from_bits(bits | (((exp + 1023) as u64) << 52))
}

fn signum_impl(args: &[Value]) -> Result<Value, FuncError> {
    let n = to_int(num_arg(args, 0)?).map_err(FuncError::new)?;
    Ok(Value::int(n.signum()))
}

fn minmax(args: &[Value], want: Ordering) -> Result<Value, FuncError> {
    if args.is_empty() {
        return Err(FuncError::new("must pass at least one number"));
    }
    let mut best = Number::infinity(want == Ordering::Greater);
    let mut best_v = Value::number(best.clone());
    for (i, a) in args.iter().enumerate() {
        let n = num_arg(args, i)?;
        if n.cmp_num(&best) == want {
            best = n.clone();
            best_v = a.clone();
        }
    }
    Ok(best_v)
}

fn min_impl(args: &[Value]) -> Result<Value, FuncError> {
    minmax(args, Ordering::Less)
}

fn max_impl(args: &[Value]) -> Result<Value, FuncError> {
    minmax(args, Ordering::Greater)
}

fn parseint_ret(args: &[Value]) -> Result<Type, FuncError> {
    let t = args.first().map(Value::ty).unwrap_or(Type::Dynamic);
    if t != Type::String {
        return Err(FuncError::arg(
            0,
            format!("first argument must be a string, not {}", t.friendly_name()),
        ));
    }
    Ok(Type::Number)
}

fn parseint_impl(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0)?;
    let base = to_int(num_arg(args, 1)?).map_err(|m| FuncError::arg(1, m))?;
    if !(2..=62).contains(&base) {
        return Err(FuncError::arg(
            1,
            "base must be a whole number between 2 and 62 inclusive",
        ));
    }
    match parse_big_int(s, base as u32) {
        Some((neg, m)) => {
            if m == BigUint::default() {
                return Ok(Value::int(0));
            }
            Ok(Value::number(Number::from_biguint(neg, m)))
        }
        None => Err(FuncError::arg(
            0,
            format!(
                "cannot parse {} as a base {base} integer",
                crate::lang::value::go_quote(s)
            ),
        )),
    }
}

/// Go's `big.Int.SetString(s, base)` for a base in 2..=62.
fn parse_big_int(s: &str, base: u32) -> Option<(bool, BigUint)> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut acc = BigUint::default();
    for c in digits.bytes() {
        let d = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 10,
            b'A'..=b'Z' if base <= 36 => (c - b'A') as u32 + 10,
            b'A'..=b'Z' => (c - b'A') as u32 + 36,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        acc = acc * base + d;
    }
    Some((neg, acc))
}

/// Registers this group's functions.
pub fn register(r: &mut Registry) {
    let n = |name| Param::new(name, Type::Number);
    let one = |imp: Impl| Function::simple(vec![n("num")], Type::Number, imp);
    let two = |second, imp: Impl| Function::simple(vec![n("num"), n(second)], Type::Number, imp);
    r.register(
        "abs",
        Function::simple(
            vec![n("num").allow_dynamic_type().allow_marked()],
            Type::Number,
            abs_impl,
        ),
    );
    r.register("ceil", one(ceil_impl));
    r.register("floor", one(floor_impl));
    r.register("log", two("base", log_impl));
    r.register("pow", two("power", pow_impl));
    r.register("signum", one(signum_impl));
    let numbers = || n("numbers").allow_dynamic_type();
    r.register(
        "min",
        Function::simple(vec![], Type::Number, min_impl).variadic(numbers()),
    );
    r.register(
        "max",
        Function::simple(vec![], Type::Number, max_impl).variadic(numbers()),
    );
    r.register(
        "parseint",
        Function::computed(
            vec![Param::new("number", Type::Dynamic), n("base")],
            parseint_ret,
            parseint_impl,
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn r(name: &str, args: Vec<Value>) -> String {
        run(name, args)
    }

    #[test]
    fn basics() {
        assert_eq!(r("abs", vec![n("-12.5")]), "12.5");
        assert_eq!(r("abs", vec![n("-1").mark_sensitive()]), "(sensitive)");
        assert_eq!(r("ceil", vec![n("1.2")]), "2");
        assert_eq!(r("ceil", vec![n("-1.2")]), "-1");
        assert_eq!(r("floor", vec![n("-1.2")]), "-2");
        assert_eq!(r("floor", vec![s("4.9")]), "4");
        assert_eq!(r("log", vec![n("16"), n("2")]), "4");
        assert_eq!(r("log", vec![n("0"), n("10")]), "-Inf");
        assert_eq!(r("pow", vec![n("3"), n("2")]), "9");
        assert_eq!(r("pow", vec![n("2"), n("-1")]), "0.5");
        assert_eq!(r("pow", vec![n("2"), n("0.5")]), "1.4142135623730951");
        // Go's math.Pow, recorded from terraform 1.0.3.
        assert_eq!(go_pow(10.0, 300.0), 1.0000000000000006e300);
        assert_eq!(go_pow(2.0, 64.0), 18446744073709551616.0);
        assert_eq!(go_pow(2.0, -1074.0), 5e-324);
        assert_eq!(go_pow(2.0, -1080.0), 0.0);
        assert_eq!(go_pow(10.0, 400.0), f64::INFINITY);
        assert_eq!(go_pow(-2.0, 3.0), -8.0);
        assert_eq!(go_pow(-8.0, 1.0 / 3.0).to_string(), "NaN");
        assert_eq!(go_pow(4.0, 1.5), 8.0);
        assert_eq!(go_pow(3.0, 0.7), 2.157669279974593);
        assert_eq!(go_pow(7.0, -3.3), 0.001626209403216461);
        assert_eq!(go_pow(1.1, 1000.0), 2.469932918005993e41);
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(ldexp(0.75, -1073), 1e-323);
        assert_eq!(r("signum", vec![n("-13")]), "-1");
        assert_eq!(r("signum", vec![n("0")]), "0");
        assert_eq!(r("max", vec![n("12"), n("54"), n("3")]), "54");
        assert_eq!(r("min", vec![n("12"), n("54"), n("3")]), "3");
        assert_eq!(r("min", vec![]), "ERR: must pass at least one number");
        assert_eq!(
            r("max", vec![n("1"), Value::unknown(Type::Number)]),
            "(known after apply)"
        );
        assert_eq!(
            r("ceil", vec![Value::null(Type::Number)]),
            "ERR[0]: argument must not be null"
        );
    }

    #[test]
    fn parseint() {
        assert_eq!(r("parseint", vec![s("100"), n("10")]), "100");
        assert_eq!(r("parseint", vec![s("FF"), n("16")]), "255");
        assert_eq!(r("parseint", vec![s("-10"), n("2")]), "-2");
        assert_eq!(r("parseint", vec![s("zA"), n("62")]), "2206");
        assert_eq!(
            r("parseint", vec![s("12"), n("2")]),
            "ERR[0]: cannot parse \"12\" as a base 2 integer"
        );
        assert_eq!(
            r("parseint", vec![s("1"), n("63")]),
            "ERR[1]: base must be a whole number between 2 and 62 inclusive"
        );
        assert_eq!(
            r("parseint", vec![n("1"), n("10")]),
            "ERR[0]: first argument must be a string, not number"
        );
    }
}
