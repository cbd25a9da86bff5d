//! How unknown and sensitive marks on arguments become marks on the result,
//! applied around every function so the functions themselves mostly see
//! plain, known values.

use iac_core::Value;

use crate::args::{arg_err, FnResult};
use crate::FunctionContext;

/// What a function does with sensitive marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marks {
    /// Every mark is removed before the call; if there was any, anywhere,
    /// the whole result is sensitive.
    Collapse,
    /// Only each argument's top-level mark is removed (and makes the result
    /// sensitive); nested marks reach the function, which keeps them at
    /// their place (merge, lookup, concat ...).
    Keep,
    /// The function sees arguments exactly as given and handles marks and
    /// unknowns itself (sensitive, nonsensitive, issensitive).
    Raw,
}

/// What a function does with unknown values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unknowns {
    /// Any unknown anywhere in any argument gives an unknown result.
    Deep,
    /// Only a wholly unknown argument gives an unknown result; the function
    /// copes with unknowns inside collections (length, keys, merge ...).
    Shallow,
}

/// How a function treats its arguments.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Policy {
    pub marks: Marks,
    pub unknowns: Unknowns,
    /// Whether a null argument is acceptable (otherwise: an argument error).
    pub nulls: bool,
}

pub(crate) type Imp = fn(Vec<Value>, &FunctionContext) -> FnResult;

/// Runs `imp` on `args` under `policy`.
pub(crate) fn apply(policy: Policy, args: Vec<Value>, ctx: &FunctionContext, imp: Imp) -> FnResult {
    if policy.marks == Marks::Raw {
        return imp(args, ctx);
    }
    let deep_sensitive = args.iter().any(Value::contains_sensitive);
    let mut top_sensitive = false;
    let mut plain = Vec::with_capacity(args.len());
    for arg in args {
        let (inner, marked) = arg.unmark();
        top_sensitive |= marked;
        plain.push(match policy.marks {
            Marks::Collapse => inner.unmark_deep_collapse().0,
            _ => inner,
        });
    }
    let unknown = || Ok(Value::Unknown.mark_if(deep_sensitive));
    if plain.iter().any(|a| matches!(a, Value::Unknown)) {
        return unknown();
    }
    if !policy.nulls {
        if let Some(i) = plain.iter().position(|a| matches!(a, Value::Null)) {
            return arg_err(i, "argument must not be null");
        }
    }
    if policy.unknowns == Unknowns::Deep && !plain.iter().all(Value::is_wholly_known) {
        return unknown();
    }
    let result = imp(plain, ctx)?;
    let sensitive = match policy.marks {
        Marks::Collapse => deep_sensitive,
        _ => top_sensitive,
    };
    Ok(result.mark_if(sensitive))
}

/// Marks a result sensitive when any of the given values carries a mark at
/// any depth: for structural functions that must hoist nested marks (a set
/// cannot hold marked elements, a map key cannot be marked).
pub(crate) fn hoist(result: Value, from: &[&Value]) -> Value {
    let sensitive = from.iter().any(|v| v.contains_sensitive());
    result.mark_if(sensitive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn ctx_call(policy: Policy, args: Vec<Value>, imp: Imp) -> FnResult {
        let render = |_: &str, _: &Value| -> Result<Value, String> { Err("unused".into()) };
        let ctx = FunctionContext { base_dir: Path::new("."), render_template: &render, planning: false, plan_timestamp: "2024-01-01T00:00:00Z" };
        apply(policy, args, &ctx, imp)
    }

    /// Returns its arguments as a list, to show what the function received.
    fn echo(args: Vec<Value>, _: &FunctionContext) -> FnResult {
        Ok(Value::List(args.into()))
    }

    const COLLAPSE: Policy = Policy { marks: Marks::Collapse, unknowns: Unknowns::Deep, nulls: true };
    const KEEP: Policy = Policy { marks: Marks::Keep, unknowns: Unknowns::Shallow, nulls: true };

    fn nested() -> Value {
        Value::List(vec![Value::from("a").into_sensitive()].into()).into_sensitive()
    }

    #[test]
    fn collapse_strips_every_mark_and_marks_the_whole_result() {
        let got = ctx_call(COLLAPSE, vec![nested()], echo).unwrap();
        assert_eq!(got, Value::List(vec![Value::List(vec![Value::from("a")].into())].into()).into_sensitive());
    }

    #[test]
    fn keep_strips_only_the_top_level_mark() {
        let got = ctx_call(KEEP, vec![nested()], echo).unwrap();
        assert_eq!(got, Value::List(vec![Value::List(vec![Value::from("a").into_sensitive()].into())].into()).into_sensitive());
        let inner_only = Value::List(vec![Value::from("a").into_sensitive()].into());
        let got = ctx_call(KEEP, vec![inner_only.clone()], echo).unwrap();
        assert_eq!(got, Value::List(vec![inner_only].into()), "a nested mark alone does not mark the result");
    }

    #[test]
    fn unknowns_deep_and_shallow() {
        let partly = Value::List(vec![Value::Unknown, Value::from(1i64)].into());
        assert_eq!(ctx_call(COLLAPSE, vec![partly.clone()], echo).unwrap(), Value::Unknown);
        assert_eq!(ctx_call(KEEP, vec![partly.clone()], echo).unwrap(), Value::List(vec![partly].into()));
        assert_eq!(ctx_call(KEEP, vec![Value::Unknown], echo).unwrap(), Value::Unknown);
        // A sensitive value anywhere keeps an unknown result sensitive.
        let secret = Value::List(vec![Value::from("s").into_sensitive()].into());
        assert_eq!(ctx_call(KEEP, vec![secret, Value::Unknown], echo).unwrap(), Value::Unknown.into_sensitive());
    }

    #[test]
    fn nulls_are_rejected_unless_allowed() {
        let strict = Policy { nulls: false, ..COLLAPSE };
        assert_eq!(ctx_call(strict, vec![Value::from(1i64), Value::Null], echo), Err(crate::args::Fail::Arg(1, "argument must not be null".into())));
        assert!(ctx_call(COLLAPSE, vec![Value::Null], echo).is_ok());
    }

    #[test]
    fn raw_passes_everything_through() {
        let raw = Policy { marks: Marks::Raw, unknowns: Unknowns::Deep, nulls: false };
        let args = vec![nested(), Value::Unknown, Value::Null];
        assert_eq!(ctx_call(raw, args.clone(), echo).unwrap(), Value::List(args.into()));
    }
}
