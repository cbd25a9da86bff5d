//! Progress of a run for the CLI to show ([`Event`], sent to an
//! [`EventSink`]), and the names actions have in traces and messages.

use std::sync::Arc;

use iac_core::address::InstanceAddr;
use iac_core::plan::Action;
use iac_core::Value;

/// Progress of an apply, for the CLI to show.
#[derive(Clone, Debug)]
pub enum Event {
    Start {
        addr: InstanceAddr,
        action: Action,
        /// The key of the deposed object being destroyed (a
        /// create-before-destroy replacement's old object), which
        /// Terraform names as it starts: `addr (deposed object KEY)`.
        deposed: Option<String>,
    },
    Done {
        addr: InstanceAddr,
        action: Action,
        elapsed_ms: u128,
        /// What the object is named by after the operation, as Terraform's
        /// `ObjectValueID` finds it (none after a delete), for the lines
        /// that name it (`[id=...]`, `[name=...]`).
        id: Option<ObjectLabel>,
    },
    Failed {
        addr: InstanceAddr,
        action: Action,
        message: String,
    },
    /// Waiting for the state lock (`-lock-timeout`): who holds it, how long
    /// this run has waited and will wait. Emitted at once, then at a steady
    /// interval ([`crate::statemgr::LockWait`]).
    LockWait {
        holder: iac_core::backend::LockInfo,
        waited: std::time::Duration,
        timeout: std::time::Duration,
    },
    /// An ephemeral resource instance being opened, renewed or closed
    /// (`elapsed_ms` None), or done with that (Some).
    Ephemeral {
        addr: InstanceAddr,
        op: EphemeralOp,
        elapsed_ms: Option<u128>,
    },
}

/// What is done to an ephemeral resource instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EphemeralOp {
    Open,
    Renew,
    Close,
}

impl EphemeralOp {
    /// Terraform's name of it in the JSON UI's `hook.action`.
    pub fn ui_name(self) -> &'static str {
        match self {
            EphemeralOp::Open => "open",
            EphemeralOp::Renew => "renew",
            EphemeralOp::Close => "close",
        }
    }

    /// Terraform's word for it in progress lines (`Opening...`).
    pub fn progressive(self) -> &'static str {
        match self {
            EphemeralOp::Open => "Opening",
            EphemeralOp::Renew => "Renewing",
            EphemeralOp::Close => "Closing",
        }
    }
}

/// The attribute an object is named by in progress lines (`[id=i-1]`,
/// `[name=web]`, `[tags.Name=web]`), found as Terraform 1.11.4's
/// `format.ObjectValueID` and `ObjectValueIDOrName` find it: by the
/// conventions of resource schemas, never a sensitive, unknown or null value.
/// `value` may be empty (Terraform's JSON UI still gives the key); the lines
/// name only a non-empty one ([`ObjectLabel::shown`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectLabel {
    /// `id`, `name`, `tags.name` or `tags.Name`.
    pub key: &'static str,
    pub value: String,
}

impl ObjectLabel {
    /// The object's `id`, or without a string `id` attribute its `name`
    /// (Terraform's `ObjectValueID`: what is named after an operation and
    /// as an object is refreshed). An `id` attribute that is null, unknown
    /// or sensitive names nothing: the `name` is not tried then.
    pub fn id(obj: &Value) -> Option<ObjectLabel> {
        let Value::Map(attrs) = obj else { return None };
        let (key, found) = match (attrs.get("id"), attrs.get("name")) {
            (Some(id), _) if is_string_typed(id) => ("id", id),
            (_, Some(name)) if is_string_typed(name) => ("name", name),
            _ => return None,
        };
        known_string(found).map(|value| ObjectLabel { key, value })
    }

    /// [`ObjectLabel::id`], or failing that the object's `name` or its
    /// `tags`' `name` or `Name` (Terraform's `ObjectValueIDOrName`: what an
    /// update or destroy is named by as it starts and while it runs).
    pub fn id_or_name(obj: &Value) -> Option<ObjectLabel> {
        ObjectLabel::id(obj).or_else(|| ObjectLabel::name(obj))
    }

