//! Dynamic values as the stack language and providers see them.
//!
//! Two marks travel with values: *unknown* (a value only known after apply)
//! and *sensitive* (a value that must never be shown). Unknown is a variant of
//! its own; sensitivity wraps any value in [`Value::Sensitive`], so a mark can
//! sit at any depth (an object with one sensitive attribute).

use std::collections::BTreeMap;
use std::fmt;

use thin_vec::ThinVec;

pub use crate::number::Number;
use crate::path::{AttrPath, PathStep};
pub use crate::seq::{Seq, SeqKind};

/// Serialized (in saved plans) with serde's externally tagged form, which keeps
/// unknown and sensitive marks unambiguous.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    /// Terraform's numbers: exact integers, 512-bit decimals ([`Number`]).
    Number(Number),
    String(String),
    /// Lists, tuples and sets (a set is a sorted, de-duplicated list); the
    /// [`Seq`] says which of the three Terraform's type system sees.
    List(Seq),
    /// Objects and maps; keys are kept sorted, as Terraform shows them.
    Map(ValueMap),
    /// Known only after apply.
    Unknown,
    /// Must never be displayed; the inner value is still usable.
    Sensitive(Box<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A tuple (what a `[...]` literal makes).
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::List(Seq::new(SeqKind::Tuple, items))
    }

    /// A list: elements of one type (what `tolist` makes).
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Seq::new(SeqKind::List, items))
    }

    /// A set: the caller has put the elements in set order.
    pub fn set(items: Vec<Value>) -> Value {
        Value::List(Seq::new(SeqKind::Set, items))
    }

    /// Equality as the language's `==` sees it: a list, a set and a tuple
    /// with the same elements differ, as do a map and an object (Terraform's
    /// types differ), at any depth. [`PartialEq`] ignores kinds: state and
    /// plans carry none.
    pub fn typed_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::List(a), Value::List(b)) => a.kind() == b.kind() && a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.typed_eq(y)),
            (Value::Map(a), Value::Map(b)) => {
                a.kind() == b.kind() && a.len() == b.len() && a.iter().zip(b.iter()).all(|((k, x), (l, y))| k == l && x.typed_eq(y))
            }
            (Value::Sensitive(a), Value::Sensitive(b)) => a.typed_eq(b),
            (a, b) => a == b,
        }
    }

    /// An object (what a `{...}` literal makes).
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A map: values of one type (what `tomap` makes).
    pub fn typed_map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect::<ValueMap>().with_kind(MapKind::Map))
    }

    /// Wraps in a sensitive mark, never twice.
    pub fn into_sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            other => Value::Sensitive(Box::new(other)),
        }
    }

    /// Marks as sensitive when `sensitive` is true.
    pub fn mark_if(self, sensitive: bool) -> Value {
        if sensitive {
            self.into_sensitive()
        } else {
            self
        }
    }

    /// Removes a top-level sensitive mark, saying whether there was one.
    pub fn unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(inner) => (*inner, true),
            other => (other, false),
        }
    }

    /// The value without its top-level mark, by reference.
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Sensitive(inner) => inner,
            other => other,
        }
    }

    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// True when `found` holds for the value or any value inside it
    /// (elements, attributes, what a sensitive mark wraps), at any depth.
    pub fn any_part(&self, found: &impl Fn(&Value) -> bool) -> bool {
        found(self)
            || match self {
                Value::Sensitive(inner) => inner.any_part(found),
                Value::List(items) => items.iter().any(|v| v.any_part(found)),
                Value::Map(m) => m.values().any(|v| v.any_part(found)),
                _ => false,
            }
    }

    /// True when a sensitive mark sits anywhere inside.
    pub fn contains_sensitive(&self) -> bool {
        self.any_part(&|v| matches!(v, Value::Sensitive(_)))
    }

    /// True when a null sits anywhere inside (the value itself included).
    pub fn contains_null(&self) -> bool {
        self.any_part(&|v| matches!(v, Value::Null))
    }

    /// Where the first number that is not finite (an infinity, NaN) sits:
    /// `""` for the value itself, else a path such as `.a[0]`. Terraform's
    /// numbers are finite, and JSON (state, saved plans) cannot hold one, so
    /// callers refuse such a value rather than let it be written as null.
    /// Numbers beyond a float64's range (`1e999`) are finite, as in
    /// Terraform, and state holds every digit of them ([`crate::json`]).
    pub fn non_finite_path(&self) -> Option<String> {
        match self {
            Value::Number(n) if !n.is_finite() => Some(String::new()),
            Value::Sensitive(inner) => inner.non_finite_path(),
            Value::List(items) => items.iter().enumerate().find_map(|(i, v)| v.non_finite_path().map(|p| format!("[{i}]{p}"))),
            Value::Map(m) => m.iter().find_map(|(k, v)| {
                v.non_finite_path().map(|p| {
                    if !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
                        format!(".{k}{p}")
                    } else {
                        format!("[{k:?}]{p}")
                    }
                })
            }),
            _ => None,
        }
    }

    /// Removes every mark, returning the paths where they were.
    pub fn unmark_deep(self) -> (Value, Vec<AttrPath>) {
        let mut paths = Vec::new();
        let v = unmark_into(self, &mut AttrPath::root(), &mut paths);
        (v, paths)
    }

    /// Removes every mark, and marks the whole result sensitive if any was found.
    pub fn unmark_deep_collapse(self) -> (Value, bool) {
        let (v, paths) = self.unmark_deep();
        (v, !paths.is_empty())
    }

    /// Applies sensitive marks at the given paths (paths that do not exist are ignored).
    pub fn mark_paths(mut self, paths: &[AttrPath]) -> Value {
        for p in paths {
            self = mark_at(self, &p.0);
        }
        self
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.unmarked(), Value::Unknown)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.unmarked(), Value::Null)
    }

    /// True when nothing inside is unknown.
    pub fn is_wholly_known(&self) -> bool {
        !self.any_part(&|v| matches!(v, Value::Unknown))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unmarked() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unmarked() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The nearest f64 of a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self.unmarked() {
            Value::Number(n) => Some(n.to_f64()),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.unmarked() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// A number value from a float64 result.
    pub fn number(f: f64) -> Value {
        Value::Number(Number::from_f64(f))
    }

    pub fn as_map(&self) -> Option<&ValueMap> {
        match self.unmarked() {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self.unmarked() {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// Attribute of an object (None when absent or not an object).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// Value at a path, ignoring marks along the way.
    pub fn at_path(&self, path: &AttrPath) -> Option<&Value> {
        let mut cur = self;
        for step in &path.0 {
            cur = match (step, cur.unmarked()) {
                (PathStep::Attr(k), Value::Map(m)) | (PathStep::Key(k), Value::Map(m)) => m.get(k)?,
                (PathStep::Index(i), Value::List(l)) => l.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// A short type name for diagnostics.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(m) if m.kind() == MapKind::Map => "map",
            Value::Map(_) => "object",
            Value::Unknown => "unknown",
            Value::Sensitive(inner) => inner.type_name(),
        }
    }

    /// Terraform's type JSON for this value (`"string"`, `["list",
    /// "number"]`, `["tuple", [...]]`, `["object", {...}]`), as `output
    /// -json` writes it: a sequence's kind gives list, set or tuple, a
    /// key-value's map or object; null and unknown are `"dynamic"`. A list's
    /// or map's element type is its elements' (the first known one where
    /// nested nulls leave parts dynamic).
    pub fn type_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Value::Null | Value::Unknown => json!("dynamic"),
            Value::Bool(_) => json!("bool"),
            Value::Number(_) => json!("number"),
            Value::String(_) => json!("string"),
            Value::List(items) => match items.kind() {
                SeqKind::Tuple => json!(["tuple", items.iter().map(Value::type_json).collect::<Vec<_>>()]),
                kind => json!([if kind == SeqKind::Set { "set" } else { "list" }, element_type_json(items.iter())]),
            },
            Value::Map(m) => match m.kind() {
                MapKind::Object => json!(["object", m.iter().map(|(k, v)| (k.clone(), v.type_json())).collect::<serde_json::Map<_, _>>()]),
                MapKind::Map => json!(["map", element_type_json(m.values())]),
            },
            Value::Sensitive(inner) => inner.type_json(),
        }
    }

    /// Converts to serde_json's JSON, for providers and APIs that speak it.
    /// Marks are dropped; unknown values become null; numbers beyond
    /// 64-bit integers become their nearest float64 ([`Number::to_json`]).
    /// State, saved plans and JSON outputs keep every digit through
    /// [`crate::json`] instead.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => n.to_json(),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => serde_json::Value::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Sensitive(inner) => inner.to_json(),
        }
    }

    pub fn from_json(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(Number::from_json(n)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect()),
        }
    }

    /// A JSON tree mirroring this value with `true` where a value is unknown
    /// (the `after_unknown` shape of Terraform's JSON plan).
    pub fn unknown_mask(&self) -> serde_json::Value {
        mask(self, &|v| matches!(v, Value::Unknown))
    }

    /// A JSON tree mirroring this value with `true` where a value is sensitive.
    pub fn sensitive_mask(&self) -> serde_json::Value {
        mask(self, &|v| matches!(v, Value::Sensitive(_)))
    }

    /// Replaces every sensitive value with the string "(sensitive value)"
    /// at its place, for output that must never leak.
    pub fn redacted(&self) -> Value {
        match self {
            Value::Sensitive(_) => Value::String("(sensitive value)".into()),
            Value::List(items) => Value::List(Seq::new(items.kind(), items.iter().map(Value::redacted).collect())),
            Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), v.redacted())).collect::<ValueMap>().with_kind(m.kind())),
            other => other.clone(),
        }
    }
}

