//! Validation of an object against a CustomResourceDefinition's structural
//! OpenAPI v3 schema, as the API server validates a write: `type`
//! (`nullable`, `x-kubernetes-int-or-string`), `properties`, `required`,
//! `additionalProperties`, `items`, `enum`, `pattern`, the length, size and
//! range bounds, `uniqueItems`, `allOf`/`anyOf`/`oneOf`/`not`, unknown
//! fields (as `kubectl`'s strict validation reports them; under
//! `x-kubernetes-preserve-unknown-fields` anything goes), and the CEL rules
//! of `x-kubernetes-validations`, evaluated with this crate's expression
//! subset. Transition rules (those reading `oldSelf`) only apply to
//! updates, and validation here is of a new object, so they are skipped.
//! `format` is not checked. Defaults (`default`) are applied by [`apply_defaults`].

use serde_json::Value;

use crate::expr::{self, Env};
use crate::template::join;

/// The problems of `value` under `schema`, each `path: message`; empty when valid.
pub fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(schema, value, "", true, &mut out);
    out
}

/// What the API server does with a write: the schema's defaults, then
/// validation. Returns the defaulted object and its problems.
pub fn admit(schema: &Value, value: &Value) -> (Value, Vec<String>) {
    let mut v = value.clone();
    apply_defaults(schema, &mut v);
    let problems = validate(schema, &v);
    (v, problems)
}

/// The CRD's schema of its storage version (or its first served one).
pub fn crd_schema(crd: &Value) -> Option<&Value> {
    let versions = crd.pointer("/spec/versions")?.as_array()?;
    let v = versions.iter().find(|v| v.get("storage") == Some(&Value::Bool(true))).or_else(|| versions.first())?;
    v.pointer("/schema/openAPIV3Schema")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn here(path: &str) -> &str {
    if path.is_empty() {
        "<root>"
    } else {
        path
    }
}

fn type_ok(ty: &str, v: &Value) -> bool {
    match ty {
        "integer" => matches!(v, Value::Number(n) if !n.is_f64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)),
        "number" => v.is_number(),
        other => kind_of(v) == other,
    }
}

fn num(s: &Value, k: &str) -> Option<f64> {
    s.get(k).and_then(Value::as_f64)
}

fn count(s: &Value, k: &str) -> Option<usize> {
    s.get(k).and_then(Value::as_u64).map(|n| n as usize)
}

