//! Terraform's "expression values" under a diagnostic's source line: each
//! reference in the expression the diagnostic is about, with what it was
//! when the expression was evaluated (`local.one is 1`, `var.names is tuple
//! with 2 elements`), as Terraform shows them under failed conditions
//! (check assertions, variable validations) and invalid condition results.
//!
//! The rules are Terraform 1.11's: a reference is shown at the longest
//! prefix that evaluates (attributes and literal indexes; a splat or a
//! computed index ends it), at least a root and one step; one line per
//! distinct reference, sorted; sensitive, ephemeral and unknown values are
//! left out, but for an unknown value's type where the configuration makes
//! it certain (`var.o is a object`, as Terraform names it); collections are summarized by size, never by
//! their elements. iac's values do not tell a list from a tuple or a map
//! from an object, so collections are named as their literals would be
//! (`tuple`, `object`).

use hcl_edit::expr::{Expression, ObjectKey, Traversal, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Decorated;
use iac_core::Value;

use crate::diagnostic::ExprValue;
use crate::eval::Evaluator;

/// The expression values of `expr`, evaluated again with `ev`.
pub fn expression_values(expr: &Expression, ev: &Evaluator) -> Vec<ExprValue> {
    values_in(expr, ev, &mut Vec::new())
}

/// The expression values of `expr` where `frames` holds the names a `for`
/// expression or template directive around it binds (an evaluation error's).
pub(crate) fn values_in(expr: &Expression, ev: &Evaluator, frames: &mut Vec<(String, Value)>) -> Vec<ExprValue> {
    let mut found = Vec::new();
    collect(expr, &mut Vec::new(), &mut found);
    let mut out: Vec<ExprValue> = Vec::new();
    for (root, ops) in found {
        let whole = Expression::from(Traversal::new(root.clone(), ops.clone()));
        if crate::refs::references(&whole).0.iter().any(|r| ev.scope.is_ephemeral(&r.subject)) {
            continue;
        }
        for n in (1..=ops.len()).rev() {
            let probe = Expression::from(Traversal::new(root.clone(), ops[..n].to_vec()));
            let Ok(value) = ev.ev(&probe, frames) else { continue };
            let traversal = traversal_text(&root, &ops[..n]);
            if !out.iter().any(|v| v.traversal == traversal) {
                if let Some(statement) = statement(&value, || ev.static_type(&probe, frames)) {
                    out.push(ExprValue { traversal, statement });
                }
            }
            break;
        }
    }
    out.sort_by(|a, b| a.traversal.cmp(&b.traversal));
    out
}

/// What Terraform says of a value, or None when it says nothing: of an
/// unknown value, its type where the configuration makes it certain.
fn statement(v: &Value, static_type: impl FnOnce() -> crate::expr_types::Type) -> Option<String> {
    match v {
        Value::Sensitive(_) => None,
        Value::Unknown => static_type().friendly_name().map(|t| format!("is a {t}")),
        v => Some(format!("is {}", compact(v))),
    }
}

/// A value in one short phrase: primitives whole, collections by size.
pub fn compact(v: &Value) -> String {
    match v.unmarked() {
        Value::Null => "null".into(),
        Value::Unknown => "(not yet known)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_general(n.to_f64()),
        Value::String(s) => go_quote(s),
        Value::List(items) => match items.len() {
            0 => "empty tuple".into(),
            1 => "tuple with 1 element".into(),
            n => format!("tuple with {n} elements"),
        },
        Value::Map(m) => match m.len() {
            0 => "object with no attributes".into(),
            1 => format!("object with 1 attribute {}", go_quote(m.keys().next().map(String::as_str).unwrap_or_default())),
            n => format!("object with {n} attributes"),
        },
        Value::Sensitive(_) => "(sensitive value)".into(),
    }
}

/// A number as Go's `%g` with 10 significant digits (`big.Float.Text('g',
/// 10)`): plain decimals for exponents from -4 to 9, else `1.5e+10`,
/// trailing zeros dropped.
fn go_general(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let sci = format!("{f:.9e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..10).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{}e{sign}{:02}", trim(mantissa), exp.abs());
    }
    let decimals = (9 - exp).max(0) as usize;
    trim(&format!("{f:.decimals$}"))
}

