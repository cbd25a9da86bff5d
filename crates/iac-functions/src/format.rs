//! format() and formatlist(): printf-style formatting with Terraform's
//! verbs (%v %#v %t %d %b %o %x %X %e %E %f %g %G %s %q %%), flags
//! (+ - # space 0), width, precision and explicit argument indexes (%[2]s).

use iac_core::Number;
use iac_core::Value;

use crate::args::{arg_err, fail, parse_number, string, to_string_value, type_name, Fail, FnResult};
use crate::FunctionContext;

/// Bound on width and precision, so a format string cannot ask for gigabytes.
const MAX_WIDTH: usize = 1_024_000;

pub(crate) fn format(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let fmt = string(&args, 0)?;
    Ok(Value::String(format_one(&fmt, &args[1..])?))
}

/// formatlist(spec, args...): list arguments are iterated in parallel (they
/// must have the same length); other arguments repeat on every line.
pub(crate) fn formatlist(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let fmt = string(&args, 0)?;
    let mut len: Option<(usize, usize)> = None;
    for (i, a) in args.iter().enumerate().skip(1) {
        if let Value::List(items) = a.unmarked() {
            match len {
                None => len = Some((i, items.len())),
                Some((first, n)) if n != items.len() => {
                    return arg_err(
                        i,
                        format!("argument {} has length {}, which is inconsistent with argument {} of length {}", i + 1, items.len(), first + 1, n),
                    )
                }
                Some(_) => {}
            }
        }
    }
    let rows = len.map_or(1, |(_, n)| n);
    let mut out = Vec::with_capacity(rows);
    for r in 0..rows {
        let row: Vec<Value> = args[1..]
            .iter()
            .map(|a| match a.unmarked() {
                Value::List(items) => items.get(r).cloned().unwrap_or_default(),
                _ => a.clone(),
            })
            .collect();
        out.push(Value::String(format_one(&fmt, &row)?));
    }
    Ok(Value::list(out))
}

#[derive(Default, Debug)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Formats with `args`, whose element `i` is call argument `i + 1`.
fn format_one(fmt: &str, args: &[Value]) -> Result<String, Fail> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::with_capacity(fmt.len());
    let mut i = 0;
    let mut next_arg = 0usize;
    let mut used = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.get(i) {
            match f {
                '+' => spec.plus = true,
                '-' => spec.minus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..].iter().position(|c| *c == ']').map(|p| p + i);
            let n = close.and_then(|close| chars[i + 1..close].iter().collect::<String>().parse::<usize>().ok().map(|n| (close, n)));
            match n {
                Some((close, n)) if n >= 1 => {
                    next_arg = n - 1;
                    i = close + 1;
                }
                _ => return fail(format!("invalid argument index in format verb at offset {start}")),
            }
        }
        spec.width = digits(&chars, &mut i)?;
        if chars.get(i) == Some(&'.') {
            i += 1;
            spec.precision = Some(digits(&chars, &mut i)?.unwrap_or(0));
        }
        let Some(&verb) = chars.get(i) else {
            return fail(format!("unterminated format verb at offset {start}"));
        };
        if !"vsqtdboxXeEfFgG".contains(verb) {
            // cty refuses the verb before it looks at any argument.
            return fail(format!("unrecognized format character {verb:?} at offset {i}"));
        }
        i += 1;
        let text: String = chars[start..i].iter().collect();
        let Some(arg) = args.get(next_arg) else {
            return fail(format!("not enough arguments for {text:?} at offset {start}: need index {} but have {} total", next_arg + 1, args.len()));
        };
        let index = next_arg + 1;
        next_arg += 1;
        used = used.max(next_arg);
        let piece = format_verb(verb, &spec, arg).map_err(|m| Fail::Arg(index, format!("unsupported value for {text:?} at offset {start}: {m}")))?;
        out.push_str(&piece);
    }
    if used < args.len() {
        return fail(format!("too many arguments; only {used} used by format string"));
    }
    Ok(out)
}