fn check(s: &Value, v: &Value, path: &str, root: bool, out: &mut Vec<String>) {
    let p = here(path);
    // A null is dropped by the API server like an absent field; the
    // parent's `required` says whether that is allowed.
    if v.is_null() {
        return;
    }
    let int_or_string = s.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    if int_or_string {
        if !(type_ok("integer", v) || v.is_string()) {
            out.push(format!("{p}: Invalid value: {}: must be an integer or a string", kind_of(v)));
            return;
        }
    } else if let Some(ty) = s.get("type").and_then(Value::as_str) {
        if !type_ok(ty, v) {
            out.push(format!("{p}: Invalid value: \"{}\": {p} in body must be of type {ty}", kind_of(v)));
            return;
        }
    }
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        if !values.contains(v) {
            let allowed: Vec<String> = values.iter().map(|x| x.to_string()).collect();
            out.push(format!("{p}: Unsupported value: {v}: supported values: {}", allowed.join(", ")));
        }
    }
    match v {
        Value::String(text) => {
            let len = text.chars().count();
            if let Some(min) = count(s, "minLength").filter(|m| len < *m) {
                out.push(format!("{p}: Invalid value: {v}: should be at least {min} chars long"));
            }
            if let Some(max) = count(s, "maxLength").filter(|m| len > *m) {
                out.push(format!("{p}: Too long: may not be more than {max} bytes"));
            }
            if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
                match regex::Regex::new(pattern) {
                    Ok(re) if !re.is_match(text) => out.push(format!("{p}: Invalid value: {v}: {p} in body should match '{pattern}'")),
                    Ok(_) => {}
                    Err(e) => out.push(format!("{p}: the schema's pattern '{pattern}' is not a valid regular expression: {e}")),
                }
            }
        }
        Value::Number(_) => {
            let x = v.as_f64().unwrap_or_default();
            let excl = |k: &str| s.get(k) == Some(&Value::Bool(true));
            if let Some(min) = num(s, "minimum") {
                if x < min || (excl("exclusiveMinimum") && x == min) {
                    out.push(format!("{p}: Invalid value: {v}: {p} in body should be greater than or equal to {min}"));
                }
            }
            if let Some(max) = num(s, "maximum") {
                if x > max || (excl("exclusiveMaximum") && x == max) {
                    out.push(format!("{p}: Invalid value: {v}: {p} in body should be less than or equal to {max}"));
                }
            }
        }
        Value::Array(items) => {
            if let Some(min) = count(s, "minItems").filter(|m| items.len() < *m) {
                out.push(format!("{p}: Invalid value: {} items: should have at least {min} items", items.len()));
            }
            if let Some(max) = count(s, "maxItems").filter(|m| items.len() > *m) {
                out.push(format!("{p}: Too many: {}: must have at most {max} items", items.len()));
            }
            if s.get("uniqueItems") == Some(&Value::Bool(true)) {
                for (i, x) in items.iter().enumerate() {
                    if items[..i].contains(x) {
                        out.push(format!("{p}[{i}]: Duplicate value: {x}"));
                    }
                }
            }
            if let Some(item_schema) = s.get("items") {
                for (i, x) in items.iter().enumerate() {
                    check(item_schema, x, &format!("{path}[{i}]"), false, out);
                }
            }
        }
        Value::Object(m) => {
            if let Some(min) = count(s, "minProperties").filter(|n| m.len() < *n) {
                out.push(format!("{p}: Invalid value: {} properties: should have at least {min} properties", m.len()));
            }
            if let Some(max) = count(s, "maxProperties").filter(|n| m.len() > *n) {
                out.push(format!("{p}: Too many: {} properties: must have at most {max} properties", m.len()));
            }
            for r in s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                if m.get(r).is_none_or(Value::is_null) {
                    out.push(format!("{}: Required value", join(path, r)));
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            let preserve = s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            let additional = s.get("additionalProperties");
            for (k, x) in m {
                let sub = join(path, k);
                if let Some(ps) = props.and_then(|ps| ps.get(k)) {
                    // The root's metadata is ObjectMeta, which the API server checks itself.
                    if !(root && k == "metadata") {
                        check(ps, x, &sub, false, out);
                    }
                } else if let Some(a) = additional.filter(|a| a.is_object()) {
                    check(a, x, &sub, false, out);
                } else if !(preserve || additional == Some(&Value::Bool(true)) || (root && matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))) {
                    out.push(format!("{sub}: unknown field \"{k}\""));
                }
            }
        }
        _ => {}
    }
    for list in ["allOf", "anyOf", "oneOf"] {
        let Some(alts) = s.get(list).and_then(Value::as_array) else { continue };
        let results: Vec<Vec<String>> = alts
            .iter()
            .map(|a| {
                let mut o = Vec::new();
                check_value_only(a, v, path, &mut o);
                o
            })
            .collect();
        let passing = results.iter().filter(|r| r.is_empty()).count();
        match list {
            "allOf" => results.into_iter().for_each(|r| out.extend(r)),
            "anyOf" if passing == 0 => out.push(format!("{p}: Invalid value: must match at least one schema of anyOf")),
            "oneOf" if passing != 1 => out.push(format!("{p}: Invalid value: must match exactly one schema of oneOf ({passing} match)")),
            _ => {}
        }
    }
    if let Some(not) = s.get("not") {
        let mut o = Vec::new();
        check_value_only(not, v, path, &mut o);
        if o.is_empty() {
            out.push(format!("{p}: Invalid value: must not match the schema in not"));
        }
    }
    for rule in s.get("x-kubernetes-validations").and_then(Value::as_array).into_iter().flatten() {
        let Some(text) = rule.get("rule").and_then(Value::as_str) else { continue };
        let parsed = match expr::parse(text) {
            Ok(e) => e,
            Err(e) => {
                out.push(format!("{p}: Invalid value: the rule {text:?} cannot be evaluated: {e}"));
                continue;
            }
        };
        if parsed.references().iter().any(|r| r[0] == "oldSelf") {
            continue;
        }
        let env: Env = [("self".to_string(), v.clone())].into_iter().collect();
        match parsed.eval(&env) {
            Ok(Value::Bool(true)) => {}
            Ok(Value::Bool(false)) => {
                let msg = rule.get("message").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("failed rule: {text}"));
                out.push(format!("{p}: Invalid value: \"object\": {msg}"));
            }
            Ok(other) => out.push(format!("{p}: Invalid value: the rule {text:?} yields {other}, not a bool")),
            Err(e) => out.push(format!("{p}: Invalid value: the rule {text:?} failed: {e}")),
        }
    }
}

