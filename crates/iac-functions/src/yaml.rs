//! yamldecode's reader: YAML parsed to events by libyaml (the pure-Rust
//! port serde_norway uses), and plain scalars resolved with the YAML 1.1
//! rules Terraform applies (its go-yaml based decoder): `yes`/`on`/`y` are
//! true, `no`/`off`/`n` false, `0x1F` and `0o17` integers, dates become RFC
//! 3339 timestamps, and mapping keys are resolved the same way before
//! becoming strings. serde_norway itself cannot do this: it resolves with
//! YAML 1.2 rules and does not say whether a scalar was quoted.
//!
//! The unsafe code is confined to driving libyaml's C-style parser API:
//! one parser, one event at a time, each event deleted after it is read.

// why: the YAML 1.1 resolution above needs to know which scalars were quoted;
// the libyaml port serde_norway already links tells it, through a raw-pointer
// API. A safe event parser would be a second YAML reader with its own quirks.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::mem::MaybeUninit;

use iac_core::{Value, ValueMap};
use unsafe_libyaml_norway as unsafe_yaml;

/// One collection being read.
enum Frame {
    Seq { items: Vec<Value>, anchor: Option<String> },
    Map { entries: ValueMap, merged: Vec<Value>, key: Option<String>, anchor: Option<String> },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<String, Value>,
    root: Option<Value>,
    documents: usize,
}

impl Builder {
    /// Places a finished node in its parent (or as the document).
    fn push(&mut self, v: Value, anchor: Option<String>, key_text: Option<String>) -> Result<(), String> {
        if let Some(a) = anchor {
            self.anchors.insert(a, v.clone());
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(v);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(v);
                Ok(())
            }
            Some(Frame::Map { entries, merged, key, .. }) => match key.take() {
                None => {
                    *key = Some(match key_text {
                        Some(k) => k,
                        None => return Err("mapping keys must be scalars".into()),
                    });
                    Ok(())
                }
                // `<<: *base` merges the mapping(s) in, without overriding keys of its own.
                Some(k) if k == "<<" => {
                    merged.push(v);
                    Ok(())
                }
                Some(k) => {
                    entries.insert(k, v);
                    Ok(())
                }
            },
        }
    }
}

fn text(ptr: *const u8, len: usize) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: libyaml hands out a buffer of `len` bytes that lives until the event is deleted.
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(ptr, len) }).into_owned()
}

fn c_text(ptr: *const u8) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: libyaml's anchors and tags are NUL-terminated strings owned by the event.
    Some(unsafe { std::ffi::CStr::from_ptr(ptr.cast()) }.to_string_lossy().into_owned())
}

/// Parses one YAML document (an empty stream is null).
pub(crate) fn decode(src: &str) -> Result<Value, String> {
    let mut b = Builder { stack: Vec::new(), anchors: HashMap::new(), root: None, documents: 0 };
    let mut parser = MaybeUninit::<unsafe_yaml::yaml_parser_t>::uninit();
    // SAFETY: the parser is initialised before use and deleted exactly once below;
    // the input string outlives it.
    unsafe {
        if unsafe_yaml::yaml_parser_initialize(parser.as_mut_ptr()).fail {
            return Err("cannot start the YAML parser".into());
        }
        let parser = parser.as_mut_ptr();
        unsafe_yaml::yaml_parser_set_input_string(parser, src.as_ptr(), src.len() as _);
        let result = read_events(parser, &mut b);
        unsafe_yaml::yaml_parser_delete(parser);
        result?;
    }
    Ok(b.root.unwrap_or(Value::Null))
}

/// SAFETY: `parser` is an initialised libyaml parser with its input set.
unsafe fn read_events(parser: *mut unsafe_yaml::yaml_parser_t, b: &mut Builder) -> Result<(), String> {
    loop {
        let mut event = MaybeUninit::<unsafe_yaml::yaml_event_t>::uninit();
        if unsafe_yaml::yaml_parser_parse(parser, event.as_mut_ptr()).fail {
            let p = &*parser;
            let problem = c_text(p.problem.cast()).unwrap_or_else(|| "invalid YAML".into());
            return Err(format!("on line {}, column {}: {problem}", p.problem_mark.line + 1, p.problem_mark.column + 1));
        }
        let mut event = event.assume_init();
        let step = handle(&event, b);
        unsafe_yaml::yaml_event_delete(&mut event);
        match step? {
            true => return Ok(()),
            false => continue,
        }
    }
}