/// Which of Terraform's two key-value types a [`ValueMap`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum MapKind {
    /// Attributes of any types each (a `{...}` literal, `jsondecode`).
    #[default]
    Object,
    /// Values of one type (what `tomap` and `map(T)` constraints make).
    Map,
}

/// The entries of an object or map, sorted by key, and which of the two
/// Terraform's type system sees. A sorted vector, not a `BTreeMap`:
/// objects are small and many, and a B-tree node costs ~600 bytes even for
/// three entries (it was a third of a large plan's memory). The vector is
/// a thin one (a single pointer, its length in the allocation), so the kind
/// fits beside it and [`Value`] stays 32 bytes. The API mirrors
/// `BTreeMap`'s so it reads the same.
///
/// As with [`Seq`], the kind matters to the language only (`==`, the types
/// `output -json` writes, the functions typed by it): [`PartialEq`] ignores
/// it, and serialization writes the entries alone.
#[derive(Clone, Debug, Default)]
pub struct ValueMap {
    entries: ThinVec<(String, Value)>,
    kind: MapKind,
}

impl PartialEq for ValueMap {
    fn eq(&self, other: &ValueMap) -> bool {
        self.entries == other.entries
    }
}

impl ValueMap {
    pub fn new() -> ValueMap {
        ValueMap::default()
    }
    pub fn kind(&self) -> MapKind {
        self.kind
    }
    /// The same entries as another kind.
    pub fn with_kind(self, kind: MapKind) -> ValueMap {
        ValueMap { kind, ..self }
    }
    /// Each value replaced through `f` (given its key), the kind kept.
    pub fn map_values(self, mut f: impl FnMut(&str, Value) -> Value) -> ValueMap {
        let kind = self.kind;
        let entries = self
            .entries
            .into_iter()
            .map(|(k, v)| {
                let v = f(&k, v);
                (k, v)
            })
            .collect();
        ValueMap { entries, kind }
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        String: std::borrow::Borrow<Q>,
    {
        use std::borrow::Borrow;
        self.entries.binary_search_by(|(k, _)| Borrow::<Q>::borrow(k).cmp(key))
    }
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&Value>
    where
        String: std::borrow::Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut Value>
    where
        String: std::borrow::Borrow<Q>,
    {
        self.find(key).ok().map(move |i| &mut self.entries[i].1)
    }
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        String: std::borrow::Borrow<Q>,
    {
        self.find(key).is_ok()
    }
    /// Inserts or replaces; returns the value replaced. Appending in key
    /// order (the usual way maps are built, from other sorted maps) is O(1).
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        if self.entries.last().is_none_or(|(last, _)| *last < key) {
            self.entries.push((key, value));
            return None;
        }
        match self.find(key.as_str()) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<Value>
    where
        String: std::borrow::Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Value)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&String, &mut Value)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }
    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = String> + ExactSizeIterator {
        self.entries.into_iter().map(|(k, _)| k)
    }
    pub fn retain(&mut self, mut f: impl FnMut(&String, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| f(k, v))
    }
    pub fn append(&mut self, other: &mut ValueMap) {
        for (k, v) in std::mem::take(&mut other.entries) {
            self.insert(k, v);
        }
    }
    pub fn first_key_value(&self) -> Option<(&String, &Value)> {
        self.entries.first().map(|(k, v)| (k, v))
    }
    pub fn last_key_value(&self) -> Option<(&String, &Value)> {
        self.entries.last().map(|(k, v)| (k, v))
    }
}

