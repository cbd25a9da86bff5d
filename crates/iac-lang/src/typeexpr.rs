//! Variable type constraints (`list(string)`, `map(object({ a = optional(number, 1) }))`)
//! and conversion of values to them, as Terraform does.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, ObjectKey};
use iac_core::Value;
use iac_functions::set_elements as set_normalize;

#[derive(Clone, Debug, PartialEq, Default)]
pub enum TypeConstraint {
    #[default]
    Any,
    String,
    Number,
    Bool,
    List(Box<TypeConstraint>),
    Set(Box<TypeConstraint>),
    Map(Box<TypeConstraint>),
    Tuple(Vec<TypeConstraint>),
    Object(BTreeMap<String, ObjectAttr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectAttr {
    pub type_: TypeConstraint,
    pub optional: bool,
    pub default: Option<Value>,
}

impl TypeConstraint {
    /// Parses a type expression; Err names what is wrong.
    pub fn parse(expr: &Expression) -> Result<TypeConstraint, String> {
        match expr {
            Expression::Variable(v) => match v.as_str() {
                "any" => Ok(TypeConstraint::Any),
                "string" => Ok(TypeConstraint::String),
                "number" => Ok(TypeConstraint::Number),
                "bool" => Ok(TypeConstraint::Bool),
                other => Err(format!("unknown type {other:?}")),
            },
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                let args: Vec<&Expression> = call.args.iter().collect();
                let one = |args: &[&Expression]| -> Result<TypeConstraint, String> {
                    match args {
                        [a] => TypeConstraint::parse(a),
                        _ => Err(format!("{name}() takes exactly one type argument")),
                    }
                };
                match name {
                    "list" => Ok(TypeConstraint::List(Box::new(one(&args)?))),
                    "set" => Ok(TypeConstraint::Set(Box::new(one(&args)?))),
                    "map" => Ok(TypeConstraint::Map(Box::new(one(&args)?))),
                    "tuple" => match args.as_slice() {
                        [Expression::Array(items)] => Ok(TypeConstraint::Tuple(items.iter().map(TypeConstraint::parse).collect::<Result<_, _>>()?)),
                        _ => Err("tuple() takes a list of types".into()),
                    },
                    "object" => match args.as_slice() {
                        [Expression::Object(obj)] => {
                            let mut attrs = BTreeMap::new();
                            for (k, v) in obj.iter() {
                                let key = match k {
                                    ObjectKey::Ident(i) => i.as_str().to_string(),
                                    ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
                                    _ => return Err("object type attribute names must be identifiers".into()),
                                };
                                attrs.insert(key, parse_object_attr(v.expr())?);
                            }
                            Ok(TypeConstraint::Object(attrs))
                        }
                        _ => Err("object() takes an object of attribute types".into()),
                    },
                    "optional" => Err("optional() is only allowed for object type attributes".into()),
                    other => Err(format!("unknown type constructor {other:?}")),
                }
            }
            _ => Err("a type constraint is a type keyword or a type constructor such as list(string)".into()),
        }
    }

    pub fn name(&self) -> String {
        match self {
            TypeConstraint::Any => "any".into(),
            TypeConstraint::String => "string".into(),
            TypeConstraint::Number => "number".into(),
            TypeConstraint::Bool => "bool".into(),
            TypeConstraint::List(t) => format!("list({})", t.name()),
            TypeConstraint::Set(t) => format!("set({})", t.name()),
            TypeConstraint::Map(t) => format!("map({})", t.name()),
            TypeConstraint::Tuple(ts) => format!("tuple([{}])", ts.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")),
            TypeConstraint::Object(attrs) => {
                format!("object({{{}}})", attrs.iter().map(|(k, a)| format!("{k} = {}", a.type_.name())).collect::<Vec<_>>().join(", "))
            }
        }
    }

    /// The type as cty names it in its conversion errors (`list of
    /// number`, `object`): Terraform's words for a value of another type.
    pub fn friendly_name(&self) -> String {
        match self {
            TypeConstraint::Any => "any type".into(),
            TypeConstraint::String => "string".into(),
            TypeConstraint::Number => "number".into(),
            TypeConstraint::Bool => "bool".into(),
            TypeConstraint::List(t) => format!("list of {}", t.friendly_name()),
            TypeConstraint::Set(t) => format!("set of {}", t.friendly_name()),
            TypeConstraint::Map(t) => format!("map of {}", t.friendly_name()),
            TypeConstraint::Tuple(_) => "tuple".into(),
            TypeConstraint::Object(_) => "object".into(),
        }
    }

    /// Converts a value to this type, keeping marks; Err says where in the
    /// value and why not.
    pub fn convert(&self, v: Value) -> Result<Value, ConversionError> {
        let (v, sensitive) = v.unmark();
        if matches!(v, Value::Unknown | Value::Null) {
            return Ok(v.mark_if(sensitive));
        }
        let out = match (self, v) {
            (TypeConstraint::Any, v) => v,
            (TypeConstraint::String, Value::String(s)) => Value::String(s),
            (TypeConstraint::String, Value::Number(n)) => Value::String(n.to_string()),
            (TypeConstraint::String, Value::Bool(b)) => Value::String(b.to_string()),
            (TypeConstraint::Number, Value::Number(n)) => Value::Number(n),
            (TypeConstraint::Number, Value::String(s)) => {
                Value::Number(iac_core::Number::parse(s.trim()).map_err(|_| ConversionError::new(ConversionReason::NotANumber { given: s.clone() }))?)
            }
            (TypeConstraint::Bool, Value::Bool(b)) => Value::Bool(b),
            (TypeConstraint::Bool, Value::String(s)) if s == "true" || s == "false" => Value::Bool(s == "true"),
            (TypeConstraint::Bool, Value::String(s)) => return Err(ConversionError::new(ConversionReason::NotABool { given: s })),
            (TypeConstraint::List(t), Value::List(items)) => Value::list(convert_items(t, items.into_vec())?),
            (TypeConstraint::Set(t), Value::List(items)) => Value::set(set_normalize(convert_items(t, items.into_vec())?)),
            (TypeConstraint::Map(t), Value::Map(m)) => Value::Map(
                m.into_iter()
                    .map(|(k, v)| t.convert(v).map(|v| (k.clone(), v)).map_err(|e| e.within(PathStep::Key(k.clone()))))
                    .collect::<Result<iac_core::ValueMap, _>>()?
                    .with_kind(iac_core::MapKind::Map),
            ),
            (TypeConstraint::Tuple(ts), Value::List(items)) => {
                if ts.len() != items.len() {
                    return Err(ConversionError::new(ConversionReason::TupleLength { want: ts.len(), got: items.len() }));
                }
                Value::tuple(
                    ts.iter().zip(items).enumerate().map(|(i, (t, v))| t.convert(v).map_err(|e| e.within(PathStep::Index(i)))).collect::<Result<_, _>>()?,
                )
            }
            (TypeConstraint::Object(attrs), Value::Map(mut m)) => {
                // As cty: missing attributes are the type's mismatch, found
                // before any attribute's value is converted.
                let missing: Vec<String> = attrs.iter().filter(|(n, a)| !a.optional && !m.contains_key(*n)).map(|(n, _)| n.clone()).collect();
                if !missing.is_empty() {
                    return Err(ConversionError::new(ConversionReason::MissingAttributes(missing)));
                }
                let mut out = iac_core::ValueMap::new();
                for (name, attr) in attrs {
                    match m.remove(name) {
                        Some(v) if !(v.is_null() && attr.optional) => {
                            out.insert(name.clone(), attr.type_.convert(v).map_err(|e| e.within(PathStep::Attribute(name.clone())))?);
                        }
                        _ if attr.optional => {
                            out.insert(name.clone(), attr.default.clone().unwrap_or(Value::Null));
                        }
                        _ => return Err(ConversionError::new(ConversionReason::MissingAttributes(vec![name.clone()]))),
                    }
                }
                if let Some(extra) = m.keys().next() {
                    // Terraform drops extra attributes silently; we say so, since it is almost always a typo.
                    return Err(ConversionError::new(ConversionReason::UnexpectedAttribute(extra.clone())));
                }
                Value::Map(out)
            }
            (t, v) => return Err(ConversionError::new(ConversionReason::WrongType { want: t.clone(), got: v.type_name() })),
        };
        Ok(out.mark_if(sensitive))
    }
}

/// Why a value does not convert to a type constraint, and where in the
/// value: each caller words it (Terraform's variable errors give cty's
/// words for the reason, without the path).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}{reason}", path_prefix(.path))]
pub struct ConversionError {
    /// From the value's top to the part refused.
    pub path: Vec<PathStep>,
    pub reason: ConversionReason,
}

/// One step into a value: a list, set or tuple element, a map element or
/// an object attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum PathStep {
    Index(usize),
    Key(String),
    Attribute(String),
}

/// What a value lacks for a type, each in cty's words.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConversionReason {
    /// A string that is no number where a number is required.
    #[error("a number is required")]
    NotANumber { given: String },
    /// A string other than `true` or `false` where a bool is required.
    #[error("a bool is required")]
    NotABool { given: String },
    /// A value of another kind (cty names the type it wanted).
    #[error("{} required", .want.friendly_name())]
    WrongType { want: TypeConstraint, got: &'static str },
    /// A sequence of another length where a tuple is required.
    #[error("tuple required")]
    TupleLength { want: usize, got: usize },
    /// Attributes the object type requires and the value lacks, by name.
    #[error("{}", missing_attributes(.0))]
    MissingAttributes(Vec<String>),
    /// An attribute the object type does not have (Terraform drops it
    /// silently; iac refuses it, since it is almost always a typo).
    #[error("unexpected attribute {0:?}")]
    UnexpectedAttribute(String),
}

impl ConversionError {
    fn new(reason: ConversionReason) -> ConversionError {
        ConversionError { path: Vec::new(), reason }
    }

