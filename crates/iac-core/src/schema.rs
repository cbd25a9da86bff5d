//! Provider schemas: what each resource and data source accepts and returns.
//! The engine checks configuration against these (unknown arguments, missing
//! required ones, wrong types) and derives default plans from them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::value::{MapKind, Value, ValueMap};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrType {
    Any,
    String,
    Number,
    Bool,
    List(Box<AttrType>),
    Set(Box<AttrType>),
    Map(Box<AttrType>),
    Object(BTreeMap<String, AttrType>),
}

impl AttrType {
    /// Checks a value against the type. Unknown and null always conform;
    /// returns the reason when it does not.
    pub fn check(&self, v: &Value) -> Result<(), String> {
        let v = v.unmarked();
        if matches!(v, Value::Unknown | Value::Null) {
            return Ok(());
        }
        match (self, v) {
            (AttrType::Any, _) => Ok(()),
            (AttrType::String, Value::String(_) | Value::Number(_) | Value::Bool(_)) => Ok(()),
            (AttrType::Number, Value::Number(_)) => Ok(()),
            (AttrType::Number, Value::String(s)) if s.parse::<f64>().is_ok() => Ok(()),
            (AttrType::Bool, Value::Bool(_)) => Ok(()),
            (AttrType::Bool, Value::String(s)) if s == "true" || s == "false" => Ok(()),
            (AttrType::List(t) | AttrType::Set(t), Value::List(items)) => {
                items.iter().enumerate().try_for_each(|(i, item)| t.check(item).map_err(|e| format!("element {i}: {e}")))
            }
            (AttrType::Map(t), Value::Map(m)) => m.iter().try_for_each(|(k, item)| t.check(item).map_err(|e| format!("key {k:?}: {e}"))),
            (AttrType::Object(attrs), Value::Map(m)) => {
                for (k, item) in m {
                    match attrs.get(k) {
                        Some(t) => t.check(item).map_err(|e| format!("attribute {k:?}: {e}"))?,
                        None => return Err(format!("unexpected attribute {k:?}")),
                    }
                }
                Ok(())
            }
            (t, v) => Err(format!("{} required, got {}", t.name(), v.type_name())),
        }
    }

    pub fn name(&self) -> String {
        match self {
            AttrType::Any => "any".into(),
            AttrType::String => "string".into(),
            AttrType::Number => "number".into(),
            AttrType::Bool => "bool".into(),
            AttrType::List(t) => format!("list({})", t.name()),
            AttrType::Set(t) => format!("set({})", t.name()),
            AttrType::Map(t) => format!("map({})", t.name()),
            AttrType::Object(_) => "object".into(),
        }
    }

    /// Converts a conforming value to its canonical form (numbers from
    /// strings, sets sorted and de-duplicated), preserving marks.
    pub fn convert(&self, v: Value) -> Value {
        let (v, sensitive) = v.unmark();
        let out = match (self, v) {
            (AttrType::String, Value::Number(n)) => Value::String(n.to_string()),
            (AttrType::String, Value::Bool(b)) => Value::String(b.to_string()),
            (AttrType::Number, Value::String(s)) => s.parse().map(Value::Number).unwrap_or(Value::String(s)),
            (AttrType::Bool, Value::String(s)) if s == "true" || s == "false" => Value::Bool(s == "true"),
            (AttrType::List(t), Value::List(items)) => Value::list(items.into_iter().map(|i| t.convert(i)).collect()),
            (AttrType::Set(t), Value::List(items)) => {
                let items: Vec<Value> = items.into_iter().map(|i| t.convert(i)).collect();
                Value::set(set_normalize(items))
            }
            (AttrType::Map(t), Value::Map(m)) => Value::Map(m.into_iter().map(|(k, i)| (k, t.convert(i))).collect::<ValueMap>().with_kind(MapKind::Map)),
            (_, other) => other,
        };
        out.mark_if(sensitive)
    }
}

/// Sorts and de-duplicates set elements (by their JSON rendering, which is
/// total and stable), unless an element is unknown.
pub fn set_normalize(mut items: Vec<Value>) -> Vec<Value> {
    if items.iter().any(|i| !i.is_wholly_known()) {
        return items;
    }
    items.sort_by_cached_key(|i| i.to_json().to_string());
    items.dedup();
    items
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    #[serde(rename = "type")]
    pub type_: AttrType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub computed: bool,
    #[serde(default)]
    pub sensitive: bool,
    /// A change to this attribute cannot be made in place.
    #[serde(default)]
    pub force_new: bool,
    /// Never written to state or saved plans: a short-lived credential (an
    /// EKS token) that a data source makes afresh on every run. The engine
    /// keeps it in memory only, and reads the data source again at apply.
    /// Also a plugin's write-only argument (`secret_string_wo`): sent to the
    /// provider, null in every plan and state, and the one kind of resource
    /// argument that may take an ephemeral value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ephemeral: bool,
    /// An object-typed attribute that a configuration may also write as one
    /// nested block (`kubernetes { ... }` for `kubernetes = { ... }`), and
    /// its object-typed fields likewise: the block form of the provider's
    /// previous major version (the helm provider 2.x's `kubernetes` block,
    /// which 3.x made a nested attribute). Terraform has no such flag, since
    /// a provider release declares one form; a native provider of iac
    /// stands in for both releases, and real configurations use both. Never
    /// set for plugin providers: for them the language allows exactly what
    /// Terraform does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub block_form: bool,
    #[serde(default)]
    pub description: String,
}

