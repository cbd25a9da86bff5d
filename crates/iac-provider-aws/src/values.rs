//! Small helpers for values at the attribute level (planning and the
//! provider-wide hooks work on values, not models), and the JSON comparison
//! policies are compared by.

use std::collections::BTreeMap;

use iac_core::Value;

pub fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
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
    iac_core::time::parse_duration(s.trim()).ok()
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
