//! Kubernetes objects as JSON: their identity (`apiVersion/kind/namespace/name`),
//! multi-document YAML parsing, the YAML rendering kept in state (so plans
//! show line diffs), and content hashes.

use std::fmt;

use serde::Deserialize as _;
use serde_json::{Map, Value as Json};
use sha2::Digest as _;

use crate::error::{KubeError, Result};

/// Which object: what the API needs to find it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    pub api_version: String,
    pub kind: String,
    /// None for cluster-scoped objects (and for namespaced ones not yet defaulted).
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectId {
    /// From an object's `apiVersion`, `kind` and `metadata`.
    pub fn of(obj: &Json, source: &str) -> Result<ObjectId> {
        let field = |v: &Json, what: &str| -> Result<String> {
            v.as_str().filter(|s| !s.is_empty()).map(str::to_string).ok_or_else(|| KubeError::Manifest(format!("{source}: the object has no {what}")))
        };
        if !obj.is_object() {
            return Err(KubeError::Manifest(format!("{source}: a Kubernetes object must be a mapping, got {}", kind_of(obj))));
        }
        let api_version = field(&obj["apiVersion"], "apiVersion")?;
        let kind = field(&obj["kind"], "kind")?;
        let name = field(&obj["metadata"]["name"], "metadata.name").map_err(|_| {
            KubeError::Manifest(format!("{source}: {kind} has no metadata.name (generateName is not supported: iac must know the object's name to track it)"))
        })?;
        let namespace = obj["metadata"]["namespace"].as_str().filter(|s| !s.is_empty()).map(str::to_string);
        Ok(ObjectId { api_version, kind, namespace, name })
    }

    /// The key in state: `apiVersion/kind/namespace/name`, or
    /// `apiVersion/kind/name` for a cluster-scoped object.
    pub fn key(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}/{}", self.api_version, self.kind, ns, self.name),
            None => format!("{}/{}/{}", self.api_version, self.kind, self.name),
        }
    }

    /// Terraform's import id: `apiVersion//kind//namespace//name`
    /// (`apiVersion//kind//name` when cluster-scoped).
    pub fn import_id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}//{}//{}//{}", self.api_version, self.kind, ns, self.name),
            None => format!("{}//{}//{}", self.api_version, self.kind, self.name),
        }
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
    }

    /// Terraform's import id forms: `apiVersion//kind//namespace//name` (or
    /// `apiVersion//kind//name` when cluster-scoped), and
    /// `apiVersion=v1,kind=Secret,namespace=default,name=foo`.
    pub fn parse_import(id: &str) -> Result<ObjectId> {
        let bad = || {
            KubeError::Config(format!(
                "import id {id:?}: expected apiVersion//kind//namespace//name, apiVersion//kind//name, or apiVersion=...,kind=...,namespace=...,name=..."
            ))
        };
        if id.contains('=') {
            let mut o = ObjectId { api_version: String::new(), kind: String::new(), namespace: None, name: String::new() };
            for part in id.split(',') {
                let (k, v) = part.split_once('=').ok_or_else(bad)?;
                match k.trim() {
                    "apiVersion" => o.api_version = v.trim().into(),
                    "kind" => o.kind = v.trim().into(),
                    "namespace" => o.namespace = Some(v.trim().to_string()).filter(|s| !s.is_empty()),
                    "name" => o.name = v.trim().into(),
                    _ => return Err(bad()),
                }
            }
            if o.api_version.is_empty() || o.kind.is_empty() || o.name.is_empty() {
                return Err(bad());
            }
            return Ok(o);
        }
        let parts: Vec<&str> = id.split("//").collect();
        match parts.as_slice() {
            [av, kind, ns, name] if !av.is_empty() && !kind.is_empty() && !name.is_empty() => Ok(ObjectId {
                api_version: av.to_string(),
                kind: kind.to_string(),
                namespace: Some(ns.to_string()).filter(|s| !s.is_empty()),
                name: name.to_string(),
            }),
            [av, kind, name] if !av.is_empty() && !kind.is_empty() && !name.is_empty() => {
                Ok(ObjectId { api_version: av.to_string(), kind: kind.to_string(), namespace: None, name: name.to_string() })
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

fn kind_of(j: &Json) -> &'static str {
    match j {
        Json::Null => "nothing",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

/// Every object of a multi-document YAML text (empty documents skipped,
/// `kind: List` expanded). `source` names the text in errors.
pub fn parse_documents(text: &str, source: &str) -> Result<Vec<Json>> {
    let mut out = Vec::new();
    for (i, doc) in serde_norway::Deserializer::from_str(text).enumerate() {
        let j = Json::deserialize(doc).map_err(|e| KubeError::Manifest(format!("{source}: document {}: {e}", i + 1)))?;
        push_object(j, source, &mut out)?;
    }
    Ok(out)
}

fn push_object(j: Json, source: &str, out: &mut Vec<Json>) -> Result<()> {
    match j {
        Json::Null => Ok(()),
        Json::Object(ref m) if m.is_empty() => Ok(()),
        Json::Object(m)
            if m.get("kind").and_then(Json::as_str).is_some_and(|k| k == "List" || k.ends_with("List")) && m.get("items").is_some_and(Json::is_array) =>
        {
            for item in m["items"].as_array().into_iter().flatten() {
                push_object(item.clone(), source, out)?;
            }
            Ok(())
        }
        j @ Json::Object(_) => {
            ObjectId::of(&j, source)?;
            out.push(j);
            Ok(())
        }
        other => Err(KubeError::Manifest(format!("{source}: a YAML document must be a Kubernetes object, got {}", kind_of(&other)))),
    }
}

/// The object as YAML, as state keeps it and plans show it.
pub fn to_yaml(obj: &Json) -> String {
    serde_norway::to_string(obj).unwrap_or_else(|_| obj.to_string())
}

/// The object from its YAML rendering in state.
pub fn from_yaml(text: &str, key: &str) -> Result<Json> {
    serde_norway::from_str(text).map_err(|e| KubeError::Manifest(format!("the state's copy of {key} is not YAML: {e}")))
}

/// A hash of the object's content, independent of key order.
pub fn content_hash(obj: &Json) -> String {
    let digest = sha2::Sha256::digest(canonical(obj).to_string().as_bytes());
    hex::encode(&digest[..12])
}

/// The object with every mapping's keys sorted.
pub fn canonical(j: &Json) -> Json {
    match j {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Json::Object(keys.into_iter().map(|k| (k.clone(), canonical(&m[k]))).collect::<Map<_, _>>())
        }
        Json::Array(a) => Json::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

const REDACTED_PREFIX: &str = "(sensitive value, sha256 ";

/// Whether the object is a Secret (its values never go into plans or state).
pub fn is_secret(obj: &Json) -> bool {
    obj["apiVersion"] == "v1" && obj["kind"] == "Secret"
}

/// The object as plans and state show it: a Secret's values replaced by
/// their hashes, so a plan still says which key changed but never shows
/// (or stores) the value.
pub fn redacted(obj: &Json) -> Json {
    if !is_secret(obj) {
        return obj.clone();
    }
    let mut o = obj.clone();
    for field in ["data", "stringData"] {
        if let Some(m) = o.get_mut(field).and_then(Json::as_object_mut) {
            // Idempotent: state's copy is already redacted.
            for v in m.values_mut().filter(|v| !v.as_str().is_some_and(|s| s.starts_with(REDACTED_PREFIX))) {
                let digest = sha2::Sha256::digest(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()).as_bytes());
                *v = Json::String(format!("{REDACTED_PREFIX}{})", hex::encode(&digest[..8])));
            }
        }
    }
    o
}

/// Sets `metadata.namespace` when the object has none.
pub fn set_namespace(obj: &mut Json, ns: &str) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Json::as_object_mut) {
        if meta.get("namespace").and_then(Json::as_str).is_none_or(str::is_empty) {
            meta.insert("namespace".into(), Json::String(ns.to_string()));
        }
    }
}

/// Removes `metadata.namespace` (a cluster-scoped object given one).
pub fn clear_namespace(obj: &mut Json) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Json::as_object_mut) {
        meta.remove("namespace");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_are_split_and_lists_expanded() {
        let text = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c, namespace: a}\n";
        let objs = parse_documents(text, "t.yaml").unwrap();
        let keys: Vec<String> = objs.iter().map(|o| ObjectId::of(o, "t").unwrap().key()).collect();
        assert_eq!(keys, vec!["v1/Namespace/a", "v1/ConfigMap/a/c"]);
    }

    #[test]
    fn bad_documents_say_where() {
        let e = parse_documents("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "x.yaml").unwrap_err().to_string();
        assert!(e.contains("x.yaml") && e.contains("metadata.name"), "{e}");
        let e = parse_documents("- a\n- b\n", "y.yaml").unwrap_err().to_string();
        assert!(e.contains("y.yaml") && e.contains("a list"), "{e}");
        let e = parse_documents("a: [\n", "z.yaml").unwrap_err().to_string();
        assert!(e.contains("z.yaml: document 1"), "{e}");
    }

    #[test]
    fn import_ids_in_both_terraform_forms() {
        let a = ObjectId::parse_import("apps/v1//Deployment//web//api").unwrap();
        assert_eq!(a.key(), "apps/v1/Deployment/web/api");
        let b = ObjectId::parse_import("apiVersion=apps/v1,kind=Deployment,namespace=web,name=api").unwrap();
        assert_eq!(a, b);
        assert_eq!(ObjectId::parse_import(&a.import_id()).unwrap(), a);
        assert_eq!(ObjectId::parse_import("v1//Namespace//web").unwrap().key(), "v1/Namespace/web");
        assert!(ObjectId::parse_import("apps/v1/Deployment/web/api").is_err());
        assert!(ObjectId::parse_import("kind=Deployment").is_err());
    }

    #[test]
    fn secret_values_are_replaced_by_their_hashes() {
        let s =
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "aHVudGVyMg=="}, "stringData": {"user": "admin"}});
        let r = redacted(&s);
        let text = to_yaml(&r);
        assert!(!text.contains("aHVudGVyMg==") && !text.contains("admin"), "{text}");
        assert_eq!(r["metadata"], s["metadata"]);
        let mut changed = s.clone();
        changed["data"]["password"] = json!("b3RoZXI=");
        assert_ne!(redacted(&changed)["data"]["password"], r["data"]["password"], "a changed value shows as a changed hash");
        assert_eq!(redacted(&changed)["stringData"], r["stringData"]);
        assert_eq!(redacted(&r), r, "redacting twice changes nothing");
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}});
        assert_eq!(redacted(&cm), cm);
    }

    #[test]
    fn hash_ignores_key_order_and_yaml_round_trips() {
        let a = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"k": "v\nw"}});
        let b = json!({"kind": "ConfigMap", "data": {"k": "v\nw"}, "metadata": {"name": "x"}, "apiVersion": "v1"});
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&json!({"kind": "ConfigMap"})));
        assert_eq!(from_yaml(&to_yaml(&a), "k").unwrap(), a);
    }
}
