//! `${...}` in strings, as kro reads them: a string that is exactly one
//! `${expr}` is a standalone expression (its value replaces the field, of
//! any type); a string with text around or several expressions is a string
//! template, whose expressions must yield strings (`string()` converts).
//! A `${` inside a string literal of the expression does not end it, so
//! `${"${VAR}"}` writes a literal `${VAR}`.

use serde_json::{Map, Value};

use crate::expr::{self, Env, Expr, ExprError};

/// One part of a string.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// An expression and its source text.
    Expr(Expr, String),
}

/// A string holding at least one `${...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The parts, in order.
    pub pieces: Vec<Piece>,
}

impl Template {
    /// Whether the string is exactly one expression.
    pub fn standalone(&self) -> bool {
        matches!(self.pieces.as_slice(), [Piece::Expr(..)])
    }

    /// The expressions of the template.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Expr(e, _) => Some(e),
            Piece::Text(_) => None,
        })
    }

    /// The value: the expression's for a standalone one, else the joined string.
    pub fn eval(&self, env: &Env) -> Result<Value, ExprError> {
        if let [Piece::Expr(e, src)] = self.pieces.as_slice() {
            return e.eval(env).map_err(|e| ExprError(format!("${{{src}}}: {e}")));
        }
        let mut s = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => s.push_str(t),
                Piece::Expr(e, src) => match e.eval(env).map_err(|e| ExprError(format!("${{{src}}}: {e}")))? {
                    Value::String(v) => s.push_str(&v),
                    other => {
                        return Err(ExprError(format!(
                            "${{{src}}} yields {}, not string: inside a string template expressions must yield strings (convert with string(...))",
                            kind(&other)
                        )))
                    }
                },
            }
        }
        Ok(Value::String(s))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "double",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// Parses the `${...}` of a string; `None` when it has none.
pub fn parse(s: &str) -> Result<Option<Template>, ExprError> {
    if !s.contains("${") {
        return Ok(None);
    }
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        text.push_str(&rest[..at]);
        let inner = &rest[at + 2..];
        let end = closing_brace(inner).ok_or_else(|| ExprError(format!("{s:?}: \"${{\" without its closing \"}}\"")))?;
        let src = &inner[..end];
        if src.trim().is_empty() {
            return Err(ExprError(format!("{s:?}: an empty ${{}}")));
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
        }
        pieces.push(Piece::Expr(expr::parse(src)?, src.trim().to_string()));
        rest = &inner[end + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(Some(Template { pieces }))
}

/// Where the `}` closing an expression is: braces nest, and string
/// literals (with their escapes) are skipped.
fn closing_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Every template in a JSON tree (string values only; keys are literal),
/// with the path of its field.
pub fn templates_in(v: &Value, path: &str, out: &mut Vec<(String, Template)>) -> Result<(), ExprError> {
    match v {
        Value::String(s) => {
            if let Some(t) = parse(s).map_err(|e| ExprError(format!("{path}: {e}")))? {
                out.push((path.to_string(), t));
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                templates_in(x, &format!("{path}[{i}]"), out)?;
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                templates_in(x, &join(path, k), out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `a.b`, or `b` at the top.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The JSON tree with every template evaluated.
pub fn render(v: &Value, env: &Env, path: &str) -> Result<Value, ExprError> {
    match v {
        Value::String(s) => match parse(s).map_err(|e| ExprError(format!("{path}: {e}")))? {
            Some(t) => t.eval(env).map_err(|e| ExprError(format!("{path}: {e}"))),
            None => Ok(v.clone()),
        },
        Value::Array(a) => Ok(Value::Array(a.iter().enumerate().map(|(i, x)| render(x, env, &format!("{path}[{i}]"))).collect::<Result<_, _>>()?)),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                out.insert(k.clone(), render(x, env, &join(path, k))?);
            }
            Ok(Value::Object(out))
        }
        _ => Ok(v.clone()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn env() -> Env {
        [("schema".to_string(), json!({"spec": {"name": "web", "port": 8080}}))].into_iter().collect()
    }

    #[test]
    fn standalone_keeps_the_type_and_templates_join_strings() {
        assert_eq!(parse("${schema.spec.port}").unwrap().unwrap().eval(&env()).unwrap(), json!(8080));
        assert_eq!(parse("app-${schema.spec.name}:${string(schema.spec.port)}").unwrap().unwrap().eval(&env()).unwrap(), json!("app-web:8080"));
        assert_eq!(parse("sum(x{service=\"${schema.spec.name}\"})").unwrap().unwrap().eval(&env()).unwrap(), json!("sum(x{service=\"web\"})"));
        assert_eq!(parse("echo ${\"${USER}\"}").unwrap().unwrap().eval(&env()).unwrap(), json!("echo ${USER}"));
        assert!(parse("plain").unwrap().is_none());
    }

    #[test]
    fn template_errors_say_where_and_why() {
        let e = parse("port-${schema.spec.port}").unwrap().unwrap().eval(&env()).unwrap_err().0;
        assert!(e.contains("yields int, not string") && e.contains("string(...)"), "{e}");
        assert!(parse("${schema.spec.name").unwrap_err().0.contains("without its closing"));
        assert!(parse("a ${ } b").unwrap_err().0.contains("empty"));
        let e = render(&json!({"spec": {"x": ["${schema.spec.nope}"]}}), &env(), "").unwrap_err().0;
        assert!(e.starts_with("spec.x[0]: ${schema.spec.nope}: no such key: nope"), "{e}");
    }
}