/// Handles one event; true at the end of the stream.
unsafe fn handle(event: &unsafe_yaml::yaml_event_t, b: &mut Builder) -> Result<bool, String> {
    use unsafe_yaml::yaml_event_type_t::*;
    match event.type_ {
        YAML_STREAM_END_EVENT => return Ok(true),
        YAML_DOCUMENT_START_EVENT => {
            b.documents += 1;
            if b.documents > 1 {
                return Err("the YAML holds more than one document; yamldecode reads exactly one".into());
            }
        }
        YAML_ALIAS_EVENT => {
            let name = c_text(event.data.alias.anchor).unwrap_or_default();
            let v = b.anchors.get(&name).cloned().ok_or_else(|| format!("unknown anchor {name:?}"))?;
            let key_text = scalar_key_text(&v);
            b.push(v, None, key_text)?;
        }
        YAML_SCALAR_EVENT => {
            let s = &event.data.scalar;
            let raw = text(s.value, s.length as usize);
            let tag = c_text(s.tag);
            let plain = s.style == unsafe_yaml::yaml_scalar_style_t::YAML_PLAIN_SCALAR_STYLE;
            let v = scalar(&raw, tag.as_deref(), plain)?;
            // A plain `<<` key is YAML's merge key; anything else keys by its text as Terraform converts it.
            let key_text = if plain && raw == "<<" && tag.is_none() { Some("<<".to_string()) } else { scalar_key_text(&v) };
            b.push(v, c_text(s.anchor), key_text)?;
        }
        YAML_SEQUENCE_START_EVENT => {
            b.stack.push(Frame::Seq { items: Vec::new(), anchor: c_text(event.data.sequence_start.anchor) });
        }
        YAML_MAPPING_START_EVENT => {
            b.stack.push(Frame::Map { entries: ValueMap::new(), merged: Vec::new(), key: None, anchor: c_text(event.data.mapping_start.anchor) });
        }
        YAML_SEQUENCE_END_EVENT | YAML_MAPPING_END_EVENT => {
            let (v, anchor) = match b.stack.pop() {
                Some(Frame::Seq { items, anchor }) => (Value::List(items.into()), anchor),
                Some(Frame::Map { mut entries, merged, anchor, .. }) => {
                    for m in merged {
                        let sources = match m {
                            Value::List(items) => items,
                            other => vec![other].into(),
                        };
                        for src in sources {
                            let Value::Map(src) = src else { return Err("a merge key (<<) needs a mapping or a list of mappings".into()) };
                            for (k, v) in src.iter() {
                                if !entries.contains_key(k) {
                                    entries.insert(k.clone(), v.clone());
                                }
                            }
                        }
                    }
                    (Value::Map(entries), anchor)
                }
                None => return Err("unbalanced YAML collections".into()),
            };
            b.push(v, anchor, None)?;
        }
        _ => {}
    }
    Ok(false)
}

/// The text a scalar keys a mapping by (Terraform converts keys to strings).
fn scalar_key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some("null".into()),
        _ => None,
    }
}

const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// A scalar's value: quoted and `!!str` scalars are strings; plain ones and
/// those tagged with a core type are resolved.
fn scalar(raw: &str, tag: Option<&str>, plain: bool) -> Result<Value, String> {
    match tag.map(|t| t.strip_prefix(TAG_PREFIX).unwrap_or(t)) {
        Some("str") => return Ok(Value::String(raw.to_string())),
        Some("binary") => return Ok(Value::String(raw.to_string())),
        Some(t @ ("int" | "float" | "bool" | "null" | "timestamp")) => {
            return resolve_plain(raw).ok_or_else(|| format!("cannot decode {raw:?} as !!{t}"));
        }
        Some("!") => return Ok(Value::String(raw.to_string())),
        _ => {}
    }
    if !plain {
        return Ok(Value::String(raw.to_string()));
    }
    Ok(resolve_plain(raw).unwrap_or_else(|| Value::String(raw.to_string())))
}

