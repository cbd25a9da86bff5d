//! JSON values against OpenAPI 3.0 schema objects: `$ref`, `allOf`,
//! `anyOf`/`oneOf`, `type`, `nullable`, `enum`, `required`, `properties`,
//! `items`, `readOnly`, `format` (uuid, date-time, cidr, uri, byte),
//! `pattern`, `maxLength`, `minimum`/`maximum`, and undeclared properties.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Contract;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Request,
    Response,
}

type Errs = Vec<(String, String)>;

/// Validates `value` at `at`, pushing (location, message) pairs.
pub fn validate(c: &Contract, schema: &Value, value: &Value, mode: Mode, at: &str, out: &mut Errs) {
    let schema = c.resolve(schema);
    if value.is_object() {
        let declared = declared_props(c, schema);
        let open = schema.get("additionalProperties").is_some_and(|a| a != &Value::Bool(false));
        if !declared.is_empty() && !open {
            if let Some(obj) = value.as_object() {
                for k in obj.keys() {
                    if !declared.contains_key(k) {
                        out.push((format!("{at}.{k}"), "property is not declared by the schema".into()));
                    }
                }
            }
        }
    }
    validate_inner(c, schema, value, mode, at, out);
}

/// Every property declared at this level, through `$ref`s and combinators.
fn declared_props<'a>(c: &'a Contract, schema: &'a Value) -> BTreeMap<String, &'a Value> {
    let schema = c.resolve(schema);
    let mut out = BTreeMap::new();
    if let Some(p) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in p {
            out.insert(k.clone(), c.resolve(v));
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
            out.extend(declared_props(c, sub));
        }
    }
    out
}

fn nullable(c: &Contract, schema: &Value) -> bool {
    let schema = c.resolve(schema);
    schema.get("nullable") == Some(&Value::Bool(true)) || schema.get("allOf").and_then(Value::as_array).is_some_and(|a| a.iter().any(|s| nullable(c, s)))
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        _ => true,
    }
}

fn validate_inner(c: &Contract, schema: &Value, value: &Value, mode: Mode, at: &str, out: &mut Errs) {
    let schema = c.resolve(schema);
    if value.is_null() {
        if !nullable(c, schema) && (schema.get("type").is_some() || schema.get("properties").is_some()) {
            out.push((at.into(), "null is not allowed (the schema is not nullable)".into()));
        }
        return;
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        if !type_ok(t, value) {
            out.push((at.into(), format!("expected {t}, got {}", kind(value))));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            out.push((at.into(), format!("{value} is not one of {}", Value::Array(e.clone()))));
        }
    }
    if let Some(s) = value.as_str() {
        check_string(schema, s, at, out);
    }
    if let Some(n) = value.as_f64() {
        if schema.get("minimum").and_then(Value::as_f64).is_some_and(|m| n < m) {
            out.push((at.into(), format!("{n} is below the minimum {}", schema["minimum"])));
        }
        if schema.get("maximum").and_then(Value::as_f64).is_some_and(|m| n > m) {
            out.push((at.into(), format!("{n} is above the maximum {}", schema["maximum"])));
        }
    }
    for sub in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        validate_inner(c, sub, value, mode, at, out);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            let ok = alts.iter().any(|s| {
                let mut errs = Vec::new();
                validate_inner(c, s, value, mode, at, &mut errs);
                errs.is_empty()
            });
            if !ok {
                out.push((at.into(), format!("matches none of the {key} alternatives")));
            }
        }
    }
    if let Some(obj) = value.as_object() {
        let props = declared_props(c, schema);
        // Only the schema's own properties are checked here; combinators check theirs.
        for (k, v) in obj {
            let Some(ps) = schema.get("properties").and_then(|p| p.get(k)).map(|p| c.resolve(p)) else { continue };
            if mode == Mode::Request && ps.get("readOnly") == Some(&Value::Bool(true)) {
                out.push((format!("{at}.{k}"), "readOnly property sent in a request".into()));
                continue;
            }
            validate(c, ps, v, mode, &format!("{at}.{k}"), out);
        }
        for r in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let Some(name) = r.as_str() else { continue };
            let read_only = props.get(name).is_some_and(|p| p.get("readOnly") == Some(&Value::Bool(true)));
            if !(obj.contains_key(name) || mode == Mode::Request && read_only) {
                out.push((format!("{at}.{name}"), "required property is missing".into()));
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, item) in arr.iter().enumerate() {
            validate(c, items, item, mode, &format!("{at}[{i}]"), out);
        }
    }
}

fn check_string(schema: &Value, s: &str, at: &str, out: &mut Errs) {
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        if s.chars().count() as u64 > max {
            out.push((at.into(), format!("longer than {max} characters")));
        }
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        match regex_lite::Regex::new(p) {
            Ok(re) if !re.is_match(s) => out.push((at.into(), format!("{s:?} does not match the pattern {p}"))),
            Ok(_) => {}
            Err(e) => out.push((at.into(), format!("the schema's pattern {p:?} does not compile: {e}"))),
        }
    }
    let ok = match schema.get("format").and_then(Value::as_str) {
        Some("uuid") => is_uuid(s),
        Some("date-time") => is_date_time(s),
        Some("cidr") => is_cidr(s),
        Some("uri") => s.contains("://"),
        Some("byte") => s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
        _ => true,
    };
    if !ok {
        out.push((at.into(), format!("{s:?} is not a valid {}", schema["format"].as_str().unwrap_or("?"))));
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    s.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b[10] == b'T' || b[10] == b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && (s.ends_with('Z') || s.ends_with('z') || s[19..].contains(['+', '-']))
}

fn is_cidr(s: &str) -> bool {
    s.split_once('/').is_some_and(|(ip, bits)| ip.parse::<std::net::IpAddr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 128))
}
