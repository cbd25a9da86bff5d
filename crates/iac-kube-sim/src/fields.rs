//! Field sets as server-side apply tracks them: the set of paths an object
//! sets, in the `FieldsV1` encoding of `metadata.managedFields`
//! (`f:name`, `k:{"name":"x"}`, `v:"x"`, `i:0`), and the list semantics
//! that decide how lists are owned and merged.
//!
//! Without the OpenAPI schemas of every kind, list types come from the
//! list-map keys the Kubernetes API declares for the common fields
//! (containers by name, ports by port and protocol, conditions by type...),
//! and a list of objects that all have a unique `name` is keyed by name;
//! `finalizers` is a set; every other list is atomic.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// One step of a path, encoded as in `FieldsV1`.
pub type Path = Vec<String>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet(pub BTreeSet<Path>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    /// The list is one value, owned as a whole.
    Atomic,
    /// A list of distinct scalars; each is owned separately.
    Set,
    /// A list of objects identified by these key fields.
    Map(&'static [&'static str]),
}

/// Top-level fields never tracked: identity and server-owned metadata.
const IGNORED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// How the list at field `field` with these items is owned.
pub fn list_kind(field: &str, items: &[Value]) -> ListKind {
    if items.is_empty() {
        return ListKind::Atomic;
    }
    if items.iter().all(|i| !i.is_object() && !i.is_array()) {
        let distinct = items.iter().map(Value::to_string).collect::<BTreeSet<_>>().len() == items.len();
        return if field == "finalizers" && distinct { ListKind::Set } else { ListKind::Atomic };
    }
    if !items.iter().all(Value::is_object) {
        return ListKind::Atomic;
    }
    let has = |k: &str| items.iter().all(|i| i.get(k).is_some_and(|v| !v.is_object() && !v.is_array() && !v.is_null()));
    let keys: &'static [&'static str] = match field {
        "ports" if has("containerPort") => &["containerPort", "protocol"],
        "ports" if has("port") => &["port", "protocol"],
        "volumeMounts" if has("mountPath") => &["mountPath"],
        "volumeDevices" if has("devicePath") => &["devicePath"],
        "conditions" if has("type") => &["type"],
        "hostAliases" if has("ip") => &["ip"],
        "topologySpreadConstraints" if has("topologyKey") => &["topologyKey", "whenUnsatisfiable"],
        _ if has("name") => &["name"],
        _ => return ListKind::Atomic,
    };
    let distinct = items.iter().map(|i| item_key(i, keys)).collect::<BTreeSet<_>>().len() == items.len();
    if distinct {
        ListKind::Map(keys)
    } else {
        ListKind::Atomic
    }
}

/// `k:{"name":"x"}`: the key fields present in the item, sorted by name.
pub fn item_key(item: &Value, keys: &[&str]) -> String {
    let mut sorted: Vec<&str> = keys.iter().copied().filter(|k| item.get(*k).is_some_and(|v| !v.is_null())).collect();
    sorted.sort_unstable();
    let mut m = Map::new();
    for k in sorted {
        m.insert(k.to_string(), item[k].clone());
    }
    format!("k:{}", Value::Object(m))
}

