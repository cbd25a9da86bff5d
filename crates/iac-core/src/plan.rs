//! Plans: the changes the engine proposes, and the saved plan file that
//! `iac apply FILE` executes exactly.

use serde::{Deserialize, Serialize};

use crate::address::{InstanceAddr, ProviderAddr, ResourceAddr};
use crate::path::{AttrPath, PathStep};
use crate::provider::PlanChangeResponse;
use crate::schema::{Block, Nesting, ResourceSchema};
use crate::state::State;
use crate::value::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    /// Destroy then create (or create then destroy with create_before_destroy).
    Replace,
    Delete,
    /// Adopt an existing object into state (from an `import` block).
    Import,
    /// Drop an object from state and leave it be (a `removed` block with
    /// `destroy = false`): no provider call.
    Forget,
}

/// Every word iac uses for an action is here, so that plans, reports, the
/// CLI's progress lines, JSON output and traces say the same thing.
impl Action {
    /// The action's name in Terraform's JSON, in traces and in messages:
    /// `no-op`, `create`, `read`, `update`, `replace`, `delete`, `import`,
    /// `forget` (also its serialized form).
    pub fn name(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Import => "import",
            Action::Forget => "forget",
        }
    }

    /// The action in Terraform's machine-readable UI stream (`-json`), which
    /// spells no-op `noop` and calls a forget `remove`.
    pub fn ui_name(self) -> &'static str {
        match self {
            Action::NoOp => "noop",
            Action::Forget => "remove",
            a => a.name(),
        }
    }

    /// Terraform's JSON `actions` list: a replace is a delete and a create,
    /// in the order they run; an import plans no change.
    pub fn json_actions(self, create_before_destroy: bool) -> Vec<&'static str> {
        match self {
            Action::NoOp | Action::Import => vec![Action::NoOp.name()],
            Action::Replace if create_before_destroy => vec![Action::Create.name(), Action::Delete.name()],
            Action::Replace => vec![Action::Delete.name(), Action::Create.name()],
            a => vec![a.name()],
        }
    }

    /// The verb a person reads in a summary: `create`, `update`, `replace`,
    /// `destroy`, `read`, `import`, `no-op` (Terraform says "destroy" to
    /// people and "delete" in JSON).
    pub fn verb(self) -> &'static str {
        match self {
            Action::Delete => "destroy",
            a => a.name(),
        }
    }

    /// The heading of a group of such changes: `Create`, `Destroy`, ...
    pub fn title(self) -> &'static str {
        match self {
            Action::NoOp => "No change",
            Action::Create => "Create",
            Action::Read => "Read",
            Action::Update => "Update",
            Action::Replace => "Replace",
            Action::Delete => "Destroy",
            Action::Import => "Import",
            Action::Forget => "Forget",
        }
    }

    /// The symbol before a change in the human plan: `+`, `-`, `~`, `-/+`,
    /// `<=`; a blank for imports and unchanged objects.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Delete => "-",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Read => "<=",
            Action::Forget => ".",
            Action::NoOp | Action::Import => " ",
        }
    }

    /// What the human plan says after an object's address ("will be created").
    pub fn plan_phrase(self, create_before_destroy: bool) -> &'static str {
        match self {
            Action::Create => "will be created",
            Action::Delete => "will be destroyed",
            Action::Update => "will be updated in-place",
            Action::Replace if create_before_destroy => "must be replaced (create before destroy)",
            Action::Replace => "must be replaced",
            Action::Read => "will be read during apply",
            Action::Import => "will be imported",
            Action::Forget => "will no longer be managed by iac, but will not be destroyed",
            Action::NoOp => "is unchanged",
        }
    }

    /// Apply's progress word, as Terraform prints it: `Creating...`, and
    /// `Still creating...` in lower case.
    pub fn progressive(self) -> &'static str {
        match self {
            Action::Create => "Creating",
            Action::Update => "Modifying",
            Action::Replace => "Replacing",
            Action::Delete => "Destroying",
            Action::Read => "Reading",
            Action::Import => "Importing",
            Action::Forget => "Forgetting",
            Action::NoOp => "Working",
        }
    }

    /// Apply's line when an operation ends, as Terraform prints it
    /// (`Creation complete after 2s`).
    pub fn completed(self) -> &'static str {
        match self {
            Action::Create => "Creation complete",
            Action::Update => "Modifications complete",
            Action::Replace => "Replacement complete",
            Action::Delete => "Destruction complete",
            Action::Read => "Read complete",
            Action::Import => "Import complete",
            Action::Forget => "Forgotten",
            Action::NoOp => "Complete",
        }
    }

    /// What happened to an object, for counts ("2 added, 1 changed, 1 destroyed").
    pub fn done(self) -> &'static str {
        match self {
            Action::Create => "added",
            Action::Update => "changed",
            Action::Replace => "replaced",
            Action::Delete => "destroyed",
            Action::Read => "read",
            Action::Import => "imported",
            Action::Forget => "forgotten",
            Action::NoOp => "unchanged",
        }
    }

    /// What happens to an output value: `added`, `removed`, `changed`.
    pub fn output_done(self) -> &'static str {
        match self {
            Action::Create => "added",
            Action::Delete => "removed",
            Action::NoOp => "unchanged",
            _ => "changed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanMode {
    Normal,
    Destroy,
    RefreshOnly,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub addr: InstanceAddr,
    /// Set when a `moved` block renamed the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_addr: Option<InstanceAddr>,
    pub provider: ProviderAddr,
    pub action: Action,
    /// The object before (null for a create), with marks.
    pub before: Value,
    /// The object after (null for a delete), with marks and unknowns.
    pub after: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace_paths: Vec<AttrPath>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub create_before_destroy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<serde_json::Value>,
    /// Direct dependencies, recorded into state after apply.
    #[serde(default)]
    pub dependencies: Vec<ResourceAddr>,
    /// For imports: the id given to the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<String>,
    /// Set on the destroy of a deposed object (what a create-before-destroy
    /// replacement set aside): its key. The address is then shared with the
    /// instance's current object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Value,
    pub after: Value,
    pub sensitive: bool,
    /// Terraform's type JSON of `after` (see [`crate::state::OutputState`]'s
    /// `type_`): from the value's kinds, its nulls' and empty collections'
    /// types filled in from the output's expression where that knows them.
    /// Absent in older plans, and then derived from the value.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<serde_json::Value>,
}

