//! Expansion of `count` and `for_each` into repetitions (one per instance
//! of a resource or module call), with Terraform's rules: whole numbers,
//! string sets, no sensitive keys, no keys known only after apply (except
//! under `iac validate`, where the instances are one unknown).

use std::collections::HashSet;

use iac_core::Value;
use iac_lang::diagnostic::Diagnostic;
use iac_lang::eval::Evaluator;

use crate::values::{Repetition, Shape};

/// Expands count / for_each into repetitions.
pub fn expand(
    ev: &Evaluator,
    count: Option<&iac_lang::config::Expr>,
    for_each: Option<&iac_lang::config::Expr>,
    lenient: bool,
) -> Result<(Shape, Vec<Repetition>), Diagnostic> {
    if lenient {
        for e in count.iter().chain(for_each.iter()) {
            if !ev.eval(&e.expr)?.is_wholly_known() {
                let shape = if count.is_some() { Shape::Counted } else { Shape::ForEach };
                return Ok((shape, vec![Repetition::Unknown]));
            }
        }
    }
    if let Some(c) = count {
        let v = ev.eval(&c.expr)?;
        return match v.unmarked() {
            Value::Unknown => Err(Diagnostic::error("count depends on values known only after apply", Some(c.span()))
                .with_detail("use -target to create what it depends on first, or compute count from known values")),
            Value::Number(n) if n.to_i64().is_some_and(|c| c >= 0) => Ok((Shape::Counted, (0..n.to_i64().unwrap_or(0)).map(Repetition::Count).collect())),
            other => Err(Diagnostic::error(format!("count must be a whole number ≥ 0, got {other}"), Some(c.span()))),
        };
    }
    if let Some(f) = for_each {
        let v = ev.eval(&f.expr)?;
        if v.contains_sensitive() {
            return Err(Diagnostic::error("for_each cannot use sensitive values (the instance keys would reveal them)", Some(f.span())));
        }
        return match v {
            Value::Map(m) => Ok((Shape::ForEach, m.into_iter().map(|(k, v)| Repetition::Each(k, v)).collect())),
            Value::List(items) => {
                let mut reps = Vec::with_capacity(items.len());
                let mut seen = HashSet::new();
                for i in items {
                    match i {
                        Value::String(s) => {
                            if seen.insert(s.clone()) {
                                reps.push(Repetition::Each(s.clone(), Value::String(s)));
                            }
                        }
                        Value::Unknown => return Err(unknown_keys(f)),
                        other => return Err(Diagnostic::error(format!("for_each over a set needs strings, got a {}", other.type_name()), Some(f.span()))),
                    }
                }
                reps.sort_by(|a, b| format!("{:?}", a.key()).cmp(&format!("{:?}", b.key())));
                Ok((Shape::ForEach, reps))
            }
            Value::Unknown => Err(unknown_keys(f)),
            Value::Null => Err(Diagnostic::error("for_each must not be null", Some(f.span()))),
            other => Err(Diagnostic::error(format!("for_each needs a map or a set of strings, got a {}", other.type_name()), Some(f.span()))),
        };
    }
    Ok((Shape::Single, vec![Repetition::None]))
}

fn unknown_keys(f: &iac_lang::config::Expr) -> Diagnostic {
    Diagnostic::error("for_each keys depend on values known only after apply", Some(f.span()))
        .with_detail("the instance keys must be known at plan time; use values from variables or data, or apply the dependencies first with -target")
}
