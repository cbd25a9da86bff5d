//! A ResourceGraphDefinition: its instance API (the CRD kro generates from
//! the SimpleSchema), the static checks kro makes when it accepts one
//! (every expression parses and is in the subset, every reference names
//! a field of the schema or another resource, no cycles), and the expansion
//! of an instance into the objects it yields, in dependency order.
//!
//! What is not supported is refused by [`Rgd::from_object`] with a message
//! naming it: `externalRef` and `forEach` resources, expressions outside
//! [`crate::expr`]'s subset. `readyWhen` is parsed and checked but only the
//! cluster waits on it; `status` expressions are evaluated against the
//! objects as they are in the cluster ([`Rgd::status`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::expr::Env;
use crate::template::{self, Template};
use crate::{openapi, simpleschema, Error};

/// kro's API group and version for ResourceGraphDefinitions.
pub const RGD_API_VERSION: &str = "kro.run/v1alpha1";

/// One resource of the graph.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Its id, by which other resources refer to it.
    pub id: String,
    /// The object template, with `${...}` expressions.
    pub template: Value,
    /// Conditions (standalone expressions) that must all hold for it to be created.
    pub include_when: Vec<Template>,
    /// The ids of the resources its template or conditions refer to.
    pub depends_on: BTreeSet<String>,
}

/// An object of an expansion.
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    /// The id of the resource that yielded it.
    pub id: String,
    /// The object, as kro applies it (with kro's labels).
    pub object: Value,
}

/// A parsed, checked ResourceGraphDefinition.
#[derive(Debug, Clone)]
pub struct Rgd {
    /// metadata.name
    pub name: String,
    /// The instances' API group (default `kro.run`).
    pub group: String,
    /// The instances' API version (`v1alpha1`).
    pub version: String,
    /// The instances' kind.
    pub kind: String,
    /// Whether instances are namespaced (the default).
    pub namespaced: bool,
    /// The OpenAPI schema of an instance's `spec`.
    pub spec_schema: Value,
    /// `schema.status`: field → template, evaluated against the cluster's objects.
    pub status: Map<String, Value>,
    /// The resources in dependency order (ties keep the file's order).
    pub resources: Vec<Resource>,
}

/// Kinds that are not namespaced, so an expansion gives them no namespace.
const CLUSTER_KINDS: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PersistentVolume",
    "PriorityClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "Node",
    "ResourceGraphDefinition",
    "NodePool",
    "EC2NodeClass",
];

const RESERVED_IDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "namespace",
    "spec",
    "status",
    "graph",
    "kro",
    "each",
    "item",
    "items",
    "object",
    "self",
    "this",
    "schema",
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "return",
    "var",
    "void",
    "while",
];

fn s<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