impl FieldSet {
    /// The fields `obj` sets, ignoring identity metadata, and `status` when
    /// the type has a status subresource.
    pub fn of_object(obj: &Value, ignore_status: bool) -> FieldSet {
        let mut out = BTreeSet::new();
        if let Some(m) = obj.as_object() {
            for (k, v) in m {
                if k == "apiVersion" || k == "kind" || (ignore_status && k == "status") || v.is_null() {
                    continue;
                }
                if k == "metadata" {
                    if let Some(meta) = v.as_object() {
                        for (mk, mv) in meta {
                            if !IGNORED_METADATA.contains(&mk.as_str()) && !mv.is_null() {
                                walk(mv, vec!["f:metadata".into(), format!("f:{mk}")], mk, &mut out);
                            }
                        }
                    }
                    continue;
                }
                walk(v, vec![format!("f:{k}")], k, &mut out);
            }
        }
        FieldSet(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn contains(&self, p: &Path) -> bool {
        self.0.contains(p)
    }
    pub fn union(&self, o: &FieldSet) -> FieldSet {
        FieldSet(self.0.union(&o.0).cloned().collect())
    }
    pub fn difference(&self, o: &FieldSet) -> FieldSet {
        FieldSet(self.0.difference(&o.0).cloned().collect())
    }
    pub fn intersection(&self, o: &FieldSet) -> FieldSet {
        FieldSet(self.0.intersection(&o.0).cloned().collect())
    }
    /// Whether `p` or anything below it is in the set.
    pub fn covers(&self, p: &Path) -> bool {
        self.0.range(p.clone()..).next().is_some_and(|q| q.starts_with(p))
    }

    /// The `FieldsV1` JSON tree.
    pub fn to_fields_v1(&self) -> Value {
        let mut root = Map::new();
        for p in &self.0 {
            let mut node = &mut root;
            for (i, elem) in p.iter().enumerate() {
                let child = node.entry(elem.clone()).or_insert_with(|| Value::Object(Map::new()));
                let child = child.as_object_mut().expect("field set nodes are objects");
                if i + 1 == p.len() {
                    child.insert(".".into(), Value::Object(Map::new()));
                }
                node = child;
            }
        }
        compact(&mut root);
        Value::Object(root)
    }

    pub fn from_fields_v1(v: &Value) -> FieldSet {
        fn go(v: &Value, path: &mut Path, out: &mut BTreeSet<Path>) {
            let Some(m) = v.as_object() else { return };
            if !path.is_empty() && (m.is_empty() || m.contains_key(".")) {
                out.insert(path.clone());
            }
            for (k, c) in m {
                if k != "." {
                    path.push(k.clone());
                    go(c, path, out);
                    path.pop();
                }
            }
        }
        let mut out = BTreeSet::new();
        go(v, &mut Vec::new(), &mut out);
        FieldSet(out)
    }
}

/// A member node with no children is written `{}`, not `{".":{}}`.
fn compact(m: &mut Map<String, Value>) {
    for (_, v) in m.iter_mut() {
        if let Some(c) = v.as_object_mut() {
            if c.len() == 1 && c.contains_key(".") {
                c.clear();
            } else {
                compact(c);
            }
        }
    }
}

fn walk(v: &Value, path: Path, field: &str, out: &mut BTreeSet<Path>) {
    match v {
        Value::Null => {}
        Value::Object(m) => {
            let live: Vec<_> = m.iter().filter(|(_, c)| !c.is_null()).collect();
            if live.is_empty() {
                out.insert(path);
                return;
            }
            for (k, c) in live {
                let mut p = path.clone();
                p.push(format!("f:{k}"));
                walk(c, p, k, out);
            }
        }
        Value::Array(items) => match list_kind(field, items) {
            ListKind::Atomic => {
                out.insert(path);
            }
            ListKind::Set => {
                for i in items {
                    let mut p = path.clone();
                    p.push(format!("v:{i}"));
                    out.insert(p);
                }
            }
            ListKind::Map(keys) => {
                for i in items {
                    let mut p = path.clone();
                    p.push(item_key(i, keys));
                    out.insert(p.clone());
                    for (k, c) in i.as_object().into_iter().flatten() {
                        let mut q = p.clone();
                        q.push(format!("f:{k}"));
                        walk(c, q, k, out);
                    }
                }
            }
        },
        _ => {
            out.insert(path);
        }
    }
}

/// Whether the path names a list item (owned by existence, not by value).
pub fn is_item(p: &Path) -> bool {
    p.last().is_some_and(|e| e.starts_with("k:") || e.starts_with("v:"))
}

fn find_item(items: &[Value], elem: &str) -> Option<usize> {
    if let Some(k) = elem.strip_prefix("k:") {
        let want: Map<String, Value> = serde_json::from_str(k).ok()?;
        items.iter().position(|i| want.iter().all(|(f, v)| i.get(f) == Some(v)))
    } else if let Some(v) = elem.strip_prefix("v:") {
        let want: Value = serde_json::from_str(v).ok()?;
        items.iter().position(|i| *i == want)
    } else if let Some(n) = elem.strip_prefix("i:") {
        n.parse().ok().filter(|n| *n < items.len())
    } else {
        None
    }
}

/// The value at a path, if the object has it.
pub fn get<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    for elem in path {
        cur = match elem.strip_prefix("f:") {
            Some(f) => cur.get(f)?,
            None => {
                let items = cur.as_array()?;
                &items[find_item(items, elem)?]
            }
        };
    }
    Some(cur).filter(|v| !v.is_null())
}

/// Removes the value at a path (a map key or a list item); absent paths are ignored.
pub fn remove(obj: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for elem in parent {
        let next = match elem.strip_prefix("f:") {
            Some(f) => cur.get_mut(f),
            None => match cur.as_array_mut() {
                Some(items) => match find_item(items, elem) {
                    Some(i) => items.get_mut(i),
                    None => None,
                },
                None => None,
            },
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    match last.strip_prefix("f:") {
        Some(f) => {
            if let Some(m) = cur.as_object_mut() {
                m.remove(f);
            }
        }
        None => {
            if let Some(items) = cur.as_array_mut() {
                if let Some(i) = find_item(items, last) {
                    items.remove(i);
                }
            }
        }
    }
}

/// Merges `config` into `live` as apply does: maps field by field (a null
/// removes the field), keyed lists item by item, sets by union, anything else replaced.
pub fn merge(live: &mut Value, config: &Value, field: &str) {
    match (live, config) {
        (Value::Object(l), Value::Object(c)) => {
            for (k, cv) in c {
                if cv.is_null() {
                    l.remove(k);
                } else if let Some(lv) = l.get_mut(k) {
                    merge(lv, cv, k);
                } else {
                    l.insert(k.clone(), without_nulls(cv));
                }
            }
        }
        (Value::Array(l), Value::Array(c)) => match list_kind(field, c) {
            ListKind::Atomic => *l = c.iter().map(without_nulls).collect(),
            ListKind::Set => {
                for ci in c {
                    if !l.contains(ci) {
                        l.push(ci.clone());
                    }
                }
            }
            ListKind::Map(keys) => {
                for ci in c {
                    let key = item_key(ci, keys);
                    match l.iter_mut().find(|li| li.is_object() && item_key(li, keys) == key) {
                        Some(li) => merge(li, ci, ""),
                        None => l.push(without_nulls(ci)),
                    }
                }
            }
        },
        (l, c) => *l = without_nulls(c),
    }
}

fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        v => v.clone(),
    }
}

/// `.spec.template.spec.containers[name="app"].image`, as the API server names fields in conflicts.
pub fn display(path: &Path) -> String {
    let mut s = String::new();
    for elem in path {
        if let Some(f) = elem.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = elem.strip_prefix("k:") {
            let keys: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
            let parts: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = elem.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        } else if let Some(i) = elem.strip_prefix("i:") {
            s.push_str(&format!("[{i}]"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}, "finalizers": ["a", "b"]},
            "spec": {
                "replicas": 2,
                "template": {"spec": {"containers": [
                    {"name": "app", "image": "nginx", "ports": [{"containerPort": 80, "protocol": "TCP"}], "args": ["-v"]}
                ]}}
            },
            "status": {"readyReplicas": 2}
        })
    }

