//! Typed models: how a Rust type maps to an attribute type ([`Field`]), and
//! what `#[derive(Model)]` builds a schema block and planning rules from.
//! The derive macro's generated code calls the helpers here; providers use
//! [`Model`] and [`Field`] directly only for hand-written models.

use std::collections::{BTreeMap, BTreeSet};

use iac_core::schema::{set_normalize, AttrType, Attribute, Block, NestedBlock, Nesting};
use iac_core::{MapKind, Value, ValueMap};

/// A value that does not fit its model, with the attribute path to it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct DecodeError {
    /// Dotted attribute path from the model's root (`vpc_config.subnet_ids`).
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl DecodeError {
    /// An error at the current position.
    pub fn new(message: impl Into<String>) -> DecodeError {
        DecodeError { path: String::new(), message: message.into() }
    }

    /// The same error, one attribute further from the root.
    pub fn within(mut self, name: &str) -> DecodeError {
        self.path = if self.path.is_empty() { name.to_string() } else { format!("{name}.{}", self.path) };
        self
    }
}

/// A Rust type that an attribute's value converts to and from.
///
/// A plain `String`, `bool` or number decodes null as its zero value: the
/// schema already requires the attribute in configurations, and the values
/// that lack it are partial ones such as an import's `{ id }`. Unknown is an
/// error: a value only the API can tell belongs in an `Option`.
/// `Option<T>` is a nullable `T` (null and unknown decode to `None`);
/// `Vec<T>`, `BTreeSet<T>` and `BTreeMap<String, T>` are collections (null
/// decodes to empty); [`Value`] is `any`.
pub trait Field: Sized {
    /// The attribute type this Rust type stands for.
    fn attr_type() -> AttrType;
    /// Converts an attribute value (unmarked) to the Rust value.
    fn decode(v: &Value) -> Result<Self, DecodeError>;
    /// [`Field::decode`], consuming the value: strings and nested values
    /// move into the Rust value instead of being copied (what the SDK does
    /// with a value the engine hands over, such as the state a read starts
    /// from).
    fn decode_owned(v: Value) -> Result<Self, DecodeError> {
        Self::decode(&v)
    }
    /// Converts the Rust value to an attribute value.
    fn encode(&self) -> Value;
    /// [`Field::encode`], consuming the value: strings and nested values
    /// move instead of being copied (what the SDK hands back to the engine).
    fn into_encoded(self) -> Value {
        self.encode()
    }
}

/// A resource type's, data source's or nested block's typed model.
pub trait Model: Sized + Send + Sync + 'static {
    /// The schema block: one attribute or nested block per field.
    fn block() -> Block;
    /// The planning rules its fields declare (defaults, local attributes,
    /// JSON documents).
    fn rules() -> Rules {
        Rules::default()
    }
    /// Decodes an object value; unknown attributes decode as null.
    fn from_value(v: &Value) -> Result<Self, DecodeError>;
    /// [`Model::from_value`], consuming the value: its strings and nested
    /// values move into the model instead of being copied.
    fn from_owned(v: Value) -> Result<Self, DecodeError> {
        Self::from_value(&v)
    }
    /// Encodes every field: the value has exactly the schema's attributes.
    fn to_value(&self) -> Value;
    /// [`Model::to_value`], consuming the model: its strings and nested
    /// values move into the result instead of being copied.
    fn into_value(self) -> Value {
        self.to_value()
    }
}

