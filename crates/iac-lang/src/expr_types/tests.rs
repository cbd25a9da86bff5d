//! Tests of the static types of expressions: each expected type is what
//! Terraform 1.11.4's `output -json` wrote for the same output.

use super::*;
use crate::load::load_stack;

/// Loads a root module (and `child/` when given) from text.
fn stack(main: &str, child: Option<&str>) -> crate::load::Stack {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("iac-expr-types-{}-{n}", std::process::id()));
    std::fs::create_dir_all(dir.join("child")).unwrap();
    std::fs::write(dir.join("main.tf"), main).unwrap();
    if let Some(c) = child {
        std::fs::write(dir.join("child/main.tf"), c).unwrap();
    }
    let (stack, diags) = load_stack(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!diags.has_errors(), "{diags:?}");
    stack
}

fn output(src: &str, name: &str) -> Json {
    output_type(&stack(src, None).root, name).to_json()
}

#[test]
fn function_results_type_empty_collections() {
    let src = r#"
output "regexall" { value = regexall("z", "abc") }
output "groups" { value = regexall("(a)(b)", "zzz") }
output "named" { value = regexall("(?P<x>a)", "zzz") }
output "regex_groups" { value = regex("(a)(b)?", "a") }
output "compact" { value = compact(["", ""]) }
output "transpose" { value = transpose({ a = [] }) }
output "setproduct" { value = setproduct(["a"], []) }
output "setproduct_sets" { value = setproduct(toset([]), toset(["a"])) }
output "keys" { value = keys(tomap({})) }
output "range" { value = range(0) }
output "fileset" { value = fileset(".", "*.nothing") }
output "tolist_tuple" { value = tolist(["a", 1]) }
"#;
    assert_eq!(output(src, "regexall"), json!(["list", "string"]));
    assert_eq!(output(src, "groups"), json!(["list", ["tuple", ["string", "string"]]]));
    assert_eq!(output(src, "named"), json!(["list", ["object", {"x": "string"}]]));
    assert_eq!(output(src, "regex_groups"), json!(["tuple", ["string", "string"]]));
    assert_eq!(output(src, "compact"), json!(["list", "string"]));
    assert_eq!(output(src, "transpose"), json!(["map", ["list", "string"]]));
    assert_eq!(output(src, "setproduct"), json!(["list", ["tuple", ["string", "dynamic"]]]));
    assert_eq!(output(src, "setproduct_sets"), json!(["set", ["tuple", ["dynamic", "string"]]]));
    assert_eq!(output(src, "keys"), json!(["list", "string"]));
    assert_eq!(output(src, "range"), json!(["list", "number"]));
    assert_eq!(output(src, "fileset"), json!(["set", "string"]));
    assert_eq!(output(src, "tolist_tuple"), json!(["list", "string"]));
}

#[test]
fn type_constraints_type_nulls_and_optional_attributes() {
    let src = r#"
variable "obj" {
  type = object({
    a = string
    b = optional(string)
    c = optional(object({ d = optional(number, 3) }), {})
    l = optional(list(object({ x = optional(number) })))
  })
  default = { a = "x" }
}
variable "loose" {
  type    = object({ a = any })
  default = { a = null }
}
output "obj" { value = var.obj }
output "nested" { value = var.obj.c }
output "elements" { value = var.obj.l[0] }
output "loose" { value = var.loose }
"#;
    let st = stack(src, None);
    let obj = output_type(&st.root, "obj");
    let found = json!(["object", {"a": "string", "b": "dynamic", "c": ["object", {"d": "number"}], "l": "dynamic"}]);
    assert_eq!(
        obj.fill(found),
        json!(["object", {"a": "string", "b": "string", "c": ["object", {"d": "number"}], "l": ["list", ["object", {"x": "number"}]]}])
    );
    assert_eq!(output_type(&st.root, "nested").to_json(), json!(["object", {"d": "number"}]));
    assert_eq!(output_type(&st.root, "elements").to_json(), json!(["object", {"x": "number"}]));
    // `any` says nothing: the value's own type stays, dynamic where it is null.
    assert_eq!(output_type(&st.root, "loose").fill(json!(["object", {"a": "dynamic"}])), json!(["object", {"a": "dynamic"}]));
}

#[test]
fn references_through_locals_for_expressions_and_ephemeralasnull() {
    let src = r#"
variable "secret" {
  type      = string
  ephemeral = true
  default   = "s"
}
variable "names" {
  type    = list(object({ n = optional(string) }))
  default = []
}
locals {
  mixed  = { secret = var.secret, n = 1 }
  nested = { inner = local.mixed, list = [var.secret, "x"] }
}
output "through_locals" { value = ephemeralasnull(local.nested) }
output "for_list" { value = [for o in var.names : o.n] }
output "for_map" { value = { for o in var.names : "k" => o } }
output "splat" { value = var.names[*].n }
"#;
    assert_eq!(
        output(src, "through_locals"),
        json!(["object", {"inner": ["object", {"n": "number", "secret": "string"}], "list": ["tuple", ["string", "string"]]}])
    );
    let st = stack(src, None);
    assert_eq!(output_type(&st.root, "for_list").fill(json!(["tuple", ["dynamic", "string"]])), json!(["tuple", ["string", "string"]]));
    assert_eq!(
        output_type(&st.root, "for_map").fill(json!(["object", {"k": ["object", {"n": "dynamic"}]}])),
        json!(["object", {"k": ["object", {"n": "string"}]}])
    );
    assert_eq!(output_type(&st.root, "splat").to_json(), json!(["list", "string"]));
}

