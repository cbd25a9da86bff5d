//! Operators and conditionals in HCL's words (`hclsyntax`'s `BinaryOpExpr`,
//! `UnaryOpExpr` and `ConditionalExpr` as Terraform 1.11.4 runs them): an
//! operand that does not convert to the operator's type is an "Invalid
//! operand" naming the side (`Unsuitable value for left operand: a number is
//! required.`, cty's conversion message), a null operand makes the operation
//! fail ("Operation failed"), and a conditional whose results have no common
//! type says which part differs ("Inconsistent conditional result types").

use hcl_edit::expr::{BinaryOperator, UnaryOperator};
use iac_core::{Number, Value};
use serde_json::Value as Json;

/// Why an operation failed, as HCL reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum OpFailure {
    /// The left (or only) operand does not convert: cty's message.
    Left(String),
    /// The right operand does not convert: cty's message.
    Right(String),
    /// The operation itself failed (a null operand, `0 / 0`).
    Failed(String),
}

impl OpFailure {
    /// HCL's summary and detail; `unary` names the only operand.
    pub(super) fn words(&self, unary: bool) -> (&'static str, String) {
        match self {
            OpFailure::Left(m) if unary => ("Invalid operand", format!("Unsuitable value for unary operand: {m}.")),
            OpFailure::Left(m) => ("Invalid operand", format!("Unsuitable value for left operand: {m}.")),
            OpFailure::Right(m) => ("Invalid operand", format!("Unsuitable value for right operand: {m}.")),
            OpFailure::Failed(m) => ("Operation failed", format!("Error during operation: {m}.")),
        }
    }
}

/// An operand converted to the type its operator takes.
enum Operand<T> {
    Known(T),
    Null,
    Unknown,
}

const NOT_NULL: &str = "argument must not be null";

/// cty's conversion of a value to a number: a string must be a number's
/// text (no surrounding spaces); other types do not convert.
fn number_operand(v: &Value) -> Result<Operand<Number>, String> {
    match v {
        Value::Null => Ok(Operand::Null),
        Value::Unknown => Ok(Operand::Unknown),
        Value::Number(n) => Ok(Operand::Known(n.clone())),
        Value::String(s) => Number::parse(s).map(Operand::Known).map_err(|_| "a number is required".to_string()),
        _ => Err("number required".into()),
    }
}

/// cty's conversion of a value to a bool: `"true"`, `"1"`, `"false"`, `"0"`
/// are the strings that convert.
fn bool_operand(v: &Value) -> Result<Operand<bool>, String> {
    match v {
        Value::Null => Ok(Operand::Null),
        Value::Unknown => Ok(Operand::Unknown),
        Value::Bool(b) => Ok(Operand::Known(*b)),
        Value::String(s) => match s.as_str() {
            "true" | "1" => Ok(Operand::Known(true)),
            "false" | "0" => Ok(Operand::Known(false)),
            s => Err(match s.to_lowercase().as_str() {
                word @ ("true" | "false") => format!("a bool is required; to convert from string, use lowercase \"{word}\""),
                _ => "a bool is required".into(),
            }),
        },
        _ => Err("bool required".into()),
    }
}

/// A condition's value as a bool (cty's conversion); None: unknown.
pub(super) enum Condition {
    Known(bool),
    Unknown,
    Null,
    /// Not a bool and not convertible to one.
    Wrong,
}

pub(super) fn condition(v: &Value) -> Condition {
    match bool_operand(v) {
        Ok(Operand::Known(b)) => Condition::Known(b),
        Ok(Operand::Unknown) => Condition::Unknown,
        Ok(Operand::Null) => Condition::Null,
        Err(_) => Condition::Wrong,
    }
}

