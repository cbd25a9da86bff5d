//! JSON text with Terraform's numbers kept exact: the one place where state,
//! saved plans and JSON outputs turn values into JSON and back.
//!
//! serde_json's own numbers hold an `i64`, a `u64` or an `f64`, so a value
//! such as `1/3` (512 bits), `1e30` or `18446744073709551617` would come back
//! as its nearest float64, where Terraform writes every digit its number
//! has. serde_json's `arbitrary_precision` feature would fix that for the
//! whole build, and so change what every other crate's JSON (kube's, the
//! SDKs') does; instead numbers are written here as raw text (serde_json's
//! `RawValue`) and read here by a small parser that hands a number's text to
//! [`Number::parse`].
//!
//! [`Json`] is a JSON document with exact numbers and ordered object keys
//! (Terraform's JSON formats have a field order). It deliberately does not
//! implement `Serialize`: putting one into `serde_json::json!` would go
//! through `serde_json::Value` and lose the digits silently; [`Exact`] is the
//! explicit way to embed one in a serde-serialized structure, and
//! [`plain`] the field attribute for a [`Value`] held in state.

use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::number::Number;
use crate::value::{Value, ValueMap};

/// How deep arrays and objects may nest: serde_json's own limit, so a
/// document either reader accepts the other accepts too (and no input can
/// exhaust the stack).
const MAX_DEPTH: usize = 128;

/// A JSON document whose numbers are [`Number`]s.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Map),
}

/// A JSON object: keys in insertion order (a key inserted again keeps its
/// place and takes the new value, as serde_json's ordered map does).
/// Equality ignores the order, as serde_json's does.
#[derive(Clone, Debug, Default)]
pub struct Map(Vec<(String, Json)>);

impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

/// Why a text is not the JSON this module reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct JsonError {
    pub message: String,
    pub offset: usize,
}

static NULL: Json = Json::Null;

/// The JSON text of a number as Terraform writes it: every digit of its
/// shortest decimal form, never an exponent; `-0` as `0` (JSON has no
/// negative zero Terraform writes). None when it is not finite (JSON has
/// no infinity; callers refuse such numbers before they reach state).
///
/// One deliberate difference: Go's shortest form of a float64 that is a
/// power of two (`pow(2, 64)`: `18446744073709550000`) can read back as
/// its neighbour below, which is why Terraform reports "inconsistent
/// result" for such a value in a resource; iac writes the float64's
/// shortest form that reads back as itself (`18446744073709552000`), so a
/// plan after apply stays empty.
pub fn number_text(n: &Number) -> Option<String> {
    if !n.is_finite() {
        return None;
    }
    if n.is_zero() {
        return Some("0".into());
    }
    let text = n.to_string();
    if n.is_float64() && Number::parse(&text).ok().as_ref() != Some(n) {
        // Rust's `Display` of an f64: the shortest digits that round-trip, no exponent.
        return Some(format!("{}", n.to_f64()));
    }
    Some(text)
}

impl Map {
    pub fn new() -> Map {
        Map(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn insert(&mut self, key: String, value: Json) -> Option<Json> {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Json)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Json> + ExactSizeIterator {
        self.0.iter_mut().map(|(_, v)| v)
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }
}

impl<K: Into<String>> FromIterator<(K, Json)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Json)>>(iter: I) -> Map {
        let mut m = Map::new();
        for (k, v) in iter {
            m.insert(k.into(), v);
        }
        m
    }
}

