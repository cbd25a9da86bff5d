//! Type conversion functions (tostring, tonumber, tobool, tolist, toset,
//! tomap), the mark functions (sensitive, nonsensitive, issensitive), and
//! the element type unification lists, sets and maps need.

use iac_core::schema::set_normalize;
use iac_core::{MapKind, SeqKind, Value, ValueMap};

use crate::args::{arg_err, get, parse_number, to_string_value, type_name, FnResult};
use crate::FunctionContext;

/// Converts a primitive to a string, keeping a sensitive mark where it is.
pub fn primitive_to_string(v: Value) -> Value {
    match v {
        Value::Sensitive(inner) => Value::Sensitive(Box::new(primitive_to_string(*inner))),
        Value::Number(_) | Value::Bool(_) => Value::String(to_string_value(&v).unwrap_or_default()),
        other => other,
    }
}

/// The type of a value as far as conversions need it. A tuple or object
/// has its elements' types; a list, set or map the one type its elements
/// unify to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    /// Null or unknown: fits any type.
    Dynamic,
    String,
    Number,
    Bool,
    Tuple(Vec<Ty>),
    /// A list or set: one type for every element.
    Seq(SeqKind, Box<Ty>),
    Object(std::collections::BTreeMap<String, Ty>),
    /// A map: one type for every value.
    Map(Box<Ty>),
}

pub(crate) fn type_of(v: &Value) -> Ty {
    match v.unmarked() {
        Value::Null | Value::Unknown | Value::Sensitive(_) => Ty::Dynamic,
        Value::String(_) => Ty::String,
        Value::Number(_) => Ty::Number,
        Value::Bool(_) => Ty::Bool,
        Value::List(items) if items.kind() == SeqKind::Tuple => Ty::Tuple(items.iter().map(type_of).collect()),
        Value::List(items) => Ty::Seq(items.kind(), Box::new(unify_all(&items.iter().map(type_of).collect::<Vec<_>>()).unwrap_or(Ty::Dynamic))),
        Value::Map(m) if m.kind() == MapKind::Map => Ty::Map(Box::new(unify_all(&m.values().map(type_of).collect::<Vec<_>>()).unwrap_or(Ty::Dynamic))),
        Value::Map(m) => Ty::Object(m.iter().map(|(k, v)| (k.clone(), type_of(v))).collect()),
    }
}

fn describe(t: &Ty) -> &'static str {
    match t {
        Ty::Dynamic => "dynamic",
        Ty::String => "string",
        Ty::Number => "number",
        Ty::Bool => "bool",
        Ty::Tuple(_) => "tuple",
        Ty::Seq(SeqKind::Set, _) => "set",
        Ty::Seq(..) => "list",
        Ty::Object(_) => "object",
        Ty::Map(_) => "map",
    }
}

/// One type for all of `types`, as Terraform unifies element types: a
/// string with numbers or bools makes strings; tuples of one length unify
/// element by element, otherwise into a sequence; objects with the same
/// attributes unify attribute by attribute, otherwise into a map.
fn unify_all<'a>(types: impl IntoIterator<Item = &'a Ty>) -> Option<Ty> {
    let mut acc = Ty::Dynamic;
    for t in types {
        acc = unify_two(&acc, t)?;
    }
    Some(acc)
}

fn unify_two(a: &Ty, b: &Ty) -> Option<Ty> {
    use Ty::*;
    Some(match (a, b) {
        (Dynamic, t) | (t, Dynamic) => t.clone(),
        (x, y) if x == y => x.clone(),
        (String, Number | Bool) | (Number | Bool, String) => String,
        (Tuple(x), Tuple(y)) if x.len() == y.len() => Tuple(x.iter().zip(y).map(|(p, q)| unify_two(p, q)).collect::<Option<Vec<_>>>()?),
        (Tuple(x), Tuple(y)) => Seq(SeqKind::List, Box::new(unify_all(x.iter().chain(y))?)),
        (Seq(k, e), Tuple(x)) | (Tuple(x), Seq(k, e)) => Seq(*k, Box::new(unify_all(std::iter::once(&**e).chain(x))?)),
        // A list with a set: iac makes it a list (it used to see no kinds at all).
        (Seq(k, x), Seq(l, y)) => Seq(if k == l { *k } else { SeqKind::List }, Box::new(unify_two(x, y)?)),
        (Object(x), Object(y)) if x.keys().eq(y.keys()) => {
            Object(x.iter().zip(y.values()).map(|((k, p), q)| Some((k.clone(), unify_two(p, q)?))).collect::<Option<_>>()?)
        }
        (Object(x), Object(y)) => Map(Box::new(unify_all(x.values().chain(y.values()))?)),
        (Map(e), Object(x)) | (Object(x), Map(e)) => Map(Box::new(unify_all(std::iter::once(&**e).chain(x.values()))?)),
        (Map(x), Map(y)) => Map(Box::new(unify_two(x, y)?)),
        _ => return None,
    })
}

