//! cty's wire encodings, as Terraform's plugin protocol carries values: the
//! JSON description of a type, values in MessagePack (with unknown values as
//! extension values and dynamically typed values as `[type, value]` pairs),
//! and values in JSON (raw state, and the rare provider that answers in
//! JSON).
//!
//! iac's [`Value`] carries no type (lists, sets and tuples are all lists;
//! maps and objects are both maps), so every conversion here is driven by the
//! schema's type.

use std::collections::BTreeMap;

use iac_core::schema::set_normalize;
use iac_core::value::{MapKind, Number, SeqKind, Value, ValueMap};
use serde::{Deserialize, Serialize};

/// A cty type, as the provider's schema declares it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CtyType {
    Bool,
    Number,
    String,
    /// `cty.DynamicPseudoType`: the value carries its own type on the wire.
    Dynamic,
    List(Box<CtyType>),
    Set(Box<CtyType>),
    Map(Box<CtyType>),
    Object(BTreeMap<String, CtyType>),
    Tuple(Vec<CtyType>),
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{path}: {message}")]
pub struct CtyError {
    /// Where in the value (`tags["env"]`, `ingress[0].port`), or `(root)`.
    pub path: String,
    pub message: String,
}

fn err(path: &str, message: impl Into<String>) -> CtyError {
    CtyError { path: if path.is_empty() { "(root)".into() } else { path.to_string() }, message: message.into() }
}

impl CtyType {
    /// Parses cty's JSON type description (`"string"`, `["list","string"]`,
    /// `["object",{"a":"number"}]`, `"dynamic"`, ...).
    pub fn from_json(j: &serde_json::Value) -> Result<CtyType, CtyError> {
        use serde_json::Value as J;
        match j {
            J::String(s) => match s.as_str() {
                "bool" => Ok(CtyType::Bool),
                "number" => Ok(CtyType::Number),
                "string" => Ok(CtyType::String),
                "dynamic" => Ok(CtyType::Dynamic),
                other => Err(err("", format!("unknown primitive type {other:?}"))),
            },
            J::Array(parts) => {
                let kind = parts.first().and_then(J::as_str).ok_or_else(|| err("", "type array without a kind"))?;
                let arg = parts.get(1).ok_or_else(|| err("", format!("{kind} type without its element type")))?;
                match kind {
                    "list" => Ok(CtyType::List(Box::new(CtyType::from_json(arg)?))),
                    "set" => Ok(CtyType::Set(Box::new(CtyType::from_json(arg)?))),
                    "map" => Ok(CtyType::Map(Box::new(CtyType::from_json(arg)?))),
                    // A third element lists optional attributes; it matters
                    // only for type conversion in functions, not on the wire.
                    "object" => {
                        let attrs = arg.as_object().ok_or_else(|| err("", "object type without attributes"))?;
                        let mut out = BTreeMap::new();
                        for (k, v) in attrs {
                            out.insert(k.clone(), CtyType::from_json(v)?);
                        }
                        Ok(CtyType::Object(out))
                    }
                    "tuple" => {
                        let elems = arg.as_array().ok_or_else(|| err("", "tuple type without elements"))?;
                        Ok(CtyType::Tuple(elems.iter().map(CtyType::from_json).collect::<Result<_, _>>()?))
                    }
                    other => Err(err("", format!("unknown type kind {other:?}"))),
                }
            }
            other => Err(err("", format!("not a type description: {other}"))),
        }
    }