impl IntoIterator for Map {
    type Item = (String, Json);
    type IntoIter = std::vec::IntoIter<(String, Json)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Json);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, Json)>, fn(&'a (String, Json)) -> (&'a String, &'a Json)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Json;
    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

impl Json {
    /// Reads a JSON text. Numbers keep every digit; a number beyond what
    /// [`Number::parse`] accepts (an exponent over 100,000) is an error.
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        parse_document(text)
    }

    /// [`Json::parse`] of bytes, which must be UTF-8.
    pub fn from_slice(bytes: &[u8]) -> Result<Json, JsonError> {
        let text = std::str::from_utf8(bytes).map_err(|e| JsonError { message: "invalid UTF-8".into(), offset: e.valid_up_to() })?;
        Json::parse(text)
    }

    /// Compact JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(&Exact(self)).expect("a JSON document serializes")
    }

    /// JSON text indented by two spaces (serde_json's pretty layout).
    pub fn to_text_pretty(&self) -> String {
        serde_json::to_string_pretty(&Exact(self)).expect("a JSON document serializes")
    }

    /// The JSON of a value: unknown values are null, sensitive ones their
    /// inner value (callers redact before when they must), numbers exact
    /// (null when not finite), sets and tuples arrays, maps and objects
    /// objects in key order.
    pub fn from_value(v: &Value) -> Json {
        match v {
            Value::Null | Value::Unknown => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) if n.is_finite() => Json::Number(n.clone()),
            Value::Number(_) => Json::Null,
            Value::String(s) => Json::String(s.clone()),
            Value::List(items) => Json::Array(items.iter().map(Json::from_value).collect()),
            Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), Json::from_value(v))).collect()),
            Value::Sensitive(inner) => Json::from_value(inner),
        }
    }

    /// The value of a JSON document (arrays are lists, objects maps).
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::List(items.iter().map(Json::to_value).collect()),
            Json::Object(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), v.to_value())).collect::<ValueMap>()),
        }
    }

    /// The document as serde_json holds it, for JSON that is not state, a
    /// plan or an output (drift reports): numbers beyond 64-bit integers
    /// become their nearest float64 there.
    pub fn to_serde_json(&self) -> serde_json::Value {
        match self {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => serde_json::Value::Bool(*b),
            Json::Number(n) => n.to_json(),
            Json::String(s) => serde_json::Value::String(s.clone()),
            Json::Array(items) => serde_json::Value::Array(items.iter().map(Json::to_serde_json).collect()),
            Json::Object(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_serde_json())).collect()),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.get(key),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(m) => m.get_mut(key),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A whole number that fits a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) if n.is_integer() => n.to_i128().and_then(|i| u64::try_from(i).ok()),
            _ => None,
        }
    }

    /// A whole number that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) if n.is_integer() => n.to_i64(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }
}

impl std::ops::Index<&str> for Json {
    type Output = Json;
    /// Null for a missing key or a non-object, as serde_json's `Value` does.
    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

impl PartialEq<&str> for Json {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

/// serde_json's documents (literals written with `json!`, what other
/// crates hand over) as exact ones: their numbers are already 64-bit
/// integers or float64s, so nothing is lost here.
impl From<serde_json::Value> for Json {
    fn from(j: serde_json::Value) -> Json {
        match j {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(b),
            serde_json::Value::Number(n) => Json::Number(Number::from_json(&n)),
            serde_json::Value::String(s) => Json::String(s),
            serde_json::Value::Array(items) => Json::Array(items.into_iter().map(Json::from).collect()),
            serde_json::Value::Object(m) => Json::Object(m.into_iter().map(|(k, v)| (k, Json::from(v))).collect()),
        }
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::String(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::String(s)
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

impl From<Number> for Json {
    fn from(n: Number) -> Json {
        Json::Number(n)
    }
}

impl From<Map> for Json {
    fn from(m: Map) -> Json {
        Json::Object(m)
    }
}

impl From<Vec<Json>> for Json {
    fn from(items: Vec<Json>) -> Json {
        Json::Array(items)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// A raw JSON number for serde_json's serializer. Any other serializer
/// sees a map with serde_json's private key, which is why [`Exact`] is
/// for serde_json only.
fn serialize_number<S: serde::Serializer>(n: &Number, s: S) -> Result<S::Ok, S::Error> {
    match number_text(n) {
        Some(text) => RawValue::from_string(text).map_err(serde::ser::Error::custom)?.serialize(s),
        None => s.serialize_unit(),
    }
}

/// A [`Json`] document inside a structure serde_json serializes, numbers
/// written as their exact text.
pub struct Exact<'a>(pub &'a Json);

impl Serialize for Exact<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => serialize_number(n, s),
            Json::String(v) => s.serialize_str(v),
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(&Exact(i))?;
                }
                seq.end()
            }
            Json::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, &Exact(v))?;
                }
                map.end()
            }
        }
    }
}

/// A value written as plain JSON ([`Json::from_value`]'s mapping) without
/// building the document first.
struct PlainValue<'a>(&'a Value);