/// Planning rules declared on a model's fields.
#[derive(Debug, Default, Clone)]
pub struct Rules {
    /// `default = ...`: the value an optional attribute left out takes (the
    /// value the API would report, so that leaving it out is no change).
    pub defaults: Vec<(&'static str, Value)>,
    /// `local`: attributes only the configuration holds (the API never
    /// reports them); reads carry them over from the current value.
    pub local: Vec<&'static str>,
    /// `json`: JSON documents compared by meaning, not by text.
    pub json: Vec<&'static str>,
    /// The rules of nested blocks (their defaults apply to each block the
    /// configuration writes), by block name.
    pub blocks: Vec<(&'static str, Nesting, Rules)>,
}

impl Rules {
    /// Adds a flattened model's rules (its attributes are this model's).
    pub fn extend(&mut self, other: Rules) {
        self.defaults.extend(other.defaults);
        self.local.extend(other.local);
        self.json.extend(other.json);
        self.blocks.extend(other.blocks);
    }

    /// Adds a nested block's rules, when it has any.
    pub fn block<T: BlockField>(&mut self, name: &'static str, set: bool) {
        let rules = T::element_rules();
        if !rules.defaults.is_empty() || !rules.blocks.is_empty() {
            self.blocks.push((name, T::nesting(set), rules));
        }
    }
}

/// An attribute's schema flags, as the derive macro writes them.
#[derive(Debug, Clone, Copy)]
pub struct Flags {
    /// The configuration must set it.
    pub required: bool,
    /// The configuration may set it.
    pub optional: bool,
    /// The provider may set it.
    pub computed: bool,
    /// Never shown.
    pub sensitive: bool,
    /// A change replaces the object.
    pub force_new: bool,
    /// Never stored (implies sensitive).
    pub ephemeral: bool,
    /// A `Vec` field is a set (no order, no duplicates).
    pub set: bool,
    /// An object-typed field may also be written as a nested block (see
    /// [`Attribute::block_form`]).
    pub block_form: bool,
    /// The field's doc comment.
    pub description: &'static str,
}

/// The schema attribute for a field of type `T`.
pub fn attribute<T: Field>(f: Flags) -> Attribute {
    let mut type_ = T::attr_type();
    if f.set {
        type_ = match type_ {
            AttrType::List(inner) => AttrType::Set(inner),
            other => other,
        };
    }
    let mut a = Attribute::required(type_);
    a.required = f.required;
    a.optional = f.optional;
    a.computed = f.computed;
    a.sensitive = f.sensitive || f.ephemeral;
    a.ephemeral = f.ephemeral;
    a.force_new = f.force_new;
    a.block_form = f.block_form;
    a.description = f.description.to_string();
    a
}

/// Encodes a field, sorting and de-duplicating a set's elements.
pub fn encode_field(v: Value, set: bool) -> Value {
    match v {
        Value::List(items) if set => Value::set(set_normalize(items.into_vec())),
        other => other,
    }
}

/// Takes an attribute out of an object value for an owned decode (null
/// when absent, or when the value is no object), leaving null in its place.
pub fn take_attribute(v: &mut Value, name: &str) -> Value {
    match v {
        Value::Map(m) => m.get_mut(name).map(std::mem::take).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The object type of a model used as an attribute.
pub fn object_type(block: &Block) -> AttrType {
    let mut fields: BTreeMap<String, AttrType> = block.attributes.iter().map(|(k, a)| (k.clone(), a.type_.clone())).collect();
    for (name, nested) in &block.blocks {
        let obj = object_type(&nested.block);
        let t = match nested.nesting {
            Nesting::Single | Nesting::Group => obj,
            Nesting::List => AttrType::List(Box::new(obj)),
            Nesting::Set => AttrType::Set(Box::new(obj)),
            Nesting::Map => AttrType::Map(Box::new(obj)),
        };
        fields.insert(name.clone(), t);
    }
    AttrType::Object(fields)
}

/// A field type that can be a nested block: `Option<M>` (at most one),
/// `Vec<M>` (a list, or a set with `set`), `BTreeMap<String, M>` (labelled).
pub trait BlockField: Field {
    /// How the blocks nest, given whether the field is declared a set.
    fn nesting(set: bool) -> Nesting;
    /// The block of one element.
    fn element_block() -> Block;
    /// The planning rules of one element.
    fn element_rules() -> Rules;
}

impl<M: Model + Field> BlockField for Option<M> {
    fn nesting(_set: bool) -> Nesting {
        Nesting::Single
    }
    fn element_block() -> Block {
        M::block()
    }
    fn element_rules() -> Rules {
        M::rules()
    }
}

impl<M: Model + Field> BlockField for Vec<M> {
    fn nesting(set: bool) -> Nesting {
        if set {
            Nesting::Set
        } else {
            Nesting::List
        }
    }
    fn element_block() -> Block {
        M::block()
    }
    fn element_rules() -> Rules {
        M::rules()
    }
}

impl<M: Model + Field> BlockField for BTreeMap<String, M> {
    fn nesting(_set: bool) -> Nesting {
        Nesting::Map
    }
    fn element_block() -> Block {
        M::block()
    }
    fn element_rules() -> Rules {
        M::rules()
    }
}

/// The schema of a nested block field.
pub fn nested_block<T: BlockField>(set: bool, force_new: bool, min_items: usize, max_items: Option<usize>) -> NestedBlock {
    NestedBlock { nesting: T::nesting(set), block: T::element_block(), min_items, max_items, force_new }
}

fn type_error(expected: &str, v: &Value) -> DecodeError {
    DecodeError::new(format!("expected {expected}, got {}", v.type_name()))
}

impl Field for String {
    fn attr_type() -> AttrType {
        AttrType::String
    }
    fn decode(v: &Value) -> Result<Self, DecodeError> {
        match v.unmarked() {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Null => Ok(String::new()),
            Value::Unknown => Err(DecodeError::new("not known yet")),
            other => Err(type_error("a string", other)),
        }
    }
    fn decode_owned(v: Value) -> Result<Self, DecodeError> {
        match v.unmark().0 {
            Value::String(s) => Ok(s),
            other => Self::decode(&other),
        }
    }
    fn encode(&self) -> Value {
        Value::String(self.clone())
    }
    fn into_encoded(self) -> Value {
        Value::String(self)
    }
}

impl Field for bool {
    fn attr_type() -> AttrType {
        AttrType::Bool
    }
    fn decode(v: &Value) -> Result<Self, DecodeError> {
        match v.unmarked() {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
            Value::Null => Ok(false),
            Value::Unknown => Err(DecodeError::new("not known yet")),
            other => Err(type_error("a bool", other)),
        }
    }
    fn encode(&self) -> Value {
        Value::Bool(*self)
    }
}

fn decode_number(v: &Value) -> Result<iac_core::Number, DecodeError> {
    match v.unmarked() {
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => iac_core::Number::parse(s).map_err(|_| DecodeError::new(format!("expected a number, got {s:?}"))),
        Value::Null => Ok(iac_core::Number::default()),
        Value::Unknown => Err(DecodeError::new("not known yet")),
        other => Err(type_error("a number", other)),
    }
}

impl Field for f64 {
    fn attr_type() -> AttrType {
        AttrType::Number
    }
    fn decode(v: &Value) -> Result<Self, DecodeError> {
        decode_number(v).map(|n| n.to_f64())
    }
    fn encode(&self) -> Value {
        Value::number(*self)
    }
}

macro_rules! integer_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn attr_type() -> AttrType {
                AttrType::Number
            }
            fn decode(v: &Value) -> Result<Self, DecodeError> {
                let n = decode_number(v)?;
                n.to_i128()
                    .and_then(|i| <$t>::try_from(i).ok())
                    .ok_or_else(|| DecodeError::new(format!("expected a whole number in {}..={}, got {n}", <$t>::MIN, <$t>::MAX)))
            }
            fn encode(&self) -> Value {
                Value::Number(iac_core::Number::from(*self as i128))
            }
        }
    )*};
}
integer_field!(i32, i64, u16, u32, u64, usize);

