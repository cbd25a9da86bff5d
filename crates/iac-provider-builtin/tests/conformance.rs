//! The builtin providers pass the provider conformance suite.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use iac_core::plan::Action::{Create, Replace, Update};
use iac_engine::ops::Env;
use iac_engine::providers::Registry;
use iac_testkit::conformance::provider::{check_schema, run, Case, Step};

fn env(dir: &std::path::Path) -> Env {
    let mut registry = Registry::new();
    for f in iac_provider_builtin::factories() {
        registry.register(f);
    }
    Env {
        registry,
        backend: Arc::new(iac_state_local::LocalBackend::new(dir.join("state"))),
        lock_timeout: Duration::ZERO,
        lock_wait: Default::default(),
        cancel: Arc::new(AtomicBool::new(false)),
        events: None,
        env_vars: Vec::new(),
        cwd: std::env::current_dir().unwrap_or_default(),
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn builtin_schemas_are_consistent() {
    for f in iac_provider_builtin::factories() {
        let problems = check_schema(f.schema());
        assert!(problems.is_empty(), "{}: {problems:?}", f.name());
    }
}

#[test]
fn local_file_conforms() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    let file = |content: &str, mode: &str| {
        format!("resource \"local_file\" \"motd\" {{\n  filename        = \"${{path.module}}/motd.txt\"\n  content         = \"{content}\"\n  file_permission = \"{mode}\"\n}}\n")
    };
    let case = Case {
        name: "local_file".into(),
        steps: vec![Step::new(file("hello", "0644"), &[("local_file.motd", Create)]), Step::new(file("hello again", "0644"), &[("local_file.motd", Replace)])],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: true,
    };
    rt().block_on(run(&case, &stack, &env(tmp.path())));
}

#[test]
fn terraform_data_conforms() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    let data = |input: &str, trigger: &str| {
        format!("resource \"terraform_data\" \"a\" {{\n  input            = \"{input}\"\n  triggers_replace = \"{trigger}\"\n}}\nresource \"terraform_data\" \"b\" {{\n  input = terraform_data.a.output\n}}\n")
    };
    let case = Case {
        name: "terraform_data".into(),
        steps: vec![
            Step::new(data("one", "t1"), &[("terraform_data.a", Create), ("terraform_data.b", Create)]),
            Step::new(data("two", "t1"), &[("terraform_data.a", Update), ("terraform_data.b", Update)]),
            // As Terraform: the replacement's output is unknown until apply, so b is planned to update.
            Step::new(data("two", "t2"), &[("terraform_data.a", Replace), ("terraform_data.b", Update)]),
        ],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: false,
    };
    rt().block_on(run(&case, &stack, &env(tmp.path())));
}

#[test]
fn time_sleep_conforms() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    let sleep = |create: &str, trigger: &str| {
        format!("resource \"time_sleep\" \"wait\" {{\n  create_duration  = \"{create}\"\n  destroy_duration = \"1ms\"\n  triggers = {{\n    cluster = \"{trigger}\"\n  }}\n}}\n")
    };
    let case = Case {
        name: "time_sleep".into(),
        steps: vec![
            Step::new(sleep("10ms", "a"), &[("time_sleep.wait", Create)]),
            Step::new(sleep("20ms", "a"), &[("time_sleep.wait", Replace)]),
            Step::new(sleep("20ms", "b"), &[("time_sleep.wait", Replace)]),
        ],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: false,
    };
    rt().block_on(run(&case, &stack, &env(tmp.path())));
}

#[test]
fn local_file_data_source_conforms() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(stack.join("input.txt"), "from disk\n").unwrap();
    let text = |name: &str| {
        format!("data \"local_file\" \"input\" {{\n  filename = \"${{path.module}}/input.txt\"\n}}\nresource \"local_file\" \"copy\" {{\n  filename = \"${{path.module}}/{name}\"\n  content  = data.local_file.input.content\n}}\n")
    };
    let case = Case {
        name: "local_file data source".into(),
        steps: vec![Step::new(text("copy.txt"), &[("local_file.copy", Create)]), Step::new(text("copy2.txt"), &[("local_file.copy", Replace)])],
        imports: Vec::new(),
        parallelism: 4,
        remote_objects: true,
    };
    rt().block_on(run(&case, &stack, &env(tmp.path())));
}
