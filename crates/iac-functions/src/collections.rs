//! Collection functions: lists, maps and sets (merge, concat, lookup,
//! element, flatten, range, setunion, ...).
//!
//! Functions registered as structural receive arguments whose top-level mark
//! was removed but whose elements keep their marks and may be unknown; they
//! keep element marks where they are.

use std::collections::BTreeMap;

use crate::conversion::set_elements as set_normalize;
use iac_core::{MapKind, Seq, SeqKind, Value, ValueMap};
use unicode_segmentation::UnicodeSegmentation;

use crate::args::{arg_err, fail, get, integer, list, loosely_equal, map, number, strictly_equal, string, to_string_value, type_name, Fail, FnResult};
use crate::conversion::{primitive_to_string, type_of, unify};
use crate::marks::hoist;
use crate::FunctionContext;

/// The most elements range() and setproduct() may produce.
pub(crate) const MAX_GENERATED: usize = 1_024_000;

/// A map when every argument is a map of one element type (Terraform's
/// result is then the arguments' type), else an object.
pub(crate) fn merge(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let all_one_map_type = match args.first() {
        Some(first @ Value::Map(m)) if m.kind() == MapKind::Map => {
            let map_type = type_of(first);
            args[1..].iter().all(|a| type_of(a) == map_type)
        }
        _ => false,
    };
    let mut out = ValueMap::new();
    for arg in args {
        match arg {
            Value::Null => {}
            Value::Map(m) => out.extend(m),
            other => return fail(format!("arguments must be maps or objects, got {}", type_name(&other))),
        }
    }
    Ok(Value::Map(if all_one_map_type { out.with_kind(MapKind::Map) } else { out }))
}

/// A list when every argument is a list (Terraform's result type then),
/// else a tuple.
pub(crate) fn concat(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    if args.is_empty() {
        return fail("at least one argument is required");
    }
    let all_lists = args.iter().all(|a| matches!(a, Value::List(items) if items.kind() == SeqKind::List));
    let mut out = Vec::new();
    for (i, arg) in args.into_iter().enumerate() {
        match arg {
            Value::List(items) => out.extend(items),
            other => return arg_err(i, format!("all arguments must be lists or tuples; got {}", type_name(&other))),
        }
    }
    if all_lists {
        return unify(out).map(Value::list).map_err(Fail::Msg);
    }
    Ok(Value::tuple(out))
}

/// True when the argument is a tuple (functions that keep tuples as tuples
/// and make lists of lists and sets).
fn is_tuple(args: &[Value], i: usize) -> bool {
    matches!(get(args, i), Value::List(items) if items.kind() == SeqKind::Tuple)
}

pub(crate) fn lookup(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    // Terraform's lookup takes a variadic default and refuses a second one itself.
    if args.len() > 3 {
        return fail(format!("lookup() takes two or three arguments, got {}", args.len()));
    }
    let m = match get(&args, 0).unmarked() {
        Value::Map(m) => m,
        Value::Null => return arg_err(0, "argument must not be null"),
        _ => return arg_err(0, "lookup() requires a map as the first argument"),
    };
    let key = string(&args, 1)?;
    if let Some(v) = m.get(&key) {
        return Ok(v.clone());
    }
    // Terraform's lookup knows an object's attributes from its type, and
    // blames the object; a map's keys only from its value, and fails.
    match (args.get(2), m.kind()) {
        (Some(default), _) => Ok(default.clone()),
        (None, MapKind::Object) => arg_err(0, format!("the given object has no attribute {key:?}")),
        (None, MapKind::Map) => fail(format!("lookup failed to find key {key:?}")),
    }
}

pub(crate) fn length(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let n = match get(&args, 0) {
        Value::String(s) => s.graphemes(true).count(),
        Value::List(items) => items.len(),
        Value::Map(m) => m.len(),
        _ => return fail("argument must be a string, a collection type, or a structural type"),
    };
    Ok(Value::Number(n.into()))
}

/// A list of a map's keys; a tuple of an object's attribute names
/// (Terraform's result types).
pub(crate) fn keys(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let m = match get(&args, 0).unmarked() {
        Value::Map(m) => m,
        Value::Null => return arg_err(0, "argument must not be null"),
        _ => return arg_err(0, "must have map or object type"),
    };
    Ok(Value::List(Seq::new(sequence_of(m), m.keys().map(|k| Value::String(k.clone())).collect())))
}

/// A list of a map's values; a tuple of an object's.
pub(crate) fn values(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let m = match get(&args, 0).unmarked() {
        Value::Map(m) => m,
        Value::Null => return arg_err(0, "argument must not be null"),
        _ => return fail("values() requires a map as the first argument"),
    };
    Ok(Value::List(Seq::new(sequence_of(m), m.values().cloned().collect())))
}

