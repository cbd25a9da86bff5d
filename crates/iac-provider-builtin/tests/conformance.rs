//! The builtin providers pass the provider conformance suite: a case per
//! type (create, edits with their exact plans, import where upstream has
//! one, destroy), plus what the suite does not check (values, imports by
//! composite ids, state written by the upstream plugins planning no change).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use iac_core::plan::Action::{self, Create, Replace, Update};
use iac_core::plan::PlanMode;
use iac_core::remote_state::{root_outputs, RemoteStateError, RemoteStateReader, RemoteStateRequest};
use iac_core::state::{OutputState, State};
use iac_engine::ops::{self, Env, PlanRequest};
use iac_engine::providers::Registry;
use iac_engine::run::RunOptions;
use iac_testkit::conformance::provider::{check_schema, run, Case, Step};

fn env(dir: &Path) -> Env {
    let mut registry = Registry::new();
    for f in iac_provider_builtin::factories_reading_state(Arc::new(StateFiles)) {
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

/// A stack directory, its state and the engine's environment.
struct Stack {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    env: Env,
}

fn stack() -> Stack {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("stack");
    std::fs::create_dir_all(&dir).unwrap();
    let env = env(tmp.path());
    Stack { _tmp: tmp, dir, env }
}

fn case(name: &str, steps: Vec<Step>, imports: &[(&str, &str)], remote_objects: bool) -> Case {
    Case { name: name.into(), steps, imports: imports.iter().map(|(a, i)| (a.to_string(), i.to_string())).collect(), parallelism: 4, remote_objects }
}

fn conform(name: &str, steps: Vec<Step>, imports: &[(&str, &str)], remote_objects: bool) {
    let s = stack();
    rt().block_on(run(&case(name, steps, imports, remote_objects), &s.dir, &s.env));
}

impl Stack {
    async fn plan(&self, main_tf: &str) -> iac_core::plan::Plan {
        std::fs::write(self.dir.join("main.tf"), main_tf).unwrap();
        let req = PlanRequest { vars: Vec::new(), run: RunOptions { mode: PlanMode::Normal, ..RunOptions::default() } };
        ops::plan(&self.dir, &self.env, req).await.unwrap_or_else(|e| panic!("plan failed: {e}")).plan
    }

    /// The plan's changes, as `Action address`.
    async fn changes(&self, main_tf: &str) -> BTreeSet<String> {
        self.plan(main_tf).await.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| format!("{:?} {}", c.action, c.addr)).collect()
    }

    /// Plans and applies; the state after.
    async fn apply(&self, main_tf: &str) -> State {
        let p = self.plan(main_tf).await;
        ops::apply(&self.dir, &self.env, p, 4).await.unwrap_or_else(|e| panic!("apply failed: {e}"));
        ops::read_state(self.env.backend.as_ref()).await.unwrap()
    }

    async fn attrs(&self, addr: &str) -> serde_json::Value {
        let state = ops::read_state(self.env.backend.as_ref()).await.unwrap();
        state.resources.iter().find(|(a, _)| a.to_string() == addr).map(|(_, i)| i.attributes.to_json()).unwrap_or_else(|| panic!("{addr} is not in state"))
    }

    /// Forgets `addr`, imports it by `id`, and checks that the next plan is empty.
    async fn reimport(&self, main_tf: &str, addr: &str, id: &str) -> serde_json::Value {
        let a: iac_core::address::InstanceAddr = addr.parse().unwrap();
        let key = a.clone();
        ops::edit_state(&self.env, "test: forget", move |s| {
            s.resources.remove(&key);
            Ok(())
        })
        .await
        .unwrap();
        ops::import(&self.dir, &self.env, a, id.to_string(), Vec::new()).await.unwrap_or_else(|e| panic!("import {addr} {id}: {e}"));
        assert_eq!(self.changes(main_tf).await, BTreeSet::new(), "{addr} imported by {id:?} plans no change");
        self.attrs(addr).await
    }

    /// Replaces an object's attributes in state (as another program wrote them).
    async fn put(&self, addr: &str, attributes: serde_json::Value) {
        let addr = addr.to_string();
        ops::edit_state(&self.env, "test: put", move |s| {
            let inst = s.resources.iter_mut().find(|(a, _)| a.to_string() == addr).map(|(_, i)| i).expect("in state");
            inst.attributes = iac_core::Value::from_json(&attributes);
            Ok(())
        })
        .await
        .unwrap();
    }
}

/// An engine error's text, with its diagnostics' details.
fn message(e: iac_engine::EngineError) -> String {
    match &e {
        iac_engine::EngineError::Config(d) | iac_engine::EngineError::Failed(d) | iac_engine::EngineError::Errored { diags: d, .. } => {
            d.iter().map(|d| format!("{}: {}", d.summary, d.detail)).collect::<Vec<_>>().join("\n")
        }
        _ => e.to_string(),
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn builtin_schemas_are_consistent() {
    for f in iac_provider_builtin::factories() {
        // As upstream, random_bytes has no id (its values are sensitive).
        let problems: Vec<String> = check_schema(f.schema()).into_iter().filter(|p| p != "random_bytes: has no computed `id` attribute").collect();
        assert!(problems.is_empty(), "{}: {problems:?}", f.name());
    }
}

/// Every type has upstream's attribute names (its arguments and what it
/// reports), so state moves between the plugin and the native provider.
#[test]
fn attribute_names_are_upstreams() {
    let upstream: &[(&str, &str, &str)] = &[
        ("resource", "random_id", "b64_std b64_url byte_length dec hex id keepers prefix"),
        ("resource", "random_string", "id keepers length lower min_lower min_numeric min_special min_upper number numeric override_special result special upper"),
        ("resource", "random_password", "bcrypt_hash id keepers length lower min_lower min_numeric min_special min_upper number numeric override_special result special upper"),
        ("resource", "random_pet", "id keepers length prefix separator"),
        ("resource", "random_integer", "id keepers max min result seed"),
        ("resource", "random_shuffle", "id input keepers result result_count seed"),
        ("resource", "random_uuid", "id keepers result"),
        ("resource", "random_bytes", "base64 hex keepers length"),
        ("resource", "null_resource", "id triggers"),
        ("data", "null_data_source", "has_computed_default id inputs outputs random"),
        ("resource", "time_static", "day hour id minute month rfc3339 second triggers unix year"),
        ("resource", "time_offset", "base_rfc3339 day hour id minute month offset_days offset_hours offset_minutes offset_months offset_seconds offset_years rfc3339 second triggers unix year"),
        ("resource", "time_rotating", "day hour id minute month rfc3339 rotation_days rotation_hours rotation_minutes rotation_months rotation_rfc3339 rotation_years second triggers unix year"),
        ("resource", "time_sleep", "create_duration destroy_duration id triggers"),
        ("resource", "local_file", "content content_base64 content_base64sha256 content_base64sha512 content_md5 content_sha1 content_sha256 content_sha512 directory_permission file_permission filename id sensitive_content source"),
        ("resource", "local_sensitive_file", "content content_base64 content_base64sha256 content_base64sha512 content_md5 content_sha1 content_sha256 content_sha512 directory_permission file_permission filename id source"),
        ("data", "local_file", "content content_base64 content_base64sha256 content_base64sha512 content_md5 content_sha1 content_sha256 content_sha512 filename id"),
        ("data", "local_sensitive_file", "content content_base64 content_base64sha256 content_base64sha512 content_md5 content_sha1 content_sha256 content_sha512 filename id"),
        ("data", "external", "id program query result working_dir"),
        ("resource", "archive_file", "exclude_symlink_directories excludes id output_base64sha256 output_base64sha512 output_file_mode output_md5 output_path output_sha output_sha256 output_sha512 output_size source source_content source_content_filename source_dir source_file type"),
        ("data", "archive_file", "exclude_symlink_directories excludes id output_base64sha256 output_base64sha512 output_file_mode output_md5 output_path output_sha output_sha256 output_sha512 output_size source source_content source_content_filename source_dir source_file type"),
    ];
    let factories = iac_provider_builtin::factories();
    for (kind, type_, names) in upstream {
        let provider = type_.split('_').next().unwrap();
        let f = factories.iter().find(|f| f.name() == provider).unwrap_or_else(|| panic!("no provider {provider}"));
        let schema = f.schema();
        let block = if *kind == "data" { &schema.data_sources[*type_].block } else { &schema.resources[*type_].block };
        let ours: BTreeSet<&str> = block.attributes.keys().chain(block.blocks.keys()).map(String::as_str).collect();
        let theirs: BTreeSet<&str> = names.split(' ').collect();
        assert_eq!(ours, theirs, "{kind} {type_}");
    }
    let versions = [("random", "random_string", 2), ("random", "random_password", 3), ("random", "random_id", 0)];
    for (provider, type_, version) in versions {
        let f = factories.iter().find(|f| f.name() == provider).unwrap();
        assert_eq!(f.schema().resources[type_].version, version, "{type_}'s schema version is upstream's");
    }
}

#[test]
fn random_id_conforms() {
    let id = |keepers: &str| {
        format!("resource \"random_id\" \"a\" {{\n  byte_length = 8\n{keepers}}}\nresource \"random_id\" \"p\" {{\n  byte_length = 4\n  prefix      = \"app-\"\n}}\n")
    };
    conform(
        "random_id",
        vec![
            Step::new(id("  keepers = { ami = \"ami-1\" }\n"), &[("random_id.a", Create), ("random_id.p", Create)]),
            Step::new(id("  keepers = { ami = \"ami-2\" }\n"), &[("random_id.a", Replace)]),
            // A null value where there was none is no new value: an update, as upstream.
            Step::new(id("  keepers = { ami = \"ami-2\", extra = null }\n"), &[("random_id.a", Update)]),
            Step::new(id(""), &[("random_id.a", Replace)]),
        ],
        &[("random_id.a", "b64_url")],
        false,
    );
}

#[test]
fn random_id_values_and_prefixed_import() {
    let s = stack();
    rt().block_on(async {
        let tf = "resource \"random_id\" \"p\" {\n  byte_length = 4\n  prefix      = \"app-\"\n}\n";
        s.apply(tf).await;
        let a = s.attrs("random_id.p").await;
        let id = a["id"].as_str().unwrap().to_string();
        assert_eq!(id.len(), 6, "4 bytes in unpadded base64");
        assert_eq!(a["b64_url"], format!("app-{id}"));
        assert_eq!(a["hex"].as_str().unwrap().len(), 4 + 8);
        let imported = s.reimport(tf, "random_id.p", &format!("app-,{id}")).await;
        assert_eq!(imported, a, "the import records what create did");
    });
}

#[test]
fn random_string_and_password_conform() {
    let tf = |string: &str, password: &str| format!("resource \"random_string\" \"s\" {{\n{string}}}\nresource \"random_password\" \"p\" {{\n{password}}}\n");
    conform(
        "random_string and random_password",
        vec![
            Step::new(
                tf("  length    = 12\n  special   = false\n  min_upper = 3\n", "  length           = 20\n  override_special = \"_%@\"\n"),
                &[("random_string.s", Create), ("random_password.p", Create)],
            ),
            Step::new(
                tf("  length    = 12\n  special   = false\n  min_upper = 3\n", "  length           = 20\n  override_special = \"\"\n"),
                &[("random_password.p", Replace)],
            ),
            // From "" to null is no change of the characters: an update, as upstream.
            Step::new(tf("  length    = 12\n  special   = false\n  min_upper = 3\n", "  length = 20\n"), &[("random_password.p", Update)]),
            Step::new(
                tf("  length  = 12\n  numeric = false\n", "  length = 20\n  keepers = { rotate = \"1\" }\n"),
                &[("random_string.s", Replace), ("random_password.p", Replace)],
            ),
            Step::new(tf("  length = 16\n", "  length = 20\n"), &[("random_string.s", Replace), ("random_password.p", Replace)]),
        ],
        &[("random_string.s", "result"), ("random_password.p", "result")],
        false,
    );
}

#[test]
fn random_string_values_follow_the_arguments() {
    let s = stack();
    rt().block_on(async {
        s.apply("resource \"random_string\" \"s\" {\n  length      = 40\n  special     = false\n  upper       = false\n  min_numeric = 10\n}\nresource \"random_password\" \"p\" {\n  length = 80\n}\n").await;
        let a = s.attrs("random_string.s").await;
        let result = a["result"].as_str().unwrap();
        assert_eq!(result.len(), 40);
        assert!(result.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{result}");
        assert!(result.chars().filter(char::is_ascii_digit).count() >= 10, "{result}");
        assert_eq!(a["id"], a["result"]);
        assert_eq!((a["number"].clone(), a["numeric"].clone()), (serde_json::json!(true), serde_json::json!(true)));
        let p = s.attrs("random_password.p").await;
        assert_eq!(p["id"], "none");
        let hash = p["bcrypt_hash"].as_str().unwrap();
        assert!(hash.starts_with("$2a$10$"), "{hash}");
        let state = ops::read_state(s.env.backend.as_ref()).await.unwrap();
        let inst = state.resources.iter().find(|(a, _)| a.to_string() == "random_password.p").unwrap().1;
        assert!(inst.sensitive_paths.iter().any(|p| p.to_string() == "result"), "the password is sensitive: {:?}", inst.sensitive_paths);
    });
}

#[test]
fn random_pet_conforms() {
    let pet = |extra: &str| format!("resource \"random_pet\" \"p\" {{\n  length    = 3\n  separator = \"_\"\n{extra}}}\n");
    conform(
        "random_pet",
        vec![
            Step::new(pet(""), &[("random_pet.p", Create)]),
            Step::new(pet("  keepers = { build = \"1\" }\n"), &[("random_pet.p", Replace)]),
            Step::new(pet("  keepers = { build = \"1\" }\n  prefix  = \"dev\"\n"), &[("random_pet.p", Replace)]),
        ],
        &[],
        false,
    );
    let s = stack();
    rt().block_on(async {
        s.apply(&pet("  prefix = \"dev\"\n")).await;
        let id = s.attrs("random_pet.p").await["id"].as_str().unwrap().to_string();
        assert_eq!(id.split('_').count(), 4, "{id}");
        assert!(id.starts_with("dev_"), "{id}");
        let e = ops::import(&s.dir, &s.env, "random_pet.q".parse().unwrap(), "x".into(), Vec::new()).await;
        assert!(e.is_err(), "as upstream, a pet name cannot be imported");
    });
}

#[test]
fn random_integer_conforms() {
    let int = |max: u32, keepers: &str| format!("resource \"random_integer\" \"i\" {{\n  min  = 1\n  max  = {max}\n  seed = \"fixed\"\n{keepers}}}\n");
    conform(
        "random_integer",
        vec![
            Step::new(int(100, ""), &[("random_integer.i", Create)]),
            Step::new(int(100, "  keepers = { listener = \"arn:1\" }\n"), &[("random_integer.i", Replace)]),
            Step::new(int(200, "  keepers = { listener = \"arn:1\" }\n"), &[("random_integer.i", Replace)]),
        ],
        &[],
        false,
    );
    let s = stack();
    rt().block_on(async {
        let tf = int(50_000, "");
        s.apply(&tf).await;
        let a = s.attrs("random_integer.i").await;
        let n = a["result"].as_i64().unwrap();
        assert!((1..=50_000).contains(&n));
        assert_eq!(a["id"], n.to_string());
        let imported = s.reimport(&tf, "random_integer.i", &format!("{n},1,50000,fixed")).await;
        assert_eq!(imported["result"], n);
        // The same seed gives the same number.
        let again = stack();
        again.apply(&tf).await;
        assert_eq!(again.attrs("random_integer.i").await["result"], n);
    });
}

#[test]
fn random_shuffle_conforms() {
    let shuffle = |input: &str, extra: &str| format!("resource \"random_shuffle\" \"az\" {{\n  input        = [{input}]\n  result_count = 2\n{extra}}}\n");
    conform(
        "random_shuffle",
        vec![
            Step::new(shuffle("\"a\", \"b\", \"c\"", ""), &[("random_shuffle.az", Create)]),
            Step::new(shuffle("\"a\", \"b\", \"c\", \"d\"", ""), &[("random_shuffle.az", Replace)]),
            // An empty map where there was none: an update.
            Step::new(shuffle("\"a\", \"b\", \"c\", \"d\"", "  keepers = {}\n"), &[("random_shuffle.az", Update)]),
        ],
        &[],
        false,
    );
}

#[test]
fn random_uuid_conforms() {
    let uuid = |keepers: &str| format!("resource \"random_uuid\" \"u\" {{\n{keepers}}}\n");
    conform(
        "random_uuid",
        vec![
            Step::new(uuid(""), &[("random_uuid.u", Create)]),
            Step::new(uuid("  keepers = { v = \"1\" }\n"), &[("random_uuid.u", Replace)]),
            Step::new(uuid(""), &[("random_uuid.u", Replace)]),
        ],
        &[("random_uuid.u", "result")],
        false,
    );
}

#[test]
fn random_bytes_conforms() {
    let bytes = |keepers: &str| format!("resource \"random_bytes\" \"b\" {{\n  length = 16\n{keepers}}}\n");
    conform(
        "random_bytes",
        vec![
            Step::new(bytes(""), &[("random_bytes.b", Create)]),
            // As upstream, any change of random_bytes' keepers replaces it, an empty map too.
            Step::new(bytes("  keepers = {}\n"), &[("random_bytes.b", Replace)]),
            Step::new(bytes(""), &[("random_bytes.b", Replace)]),
        ],
        &[("random_bytes.b", "base64")],
        false,
    );
}

#[test]
fn null_resource_and_data_source_conform() {
    let tf = |v: &str, extra: &str| {
        format!("data \"null_data_source\" \"d\" {{\n  inputs = {{ v = \"{v}\" }}\n}}\nresource \"null_resource\" \"n\" {{\n  triggers = {{ v = data.null_data_source.d.outputs[\"v\"]{extra} }}\n}}\n")
    };
    conform(
        "null_resource and null_data_source",
        vec![
            Step::new(tf("1", ""), &[("null_resource.n", Create)]),
            Step::new(tf("2", ""), &[("null_resource.n", Replace)]),
            Step::new(tf("2", ", unset = null"), &[("null_resource.n", Update)]),
        ],
        &[],
        false,
    );
}

#[test]
fn time_static_conforms() {
    let tf = |triggers: &str| {
        format!("resource \"time_static\" \"fixed\" {{\n  rfc3339 = \"2024-02-29T12:34:56Z\"\n{triggers}}}\nresource \"time_static\" \"now\" {{\n}}\n")
    };
    conform(
        "time_static",
        vec![
            Step::new(tf(""), &[("time_static.fixed", Create), ("time_static.now", Create)]),
            Step::new(tf("  triggers = { v = \"1\" }\n"), &[("time_static.fixed", Replace)]),
            Step::new(tf(""), &[("time_static.fixed", Replace)]),
        ],
        &[("time_static.fixed", "id"), ("time_static.now", "id")],
        false,
    );
    let s = stack();
    rt().block_on(async {
        let p = s.plan(&tf("")).await;
        let fixed = p.changes.iter().find(|c| c.addr.to_string() == "time_static.fixed").unwrap();
        assert_eq!(fixed.after.get("year"), Some(&iac_core::Value::from(2024i64)), "a configured time's fields are known in the plan");
        s.apply(&tf("")).await;
        let a = s.attrs("time_static.fixed").await;
        assert_eq!(
            (a["year"].clone(), a["month"].clone(), a["day"].clone(), a["hour"].clone(), a["minute"].clone(), a["second"].clone()),
            (2024.into(), 2.into(), 29.into(), 12.into(), 34.into(), 56.into())
        );
        assert_eq!(a["unix"], 1_709_210_096);
        assert_eq!(a["id"], "2024-02-29T12:34:56Z");
    });
}

#[test]
fn time_offset_conforms() {
    let tf = |days: u32, triggers: &str| {
        format!("resource \"time_offset\" \"o\" {{\n  base_rfc3339  = \"2021-01-31T00:00:00Z\"\n  offset_months = 1\n  offset_days   = {days}\n{triggers}}}\n")
    };
    conform(
        "time_offset",
        vec![
            Step::new(tf(1, ""), &[("time_offset.o", Create)]),
            // An offset changed updates in place.
            Step::new(tf(2, ""), &[("time_offset.o", Update)]),
            Step::new(tf(2, "  triggers = { v = \"1\" }\n"), &[("time_offset.o", Replace)]),
        ],
        &[],
        false,
    );
    let s = stack();
    rt().block_on(async {
        let p = s.plan(&tf(1, "")).await;
        let o = p.changes.iter().find(|c| c.addr.to_string() == "time_offset.o").unwrap();
        assert_eq!(o.after.get("rfc3339"), Some(&iac_core::Value::from("2021-03-01T00:00:00Z")), "days, then months, as upstream");
        s.apply(&tf(1, "")).await;
        let p = s.plan(&tf(3, "")).await;
        let o = p.changes.iter().find(|c| c.addr.to_string() == "time_offset.o").unwrap();
        assert_eq!(o.action, Update);
        assert_eq!(o.after.get("rfc3339"), Some(&iac_core::Value::from("2021-03-03T00:00:00Z")), "the plan shows the new offset time");
        let imported = s.reimport(&tf(1, ""), "time_offset.o", "2021-01-31T00:00:00Z,,1,1,,,").await;
        assert_eq!(imported["rfc3339"], "2021-03-01T00:00:00Z");
        assert_eq!(imported["id"], "2021-01-31T00:00:00Z");
    });
}

#[test]
fn time_rotating_conforms() {
    let tf = |days: u32, triggers: &str| format!("resource \"time_rotating\" \"r\" {{\n  rotation_days = {days}\n{triggers}}}\n");
    conform(
        "time_rotating",
        vec![
            Step::new(tf(30, ""), &[("time_rotating.r", Create)]),
            Step::new(tf(60, ""), &[("time_rotating.r", Update)]),
            Step::new(tf(60, "  triggers = { v = \"1\" }\n"), &[("time_rotating.r", Replace)]),
        ],
        &[],
        false,
    );
    let s = stack();
    rt().block_on(async {
        let tf = "resource \"time_rotating\" \"r\" {\n  rfc3339        = \"2030-01-31T10:00:00Z\"\n  rotation_months = 1\n}\n";
        s.apply(tf).await;
        let a = s.attrs("time_rotating.r").await;
        assert_eq!(a["rotation_rfc3339"], "2030-03-03T10:00:00Z");
        assert_eq!((a["month"].clone(), a["day"].clone()), (3.into(), 3.into()), "the fields are the rotation time's");
        let imported = s.reimport(tf, "time_rotating.r", "2030-01-31T10:00:00Z,,1,,,").await;
        assert_eq!(imported["rotation_rfc3339"], "2030-03-03T10:00:00Z");
        // Once the rotation time has passed, the object is gone and a new one is planned.
        let past = "resource \"time_rotating\" \"old\" {\n  rfc3339          = \"2020-01-01T00:00:00Z\"\n  rotation_minutes = 5\n}\n";
        s.apply(past).await;
        assert_eq!(s.changes(past).await, set(&["Create time_rotating.old"]), "a passed rotation is created again");
    });
}

#[test]
fn time_sleep_conforms() {
    let sleep = |create: &str, trigger: &str| {
        format!("resource \"time_sleep\" \"wait\" {{\n  create_duration  = \"{create}\"\n  destroy_duration = \"1ms\"\n  triggers = {{\n    cluster = \"{trigger}\"\n  }}\n}}\n")
    };
    conform(
        "time_sleep",
        vec![
            Step::new(sleep("10ms", "a"), &[("time_sleep.wait", Create)]),
            // As upstream: a duration changes in place, without waiting.
            Step::new(sleep("20ms", "a"), &[("time_sleep.wait", Update)]),
            Step::new(sleep("20ms", "b"), &[("time_sleep.wait", Replace)]),
        ],
        &[],
        false,
    );
    let s = stack();
    rt().block_on(async {
        let tf = "resource \"time_sleep\" \"w\" {\n  create_duration  = \"1ms\"\n  destroy_duration = \"2ms\"\n}\n";
        s.apply(tf).await;
        assert!(s.attrs("time_sleep.w").await["id"].as_str().unwrap().ends_with('Z'), "the id is the RFC 3339 time of creation");
        s.reimport(tf, "time_sleep.w", "1ms,2ms").await;
        let e = ops::plan(&s.dir, &s.env, PlanRequest { vars: Vec::new(), run: RunOptions::default() }).await;
        assert!(e.is_ok());
        std::fs::write(s.dir.join("main.tf"), "resource \"time_sleep\" \"w\" {\n  create_duration = \"1m30s\"\n}\n").unwrap();
        let e = ops::plan(&s.dir, &s.env, PlanRequest { vars: Vec::new(), run: RunOptions::default() })
            .await
            .err()
            .map(message)
            .expect("upstream's form is one number and one unit");
        assert!(e.to_string().contains("must be a number immediately followed by"), "{e}");
    });
}

#[test]
fn local_file_conforms() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(stack.join("template.txt"), "copied\n").unwrap();
    let file = |content: &str, mode: &str| {
        format!(
            "resource \"local_file\" \"motd\" {{\n  filename        = \"${{path.module}}/out/motd.txt\"\n  content         = \"{content}\"\n  file_permission = \"{mode}\"\n}}\n\
             resource \"local_file\" \"bin\" {{\n  filename       = \"${{path.module}}/out/bin.dat\"\n  content_base64 = \"AAEC/w==\"\n}}\n\
             resource \"local_file\" \"copy\" {{\n  filename = \"${{path.module}}/out/copy.txt\"\n  source   = \"${{path.module}}/template.txt\"\n}}\n\
             resource \"local_file\" \"secret\" {{\n  filename          = \"${{path.module}}/out/secret.txt\"\n  sensitive_content = \"s3cr3t\"\n}}\n"
        )
    };
    let all = [("local_file.motd", Create), ("local_file.bin", Create), ("local_file.copy", Create), ("local_file.secret", Create)];
    let c = case(
        "local_file",
        vec![
            Step::new(file("hello", "0644"), &all),
            Step::new(file("hello again", "0644"), &[("local_file.motd", Replace)]),
            Step::new(file("hello again", "0600"), &[("local_file.motd", Replace)]),
        ],
        &[],
        true,
    );
    rt().block_on(run(&c, &stack, &env(tmp.path())));
}

#[test]
fn local_file_values_and_drift() {
    let s = stack();
    rt().block_on(async {
        let tf = "resource \"local_file\" \"f\" {\n  filename = \"out/f.txt\"\n  content  = \"hello\"\n}\nresource \"local_file\" \"b\" {\n  filename       = \"out/b.bin\"\n  content_base64 = \"AAEC/w==\"\n}\n";
        s.apply(tf).await;
        let a = s.attrs("local_file.f").await;
        assert_eq!(a["id"], "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", "the id is the content's SHA-1, as upstream");
        assert_eq!(a["content_md5"], "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(a["content_base64sha256"], "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
        assert_eq!((a["file_permission"].clone(), a["directory_permission"].clone()), ("0777".into(), "0777".into()), "upstream's defaults");
        assert_eq!(std::fs::read(s.dir.join("out/b.bin")).unwrap(), [0, 1, 2, 255]);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.dir.join("out/f.txt")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o700, 0o700, "0777 before the umask: {mode:o}");
        std::fs::write(s.dir.join("out/f.txt"), "edited").unwrap();
        let p = s.plan(tf).await;
        let drift = p.drift.iter().find(|d| d.addr.to_string() == "local_file.f").expect("the edit is drift");
        assert!(drift.paths.iter().any(|p| p.to_string() == "content"), "{:?}", drift.paths);
        assert_eq!(s.changes(tf).await, set(&["Replace local_file.f"]));
    });
}

#[test]
fn local_sensitive_file_conforms() {
    let file =
        |content: &str| format!("resource \"local_sensitive_file\" \"key\" {{\n  filename = \"${{path.module}}/keys/id\"\n  content  = \"{content}\"\n}}\n");
    conform(
        "local_sensitive_file",
        vec![Step::new(file("one"), &[("local_sensitive_file.key", Create)]), Step::new(file("two"), &[("local_sensitive_file.key", Replace)])],
        &[],
        true,
    );
    let s = stack();
    rt().block_on(async {
        s.apply(&file("k")).await;
        let a = s.attrs("local_sensitive_file.key").await;
        assert_eq!(a["file_permission"], "0700");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(s.dir.join("keys/id")).unwrap().permissions().mode() & 0o077, 0, "only the owner reads it");
    });
}

#[test]
fn local_file_data_sources_conform() {
    let tmp = tempfile::tempdir().unwrap();
    let stack = tmp.path().join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(stack.join("input.txt"), "from disk\n").unwrap();
    let text = |name: &str| {
        format!(
            "data \"local_file\" \"input\" {{\n  filename = \"${{path.module}}/input.txt\"\n}}\n\
             data \"local_sensitive_file\" \"secret\" {{\n  filename = \"${{path.module}}/input.txt\"\n}}\n\
             resource \"local_file\" \"copy\" {{\n  filename = \"${{path.module}}/{name}\"\n  content  = data.local_file.input.content\n}}\n\
             resource \"local_sensitive_file\" \"copy\" {{\n  filename       = \"${{path.module}}/secret-{name}\"\n  content_base64 = data.local_sensitive_file.secret.content_base64\n}}\n"
        )
    };
    let c = case(
        "local_file data sources",
        vec![
            Step::new(text("copy.txt"), &[("local_file.copy", Create), ("local_sensitive_file.copy", Create)]),
            Step::new(text("copy2.txt"), &[("local_file.copy", Replace), ("local_sensitive_file.copy", Replace)]),
        ],
        &[],
        true,
    );
    rt().block_on(run(&c, &stack, &env(tmp.path())));
}

#[test]
fn external_data_source_conforms() {
    let s = stack();
    let script = s.dir.join("echo-query.sh");
    std::fs::write(&script, "#!/bin/sh\n# The query, back as the result.\ncat\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tf = |v: &str| {
        let text = r#"
data "external" "q" {
  program = ["./echo-query.sh"]
  query   = { name = "NAME", unset = null }
}
data "external" "cwd" {
  program = ["sh", "-c", "printf '{\"dir\": \"%s\"}' \"$(basename \"$PWD\")\""]
}
resource "null_resource" "uses" {
  triggers = merge(data.external.q.result, data.external.cwd.result)
}
"#;
        text.replace("NAME", v)
    };
    let c = case("external", vec![Step::new(tf("a"), &[("null_resource.uses", Create)]), Step::new(tf("b"), &[("null_resource.uses", Replace)])], &[], false);
    rt().block_on(async {
        run(&c, &s.dir, &s.env).await;
        s.apply(&tf("c")).await;
        let triggers = s.attrs("null_resource.uses").await["triggers"].clone();
        assert_eq!(
            triggers,
            serde_json::json!({"name": "c", "dir": "stack"}),
            "the query's non-null values arrive on stdin; the program runs in the stack's directory"
        );
        let plan_error = |tf: &str| {
            std::fs::write(s.dir.join("main.tf"), tf).unwrap();
            ops::plan(&s.dir, &s.env, PlanRequest { vars: Vec::new(), run: RunOptions::default() })
        };
        let e = plan_error(r#"data "external" "bad" { program = ["sh", "-c", "echo 'no such table: users' >&2; exit 2"] }"#)
            .await
            .err()
            .map(message)
            .expect("the program fails");
        assert!(e.contains("exited with status 2") && e.contains("no such table: users") && e.contains("`sh -c"), "{e}");
        let e = plan_error(r#"data "external" "bad" { program = ["echo", "plain text"] }"#).await.err().map(message).expect("not JSON");
        assert!(e.contains("must print a JSON object of string values") && e.contains("`echo \"plain text\"`"), "{e}");
        let e = plan_error(r#"data "external" "bad" { program = ["./no-such-program"] }"#).await.err().map(message).expect("missing");
        assert!(e.contains("`./no-such-program` could not be started"), "{e}");
    });
}

#[test]
fn archive_file_conforms() {
    let s = stack();
    std::fs::create_dir_all(s.dir.join("src/lib")).unwrap();
    std::fs::write(s.dir.join("src/main.py"), "print('hi')\n").unwrap();
    std::fs::write(s.dir.join("src/lib/util.py"), "X = 1\n").unwrap();
    std::fs::write(s.dir.join("src/lib/cache.pyc"), "junk").unwrap();
    let tf = |content: &str, extra: &str| {
        format!(
            "data \"archive_file\" \"lambda\" {{\n  type        = \"zip\"\n  source_dir  = \"${{path.module}}/src\"\n  excludes    = [\"**/*.pyc\"]\n  output_path = \"${{path.module}}/out/lambda.zip\"\n}}\n\
             resource \"terraform_data\" \"deploy\" {{\n  input = data.archive_file.lambda.output_base64sha256\n}}\n\
             resource \"archive_file\" \"notes\" {{\n  type                    = \"zip\"\n  source_content          = \"{content}\"\n  source_content_filename = \"notes.txt\"\n  output_path             = \"${{path.module}}/out/notes.zip\"\n{extra}}}\n\
             resource \"archive_file\" \"multi\" {{\n  type        = \"zip\"\n  output_path = \"${{path.module}}/out/multi.zip\"\n  source {{\n    content  = \"b\"\n    filename = \"b.txt\"\n  }}\n  source {{\n    content  = \"a\"\n    filename = \"a.txt\"\n  }}\n}}\n"
        )
    };
    // The second plan of each step being empty shows the data source's
    // archive is the same bytes every time it is built.
    let c = case(
        "archive_file",
        vec![
            Step::new(tf("hello", ""), &[("terraform_data.deploy", Create), ("archive_file.notes", Create), ("archive_file.multi", Create)]),
            Step::new(tf("bye", ""), &[("archive_file.notes", Replace)]),
            Step::new(tf("bye", "  exclude_symlink_directories = true\n"), &[("archive_file.notes", Update)]),
        ],
        &[],
        false,
    );
    rt().block_on(async {
        run(&c, &s.dir, &s.env).await;
        s.apply(&tf("bye", "")).await;
        let before = s.attrs("terraform_data.deploy").await["output"].clone();
        std::fs::write(s.dir.join("src/lib/cache.pyc"), "other junk").unwrap();
        assert_eq!(s.changes(&tf("bye", "")).await, BTreeSet::new(), "an excluded file changes nothing");
        std::fs::write(s.dir.join("src/main.py"), "print('bye')\n").unwrap();
        assert_eq!(s.changes(&tf("bye", "")).await, set(&["Update terraform_data.deploy"]), "a source change changes the checksum");
        assert!(before.is_string());
        let zip = std::fs::read(s.dir.join("out/lambda.zip")).unwrap();
        assert!(zip.starts_with(b"PK"), "a zip");
        let a = s.attrs("archive_file.notes").await;
        assert_eq!(a["output_size"].as_i64().unwrap() as usize, std::fs::metadata(s.dir.join("out/notes.zip")).unwrap().len() as usize);
        assert_eq!(a["id"], a["output_sha"]);
    });
}

/// State the upstream plugins wrote (their attributes, their values) plans
/// no change under the native providers.
#[test]
fn upstream_state_plans_no_change() {
    let s = stack();
    rt().block_on(async {
        let tf = "resource \"random_string\" \"s\" {\n  length  = 8\n  numeric = false\n}\n\
                  resource \"random_pet\" \"p\" {\n}\n\
                  resource \"local_file\" \"f\" {\n  filename = \"f.txt\"\n  content  = \"hello\"\n}\n\
                  resource \"null_resource\" \"n\" {\n  triggers = { a = \"1\" }\n}\n\
                  resource \"time_static\" \"t\" {\n}\n\
                  resource \"random_password\" \"pw\" {\n  length = 4\n}\n\
                  resource \"random_id\" \"i\" {\n  byte_length = 4\n  keepers     = { v = \"1\" }\n}\n\
                  resource \"random_integer\" \"n\" {\n  min = 1\n  max = 9\n}\n\
                  resource \"random_shuffle\" \"sh\" {\n  input = [\"a\", \"b\"]\n}\n\
                  resource \"random_uuid\" \"u\" {\n}\n\
                  resource \"random_bytes\" \"b\" {\n  length = 2\n}\n\
                  resource \"time_sleep\" \"w\" {\n  create_duration = \"1ms\"\n}\n\
                  resource \"time_offset\" \"o\" {\n  offset_days = 1\n}\n\
                  resource \"time_rotating\" \"r\" {\n  rotation_years = 100\n}\n\
                  resource \"local_sensitive_file\" \"k\" {\n  filename = \"k.txt\"\n  content  = \"hello\"\n}\n";
        s.apply(tf).await;
        let upstream = [
            (
                "random_string.s",
                serde_json::json!({"id": "abcdEFGH", "keepers": null, "length": 8, "lower": true, "min_lower": 0, "min_numeric": 0, "min_special": 0, "min_upper": 0,
                    "number": false, "numeric": false, "override_special": null, "result": "abcdEFGH", "special": true, "upper": true}),
            ),
            ("random_pet.p", serde_json::json!({"id": "pleasant-llama", "keepers": null, "length": 2, "prefix": null, "separator": "-"})),
            (
                "local_file.f",
                serde_json::json!({"content": "hello", "content_base64": null, "content_base64sha256": "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
                    "content_base64sha512": "m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==",
                    "content_md5": "5d41402abc4b2a76b9719d911017c592", "content_sha1": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
                    "content_sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                    "content_sha512": "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
                    "directory_permission": "0777", "file_permission": "0777", "filename": "f.txt", "id": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
                    "sensitive_content": null, "source": null}),
            ),
            ("null_resource.n", serde_json::json!({"id": "5577006791947779410", "triggers": {"a": "1"}})),
            (
                "time_static.t",
                serde_json::json!({"day": 12, "hour": 6, "id": "2020-02-12T06:36:13Z", "minute": 36, "month": 2, "rfc3339": "2020-02-12T06:36:13Z",
                    "second": 13, "triggers": null, "unix": 1581489373, "year": 2020}),
            ),
            (
                "random_password.pw",
                serde_json::json!({"bcrypt_hash": "$2a$10$3A3mSs8cNhmWbM4kfXnK1eTHTm1w0mkV7d8V8b3sy5Qk4QkqQ0X1W", "id": "none", "keepers": null, "length": 4, "lower": true,
                    "min_lower": 0, "min_numeric": 0, "min_special": 0, "min_upper": 0, "number": true, "numeric": true, "override_special": null, "result": "x!9Q",
                    "special": true, "upper": true}),
            ),
            (
                "random_id.i",
                serde_json::json!({"b64_std": "+/Ugiw==", "b64_url": "-_Ugiw", "byte_length": 4, "dec": "4227145867", "hex": "fbf5208b", "id": "-_Ugiw", "keepers": {"v": "1"}, "prefix": null}),
            ),
            ("random_integer.n", serde_json::json!({"id": "7", "keepers": null, "max": 9, "min": 1, "result": 7, "seed": null})),
            ("random_shuffle.sh", serde_json::json!({"id": "-", "input": ["a", "b"], "keepers": null, "result": ["b", "a"], "result_count": null, "seed": null})),
            ("random_uuid.u", serde_json::json!({"id": "6b2a4f0e-3c1d-2e9f-8a7b-5c4d3e2f1a0b", "keepers": null, "result": "6b2a4f0e-3c1d-2e9f-8a7b-5c4d3e2f1a0b"})),
            ("random_bytes.b", serde_json::json!({"base64": "AAE=", "hex": "0001", "keepers": null, "length": 2})),
            ("time_sleep.w", serde_json::json!({"create_duration": "1ms", "destroy_duration": null, "id": "2020-02-12T06:36:13Z", "triggers": null})),
            (
                "time_offset.o",
                serde_json::json!({"base_rfc3339": "2020-02-12T06:36:13Z", "day": 13, "hour": 6, "id": "2020-02-12T06:36:13Z", "minute": 36, "month": 2,
                    "offset_days": 1, "offset_hours": null, "offset_minutes": null, "offset_months": null, "offset_seconds": null, "offset_years": null,
                    "rfc3339": "2020-02-13T06:36:13Z", "second": 13, "triggers": null, "unix": 1581575773, "year": 2020}),
            ),
            (
                "time_rotating.r",
                serde_json::json!({"day": 12, "hour": 6, "id": "2020-02-12T06:36:13Z", "minute": 36, "month": 2, "rfc3339": "2020-02-12T06:36:13Z",
                    "rotation_days": null, "rotation_hours": null, "rotation_minutes": null, "rotation_months": null, "rotation_rfc3339": "2120-02-12T06:36:13Z",
                    "rotation_years": 100, "second": 13, "triggers": null, "unix": 4737162973i64, "year": 2120}),
            ),
            (
                "local_sensitive_file.k",
                serde_json::json!({"content": "hello", "content_base64": null, "content_base64sha256": "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
                    "content_base64sha512": "m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==",
                    "content_md5": "5d41402abc4b2a76b9719d911017c592", "content_sha1": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
                    "content_sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                    "content_sha512": "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
                    "directory_permission": "0700", "file_permission": "0700", "filename": "k.txt", "id": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", "source": null}),
            ),
        ];
        for (addr, attrs) in upstream {
            s.put(addr, attrs).await;
        }
        let p = s.plan(tf).await;
        let changes: Vec<String> = p.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| format!("{:?} {}", c.action, c.addr)).collect();
        assert!(changes.is_empty(), "{changes:?}");
        let drift: Vec<String> = p.drift.iter().map(|d| format!("{:?} {} {:?}", d.action, d.addr, d.paths)).collect();
        assert!(drift.is_empty(), "{drift:?}");
    });
}

/// The reader `terraform_remote_state` is given here: the state file
/// `config.path` names, relative to the stack (the CLI's reader, with
/// every backend, is tested end to end).
struct StateFiles;

#[async_trait::async_trait]
impl RemoteStateReader for StateFiles {
    async fn outputs(&self, req: &RemoteStateRequest) -> Result<Option<BTreeMap<String, OutputState>>, RemoteStateError> {
        let path = req.config.get("path").and_then(|p| p.as_str()).ok_or_else(|| RemoteStateError::InvalidConfig("path is required".into()))?;
        match std::fs::read(req.base_dir.join(path)) {
            Ok(bytes) => root_outputs(&bytes).map_err(RemoteStateError::Read),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(RemoteStateError::Read(e.to_string())),
        }
    }
}

#[test]
fn terraform_remote_state_conforms() {
    let main = "data \"terraform_remote_state\" \"net\" {\n  backend  = \"local\"\n  config   = { path = \"net.tfstate\" }\n  defaults = { region = \"eu-west-1\" }\n}\nresource \"terraform_data\" \"t\" {\n  input = \"${data.terraform_remote_state.net.outputs.vpc_id} in ${data.terraform_remote_state.net.outputs.region}\"\n}\n";
    let state = |vpc: &str| {
        format!("{{\"version\":4,\"terraform_version\":\"1.11.4\",\"serial\":1,\"lineage\":\"l\",\"outputs\":{{\"vpc_id\":{{\"value\":\"{vpc}\",\"type\":\"string\"}}}},\"resources\":[],\"check_results\":null}}")
    };
    let step = |vpc: &str, expect: &[(&str, Action)]| Step {
        files: vec![("main.tf".into(), main.into()), ("net.tfstate".into(), state(vpc))],
        expect: expect.iter().map(|(a, x)| (a.to_string(), *x)).collect(),
    };
    conform(
        "terraform_remote_state",
        vec![step("vpc-1", &[("terraform_data.t", Create)]), step("vpc-1", &[]), step("vpc-2", &[("terraform_data.t", Update)])],
        &[],
        false,
    );
    let s = stack();
    rt().block_on(async {
        std::fs::write(s.dir.join("net.tfstate"), state("vpc-9")).unwrap();
        s.apply(main).await;
        assert_eq!(s.attrs("terraform_data.t").await["output"], "vpc-9 in eu-west-1");
        std::fs::remove_file(s.dir.join("net.tfstate")).unwrap();
        let err = ops::plan(&s.dir, &s.env, PlanRequest { vars: Vec::new(), run: RunOptions::default() }).await.err().map(message).unwrap_or_default();
        assert!(err.contains("No stored state was found for the given workspace in the given backend."), "{err}");
    });
}

/// random's ephemeral `random_password` keeps the ephemeral part of the
/// suite: a password of the given length opens, renew and close are
/// accepted, a length too short for its minimums is refused, and a stack
/// using it plans and applies with nothing of it in plan or state.
#[test]
fn ephemeral_random_password_conforms() {
    use iac_core::Value;
    use iac_testkit::conformance::ephemeral::{run_ephemeral, EphemeralCase};
    let s = stack();
    let config = |length: i64, min_upper: i64| Value::map([("length", Value::from(length)), ("min_upper", Value::from(min_upper))]);
    let case = EphemeralCase {
        provider: "random".into(),
        provider_config: Value::map(Vec::<(String, Value)>::new()),
        type_: "random_password".into(),
        config: config(16, 2),
        bad_config: config(2, 4),
        main_tf: "ephemeral \"random_password\" \"p\" {\n  length = 16\n}\n\nresource \"terraform_data\" \"t\" {\n  input = \"plain\"\n}\n".into(),
    };
    rt().block_on(run_ephemeral(&case, &s.dir, &s.env));
}