impl Field for Value {
    fn attr_type() -> AttrType {
        AttrType::Any
    }
    fn decode(v: &Value) -> Result<Self, DecodeError> {
        Ok(v.clone())
    }
    fn decode_owned(v: Value) -> Result<Self, DecodeError> {
        Ok(v)
    }
    fn encode(&self) -> Value {
        self.clone()
    }
    fn into_encoded(self) -> Value {
        self
    }
}

impl<T: Field> Field for Option<T> {
    fn attr_type() -> AttrType {
        T::attr_type()
    }
    fn decode(v: &Value) -> Result<Self, DecodeError> {
        match v.unmarked() {
            Value::Null | Value::Unknown => Ok(None),
            _ => T::decode(v).map(Some),
        }
    }
    fn decode_owned(v: Value) -> Result<Self, DecodeError> {
        match v.unmarked() {
            Value::Null | Value::Unknown => Ok(None),
            _ => T::decode_owned(v).map(Some),
        }
    }
    fn encode(&self) -> Value {
        self.as_ref().map(T::encode).unwrap_or(Value::Null)
    }
    fn into_encoded(self) -> Value {
        self.map(T::into_encoded).unwrap_or(Value::Null)
    }
}

fn decode_items_owned<T: Field>(v: Value) -> Result<Vec<T>, DecodeError> {
    match v.unmark().0 {
        Value::List(items) => items.into_iter().enumerate().map(|(i, x)| T::decode_owned(x).map_err(|e| e.within(&i.to_string()))).collect(),
        other => decode_items(&other),
    }
}