    #[test]
    fn an_object_s_fields_follow_the_fields_v1_encoding() {
        let fs = FieldSet::of_object(&deployment(), true);
        let v1 = fs.to_fields_v1();
        let expected = json!({
            "f:metadata": {"f:labels": {"f:app": {}}, "f:finalizers": {"v:\"a\"": {}, "v:\"b\"": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {
                    ".": {}, "f:name": {}, "f:image": {}, "f:args": {},
                    "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}, "f:protocol": {}}}
                }}}}
            }
        });
        assert_eq!(v1, expected);
        assert_eq!(FieldSet::from_fields_v1(&v1), fs, "decoding inverts encoding");
        assert!(!fs.covers(&vec!["f:status".to_string()]), "status is left to the status subresource");
    }

    #[test]
    fn list_kinds_follow_the_api_s_keys() {
        let cases: Vec<(&str, Value, ListKind)> = vec![
            ("containers", json!([{"name": "a"}, {"name": "b"}]), ListKind::Map(&["name"])),
            ("containers", json!([{"name": "a"}, {"name": "a"}]), ListKind::Atomic),
            ("ports", json!([{"port": 80}]), ListKind::Map(&["port", "protocol"])),
            ("conditions", json!([{"type": "Ready", "status": "True"}]), ListKind::Map(&["type"])),
            ("rules", json!([{"apiGroups": [""], "verbs": ["get"]}]), ListKind::Atomic),
            ("finalizers", json!(["x", "y"]), ListKind::Set),
            ("args", json!(["x", "y"]), ListKind::Atomic),
            ("args", json!([]), ListKind::Atomic),
        ];
        for (field, items, kind) in cases {
            assert_eq!(list_kind(field, items.as_array().unwrap()), kind, "{field} {items}");
        }
    }

    #[test]
    fn paths_can_be_read_removed_and_displayed() {
        let mut d = deployment();
        let image: Path = ["f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"app\"}", "f:image"].iter().map(|s| s.to_string()).collect();
        assert_eq!(get(&d, &image), Some(&json!("nginx")));
        assert_eq!(display(&image), ".spec.template.spec.containers[name=\"app\"].image");
        remove(&mut d, &image);
        assert_eq!(get(&d, &image), None);
        let fin: Path = vec!["f:metadata".into(), "f:finalizers".into(), "v:\"a\"".into()];
        remove(&mut d, &fin);
        assert_eq!(d["metadata"]["finalizers"], json!(["b"]));
    }

    #[test]
    fn merge_keeps_other_items_and_fields() {
        let mut live = deployment();
        let config = json!({"metadata": {"labels": {"tier": "front"}}, "spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:2"}, {"name": "sidecar", "image": "envoy"}
        ]}}}});
        merge(&mut live, &config, "");
        assert_eq!(live["metadata"]["labels"], json!({"app": "web", "tier": "front"}));
        let cs = &live["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs[0]["image"], "nginx:2");
        assert_eq!(cs[0]["args"], json!(["-v"]), "fields the config does not mention stay");
        assert_eq!(cs[1]["name"], "sidecar");
        merge(&mut live, &json!({"spec": {"replicas": null}}), "");
        assert!(live["spec"].get("replicas").is_none(), "null removes");
    }
}