/// YAML 1.1 resolution of a plain scalar; None: it is a string.
fn resolve_plain(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let signed = |n: iac_core::Number| if negative { n.neg() } else { n };
    let radix = |digits: &str, r: u32| -> Option<Value> {
        if digits.is_empty() || digits.starts_with(['+', '-']) {
            return None;
        }
        iac_core::Number::parse_int(digits, r).map(|n| Value::Number(signed(n)))
    };
    if let Some(h) = body.strip_prefix("0x") {
        return radix(h, 16);
    }
    if let Some(o) = body.strip_prefix("0o") {
        return radix(o, 8);
    }
    // Decimal integers (leading zeros included: Terraform reads 0777 as 777) and floats.
    let is_number = {
        let b = body.as_bytes();
        let mut i = 0;
        let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
        i += int_digits;
        let mut frac_digits = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            i += frac_digits;
        }
        let mut ok = int_digits + frac_digits > 0;
        if ok && matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            ok = exp > 0;
            i += exp;
        }
        ok && i == b.len()
    };
    if is_number {
        let text = body.strip_suffix('.').unwrap_or(body);
        let text = if text.starts_with('.') { format!("0{text}") } else { text.to_string() };
        return iac_core::Number::parse(&text).ok().map(|n| Value::Number(signed(n)));
    }
    timestamp(s).map(Value::String)
}

/// A YAML timestamp as Terraform writes it: a date alone is midnight UTC;
/// `T`/`t`-separated date-times become RFC 3339 without fractional seconds.
/// Other forms (space-separated) stay strings, as in Terraform.
fn timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let date_ok = b.len() >= 10 && b[4] == b'-' && b[7] == b'-' && [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit());
    if !date_ok {
        return None;
    }
    if b.len() == 10 {
        return crate::time::parse_rfc3339(&format!("{s}T00:00:00Z")).ok().map(|t| crate::time::format_rfc3339(&t));
    }
    if b[10] != b'T' && b[10] != b't' {
        return None;
    }
    let normalized = format!("{}T{}", &s[..10], s[11..].replace('z', "Z"));
    crate::time::parse_rfc3339(&normalized).ok().map(|t| crate::time::format_rfc3339(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_plain_scalars() {
        let v = decode("a: yes\nb: 'on'\nn: 1\nc: 0x1F\nd: 0777\ne: 2001-12-14\nf: !!str yes\ng: 1_000\nh: 1.\n").unwrap();
        let get = |k: &str| v.get(k).cloned().unwrap();
        assert_eq!(get("a"), Value::Bool(true));
        assert_eq!(get("b"), Value::from("on"));
        assert_eq!(get("false"), Value::number(1.0), "the key n is false");
        assert_eq!(get("c"), Value::number(31.0));
        assert_eq!(get("d"), Value::number(777.0));
        assert_eq!(get("e"), Value::from("2001-12-14T00:00:00Z"));
        assert_eq!(get("f"), Value::from("yes"));
        assert_eq!(get("g"), Value::from("1_000"));
        assert_eq!(get("h"), Value::number(1.0));
    }

    #[test]
    fn anchors_merges_and_documents() {
        let v = decode("base: &b {k1: 1, k2: 1}\nm:\n  <<: *b\n  k2: 2\n").unwrap();
        assert_eq!(v.get("m"), Some(&Value::map([("k1", Value::number(1.0)), ("k2", Value::number(2.0))])));
        assert_eq!(decode("").unwrap(), Value::Null);
        assert!(decode("a: 1\n---\nb: 2\n").is_err());
        assert!(decode("a: [1\n").unwrap_err().contains("line"));
    }
}