impl Attribute {
    pub fn required(type_: AttrType) -> Attribute {
        Attribute {
            type_,
            required: true,
            optional: false,
            computed: false,
            sensitive: false,
            force_new: false,
            ephemeral: false,
            block_form: false,
            description: String::new(),
        }
    }
    pub fn optional(type_: AttrType) -> Attribute {
        Attribute { required: false, optional: true, ..Attribute::required(type_) }
    }
    pub fn computed(type_: AttrType) -> Attribute {
        Attribute { required: false, computed: true, ..Attribute::required(type_) }
    }
    pub fn optional_computed(type_: AttrType) -> Attribute {
        Attribute { required: false, optional: true, computed: true, ..Attribute::required(type_) }
    }
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    /// Kept in memory only; see [`Attribute::ephemeral`]. Implies sensitive.
    pub fn ephemeral(mut self) -> Attribute {
        self.ephemeral = true;
        self.sensitive = true;
        self
    }
    /// Also accepted as a nested block; see [`Attribute::block_form`].
    pub fn block_form(mut self) -> Attribute {
        self.block_form = true;
        self
    }
    pub fn describe(mut self, d: &str) -> Attribute {
        self.description = d.to_string();
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nesting {
    /// At most one block; the value is an object (or null).
    Single,
    /// Repeated blocks; the value is a list of objects.
    List,
    /// Repeated blocks without order; the value is a set of objects.
    Set,
    /// Repeated blocks with one label each; the value is a map from label to
    /// object (plugin providers' `NestingMap`).
    Map,
    /// Exactly one block that may be left out; the value is an object that is
    /// never null: an omitted block is an object of null attributes
    /// (plugin providers' `NestingGroup`).
    Group,
}

impl Nesting {
    /// Whether the block's value is one object (not a collection of them).
    pub fn is_single(self) -> bool {
        matches!(self, Nesting::Single | Nesting::Group)
    }
}

impl Block {
    /// The value of an omitted `Group` block: every attribute null, nested
    /// collections empty, nested groups recursively the same.
    pub fn empty_object(&self) -> Value {
        let mut m = crate::value::ValueMap::new();
        for name in self.attributes.keys() {
            m.insert(name.clone(), Value::Null);
        }
        for (name, nested) in &self.blocks {
            m.insert(name.clone(), nested.empty_value());
        }
        Value::Map(m)
    }
}

impl NestedBlock {
    /// The value of a nested block that the configuration leaves out.
    pub fn empty_value(&self) -> Value {
        match self.nesting {
            Nesting::Single => Value::Null,
            Nesting::Group => self.block.empty_object(),
            Nesting::List | Nesting::Set => Value::List(Vec::new().into()),
            Nesting::Map => Value::Map(crate::value::ValueMap::new()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NestedBlock {
    pub nesting: Nesting,
    pub block: Block,
    #[serde(default)]
    pub min_items: usize,
    #[serde(default)]
    pub max_items: Option<usize>,
    /// A change inside this block cannot be made in place.
    #[serde(default)]
    pub force_new: bool,
}

/// The body of a resource, data source, provider, or nested block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Block {
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    #[serde(default)]
    pub blocks: BTreeMap<String, NestedBlock>,
    #[serde(default)]
    pub description: String,
}

impl Block {
    pub fn attr(mut self, name: &str, a: Attribute) -> Block {
        self.attributes.insert(name.to_string(), a);
        self
    }
    pub fn block(mut self, name: &str, b: NestedBlock) -> Block {
        self.blocks.insert(name.to_string(), b);
        self
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceSchema {
    #[serde(default)]
    pub version: u64,
    pub block: Block,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderSchema {
    /// The `provider "x" { ... }` block.
    pub provider: Block,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
    /// Ephemeral resource types (`ephemeral "TYPE" "NAME"`), whose values
    /// live in memory only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ephemeral_resources: BTreeMap<String, ResourceSchema>,
}