/// An object of the entries.
impl<K: Into<String>> FromIterator<(K, Value)> for ValueMap {
    /// Later entries win over earlier ones with the same key, as with `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> ValueMap {
        let mut entries: ThinVec<(String, Value)> = iter.into_iter().map(|(k, v)| (k.into(), v)).collect();
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            entries.sort_by(|a, b| a.0.cmp(&b.0)); // stable: equal keys keep their order
            entries.dedup_by(|later, earlier| {
                let same = later.0 == earlier.0;
                if same {
                    std::mem::swap(&mut later.1, &mut earlier.1);
                }
                same
            });
        }
        ValueMap { entries, kind: MapKind::Object }
    }
}

impl<K: Into<String>> Extend<(K, Value)> for ValueMap {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k.into(), v);
        }
    }
}

impl IntoIterator for ValueMap {
    type Item = (String, Value);
    type IntoIter = thin_vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValueMap {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, Value)>, fn(&'a (String, Value)) -> (&'a String, &'a Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl From<BTreeMap<String, Value>> for ValueMap {
    fn from(m: BTreeMap<String, Value>) -> ValueMap {
        ValueMap { entries: m.into_iter().collect(), kind: MapKind::Object }
    }
}

impl<Q: Ord + ?Sized> std::ops::Index<&Q> for ValueMap
where
    String: std::borrow::Borrow<Q>,
{
    type Output = Value;
    fn index(&self, key: &Q) -> &Value {
        self.get(key).expect("no entry with that key")
    }
}

impl serde::Serialize for ValueMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for ValueMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ValueMap, D::Error> {
        let m: BTreeMap<String, Value> = BTreeMap::deserialize(d)?;
        Ok(m.into())
    }
}

