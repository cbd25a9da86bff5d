//! Argument access with Terraform's automatic conversions (a number where a
//! string is wanted becomes its decimal form, "12" where a number is wanted
//! becomes 12, ...), and the crate-internal error type.
//!
//! Helpers here see values whose top-level mark was already removed by
//! [`crate::marks`]; nested marks are looked through with `unmarked()`.

use iac_core::Number;
use iac_core::Value;

/// A failure inside a function, before the registry adds the function name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fail {
    /// The argument at this 0-based index is wrong.
    Arg(usize, String),
    /// The argument at this 0-based index does not convert to its
    /// parameter's type: the registry words it as cty's conversion does
    /// from the declared type ("list of string required"); the message is
    /// for a parameter declared dynamic.
    Mismatch(usize, String),
    /// The call as a whole failed.
    Msg(String),
}

pub(crate) type FnResult = Result<Value, Fail>;

pub(crate) fn arg_err<T>(index: usize, message: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Arg(index, message.into()))
}

pub(crate) fn mismatch<T>(index: usize, message: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Mismatch(index, message.into()))
}

pub(crate) fn fail<T>(message: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Msg(message.into()))
}

/// A friendly type name for messages ("list", "object", "string" ...).
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v.unmarked() {
        Value::List(items) => match items.kind() {
            iac_core::SeqKind::Tuple => "tuple",
            iac_core::SeqKind::List => "list",
            iac_core::SeqKind::Set => "set",
        },
        other => other.type_name(),
    }
}

/// The argument at `i` (always present: arity was checked by the registry).
pub(crate) fn get(args: &[Value], i: usize) -> &Value {
    static NULL: Value = Value::Null;
    args.get(i).unwrap_or(&NULL)
}

/// A value converted to a string, as Terraform converts primitives.
pub(crate) fn to_string_value(v: &Value) -> Option<String> {
    match v.unmarked() {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn string(args: &[Value], i: usize) -> Result<String, Fail> {
    let v = get(args, i);
    match v.unmarked() {
        Value::Null => arg_err(i, "argument must not be null"),
        other => match to_string_value(other) {
            Some(s) => Ok(s),
            None => mismatch(i, format!("string required, but got {}", type_name(other))),
        },
    }
}

/// Parses a number the way Terraform converts a string to a number (at
/// 512 bits: `"9007199254740993"` stays exact).
pub(crate) fn parse_number(s: &str) -> Option<Number> {
    Number::parse(s).ok().filter(Number::is_finite)
}

pub(crate) fn number(args: &[Value], i: usize) -> Result<Number, Fail> {
    let v = get(args, i);
    match v.unmarked() {
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => match parse_number(s) {
            Some(n) => Ok(n),
            // cty's words for a string that is no number.
            None => arg_err(i, "a number is required"),
        },
        Value::Null => arg_err(i, "argument must not be null"),
        other => mismatch(i, format!("number required, but got {}", type_name(other))),
    }
}

/// A whole number (Terraform rejects fractions where an integer is needed).
pub(crate) fn integer(args: &[Value], i: usize) -> Result<i64, Fail> {
    let n = number(args, i)?;
    to_integer(n).map_err(|m| Fail::Arg(i, m))
}

pub(crate) fn to_integer(n: Number) -> Result<i64, String> {
    if !n.is_integer() {
        return Err(format!("value must be a whole number, got {n}"));
    }
    n.to_i64().ok_or_else(|| format!("value {n} is too large"))
}

/// A list, set or tuple argument.
pub(crate) fn list(args: &[Value], i: usize) -> Result<&[Value], Fail> {
    let v = get(args, i);
    match v.unmarked() {
        Value::List(items) => Ok(items),
        Value::Null => arg_err(i, "argument must not be null"),
        other => mismatch(i, format!("list, set, or tuple required, but got {}", type_name(other))),
    }
}

/// A map or object argument.
pub(crate) fn map(args: &[Value], i: usize) -> Result<&iac_core::ValueMap, Fail> {
    let v = get(args, i);
    match v.unmarked() {
        Value::Map(m) => Ok(m),
        Value::Null => arg_err(i, "argument must not be null"),
        other => mismatch(i, format!("map or object required, but got {}", type_name(other))),
    }
}

/// Equality of values with their marks ignored, and no conversion (`1` is
/// not `"1"`, a list is not a tuple), as cty's `Equals` in `contains` and
/// `index`.
pub(crate) fn strictly_equal(a: &Value, b: &Value) -> bool {
    a.clone().unmark_deep().0.typed_eq(&b.clone().unmark_deep().0)
}

/// Equality as Terraform's `matchkeys` sees it: marks ignored, and a
/// primitive compared with a string by its string form (the list's element
/// type wins the conversion).
pub(crate) fn loosely_equal(a: &Value, b: &Value) -> bool {
    let (a, _) = a.clone().unmark_deep_collapse();
    let (b, _) = b.clone().unmark_deep_collapse();
    if a == b {
        return true;
    }
    match (&a, &b) {
        (Value::String(_), Value::Number(_) | Value::Bool(_)) | (Value::Number(_) | Value::Bool(_), Value::String(_)) => {
            to_string_value(&a) == to_string_value(&b)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_like_terraform() {
        assert_eq!(parse_number("12"), Some(Number::from(12i64)));
        assert_eq!(parse_number("-1.5e3"), Some(Number::from(-1500i64)));
        assert_eq!(parse_number("9007199254740993").map(|n| n.to_string()), Some("9007199254740993".into()));
        assert_eq!(parse_number("1e999").map(|n| n.to_string().len()), Some(1000), "no float64 range limit");
        for bad in ["", " 1", "1 ", "inf", "NaN", "0x10", "abc"] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn integers_must_be_whole_and_fit() {
        assert_eq!(to_integer(Number::from(3.0)), Ok(3));
        assert_eq!(to_integer(Number::from(-3.0)), Ok(-3));
        assert!(to_integer(Number::from(3.5)).is_err());
        assert!(to_integer(Number::from(f64::NAN)).is_err());
        assert!(to_integer(Number::from(1e19)).is_err());
        assert!(to_integer(Number::from(-1e19)).is_err());
        assert!(to_integer(Number::parse("9223372036854775808").unwrap()).is_err());
    }

    #[test]
    fn loose_equality_compares_primitives_by_string_form() {
        assert!(loosely_equal(&Value::from("1"), &Value::from(1i64)));
        assert!(loosely_equal(&Value::from("a").into_sensitive(), &Value::from("a")));
        assert!(!loosely_equal(&Value::from("1"), &Value::from(true)));
        assert!(!loosely_equal(&Value::List(vec![].into()), &Value::map(Vec::<(String, Value)>::new())));
    }
}
