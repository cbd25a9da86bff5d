//! kro's SimpleSchema, turned into the OpenAPI v3 schema of the CRD kro
//! generates: a field is `TYPE | marker=value ...` or a nested map (an
//! object). Types: `string`, `integer`, `boolean`, `float` (and `number`),
//! `object` (free-form), `[]T`, `map[string]T` and the names of the
//! `types` section (expanded inline, cycles refused). Markers: `required`,
//! `default`, `description`, `enum` (comma-separated), `minimum`,
//! `maximum`, `pattern`, `minLength`, `maxLength`, `minItems`, `maxItems`,
//! `uniqueItems`, `immutable` (a `self == oldSelf` rule), `listType`,
//! `listMapKey`. As kro does, an object none of whose fields is required
//! but some of which have defaults defaults to `{}`, so its fields' defaults
//! apply when it is left out. Any other marker is an error.

use serde_json::{json, Map, Value};

use crate::template::join;

/// The OpenAPI schema of `spec` (a SimpleSchema map), with the custom `types`.
pub fn to_openapi(spec: &Value, types: Option<&Value>) -> Result<Value, String> {
    let types = match types {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("schema.types: must be a map of type names to SimpleSchema".into()),
    };
    let mut p = Converter { types, stack: Vec::new() };
    p.object(spec, "spec")
}

struct Converter {
    types: Map<String, Value>,
    stack: Vec<String>,
}

impl Converter {
    fn object(&mut self, fields: &Value, path: &str) -> Result<Value, String> {
        let Value::Object(fields) = fields else {
            return Err(format!("{path}: must be a map of field names to SimpleSchema types"));
        };
        let mut props = Map::new();
        let mut required = Vec::new();
        for (name, def) in fields {
            let sub = join(path, name);
            let (schema, req) = match def {
                Value::String(s) => self.field(s, &sub)?,
                Value::Object(_) => (self.object(def, &sub)?, false),
                other => return Err(format!("{sub}: {other} is neither a SimpleSchema type nor a map of fields")),
            };
            if req {
                required.push(Value::String(name.clone()));
            }
            props.insert(name.clone(), schema);
        }
        let mut s = json!({"type": "object", "properties": props});
        let child_default = s["properties"].as_object().is_some_and(|p| p.values().any(|c| c.get("default").is_some()));
        if required.is_empty() {
            if child_default {
                s["default"] = json!({});
            }
        } else {
            s["required"] = Value::Array(required);
        }
        Ok(s)
    }

    /// A `TYPE | markers` field: its schema and whether it is required.
    fn field(&mut self, text: &str, path: &str) -> Result<(Value, bool), String> {
        let (ty, markers) = match text.split_once('|') {
            Some((t, m)) => (t.trim(), m.trim()),
            None => (text.trim(), ""),
        };
        let mut s = self.type_schema(ty, path)?;
        let mut required = false;
        for (k, v) in parse_markers(markers).map_err(|e| format!("{path}: {e}"))? {
            let ty_name = s.get("type").and_then(Value::as_str).unwrap_or("object").to_string();
            let number = |v: &str| v.parse::<f64>().map(|f| if f.fract() == 0.0 && f.abs() < 9e15 { json!(f as i64) } else { json!(f) });
            let count = |v: &str| v.parse::<u64>().map(Value::from).map_err(|_| format!("{path}: {k}={v:?} is not a count"));
            match k.as_str() {
                "required" => required = bool_marker(&k, &v, path)?,
                "default" => s["default"] = typed(&ty_name, &s, &v).map_err(|e| format!("{path}: default={v:?}: {e}"))?,
                "description" => s["description"] = json!(v),
                "enum" => {
                    let items: Result<Vec<Value>, String> = v.split(',').map(|x| typed(&ty_name, &s, x.trim())).collect();
                    s["enum"] = Value::Array(items.map_err(|e| format!("{path}: enum={v:?}: {e}"))?);
                }
                "minimum" | "maximum" => s[k.as_str()] = number(&v).map_err(|_| format!("{path}: {k}={v:?} is not a number"))?,
                "pattern" => {
                    regex::Regex::new(&v).map_err(|e| format!("{path}: pattern={v:?} is not a valid regular expression: {e}"))?;
                    s["pattern"] = json!(v);
                }
                "minLength" | "maxLength" | "minItems" | "maxItems" => s[k.as_str()] = count(&v)?,
                "uniqueItems" => s["uniqueItems"] = json!(bool_marker(&k, &v, path)?),
                "immutable" => {
                    if bool_marker(&k, &v, path)? {
                        s["x-kubernetes-validations"] = json!([{"rule": "self == oldSelf", "message": "field is immutable"}]);
                    }
                }
                "listType" if matches!(v.as_str(), "atomic" | "set" | "map") => s["x-kubernetes-list-type"] = json!(v),
                "listType" => return Err(format!("{path}: listType={v:?}: must be atomic, set or map")),
                "listMapKey" => {
                    let keys = s.as_object_mut().map(|m| m.entry("x-kubernetes-list-map-keys").or_insert_with(|| json!([])));
                    if let Some(Value::Array(a)) = keys {
                        a.push(json!(v));
                    }
                }
                other => return Err(format!("{path}: unknown marker {other:?} (known: required, default, description, enum, minimum, maximum, pattern, minLength, maxLength, minItems, maxItems, uniqueItems, immutable, listType, listMapKey)")),
            }
        }
        Ok((s, required))
    }