fn mask(v: &Value, hit: &dyn Fn(&Value) -> bool) -> serde_json::Value {
    if hit(v) {
        return serde_json::Value::Bool(true);
    }
    match v {
        Value::Sensitive(inner) => mask(inner, hit),
        Value::List(items) => serde_json::Value::Array(items.iter().map(|i| mask(i, hit)).collect()),
        Value::Map(m) => {
            let o: serde_json::Map<_, _> =
                m.iter().map(|(k, v)| (k.clone(), mask(v, hit))).filter(|(_, v)| !matches!(v, serde_json::Value::Bool(false))).collect();
            serde_json::Value::Object(o)
        }
        _ => serde_json::Value::Bool(false),
    }
}

/// The type JSON of a list's, set's or map's elements.
fn element_type_json<'a>(elements: impl Iterator<Item = &'a Value>) -> serde_json::Value {
    elements.map(Value::type_json).reduce(merge_type_json).unwrap_or_else(|| serde_json::json!("dynamic"))
}

/// The type JSON two elements of one collection share: where one has
/// `"dynamic"` (a null) the other's type fills in.
fn merge_type_json(a: serde_json::Value, b: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match (a, b) {
        (Json::String(d), b) if d == "dynamic" => b,
        (Json::Array(mut x), Json::Array(y)) if x.len() == 2 && y.len() == 2 && x[0] == y[0] => {
            let (Some(xe), Some(ye)) = (x.pop(), y.into_iter().nth(1)) else { unreachable!("two parts each") };
            let merged = match (xe, ye) {
                (Json::Array(p), Json::Array(q)) if p.len() == q.len() => Json::Array(p.into_iter().zip(q).map(|(p, q)| merge_type_json(p, q)).collect()),
                (Json::Object(mut p), Json::Object(q)) => {
                    for (k, t) in q {
                        let prev = p.remove(&k).unwrap_or_else(|| t.clone());
                        p.insert(k, merge_type_json(prev, t));
                    }
                    Json::Object(p)
                }
                (p, q) => merge_type_json(p, q),
            };
            x.push(merged);
            Json::Array(x)
        }
        (a, _) => a,
    }
}