impl Serialize for PlainValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null | Value::Unknown => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => serialize_number(n, s),
            Value::String(v) => s.serialize_str(v),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(&PlainValue(i))?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, &PlainValue(v))?;
                }
                map.end()
            }
            Value::Sensitive(inner) => PlainValue(inner).serialize(s),
        }
    }
}

/// `#[serde(with = "iac_core::json::plain")]` for a [`Value`] field held as
/// plain JSON (state's attributes and outputs): written with exact numbers,
/// read through [`Json::parse`] of the field's raw text.
pub mod plain {
    use super::*;

    pub fn serialize<S: serde::Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        PlainValue(v).serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        parse_value(raw.get()).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "iac_core::json::exact")]` for a [`Json`] field.
pub mod exact {
    use super::*;

    pub fn serialize<S: serde::Serializer>(j: &Json, s: S) -> Result<S::Ok, S::Error> {
        Exact(j).serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Json::parse(raw.get()).map_err(serde::de::Error::custom)
    }
}

/// The value of a JSON text ([`Json::to_value`] of [`Json::parse`]),
/// read straight into the value: state holds thousands of objects, and
/// building each as a document first and then copying its strings into a
/// value cost a third of reading the state.
pub fn parse_value(text: &str) -> Result<Value, JsonError> {
    parse_document(text)
}

/// What the parser builds: a [`Json`] document or a [`Value`], each from
/// the same grammar so both read exactly the same texts.
trait Build: Sized {
    type Object: Default;
    fn null() -> Self;
    fn bool(b: bool) -> Self;
    fn number(n: Number) -> Self;
    fn string(s: String) -> Self;
    fn array(items: Vec<Self>) -> Self;
    /// Adds an entry; a key given again takes the later value.
    fn insert(object: &mut Self::Object, key: String, value: Self);
    fn object(object: Self::Object) -> Self;
}

impl Build for Json {
    type Object = Map;
    fn null() -> Json {
        Json::Null
    }
    fn bool(b: bool) -> Json {
        Json::Bool(b)
    }
    fn number(n: Number) -> Json {
        Json::Number(n)
    }
    fn string(s: String) -> Json {
        Json::String(s)
    }
    fn array(items: Vec<Json>) -> Json {
        Json::Array(items)
    }
    fn insert(object: &mut Map, key: String, value: Json) {
        object.insert(key, value);
    }
    fn object(object: Map) -> Json {
        Json::Object(object)
    }
}

impl Build for Value {
    type Object = ValueMap;
    fn null() -> Value {
        Value::Null
    }
    fn bool(b: bool) -> Value {
        Value::Bool(b)
    }
    fn number(n: Number) -> Value {
        Value::Number(n)
    }
    fn string(s: String) -> Value {
        Value::String(s)
    }
    fn array(items: Vec<Value>) -> Value {
        Value::List(items.into())
    }
    fn insert(object: &mut ValueMap, key: String, value: Value) {
        object.insert(key, value);
    }
    fn object(object: ValueMap) -> Value {
        Value::Map(object)
    }
}

fn parse_document<T: Build>(text: &str) -> Result<T, JsonError> {
    let mut p = Parser { s: text.as_bytes(), text, pos: 0 };
    p.ws();
    let v = p.value::<T>(0)?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.error("trailing characters"));
    }
    Ok(v)
}

/// A recursive-descent reader of RFC 8259 JSON.
struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> JsonError {
        JsonError { message: message.into(), offset: self.pos }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn literal<T>(&mut self, word: &str, v: T) -> Result<T, JsonError> {
        if self.s[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn value<T: Build>(&mut self, depth: usize) -> Result<T, JsonError> {
        match self.s.get(self.pos) {
            None => Err(self.error("unexpected end")),
            Some(b'n') => self.literal("null", T::null()),
            Some(b't') => self.literal("true", T::bool(true)),
            Some(b'f') => self.literal("false", T::bool(false)),
            Some(b'"') => self.string().map(T::string),
            Some(b'-' | b'0'..=b'9') => self.number().map(T::number),
            Some(b'[') => {
                if depth + 1 >= MAX_DEPTH {
                    return Err(self.error("nested too deeply"));
                }
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(T::array(items));
                }
                loop {
                    self.ws();
                    items.push(self.value::<T>(depth + 1)?);
                    self.ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(T::array(items));
                        }
                        _ => return Err(self.error("expected , or ]")),
                    }
                }
            }
            Some(b'{') => {
                if depth + 1 >= MAX_DEPTH {
                    return Err(self.error("nested too deeply"));
                }
                self.pos += 1;
                let mut m = T::Object::default();
                self.ws();
                if self.s.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(T::object(m));
                }
                loop {
                    self.ws();
                    if self.s.get(self.pos) != Some(&b'"') {
                        return Err(self.error("expected a key"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.pos) != Some(&b':') {
                        return Err(self.error("expected :"));
                    }
                    self.pos += 1;
                    self.ws();
                    let v = self.value::<T>(depth + 1)?;
                    T::insert(&mut m, k, v);
                    self.ws();
                    match self.s.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(T::object(m));
                        }
                        _ => return Err(self.error("expected , or }")),
                    }
                }
            }
            Some(_) => Err(self.error("expected a value")),
        }
    }

    /// A string: its extent found here, its escapes decoded by serde_json
    /// (which also refuses control characters and lone surrogates).
    fn string(&mut self) -> Result<String, JsonError> {
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        loop {
            match self.s.get(self.pos) {
                None => return Err(JsonError { message: "unterminated string".into(), offset: start }),
                Some(b'\\') => {
                    escaped = true;
                    self.pos += 2;
                }
                Some(b'"') => break,
                Some(_) => self.pos += 1,
            }
        }
        self.pos += 1;
        let quoted = self.text.get(start..self.pos).ok_or_else(|| JsonError { message: "invalid string".into(), offset: start })?;
        let inner = &quoted[1..quoted.len() - 1];
        if !escaped && !inner.bytes().any(|b| b < 0x20) {
            return Ok(inner.to_string());
        }
        serde_json::from_str::<String>(quoted).map_err(|e| JsonError { message: format!("invalid string: {e}"), offset: start })
    }

    /// A number of JSON's grammar, `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.pos;
        let digits = |p: &mut Parser| {
            let from = p.pos;
            while p.s.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.s.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int = digits(self);
        if int == 0 || (int > 1 && self.s[int_start] == b'0') {
            return Err(JsonError { message: "invalid number".into(), offset: start });
        }
        if self.s.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(JsonError { message: "invalid number".into(), offset: start });
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.s.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(JsonError { message: "invalid number".into(), offset: start });
            }
        }
        let text = &self.text[start..self.pos];
        Number::parse(text).map_err(|e| JsonError { message: e.to_string(), offset: start })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{InstanceState, OutputState, State};

    /// What Terraform 1.11.4 writes for `1/3` in state and `output -json`.
    const THIRD: &str = "0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335";

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    fn third() -> Number {
        Number::from(1).div(&Number::from(3))
    }

    /// The numbers of the Terraform comparison (tests/tf_formats.rs has the
    /// differential version), and the text Terraform writes for each.
    fn terraform_numbers() -> Vec<(Number, &'static str)> {
        vec![
            (third(), THIRD),
            (third().neg(), "-0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335"),
            (n("18446744073709551617"), "18446744073709551617"),
            (n("1e30"), "1000000000000000000000000000000"),
            (n("1e-30"), "0.000000000000000000000000000001"),
            (Number::from_f64(2f64.sqrt()), "1.4142135623730951"),
            // Terraform writes 18446744073709550000, which reads back as 2^64 - 2048.
            (Number::from_f64(2f64.powi(64)), "18446744073709552000"),
            (Number::from_f64(2f64.powi(-60)), "0.0000000000000000008673617379884035"),
            (Number::from(-7), "-7"),
            (Number::from_f64(-0.0), "0"),
        ]
    }

    #[test]
    fn numbers_are_written_with_every_digit_terraform_writes() {
        for (num, text) in terraform_numbers() {
            assert_eq!(Json::Number(num.clone()).to_text(), text);
            let v = Value::List(vec![Value::Number(num.clone())].into());
            assert_eq!(Json::from_value(&v).to_text(), format!("[{text}]"));
            let back = Json::parse(text).unwrap();
            assert_eq!(back, Json::Number(num.clone()), "{text} reads back as the same number");
            assert_eq!(back.to_text(), text, "and writes as the same text");
        }
        let huge = n("1e999");
        let text = Json::Number(huge.clone()).to_text();
        assert_eq!(text, format!("1{}", "0".repeat(999)));
        assert_eq!(Json::parse("1e999").unwrap(), Json::Number(huge));
        assert_eq!(Json::from_value(&Value::Number(Number::from_f64(f64::INFINITY))), Json::Null, "JSON has no infinity");
    }

    #[test]
    fn digits_serde_json_would_lose_are_kept() {
        // The nearest float64 of 1/3 is 0.333333333333333314829616256247...:
        // exact text must not read back as it.
        let j = Json::parse(THIRD).unwrap();
        let Json::Number(back) = &j else { panic!("a number") };
        assert!(back.partial_cmp_num(&Number::parse("0.3333333333333333").unwrap()) == Some(std::cmp::Ordering::Greater));
        assert_eq!(back.partial_cmp_num(&third()), Some(std::cmp::Ordering::Equal));
        let via_serde: serde_json::Value = serde_json::from_str(THIRD).unwrap();
        assert_ne!(via_serde.to_string(), THIRD, "serde_json alone loses digits (else this module would not be needed)");
    }

    #[test]
    fn documents_read_and_write_like_serde_json() {
        let text = r#"{"b":[1,-2.5,true,null,"x\"y\u00e9\ud83d\ude00"],"a":{"":{}},"c":[],"d":1e2,"e":-0}"#;
        let j = Json::parse(text).unwrap();
        let serde: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(j, Json::from(serde.clone()));
        assert_eq!(j.get("b").and_then(Json::as_array).map(Vec::len), Some(5));
        assert_eq!(j["b"].as_array().unwrap()[4], "x\"yé😀");
        assert_eq!(j["d"].as_u64(), Some(100));
        assert_eq!(j["missing"], Json::Null);
        assert_eq!(j.as_object().unwrap().keys().collect::<Vec<_>>(), ["b", "a", "c", "d", "e"], "keys keep their order");
        assert_eq!(Json::parse(r#"{"x":1,"y":[2]}"#).unwrap(), Json::parse(r#"{"y":[2],"x":1}"#).unwrap(), "which equality ignores");
        assert_ne!(Json::parse(r#"{"x":1}"#).unwrap(), Json::parse(r#"{"x":1,"y":2}"#).unwrap());
        assert_eq!(j.to_text(), r#"{"b":[1,-2.5,true,null,"x\"yé😀"],"a":{"":{}},"c":[],"d":100,"e":0}"#);
        let plain = Json::parse(r#"{"b":[1,-2.5,true,null,"s"],"a":{"":{}},"c":[]}"#).unwrap();
        let plain_serde: serde_json::Value = serde_json::from_str(&plain.to_text()).unwrap();
        assert_eq!(plain.to_text_pretty(), serde_json::to_string_pretty(&plain_serde).unwrap(), "serde_json's pretty layout");
        assert_eq!(Json::parse(r#"{"a":1,"a":2}"#).unwrap(), Json::Object(Map::from_iter([("a", Json::Number(2.into()))])), "the last of a repeated key wins");
    }

    #[test]
    fn values_read_straight_from_text_equal_the_documents_values() {
        let texts = [
            r#"{"b":[1,-2.5,true,null,"x\"y\u00e9\ud83d\ude00"],"a":{"":{}},"c":[],"d":1e2,"e":-0}"#,
            r#"{"z":1,"a":2,"m":{"y":[{"q":null,"p":"s"}],"x":false},"a":3}"#,
            "[]",
            "  null ",
            "-0.5e-3",
        ];
        for text in texts.into_iter().map(str::to_string).chain(terraform_numbers().into_iter().map(|(_, t)| format!("[{t}, {t}]"))) {
            let from_document = Json::parse(&text).unwrap().to_value();
            assert_eq!(parse_value(&text).unwrap(), from_document, "{text}");
        }
        let v = parse_value(r#"{"z":1,"a":2,"a":3}"#).unwrap();
        assert_eq!(v.as_map().unwrap().keys().collect::<Vec<_>>(), ["a", "z"], "a map's keys in order, the last of a repeated one winning");
        assert_eq!(v.as_map().unwrap().get("a"), Some(&Value::Number(3.into())));
        assert!(parse_value("[1,]").is_err() && parse_value("1 2").is_err() && parse_value("1e100001").is_err());
    }

    #[test]
    fn malformed_text_is_an_error_not_a_panic() {
        for bad in [
            "",
            " ",
            "01",
            "1.",
            ".5",
            "-",
            "+1",
            "1e",
            "1e+",
            "0x10",
            "NaN",
            "Infinity",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "[1 2]",
            "\"abc",
            "\"a\\",
            "\"\u{1}\"",
            "\"\\x\"",
            "nul",
            "truex",
            "[] []",
            "{\"a\"}",
            "1e100001",
        ] {
            assert!(Json::parse(bad).is_err() && parse_value(bad).is_err(), "{bad:?} is refused");
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err() || bad == "1e100001", "serde_json refuses {bad:?} too");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Json::parse(&deep).is_err() && serde_json::from_str::<serde_json::Value>(&deep).is_err(), "nesting is bounded");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(Json::parse(&ok).is_ok() && serde_json::from_str::<serde_json::Value>(&ok).is_ok(), "the same bound as serde_json's");
        assert!(Json::from_slice(b"\"\xff\"").is_err());
    }

    fn state_with(v: Value) -> State {
        let mut s = State::new("l".into());
        s.resources.insert(
            "terraform_data.x".parse().unwrap(),
            InstanceState::from_value(crate::address::ProviderAddr::new("terraform"), Value::map([("input", v.clone())])),
        );
        s.outputs.insert("o".into(), OutputState::new(v, false));
        s
    }

    #[test]
    fn state_keeps_every_digit() {
        let v = Value::List(terraform_numbers().into_iter().map(|(num, _)| Value::Number(num)).collect());
        let s = state_with(v.clone());
        let bytes = s.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        for (_, digits) in terraform_numbers() {
            assert!(text.contains(&format!(" {digits}")), "{digits} is written:\n{text}");
        }
        let back = State::from_bytes(&bytes).unwrap();
        assert_eq!(back, s);
        let list = |v: &Value| v.as_list().unwrap().iter().map(|x| Json::from_value(x).to_text()).collect::<Vec<_>>();
        assert_eq!(list(&back.outputs["o"].value), list(&v), "the same numbers, digit for digit");
        assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn state_format_1_reads_its_float64s_back_as_float64s() {
        // As iac wrote them before format 2: 1/3 as its nearest float64,
        // 2^64 + 1 as 1.8446744073709552e19, 64-bit integers exactly.
        let old = br#"{"version":1,"lineage":"l","serial":3,"resources":{"terraform_data.x":{"provider":{"name":"terraform"},"attributes":{"third":0.3333333333333333,"big":1.8446744073709552e19,"max":18446744073709551615,"i":-5}}},"outputs":{"o":{"value":0.3333333333333333}}}"#;
        let s = State::from_bytes(old).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.version, crate::state::STATE_FORMAT_VERSION);
        let a = &s.resources[&"terraform_data.x".parse().unwrap()].attributes;
        let num = |k: &str| a.get(k).and_then(Value::as_number).unwrap().clone();
        assert_eq!(num("third"), third(), "equal to the exact 1/3 the configuration computes: no change planned");
        assert_eq!(s.outputs["o"].value, Value::Number(third()));
        assert_eq!(num("big"), Number::from_f64(18446744073709551617.0));
        assert_eq!(Json::Number(num("max")).to_text(), "18446744073709551615");
        assert_eq!(num("i"), Number::from(-5));
        // Format 2 holds exact numbers: the same text is that decimal, not 1/3.
        let new = String::from_utf8(old.to_vec()).unwrap().replacen("\"version\":1", "\"version\":2", 1);
        let s = State::from_bytes(new.as_bytes()).unwrap();
        assert_ne!(s.outputs["o"].value, Value::Number(third()));
        assert_eq!(s.outputs["o"].value, Value::Number(n("0.3333333333333333")));
    }

    #[test]
    fn exact_documents_embed_in_serde_structures() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Doc {
            #[serde(with = "exact")]
            j: Json,
            #[serde(with = "plain")]
            v: Value,
        }
        let d = Doc { j: Json::Number(third()), v: Value::map([("n", Value::Number(n("1e30"))), ("s", Value::from("t"))]) };
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(text, format!(r#"{{"j":{THIRD},"v":{{"n":1000000000000000000000000000000,"s":"t"}}}}"#));
        assert_eq!(serde_json::from_str::<Doc>(&text).unwrap(), d);
    }
}