    fn type_schema(&mut self, ty: &str, path: &str) -> Result<Value, String> {
        if let Some(item) = ty.strip_prefix("[]") {
            return Ok(json!({"type": "array", "items": self.type_schema(item, path)?}));
        }
        if let Some(rest) = ty.strip_prefix("map[") {
            let Some((key, value)) = rest.split_once(']') else {
                return Err(format!("{path}: {ty:?} is not a map type (map[string]T)"));
            };
            if key != "string" {
                return Err(format!("{path}: {ty:?}: map keys must be strings"));
            }
            return Ok(json!({"type": "object", "additionalProperties": self.type_schema(value, path)?}));
        }
        match ty {
            "string" | "integer" | "boolean" => Ok(json!({"type": ty})),
            "float" | "number" => Ok(json!({"type": "number"})),
            "object" => Ok(json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})),
            "" => Err(format!("{path}: no type")),
            name => {
                let Some(def) = self.types.get(name).cloned() else {
                    return Err(format!(
                        "{path}: unknown type {name:?} (string, integer, boolean, float, object, []T, map[string]T, or a name from schema.types)"
                    ));
                };
                if self.stack.iter().any(|t| t == name) {
                    return Err(format!("{path}: the types {} refer to each other in a cycle", self.stack.join(" -> ") + " -> " + name));
                }
                self.stack.push(name.to_string());
                let s = match &def {
                    Value::String(s) => self.field(s, &format!("types.{name}")).map(|(s, _)| s),
                    _ => self.object(&def, &format!("types.{name}")),
                };
                self.stack.pop();
                s
            }
        }
    }
}

fn bool_marker(k: &str, v: &str, path: &str) -> Result<bool, String> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("{path}: {k}={v:?}: must be true or false")),
    }
}

/// A marker's text as a value of the field's type.
fn typed(ty: &str, schema: &Value, v: &str) -> Result<Value, String> {
    match ty {
        "string" => Ok(json!(v)),
        "integer" => v.parse::<i64>().map(Value::from).map_err(|_| "not an integer".to_string()),
        "number" => v.parse::<f64>().map(|f| json!(f)).map_err(|_| "not a number".to_string()),
        "boolean" => bool_marker("value", v, "").map(Value::Bool).map_err(|_| "not true or false".to_string()),
        _ => {
            let parsed: Value = serde_json::from_str(v).map_err(|e| format!("not JSON: {e}"))?;
            let problems = crate::openapi::validate(schema, &parsed);
            if problems.is_empty() {
                Ok(parsed)
            } else {
                Err(problems.join("; "))
            }
        }
    }
}

/// `key=value` pairs, values bare or double-quoted (with `\"` and `\\`).
fn parse_markers(s: &str) -> Result<Vec<(String, String)>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
            i += 1;
        }
        let key: String = chars[start..i].iter().collect();
        if chars.get(i) != Some(&'=') {
            return Err(format!("marker {key:?} has no value (markers are key=value)"));
        }
        i += 1;
        let mut value = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(format!("marker {key}: unterminated quoted value")),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                        value.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(c) => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                value.push(chars[i]);
                i += 1;
            }
        }
        out.push((key, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_markers_and_nested_objects() {
        let spec: Value = serde_norway::from_str(
            r#"
name: string | required=true description="The name"
replicas: integer | default=3 minimum=1 maximum=20
mode: string | enum="a,b" default=a
tags: "[]string | uniqueItems=true maxItems=4"
labels: map[string]string
metric:
  name: string | pattern="^[a-z_]+$"
  target: integer | default=10
values: object
people: "[]Person"
"#,
        )
        .unwrap();
        let types = json!({"Person": {"name": "string | required=true", "age": "integer"}});
        let s = to_openapi(&spec, Some(&types)).unwrap();
        assert_eq!(s["required"], json!(["name"]));
        assert_eq!(s["properties"]["name"], json!({"type": "string", "description": "The name"}));
        assert_eq!(s["properties"]["replicas"], json!({"type": "integer", "default": 3, "minimum": 1, "maximum": 20}));
        assert_eq!(s["properties"]["mode"], json!({"type": "string", "enum": ["a", "b"], "default": "a"}));
        assert_eq!(s["properties"]["tags"], json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true, "maxItems": 4}));
        assert_eq!(s["properties"]["labels"], json!({"type": "object", "additionalProperties": {"type": "string"}}));
        assert_eq!(s["properties"]["metric"]["default"], json!({}), "no required field and a default inside");
        assert_eq!(s["properties"]["values"], json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
        assert_eq!(s["properties"]["people"]["items"]["required"], json!(["name"]));
    }

    #[test]
    fn mistakes_are_named() {
        let e = |y: &str| to_openapi(&serde_norway::from_str(y).unwrap(), None).unwrap_err();
        assert!(e("port: integer | default=eighty").contains("spec.port: default=\"eighty\": not an integer"));
        assert!(e("port: integer | colour=blue").contains("unknown marker \"colour\""));
        assert!(e("port: int").contains("unknown type \"int\""));
        assert!(e("port: string | required").contains("has no value"));
        let cyc = to_openapi(&json!({"a": "A"}), Some(&json!({"A": {"b": "B"}, "B": {"a": "A"}}))).unwrap_err();
        assert!(cyc.contains("cycle"), "{cyc}");
    }
}