    pub fn from_json_bytes(b: &[u8]) -> Result<CtyType, CtyError> {
        let j: serde_json::Value = serde_json::from_slice(b).map_err(|e| err("", format!("type description is not JSON: {e}")))?;
        CtyType::from_json(&j)
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            CtyType::Bool => json!("bool"),
            CtyType::Number => json!("number"),
            CtyType::String => json!("string"),
            CtyType::Dynamic => json!("dynamic"),
            CtyType::List(t) => json!(["list", t.to_json()]),
            CtyType::Set(t) => json!(["set", t.to_json()]),
            CtyType::Map(t) => json!(["map", t.to_json()]),
            CtyType::Object(attrs) => {
                let m: serde_json::Map<String, serde_json::Value> = attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect();
                json!(["object", m])
            }
            CtyType::Tuple(ts) => json!(["tuple", ts.iter().map(CtyType::to_json).collect::<Vec<_>>()]),
        }
    }

    pub fn has_dynamic(&self) -> bool {
        match self {
            CtyType::Dynamic => true,
            CtyType::List(t) | CtyType::Set(t) | CtyType::Map(t) => t.has_dynamic(),
            CtyType::Object(attrs) => attrs.values().any(CtyType::has_dynamic),
            CtyType::Tuple(ts) => ts.iter().any(CtyType::has_dynamic),
            _ => false,
        }
    }

    /// The type of a value whose static type is `dynamic`: what its kinds
    /// say (a literal's tuples and objects; the lists, sets and maps
    /// conversions made).
    pub fn infer(v: &Value) -> CtyType {
        match v.unmarked() {
            Value::Bool(_) => CtyType::Bool,
            Value::Number(_) => CtyType::Number,
            Value::String(_) => CtyType::String,
            Value::List(items) => {
                let types: Vec<CtyType> = items.iter().map(CtyType::infer).collect();
                match (items.kind(), shared_concrete_type(types.iter())) {
                    (SeqKind::List, Some(t)) => CtyType::List(Box::new(t)),
                    (SeqKind::Set, Some(t)) => CtyType::Set(Box::new(t)),
                    _ => CtyType::Tuple(types),
                }
            }
            Value::Map(m) => {
                let types: BTreeMap<String, CtyType> = m.iter().map(|(k, v)| (k.clone(), CtyType::infer(v))).collect();
                match (m.kind(), shared_concrete_type(types.values())) {
                    (MapKind::Map, Some(t)) => CtyType::Map(Box::new(t)),
                    _ => CtyType::Object(types),
                }
            }
            Value::Null | Value::Unknown | Value::Sensitive(_) => CtyType::Dynamic,
        }
    }
}

/// The one concrete type a collection's elements have, if they share one
/// (none for an empty collection or one holding nulls: a value sent as
/// dynamic needs a concrete type, so those go as tuples and objects).
fn shared_concrete_type<'a>(mut types: impl Iterator<Item = &'a CtyType>) -> Option<CtyType> {
    let first = types.next()?;
    (!first.has_dynamic() && types.all(|t| t == first)).then(|| first.clone())
}