impl OutputChange {
    /// The type JSON of `after`: the one recorded, else from its kinds.
    pub fn after_type(&self) -> serde_json::Value {
        self.type_.clone().unwrap_or_else(|| self.after.type_json())
    }
}

/// A change made outside iac, noticed during refresh.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub addr: InstanceAddr,
    /// Update for changed attributes, Delete when the object is gone.
    pub action: Action,
    pub before: Value,
    pub after: Value,
    pub paths: Vec<AttrPath>,
}

/// A saved plan: everything `apply` needs to do exactly this.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    pub mode: PlanMode,
    /// Digest of the stack's configuration files; apply refuses a changed stack.
    pub stack_digest: String,
    /// Lineage and serial of the state the plan was made from.
    pub prior_lineage: String,
    pub prior_serial: u64,
    /// The root variables' values, ephemeral variables excepted: those are
    /// never saved, and the apply of a saved plan is given them again.
    pub variables: crate::value::ValueMap,
    /// The ephemeral root variables given a value when the plan was made,
    /// which its apply must be given too (Terraform's `apply_time_variables`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apply_time_variables: Vec<String>,
    pub changes: Vec<ResourceChange>,
    pub outputs: Vec<OutputChange>,
    pub drift: Vec<Drift>,
    /// The prior state after refresh, moves and imports: apply starts from it.
    pub prior_state: State,
    #[serde(default)]
    pub targets: Vec<String>,
    /// Error diagnostics rendered when the plan could not be completed.
    #[serde(default)]
    pub errored: bool,
    /// When the plan was made (RFC 3339, UTC): Terraform's JSON `timestamp`.
    #[serde(default)]
    pub timestamp: String,
    /// Full provider source addresses by local name (`aws` →
    /// `registry.terraform.io/hashicorp/aws`), from `required_providers`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub provider_sources: std::collections::BTreeMap<String, String>,
    /// The stack's configuration in Terraform's JSON configuration
    /// representation, made with the plan (a saved plan is shown without the stack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<serde_json::Value>,
    /// Terraform's `relevant_attributes`: `{resource, attribute}` the configuration refers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relevant_attributes: Vec<serde_json::Value>,
    /// The results of the stack's `check` blocks when the plan was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
}