/// A number as a JSON number (see [`Number::to_json`]).
pub fn number_to_json(n: &Number) -> serde_json::Value {
    n.to_json()
}

/// Formats a number the way Terraform shows it (see [`Number`]'s `Display`).
pub fn format_number(n: &Number) -> String {
    n.to_string()
}

fn unmark_into(v: Value, path: &mut AttrPath, out: &mut Vec<AttrPath>) -> Value {
    match v {
        Value::Sensitive(inner) => {
            out.push(path.clone());
            // Inner marks are subsumed by the outer one.
            let mut ignored = Vec::new();
            unmark_into(*inner, path, &mut ignored)
        }
        Value::List(items) => Value::List(items.map_items_indexed(|i, item| {
            path.0.push(PathStep::Index(i));
            let r = unmark_into(item, path, out);
            path.0.pop();
            r
        })),
        Value::Map(m) => Value::Map(m.map_values(|k, item| {
            path.0.push(PathStep::Attr(k.to_string()));
            let r = unmark_into(item, path, out);
            path.0.pop();
            r
        })),
        other => other,
    }
}

fn mark_at(v: Value, steps: &[PathStep]) -> Value {
    let Some((first, rest)) = steps.split_first() else {
        return v.into_sensitive();
    };
    let (inner, was_marked) = v.unmark();
    let inner = match (first, inner) {
        (PathStep::Attr(k) | PathStep::Key(k), Value::Map(mut m)) => {
            if let Some(child) = m.remove(k) {
                m.insert(k.clone(), mark_at(child, rest));
            }
            Value::Map(m)
        }
        (PathStep::Index(i), Value::List(mut l)) => {
            if *i < l.len() {
                let child = std::mem::take(&mut l[*i]);
                l[*i] = mark_at(child, rest);
            }
            Value::List(l)
        }
        (_, other) => other,
    };
    inner.mark_if(was_marked)
}