fn child_attr(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn child_key(path: &str, key: &str) -> String {
    format!("{path}[{key:?}]")
}

fn child_index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

// ---------------------------------------------------------------- msgpack

/// Encodes a value against a type in cty's MessagePack form. Sensitive marks
/// are dropped (the wire has none); attributes an object lacks are sent as
/// null, since cty objects always carry every attribute.
pub fn to_msgpack(v: &Value, ty: &CtyType) -> Result<Vec<u8>, CtyError> {
    let mut out = Vec::with_capacity(256);
    encode(&mut out, v, ty, "")?;
    Ok(out)
}

fn encode(out: &mut Vec<u8>, v: &Value, ty: &CtyType, path: &str) -> Result<(), CtyError> {
    let v = strip(v);
    match v {
        // cty's unknown value: fixext1, extension type 0, one zero byte.
        Value::Unknown => {
            out.extend_from_slice(&[0xd4, 0, 0]);
            return Ok(());
        }
        Value::Null => {
            out.push(0xc0);
            return Ok(());
        }
        _ => {}
    }
    match ty {
        CtyType::Dynamic => {
            let actual = CtyType::infer(v);
            let type_json = serde_json::to_vec(&actual.to_json()).expect("a type description serializes");
            write_array_len(out, 2);
            write_bin(out, &type_json);
            encode(out, v, &actual, path)
        }
        CtyType::String => match v {
            Value::String(s) => {
                write_str(out, s);
                Ok(())
            }
            Value::Number(n) => {
                write_str(out, &n.to_string());
                Ok(())
            }
            Value::Bool(b) => {
                write_str(out, if *b { "true" } else { "false" });
                Ok(())
            }
            other => Err(err(path, format!("string required, got {}", other.type_name()))),
        },
        CtyType::Number => {
            let n = match v {
                Value::Number(n) => n.clone(),
                Value::String(s) => Number::parse(s.trim()).map_err(|_| err(path, format!("a number is required, got {s:?}")))?,
                other => return Err(err(path, format!("number required, got {}", other.type_name()))),
            };
            write_number(out, &n);
            Ok(())
        }
        CtyType::Bool => {
            let b = match v {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" => true,
                Value::String(s) if s == "false" => false,
                other => return Err(err(path, format!("bool required, got {}", other.type_name()))),
            };
            out.push(if b { 0xc3 } else { 0xc2 });
            Ok(())
        }
        CtyType::List(et) | CtyType::Set(et) => {
            let items = match v {
                Value::List(items) => items,
                other => return Err(err(path, format!("{} required, got {}", kind_name(ty), other.type_name()))),
            };
            write_array_len(out, items.len());
            for (i, item) in items.iter().enumerate() {
                encode(out, item, et, &child_index(path, i))?;
            }
            Ok(())
        }
        CtyType::Tuple(ets) => {
            let items = match v {
                Value::List(items) if items.len() == ets.len() => items,
                Value::List(items) => return Err(err(path, format!("tuple of {} elements required, got {}", ets.len(), items.len()))),
                other => return Err(err(path, format!("tuple required, got {}", other.type_name()))),
            };
            write_array_len(out, items.len());
            for (i, (item, et)) in items.iter().zip(ets).enumerate() {
                encode(out, item, et, &child_index(path, i))?;
            }
            Ok(())
        }
        CtyType::Map(et) => {
            let m = match v {
                Value::Map(m) => m,
                other => return Err(err(path, format!("map required, got {}", other.type_name()))),
            };
            write_map_len(out, m.len());
            for (k, item) in m.iter() {
                write_str(out, k);
                encode(out, item, et, &child_key(path, k))?;
            }
            Ok(())
        }
        CtyType::Object(attrs) => {
            let m = match v {
                Value::Map(m) => m,
                other => return Err(err(path, format!("object required, got {}", other.type_name()))),
            };
            write_map_len(out, attrs.len());
            for (name, at) in attrs {
                write_str(out, name);
                match m.get(name.as_str()) {
                    Some(item) => encode(out, item, at, &child_attr(path, name))?,
                    None => out.push(0xc0),
                }
            }
            Ok(())
        }
    }
}

fn kind_name(ty: &CtyType) -> &'static str {
    match ty {
        CtyType::List(_) => "list",
        CtyType::Set(_) => "set",
        _ => "collection",
    }
}

/// The value without sensitive marks at the top (marks deeper down are
/// removed as the encoder reaches them).
fn strip(v: &Value) -> &Value {
    let mut v = v;
    while let Value::Sensitive(inner) = v {
        v = inner;
    }
    v
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    // As cty: whole numbers within 64 bits as integers, numbers a float64
    // holds exactly as float64, any other as its decimal text.
    if let Some(i) = n.to_i64() {
        write_int(out, i);
        return;
    }
    let f = n.to_f64();
    if n.partial_cmp_num(&Number::from_f64(f)) == Some(std::cmp::Ordering::Equal) {
        out.push(0xcb);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        write_str(out, &n.to_string());
    }
}

