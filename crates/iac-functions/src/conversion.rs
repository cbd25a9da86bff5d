//! Type conversion functions (tostring, tonumber, tobool, tolist, toset,
//! tomap), the mark functions (sensitive, nonsensitive, issensitive), and
//! the element type unification lists, sets and maps need.

use std::collections::BTreeSet;

use iac_core::schema::set_normalize;
use iac_core::Value;

use crate::args::{arg_err, get, parse_number, to_string_value, type_name, FnResult};
use crate::FunctionContext;

/// Converts a primitive to a string, keeping a sensitive mark where it is.
pub(crate) fn primitive_to_string(v: Value) -> Value {
    match v {
        Value::Sensitive(inner) => Value::Sensitive(Box::new(primitive_to_string(*inner))),
        Value::Number(_) | Value::Bool(_) => Value::String(to_string_value(&v).unwrap_or_default()),
        other => other,
    }
}

fn kind(v: &Value) -> Option<&'static str> {
    match v.unmarked() {
        Value::Null | Value::Unknown => None,
        Value::String(_) => Some("string"),
        Value::Number(_) => Some("number"),
        Value::Bool(_) => Some("bool"),
        Value::List(_) => Some("list"),
        Value::Map(_) => Some("object"),
        Value::Sensitive(_) => None,
    }
}

/// Brings elements to one type as Terraform does when it builds a list, set
/// or map: a mix of strings with numbers or bools becomes all strings; other
/// mixes are an error. Nulls and unknowns fit any type.
pub(crate) fn unify(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let kinds: BTreeSet<&str> = items.iter().filter_map(kind).collect();
    if kinds.len() <= 1 {
        return Ok(items);
    }
    let primitive = kinds.iter().all(|k| matches!(*k, "string" | "number" | "bool"));
    if primitive && kinds.contains("string") {
        return Ok(items.into_iter().map(primitive_to_string).collect());
    }
    let found: Vec<&str> = kinds.into_iter().collect();
    Err(format!("all elements must have the same type, but found {}", found.join(" and ")))
}

pub(crate) fn tostring(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    match get(&args, 0) {
        Value::Null => Ok(Value::Null),
        v => match to_string_value(v) {
            Some(s) => Ok(Value::String(s)),
            None => arg_err(0, format!("cannot convert {} to string", type_name(v))),
        },
    }
}

pub(crate) fn tonumber(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    match get(&args, 0) {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(*n)),
        Value::String(s) => match parse_number(s) {
            Some(n) => Ok(Value::Number(n)),
            None => arg_err(0, format!("cannot convert {s:?} to number; given string must be a decimal representation of a number")),
        },
        v => arg_err(0, format!("cannot convert {} to number", type_name(v))),
    }
}

pub(crate) fn tobool(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    match get(&args, 0) {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) if s == "true" => Ok(Value::Bool(true)),
        Value::String(s) if s == "false" => Ok(Value::Bool(false)),
        Value::String(s) => arg_err(0, format!("cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed")),
        v => arg_err(0, format!("cannot convert {} to bool", type_name(v))),
    }
}

pub(crate) fn tolist(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    match args.into_iter().next().unwrap_or_default() {
        Value::Null => Ok(Value::Null),
        Value::List(items) => unify(items).map(Value::List).or_else(|m| arg_err(0, format!("cannot convert to list: {m}"))),
        v => arg_err(0, format!("cannot convert {} to list", type_name(&v))),
    }
}

/// Sets cannot hold marked elements: marks were collapsed onto the result
/// by the registry's policy for this function.
pub(crate) fn toset(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    match args.into_iter().next().unwrap_or_default() {
        Value::Null => Ok(Value::Null),
        Value::List(items) => match unify(items) {
            Ok(items) => Ok(Value::List(set_normalize(items))),
            Err(m) => arg_err(0, format!("cannot convert to set: {m}")),
        },
        v => arg_err(0, format!("cannot convert {} to set", type_name(&v))),
    }
}

pub(crate) fn tomap(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    match args.into_iter().next().unwrap_or_default() {
        Value::Null => Ok(Value::Null),
        Value::Map(m) => {
            let (keys, vals): (Vec<String>, Vec<Value>) = m.into_iter().unzip();
            match unify(vals) {
                Ok(vals) => Ok(Value::Map(keys.into_iter().zip(vals).collect())),
                Err(m) => arg_err(0, format!("cannot convert to map: {m}")),
            }
        }
        v => arg_err(0, format!("cannot convert {} to map", type_name(&v))),
    }
}

pub(crate) fn sensitive(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(args.into_iter().next().unwrap_or_default().into_sensitive())
}

/// Removes the value's own mark (marks nested inside stay, as in Terraform).
pub(crate) fn nonsensitive(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(args.into_iter().next().unwrap_or_default().unmark().0)
}

/// True for a sensitive value; unknown for an unknown value that is not
/// (yet) known to be sensitive.
pub(crate) fn issensitive(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let v = get(&args, 0);
    Ok(match v {
        Value::Sensitive(_) => Value::Bool(true),
        Value::Unknown => Value::Unknown,
        _ => Value::Bool(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unify_converts_mixed_primitives_to_strings_only() {
        let mixed = vec![Value::from("a"), Value::from(1i64), Value::from(true).into_sensitive(), Value::Null, Value::Unknown];
        assert_eq!(
            unify(mixed).unwrap(),
            vec![Value::from("a"), Value::from("1"), Value::from("true").into_sensitive(), Value::Null, Value::Unknown]
        );
        let same = vec![Value::from(1i64), Value::from(2i64)];
        assert_eq!(unify(same.clone()).unwrap(), same);
        assert!(unify(vec![Value::from(1i64), Value::from(true)]).is_err());
        assert!(unify(vec![Value::from("a"), Value::List(vec![])]).is_err());
    }
}

/// ephemeralasnull(value): ephemeral values become null. iac keeps
/// ephemeral values out of state by never storing them, and no value
/// reaching a function carries an ephemeral mark, so every value passes
/// through unchanged (marks included), as Terraform does for non-ephemeral ones.
pub(crate) fn ephemeralasnull(mut args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(args.pop().unwrap_or(Value::Null))
}
