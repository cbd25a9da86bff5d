//! Protocol version 6, with a provider written on a third-party SDK that
//! Terraform also runs: the MPL-2.0 Python package `tfprovider` (TCP, TLS
//! with an RSA server certificate), serving `tests/fixtures/pyfake_provider.py`.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use iac_core::address::InstanceAddr;
use iac_core::provider::{
    ApplyChangeRequest, ConfigureRequest, DeleteRequest, ImportRequest, PlanChangeRequest, ProviderContext, ProviderFactory, ReadRequest,
};
use iac_core::value::Value;
use iac_provider_plugin::{PluginFactory, PluginSpec};

use crate::common;

/// The Python with `tfprovider` (its own venv: the SDK pins an older
/// `cryptography` than moto needs).
fn tfprovider_python() -> PathBuf {
    let py = common::workspace_root().join(".tools/tfprovider-venv/bin/python");
    assert!(py.is_file(), "tfprovider is not installed at {}: run `bash scripts/install-tools`", py.display());
    py
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_6_python_provider_plans_applies_reads_imports_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.json");
    let provider_py = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyfake_provider.py");
    let binary = dir.path().join("terraform-provider-pyfake");
    std::fs::write(&binary, format!("#!/bin/sh\nPYFAKE_STORE='{}' exec '{}' '{}'\n", store.display(), tfprovider_python().display(), provider_py.display()))
        .unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();

    let spec = PluginSpec {
        name: "pyfake".into(),
        source: "example.com/iac/pyfake".into(),
        version: "0.1.0".into(),
        binary,
        schema_cache_dir: Some(dir.path().join("cache")),
    };
    let factory = PluginFactory::load(spec.clone()).await.expect("loading the Python provider");
    assert_eq!(factory.plugin_schema().protocol, 6);
    let item = &factory.schema().resources["pyfake_item"];
    assert!(item.block.attributes["name"].required);
    assert!(item.block.attributes["id"].computed);
    assert!(PluginFactory::load(spec).await.unwrap().schema_from_cache());

    let p = factory.configure(ConfigureRequest { config: Value::map::<&str>([]), context: ProviderContext::default() }).await.expect("configure");
    let type_ = "pyfake_item";
    let addr = InstanceAddr::managed(type_, "a");
    let config = Value::map([("name", Value::string("first")), ("note", Value::string("hello"))]);
    let plan =
        p.plan_change(PlanChangeRequest { type_: type_.into(), addr: addr.clone(), prior: None, config: config.clone(), private: None }).await.expect("plan");
    assert_eq!(plan.planned.get("id"), Some(&Value::Unknown));
    assert_eq!(plan.planned.get("name"), Some(&Value::string("first")));
    let applied = p
        .apply_change(ApplyChangeRequest { type_: type_.into(), addr: addr.clone(), prior: None, planned: plan.planned, config: config.clone(), private: None })
        .await
        .expect("apply");
    let id = applied.new_state.get("id").and_then(Value::as_str).expect("an id").to_string();
    let stored: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
    assert_eq!(stored[&id]["name"], "first");

    let read = p
        .read(ReadRequest { type_: type_.into(), addr: addr.clone(), current: applied.new_state.clone(), private: None })
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(read, applied.new_state);
    let noop = p
        .plan_change(PlanChangeRequest { type_: type_.into(), addr: addr.clone(), prior: Some(read.clone()), config: config.clone(), private: None })
        .await
        .expect("no-op plan");
    assert_eq!(noop.planned, read);

    let imported = p.import(ImportRequest { type_: type_.into(), addr: InstanceAddr::managed(type_, "b"), id: id.clone() }).await.expect("import");
    assert_eq!(imported, read);

    p.delete(DeleteRequest { type_: type_.into(), addr: addr.clone(), prior: read.clone(), private: None }).await.expect("delete");
    assert_eq!(p.read(ReadRequest { type_: type_.into(), addr, current: read, private: None }).await.expect("read after delete"), None);
}
