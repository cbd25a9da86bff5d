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

/// A time as upstream stores most: Go's `time.RFC3339`, whole seconds in
/// UTC (`2026-12-06T12:07:39Z`; the fraction AWS may send is dropped).
pub fn rfc3339(d: &aws_smithy_types::DateTime) -> String {
    aws_smithy_types::DateTime::from_secs(d.secs()).fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_default()
}

/// A time as Go's `time.Time.String()` writes one the Go SDK read, which
/// some upstream resources store: milliseconds (the Go SDK keeps no more)
/// with trailing zeros dropped, in UTC (`2026-12-06 12:07:39.94 +0000 UTC`).
pub fn go_time_string(d: &aws_smithy_types::DateTime) -> String {
    let whole = rfc3339(d);
    let (day, time) = whole.split_once('T').unwrap_or((whole.as_str(), "Z"));
    let ms = d.subsec_nanos() / 1_000_000;
    let fraction = if ms == 0 { String::new() } else { format!(".{ms:03}").trim_end_matches('0').to_string() };
    format!("{day} {}{fraction} +0000 UTC", time.trim_end_matches('Z'))
}

/// Parses Terraform's durations ("30m", "1h30m", "90s", "2h").
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    iac_core::time::parse_duration(s.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_upstream_writes_them() {
        let t = aws_smithy_types::DateTime::from_fractional_secs(1_796_558_859, 0.9405);
        assert_eq!(rfc3339(&t), "2026-12-06T12:07:39Z");
        assert_eq!(go_time_string(&t), "2026-12-06 12:07:39.94 +0000 UTC");
        assert_eq!(go_time_string(&aws_smithy_types::DateTime::from_secs(1_796_558_859)), "2026-12-06 12:07:39 +0000 UTC");
        assert_eq!(go_time_string(&aws_smithy_types::DateTime::from_fractional_secs(1_796_558_859, 0.5)), "2026-12-06 12:07:39.5 +0000 UTC");
    }

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