impl Rgd {
    /// Reads and checks a ResourceGraphDefinition object.
    pub fn from_object(obj: &Value) -> Result<Rgd, Error> {
        let name = s(obj, "/metadata/name").unwrap_or_default().to_string();
        let ctx = format!("ResourceGraphDefinition {name:?}");
        let fail = |p: Vec<String>| Error::new(&ctx, p);
        if s(obj, "/apiVersion") != Some(RGD_API_VERSION) || s(obj, "/kind") != Some("ResourceGraphDefinition") {
            return Err(fail(vec![format!("not a {RGD_API_VERSION} ResourceGraphDefinition")]));
        }
        let schema = obj.pointer("/spec/schema").ok_or_else(|| fail(vec!["spec.schema: Required value".into()]))?;
        let mut problems = Vec::new();
        let kind = s(schema, "/kind").unwrap_or_default().to_string();
        let version = s(schema, "/apiVersion").unwrap_or_default().to_string();
        if kind.is_empty() || version.is_empty() {
            problems.push("spec.schema: apiVersion and kind are required".to_string());
        }
        let group = s(schema, "/group").unwrap_or("kro.run").to_string();
        let namespaced = s(schema, "/scope").unwrap_or("Namespaced") != "Cluster";
        let spec_schema = simpleschema::to_openapi(schema.get("spec").unwrap_or(&json!({})), schema.get("types")).unwrap_or_else(|e| {
            problems.push(format!("spec.schema.{e}"));
            json!({})
        });
        let status = schema.get("status").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut resources = Vec::new();
        let list = obj.pointer("/spec/resources").and_then(Value::as_array).cloned().unwrap_or_default();
        let ids: BTreeSet<String> = list.iter().filter_map(|r| r.get("id").and_then(Value::as_str)).map(str::to_string).collect();
        let mut seen = BTreeSet::new();
        for (i, r) in list.iter().enumerate() {
            let at = format!("spec.resources[{i}]");
            let id = r.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            if !seen.insert(id.clone()) {
                problems.push(format!("{at}.id: Duplicate value: {id:?}"));
            }
            let id_ok = id.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && id.chars().all(|c| c.is_ascii_alphanumeric());
            if !id_ok || RESERVED_IDS.contains(&id.as_str()) {
                problems.push(format!("{at}.id: {id:?} must be a lowerCamelCase identifier (letters and digits) and not a reserved word"));
            }
            for unsupported in ["externalRef", "forEach"] {
                if r.get(unsupported).is_some() {
                    problems.push(format!("{at}.{unsupported}: not supported by iac's expansion (only template resources are)"));
                }
            }
            let Some(tpl) = r.get("template").filter(|t| t.is_object()) else {
                problems.push(format!("{at}.template: Required value"));
                continue;
            };
            if s(tpl, "/apiVersion").is_none() || s(tpl, "/kind").is_none() {
                problems.push(format!("{at}.template: apiVersion and kind are required (as literal text)"));
            }
            if s(tpl, "/metadata/name").is_none() {
                problems.push(format!("{at}.template.metadata.name: Required value"));
            }
            let mut found = Vec::new();
            if let Err(e) = template::templates_in(tpl, &format!("{at}.template"), &mut found) {
                problems.push(e.0);
            }
            let mut include_when = Vec::new();
            for (key, list) in [("includeWhen", &mut include_when), ("readyWhen", &mut Vec::new())] {
                for (j, c) in r.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
                    let p = format!("{at}.{key}[{j}]");
                    match c.as_str().map(template::parse) {
                        Some(Ok(Some(t))) if t.standalone() => {
                            if key == "includeWhen" {
                                found.push((p, t.clone()));
                            }
                            list.push(t)
                        }
                        Some(Err(e)) => problems.push(format!("{p}: {e}")),
                        _ => problems.push(format!("{p}: must be one standalone ${{...}} expression")),
                    }
                }
            }
            let mut depends_on = BTreeSet::new();
            for (path, t) in &found {
                for e in t.exprs() {
                    for r in e.references() {
                        match check_reference(&r, &spec_schema, &ids, &id) {
                            Ok(Some(dep)) => {
                                depends_on.insert(dep);
                            }
                            Ok(None) => {}
                            Err(why) => problems.push(format!("{path}: {why}")),
                        }
                    }
                }
            }
            resources.push(Resource { id, template: tpl.clone(), include_when, depends_on });
        }
        for (field, v) in &status {
            let mut found = Vec::new();
            if let Err(e) = template::templates_in(v, &format!("spec.schema.status.{field}"), &mut found) {
                problems.push(e.0);
            }
        }
        if !problems.is_empty() {
            return Err(fail(problems));
        }
        let resources = order(resources).map_err(|cycle| fail(vec![format!("spec.resources: the resources {cycle} refer to each other in a cycle")]))?;
        Ok(Rgd { name, group, version, kind, namespaced, spec_schema, status, resources })
    }

    /// The instances' `apiVersion`.
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }

    /// The plural resource name kro gives the instances' CRD.
    pub fn plural(&self) -> String {
        let k = self.kind.to_ascii_lowercase();
        if k.ends_with('s') || k.ends_with('x') || k.ends_with("ch") || k.ends_with("sh") {
            format!("{k}es")
        } else if k.ends_with('y') && !k.ends_with("ay") && !k.ends_with("ey") && !k.ends_with("oy") {
            format!("{}ies", &k[..k.len() - 1])
        } else {
            format!("{k}s")
        }
    }

    /// The CustomResourceDefinition kro generates for the instances.
    pub fn crd(&self) -> Value {
        let plural = self.plural();
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": format!("{plural}.{}", self.group), "labels": {"kro.run/owned": "true", "kro.run/resource-graph-definition-name": self.name}},
            "spec": {
                "group": self.group,
                "names": {"kind": self.kind, "listKind": format!("{}List", self.kind), "plural": plural, "singular": self.kind.to_ascii_lowercase()},
                "scope": if self.namespaced { "Namespaced" } else { "Cluster" },
                "versions": [{
                    "name": self.version, "served": true, "storage": true,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": "State", "type": "string", "jsonPath": ".status.state"},
                        {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
                    ],
                    "schema": {"openAPIV3Schema": self.instance_schema()}
                }]
            }
        })
    }

    /// The OpenAPI schema of a whole instance.
    pub fn instance_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": self.spec_schema,
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }
        })
    }

    /// Checks an instance as the API server would with the generated CRD,
    /// and returns it with the schema's defaults applied.
    pub fn validate_instance(&self, instance: &Value) -> Result<Value, Error> {
        let name = s(instance, "/metadata/name").unwrap_or_default();
        let ctx = format!("{} {name:?}", self.kind);
        let mut problems = Vec::new();
        if s(instance, "/apiVersion") != Some(self.api_version().as_str()) || s(instance, "/kind") != Some(self.kind.as_str()) {
            problems.push(format!("apiVersion/kind: must be {} {}", self.api_version(), self.kind));
        }
        if name.is_empty() {
            problems.push("metadata.name: Required value".into());
        } else if !dns_label(name) {
            problems.push(format!("metadata.name: Invalid value: {name:?}: must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)"));
        }
        let mut defaulted = instance.clone();
        if !defaulted.get("spec").is_some_and(Value::is_object) {
            defaulted["spec"] = json!({});
        }
        openapi::apply_defaults(&self.instance_schema(), &mut defaulted);
        problems.extend(openapi::validate(&self.instance_schema(), &defaulted));
        if problems.is_empty() {
            Ok(defaulted)
        } else {
            Err(Error::new(&ctx, problems))
        }
    }

    /// The variables an instance's expressions see: `schema`.
    fn env(&self, instance: &Value) -> Env {
        let meta = instance.get("metadata").cloned().unwrap_or(json!({}));
        let mut metadata =
            json!({"name": meta.get("name").cloned().unwrap_or(json!("")), "namespace": meta.get("namespace").cloned().unwrap_or(json!("default"))});
        for k in ["labels", "annotations", "uid"] {
            if let Some(v) = meta.get(k) {
                metadata[k] = v.clone();
            }
        }
        let schema =
            json!({"apiVersion": self.api_version(), "kind": self.kind, "metadata": metadata, "spec": instance.get("spec").cloned().unwrap_or(json!({}))});
        [("schema".to_string(), schema)].into_iter().collect()
    }

    /// The objects an instance yields, in dependency order. `observe` gets
    /// each object as rendered and returns what later references to it
    /// read: the rendered object itself when planning, or the object as
    /// stored by the cluster (with its status) in a controller.
    pub fn expand(&self, instance: &Value, observe: &mut dyn FnMut(&Expanded) -> Result<Value, String>) -> Result<Vec<Expanded>, Error> {
        let instance = self.validate_instance(instance)?;
        let name = s(&instance, "/metadata/name").unwrap_or_default().to_string();
        let namespace = s(&instance, "/metadata/namespace").unwrap_or("default").to_string();
        let ctx = format!("{} {name:?}", self.kind);
        let mut env = self.env(&instance);
        let mut out = Vec::new();
        for r in &self.resources {
            let mut included = true;
            for c in &r.include_when {
                match c.eval(&env) {
                    Ok(Value::Bool(b)) => included &= b,
                    Ok(other) => return Err(Error::new(&ctx, vec![format!("{}.includeWhen: yields {other}, not a bool", r.id)])),
                    Err(e) => return Err(Error::new(&ctx, vec![format!("{}.includeWhen: {e}", r.id)])),
                }
            }
            if !included {
                continue;
            }
            let mut obj = template::render(&r.template, &env, "").map_err(|e| Error::new(&ctx, vec![format!("resource {}: {}", r.id, e.0)]))?;
            let kind = s(&obj, "/kind").unwrap_or_default().to_string();
            if self.namespaced && !CLUSTER_KINDS.contains(&kind.as_str()) && s(&obj, "/metadata/namespace").is_none() {
                obj["metadata"]["namespace"] = json!(namespace);
            }
            let labels = obj["metadata"].as_object_mut().map(|m| m.entry("labels").or_insert_with(|| json!({})));
            if let Some(Value::Object(l)) = labels {
                for (k, v) in self.kro_labels(&name, &namespace, &r.id) {
                    l.insert(k, json!(v));
                }
            }
            let e = Expanded { id: r.id.clone(), object: obj };
            let seen = observe(&e).map_err(|why| Error::new(&ctx, vec![format!("resource {}: {why}", r.id)]))?;
            env.insert(r.id.clone(), seen);
            out.push(e);
        }
        Ok(out)
    }

    /// The labels kro puts on the objects of an instance (those that do not
    /// depend on the instance's or the RGD's uid, which only the cluster knows).
    pub fn kro_labels(&self, instance: &str, namespace: &str, id: &str) -> Vec<(String, String)> {
        let mut l = vec![
            ("app.kubernetes.io/managed-by".to_string(), "kro".to_string()),
            ("kro.run/owned".into(), "true".into()),
            ("kro.run/instance-group".into(), self.group.clone()),
            ("kro.run/instance-version".into(), self.version.clone()),
            ("kro.run/instance-kind".into(), self.kind.clone()),
            ("kro.run/instance-name".into(), instance.to_string()),
            ("kro.run/node-id".into(), id.to_string()),
            ("kro.run/resource-graph-definition-name".into(), self.name.clone()),
        ];
        if self.namespaced {
            l.push(("kro.run/instance-namespace".into(), namespace.to_string()));
        }
        l
    }

    /// The instance's status fields from the objects as the cluster has
    /// them (by resource id); a field whose expression cannot be evaluated
    /// yet (a status not reported) is left out.
    pub fn status(&self, instance: &Value, objects: &BTreeMap<String, Value>) -> Map<String, Value> {
        let Ok(instance) = self.validate_instance(instance) else {
            return Map::new();
        };
        let mut env = self.env(&instance);
        env.extend(objects.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.status.iter().filter_map(|(k, t)| template::render(t, &env, k).ok().map(|v| (k.clone(), v))).collect()
    }
}