/// How a `check` block (or one instance of it) came out: Terraform's
/// check statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Fail,
    /// A condition not known until apply.
    Unknown,
    /// A condition that could not be evaluated.
    Error,
}

impl CheckStatus {
    /// The status of a whole made of parts: an error or a failure wins,
    /// then unknown; nothing at all is unknown.
    pub fn aggregate(parts: impl IntoIterator<Item = CheckStatus>) -> CheckStatus {
        let parts: Vec<CheckStatus> = parts.into_iter().collect();
        [CheckStatus::Error, CheckStatus::Fail, CheckStatus::Unknown].into_iter().find(|s| parts.contains(s)).unwrap_or(if parts.is_empty() {
            CheckStatus::Unknown
        } else {
            CheckStatus::Pass
        })
    }
}

/// One checkable object of the configuration (a `check` block, a resource
/// or data source with preconditions or postconditions, an output with
/// preconditions, a variable with validation rules), with a result per
/// instance. Addresses are kept as shown (`module.a`, `module.a[0]`, empty
/// for the root), for reports only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The module that declares it (`module.a`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    /// What it is (Terraform's checkable kinds); a `check` block when absent.
    #[serde(default, skip_serializing_if = "CheckObject::is_check")]
    pub object: CheckObject,
    /// Its name in the module (a resource's without type and mode).
    pub name: String,
    pub status: CheckStatus,
    /// Empty both when there are none and when the walk never got to expand
    /// the object (an errored plan): `status` says which (pass or unknown).
    pub instances: Vec<CheckInstance>,
}

/// The kind of a checkable object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CheckObject {
    /// A `check` block.
    #[default]
    Check,
    /// A resource or data source with custom conditions.
    Resource {
        mode: crate::address::Mode,
        #[serde(rename = "type")]
        type_: String,
    },
    /// An output with preconditions.
    OutputValue,
    /// An input variable with validation rules (one instance per module
    /// instance).
    InputVariable,
}

impl CheckObject {
    pub fn is_check(&self) -> bool {
        *self == CheckObject::Check
    }
}

impl CheckResult {
    /// Terraform's address of the object in its module (no module): `check.c`,
    /// `aws_vpc.main`, `data.x.y`, `output.o`.
    pub fn local_address(&self) -> String {
        match &self.object {
            CheckObject::Check => format!("check.{}", self.name),
            CheckObject::Resource { mode, type_ } => format!("{}{type_}.{}", mode.prefix(), self.name),
            CheckObject::OutputValue => format!("output.{}", self.name),
            CheckObject::InputVariable => format!("var.{}", self.name),
        }
    }

    /// The configuration address (`module.a.check.c`).
    pub fn config_address(&self) -> String {
        with_module(&self.module, self.local_address())
    }

    /// The address of one of its instances (`module.a[0].aws_vpc.main["k"]`).
    pub fn instance_address(&self, i: &CheckInstance) -> String {
        with_module(&i.module, format!("{}{}", self.local_address(), i.key))
    }
}