#[test]
fn module_outputs_follow_the_child_and_its_arguments() {
    let root = r#"
module "child" {
  source = "./child"
  given  = tostring(null)
  typed  = null
}
module "many" {
  source = "./child"
  count  = 2
  given  = []
}
output "loose" { value = module.child.loose }
output "typed" { value = module.child.typed }
output "indexed" { value = module.many[0].typed }
output "whole" { value = module.many }
"#;
    let child = r#"
variable "given" {}
variable "typed" {
  type    = list(string)
  default = null
}
output "loose" { value = { v = var.given } }
output "typed" { value = { v = var.typed } }
"#;
    let st = stack(root, Some(child));
    assert_eq!(output_type(&st.root, "loose").to_json(), json!(["object", {"v": "string"}]));
    assert_eq!(output_type(&st.root, "typed").to_json(), json!(["object", {"v": ["list", "string"]}]));
    assert_eq!(output_type(&st.root, "indexed").to_json(), json!(["object", {"v": ["list", "string"]}]));
    assert_eq!(output_type(&st.root, "whole"), Type::Unknown);
}

#[test]
fn conditionals_unify_as_terraform() {
    let src = r#"
output "null_or_string" { value = { a = true ? null : "x" } }
output "tuples" { value = { b = false ? [] : ["x"] } }
output "objects" { value = { c = true ? {} : { a = 1 } } }
output "number_or_bool" { value = { d = true ? 1 : false } }
variable "nothing" {}
output "unknown_side" { value = { e = true ? [] : var.nothing } }
"#;
    assert_eq!(output(src, "null_or_string"), json!(["object", {"a": "string"}]));
    assert_eq!(output(src, "tuples"), json!(["object", {"b": ["list", "string"]}]));
    assert_eq!(output(src, "objects"), json!(["object", {"c": ["map", "number"]}]));
    assert_eq!(output(src, "number_or_bool"), json!(["object", {"d": "dynamic"}]));
    assert_eq!(output(src, "unknown_side"), json!(["object", {"e": "dynamic"}]));
}

#[test]
fn fill_only_fills_holes_of_the_same_shape() {
    let list = Type::List(Box::new(Type::String));
    assert_eq!(list.fill(json!(["list", "dynamic"])), json!(["list", "string"]));
    // A value's own type is never overruled: kinds that differ stay.
    assert_eq!(list.fill(json!(["tuple", []])), json!(["tuple", []]));
    assert_eq!(list.fill(json!(["list", "number"])), json!(["list", "number"]));
    // A hole is filled only by a type known in full.
    let partly = Type::Object(BTreeMap::from([("a".to_string(), Type::Unknown)]));
    assert_eq!(partly.fill(json!("dynamic")), json!("dynamic"));
    let tuple = Type::Tuple(vec![Type::String, Type::Number]);
    assert_eq!(tuple.fill(json!(["tuple", ["dynamic"]])), json!(["tuple", ["dynamic"]]));
    assert_eq!(tuple.fill(json!(["tuple", ["dynamic", "dynamic"]])), json!(["tuple", ["string", "number"]]));
}

#[test]
fn resources_and_unconstrained_root_variables_are_unknown() {
    let src = r#"
variable "free" { default = [] }
resource "terraform_data" "x" { input = "a" }
output "free" { value = var.free }
output "resource" { value = terraform_data.x.output }
output "decoded" { value = jsondecode("[]") }
output "pattern_from_file" { value = regexall(file("Cargo.toml"), "x") }
"#;
    let st = stack(src, None);
    // A pattern is read only from a literal: file() would read the process's working
    // directory (here the crate's, whose Cargo.toml is a valid pattern).
    for name in ["free", "resource", "decoded", "pattern_from_file"] {
        assert_eq!(output_type(&st.root, name), Type::Unknown, "{name}");
    }
}

#[test]
fn a_value_named_many_times_is_typed_once() {
    // Each local names the one before three times: without memoizing, 3^40 visits.
    let mut src = String::from("locals {\n  l0 = tostring(null)\n");
    for i in 1..=40 {
        src.push_str(&format!("  l{i} = local.l{} == null ? local.l{} : local.l{}\n", i - 1, i - 1, i - 1));
    }
    src.push_str("}\noutput \"deep\" { value = { v = local.l40 } }\n");
    let st = stack(&src, None);
    let started = std::time::Instant::now();
    let deep = output_type(&st.root, "deep");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(deep.to_json(), json!(["object", {"v": "string"}]));
}