/// A string as Go's `%q` writes it.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `root.attr["key"][0]`, as Terraform writes a traversal.
fn traversal_text(root: &Expression, ops: &[Decorated<TraversalOperator>]) -> String {
    let mut out = match root {
        Expression::Variable(v) => v.as_str().to_string(),
        _ => String::new(),
    };
    for op in ops {
        match &**op {
            TraversalOperator::GetAttr(a) => {
                out.push('.');
                out.push_str(a.as_str());
            }
            TraversalOperator::LegacyIndex(n) => out.push_str(&format!("[{}]", n.value())),
            TraversalOperator::Index(Expression::String(s)) => out.push_str(&format!("[{}]", go_quote(s.value()))),
            TraversalOperator::Index(Expression::Number(n)) => out.push_str(&format!("[{}]", go_general(n.value().as_f64().unwrap_or(0.0)))),
            _ => out.push_str("[...]"),
        }
    }
    out
}

/// The traversals of `e` rooted at a variable that is not a `for`
/// expression's own (`locals`): the root and the operators up to the first
/// splat or computed index.
fn collect(e: &Expression, locals: &mut Vec<String>, out: &mut Vec<(Expression, Vec<Decorated<TraversalOperator>>)>) {
    match e {
        Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) | Expression::Variable(_) => {}
        Expression::Array(a) => a.iter().for_each(|x| collect(x, locals, out)),
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let ObjectKey::Expression(k) = k {
                    if !matches!(k, Expression::Variable(_)) {
                        collect(k, locals, out);
                    }
                }
                collect(v.expr(), locals, out);
            }
        }
        Expression::StringTemplate(t) => template(t, locals, out),
        Expression::HeredocTemplate(h) => template(&h.template, locals, out),
        Expression::Parenthesis(p) => collect(p.inner(), locals, out),
        Expression::Conditional(c) => {
            collect(&c.cond_expr, locals, out);
            collect(&c.true_expr, locals, out);
            collect(&c.false_expr, locals, out);
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|a| collect(a, locals, out)),
        Expression::Traversal(t) => {
            match &t.expr {
                Expression::Variable(v) if !locals.iter().any(|l| l == v.as_str()) => {
                    let ops: Vec<Decorated<TraversalOperator>> = t
                        .operators
                        .iter()
                        .take_while(|op| {
                            matches!(
                                &***op,
                                TraversalOperator::GetAttr(_)
                                    | TraversalOperator::LegacyIndex(_)
                                    | TraversalOperator::Index(Expression::String(_) | Expression::Number(_))
                            )
                        })
                        .cloned()
                        .collect();
                    if !ops.is_empty() {
                        out.push((t.expr.clone(), ops));
                    }
                }
                other => collect(other, locals, out),
            }
            for op in t.operators.iter() {
                if let TraversalOperator::Index(i) = &**op {
                    collect(i, locals, out);
                }
            }
        }
        Expression::UnaryOp(u) => collect(&u.expr, locals, out),
        Expression::BinaryOp(b) => {
            collect(&b.lhs_expr, locals, out);
            collect(&b.rhs_expr, locals, out);
        }
        Expression::ForExpr(f) => {
            collect(&f.intro.collection_expr, locals, out);
            let before = locals.len();
            locals.extend(f.intro.key_var.as_ref().map(|k| k.as_str().to_string()));
            locals.push(f.intro.value_var.as_str().to_string());
            if let Some(k) = &f.key_expr {
                collect(k, locals, out);
            }
            collect(&f.value_expr, locals, out);
            if let Some(c) = &f.cond {
                collect(&c.expr, locals, out);
            }
            locals.truncate(before);
        }
    }
}

fn template(t: &Template, locals: &mut Vec<String>, out: &mut Vec<(Expression, Vec<Decorated<TraversalOperator>>)>) {
    for el in t.iter() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => collect(&i.expr, locals, out),
            Element::Directive(d) => match &**d {
                Directive::If(i) => {
                    collect(&i.if_expr.cond_expr, locals, out);
                    template(&i.if_expr.template, locals, out);
                    if let Some(e) = &i.else_expr {
                        template(&e.template, locals, out);
                    }
                }
                Directive::For(f) => {
                    collect(&f.for_expr.collection_expr, locals, out);
                    let before = locals.len();
                    locals.extend(f.for_expr.key_var.as_ref().map(|k| k.as_str().to_string()));
                    locals.push(f.for_expr.value_var.as_str().to_string());
                    template(&f.for_expr.template, locals, out);
                    locals.truncate(before);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_gos_general_format_at_ten_digits() {
        for (f, want) in [
            (1.0, "1"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (100.0, "100"),
            (12345678901.0, "1.23456789e+10"),
            (1e-5, "1e-05"),
            (-2.25, "-2.25"),
            (1234567890.0, "1234567890"),
        ] {
            assert_eq!(go_general(f), want, "{f}");
        }
    }

    #[test]
    fn strings_are_quoted_as_go_does() {
        assert_eq!(go_quote("a\"b\\c\nd é"), "\"a\\\"b\\\\c\\nd é\"");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
    }
}
