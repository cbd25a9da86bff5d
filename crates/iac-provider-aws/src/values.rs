//! Small conversions between attribute values and the SDK's types, and the
//! JSON comparison policies are compared by.

use std::collections::BTreeMap;

use iac_core::Value;

pub fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub fn get_bool(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

pub fn get_i32(v: &Value, key: &str) -> Option<i32> {
    v.get(key).and_then(Value::as_f64).map(|n| n as i32)
}

/// The strings of a list or set attribute (empty when null).
pub fn get_strs(v: &Value, key: &str) -> Vec<String> {
    v.get(key).and_then(Value::as_list).unwrap_or(&[]).iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
}

pub fn get_str_map(v: &Value, key: &str) -> BTreeMap<String, String> {
    v.get(key).and_then(Value::as_map).map(|m| m.iter().filter_map(|(k, x)| x.as_str().map(|s| (k.clone(), s.to_string()))).collect()).unwrap_or_default()
}

/// The first object of a list block (`vpc_config[0]`).
pub fn block0<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).and_then(Value::as_list).and_then(|l| l.first())
}

pub fn opt(s: Option<&str>) -> Value {
    s.map(Value::from).unwrap_or(Value::Null)
}

pub fn opt_string(s: Option<String>) -> Value {
    s.map(Value::String).unwrap_or(Value::Null)
}

pub fn num(n: Option<i32>) -> Value {
    n.map(|n| Value::Number(n as f64)).unwrap_or(Value::Null)
}

pub fn boolean(b: Option<bool>) -> Value {
    b.map(Value::Bool).unwrap_or(Value::Null)
}

/// A sorted, de-duplicated set of strings.
pub fn str_set<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Value {
    let mut v: Vec<String> = items.into_iter().map(Into::into).collect();
    v.sort();
    v.dedup();
    Value::List(v.into_iter().map(Value::String).collect())
}

pub fn str_list<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Value {
    Value::List(items.into_iter().map(|s| Value::String(s.into())).collect())
}

pub fn str_map<'a, I: IntoIterator<Item = (&'a String, &'a String)>>(m: I) -> Value {
    Value::Map(m.into_iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect())
}

/// A map that is null when empty (AWS does not tell the two apart).
pub fn str_map_or_null(m: &BTreeMap<String, String>) -> Value {
    if m.is_empty() {
        Value::Null
    } else {
        str_map(m)
    }
}

pub fn set(v: &mut Value, key: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(key.to_string(), x);
    }
}

/// Two JSON documents are the same policy when they parse to equal values
/// (whitespace and key order aside).
pub fn json_equal(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<serde_json::Value>(a), serde_json::from_str::<serde_json::Value>(b)) {
        (Ok(x), Ok(y)) => canonical(&x) == canonical(&y),
        _ => a == b,
    }
}

/// Objects with sorted keys, and a one-element array equal to its element
/// (IAM returns `"Action": "sts:AssumeRole"` for `["sts:AssumeRole"]`).
fn canonical(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            let sorted: BTreeMap<&String, J> = m.iter().map(|(k, v)| (k, canonical(v))).collect();
            J::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        J::Array(a) if a.len() == 1 => canonical(&a[0]),
        J::Array(a) => J::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Keeps the configured text of a policy when AWS's copy means the same.
pub fn keep_equivalent_json(configured: Option<&str>, from_aws: &str) -> String {
    match configured {
        Some(c) if json_equal(c, from_aws) => c.to_string(),
        _ => from_aws.to_string(),
    }
}

/// Parses Terraform's durations ("30m", "1h30m", "90s", "2h").
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    let mut total = 0f64;
    let mut num = String::new();
    let mut any = false;
    for ch in s.trim().chars() {
        if ch.is_ascii_digit() || ch == '.' {
            num.push(ch);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match ch {
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        any = true;
    }
    if !num.is_empty() || !any {
        return None;
    }
    Some(std::time::Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_as_json() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let b = "{\n  \"Statement\": [{\"Action\": [\"sts:AssumeRole\"], \"Principal\": {\"Service\": \"eks.amazonaws.com\"}, \"Effect\": \"Allow\"}],\n  \"Version\": \"2012-10-17\"\n}";
        assert!(json_equal(a, b));
        let c = a.replace("eks.amazonaws.com", "ec2.amazonaws.com");
        assert!(!json_equal(a, &c));
        assert_eq!(keep_equivalent_json(Some(b), a), b);
        assert_eq!(keep_equivalent_json(Some(b), &c), c);
    }

    #[test]
    fn durations() {
        let d = |s| parse_duration(s).map(|d| d.as_secs());
        assert_eq!(d("30m"), Some(1800));
        assert_eq!(d("1h30m"), Some(5400));
        assert_eq!(d("90s"), Some(90));
        assert_eq!(d("2"), None);
        assert_eq!(d("5x"), None);
        assert_eq!(d(""), None);
    }
}
