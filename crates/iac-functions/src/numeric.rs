//! Numeric functions (min, max, abs, ceil, floor, pow, signum, log,
//! parseint). Numbers are f64.

use iac_core::Value;

use crate::args::{arg_err, fail, integer, number, string, FnResult};
use crate::FunctionContext;

fn unary(args: &[Value], f: fn(f64) -> f64) -> FnResult {
    Ok(Value::Number(f(number(args, 0)?)))
}

pub(crate) fn abs(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    unary(&args, f64::abs)
}

pub(crate) fn ceil(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    unary(&args, f64::ceil)
}

pub(crate) fn floor(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    unary(&args, f64::floor)
}

/// signum(n) of a whole number (Terraform converts to a 64-bit integer first).
pub(crate) fn signum(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let n = number(&args, 0)?;
    if crate::args::to_integer(n).is_err() {
        return fail("value must be a whole number, between -9223372036854775808 and 9223372036854775807");
    }
    Ok(Value::Number(if n > 0.0 {
        1.0
    } else if n < 0.0 {
        -1.0
    } else {
        0.0
    }))
}

pub(crate) fn pow(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::Number(number(&args, 0)?.powf(number(&args, 1)?)))
}

/// log(n, base). Infinite results stand (log(0, 10) is -infinity, as in
/// Terraform); a result that is not a number (a negative argument or base)
/// is an error, as Terraform fails there too.
pub(crate) fn log(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let r = number(&args, 0)?.ln() / number(&args, 1)?.ln();
    if r.is_nan() {
        return fail("the result is not a number: the logarithm is defined only for positive numbers and bases");
    }
    Ok(Value::Number(r))
}

fn extreme(args: &[Value], better: fn(f64, f64) -> bool) -> FnResult {
    let mut best = number(args, 0)?;
    for i in 1..args.len() {
        let n = number(args, i)?;
        if better(n, best) {
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
/// above base 36; case-insensitive up to base 36).
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
    let mut acc: u128 = 0;
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
        acc = match acc.checked_mul(base as u128).and_then(|a| a.checked_add(d as u128)) {
            Some(a) => a,
            None => return fail(format!("{s:?} is too large to be represented as a number")),
        };
    }
    let n = acc as f64;
    Ok(Value::Number(if negative { -n } else { n }))
}