/// Converts a value to a unified type (which it is known to fit).
fn convert(v: Value, t: &Ty) -> Value {
    match v {
        Value::Sensitive(inner) => Value::Sensitive(Box::new(convert(*inner, t))),
        Value::Null | Value::Unknown => v,
        v => match (t, v) {
            (Ty::String, v @ (Value::Number(_) | Value::Bool(_))) => primitive_to_string(v),
            (Ty::Tuple(ts), Value::List(items)) => Value::tuple(items.into_iter().zip(ts).map(|(i, t)| convert(i, t)).collect()),
            (Ty::Seq(SeqKind::Set, e), Value::List(items)) => Value::set(set_elements(items.into_iter().map(|i| convert(i, e)).collect())),
            (Ty::Seq(_, e), Value::List(items)) => Value::list(items.into_iter().map(|i| convert(i, e)).collect()),
            (Ty::Object(ts), Value::Map(m)) => Value::Map(
                m.map_values(|k, x| match ts.get(k) {
                    Some(t) => convert(x, t),
                    None => x,
                })
                .with_kind(MapKind::Object),
            ),
            (Ty::Map(e), Value::Map(m)) => Value::Map(m.map_values(|_, x| convert(x, e)).with_kind(MapKind::Map)),
            (_, v) => v,
        },
    }
}

/// Brings elements to one type as Terraform does when it builds a list, set
/// or map, nested values included (`tolist([{a = 1}, {a = "x"}])` makes
/// `a` a string in both). Nulls and unknowns fit any type; elements that
/// cannot share a type are an error.
pub(crate) fn unify(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let types: Vec<Ty> = items.iter().map(type_of).collect();
    match unify_all(&types) {
        Some(t) => Ok(items.into_iter().map(|i| convert(i, &t)).collect()),
        None => {
            let mut found: Vec<&str> = types.iter().filter(|t| **t != Ty::Dynamic).map(describe).collect();
            found.sort_unstable();
            found.dedup();
            Err(format!("all elements must have the same type, but found {}", found.join(" and ")))
        }
    }
}

/// The two results of a conditional converted to their common type, as
/// Terraform converts `cond ? 1 : "x"` to strings. None when the types do
/// not unify (Terraform reports inconsistent result types there).
pub fn unify_pair(a: Value, b: Value) -> Option<(Value, Value)> {
    let t = unify_two(&type_of(&a), &type_of(&b))?;
    Some((convert(a, &t), convert(b, &t)))
}

/// Set elements in Terraform's order: numbers numerically, strings by
/// their bytes, other elements in a stable order of their own; duplicates
/// removed. Sets holding unknowns keep their order (it is not known yet).
pub fn set_elements(mut items: Vec<Value>) -> Vec<Value> {
    if items.iter().any(|i| !i.is_wholly_known()) {
        return items;
    }
    if items.iter().all(|i| matches!(i.unmarked(), Value::Number(_))) {
        items.sort_by(|a, b| a.as_f64().unwrap_or(0.0).total_cmp(&b.as_f64().unwrap_or(0.0)));
        items.dedup();
        return items;
    }
    if items.iter().all(|i| matches!(i.unmarked(), Value::String(_))) {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        items.dedup();
        return items;
    }
    set_normalize(items)
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
        Value::Number(n) => Ok(Value::Number(n.clone())),
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
        Value::List(items) => unify(items.into_vec()).map(Value::list).or_else(|m| arg_err(0, format!("cannot convert to list: {m}"))),
        v => arg_err(0, format!("cannot convert {} to list of any single type", type_name(&v))),
    }
}

/// Sets cannot hold marked elements: marks were collapsed onto the result
/// by the registry's policy for this function.
pub(crate) fn toset(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    match args.into_iter().next().unwrap_or_default() {
        Value::Null => Ok(Value::Null),
        Value::List(items) => match unify(items.into_vec()) {
            Ok(items) => Ok(Value::set(set_elements(items))),
            Err(m) => arg_err(0, format!("cannot convert to set: {m}")),
        },
        v => arg_err(0, format!("cannot convert {} to set of any single type", type_name(&v))),
    }
}

pub(crate) fn tomap(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    match args.into_iter().next().unwrap_or_default() {
        Value::Null => Ok(Value::Null),
        Value::Map(m) => {
            let (keys, vals): (Vec<String>, Vec<Value>) = m.into_iter().unzip();
            match unify(vals) {
                Ok(vals) => Ok(Value::Map(keys.into_iter().zip(vals).collect::<ValueMap>().with_kind(MapKind::Map))),
                Err(m) => arg_err(0, format!("cannot convert to map: {m}")),
            }
        }
        v => arg_err(0, format!("cannot convert {} to map of any single type", type_name(&v))),
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

/// ephemeralasnull(value): ephemeral values become null. iac keeps
/// ephemeral values out of state by never storing them, and no value
/// reaching a function carries an ephemeral mark, so every value passes
/// through unchanged (marks included), as Terraform does for non-ephemeral ones.
pub(crate) fn ephemeralasnull(mut args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(args.pop().unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unify_converts_mixed_primitives_to_strings_only() {
        let mixed = vec![Value::from("a"), Value::from(1i64), Value::from(true).into_sensitive(), Value::Null, Value::Unknown];
        assert_eq!(unify(mixed).unwrap(), vec![Value::from("a"), Value::from("1"), Value::from("true").into_sensitive(), Value::Null, Value::Unknown]);
        let same = vec![Value::from(1i64), Value::from(2i64)];
        assert_eq!(unify(same.clone()).unwrap(), same);
        assert!(unify(vec![Value::from(1i64), Value::from(true)]).is_err());
        assert!(unify(vec![Value::from("a"), Value::List(vec![].into())]).is_err());
    }
}