fn with_module(module: &str, local: String) -> String {
    if module.is_empty() {
        local
    } else {
        format!("{module}.{local}")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckInstance {
    /// The module instance (`module.a[0]`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    /// A resource instance's key.
    #[serde(default, skip_serializing_if = "is_no_key", with = "instance_key_json")]
    pub key: crate::address::InstanceKey,
    pub status: CheckStatus,
    /// The error messages of the failed assertions or conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

fn is_no_key(k: &crate::address::InstanceKey) -> bool {
    *k == crate::address::InstanceKey::None
}

/// An instance key as JSON: a number or a string.
mod instance_key_json {
    use crate::address::InstanceKey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(k: &InstanceKey, s: S) -> Result<S::Ok, S::Error> {
        match k {
            InstanceKey::None => s.serialize_none(),
            InstanceKey::Int(i) => s.serialize_i64(*i),
            InstanceKey::Str(v) => s.serialize_str(v),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<InstanceKey, D::Error> {
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => n.as_i64().map(InstanceKey::Int).unwrap_or_default(),
            serde_json::Value::String(v) => InstanceKey::Str(v),
            _ => InstanceKey::None,
        })
    }
}

pub const PLAN_FORMAT_VERSION: &str = "1.0";

/// Why an action was planned: Terraform's `action_reason` values, stored as
/// is in [`ResourceChange::reason`] (plans saved by older iac hold prose,
/// shown as it is).
pub mod reason {
    pub const REPLACE_CANNOT_UPDATE: &str = "replace_because_cannot_update";
    pub const REPLACE_TAINTED: &str = "replace_because_tainted";
    pub const REPLACE_BY_REQUEST: &str = "replace_by_request";
    pub const REPLACE_BY_TRIGGERS: &str = "replace_by_triggers";
    pub const DELETE_NO_RESOURCE_CONFIG: &str = "delete_because_no_resource_config";
    pub const DELETE_NO_MODULE: &str = "delete_because_no_module";
    pub const DELETE_COUNT_INDEX: &str = "delete_because_count_index";
    pub const DELETE_EACH_KEY: &str = "delete_because_each_key";
    pub const DELETE_WRONG_REPETITION: &str = "delete_because_wrong_repetition";
    pub const READ_CONFIG_UNKNOWN: &str = "read_because_config_unknown";
    /// A data source whose configuration is known but which depends on a
    /// managed resource with a planned change: read after that is applied.
    pub const READ_DEPENDENCY_PENDING: &str = "read_because_dependency_pending";
    /// A data source scoped to a `check` block, read while planning and
    /// read again at apply, so the check sees the applied objects.
    pub const READ_CHECK_NESTED: &str = "read_because_check_nested";

    /// A reason for people, with the attributes that force a replacement.
    pub fn describe(code: &str, replace_paths: &[crate::path::AttrPath]) -> String {
        match code {
            REPLACE_CANNOT_UPDATE if !replace_paths.is_empty() => {
                let paths: Vec<String> = replace_paths.iter().map(|p| p.to_string()).collect();
                format!("{} cannot be updated in place", paths.join(", "))
            }
            REPLACE_CANNOT_UPDATE => "an argument that cannot be updated in place changed".into(),
            REPLACE_TAINTED => "tainted: an earlier apply failed part way".into(),
            REPLACE_BY_REQUEST => "requested with -replace".into(),
            REPLACE_BY_TRIGGERS => "replace_triggered_by changed".into(),
            DELETE_NO_RESOURCE_CONFIG => "its configuration is gone".into(),
            DELETE_NO_MODULE => "its module instance is gone".into(),
            DELETE_COUNT_INDEX => "its index is out of range for count".into(),
            DELETE_EACH_KEY => "its key is not in for_each".into(),
            DELETE_WRONG_REPETITION => "its key does not match count or for_each".into(),
            // Terraform's words for these two.
            READ_CONFIG_UNKNOWN => "config refers to values not yet known".into(),
            READ_DEPENDENCY_PENDING => "depends on a resource or a module with changes pending".into(),
            READ_CHECK_NESTED => "config will be reloaded to verify a check block".into(),
            other => other.to_string(),
        }
    }
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp || c.prev_addr.is_some())
            || self.outputs.iter().any(|o| o.action != Action::NoOp)
            || (self.mode == PlanMode::RefreshOnly && !self.drift.is_empty())
    }

    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }
}