/// The sequence a map's parts make: a list for a map, a tuple for an object.
fn sequence_of(m: &ValueMap) -> SeqKind {
    match m.kind() {
        MapKind::Map => SeqKind::List,
        MapKind::Object => SeqKind::Tuple,
    }
}

pub(crate) fn contains(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = match get(&args, 0).unmarked() {
        Value::List(items) => items,
        Value::Null => return arg_err(0, "argument must not be null"),
        _ => return fail("argument must be list, tuple, or set"),
    };
    let needle = get(&args, 1);
    // Terraform compares with cty equality: a number never equals a string.
    Ok(Value::Bool(items.iter().any(|i| strictly_equal(i, needle))))
}

pub(crate) fn index(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    let needle = get(&args, 1);
    match items.iter().position(|i| strictly_equal(i, needle)) {
        Some(p) => Ok(Value::Number(p.into())),
        None => fail("item not found"),
    }
}

pub(crate) fn element(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    let idx = integer(&args, 1)?;
    if idx < 0 {
        return fail("cannot use element function with a negative index");
    }
    if items.is_empty() {
        return fail("cannot use element function with an empty list");
    }
    let len = items.len() as u64;
    Ok(items[(idx as u64 % len) as usize].clone())
}

/// Flattens nested lists into `out`; false when an unknown makes the
/// result's shape unknowable. A marked nested list sets `sensitive`.
fn flatten_into(items: &[Value], out: &mut Vec<Value>, sensitive: &mut bool) -> bool {
    for item in items {
        let (inner, marked) = match item {
            Value::Sensitive(inner) => (inner.as_ref(), true),
            other => (other, false),
        };
        match inner {
            Value::Unknown => {
                *sensitive |= marked;
                return false;
            }
            Value::List(nested) => {
                *sensitive |= marked;
                if !flatten_into(nested, out, sensitive) {
                    return false;
                }
            }
            _ => out.push(item.clone()),
        }
    }
    true
}

pub(crate) fn flatten(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = match get(&args, 0).unmarked() {
        Value::List(items) => items,
        Value::Null => return arg_err(0, "argument must not be null"),
        _ => return fail("can only flatten lists, sets and tuples"),
    };
    let mut out = Vec::new();
    let mut sensitive = false;
    if !flatten_into(items, &mut out, &mut sensitive) {
        return Ok(hoist(Value::Unknown, &[get(&args, 0)]));
    }
    Ok(Value::List(out.into()).mark_if(sensitive))
}

pub(crate) fn distinct(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    if !items.iter().all(Value::is_wholly_known) {
        return Ok(hoist(Value::Unknown, &[get(&args, 0)]));
    }
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for item in items {
        let plain = item.clone().unmark_deep_collapse().0;
        if !seen.contains(&plain) {
            seen.push(plain);
            out.push(item.clone());
        }
    }
    unify(out).map(Value::list).map_err(Fail::Msg)
}

pub(crate) fn zipmap(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let keys = list(&args, 0)?;
    let vals = list(&args, 1)?;
    if keys.iter().any(|k| !k.is_wholly_known()) {
        return Ok(hoist(Value::Unknown, &[get(&args, 0)]));
    }
    if keys.len() != vals.len() {
        return fail(format!("number of keys ({}) does not match number of values ({})", keys.len(), vals.len()));
    }
    let mut out = iac_core::ValueMap::new();
    for (i, (k, v)) in keys.iter().zip(vals).enumerate() {
        let key = match k.unmarked() {
            Value::Null => return arg_err(0, format!("keys list has null value at index {i}")),
            other => match to_string_value(other) {
                Some(s) => s,
                None => return arg_err(0, format!("keys must be strings, but element {i} is {}", type_name(other))),
            },
        };
        out.insert(key, v.clone());
    }
    // A list of values makes a map, a tuple an object (Terraform's types).
    if !is_tuple(&args, 1) {
        out = out.with_kind(MapKind::Map);
    }
    // A map key cannot carry a mark: a marked key marks the whole map.
    Ok(hoist(Value::Map(out), &[get(&args, 0)]))
}

pub(crate) fn slice(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    let start = integer(&args, 1)?;
    let end = integer(&args, 2)?;
    if start < 0 {
        return arg_err(1, "start index must not be less than zero");
    }
    if end > items.len() as i64 {
        return arg_err(2, "end index must not be greater than the length of the list");
    }
    if start > end {
        return arg_err(1, "start index must not be greater than end index");
    }
    let out = items[start as usize..end as usize].to_vec();
    Ok(if is_tuple(&args, 0) { Value::tuple(out) } else { Value::list(out) })
}

