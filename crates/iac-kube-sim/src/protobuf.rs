//! Decoding of the few protobuf request bodies kubectl sends: its typed
//! `create namespace|configmap|secret|serviceaccount` commands post
//! `application/vnd.kubernetes.protobuf` (the `k8s\0` envelope around a
//! `runtime.Unknown`). Only these kinds' fields are known; any other
//! protobuf body is refused with 415, and clients fall back on JSON for everything else.

use serde_json::{json, Map, Value};

const MAGIC: &[u8] = b"k8s\0";

#[derive(Debug)]
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn fields(b: &[u8]) -> Option<Vec<(u64, Wire<'_>)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let key = varint(b, &mut pos)?;
        let value = match key & 7 {
            0 => Wire::Varint(varint(b, &mut pos)?),
            1 => {
                pos += 8;
                Wire::Fixed
            }
            2 => {
                let len = usize::try_from(varint(b, &mut pos)?).ok()?;
                let s = b.get(pos..pos.checked_add(len)?)?;
                pos += len;
                Wire::Bytes(s)
            }
            5 => {
                pos += 4;
                Wire::Fixed
            }
            _ => return None,
        };
        out.push((key >> 3, value));
    }
    (pos == b.len()).then_some(out)
}

fn text(w: &Wire<'_>) -> Option<String> {
    match w {
        Wire::Bytes(b) => String::from_utf8(b.to_vec()).ok(),
        _ => None,
    }
}

/// A `map<string, V>` entry: (key, raw value bytes).
fn entry<'a>(w: &Wire<'a>) -> Option<(String, &'a [u8])> {
    let Wire::Bytes(b) = w else { return None };
    let fs = fields(b)?;
    let key = fs.iter().find(|(n, _)| *n == 1).and_then(|(_, v)| text(v)).unwrap_or_default();
    let value = fs.iter().find_map(|(n, v)| match (n, v) {
        (2, Wire::Bytes(b)) => Some(*b),
        _ => None,
    });
    Some((key, value.unwrap_or(&[])))
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() { T[((n >> (18 - 6 * i)) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

fn string_map(entries: &[(u64, Wire<'_>)], field: u64, as_base64: bool) -> Option<Value> {
    let mut m = Map::new();
    for (_, w) in entries.iter().filter(|(n, _)| *n == field) {
        let (k, v) = entry(w)?;
        let v = if as_base64 { base64(v) } else { String::from_utf8(v.to_vec()).ok()? };
        m.insert(k, json!(v));
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

fn object_meta(b: &[u8]) -> Option<Value> {
    let fs = fields(b)?;
    let mut m = Map::new();
    for (n, w) in &fs {
        match n {
            1 => m.insert("name".into(), json!(text(w)?)),
            2 => m.insert("generateName".into(), json!(text(w)?)),
            3 => m.insert("namespace".into(), json!(text(w)?)),
            _ => None,
        };
    }
    if let Some(l) = string_map(&fs, 11, false) {
        m.insert("labels".into(), l);
    }
    if let Some(a) = string_map(&fs, 12, false) {
        m.insert("annotations".into(), a);
    }
    let finalizers: Vec<String> = fs.iter().filter(|(n, _)| *n == 14).filter_map(|(_, w)| text(w)).collect();
    if !finalizers.is_empty() {
        m.insert("finalizers".into(), json!(finalizers));
    }
    Some(Value::Object(m))
}

/// The JSON form of a protobuf-encoded object, or why it cannot be read.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let rest = body.strip_prefix(MAGIC).ok_or("the protobuf body lacks the k8s envelope")?;
    let unknown = fields(rest).ok_or("the protobuf envelope is malformed")?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for (n, w) in &unknown {
        match (n, w) {
            (1, Wire::Bytes(tm)) => {
                for (tn, tw) in fields(tm).ok_or("malformed typeMeta")? {
                    match tn {
                        1 => api_version = text(&tw).unwrap_or_default(),
                        2 => kind = text(&tw).unwrap_or_default(),
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(r)) => raw = r,
            _ => {}
        }
    }
    let fs = fields(raw).ok_or("the protobuf object is malformed")?;
    let meta = fs.iter().find_map(|(n, w)| match (n, w) {
        (1, Wire::Bytes(b)) => object_meta(b),
        _ => None,
    });
    let mut obj = json!({"apiVersion": api_version, "kind": kind, "metadata": meta.unwrap_or(json!({}))});
    let flag = |field: u64| fs.iter().find_map(|(n, w)| if let (true, Wire::Varint(v)) = (*n == field, w) { Some(*v != 0) } else { None });
    match (api_version.as_str(), kind.as_str()) {
        ("v1", "Namespace") => {}
        ("v1", "ServiceAccount") => {
            if let Some(b) = flag(4) {
                obj["automountServiceAccountToken"] = json!(b);
            }
        }
        ("v1", "ConfigMap") => {
            if let Some(d) = string_map(&fs, 2, false) {
                obj["data"] = d;
            }
            if let Some(d) = string_map(&fs, 3, true) {
                obj["binaryData"] = d;
            }
            if let Some(b) = flag(4) {
                obj["immutable"] = json!(b);
            }
        }
        ("v1", "Secret") => {
            if let Some(d) = string_map(&fs, 2, true) {
                obj["data"] = d;
            }
            if let Some(t) = fs.iter().find(|(n, _)| *n == 3).and_then(|(_, w)| text(w)) {
                obj["type"] = json!(t);
            }
            if let Some(d) = string_map(&fs, 4, false) {
                obj["stringData"] = d;
            }
            if let Some(b) = flag(5) {
                obj["immutable"] = json!(b);
            }
        }
        _ => return Err(format!("protobuf bodies of {api_version} {kind} are not supported; send JSON")),
    }
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_field(n: u64, b: &[u8]) -> Vec<u8> {
        let mut out = vec![((n << 3) | 2) as u8, b.len() as u8];
        out.extend_from_slice(b);
        out
    }

    fn entry(k: &str, v: &[u8]) -> Vec<u8> {
        [bytes_field(1, k.as_bytes()), bytes_field(2, v)].concat()
    }

    #[test]
    fn a_configmap_in_the_k8s_envelope_decodes() {
        let meta = [bytes_field(1, b"settings"), bytes_field(11, &entry("app", b"web"))].concat();
        let cm = [bytes_field(1, &meta), bytes_field(2, &entry("a", b"1")), bytes_field(3, &entry("bin", b"hi"))].concat();
        let type_meta = [bytes_field(1, b"v1"), bytes_field(2, b"ConfigMap")].concat();
        let body = [MAGIC.to_vec(), bytes_field(1, &type_meta), bytes_field(2, &cm)].concat();
        let v = decode(&body).unwrap();
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "labels": {"app": "web"}}, "data": {"a": "1"}, "binaryData": {"bin": "aGk="}})
        );
    }

    #[test]
    fn other_kinds_and_garbage_are_refused() {
        let type_meta = [bytes_field(1, b"apps/v1"), bytes_field(2, b"Deployment")].concat();
        let body = [MAGIC.to_vec(), bytes_field(1, &type_meta)].concat();
        assert!(decode(&body).unwrap_err().contains("apps/v1 Deployment"));
        assert!(decode(b"not protobuf").is_err());
        assert!(decode(&[MAGIC, &[0x0a, 0x7f]].concat()).is_err(), "a length past the end");
    }
}