/// The plan a provider makes when it has nothing special to say: configured
/// values win, computed attributes keep their prior values (or become unknown
/// on create), and force-new attributes that change require replacement.
/// Providers call this and then refine the result.
pub fn default_plan(schema: &ResourceSchema, prior: Option<&Value>, config: &Value) -> PlanChangeResponse {
    let mut requires_replace = Vec::new();
    let planned = plan_block(&schema.block, prior, config, &AttrPath::root(), &mut requires_replace);
    PlanChangeResponse { planned, requires_replace, private: None }
}

fn plan_block(block: &Block, prior: Option<&Value>, config: &Value, path: &AttrPath, replace: &mut Vec<AttrPath>) -> Value {
    let mut out = crate::value::ValueMap::new();
    for (name, attr) in &block.attributes {
        let cfg = config.get(name).cloned().unwrap_or(Value::Null);
        let old = prior.and_then(|p| p.get(name));
        let value = if !cfg.is_null() {
            cfg
        } else if attr.computed {
            match prior {
                Some(_) => old.cloned().unwrap_or(Value::Null),
                None => Value::Unknown,
            }
        } else {
            Value::Null
        };
        if attr.force_new {
            if let Some(old) = old {
                if prior.is_some() && !values_equal_known(old, &value) {
                    replace.push(path.child(PathStep::Attr(name.clone())));
                }
            }
        }
        out.insert(name.clone(), value);
    }
    for (name, nested) in &block.blocks {
        let cfg = config.get(name).cloned().unwrap_or(Value::Null);
        let old = prior.and_then(|p| p.get(name));
        let child_path = path.child(PathStep::Attr(name.clone()));
        let value = match (nested.nesting, cfg.unmarked()) {
            (_, Value::Null) => nested.empty_value(),
            (Nesting::Map, Value::Map(items)) => {
                let old_items = old.and_then(|o| o.as_map());
                Value::Map(
                    items
                        .iter()
                        .map(|(k, item)| {
                            let mut sub = Vec::new();
                            let p = plan_block(&nested.block, old_items.and_then(|o| o.get(k)), item, &child_path.child(PathStep::Key(k.clone())), &mut sub);
                            replace.extend(sub);
                            (k.clone(), p)
                        })
                        .collect(),
                )
            }
            (Nesting::Single | Nesting::Group, v @ Value::Map(_)) => {
                let mut sub = Vec::new();
                let planned = plan_block(&nested.block, old.filter(|o| !o.is_null()), v, &child_path, &mut sub);
                replace.extend(sub);
                planned
            }
            (Nesting::List | Nesting::Set, Value::List(items)) => {
                let old_items = old.and_then(|o| o.as_list()).unwrap_or(&[]);
                Value::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let mut sub = Vec::new();
                            let p = plan_block(&nested.block, old_items.get(i), item, &child_path.child(PathStep::Index(i)), &mut sub);
                            replace.extend(sub);
                            p
                        })
                        .collect(),
                )
            }
            (_, other) => other.clone(),
        };
        if nested.force_new {
            if let Some(old) = old {
                if prior.is_some() && !values_equal_known(old, &value) {
                    replace.push(child_path.clone());
                }
            }
        }
        out.insert(name.clone(), value);
    }
    Value::Map(out)
}

/// Equality that treats an unknown planned value as a change.
fn values_equal_known(a: &Value, b: &Value) -> bool {
    b.is_wholly_known() && a.unmarked() == b.unmarked()
}

/// Lists the attribute paths where two values differ (leaves only), marks ignored.
pub fn diff_paths(before: &Value, after: &Value) -> Vec<AttrPath> {
    let mut out = Vec::new();
    diff_into(before.unmarked(), after.unmarked(), &mut AttrPath::root(), &mut out, false);
    out
}

