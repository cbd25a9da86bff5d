//! Helpers shared by the integration tests: value constructors and a call
//! with a context whose template renderer echoes its inputs.

#![allow(dead_code)]

use std::path::Path;

use iac_core::Value;
use iac_functions::{call, FunctionContext, FunctionError};

pub fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

pub fn n(v: f64) -> Value {
    Value::number(v)
}

/// A number from its decimal text, at Terraform's precision.
pub fn big(v: &str) -> Value {
    Value::Number(iac_core::Number::parse(v).expect("a number"))
}

pub fn b(v: bool) -> Value {
    Value::Bool(v)
}

pub fn l(items: Vec<Value>) -> Value {
    Value::List(items.into())
}

pub fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

pub fn nums(items: &[f64]) -> Value {
    Value::List(items.iter().map(|i| n(*i)).collect())
}

pub fn m(entries: Vec<(&str, Value)>) -> Value {
    Value::map(entries)
}

pub fn sens(v: Value) -> Value {
    v.into_sensitive()
}

pub const U: Value = Value::Unknown;
pub const NULL: Value = Value::Null;

/// A renderer standing in for the evaluator: "${name}" → the variable.
pub fn render(template: &str, vars: &Value) -> Result<Value, String> {
    let mut out = template.to_string();
    if let Some(m) = vars.as_map() {
        for (k, v) in m {
            let text = match v.unmarked() {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out = out.replace(&format!("${{{k}}}"), &text);
        }
    }
    if out.contains("${") {
        return Err(format!("unresolved reference in {out:?}"));
    }
    Ok(Value::String(out))
}

pub fn call_in(dir: &Path, name: &str, args: Vec<Value>) -> Result<Value, FunctionError> {
    let ctx = FunctionContext { base_dir: dir, render_template: &render, planning: false, plan_timestamp: "2024-01-01T00:00:00Z" };
    call(name, args, &ctx)
}

pub fn run(name: &str, args: Vec<Value>) -> Result<Value, FunctionError> {
    call_in(Path::new("/nonexistent-base-dir"), name, args)
}

/// The error message of a call that must fail.
pub fn err(name: &str, args: Vec<Value>) -> String {
    match run(name, args.clone()) {
        Ok(v) => panic!("{name}({args:?}) should fail, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

/// Runs every case and reports all mismatches at once.
pub fn check(cases: Vec<(&str, Vec<Value>, Value)>) {
    let mut failures = Vec::new();
    for (name, args, want) in cases {
        match run(name, args.clone()) {
            Ok(got) if got == want => {}
            Ok(got) => failures.push(format!("{name}({args:?}) = {got:?}, want {want:?}")),
            Err(e) => failures.push(format!("{name}({args:?}) failed: {e}, want {want:?}")),
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// Runs every case that must fail, checking the message contains a fragment.
pub fn check_errors(cases: Vec<(&str, Vec<Value>, &str)>) {
    let mut failures = Vec::new();
    for (name, args, fragment) in cases {
        match run(name, args.clone()) {
            Ok(got) => failures.push(format!("{name}({args:?}) = {got:?}, want an error containing {fragment:?}")),
            Err(e) if e.to_string().contains(fragment) => {}
            Err(e) => failures.push(format!("{name}({args:?}) failed with {e:?}, want an error containing {fragment:?}")),
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}