impl fmt::Display for Value {
    /// HCL-like rendering, with marks shown as Terraform shows them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
            Value::Map(m) => {
                write!(f, "{{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                write!(f, "}}")
            }
            Value::Unknown => write!(f, "(known after apply)"),
            Value::Sensitive(_) => write!(f, "(sensitive value)"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(Number::from_f64(n))
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(Number::from(n))
    }
}
impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn non_finite_numbers_are_found_with_their_path() {
        use super::Value;
        assert_eq!(Value::number(1.0e308).non_finite_path(), None);
        assert_eq!(Value::number(f64::INFINITY).non_finite_path(), Some(String::new()));
        let v = Value::map([
            ("a", Value::List(vec![Value::number(1.0), Value::Sensitive(Box::new(Value::number(f64::NAN)))].into())),
            ("b c", Value::number(f64::NEG_INFINITY)),
        ]);
        assert_eq!(v.non_finite_path(), Some(".a[1]".into()));
        let w = Value::map([("b c", Value::number(f64::NEG_INFINITY))]);
        assert_eq!(w.non_finite_path(), Some("[\"b c\"]".into()));
        let beyond = Value::Number(crate::Number::parse("1e999").unwrap());
        assert_eq!(beyond.non_finite_path(), None, "finite for Terraform, and state's JSON holds it");
    }

    use super::*;

    #[test]
    fn marks_round_trip_through_paths() {
        let v = Value::map([("a", Value::from("x").into_sensitive()), ("b", Value::List(vec![Value::from(1i64), Value::from("s").into_sensitive()].into()))]);
        let (plain, paths) = v.clone().unmark_deep();
        assert!(!plain.contains_sensitive());
        assert_eq!(paths.len(), 2);
        assert_eq!(plain.mark_paths(&paths), v);
    }

    #[test]
    fn value_map_keeps_keys_sorted_and_later_wins() {
        let mut m = ValueMap::new();
        for k in ["b", "d", "a", "c", "d"] {
            m.insert(k.to_string(), Value::from(k));
        }
        m.insert("d".into(), Value::from("D"));
        assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        assert_eq!(m.get("d"), Some(&Value::from("D")));
        assert_eq!(m.remove("b"), Some(Value::from("b")));
        assert!(!m.contains_key("b"));
        let collected: ValueMap = vec![("x", Value::from(1i64)), ("a", Value::from(2i64)), ("x", Value::from(3i64))].into_iter().collect();
        assert_eq!(collected.keys().map(String::as_str).collect::<Vec<_>>(), ["a", "x"]);
        assert_eq!(collected.get("x"), Some(&Value::from(3i64)), "a later entry wins, as in a BTreeMap");
    }

    #[test]
    fn map_kinds_are_ignored_by_value_equality_but_not_by_typed_equality() {
        let object = Value::map([("a", Value::from(1i64))]);
        let map = Value::typed_map([("a", Value::from(1i64))]);
        assert_eq!(map, object, "state and plans compare entries");
        assert!(!map.typed_eq(&object), "the language's == sees map vs object");
        assert!(map.typed_eq(&Value::typed_map([("a", Value::from(1i64))])));
        assert_eq!(map.type_json(), serde_json::json!(["map", "number"]));
        assert_eq!(object.type_json(), serde_json::json!(["object", {"a": "number"}]));
        let Value::Map(m) = map.clone().into_sensitive().unmark_deep().0 else { panic!("a map") };
        assert_eq!(m.kind(), MapKind::Map, "unmarking keeps the kind");
        let Value::Map(m) = map.redacted() else { panic!("a map") };
        assert_eq!(m.kind(), MapKind::Map, "redacting keeps the kind");
    }

    #[test]
    fn collected_entries_are_sorted_and_a_later_duplicate_wins() {
        let m: ValueMap = [("b", Value::from(1i64)), ("a", Value::from(2i64)), ("b", Value::from(3i64)), ("b", Value::from(4i64))].into_iter().collect();
        assert_eq!(m.iter().map(|(k, v)| (k.as_str(), v.clone())).collect::<Vec<_>>(), [("a", Value::from(2i64)), ("b", Value::from(4i64))]);
    }

    #[test]
    fn masks_mirror_the_value() {
        let v = Value::map([("id", Value::Unknown), ("name", Value::from("n"))]);
        assert_eq!(v.unknown_mask(), serde_json::json!({"id": true}));
        assert!(!v.is_wholly_known());
        assert_eq!(v.to_json(), serde_json::json!({"id": null, "name": "n"}));
    }
}

#[cfg(test)]
mod size {
    /// Plans of thousands of objects hold millions of values: a number
    /// must not make every value bigger (it was 32 bytes with `f64`).
    #[test]
    fn a_value_stays_32_bytes() {
        assert_eq!(std::mem::size_of::<super::Value>(), 32);
        assert_eq!(std::mem::size_of::<super::Number>(), 16);
    }
}