fn write_int(out: &mut Vec<u8>, i: i64) {
    if (0..=0x7f).contains(&i) {
        out.push(i as u8);
    } else if (-32..0).contains(&i) {
        out.push(i as i8 as u8);
    } else if i8::try_from(i).is_ok() {
        out.push(0xd0);
        out.push(i as i8 as u8);
    } else if i16::try_from(i).is_ok() {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i32::try_from(i).is_ok() {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n <= u8::MAX as usize {
        out.push(0xd9);
        out.push(n as u8);
    } else if n <= u16::MAX as usize {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len();
    if n <= u8::MAX as usize {
        out.push(0xc4);
        out.push(n as u8);
    } else if n <= u16::MAX as usize {
        out.push(0xc5);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

fn write_array_len(out: &mut Vec<u8>, n: usize) {
    if n < 16 {
        out.push(0x90 | n as u8);
    } else if n <= u16::MAX as usize {
        out.push(0xdc);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn write_map_len(out: &mut Vec<u8>, n: usize) {
    if n < 16 {
        out.push(0x80 | n as u8);
    } else if n <= u16::MAX as usize {
        out.push(0xde);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdf);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// Decodes cty's MessagePack form against a type. Unknown values (extension
/// values: type 0, and type 12 for unknowns carrying refinements) become
/// [`Value::Unknown`]; sets come back sorted as iac keeps them.
pub fn from_msgpack(bytes: &[u8], ty: &CtyType) -> Result<Value, CtyError> {
    let mut r = Reader { b: bytes, pos: 0 };
    let v = decode(&mut r, ty, "")?;
    if r.pos != bytes.len() {
        return Err(err("", format!("{} bytes left after the value", bytes.len() - r.pos)));
    }
    Ok(v)
}

/// One MessagePack item header.
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CtyError> {
        if self.pos + n > self.b.len() {
            return Err(err("", "truncated MessagePack"));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, CtyError> {
        Ok(self.take(1)?[0])
    }
    fn be(&mut self, n: usize) -> Result<u64, CtyError> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64))
    }

    fn item(&mut self) -> Result<Item<'a>, CtyError> {
        let m = self.u8()?;
        Ok(match m {
            0x00..=0x7f => Item::Int(m as i64),
            0x80..=0x8f => Item::Map((m & 0x0f) as usize),
            0x90..=0x9f => Item::Array((m & 0x0f) as usize),
            0xa0..=0xbf => Item::Str(self.take((m & 0x1f) as usize)?),
            0xc0 => Item::Nil,
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4..=0xc6 => {
                let n = self.be(1 << (m - 0xc4))? as usize;
                Item::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.be(1 << (m - 0xc7))? as usize;
                self.take(1 + n)?;
                Item::Ext
            }
            0xca => Item::Float(f32::from_bits(self.be(4)? as u32) as f64),
            0xcb => Item::Float(f64::from_bits(self.be(8)?)),
            0xcc => Item::Uint(self.be(1)?),
            0xcd => Item::Uint(self.be(2)?),
            0xce => Item::Uint(self.be(4)?),
            0xcf => Item::Uint(self.be(8)?),
            0xd0 => Item::Int(self.be(1)? as u8 as i8 as i64),
            0xd1 => Item::Int(self.be(2)? as u16 as i16 as i64),
            0xd2 => Item::Int(self.be(4)? as u32 as i32 as i64),
            0xd3 => Item::Int(self.be(8)? as i64),
            0xd4..=0xd8 => {
                self.take(1 + (1 << (m - 0xd4)))?;
                Item::Ext
            }
            0xd9..=0xdb => {
                let n = self.be(1 << (m - 0xd9))? as usize;
                Item::Str(self.take(n)?)
            }
            0xdc => Item::Array(self.be(2)? as usize),
            0xdd => Item::Array(self.be(4)? as usize),
            0xde => Item::Map(self.be(2)? as usize),
            0xdf => Item::Map(self.be(4)? as usize),
            0xe0..=0xff => Item::Int(m as i8 as i64),
            0xc1 => return Err(err("", "invalid MessagePack marker 0xc1")),
        })
    }
}

fn utf8(b: &[u8], path: &str) -> Result<String, CtyError> {
    String::from_utf8(b.to_vec()).map_err(|_| err(path, "string is not UTF-8"))
}

fn decode(r: &mut Reader<'_>, ty: &CtyType, path: &str) -> Result<Value, CtyError> {
    let item = r.item()?;
    match item {
        Item::Nil => return Ok(Value::Null),
        Item::Ext => return Ok(Value::Unknown),
        _ => {}
    }
    match ty {
        CtyType::Dynamic => {
            let Item::Array(2) = item else { return Err(err(path, "dynamic value is not a [type, value] pair")) };
            let type_json = match r.item()? {
                Item::Bin(b) | Item::Str(b) => b,
                _ => return Err(err(path, "dynamic value's type is not bytes")),
            };
            let actual = CtyType::from_json_bytes(type_json).map_err(|e| err(path, e.message))?;
            decode(r, &actual, path)
        }
        CtyType::String => match item {
            Item::Str(s) => Ok(Value::String(utf8(s, path)?)),
            _ => Err(err(path, "string expected")),
        },
        CtyType::Number => match item {
            Item::Int(i) => Ok(Value::Number(i.into())),
            Item::Uint(u) => Ok(Value::Number(u.into())),
            Item::Float(f) => Ok(Value::number(f)),
            // cty sends numbers that do not fit an int64 or float64 exactly
            // as decimal strings.
            Item::Str(s) => Number::parse(&utf8(s, path)?).map(Value::Number).map_err(|_| err(path, "number expected")),
            _ => Err(err(path, "number expected")),
        },
        CtyType::Bool => match item {
            Item::Bool(b) => Ok(Value::Bool(b)),
            _ => Err(err(path, "bool expected")),
        },
        CtyType::List(et) | CtyType::Set(et) => {
            let Item::Array(n) = item else { return Err(err(path, "array expected")) };
            let mut items = Vec::with_capacity(n.min(4096));
            for i in 0..n {
                items.push(decode(r, et, &child_index(path, i))?);
            }
            Ok(match ty {
                CtyType::Set(_) => Value::set(set_normalize(items)),
                _ => Value::list(items),
            })
        }
        CtyType::Tuple(ets) => {
            let Item::Array(n) = item else { return Err(err(path, "array expected")) };
            if n != ets.len() {
                return Err(err(path, format!("tuple of {} elements expected, got {n}", ets.len())));
            }
            let mut items = Vec::with_capacity(n);
            for (i, et) in ets.iter().enumerate() {
                items.push(decode(r, et, &child_index(path, i))?);
            }
            Ok(Value::List(items.into()))
        }
        CtyType::Map(et) => {
            let Item::Map(n) = item else { return Err(err(path, "map expected")) };
            let mut m = ValueMap::new();
            for _ in 0..n {
                let key = match r.item()? {
                    Item::Str(s) => utf8(s, path)?,
                    _ => return Err(err(path, "map key is not a string")),
                };
                let v = decode(r, et, &child_key(path, &key))?;
                m.insert(key, v);
            }
            Ok(Value::Map(m.with_kind(MapKind::Map)))
        }
        CtyType::Object(attrs) => {
            let Item::Map(n) = item else { return Err(err(path, "object expected")) };
            let mut m = ValueMap::new();
            for _ in 0..n {
                let key = match r.item()? {
                    Item::Str(s) => utf8(s, path)?,
                    _ => return Err(err(path, "attribute name is not a string")),
                };
                let at = attrs.get(&key).ok_or_else(|| err(path, format!("unexpected attribute {key:?}")))?;
                let v = decode(r, at, &child_attr(path, &key))?;
                m.insert(key, v);
            }
            for name in attrs.keys() {
                if !m.contains_key(name.as_str()) {
                    m.insert(name.clone(), Value::Null);
                }
            }
            Ok(Value::Map(m))
        }
    }
}

// ------------------------------------------------------------------- JSON

/// Decodes cty's JSON form against a type (no unknowns in JSON; dynamic
/// values are `{"value": ..., "type": ...}`).
pub fn from_json(j: &serde_json::Value, ty: &CtyType) -> Result<Value, CtyError> {
    from_json_at(j, ty, "")
}

fn from_json_at(j: &serde_json::Value, ty: &CtyType, path: &str) -> Result<Value, CtyError> {
    use serde_json::Value as J;
    if j.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        CtyType::Dynamic => {
            let actual = j.get("type").ok_or_else(|| err(path, "dynamic value without its type"))?;
            let actual = CtyType::from_json(actual)?;
            from_json_at(j.get("value").unwrap_or(&J::Null), &actual, path)
        }
        CtyType::String => match j {
            J::String(s) => Ok(Value::String(s.clone())),
            J::Number(n) => Ok(Value::String(n.to_string())),
            J::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(err(path, "string expected")),
        },
        CtyType::Number => match j {
            J::Number(n) => Ok(Value::Number(Number::from_json(n))),
            J::String(s) => Number::parse(s).map(Value::Number).map_err(|_| err(path, "number expected")),
            _ => Err(err(path, "number expected")),
        },
        CtyType::Bool => match j {
            J::Bool(b) => Ok(Value::Bool(*b)),
            J::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => Err(err(path, "bool expected")),
        },
        CtyType::List(et) | CtyType::Set(et) => {
            let J::Array(items) = j else { return Err(err(path, "array expected")) };
            let out = items.iter().enumerate().map(|(i, item)| from_json_at(item, et, &child_index(path, i))).collect::<Result<Vec<_>, _>>()?;
            Ok(match ty {
                CtyType::Set(_) => Value::set(set_normalize(out)),
                _ => Value::list(out),
            })
        }
        CtyType::Tuple(ets) => {
            let J::Array(items) = j else { return Err(err(path, "array expected")) };
            if items.len() != ets.len() {
                return Err(err(path, format!("tuple of {} elements expected", ets.len())));
            }
            Ok(Value::List(items.iter().zip(ets).enumerate().map(|(i, (item, et))| from_json_at(item, et, &child_index(path, i))).collect::<Result<_, _>>()?))
        }
        CtyType::Map(et) => {
            let J::Object(m) = j else { return Err(err(path, "object expected")) };
            let mut out = ValueMap::new();
            for (k, item) in m {
                out.insert(k.clone(), from_json_at(item, et, &child_key(path, k))?);
            }
            Ok(Value::Map(out.with_kind(MapKind::Map)))
        }
        CtyType::Object(attrs) => {
            let J::Object(m) = j else { return Err(err(path, "object expected")) };
            let mut out = ValueMap::new();
            for (name, at) in attrs {
                let v = match m.get(name) {
                    Some(item) => from_json_at(item, at, &child_attr(path, name))?,
                    None => Value::Null,
                };
                out.insert(name.clone(), v);
            }
            Ok(Value::Map(out))
        }
    }
}

/// A value as cty's JSON form, for raw state. Marks are dropped; state has
/// no unknown values (they would become null).
pub fn to_json(v: &Value, ty: &CtyType) -> serde_json::Value {
    let v = strip(v);
    match (ty, v) {
        (_, Value::Null | Value::Unknown) => serde_json::Value::Null,
        (CtyType::Dynamic, v) => {
            let actual = CtyType::infer(v);
            serde_json::json!({"value": to_json(v, &actual), "type": actual.to_json()})
        }
        (CtyType::List(et) | CtyType::Set(et), Value::List(items)) => serde_json::Value::Array(items.iter().map(|i| to_json(i, et)).collect()),
        (CtyType::Tuple(ets), Value::List(items)) => serde_json::Value::Array(items.iter().zip(ets).map(|(i, et)| to_json(i, et)).collect()),
        (CtyType::Map(et), Value::Map(m)) => serde_json::Value::Object(m.iter().map(|(k, i)| (k.clone(), to_json(i, et))).collect()),
        (CtyType::Object(attrs), Value::Map(m)) => serde_json::Value::Object(
            attrs.iter().map(|(k, at)| (k.clone(), m.get(k.as_str()).map(|i| to_json(i, at)).unwrap_or(serde_json::Value::Null))).collect(),
        ),
        (CtyType::String, Value::Number(n)) => serde_json::Value::String(n.to_string()),
        (CtyType::String, Value::Bool(b)) => serde_json::Value::String(b.to_string()),
        (CtyType::Number, Value::String(s)) => Number::parse(s).map(|n| n.to_json()).unwrap_or(serde_json::Value::Null),
        (_, v) => v.to_json(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj() -> CtyType {
        CtyType::from_json(&json!(["object", {
            "name": "string", "count": "number", "on": "bool",
            "tags": ["map", "string"], "ids": ["set", "string"], "rules": ["list", ["object", {"port": "number"}]],
            "any": "dynamic", "pair": ["tuple", ["string", "number"]]
        }]))
        .unwrap()
    }

    #[test]
    fn type_json_round_trips() {
        let t = obj();
        assert_eq!(CtyType::from_json(&t.to_json()).unwrap(), t);
        assert!(CtyType::from_json(&json!("strang")).is_err());
        assert_eq!(CtyType::from_json(&json!(["object", {"a": "string"}, ["a"]])).unwrap(), CtyType::Object([("a".to_string(), CtyType::String)].into()));
    }

    #[test]
    fn msgpack_round_trips_with_unknowns_nulls_and_dynamic() {
        let t = obj();
        let v = Value::map([
            ("name", Value::string("q").into_sensitive()),
            ("count", Value::number(300.0)),
            ("on", Value::Unknown),
            ("tags", Value::map([("env", Value::string("prod")), ("big", Value::string("x".repeat(70_000)))])),
            ("ids", Value::List(vec![Value::string("b"), Value::string("a")].into())),
            ("rules", Value::List(vec![Value::map([("port", Value::number(-1.5))]), Value::map([("port", Value::number(-7.0))])].into())),
            ("any", Value::map([("k", Value::List(vec![Value::Bool(true), Value::number(1e20)].into()))])),
            ("pair", Value::List(vec![Value::string("a"), Value::number(2.0)].into())),
        ]);
        let bytes = to_msgpack(&v, &t).unwrap();
        let back = from_msgpack(&bytes, &t).unwrap();
        let (plain, _) = v.unmark_deep();
        let mut expect = plain.as_map().unwrap().clone();
        expect.insert("ids".into(), Value::List(vec![Value::string("a"), Value::string("b")].into()));
        assert_eq!(back, Value::Map(expect));
        // A missing attribute goes out as null.
        let partial = to_msgpack(&Value::map([("name", Value::string("x"))]), &t).unwrap();
        assert_eq!(from_msgpack(&partial, &t).unwrap().get("count"), Some(&Value::Null));
    }

    #[test]
    fn whole_numbers_are_integers_on_the_wire() {
        assert_eq!(to_msgpack(&Value::number(5.0), &CtyType::Number).unwrap(), vec![5]);
        assert_eq!(to_msgpack(&Value::number(-1.0), &CtyType::Number).unwrap(), vec![0xff]);
        assert_eq!(to_msgpack(&Value::number(70000.0), &CtyType::Number).unwrap(), vec![0xd2, 0, 1, 0x11, 0x70]);
        assert_eq!(to_msgpack(&Value::Unknown, &CtyType::String).unwrap(), vec![0xd4, 0, 0]);
        // Refined unknowns (extension 12) decode as unknown too.
        assert_eq!(from_msgpack(&[0xc7, 2, 12, 0x81, 0x01], &CtyType::String).unwrap(), Value::Unknown);
        assert!(to_msgpack(&Value::string("x"), &CtyType::Number).is_err());
    }

    #[test]
    fn json_values_follow_the_type() {
        let t = obj();
        let j = json!({"name": "n", "count": 3, "ids": ["z", "a"], "any": {"value": ["a"], "type": ["tuple", ["string"]]}});
        let v = from_json(&j, &t).unwrap();
        assert_eq!(v.get("ids"), Some(&Value::List(vec![Value::string("a"), Value::string("z")].into())));
        assert_eq!(v.get("any"), Some(&Value::List(vec![Value::string("a")].into())));
        assert_eq!(v.get("on"), Some(&Value::Null));
        assert_eq!(from_json(&to_json(&v, &t), &t).unwrap(), v);
    }
}