    /// Terraform's `ObjectValueName`: a string `name` attribute, else a map
    /// of strings `tags`, wholly known and not sensitive, by its `name` key,
    /// else its `Name` key (AWS's convention).
    fn name(obj: &Value) -> Option<ObjectLabel> {
        let Value::Map(attrs) = obj else { return None };
        if let Some(name) = attrs.get("name").filter(|v| is_string_typed(v)) {
            return known_string(name).map(|value| ObjectLabel { key: "name", value });
        }
        let Value::Map(tags) = attrs.get("tags")? else { return None };
        if tags.values().any(|v| !is_string_typed(v) || !v.is_wholly_known()) {
            return None;
        }
        let (key, tag) = match tags.get("name") {
            Some(tag) => ("tags.name", tag),
            None => ("tags.Name", tags.get("Name")?),
        };
        known_string(tag).map(|value| ObjectLabel { key, value })
    }

    /// The label as the lines show it: `Some("id=i-1")` when both its key
    /// and value are non-empty.
    pub fn shown(&self) -> Option<String> {
        (!self.value.is_empty()).then(|| format!("{}={}", self.key, self.value))
    }
}

/// Whether an attribute's value can be of Terraform's string type (its type
/// is the schema's; a null, unknown or sensitive value may be a string).
fn is_string_typed(v: &Value) -> bool {
    matches!(v.unmarked(), Value::String(_) | Value::Null | Value::Unknown)
}

/// A string value that is known, not null and not sensitive.
fn known_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn obj(attrs: Vec<(&str, Value)>) -> Value {
        Value::map(attrs)
    }

    fn tags(entries: Vec<(&str, Value)>) -> Value {
        Value::typed_map(entries)
    }

    fn shown(label: Option<ObjectLabel>) -> Option<String> {
        label.as_ref().and_then(ObjectLabel::shown)
    }

    /// Terraform 1.11.4's `ObjectValueID` and `ObjectValueIDOrName`
    /// (`internal/command/format/object_id.go`): an `id` attribute of string
    /// type decides alone, even when null; else a `name`; for what starts,
    /// else the `tags`' `name` or `Name`, only when all the tags are known.
    #[test]
    fn objects_are_named_as_terraform_names_them() {
        let cases: Vec<(&str, Value, Option<&str>, Option<&str>)> = vec![
            ("id", obj(vec![("id", s("i-1")), ("name", s("web"))]), Some("id=i-1"), Some("id=i-1")),
            ("no id attribute", obj(vec![("name", s("web"))]), Some("name=web"), Some("name=web")),
            ("id not a string", obj(vec![("id", Value::from(3i64)), ("name", s("web"))]), Some("name=web"), Some("name=web")),
            ("null id", obj(vec![("id", Value::Null), ("name", s("web"))]), None, Some("name=web")),
            ("unknown id", obj(vec![("id", Value::Unknown), ("name", s("web"))]), None, Some("name=web")),
            ("sensitive id", obj(vec![("id", s("i-1").into_sensitive()), ("name", s("web"))]), None, Some("name=web")),
            ("empty id hides the name", obj(vec![("id", s("")), ("name", s("web"))]), None, None),
            ("sensitive name", obj(vec![("name", s("web").into_sensitive())]), None, None),
            ("tags.Name", obj(vec![("id", Value::Null), ("tags", tags(vec![("Name", s("web")), ("env", s("prod"))]))]), None, Some("tags.Name=web")),
            ("tags.name first", obj(vec![("tags", tags(vec![("Name", s("B")), ("name", s("a"))]))]), None, Some("tags.name=a")),
            ("null name hides tags", obj(vec![("name", Value::Null), ("tags", tags(vec![("Name", s("web"))]))]), None, None),
            ("tags partly unknown", obj(vec![("tags", tags(vec![("Name", s("web")), ("env", Value::Unknown)]))]), None, None),
            ("sensitive tags", obj(vec![("tags", tags(vec![("Name", s("web"))]).into_sensitive())]), None, None),
            ("sensitive tag", obj(vec![("tags", tags(vec![("Name", s("web").into_sensitive())]))]), None, None),
            ("null tags", obj(vec![("tags", Value::Null)]), None, None),
            ("tags without a name", obj(vec![("tags", tags(vec![("env", s("prod"))]))]), None, None),
            ("nothing", obj(vec![("arn", s("arn:x"))]), None, None),
            ("unknown object", Value::Unknown, None, None),
            ("null object", Value::Null, None, None),
        ];
        for (case, v, id, id_or_name) in cases {
            assert_eq!((shown(ObjectLabel::id(&v)), shown(ObjectLabel::id_or_name(&v))), (id.map(str::to_string), id_or_name.map(str::to_string)), "{case}");
        }
    }
}