/// A sub-schema of allOf/anyOf/oneOf/not constrains values but declares no
/// fields, so unknown-field checks do not apply there.
fn check_value_only(s: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    let mut relaxed = s.clone();
    if let Some(m) = relaxed.as_object_mut() {
        m.insert("x-kubernetes-preserve-unknown-fields".into(), Value::Bool(true));
    }
    check(&relaxed, v, path, false, out);
}

/// Fills in the schema's defaults where fields are absent (recursively;
/// an object default such as `{}` is itself defaulted).
pub fn apply_defaults(s: &Value, v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, ps) in props {
                    if m.get(k).is_none_or(Value::is_null) {
                        if let Some(d) = ps.get("default") {
                            m.insert(k.clone(), d.clone());
                        }
                    }
                    if let Some(x) = m.get_mut(k) {
                        apply_defaults(ps, x);
                    }
                }
            }
            if let Some(a) = s.get("additionalProperties").filter(|a| a.is_object()) {
                let props = s.get("properties").and_then(Value::as_object);
                for (k, x) in m.iter_mut() {
                    if props.is_none_or(|p| !p.contains_key(k)) {
                        apply_defaults(a, x);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = s.get("items") {
                items.iter_mut().for_each(|x| apply_defaults(is, x));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn types_bounds_unknown_fields_and_rules() {
        let s = json!({
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "pick": {"type": "object", "properties": {"x": {"type": "string"}, "y": {"type": "string"}},
                         "x-kubernetes-validations": [{"rule": "has(self.x) != has(self.y)", "message": "exactly one of x or y"}, {"rule": "self == oldSelf"}]}
            }
        });
        assert!(validate(&s, &json!({"name": "web", "port": 80, "mode": "a", "tags": ["x"], "free": {"any": [1]}, "pick": {"x": "1"}})).is_empty());
        let mut problems = validate(&s, &json!({"port": 0, "mode": "c", "tags": ["x", "x"], "pick": {"x": "1", "y": "2"}, "extra": 1, "name2": 1}));
        problems.sort();
        assert_eq!(
            problems,
            vec![
                "extra: unknown field \"extra\"",
                "mode: Unsupported value: \"c\": supported values: \"a\", \"b\"",
                "name2: unknown field \"name2\"",
                "name: Required value",
                "pick: Invalid value: \"object\": exactly one of x or y",
                "port: Invalid value: 0: port in body should be greater than or equal to 1",
                "tags[1]: Duplicate value: \"x\"",
            ]
        );
        assert_eq!(validate(&s, &json!({"name": "UPPERCASE"})).len(), 2, "pattern and length");
        assert_eq!(validate(&s, &json!({"name": 3})), vec!["name: Invalid value: \"integer\": name in body must be of type string"]);
    }

    #[test]
    fn defaults_fill_absent_fields_and_nested_objects() {
        let s = json!({"type": "object", "properties": {
            "replicas": {"type": "integer", "default": 3},
            "metric": {"type": "object", "default": {}, "properties": {"target": {"type": "integer", "default": 10}}},
            "list": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "string", "default": "d"}}}}
        }});
        let mut v = json!({"list": [{}, {"x": "set"}]});
        apply_defaults(&s, &mut v);
        assert_eq!(v, json!({"replicas": 3, "metric": {"target": 10}, "list": [{"x": "d"}, {"x": "set"}]}));
    }
}
