//! The registry's signatures against Terraform's own: every function's
//! parameter names and types and its result type, as
//! `terraform metadata functions -json` (Terraform 1.11.4) prints them.
//! `fixtures/terraform-functions.json` is that output; the second test runs
//! `terraform` itself (it fails, never skips, without Terraform 1.11.4 on
//! PATH), so the fixture cannot drift from the real thing either.

use std::path::PathBuf;
use std::process::Command;

use iac_functions::{names, signature, Returns, SigType};
use serde_json::{json, Value as Json};

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform-functions.json")
}

fn terraform_signatures() -> serde_json::Map<String, Json> {
    let text = std::fs::read_to_string(fixture_path()).expect("tests/fixtures/terraform-functions.json");
    let j: Json = serde_json::from_str(&text).expect("the fixture is JSON");
    j["function_signatures"].as_object().expect("function_signatures").clone()
}

/// Functions whose result type is fixed, which Terraform's metadata
/// nonetheless prints as `dynamic`: it asks each function for its result
/// type given the declared parameter types, and cty answers `dynamic` for a
/// dynamic argument whose parameter does not itself accept the dynamic
/// pseudo-type, whatever the function would return.
const FIXED_BUT_LISTED_DYNAMIC: &[&str] = &["contains", "format", "formatlist", "index", "parseint", "sum"];

fn has_dynamic(t: &SigType) -> bool {
    match t {
        SigType::Dynamic => true,
        SigType::String | SigType::Number | SigType::Bool => false,
        SigType::List(e) | SigType::Set(e) | SigType::Map(e) => has_dynamic(e),
    }
}

/// The registry's signature of `name` in the form of Terraform's metadata.
fn ours(name: &str) -> Json {
    let sig = signature(name).unwrap_or_else(|| panic!("no signature for {name}"));
    let param = |p: &iac_functions::Param| json!({"name": p.name, "type": p.type_.to_json()});
    let return_type = match sig.returns {
        Returns::Always(t) => {
            assert!(!has_dynamic(&t), "{name}: Always({t:?}) has a dynamic part: it is Depends");
            if FIXED_BUT_LISTED_DYNAMIC.contains(&name) {
                json!("dynamic")
            } else {
                t.to_json()
            }
        }
        Returns::Depends(t) => {
            assert!(has_dynamic(&t), "{name}: Depends({t:?}) has no dynamic part: it is Always");
            assert!(!FIXED_BUT_LISTED_DYNAMIC.contains(&name), "{name} is listed as fixed but Depends on its arguments");
            t.to_json()
        }
        Returns::FirstArgument => json!("dynamic"),
    };
    json!({
        "params": sig.params.iter().map(param).collect::<Vec<_>>(),
        "variadic": sig.variadic.as_ref().map(param),
        "return_type": return_type,
    })
}

fn theirs(sig: &Json) -> Json {
    let param = |p: &Json| json!({"name": p["name"], "type": p["type"]});
    json!({
        "params": sig["parameters"].as_array().map(|ps| ps.iter().map(param).collect::<Vec<_>>()).unwrap_or_default(),
        "variadic": sig.get("variadic_parameter").map(param),
        "return_type": sig["return_type"],
    })
}

#[test]
fn signatures_are_terraforms() {
    let tf = terraform_signatures();
    let tf_names: Vec<&str> = tf.keys().map(String::as_str).filter(|n| !n.starts_with("core::")).collect();
    assert_eq!(names(), tf_names.as_slice(), "the same functions as Terraform 1.11.4");
    for name in names() {
        assert_eq!(tf[&format!("core::{name}")], tf[*name], "core::{name} is {name}");
    }
    let differing: Vec<String> = names()
        .iter()
        .filter_map(|name| {
            let (o, t) = (ours(name), theirs(&tf[*name]));
            (o != t).then(|| format!("{name}:\n  iac:       {o}\n  terraform: {t}"))
        })
        .collect();
    assert!(differing.is_empty(), "signatures differ from Terraform's:\n{}", differing.join("\n"));
}

#[test]
fn fixture_is_terraforms_output() {
    let out = Command::new("terraform")
        .args(["metadata", "functions", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .expect("terraform 1.11.4 on PATH");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let live: Json = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let version = Command::new("terraform").args(["version", "-json"]).env("CHECKPOINT_DISABLE", "1").output().expect("terraform version");
    let version: Json = serde_json::from_slice(&version.stdout).expect("version is JSON");
    assert_eq!(version["terraform_version"], "1.11.4", "the reference is Terraform 1.11.4");
    assert_eq!(live["function_signatures"], Json::Object(terraform_signatures()), "re-record tests/fixtures/terraform-functions.json");
}
