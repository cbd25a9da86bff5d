//! The objects a GitOps tree asks for, and what a change to the tree does.
//!
//! A tree is the repository folder Argo CD syncs (plain manifests, in
//! `*.yaml`, `*.yml` or `*.json` files; other files are ignored, as Argo
//! CD's directory sources ignore them). Its objects are every document of
//! those files, plus, for each instance of a ResourceGraphDefinition the
//! tree defines, the objects kro expands it into. Two versions of a tree
//! (the pull request's base and head) give the changes: objects created,
//! updated and deleted, each with where it comes from.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::rgd::{Rgd, RGD_API_VERSION};
use crate::{yaml_documents, Error};

/// An object's identity in a cluster: API group, kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// The API group (empty for the core group).
    pub group: String,
    /// The kind.
    pub kind: String,
    /// The namespace (empty when not set).
    pub namespace: String,
    /// The name.
    pub name: String,
}

impl ObjectKey {
    /// The key of an object.
    pub fn of(obj: &Value) -> ObjectKey {
        let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
        let api_version = s("/apiVersion");
        let group = api_version.rsplit_once('/').map(|(g, _)| g.to_string()).unwrap_or_default();
        ObjectKey { group, kind: s("/kind"), namespace: s("/metadata/namespace"), name: s("/metadata/name") }
    }
}

/// Where a desired object comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file, relative to the tree.
    pub file: String,
    /// For an object of a kro expansion: the instance's kind and name, and the resource id.
    pub expansion: Option<(String, String, String)>,
}

/// One object the tree asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// Where it comes from.
    pub origin: Origin,
    /// The object.
    pub object: Value,
}

/// What a change does to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The object is new.
    Create,
    /// The object changes.
    Update,
    /// The object goes.
    Delete,
}

/// A change to one object.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What happens.
    pub action: Action,
    /// Where the object comes from (in the head, or in the base for a delete).
    pub origin: Origin,
    /// The object before (none for a create).
    pub before: Option<Value>,
    /// The object after (none for a delete).
    pub after: Option<Value>,
}

/// Whether a file of the tree holds manifests.
pub fn is_manifest(path: &str) -> bool {
    [".yaml", ".yml", ".json"].iter().any(|x| path.ends_with(x))
}

/// The ResourceGraphDefinitions among the files.
pub fn rgds(files: &BTreeMap<String, String>) -> Result<Vec<Rgd>, Error> {
    let mut out = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| is_manifest(p)) {
        for doc in yaml_documents(text).map_err(|e| Error::new(path, vec![e]))? {
            if doc.get("apiVersion").and_then(Value::as_str) == Some(RGD_API_VERSION)
                && doc.get("kind").and_then(Value::as_str) == Some("ResourceGraphDefinition")
            {
                out.push(Rgd::from_object(&doc).map_err(|e| Error::new(&format!("{path}: {}", e.context), e.problems))?);
            }
        }
    }
    Ok(out)
}

/// Every object the tree asks for: its documents in file order (files by
/// path), each instance of one of its ResourceGraphDefinitions followed by
/// its expansion. All problems are reported together.
pub fn desired(files: &BTreeMap<String, String>) -> Result<Vec<Desired>, Error> {
    let rgds = rgds(files)?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| is_manifest(p)) {
        let docs = match yaml_documents(text) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("{path}: {e}"));
                continue;
            }
        };
        for doc in docs {
            let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
            let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
            if api_version.is_empty() || kind.is_empty() {
                problems.push(format!("{path}: a document without apiVersion and kind is not a Kubernetes object"));
                continue;
            }
            let rgd = rgds.iter().find(|r| r.api_version() == api_version && r.kind == kind);
            out.push(Desired { origin: Origin { file: path.clone(), expansion: None }, object: doc.clone() });
            if let Some(rgd) = rgd {
                let name = ObjectKey::of(&doc).name;
                match rgd.expand(&doc, &mut |e| Ok(e.object.clone())) {
                    Ok(objs) => {
                        out.extend(objs.into_iter().map(|e| Desired {
                            origin: Origin { file: path.clone(), expansion: Some((kind.to_string(), name.clone(), e.id)) },
                            object: e.object,
                        }))
                    }
                    Err(e) => problems.extend(e.problems.iter().map(|p| format!("{path}: {}: {p}", e.context))),
                }
            }
        }
    }
    let mut seen: BTreeMap<ObjectKey, &str> = BTreeMap::new();
    for d in &out {
        if let Some(first) = seen.insert(ObjectKey::of(&d.object), &d.origin.file) {
            let k = ObjectKey::of(&d.object);
            problems.push(format!("{}: {} {}/{} is also defined by {first}", d.origin.file, k.kind, k.namespace, k.name));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::new("the GitOps tree", problems))
    }
}

/// What changes from the `base` objects to the `head` ones: creates and
/// updates in the head's order, then deletes in the base's.
pub fn diff(base: &[Desired], head: &[Desired]) -> Vec<Change> {
    let before: BTreeMap<ObjectKey, &Desired> = base.iter().map(|d| (ObjectKey::of(&d.object), d)).collect();
    let after: BTreeMap<ObjectKey, &Desired> = head.iter().map(|d| (ObjectKey::of(&d.object), d)).collect();
    let mut out = Vec::new();
    for d in head {
        match before.get(&ObjectKey::of(&d.object)) {
            None => out.push(Change { action: Action::Create, origin: d.origin.clone(), before: None, after: Some(d.object.clone()) }),
            Some(b) if b.object != d.object => {
                out.push(Change { action: Action::Update, origin: d.origin.clone(), before: Some(b.object.clone()), after: Some(d.object.clone()) })
            }
            Some(_) => {}
        }
    }
    for d in base {
        if !after.contains_key(&ObjectKey::of(&d.object)) {
            out.push(Change { action: Action::Delete, origin: d.origin.clone(), before: Some(d.object.clone()), after: None });
        }
    }
    out
}

/// The changes from the `base` tree to the `head` one (each path → text).
/// A problem in either (a file that is not YAML, an application its
/// template refuses) is an error.
pub fn plan(base: &BTreeMap<String, String>, head: &BTreeMap<String, String>) -> Result<Vec<Change>, Error> {
    let after = desired(head)?;
    let before = desired(base).map_err(|e| Error::new("the base of the GitOps tree", e.problems))?;
    Ok(diff(&before, &after))
}