/// A `for` expression's `if` clause: Some(include) or None when unknown;
/// HCL's problem when it is null or not a bool.
pub(super) fn for_condition(v: &Value) -> Result<Option<bool>, super::Problem> {
    match bool_operand(v) {
        Ok(Operand::Known(b)) => Ok(Some(b)),
        Ok(Operand::Unknown) => Ok(None),
        Ok(Operand::Null) => Err(super::Problem::new("Condition is null", "The value of the 'if' clause must not be null.")),
        Err(m) => Err(super::Problem::new("Invalid 'for' condition", format!("The 'if' clause value is invalid: {m}."))),
    }
}

/// `op v`.
pub(super) fn unary(op: UnaryOperator, v: Value) -> Result<Value, OpFailure> {
    let (v, s) = v.unmark_deep_collapse();
    let out = match op {
        UnaryOperator::Neg => match number_operand(&v).map_err(OpFailure::Left)? {
            Operand::Known(n) => Value::Number(n.neg()),
            Operand::Null => return Err(OpFailure::Failed(NOT_NULL.into())),
            Operand::Unknown => Value::Unknown,
        },
        UnaryOperator::Not => match bool_operand(&v).map_err(OpFailure::Left)? {
            Operand::Known(b) => Value::Bool(!b),
            Operand::Null => return Err(OpFailure::Failed(NOT_NULL.into())),
            Operand::Unknown => Value::Unknown,
        },
    };
    Ok(out.mark_if(s))
}

/// `l op r`: both operands converted first (left, then right), then a null
/// operand fails the operation, then an unknown one makes the result unknown.
pub(super) fn binary(op: BinaryOperator, l: Value, r: Value) -> Result<Value, OpFailure> {
    let (l, s1) = l.unmark_deep_collapse();
    let (r, s2) = r.unmark_deep_collapse();
    let s = s1 || s2;
    use BinaryOperator::*;
    let out = match op {
        Eq | NotEq => {
            if !l.is_wholly_known() || !r.is_wholly_known() {
                Value::Unknown
            } else {
                let eq = l.typed_eq(&r);
                Value::Bool(if matches!(op, Eq) { eq } else { !eq })
            }
        }
        And | Or => {
            let a = bool_operand(&l).map_err(OpFailure::Left)?;
            let b = bool_operand(&r).map_err(OpFailure::Right)?;
            let and = matches!(op, And);
            match (a, b) {
                (Operand::Null, _) | (_, Operand::Null) => return Err(OpFailure::Failed(NOT_NULL.into())),
                // false && unknown is false; true || unknown is true.
                (Operand::Known(x), _) | (_, Operand::Known(x)) if x != and => Value::Bool(x),
                (Operand::Known(x), Operand::Known(y)) => Value::Bool(if and { x && y } else { x || y }),
                _ => Value::Unknown,
            }
        }
        Plus | Minus | Mul | Div | Mod | Less | LessEq | Greater | GreaterEq => {
            let a = number_operand(&l).map_err(OpFailure::Left)?;
            let b = number_operand(&r).map_err(OpFailure::Right)?;
            let (a, b) = match (a, b) {
                (Operand::Null, _) | (_, Operand::Null) => return Err(OpFailure::Failed(NOT_NULL.into())),
                (Operand::Known(a), Operand::Known(b)) => (a, b),
                _ => return Ok(Value::Unknown.mark_if(s)),
            };
            match op {
                Plus => Value::Number(a.add(&b)),
                Minus => Value::Number(a.sub(&b)),
                Mul => Value::Number(a.mul(&b)),
                // As Terraform: n / 0 is an infinity (usable in comparisons,
                // not storable), 0 / 0 an error, and n % 0 is n.
                Div => {
                    if (a.is_zero() && b.is_zero()) || (!a.is_finite() && !b.is_finite()) {
                        return Err(OpFailure::Failed("can't divide zero by zero or infinity by infinity".into()));
                    }
                    Value::Number(a.div(&b))
                }
                Mod => Value::Number(a.rem(&b)),
                Less => Value::Bool(a < b),
                LessEq => Value::Bool(a <= b),
                Greater => Value::Bool(a > b),
                GreaterEq => Value::Bool(a >= b),
                Eq | NotEq | And | Or => unreachable!("handled above"),
            }
        }
    };
    Ok(out.mark_if(s))
}