pub(crate) fn sort(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    let mut strings = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Null => return arg_err(0, format!("given list element {i} is null; a null string cannot be sorted")),
            other => match to_string_value(other) {
                Some(s) => strings.push(s),
                None => return arg_err(0, format!("list of strings required, but element {i} is {}", type_name(other))),
            },
        }
    }
    strings.sort();
    Ok(Value::list(strings.into_iter().map(Value::String).collect()))
}

pub(crate) fn reverse(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    let out = items.iter().rev().cloned().collect();
    Ok(if is_tuple(&args, 0) { Value::tuple(out) } else { Value::list(out) })
}

pub(crate) fn compact(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    if items.iter().any(Value::is_unknown) {
        return Ok(hoist(Value::Unknown, &[get(&args, 0)]));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.unmarked() {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            Value::String(_) | Value::Number(_) | Value::Bool(_) => out.push(primitive_to_string(item.clone())),
            other => return arg_err(0, format!("list of strings required, but element {i} is {}", type_name(other))),
        }
    }
    Ok(Value::list(out))
}

pub(crate) fn chunklist(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    let size = integer(&args, 1)?;
    if size < 0 {
        return arg_err(1, "the size argument must be positive");
    }
    let items = unify(items.to_vec()).map_err(Fail::Msg)?;
    if size == 0 {
        return Ok(Value::list(vec![Value::list(items)]));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::list(items.chunks(size).map(|c| Value::list(c.to_vec())).collect()))
}

pub(crate) fn one(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    match items {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        _ => arg_err(0, format!("must be a list, set, or tuple value with either zero or one elements, but has {} elements", items.len())),
    }
}

/// The first argument that is neither null nor an empty string. Arguments
/// are examined in order: an unknown one before the answer makes the result
/// unknown, a sensitive one examined (skipped or chosen) makes it sensitive;
/// arguments after the answer play no part. (Registered with the raw mark
/// policy, so it sees marks itself.)
pub(crate) fn coalesce(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    if args.is_empty() {
        // Terraform's words: zero types do not unify.
        return fail("all arguments must have the same type");
    }
    // Terraform unifies the arguments' types: with a string among them, a
    // number or bool result becomes a string.
    let has_string = args.iter().any(|a| matches!(a.unmarked(), Value::String(_)));
    let mut sensitive = false;
    for arg in args {
        let (inner, marked) = arg.unmark();
        sensitive |= marked;
        match inner {
            Value::Unknown => return Ok(Value::Unknown.mark_if(sensitive)),
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            Value::Number(_) | Value::Bool(_) if has_string => return Ok(primitive_to_string(inner).mark_if(sensitive)),
            other => return Ok(other.mark_if(sensitive)),
        }
    }
    fail("no non-null, non-empty-string arguments")
}

pub(crate) fn coalescelist(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    if args.is_empty() {
        return fail("at least one argument is required");
    }
    for arg in &args {
        match arg {
            Value::Null => continue,
            Value::List(items) if items.is_empty() => continue,
            Value::List(_) => return Ok(arg.clone()),
            _ => return fail("coalescelist arguments must be lists or tuples"),
        }
    }
    fail("no non-null arguments")
}

fn bools(args: &[Value]) -> Result<Vec<Option<bool>>, Fail> {
    let items = list(args, 0)?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.unmarked() {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(*b)),
            Value::String(s) if s == "true" => Ok(Some(true)),
            Value::String(s) if s == "false" => Ok(Some(false)),
            other => arg_err(0, format!("list of bool required, but element {i} is {}", type_name(other))),
        })
        .collect()
}

/// True when every element is true (a null counts as false).
pub(crate) fn alltrue(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::Bool(bools(&args)?.iter().all(|b| *b == Some(true))))
}

pub(crate) fn anytrue(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    Ok(Value::Bool(bools(&args)?.contains(&Some(true))))
}

pub(crate) fn sum(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let items = list(&args, 0)?;
    if items.is_empty() {
        return arg_err(0, "cannot sum an empty list");
    }
    let mut total: Option<iac_core::Number> = None;
    for (i, item) in items.iter().enumerate() {
        if item.is_null() {
            return arg_err(0, format!("argument must be list, set, or tuple of number values, but element {i} is null"));
        }
        let n = number(items, i).map_err(|_| Fail::Arg(0, format!("element {i} is not a number")))?;
        total = Some(match total {
            Some(t) => t.add(&n),
            None => n,
        });
    }
    let total = total.unwrap_or_default();
    Ok(Value::Number(total))
}