    /// The reason after the path as cty writes it (`[1]: `, `.a: `,
    /// `["k"]: `), as Terraform's errors that name the path give it.
    pub fn with_cty_path(&self) -> String {
        if self.path.is_empty() {
            return self.reason.to_string();
        }
        let path: String = self
            .path
            .iter()
            .map(|s| match s {
                PathStep::Index(i) => format!("[{i}]"),
                PathStep::Key(k) => format!("[{k:?}]"),
                PathStep::Attribute(a) => format!(".{a}"),
            })
            .collect();
        format!("{path}: {}", self.reason)
    }

    /// This error, found in the part `step` of an enclosing value.
    fn within(mut self, step: PathStep) -> ConversionError {
        self.path.insert(0, step);
        self
    }
}

/// cty's words for missing attributes: `attribute "a" is required`,
/// `attributes "a" and "b" are required`, `attributes "a", "b", and "c"
/// are required`.
fn missing_attributes(names: &[String]) -> String {
    match names {
        [one] => format!("attribute {one:?} is required"),
        [a, b] => format!("attributes {a:?} and {b:?} are required"),
        [rest @ .., last] => {
            let rest: String = rest.iter().map(|n| format!("{n:?}, ")).collect();
            format!("attributes {rest}and {last:?} are required")
        }
        [] => "attributes are required".into(),
    }
}

/// `element 0: `, `attribute "a": ` for each step of a path.
fn path_prefix(path: &[PathStep]) -> String {
    path.iter()
        .map(|s| match s {
            PathStep::Index(i) => format!("element {i}: "),
            PathStep::Key(k) => format!("element {k:?}: "),
            PathStep::Attribute(a) => format!("attribute {a:?}: "),
        })
        .collect()
}

fn convert_items(t: &TypeConstraint, items: Vec<Value>) -> Result<Vec<Value>, ConversionError> {
    items.into_iter().enumerate().map(|(i, v)| t.convert(v).map_err(|e| e.within(PathStep::Index(i)))).collect()
}

fn parse_object_attr(expr: &Expression) -> Result<ObjectAttr, String> {
    if let Expression::FuncCall(call) = expr {
        if call.name.name.as_str() == "optional" {
            let args: Vec<&Expression> = call.args.iter().collect();
            let type_ = TypeConstraint::parse(args.first().ok_or("optional() needs a type")?)?;
            let default = match args.get(1) {
                Some(e) => Some(type_.convert(literal_value(e)?).map_err(|e| e.to_string())?),
                None => None,
            };
            return Ok(ObjectAttr { type_, optional: true, default });
        }
    }
    Ok(ObjectAttr { type_: TypeConstraint::parse(expr)?, optional: false, default: None })
}

/// Evaluates a literal expression (no references, no functions).
pub fn literal_value(expr: &Expression) -> Result<Value, String> {
    crate::eval::eval_literal(expr)
}