fn decode_items<T: Field>(v: &Value) -> Result<Vec<T>, DecodeError> {
    match v.unmarked() {
        Value::Null | Value::Unknown => Ok(Vec::new()),
        Value::List(items) => items.iter().enumerate().map(|(i, x)| T::decode(x).map_err(|e| e.within(&i.to_string()))).collect(),
        other => Err(type_error("a list", other)),
    }
}

impl<T: Field> Field for Vec<T> {
    fn attr_type() -> AttrType {
        AttrType::List(Box::new(T::attr_type()))
    }
    fn decode(v: &Value) -> Result<Self, DecodeError> {
        decode_items(v)
    }
    fn decode_owned(v: Value) -> Result<Self, DecodeError> {
        decode_items_owned(v)
    }
    fn encode(&self) -> Value {
        Value::list(self.iter().map(T::encode).collect())
    }
    fn into_encoded(self) -> Value {
        Value::list(self.into_iter().map(T::into_encoded).collect())
    }
}

impl<T: Field + Ord> Field for BTreeSet<T> {
    fn attr_type() -> AttrType {
        AttrType::Set(Box::new(T::attr_type()))
    }
    fn decode(v: &Value) -> Result<Self, DecodeError> {
        Ok(decode_items(v)?.into_iter().collect())
    }
    fn decode_owned(v: Value) -> Result<Self, DecodeError> {
        Ok(decode_items_owned(v)?.into_iter().collect())
    }
    fn encode(&self) -> Value {
        Value::set(set_normalize(self.iter().map(T::encode).collect()))
    }
    fn into_encoded(self) -> Value {
        Value::set(set_normalize(self.into_iter().map(T::into_encoded).collect()))
    }
}

impl<T: Field> Field for BTreeMap<String, T> {
    fn attr_type() -> AttrType {
        AttrType::Map(Box::new(T::attr_type()))
    }
    fn decode(v: &Value) -> Result<Self, DecodeError> {
        match v.unmarked() {
            Value::Null | Value::Unknown => Ok(BTreeMap::new()),
            Value::Map(m) => m.iter().map(|(k, x)| T::decode(x).map(|t| (k.clone(), t)).map_err(|e| e.within(k))).collect(),
            other => Err(type_error("a map", other)),
        }
    }
    fn decode_owned(v: Value) -> Result<Self, DecodeError> {
        match v.unmark().0 {
            Value::Map(m) => m
                .into_iter()
                .map(|(k, x)| match T::decode_owned(x) {
                    Ok(t) => Ok((k, t)),
                    Err(e) => Err(e.within(&k)),
                })
                .collect(),
            other => Self::decode(&other),
        }
    }
    fn encode(&self) -> Value {
        Value::Map(self.iter().map(|(k, x)| (k.clone(), x.encode())).collect::<ValueMap>().with_kind(MapKind::Map))
    }
    fn into_encoded(self) -> Value {
        Value::Map(self.into_iter().map(|(k, x)| (k, x.into_encoded())).collect::<ValueMap>().with_kind(MapKind::Map))
    }
}
