//! The plugin's schema as the plugin declares it (cty types, nesting modes,
//! nested attribute types), kept beside the `iac_core` schema derived from
//! it: encoding values and Terraform's planning rules need the exact types,
//! which `iac_core::schema` does not express (tuples, dynamic, map and group
//! nesting of attributes).

use std::collections::BTreeMap;

use iac_core::path::{AttrPath, PathStep};
use iac_core::schema::{self as core, AttrType};
use iac_core::value::{Value, ValueMap};
use serde::{Deserialize, Serialize};

use crate::cty::CtyType;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockNesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

/// The nesting of a protocol-6 nested attribute type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectNesting {
    Single,
    List,
    Set,
    Map,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemaAttr {
    /// The attribute's type (for a nested attribute type, the type it implies).
    pub ty: CtyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested: Option<NestedObject>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub computed: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub write_only: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NestedObject {
    pub nesting: ObjectNesting,
    pub attributes: BTreeMap<String, SchemaAttr>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemaNested {
    pub nesting: BlockNesting,
    pub block: SchemaBlock,
    #[serde(default)]
    pub min_items: u64,
    /// 0: no limit.
    #[serde(default)]
    pub max_items: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaBlock {
    #[serde(default)]
    pub attributes: BTreeMap<String, SchemaAttr>,
    #[serde(default)]
    pub blocks: BTreeMap<String, SchemaNested>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeSchema {
    pub version: i64,
    pub block: SchemaBlock,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerCaps {
    #[serde(default)]
    pub plan_destroy: bool,
    #[serde(default)]
    pub get_provider_schema_optional: bool,
    #[serde(default)]
    pub move_resource_state: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionParam {
    pub name: String,
    pub ty: CtyType,
    #[serde(default)]
    pub allow_null: bool,
    #[serde(default)]
    pub allow_unknown: bool,
}

/// A provider-defined function's signature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionSig {
    pub params: Vec<FunctionParam>,
    #[serde(default)]
    pub variadic: Option<FunctionParam>,
    pub returns: CtyType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
}

/// Everything GetProviderSchema told us, in the form the cache stores.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginSchema {
    /// The protocol version the plugin spoke when the schema was read.
    pub protocol: u32,
    pub provider: TypeSchema,
    pub resources: BTreeMap<String, TypeSchema>,
    pub data_sources: BTreeMap<String, TypeSchema>,
    #[serde(default)]
    pub ephemeral_resources: BTreeMap<String, TypeSchema>,
    /// Provider-defined functions (`provider::NAME::FUNC(...)`).
    #[serde(default)]
    pub functions: BTreeMap<String, FunctionSig>,
    #[serde(default)]
    pub capabilities: ServerCaps,
}

impl SchemaAttr {
    fn nested_object_type(nested: &NestedObject) -> CtyType {
        let obj = CtyType::Object(nested.attributes.iter().map(|(k, a)| (k.clone(), a.ty.clone())).collect());
        match nested.nesting {
            ObjectNesting::Single => obj,
            ObjectNesting::List => CtyType::List(Box::new(obj)),
            ObjectNesting::Set => CtyType::Set(Box::new(obj)),
            ObjectNesting::Map => CtyType::Map(Box::new(obj)),
        }
    }

    /// An attribute with a nested attribute type; `ty` is implied by it.
    pub fn with_nested(mut self, nested: NestedObject) -> SchemaAttr {
        self.ty = SchemaAttr::nested_object_type(&nested);
        self.nested = Some(nested);
        self
    }
}

impl SchemaBlock {
    /// The object type a value of this block has (Terraform's implied type):
    /// list and map nesting become `dynamic` when the block holds a
    /// dynamically typed attribute, since its elements may then differ.
    pub fn implied_type(&self) -> CtyType {
        let mut attrs: BTreeMap<String, CtyType> = self.attributes.iter().map(|(k, a)| (k.clone(), a.ty.clone())).collect();
        for (name, nb) in &self.blocks {
            let obj = nb.block.implied_type();
            let t = match nb.nesting {
                BlockNesting::Single | BlockNesting::Group => obj,
                BlockNesting::List if obj.has_dynamic() => CtyType::Dynamic,
                BlockNesting::List => CtyType::List(Box::new(obj)),
                BlockNesting::Set => CtyType::Set(Box::new(obj)),
                BlockNesting::Map if obj.has_dynamic() => CtyType::Dynamic,
                BlockNesting::Map => CtyType::Map(Box::new(obj)),
            };
            attrs.insert(name.clone(), t);
        }
        CtyType::Object(attrs)
    }

    /// Shapes a value from iac (configuration or state) as the plugin
    /// expects an object of this block: every attribute present (null when
    /// missing), absent list and set blocks as empty lists, absent map
    /// blocks as empty maps, absent group blocks as objects of nulls, and
    /// keys the schema does not know dropped. Marks are removed.
    pub fn conform(&self, v: &Value) -> Value {
        let v = v.unmarked();
        let m = match v {
            Value::Map(m) => m,
            Value::Null => return Value::Null,
            _ => return v.clone().unmark_deep().0,
        };
        let mut out = ValueMap::new();
        for (name, attr) in &self.attributes {
            let item = m.get(name.as_str()).map(|i| i.clone().unmark_deep().0).unwrap_or(Value::Null);
            let item = match &attr.nested {
                Some(nested) => conform_nested_attr(nested, &item),
                None => item,
            };
            out.insert(name.clone(), item);
        }
        for (name, nb) in &self.blocks {
            let item = m.get(name.as_str()).map(|i| i.unmarked().clone()).unwrap_or(Value::Null);
            let item = match (nb.nesting, item) {
                (_, Value::Unknown) => Value::Unknown,
                (BlockNesting::Single, Value::Null) => Value::Null,
                (BlockNesting::Single, one) => nb.block.conform(&one),
                (BlockNesting::Group, Value::Null) => nb.block.conform(&Value::Map(ValueMap::new())),
                (BlockNesting::Group, one) => nb.block.conform(&one),
                (BlockNesting::List | BlockNesting::Set, Value::Null) => Value::List(Vec::new().into()),
                (BlockNesting::List | BlockNesting::Set, Value::List(items)) => Value::List(items.iter().map(|i| nb.block.conform(i)).collect()),
                // A single object where a list is expected: one block.
                (BlockNesting::List | BlockNesting::Set, one @ Value::Map(_)) => Value::List(vec![nb.block.conform(&one)].into()),
                (BlockNesting::Map, Value::Null) => Value::Map(ValueMap::new()),
                (BlockNesting::Map, Value::Map(items)) => Value::Map(items.iter().map(|(k, i)| (k.clone(), nb.block.conform(i))).collect()),
                (_, other) => other.unmark_deep().0,
            };
            out.insert(name.clone(), item);
        }
        Value::Map(out)
    }

    /// The iac form of this block, for the engine.
    pub fn to_core(&self) -> core::Block {
        core::Block {
            attributes: self.attributes.iter().map(|(k, a)| (k.clone(), a.to_core())).collect(),
            blocks: self
                .blocks
                .iter()
                .map(|(k, nb)| {
                    let nesting = match nb.nesting {
                        BlockNesting::Single => core::Nesting::Single,
                        BlockNesting::List => core::Nesting::List,
                        BlockNesting::Set => core::Nesting::Set,
                        BlockNesting::Map => core::Nesting::Map,
                        BlockNesting::Group => core::Nesting::Group,
                    };
                    let max_items = if nb.max_items == 0 { None } else { Some(nb.max_items as usize) };
                    (k.clone(), core::NestedBlock { nesting, block: nb.block.to_core(), min_items: nb.min_items as usize, max_items, force_new: false })
                })
                .collect(),
            description: self.description.clone(),
        }
    }
}

fn conform_nested_attr(nested: &NestedObject, v: &Value) -> Value {
    let shape = |item: &Value| -> Value {
        match item.unmarked() {
            Value::Map(m) => Value::Map(
                nested
                    .attributes
                    .iter()
                    .map(|(k, a)| {
                        let x = m.get(k.as_str()).cloned().unwrap_or(Value::Null);
                        let x = match &a.nested {
                            Some(n) => conform_nested_attr(n, &x),
                            None => x,
                        };
                        (k.clone(), x)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    };
    match (nested.nesting, v.unmarked()) {
        (_, Value::Null) => Value::Null,
        (_, Value::Unknown) => Value::Unknown,
        (ObjectNesting::Single, one) => shape(one),
        (ObjectNesting::List | ObjectNesting::Set, Value::List(items)) => Value::List(items.iter().map(shape).collect()),
        (ObjectNesting::Map, Value::Map(items)) => Value::Map(items.iter().map(|(k, i)| (k.clone(), shape(i))).collect()),
        (_, other) => other.clone(),
    }
}

impl SchemaAttr {
    pub fn to_core(&self) -> core::Attribute {
        core::Attribute {
            type_: attr_type(&self.ty),
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            force_new: false,
            // A write-only attribute is never stored in state or plans,
            // which is what iac's `ephemeral` means.
            ephemeral: self.write_only,
            block_form: false,
            description: self.description.clone(),
        }
    }
}

/// iac's attribute type for a cty type. iac has no tuple or dynamic type;
/// both accept anything (`Any`), and the plugin checks the rest.
pub fn attr_type(t: &CtyType) -> AttrType {
    match t {
        CtyType::Bool => AttrType::Bool,
        CtyType::Number => AttrType::Number,
        CtyType::String => AttrType::String,
        CtyType::Dynamic | CtyType::Tuple(_) => AttrType::Any,
        CtyType::List(e) => AttrType::List(Box::new(attr_type(e))),
        CtyType::Set(e) => AttrType::Set(Box::new(attr_type(e))),
        CtyType::Map(e) => AttrType::Map(Box::new(attr_type(e))),
        CtyType::Object(attrs) => AttrType::Object(attrs.iter().map(|(k, t)| (k.clone(), attr_type(t))).collect()),
    }
}

impl PluginSchema {
    pub fn to_core(&self) -> core::ProviderSchema {
        let conv = |m: &BTreeMap<String, TypeSchema>| -> BTreeMap<String, core::ResourceSchema> {
            m.iter().map(|(k, s)| (k.clone(), core::ResourceSchema { version: s.version.max(0) as u64, block: s.block.to_core() })).collect()
        };
        core::ProviderSchema {
            provider: self.provider.block.to_core(),
            resources: conv(&self.resources),
            data_sources: conv(&self.data_sources),
            ephemeral_resources: conv(&self.ephemeral_resources),
        }
    }
}

// ------------------------------------------------------- Terraform's rules

/// Terraform's `objchange.ProposedNew`: the object the provider is asked to
/// plan from. Non-computed attributes take the configuration; computed ones
/// that the configuration leaves null keep the prior value; nested blocks
/// are matched (by index, key, or for sets by a compatible prior element)
/// and merged recursively. `prior` is null for a create.
pub fn proposed_new(schema: &SchemaBlock, prior: &Value, config: &Value) -> Value {
    if config.is_null() && prior.is_null() {
        return prior.clone();
    }
    let prior = if prior.is_null() { schema.conform(&Value::Map(ValueMap::new())) } else { prior.clone() };
    proposed_block(schema, &prior, config)
}

fn get(v: &Value, name: &str) -> Value {
    match v.unmarked() {
        Value::Unknown => Value::Unknown,
        other => other.get(name).cloned().unwrap_or(Value::Null),
    }
}

fn proposed_block(schema: &SchemaBlock, prior: &Value, config: &Value) -> Value {
    if config.is_null() || config.is_unknown() {
        return prior.clone();
    }
    let mut out = proposed_attrs(&schema.attributes, prior, config);
    for (name, nb) in &schema.blocks {
        let p = get(prior, name);
        let c = get(config, name);
        out.insert(name.clone(), proposed_nested_block(nb, &p, &c));
    }
    Value::Map(out)
}

fn proposed_attrs(attrs: &BTreeMap<String, SchemaAttr>, prior: &Value, config: &Value) -> ValueMap {
    let mut out = ValueMap::new();
    for (name, attr) in attrs {
        let p = get(prior, name);
        let c = get(config, name);
        let v = if attr.computed && c.is_null() {
            // An optional nested attribute whose prior value holds
            // non-computed parts must have come from configuration that is
            // now gone: plan it away rather than keep it.
            if attr.optional && attr.nested.as_ref().is_some_and(|n| holds_non_computed(n, &p)) {
                c
            } else {
                p
            }
        } else if let Some(nested) = &attr.nested {
            proposed_nested_attr(nested, &p, &c)
        } else {
            c
        };
        out.insert(name.clone(), v);
    }
    out
}

fn holds_non_computed(nested: &NestedObject, v: &Value) -> bool {
    let check_obj = |o: &Value| -> bool {
        nested.attributes.iter().any(|(k, a)| {
            let x = get(o, k);
            if x.is_null() {
                return false;
            }
            match &a.nested {
                _ if !a.computed => true,
                Some(n) => holds_non_computed(n, &x),
                None => false,
            }
        })
    };
    match v.unmarked() {
        Value::Null | Value::Unknown => false,
        Value::List(items) if nested.nesting != ObjectNesting::Single => items.iter().any(check_obj),
        Value::Map(items) if nested.nesting == ObjectNesting::Map => items.values().any(check_obj),
        one => check_obj(one),
    }
}

/// Either a block's or a nested attribute type's body.
enum Body<'a> {
    Block(&'a SchemaBlock),
    Object(&'a NestedObject),
}

impl Body<'_> {
    fn proposed(&self, prior: &Value, config: &Value) -> Value {
        match self {
            Body::Block(b) => proposed_new(b, prior, config),
            Body::Object(o) => {
                if config.is_null() {
                    config.clone()
                } else {
                    Value::Map(proposed_attrs(&o.attributes, prior, config))
                }
            }
        }
    }

    /// Whether `prior` could have come from `config` (only computed
    /// attributes filled in): how set elements are matched up.
    fn valid_prior(&self, prior: &Value, config: &Value) -> bool {
        if prior == config {
            return true;
        }
        let (attrs, blocks) = match self {
            Body::Block(b) => (&b.attributes, Some(&b.blocks)),
            Body::Object(o) => (&o.attributes, None),
        };
        for (name, a) in attrs {
            let p = get(prior, name);
            let c = get(config, name);
            if p == c {
                continue;
            }
            if let Some(n) = &a.nested {
                if !Body::Object(n).valid_prior_collection(n.nesting, &p, &c) {
                    return false;
                }
                continue;
            }
            if !a.computed || !c.is_null() {
                return false;
            }
        }
        if let Some(blocks) = blocks {
            for (name, nb) in blocks {
                let p = get(prior, name);
                let c = get(config, name);
                if p == c {
                    continue;
                }
                let ok = match (nb.nesting, p.unmarked(), c.unmarked()) {
                    (BlockNesting::Single | BlockNesting::Group, p, c) => Body::Block(&nb.block).valid_prior(p, c),
                    (BlockNesting::List, Value::List(ps), Value::List(cs)) => {
                        ps.len() == cs.len() && ps.iter().zip(cs).all(|(p, c)| Body::Block(&nb.block).valid_prior(p, c))
                    }
                    (BlockNesting::Map, Value::Map(ps), Value::Map(cs)) => {
                        ps.len() == cs.len() && cs.iter().all(|(k, c)| ps.get(k.as_str()).is_some_and(|p| Body::Block(&nb.block).valid_prior(p, c)))
                    }
                    // Nested sets cannot be correlated: they must be equal.
                    _ => false,
                };
                if !ok {
                    return false;
                }
            }
        }
        true
    }

    fn valid_prior_collection(&self, nesting: ObjectNesting, p: &Value, c: &Value) -> bool {
        match (nesting, p.unmarked(), c.unmarked()) {
            (ObjectNesting::Single, p, c) => self.valid_prior(p, c),
            (ObjectNesting::List, Value::List(ps), Value::List(cs)) => ps.len() == cs.len() && ps.iter().zip(cs).all(|(p, c)| self.valid_prior(p, c)),
            (ObjectNesting::Map, Value::Map(ps), Value::Map(cs)) => {
                ps.len() == cs.len() && cs.iter().all(|(k, c)| ps.get(k.as_str()).is_some_and(|p| self.valid_prior(p, c)))
            }
            _ => false,
        }
    }

    fn proposed_list(&self, prior: &Value, config: &Value) -> Value {
        let Some(cs) = config.as_list() else { return config.clone() };
        if cs.is_empty() {
            return config.clone();
        }
        let ps = prior.as_list();
        Value::List(
            cs.iter()
                .enumerate()
                .map(|(i, c)| match (prior.unmarked(), ps.and_then(|ps| ps.get(i))) {
                    (Value::Unknown, _) => self.proposed(&Value::Unknown, c),
                    (_, Some(p)) => self.proposed(p, c),
                    (_, None) => c.clone(),
                })
                .collect(),
        )
    }

    fn proposed_map(&self, prior: &Value, config: &Value) -> Value {
        let Some(cs) = config.as_map() else { return config.clone() };
        if cs.is_empty() {
            return config.clone();
        }
        Value::Map(
            cs.iter()
                .map(|(k, c)| {
                    let p = match prior.unmarked() {
                        Value::Unknown => Value::Unknown,
                        other => other.get(k).cloned().unwrap_or(Value::Null),
                    };
                    (k.clone(), self.proposed(&p, c))
                })
                .collect(),
        )
    }

    fn proposed_set(&self, prior: &Value, config: &Value) -> Value {
        let Some(cs) = config.as_list() else { return config.clone() };
        if cs.is_empty() {
            return config.clone();
        }
        let ps: &[Value] = prior.as_list().unwrap_or(&[]);
        let mut used = vec![false; ps.len()];
        let mut out = Vec::with_capacity(cs.len());
        for c in cs {
            let mut matched = Value::Null;
            for (i, p) in ps.iter().enumerate() {
                if !used[i] && self.valid_prior(p, c) {
                    used[i] = true;
                    matched = p.clone();
                    break;
                }
            }
            out.push(self.proposed(&matched, c));
        }
        Value::List(out.into())
    }
}

fn proposed_nested_block(nb: &SchemaNested, prior: &Value, config: &Value) -> Value {
    if config.is_unknown() {
        return config.clone();
    }
    let body = Body::Block(&nb.block);
    match nb.nesting {
        BlockNesting::Single if config.is_null() => config.clone(),
        BlockNesting::Single | BlockNesting::Group => proposed_new(&nb.block, prior, config),
        BlockNesting::List => body.proposed_list(prior, config),
        BlockNesting::Map => body.proposed_map(prior, config),
        BlockNesting::Set => body.proposed_set(prior, config),
    }
}

fn proposed_nested_attr(nested: &NestedObject, prior: &Value, config: &Value) -> Value {
    if config.is_unknown() {
        return config.clone();
    }
    let body = Body::Object(nested);
    match nested.nesting {
        ObjectNesting::Single if config.is_null() => config.clone(),
        ObjectNesting::Single => body.proposed(prior, config),
        ObjectNesting::List => body.proposed_list(prior, config),
        ObjectNesting::Map => body.proposed_map(prior, config),
        ObjectNesting::Set => body.proposed_set(prior, config),
    }
}

/// One way a provider's answer broke Terraform's rules.
#[derive(Clone, Debug, PartialEq)]
pub struct Inconsistency {
    pub path: AttrPath,
    pub message: String,
}

/// Terraform's `AssertObjectCompatible`: every value the plan knew must come
/// back unchanged from apply (unknown planned values may become anything).
pub fn check_compatible(ty: &CtyType, planned: &Value, actual: &Value) -> Vec<Inconsistency> {
    let mut out = Vec::new();
    compatible_at(ty, planned, actual, &mut AttrPath::root(), &mut out);
    out
}

fn compatible_at(ty: &CtyType, planned: &Value, actual: &Value, path: &mut AttrPath, out: &mut Vec<Inconsistency>) {
    let (planned, actual) = (planned.unmarked(), actual.unmarked());
    if planned.is_unknown() {
        return;
    }
    if actual.is_unknown() {
        out.push(Inconsistency { path: path.clone(), message: "was known in the plan, but is still unknown after apply".into() });
        return;
    }
    match (ty, planned, actual) {
        (CtyType::Object(attrs), Value::Map(p), Value::Map(a)) => {
            for (name, at) in attrs {
                let pv = p.get(name.as_str()).unwrap_or(&Value::Null);
                let av = a.get(name.as_str()).unwrap_or(&Value::Null);
                path.0.push(PathStep::Attr(name.clone()));
                compatible_at(at, pv, av, path, out);
                path.0.pop();
            }
        }
        (CtyType::Map(et), Value::Map(p), Value::Map(a)) => {
            if p.len() != a.len() || p.keys().ne(a.keys()) {
                out.push(Inconsistency {
                    path: path.clone(),
                    message: format!("planned keys {:?}, but now keys {:?}", p.keys().collect::<Vec<_>>(), a.keys().collect::<Vec<_>>()),
                });
                return;
            }
            for (k, pv) in p.iter() {
                path.0.push(PathStep::Key(k.clone()));
                compatible_at(et, pv, a.get(k.as_str()).unwrap_or(&Value::Null), path, out);
                path.0.pop();
            }
        }
        (CtyType::List(et), Value::List(p), Value::List(a)) => {
            if p.len() != a.len() {
                out.push(Inconsistency { path: path.clone(), message: format!("planned {} elements, but now {}", p.len(), a.len()) });
                return;
            }
            for (i, (pv, av)) in p.iter().zip(a).enumerate() {
                path.0.push(PathStep::Index(i));
                compatible_at(et, pv, av, path, out);
                path.0.pop();
            }
        }
        (CtyType::Tuple(ets), Value::List(p), Value::List(a)) if p.len() == a.len() && p.len() == ets.len() => {
            for (i, ((pv, av), et)) in p.iter().zip(a).zip(ets).enumerate() {
                path.0.push(PathStep::Index(i));
                compatible_at(et, pv, av, path, out);
                path.0.pop();
            }
        }
        (CtyType::Set(_), Value::List(p), Value::List(a)) => {
            // Elements with unknowns cannot be matched one by one; a wholly
            // known planned set must come back as the same set. Unknown
            // elements may collapse into known duplicates, so with unknowns
            // only growth is an error.
            if p.iter().all(Value::is_wholly_known) {
                // Sets compare without order (configuration may list them in
                // any order; the plugin's answer is sorted on decoding).
                let strip = |v: &[Value]| iac_core::schema::set_normalize(v.iter().map(|x| x.clone().unmark_deep().0).collect());
                if strip(p) != strip(a) {
                    out.push(Inconsistency { path: path.clone(), message: "planned set elements differ from the result".into() });
                }
            } else if a.len() > p.len() {
                out.push(Inconsistency { path: path.clone(), message: format!("planned {} elements, but now {}", p.len(), a.len()) });
            }
        }
        (CtyType::Dynamic, p, a) => {
            if p.is_wholly_known() && p != a {
                out.push(Inconsistency { path: path.clone(), message: "planned value differs from the result".into() });
            }
        }
        (_, p, a) => {
            if !values_equal(p, a) {
                out.push(Inconsistency { path: path.clone(), message: format!("was {}, but now {}", short(p), short(a)) });
            }
        }
    }
}

/// Equality of values as cty sees it: numbers by value (3 and 3.0), and
/// strings against numbers or bools by their text.
fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.unmarked(), b.unmarked()) {
        (Value::Number(x), Value::Number(y)) => x == y || (x.to_f64() - y.to_f64()).abs() <= f64::EPSILON * x.to_f64().abs().max(y.to_f64().abs()),
        (x, y) => x == y,
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) if s.len() <= 60 => format!("{s:?}"),
        Value::String(_) => "a different string".into(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("a different {}", other.type_name()),
    }
}

/// Terraform's `AssertPlanValid`, reduced to what matters most: a planned
/// value that the configuration sets (wholly known) must equal it, unless the
/// attribute is computed and the configuration left it null; non-computed
/// attributes that the configuration leaves null must stay null.
pub fn check_plan_valid(schema: &SchemaBlock, config: &Value, planned: &Value) -> Vec<Inconsistency> {
    let mut out = Vec::new();
    plan_valid_block(schema, config, planned, &mut AttrPath::root(), &mut out);
    out
}

fn plan_valid_block(schema: &SchemaBlock, config: &Value, planned: &Value, path: &mut AttrPath, out: &mut Vec<Inconsistency>) {
    if config.is_unknown() || config.is_null() || planned.is_unknown() {
        return;
    }
    for (name, attr) in &schema.attributes {
        let c = get(config, name);
        let p = get(planned, name);
        path.0.push(PathStep::Attr(name.clone()));
        if c.is_null() {
            if !attr.computed && !p.is_null() {
                out.push(Inconsistency {
                    path: path.clone(),
                    message: format!("planned {} for a non-computed attribute the configuration leaves null", short(&p)),
                });
            }
        } else if c.is_wholly_known() && !attr.write_only && !p.is_unknown() {
            let mut errs = Vec::new();
            compatible_at(&attr.ty, &c, &p, path, &mut errs);
            for e in errs {
                out.push(Inconsistency { path: e.path, message: format!("planned value does not match the configuration: {}", e.message) });
            }
        }
        path.0.pop();
    }
    for (name, nb) in &schema.blocks {
        let c = get(config, name);
        let p = get(planned, name);
        path.0.push(PathStep::Attr(name.clone()));
        match (nb.nesting, c.unmarked(), p.unmarked()) {
            (BlockNesting::Single | BlockNesting::Group, c, p) => plan_valid_block(&nb.block, c, p, path, out),
            (BlockNesting::List, Value::List(cs), Value::List(ps)) => {
                if cs.len() != ps.len() {
                    out.push(Inconsistency { path: path.clone(), message: format!("configured {} blocks, but planned {}", cs.len(), ps.len()) });
                } else {
                    for (i, (c, p)) in cs.iter().zip(ps).enumerate() {
                        path.0.push(PathStep::Index(i));
                        plan_valid_block(&nb.block, c, p, path, out);
                        path.0.pop();
                    }
                }
            }
            (BlockNesting::Map, Value::Map(cs), Value::Map(ps)) => {
                for (k, c) in cs.iter() {
                    path.0.push(PathStep::Key(k.clone()));
                    match ps.get(k.as_str()) {
                        Some(p) => plan_valid_block(&nb.block, c, p, path, out),
                        None => out.push(Inconsistency { path: path.clone(), message: "configured block missing from the plan".into() }),
                    }
                    path.0.pop();
                }
            }
            // Set blocks cannot be correlated element by element.
            _ => {}
        }
        path.0.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(ty: CtyType, optional: bool, computed: bool) -> SchemaAttr {
        SchemaAttr {
            ty,
            nested: None,
            required: !optional && !computed,
            optional,
            computed,
            sensitive: false,
            write_only: false,
            deprecated: false,
            description: String::new(),
        }
    }

    fn schema() -> SchemaBlock {
        let rule = SchemaBlock {
            attributes: [("port".to_string(), attr(CtyType::Number, false, false)), ("id".to_string(), attr(CtyType::String, false, true))].into(),
            ..Default::default()
        };
        SchemaBlock {
            attributes: [
                ("name".to_string(), attr(CtyType::String, false, false)),
                ("arn".to_string(), attr(CtyType::String, false, true)),
                ("policy".to_string(), attr(CtyType::String, true, true)),
                ("tags".to_string(), attr(CtyType::Map(Box::new(CtyType::String)), true, false)),
            ]
            .into(),
            blocks: [
                ("rule".to_string(), SchemaNested { nesting: BlockNesting::Set, block: rule.clone(), min_items: 0, max_items: 0 }),
                ("opts".to_string(), SchemaNested { nesting: BlockNesting::Group, block: rule, min_items: 0, max_items: 0 }),
            ]
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn conform_fills_every_attribute_and_block() {
        let v = schema().conform(&Value::map([("name", Value::string("q").into_sensitive())]));
        assert_eq!(v.get("name"), Some(&Value::string("q")));
        assert_eq!(v.get("arn"), Some(&Value::Null));
        assert_eq!(v.get("rule"), Some(&Value::List(vec![].into())));
        assert_eq!(v.get("opts").and_then(|o| o.get("port")), Some(&Value::Null));
    }

    #[test]
    fn proposed_new_keeps_computed_prior_values() {
        let s = schema();
        let prior = s.conform(&Value::map([
            ("name", Value::string("q")),
            ("arn", Value::string("arn:1")),
            ("policy", Value::string("p")),
            ("rule", Value::List(vec![Value::map([("port", Value::number(80.0)), ("id", Value::string("r1"))])].into())),
        ]));
        let config = s.conform(&Value::map([
            ("name", Value::string("q2")),
            ("rule", Value::List(vec![Value::map([("port", Value::number(80.0))]), Value::map([("port", Value::number(443.0))])].into())),
        ]));
        let p = proposed_new(&s, &prior, &config);
        assert_eq!(p.get("name"), Some(&Value::string("q2")));
        assert_eq!(p.get("arn"), Some(&Value::string("arn:1")));
        assert_eq!(p.get("policy"), Some(&Value::string("p")));
        let rules = p.get("rule").unwrap().as_list().unwrap();
        assert_eq!(rules[0].get("id"), Some(&Value::string("r1")));
        assert_eq!(rules[1].get("id"), Some(&Value::Null));
        // A create: computed attributes stay null for the provider to fill.
        let create = proposed_new(&s, &Value::Null, &config);
        assert_eq!(create.get("arn"), Some(&Value::Null));
    }

    #[test]
    fn inconsistent_results_are_found() {
        let s = schema();
        let ty = s.implied_type();
        let planned = s.conform(&Value::map([("name", Value::string("q")), ("arn", Value::Unknown)]));
        let good = s.conform(&Value::map([("name", Value::string("q")), ("arn", Value::string("a"))]));
        assert!(check_compatible(&ty, &planned, &good).is_empty());
        let bad = s.conform(&Value::map([("name", Value::string("other")), ("arn", Value::string("a"))]));
        let errs = check_compatible(&ty, &planned, &bad);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path, AttrPath::attr("name"));
        let config = s.conform(&Value::map([("name", Value::string("q"))]));
        assert!(check_plan_valid(&s, &config, &planned).is_empty());
        assert_eq!(check_plan_valid(&s, &config, &bad)[0].path, AttrPath::attr("name"));
    }
}