/// Checks one reference of an expression; returns the resource it depends on, if any.
fn check_reference(r: &[String], spec: &Value, ids: &BTreeSet<String>, own: &str) -> Result<Option<String>, String> {
    let root = r[0].as_str();
    if root == "schema" {
        return match r.get(1).map(String::as_str) {
            Some("spec") => {
                let mut s = spec;
                for (i, f) in r.iter().enumerate().skip(2) {
                    if s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
                        break;
                    }
                    if let Some(p) = s.pointer("/properties").and_then(|p| p.get(f)) {
                        s = p;
                    } else if let Some(a) = s.get("additionalProperties").filter(|a| a.is_object()) {
                        s = a;
                    } else if let Some(items) = s.get("items") {
                        s = items;
                    } else {
                        return Err(format!("{} is not a field of the schema's spec", r[..=i].join(".")));
                    }
                }
                Ok(None)
            }
            Some("metadata") => match r.get(2).map(String::as_str) {
                None | Some("name" | "namespace" | "labels" | "annotations" | "uid") => Ok(None),
                Some(other) => Err(format!("schema.metadata.{other}: only name, namespace, labels, annotations and uid can be read")),
            },
            Some("apiVersion" | "kind") => Ok(None),
            _ => Err(format!("{}: an instance is read through schema.spec or schema.metadata", r.join("."))),
        };
    }
    if root == own {
        return Err(format!("{}: a resource cannot refer to itself", r.join(".")));
    }
    if ids.contains(root) {
        return Ok(Some(root.to_string()));
    }
    Err(format!("unknown reference {root:?}: expressions read schema or another resource's id ({})", ids.iter().cloned().collect::<Vec<_>>().join(", ")))
}

/// Topological order, stable: a resource comes as early as its dependencies allow.
fn order(mut pending: Vec<Resource>) -> Result<Vec<Resource>, String> {
    let mut out: Vec<Resource> = Vec::new();
    while !pending.is_empty() {
        let done: BTreeSet<&str> = out.iter().map(|r| r.id.as_str()).collect();
        let Some(i) = pending.iter().position(|r| r.depends_on.iter().all(|d| done.contains(d.as_str()))) else {
            return Err(pending.iter().map(|r| r.id.clone()).collect::<Vec<_>>().join(", "));
        };
        out.push(pending.remove(i));
    }
    Ok(out)
}

/// A lowercase RFC 1123 label.
pub fn dns_label(s: &str) -> bool {
    !s.is_empty() && s.len() <= 63 && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') && !s.starts_with('-') && !s.ends_with('-')
}
