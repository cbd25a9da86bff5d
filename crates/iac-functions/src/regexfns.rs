//! Regular expression functions (regex, regexall) and the shared pattern
//! compiler (also used by replace()). Patterns use RE2 syntax, which the
//! `regex` crate follows closely.

use iac_core::Value;
use regex::{Captures, Regex, RegexBuilder};

use crate::args::{arg_err, fail, string, FnResult};
use crate::FunctionContext;

/// Compiles a user pattern, with a bound on the compiled size.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern).size_limit(16 << 20).build().map_err(|e| format!("invalid regular expression pattern: {e}"))
}

/// The shape of one match: the whole match, a list of unnamed captures, or
/// an object of named captures.
enum Shape {
    Whole,
    List,
    Object,
}

fn shape(re: &Regex) -> Result<Shape, String> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let named = names.iter().any(Option::is_some);
    let unnamed = names.iter().any(Option::is_none);
    match (named, unnamed) {
        (true, true) => Err("invalid regular expression pattern: can't mix both named and unnamed capture groups".into()),
        (true, false) => Ok(Shape::Object),
        (false, true) => Ok(Shape::List),
        (false, false) => Ok(Shape::Whole),
    }
}

/// The capture groups of a pattern in order (a name, or None for an
/// unnamed group): what shapes the results of `regex` and `regexall`, for
/// those who type them without a string to match. Err for an invalid
/// pattern.
pub fn capture_groups(pattern: &str) -> Result<Vec<Option<String>>, String> {
    Ok(compile(pattern)?.capture_names().skip(1).map(|n| n.map(str::to_string)).collect())
}

fn result(re: &Regex, shape: &Shape, caps: &Captures) -> Value {
    let group = |i: usize| caps.get(i).map(|m| Value::String(m.as_str().to_string())).unwrap_or(Value::Null);
    match shape {
        Shape::Whole => group(0),
        Shape::List => Value::List((1..caps.len()).map(group).collect()),
        Shape::Object => {
            Value::Map(re.capture_names().enumerate().filter_map(|(i, name)| name.map(|n| (n.to_string(), group(i)))).collect::<iac_core::ValueMap>())
        }
    }
}

fn prepare(args: &[Value]) -> Result<(Regex, Shape, String), crate::args::Fail> {
    let pattern = string(args, 0)?;
    let s = string(args, 1)?;
    let re = compile(&pattern).or_else(|m| arg_err(0, m))?;
    let shape = shape(&re).or_else(|m| arg_err(0, m))?;
    Ok((re, shape, s))
}

pub(crate) fn regex(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let (re, shape, s) = prepare(&args)?;
    match re.captures(&s) {
        Some(caps) => Ok(result(&re, &shape, &caps)),
        None => fail("pattern did not match any part of the given string"),
    }
}

pub(crate) fn regexall(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let (re, shape, s) = prepare(&args)?;
    Ok(Value::list(re.captures_iter(&s).map(|caps| result(&re, &shape, &caps)).collect()))
}