/// What differs between the two results of a conditional that have no
/// common type, in HCL's words (`describeConditionalTypeMismatch`), from
/// the types the values have (a null's type is unknown to iac's values:
/// it agrees with any other).
pub(super) fn describe_mismatch(t: &Value, f: &Value) -> String {
    describe_types(&t.type_json(), &f.type_json())
}

/// What differs between two type JSONs, in HCL's words for a conditional.
pub(super) fn describe_types(t: &Json, f: &Json) -> String {
    match (shape(t), shape(f)) {
        (Shape::Object(ta), Shape::Object(fa)) => {
            // The attribute that sorts first (serde_json's map is sorted).
            for (name, aty) in ta {
                let Some(faty) = fa.get(name) else {
                    return format!("The 'true' value includes object attribute {name:?}, which is absent in the 'false' value");
                };
                if !same_type(aty, faty) {
                    return format!("Type mismatch for object attribute {name:?}: {}", describe_types(aty, faty));
                }
            }
            if let Some(name) = fa.keys().find(|k| !ta.contains_key(*k)) {
                return format!("The 'false' value includes object attribute {name:?}, which is absent in the 'true' value");
            }
        }
        (Shape::Tuple(te), Shape::Tuple(fe)) => {
            if te.len() != fe.len() {
                return format!("The 'true' tuple has length {}, but the 'false' tuple has length {}", te.len(), fe.len());
            }
            if let Some((i, (a, b))) = te.iter().zip(fe).enumerate().find(|(_, (a, b))| !same_type(a, b)) {
                return format!("Type mismatch for tuple element {i}: {}", describe_types(a, b));
            }
        }
        (Shape::Collection(tk, te), Shape::Collection(fk, fe)) if tk == fk => {
            let structural = |a: &Json, b: &Json| matches!((shape(a), shape(b)), (Shape::Object(_), Shape::Object(_)) | (Shape::Tuple(_), Shape::Tuple(_)));
            if structural(te, fe) {
                return format!("Mismatched {tk} element types: {}", describe_types(te, fe));
            }
        }
        _ => {}
    }
    let (tn, fname) = (friendly_name(t), friendly_name(f));
    if tn == fname {
        return "At least one deeply-nested attribute or element is not compatible across both the 'true' and the 'false' value".into();
    }
    format!("The 'true' value is {tn}, but the 'false' value is {fname}")
}

/// A type JSON taken apart.
enum Shape<'a> {
    Object(&'a serde_json::Map<String, Json>),
    Tuple(&'a Vec<Json>),
    /// `list`, `set` or `map`, and the element type.
    Collection(&'a str, &'a Json),
    Other,
}

fn shape(t: &Json) -> Shape<'_> {
    match t.as_array().map(Vec::as_slice) {
        Some([Json::String(k), Json::Object(attrs)]) if k == "object" => Shape::Object(attrs),
        Some([Json::String(k), Json::Array(elems)]) if k == "tuple" => Shape::Tuple(elems),
        Some([Json::String(k), elem]) if matches!(k.as_str(), "list" | "set" | "map") => Shape::Collection(k, elem),
        _ => Shape::Other,
    }
}

/// Type equality where iac does not know a type (`dynamic`: a null, an
/// unknown, an empty collection's elements) agrees with any.
fn same_type(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::String(x), _) if x == "dynamic" => true,
        (_, Json::String(y)) if y == "dynamic" => true,
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_type(p, q)),
        (Json::Object(x), Json::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_type(v, w))),
        _ => a == b,
    }
}