/// [`diff_paths`] for drift: a null and an empty collection are the same
/// object. Providers built on Terraform's legacy SDK cannot tell them apart
/// and return one where state holds the other (`tags = {}` read back for
/// tags never set); neither Terraform nor iac counts that as drift.
pub fn drift_paths(before: &Value, after: &Value) -> Vec<AttrPath> {
    let mut out = Vec::new();
    diff_into(before.unmarked(), after.unmarked(), &mut AttrPath::root(), &mut out, true);
    out
}

fn is_empty_collection(v: &Value) -> bool {
    matches!(v, Value::List(l) if l.is_empty()) || matches!(v, Value::Map(m) if m.is_empty())
}

fn diff_into(a: &Value, b: &Value, path: &mut AttrPath, out: &mut Vec<AttrPath>, null_is_empty: bool) {
    if null_is_empty && ((a.is_null() && is_empty_collection(b)) || (b.is_null() && is_empty_collection(a))) {
        return;
    }
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                path.0.push(PathStep::Attr(k.clone()));
                let n = Value::Null;
                diff_into(x.get(k).unwrap_or(&n).unmarked(), y.get(k).unwrap_or(&n).unmarked(), path, out, null_is_empty);
                path.0.pop();
            }
        }
        (Value::List(x), Value::List(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                path.0.push(PathStep::Index(i));
                diff_into(p.unmarked(), q.unmarked(), path, out, null_is_empty);
                path.0.pop();
            }
        }
        (x, y) if x == y => {}
        _ => out.push(path.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{AttrType, Attribute};

    fn schema() -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: Block::default()
                .attr("id", Attribute::computed(AttrType::String))
                .attr("name", Attribute::required(AttrType::String))
                .attr("region", Attribute::required(AttrType::String).force_new()),
        }
    }

    #[test]
    fn create_makes_computed_unknown() {
        let cfg = Value::map([("name", Value::from("a")), ("region", Value::from("r"))]);
        let p = default_plan(&schema(), None, &cfg);
        assert_eq!(p.planned.get("id"), Some(&Value::Unknown));
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn force_new_change_requires_replace() {
        let prior = Value::map([("id", Value::from("1")), ("name", Value::from("a")), ("region", Value::from("r"))]);
        let cfg = Value::map([("name", Value::from("b")), ("region", Value::from("s"))]);
        let p = default_plan(&schema(), Some(&prior), &cfg);
        assert_eq!(p.planned.get("id"), Some(&Value::from("1")));
        assert_eq!(p.requires_replace, vec![AttrPath::attr("region")]);
        assert_eq!(diff_paths(&prior, &p.planned), vec![AttrPath::attr("name"), AttrPath::attr("region")]);
        let read_back = Value::map([("tags", Value::Map(Default::default())), ("ports", Value::List(vec![].into())), ("name", Value::from("a"))]);
        let stored = Value::map([("tags", Value::Null), ("ports", Value::Null), ("name", Value::from("b"))]);
        assert_eq!(drift_paths(&stored, &read_back), vec![AttrPath::attr("name")], "null and empty are no drift");
        assert_eq!(diff_paths(&stored, &read_back).len(), 3);
    }

    #[test]
    fn names_are_the_serialized_form() {
        for a in [Action::NoOp, Action::Create, Action::Read, Action::Update, Action::Replace, Action::Delete, Action::Import, Action::Forget] {
            assert_eq!(serde_json::to_value(a).expect("serializes"), serde_json::Value::from(a.name()), "{a:?}");
        }
        assert_eq!(Action::Replace.json_actions(false), ["delete", "create"]);
        assert_eq!(Action::Replace.json_actions(true), ["create", "delete"]);
        assert_eq!(Action::Import.json_actions(false), ["no-op"]);
        assert_eq!(Action::Delete.verb(), "destroy");
        assert_eq!(Action::Forget.json_actions(false), ["forget"]);
        assert_eq!(Action::Forget.ui_name(), "remove");
        assert_eq!(Action::NoOp.ui_name(), "noop");
    }
}