fn digits(chars: &[char], i: &mut usize) -> Result<Option<usize>, Fail> {
    let begin = *i;
    while chars.get(*i).is_some_and(char::is_ascii_digit) {
        *i += 1;
    }
    if *i == begin {
        return Ok(None);
    }
    let s: String = chars[begin..*i].iter().collect();
    match s.parse::<usize>() {
        Ok(n) if n <= MAX_WIDTH => Ok(Some(n)),
        _ => fail(format!("width or precision {s} is too large (at most {MAX_WIDTH})")),
    }
}

fn json(v: &Value) -> String {
    v.to_json().to_string()
}

fn to_number(v: &Value) -> Result<Number, String> {
    match v.unmarked() {
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => parse_number(s).ok_or_else(|| "a number is required".to_string()),
        Value::Null => Err("null value cannot be formatted".into()),
        other => Err(format!("number required, but got {}", type_name(other))),
    }
}

fn format_verb(verb: char, spec: &Spec, arg: &Value) -> Result<String, String> {
    let arg = arg.unmarked();
    match verb {
        'v' => {
            let body = if spec.sharp {
                json(arg)
            } else {
                match arg {
                    Value::Null => "null".to_string(),
                    Value::List(_) | Value::Map(_) => json(arg),
                    other => to_string_value(other).unwrap_or_default(),
                }
            };
            Ok(pad(truncate(body, spec.precision), "", spec, false))
        }
        's' | 'q' => {
            let s = match arg {
                Value::Null => return Err("null value cannot be formatted".into()),
                other => to_string_value(other).ok_or_else(|| format!("string required, but got {}", type_name(other)))?,
            };
            let s = truncate(s, spec.precision);
            let body = if verb == 'q' { serde_json::Value::String(s).to_string() } else { s };
            Ok(pad(body, "", spec, false))
        }
        't' => match arg {
            Value::Bool(b) => Ok(pad(b.to_string(), "", spec, false)),
            Value::String(s) if s == "true" || s == "false" => Ok(pad(s.clone(), "", spec, false)),
            Value::Null => Err("null value cannot be formatted".into()),
            other => Err(format!("bool required, but got {}", type_name(other))),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let n = to_number(arg)?;
            if !n.is_finite() || !n.is_integer() {
                return Err(format!("an integer is required, but got {n}"));
            }
            // Exact at any size, as Terraform formats a big integer.
            let magnitude = n.abs().trunc_bigint().unwrap_or_default();
            let mut body = match verb {
                'd' => magnitude.to_str_radix(10),
                'b' => magnitude.to_str_radix(2),
                'o' => magnitude.to_str_radix(8),
                'x' => magnitude.to_str_radix(16),
                _ => magnitude.to_str_radix(16).to_uppercase(),
            };
            if let Some(p) = spec.precision {
                if body.len() < p {
                    body = format!("{}{body}", "0".repeat(p - body.len()));
                }
            }
            let prefix = match (spec.sharp, verb) {
                (true, 'b') => "0b",
                (true, 'o') => "0",
                (true, 'x') => "0x",
                (true, 'X') => "0X",
                _ => "",
            };
            let sign = sign(n.is_negative(), spec);
            Ok(pad(body, &format!("{sign}{prefix}"), spec, spec.precision.is_none()))
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let n = to_number(arg)?;
            let sign = sign(n.is_negative(), spec);
            let x = n.abs();
            let body = if n.is_nan() {
                "NaN".to_string()
            } else if !x.is_finite() {
                "Inf".to_string()
            } else {
                match verb {
                    'f' | 'F' => x.to_fixed(spec.precision.unwrap_or(6)),
                    'e' => fmt_e(&x, spec.precision.unwrap_or(6)),
                    'E' => fmt_e(&x, spec.precision.unwrap_or(6)).to_uppercase(),
                    'g' => fmt_g(&x, spec.precision),
                    _ => fmt_g(&x, spec.precision).to_uppercase(),
                }
            };
            Ok(pad(body, sign, spec, x.is_finite()))
        }
        other => Err(format!("unrecognized format verb '{other}'")),
    }
}

