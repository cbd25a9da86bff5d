//! State: what iac knows exists. Lineage identifies one state's history;
//! serial increases with every snapshot. Dependencies recorded here are direct
//! only (never a transitive closure), which keeps state linear in size.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::address::{InstanceAddr, ProviderAddr, ResourceAddr};
use crate::path::AttrPath;
use crate::value::{Number, Value};

/// Version 2 writes numbers exactly ([`crate::json`]); version 1 wrote
/// every number that is not a 64-bit integer as its nearest float64, and is
/// read back as such ([`State::from_bytes`]).
pub const STATE_FORMAT_VERSION: u32 = 2;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InstanceStatus {
    #[default]
    Ready,
    /// The object must be replaced on the next apply. (Earlier versions
    /// marked objects whose update failed; a failed update now keeps the
    /// object as it is, as in Terraform.)
    Tainted,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceState {
    pub provider: ProviderAddr,
    #[serde(default)]
    pub schema_version: u64,
    /// The object's attributes, without marks, wholly known; kept as plain
    /// JSON with exact numbers.
    #[serde(with = "crate::json::plain")]
    pub attributes: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_paths: Vec<AttrPath>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<ResourceAddr>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    #[serde(default, skip_serializing_if = "is_ready")]
    pub status: InstanceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<serde_json::Value>,
}

/// Numbers as state format version 1 held them: 64-bit integers exactly,
/// every other number as its nearest float64.
fn float64_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_integer() && (n.to_i64().is_some() || n.to_i128().is_some_and(|i| u64::try_from(i).is_ok())) => Value::Number(n),
        Value::Number(n) => Value::Number(Number::from_f64(n.to_f64())),
        Value::List(items) => Value::List(items.into_iter().map(float64_numbers).collect()),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, float64_numbers(v))).collect()),
        other => other,
    }
}

fn is_ready(s: &InstanceStatus) -> bool {
    *s == InstanceStatus::Ready
}

impl InstanceState {
    /// The attributes as a value with sensitive marks restored.
    pub fn value(&self) -> Value {
        self.attributes.clone().mark_paths(&self.sensitive_paths)
    }

    /// Builds from a (wholly known) value, remembering where marks were.
    pub fn from_value(provider: ProviderAddr, v: Value) -> InstanceState {
        let (plain, sensitive_paths) = v.unmark_deep();
        InstanceState {
            provider,
            schema_version: 0,
            attributes: plain,
            sensitive_paths,
            dependencies: Vec::new(),
            create_before_destroy: false,
            status: InstanceStatus::Ready,
            private: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    /// Without marks (`sensitive` says whether it is), wholly known.
    #[serde(with = "crate::json::plain")]
    pub value: Value,
    #[serde(default)]
    pub sensitive: bool,
    /// Terraform's type JSON of the value when it was computed (the value's
    /// JSON alone cannot tell a list from a tuple); absent in older states
    /// and then derived from the value.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<serde_json::Value>,
}

impl OutputState {
    /// An output's value (its marks dropped; `sensitive` says whether it
    /// had one) with its type taken from the value's kinds.
    pub fn new(value: Value, sensitive: bool) -> OutputState {
        let type_ = value.type_json();
        OutputState::typed(value, sensitive, type_)
    }

    /// An output's value with the type Terraform gives it, where that says
    /// more than the value's kinds (a null's type, an empty list's element
    /// type: what the output's expression knows).
    pub fn typed(value: Value, sensitive: bool, type_: serde_json::Value) -> OutputState {
        OutputState { value: value.unmark_deep().0, sensitive, type_: Some(type_) }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    pub lineage: String,
    pub serial: u64,
    #[serde(default)]
    pub resources: BTreeMap<InstanceAddr, InstanceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
    /// The results of the check blocks at the last apply (Terraform's
    /// `check_results` in state format 4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check_results: Vec<crate::plan::CheckResult>,
    /// Operations started and never recorded as finished (see the journal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<crate::journal::PendingIntent>,
    /// Objects a create-before-destroy replacement set aside and has not
    /// destroyed yet (Terraform's deposed objects): the next plan destroys them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<DeposedObject>,
}

/// An object a create-before-destroy replacement moved aside for its
/// successor, named by its instance address and a key of its own (eight
/// hex digits, as Terraform's), until it is destroyed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeposedObject {
    pub addr: InstanceAddr,
    pub key: String,
    pub instance: InstanceState,
}

impl State {
    pub fn new(lineage: String) -> State {
        State {
            version: STATE_FORMAT_VERSION,
            lineage,
            serial: 0,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            check_results: Vec::new(),
            pending: Vec::new(),
            deposed: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.outputs.is_empty() && self.deposed.is_empty()
    }

    /// A deposed object, by its address and key.
    pub fn deposed_object(&self, addr: &InstanceAddr, key: &str) -> Option<&DeposedObject> {
        self.deposed.iter().find(|d| &d.addr == addr && d.key == key)
    }

    /// Sets the current object of `addr` aside under `key` (a
    /// create-before-destroy replacement is about to create its successor).
    pub fn depose(&mut self, addr: &InstanceAddr, key: &str) {
        if let Some(instance) = self.resources.remove(addr) {
            self.deposed.push(DeposedObject { addr: addr.clone(), key: key.to_string(), instance });
        }
    }

    /// Makes a deposed object current again, when the replacement left no
    /// current object (its create failed cleanly), as Terraform does.
    pub fn restore_deposed(&mut self, addr: &InstanceAddr, key: &str) {
        if self.resources.contains_key(addr) {
            return;
        }
        if let Some(i) = self.deposed.iter().position(|d| &d.addr == addr && d.key == key) {
            let d = self.deposed.remove(i);
            self.resources.insert(d.addr, d.instance);
        }
    }

    pub fn remove_deposed(&mut self, addr: &InstanceAddr, key: &str) {
        self.deposed.retain(|d| !(&d.addr == addr && d.key == key));
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("state serializes")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<State, String> {
        let mut s: State = serde_json::from_slice(bytes).map_err(|e| format!("state is not valid: {e}"))?;
        if s.version > STATE_FORMAT_VERSION {
            return Err(format!("state format version {} is newer than this iac understands ({})", s.version, STATE_FORMAT_VERSION));
        }
        if s.version < 2 {
            // What version 1 wrote as a float64 comes back as that float64,
            // which compares equal (at 53 bits) to the exact number the
            // configuration still computes: no change is planned for it.
            for inst in s.resources.values_mut() {
                inst.attributes = float64_numbers(std::mem::take(&mut inst.attributes));
            }
            for out in s.outputs.values_mut() {
                out.value = float64_numbers(std::mem::take(&mut out.value));
            }
            s.version = STATE_FORMAT_VERSION;
        }
        Ok(s)
    }
}