pub(crate) fn range(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    use iac_core::Number;
    let nums: Vec<Number> = (0..args.len()).map(|i| number(&args, i)).collect::<Result<_, _>>()?;
    let one = Number::from(1i64);
    let (start, end, step) = match nums.as_slice() {
        [end] => (Number::from(0i64), end.clone(), if end.is_negative() { one.neg() } else { one }),
        [start, end] => (start.clone(), end.clone(), if end < start { one.neg() } else { one }),
        [start, end, step] => (start.clone(), end.clone(), step.clone()),
        _ => return fail("must have one, two, or three arguments"),
    };
    if start.is_nan() || end.is_nan() || step.is_nan() {
        return fail("arguments must be numbers");
    }
    if step.is_zero() {
        return arg_err(args.len() - 1, "step must not be zero");
    }
    if step.is_negative() && end > start {
        return arg_err(1, "end must be less than start when step is negative");
    }
    if !step.is_negative() && end < start {
        return arg_err(1, "end must be greater than start when step is positive");
    }
    let mut out = Vec::new();
    // Each value is the previous one plus the step, as in Terraform (at 512
    // bits: range(0, 1, 0.3) ends with 0.9000...0004).
    let mut n = start;
    loop {
        if (!step.is_negative() && n >= end) || (step.is_negative() && n <= end) {
            break;
        }
        if out.len() >= MAX_GENERATED {
            return fail(format!("more than {MAX_GENERATED} values were generated; either decrease the difference between start and end or use a larger step"));
        }
        let next = n.add(&step);
        out.push(Value::Number(n));
        n = next;
    }
    Ok(Value::list(out))
}

/// Each argument as a list of unified elements.
fn set_args(args: &[Value]) -> Result<Vec<Vec<Value>>, Fail> {
    let mut all: Vec<Value> = Vec::new();
    let mut lens = Vec::new();
    for i in 0..args.len() {
        let items = list(args, i)?;
        lens.push(items.len());
        all.extend(items.iter().cloned());
    }
    let mut all = unify(all).map_err(Fail::Msg)?.into_iter();
    Ok(lens.into_iter().map(|n| all.by_ref().take(n).collect()).collect())
}

pub(crate) fn setunion(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let sets = set_args(&args)?;
    Ok(Value::set(set_normalize(sets.into_iter().flatten().collect())))
}

pub(crate) fn setintersection(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let mut sets = set_args(&args)?.into_iter();
    let first = sets.next().unwrap_or_default();
    let rest: Vec<Vec<Value>> = sets.collect();
    let out = first.into_iter().filter(|v| rest.iter().all(|s| s.contains(v))).collect();
    Ok(Value::set(set_normalize(out)))
}

pub(crate) fn setsubtract(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let mut sets = set_args(&args)?.into_iter();
    let a = sets.next().unwrap_or_default();
    let b = sets.next().unwrap_or_default();
    Ok(Value::set(set_normalize(a.into_iter().filter(|v| !b.contains(v)).collect())))
}

/// Every combination of one element from each argument, in order: a list
/// of tuples when no argument is a set, else a set of them.
pub(crate) fn setproduct(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    // cty's words: the call fails, no argument is to blame.
    if args.len() < 2 {
        return fail("at least two arguments are required");
    }
    let any_set = args.iter().any(|a| matches!(a, Value::List(items) if items.kind() == SeqKind::Set));
    let mut sets = Vec::new();
    let mut total: usize = 1;
    for i in 0..args.len() {
        let items = list(&args, i)?;
        total = total.saturating_mul(items.len());
        sets.push(items);
    }
    if total > MAX_GENERATED {
        return fail(format!("the product would have {total} elements, more than the limit of {MAX_GENERATED}"));
    }
    let mut out: Vec<Vec<Value>> = vec![Vec::new()];
    for set in sets {
        out = out.into_iter().flat_map(|prefix| set.iter().map(move |v| [prefix.clone(), vec![v.clone()]].concat())).collect();
    }
    if total == 0 {
        out.clear();
    }
    let product = out.into_iter().map(Value::tuple).collect();
    Ok(if any_set { Value::set(set_normalize(product)) } else { Value::list(product) })
}

pub(crate) fn matchkeys(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let vals = list(&args, 0)?;
    let keys = list(&args, 1)?;
    let search = list(&args, 2)?;
    if vals.len() != keys.len() {
        return fail("length of keys and values should be equal");
    }
    let out = vals.iter().zip(keys).filter(|(_, k)| search.iter().any(|s| loosely_equal(s, k))).map(|(v, _)| v.clone()).collect();
    Ok(Value::list(out))
}

pub(crate) fn transpose(args: Vec<Value>, _: &FunctionContext) -> FnResult {
    let m = map(&args, 0)?;
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (key, v) in m {
        let Value::List(items) = v else {
            return arg_err(0, format!("input must be a map of lists of strings, but {key:?} is {}", type_name(v)));
        };
        for item in items {
            let Some(s) = to_string_value(item) else {
                return arg_err(0, format!("input must be a map of lists of strings, but {key:?} has a {} element", type_name(item)));
            };
            out.entry(s).or_default().push(Value::String(key.clone()));
        }
    }
    Ok(Value::typed_map(out.into_iter().map(|(k, v)| (k, Value::list(v)))))
}
