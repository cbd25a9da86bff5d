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

    /// Converts a value to this type, keeping marks; Err says why not.
    pub fn convert(&self, v: Value) -> Result<Value, String> {
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
                Value::Number(iac_core::Number::parse(s.trim()).map_err(|_| format!("a number is required, and {s:?} is not a number"))?)
            }
            (TypeConstraint::Bool, Value::Bool(b)) => Value::Bool(b),
            (TypeConstraint::Bool, Value::String(s)) if s == "true" || s == "false" => Value::Bool(s == "true"),
            (TypeConstraint::List(t), Value::List(items)) => Value::list(convert_items(t, items.into_vec())?),
            (TypeConstraint::Set(t), Value::List(items)) => Value::set(set_normalize(convert_items(t, items.into_vec())?)),
            (TypeConstraint::Map(t), Value::Map(m)) => Value::Map(
                m.into_iter()
                    .map(|(k, v)| t.convert(v).map(|v| (k.clone(), v)).map_err(|e| format!("element {k:?}: {e}")))
                    .collect::<Result<iac_core::ValueMap, _>>()?
                    .with_kind(iac_core::MapKind::Map),
            ),
            (TypeConstraint::Tuple(ts), Value::List(items)) => {
                if ts.len() != items.len() {
                    return Err(format!("a tuple of {} elements is required, got {}", ts.len(), items.len()));
                }
                Value::tuple(
                    ts.iter().zip(items).enumerate().map(|(i, (t, v))| t.convert(v).map_err(|e| format!("element {i}: {e}"))).collect::<Result<_, _>>()?,
                )
            }
            (TypeConstraint::Object(attrs), Value::Map(mut m)) => {
                let mut out = iac_core::ValueMap::new();
                for (name, attr) in attrs {
                    match m.remove(name) {
                        Some(v) if !(v.is_null() && attr.optional) => {
                            out.insert(name.clone(), attr.type_.convert(v).map_err(|e| format!("attribute {name:?}: {e}"))?);
                        }
                        _ if attr.optional => {
                            out.insert(name.clone(), attr.default.clone().unwrap_or(Value::Null));
                        }
                        _ => return Err(format!("attribute {name:?} is required")),
                    }
                }
                if let Some(extra) = m.keys().next() {
                    // Terraform drops extra attributes silently; we say so, since it is almost always a typo.
                    return Err(format!("unexpected attribute {extra:?}"));
                }
                Value::Map(out)
            }
            (t, v) => return Err(format!("{} required, got {}", t.name(), v.type_name())),
        };
        Ok(out.mark_if(sensitive))
    }
}

fn convert_items(t: &TypeConstraint, items: Vec<Value>) -> Result<Vec<Value>, String> {
    items.into_iter().enumerate().map(|(i, v)| t.convert(v).map_err(|e| format!("element {i}: {e}"))).collect()
}

fn parse_object_attr(expr: &Expression) -> Result<ObjectAttr, String> {
    if let Expression::FuncCall(call) = expr {
        if call.name.name.as_str() == "optional" {
            let args: Vec<&Expression> = call.args.iter().collect();
            let type_ = TypeConstraint::parse(args.first().ok_or("optional() needs a type")?)?;
            let default = match args.get(1) {
                Some(e) => Some(type_.convert(literal_value(e)?)?),
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