/// cty's `FriendlyName`: `number`, `list of string`, `map of tuple`, `object`.
fn friendly_name(t: &Json) -> String {
    match shape(t) {
        Shape::Object(_) => "object".into(),
        Shape::Tuple(_) => "tuple".into(),
        Shape::Collection(kind, elem) => format!("{kind} of {}", friendly_name(elem)),
        Shape::Other => t.as_str().unwrap_or("dynamic").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Value {
        crate::eval::eval_literal(&hcl_edit::parser::parse_expr(src).expect("an expression")).expect("a value")
    }

    /// The details Terraform 1.11.4 gives for these conditionals (recorded
    /// from `terraform plan -json`).
    #[test]
    fn mismatches_are_described_as_hcl_describes_them() {
        let cases = [
            ("1", "false", "The 'true' value is number, but the 'false' value is bool"),
            ("{ name = \"x\", tags = { a = \"b\" } }", "{}", "The 'true' value includes object attribute \"name\", which is absent in the 'false' value"),
            ("{ a = 1 }", "{ a = true }", "Type mismatch for object attribute \"a\": The 'true' value is number, but the 'false' value is bool"),
            ("{ b = 1 }", "{ a = 1, b = [] }", "Type mismatch for object attribute \"b\": The 'true' value is number, but the 'false' value is tuple"),
            ("[1]", "[{}]", "Type mismatch for tuple element 0: The 'true' value is number, but the 'false' value is object"),
            (
                "tolist([{ a = 1 }])",
                "tolist([{ a = [1] }])",
                "Mismatched list element types: Type mismatch for object attribute \"a\": The 'true' value is number, but the 'false' value is tuple",
            ),
            ("tomap({ a = [1] })", "tomap({ a = 1 })", "The 'true' value is map of tuple, but the 'false' value is map of number"),
            ("tolist([1])", "{}", "The 'true' value is list of number, but the 'false' value is object"),
            ("toset([1])", "tolist([[]])", "The 'true' value is set of number, but the 'false' value is list of tuple"),
            ("[1, 2]", "{}", "The 'true' value is tuple, but the 'false' value is object"),
        ];
        for (t, f, want) in cases {
            assert_eq!(describe_mismatch(&parse(t), &parse(f)), want, "{t} : {f}");
        }
    }

    #[test]
    fn operands_convert_as_cty_converts_them() {
        use BinaryOperator::*;
        let op = |o, l: &str, r: &str| binary(o, parse(l), parse(r));
        assert_eq!(op(Plus, "true", "1"), Err(OpFailure::Left("number required".into())));
        assert_eq!(op(Plus, "1", "\"a\""), Err(OpFailure::Right("a number is required".into())));
        assert_eq!(op(Plus, "\" 1\"", "1"), Err(OpFailure::Left("a number is required".into())));
        assert_eq!(op(Plus, "\"1e3\"", "1"), Ok(parse("1001")));
        assert_eq!(op(Less, "\"a\"", "\"b\""), Err(OpFailure::Left("a number is required".into())));
        assert_eq!(op(And, "\"1\"", "true"), Ok(Value::Bool(true)));
        assert_eq!(op(And, "\"TRUE\"", "true"), Err(OpFailure::Left("a bool is required; to convert from string, use lowercase \"true\"".into())));
        assert_eq!(op(Or, "1", "true"), Err(OpFailure::Left("bool required".into())));
        assert_eq!(op(Plus, "null", "1"), Err(OpFailure::Failed(NOT_NULL.into())));
        assert_eq!(op(And, "null", "true"), Err(OpFailure::Failed(NOT_NULL.into())));
        assert_eq!(op(Div, "0", "0"), Err(OpFailure::Failed("can't divide zero by zero or infinity by infinity".into())));
        assert_eq!(unary(UnaryOperator::Not, parse("\"x\"")), Err(OpFailure::Left("a bool is required".into())));
        assert_eq!(unary(UnaryOperator::Neg, parse("true")), Err(OpFailure::Left("number required".into())));
        assert_eq!(unary(UnaryOperator::Not, parse("null")), Err(OpFailure::Failed(NOT_NULL.into())));
    }
}