fn sign(negative: bool, spec: &Spec) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn truncate(s: String, precision: Option<usize>) -> String {
    match precision {
        Some(p) => s.chars().take(p).collect(),
        None => s,
    }
}

/// Pads to the width: spaces on the left, on the right with '-', or zeros
/// between sign and digits with '0' for numbers.
fn pad(body: String, sign: &str, spec: &Spec, zero_ok: bool) -> String {
    let len = sign.chars().count() + body.chars().count();
    let Some(width) = spec.width.filter(|w| *w > len) else {
        return format!("{sign}{body}");
    };
    let fill = width - len;
    if spec.minus {
        format!("{sign}{body}{}", " ".repeat(fill))
    } else if spec.zero && zero_ok {
        format!("{sign}{}{body}", "0".repeat(fill))
    } else {
        format!("{}{sign}{body}", " ".repeat(fill))
    }
}

/// Decimal digits (no trailing zeros) and the decimal point position of a
/// non-negative finite number, rounded to `significant` digits or shortest
/// (at the number's precision, as Go's big.Float formats).
fn decimal_digits(x: &Number, significant: Option<usize>) -> (Vec<u8>, i32) {
    let (digits, dp) = x.digits(significant.map(|p| p.max(1)));
    (digits.into_bytes(), dp.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
}

fn exponent(out: &mut String, exp: i32) {
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exp.unsigned_abs()));
}

/// Go's %e: d.dddddde±dd.
fn fmt_e(x: &Number, precision: usize) -> String {
    x.to_exponent(precision)
}

/// Go's %g: %e for large or small exponents, %f otherwise, shortest digits.
fn fmt_g(x: &Number, precision: Option<usize>) -> String {
    let (digits, dp) = decimal_digits(x, precision.map(|p| p.max(1)));
    let nd = digits.len() as i32;
    let shortest = precision.is_none();
    let mut prec = precision.map_or(nd, |p| p.max(1) as i32);
    let mut eprec = prec;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    if shortest {
        eprec = 6;
    }
    let exp = dp - 1;
    let digit = |i: i32| if i >= 0 && i < nd { digits[i as usize] as char } else { '0' };
    let mut out = String::new();
    if exp < -4 || exp >= eprec {
        if prec > nd {
            prec = nd;
        }
        out.push(digit(0));
        if prec > 1 {
            out.push('.');
            (1..prec).for_each(|i| out.push(digit(i)));
        }
        exponent(&mut out, if x.is_zero() { 0 } else { exp });
        return out;
    }
    if prec > dp {
        prec = nd;
    }
    let frac = (prec - dp).max(0);
    if dp > 0 {
        (0..dp).for_each(|i| out.push(digit(i)));
    } else {
        out.push('0');
    }
    if frac > 0 {
        out.push('.');
        (0..frac).for_each(|j| out.push(digit(dp + j)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_follows_go() {
        let cases: &[(f64, Option<usize>, &str)] = &[
            (1.0, Some(3), "1"),
            (100.0, Some(2), "1e+02"),
            (123456789.0, None, "1.23456789e+08"),
            (123456.0, None, "123456"),
            (0.0, None, "0"),
            (0.000123, None, "0.000123"),
            (1.0 / 3.0, Some(4), "0.3333"),
            (2.5, Some(1), "2"),
            (1e21, None, "1e+21"),
        ];
        for (x, p, want) in cases {
            assert_eq!(fmt_g(&Number::from_f64(*x), *p), *want, "%g of {x} with precision {p:?}");
        }
    }

    #[test]
    fn e_has_two_digit_exponents() {
        assert_eq!(fmt_e(&Number::from_f64(0.0), 2), "0.00e+00");
        assert_eq!(fmt_e(&Number::from_f64(1e-10), 1), "1.0e-10");
        assert_eq!(fmt_e(&Number::from_f64(6.02e23), 3), "6.020e+23");
        assert_eq!(fmt_e(&Number::parse("0.000123456").unwrap(), 3), "1.235e-04");
    }
}
