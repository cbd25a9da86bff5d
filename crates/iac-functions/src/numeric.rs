//! Numeric functions (min, max, abs, ceil, floor, pow, signum, log,
//! parseint). Numbers are Terraform's ([`iac_core::Number`]): `abs`,
//! `ceil`, `floor`, `min`, `max`, `signum` and `parseint` are exact at any
//! size; `pow` and `log` compute with float64, as Terraform's (Go's `math`)
//! do, and their results keep a float64's 53 bits.

use iac_core::{Number, Value};

use crate::args::{arg_err, fail, integer, number, string, FnResult};
use crate::FunctionContext;

pub(crate) fn abs(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::Number(number(&args, 0)?.abs()))
}

pub(crate) fn ceil(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::Number(number(&args, 0)?.ceil()))
}

pub(crate) fn floor(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::Number(number(&args, 0)?.floor()))
}

/// signum(n) of a whole number (Terraform converts to a 64-bit integer first).
pub(crate) fn signum(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let n = number(&args, 0)?;
    if crate::args::to_integer(n.clone()).is_err() {
        return fail("value must be a whole number, between -9223372036854775808 and 9223372036854775807");
    }
    Ok(Value::Number(n.signum()))
}

pub(crate) fn pow(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::number(number(&args, 0)?.to_f64().powf(number(&args, 1)?.to_f64())))
}

/// log(n, base). Infinite results stand (log(0, 10) is -infinity, as in
/// Terraform); a result that is not a number (a negative argument or base)
/// is an error, as Terraform fails there too.
pub(crate) fn log(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let r = number(&args, 0)?.to_f64().ln() / number(&args, 1)?.to_f64().ln();
    if r.is_nan() {
        return fail("the result is not a number: the logarithm is defined only for positive numbers and bases");
    }
    Ok(Value::number(r))
}

/// The first of the extreme values (`max(-0, 0)` is -0, as in Terraform).
fn extreme(args: &[Value], better: fn(&Number, &Number) -> bool) -> FnResult {
    // cty's words: the call fails, no argument is to blame.
    if args.is_empty() {
        return fail("must pass at least one number");
    }
    let mut best = number(args, 0)?;
    for i in 1..args.len() {
        let n = number(args, i)?;
        if better(&n, &best) {
            best = n;
        }
    }
    Ok(Value::Number(best))
}

pub(crate) fn min(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    extreme(&args, |a, b| a < b)
}

pub(crate) fn max(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    extreme(&args, |a, b| a > b)
}

/// parseint(string, base) for bases 2 to 62 (digits, then a-z, then A-Z
/// above base 36; case-insensitive up to base 36), exact at any size.
pub(crate) fn parseint(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let s = string(&args, 0)?;
    let base = integer(&args, 1)?;
    if !(2..=62).contains(&base) {
        return arg_err(1, "base must be a whole number between 2 and 62 inclusive");
    }
    let base = base as u32;
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    let invalid = || fail(format!("cannot parse {s:?} as a base {base} integer"));
    if digits.is_empty() {
        return invalid();
    }
    // Digits as base-36 text for the exact parser; above base 36 the
    // value is accumulated here.
    let mut values = Vec::with_capacity(digits.len());
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return invalid(),
        };
        if d >= base {
            return invalid();
        }
        values.push(d);
    }
    let mut acc = Number::from(0i64);
    let b = Number::from(base);
    for d in values {
        acc = acc.mul(&b).add(&Number::from(d));
    }
    // parseint("-0", 10) is 0: an integer result has no negative zero.
    Ok(Value::Number(if negative && !acc.is_zero() { acc.neg() } else { acc }))
}
