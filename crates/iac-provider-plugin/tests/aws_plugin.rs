//! The real hashicorp/aws 5.100.0 plugin (protocol 5) against moto: the
//! handshake with mutual TLS, the schema and its cache, configure, and the
//! lifecycle of real resource types through iac's Provider trait.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use iac_core::address::InstanceAddr;
use iac_core::provider::{
    ApplyChangeRequest, ConfigureRequest, DeleteRequest, ImportRequest, PlanChangeRequest, Provider, ProviderContext, ProviderFactory, ReadDataRequest,
    ReadRequest,
};
use iac_core::value::Value;
use iac_provider_plugin::{PluginFactory, PluginSpec};

use crate::common;
use common::{aws_binary, Moto};

/// One cache directory for the whole test binary, so that only the first
/// load pays for starting the plugin.
fn cache_dir() -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path().to_path_buf()
}

fn spec(cache: Option<PathBuf>) -> PluginSpec {
    PluginSpec {
        name: "aws".into(),
        source: "registry.terraform.io/hashicorp/aws".into(),
        version: "5.100.0".into(),
        binary: aws_binary(),
        schema_cache_dir: cache,
    }
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_test_writer().try_init();
}

fn provider_config(moto: &Moto) -> Value {
    let url = Value::string(moto.endpoint());
    Value::map([
        ("region", Value::string("us-east-1")),
        ("access_key", Value::string("test").into_sensitive()),
        ("secret_key", Value::string("test").into_sensitive()),
        ("skip_credentials_validation", Value::Bool(true)),
        ("skip_requesting_account_id", Value::Bool(true)),
        // A string in the provider's schema: the bool is converted.
        ("skip_metadata_api_check", Value::Bool(true)),
        ("skip_region_validation", Value::Bool(true)),
        (
            "endpoints",
            Value::List(
                vec![Value::map([("sqs", url.clone()), ("cloudwatchlogs", url.clone()), ("iam", url.clone()), ("secretsmanager", url.clone()), ("sts", url)])]
                    .into(),
            ),
        ),
    ])
}

async fn configured(moto: &Moto) -> (PluginFactory, Arc<dyn Provider>) {
    let factory = PluginFactory::load(spec(Some(cache_dir()))).await.expect("loading the aws plugin");
    let provider =
        factory.configure(ConfigureRequest { config: provider_config(moto), context: ProviderContext::default() }).await.expect("configuring the aws plugin");
    (factory, provider)
}

async fn create(p: &dyn Provider, type_: &str, name: &str, config: Value) -> (Value, Option<serde_json::Value>) {
    let addr = InstanceAddr::managed(type_, name);
    let plan = p
        .plan_change(PlanChangeRequest { type_: type_.into(), addr: addr.clone(), prior: None, config: config.clone(), private: None })
        .await
        .expect("plan create");
    assert!(!plan.planned.is_wholly_known(), "a create plans unknown computed values: {:?}", plan.planned);
    let applied = p
        .apply_change(ApplyChangeRequest { type_: type_.into(), addr, prior: None, planned: plan.planned, config, private: plan.private })
        .await
        .expect("apply create");
    assert!(applied.new_state.is_wholly_known());
    (applied.new_state, applied.private)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_is_read_over_mtls_and_cached_by_checksum() {
    init_tracing();
    let cache = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let cold = PluginFactory::load(spec(Some(cache.path().to_path_buf()))).await.expect("cold load");
    let cold_time = t.elapsed();
    assert!(!cold.schema_from_cache());
    assert_eq!(cold.plugin_schema().protocol, 5);
    let t = Instant::now();
    let warm = PluginFactory::load(spec(Some(cache.path().to_path_buf()))).await.expect("cached load");
    let warm_time = t.elapsed();
    assert!(warm.schema_from_cache(), "the second load reads the cache");
    assert_eq!(cold.schema(), warm.schema());
    assert_eq!(cold.sha256(), warm.sha256());
    eprintln!(
        "hashicorp/aws 5.100.0 schema: cold load {cold_time:?}, cached load {warm_time:?}, {} resources, {} data sources",
        cold.schema().resources.len(),
        cold.schema().data_sources.len()
    );

    let s = cold.schema();
    assert!(s.resources.len() > 1000, "{} resource types", s.resources.len());
    let q = &s.resources["aws_sqs_queue"];
    assert!(q.block.attributes["name"].optional && q.block.attributes["name"].computed);
    assert!(q.block.attributes["arn"].computed && !q.block.attributes["arn"].optional);
    assert!(s.data_sources.contains_key("aws_iam_policy_document"));
    let doc = &s.data_sources["aws_iam_policy_document"].block;
    assert_eq!(doc.blocks["statement"].nesting, iac_core::schema::Nesting::List);
    assert!(!s.provider.attributes["secret_key"].required);
    assert_eq!(s.provider.blocks["endpoints"].nesting, iac_core::schema::Nesting::Set);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_queue_lives_through_plan_apply_read_update_and_delete() {
    init_tracing();
    let moto = Moto::start();
    let (_f, p) = configured(&moto).await;
    let type_ = "aws_sqs_queue";
    let config = Value::map([("name", Value::string("iac-plugin-q")), ("tags", Value::map([("env", Value::string("test"))]))]);
    let (state, private) = create(p.as_ref(), type_, "q", config.clone()).await;
    assert_eq!(state.get("name"), Some(&Value::string("iac-plugin-q")));
    assert_eq!(state.get("delay_seconds"), Some(&Value::number(0.0)), "a computed default is filled in");
    assert_eq!(state.get("tags").and_then(|t| t.get("env")), Some(&Value::string("test")));
    let url = state.get("id").and_then(Value::as_str).expect("queue id").to_string();
    assert!(url.contains("iac-plugin-q"), "{url}");

    let addr = InstanceAddr::managed(type_, "q");
    let read = p
        .read(ReadRequest { type_: type_.into(), addr: addr.clone(), current: state.clone(), private: private.clone() })
        .await
        .expect("read")
        .expect("queue exists");
    assert_eq!(read.get("arn"), state.get("arn"));
    // Nothing changed: the plan is the prior state.
    let noop = p
        .plan_change(PlanChangeRequest { type_: type_.into(), addr: addr.clone(), prior: Some(read.clone()), config: config.clone(), private: private.clone() })
        .await
        .expect("no-op plan");
    assert_eq!(noop.planned, read, "an unchanged queue plans no change");
    assert!(noop.requires_replace.is_empty());

    // A change in place: the provider waits ~25 s for SQS attributes to
    // settle after every attribute write, so the update is only planned.
    let mut changed = config.as_map().unwrap().clone();
    changed.insert("delay_seconds".into(), Value::number(9.0));
    let changed = Value::Map(changed);
    let plan = p
        .plan_change(PlanChangeRequest {
            type_: type_.into(),
            addr: addr.clone(),
            prior: Some(read.clone()),
            config: changed.clone(),
            private: private.clone(),
        })
        .await
        .expect("update plan");
    assert_eq!(plan.planned.get("delay_seconds"), Some(&Value::number(9.0)));
    assert_eq!(plan.planned.get("arn"), read.get("arn"), "computed attributes keep their prior values");
    assert!(plan.requires_replace.is_empty(), "delay_seconds updates in place");
    let updated = iac_core::provider::ApplyChangeResponse { new_state: read.clone(), private: private.clone() };

    // A new name replaces the queue.
    let mut renamed = changed.as_map().unwrap().clone();
    renamed.insert("name".into(), Value::string("iac-plugin-q2"));
    let plan = p
        .plan_change(PlanChangeRequest {
            type_: type_.into(),
            addr: addr.clone(),
            prior: Some(updated.new_state.clone()),
            config: Value::Map(renamed),
            private: updated.private.clone(),
        })
        .await
        .expect("replace plan");
    assert!(plan.requires_replace.contains(&iac_core::path::AttrPath::attr("name")), "{:?}", plan.requires_replace);

    p.delete(DeleteRequest { type_: type_.into(), addr: addr.clone(), prior: updated.new_state.clone(), private: updated.private.clone() })
        .await
        .expect("delete");
    let gone = p.read(ReadRequest { type_: type_.into(), addr, current: updated.new_state, private: updated.private }).await.expect("read after delete");
    assert_eq!(gone, None, "a deleted queue reads as gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_group_lifecycle_and_import() {
    init_tracing();
    let moto = Moto::start();
    let (_f, p) = configured(&moto).await;
    let type_ = "aws_cloudwatch_log_group";
    let config = Value::map([("name", Value::string("/iac/plugin")), ("retention_in_days", Value::number(7.0))]);
    let (state, private) = create(p.as_ref(), type_, "lg", config.clone()).await;
    assert_eq!(state.get("retention_in_days"), Some(&Value::number(7.0)));
    assert!(state.get("arn").and_then(Value::as_str).is_some_and(|a| a.contains("/iac/plugin")));

    // Import the same group under another address: the same object.
    let imported =
        p.import(ImportRequest { type_: type_.into(), addr: InstanceAddr::managed(type_, "again"), id: "/iac/plugin".into() }).await.expect("import");
    assert_eq!(imported.get("arn"), state.get("arn"));
    assert_eq!(imported.get("retention_in_days"), Some(&Value::number(7.0)));
    let missing = p.import(ImportRequest { type_: type_.into(), addr: InstanceAddr::managed(type_, "none"), id: "/no/such/group".into() }).await;
    let e = missing.expect_err("importing a missing group fails").to_string();
    assert!(e.contains("aws"), "{e}");

    // An update in place, applied.
    let addr = InstanceAddr::managed(type_, "lg");
    let changed = Value::map([
        ("name", Value::string("/iac/plugin")),
        ("retention_in_days", Value::number(14.0)),
        ("tags", Value::map([("team", Value::string("core"))])),
    ]);
    let plan = p
        .plan_change(PlanChangeRequest {
            type_: type_.into(),
            addr: addr.clone(),
            prior: Some(state.clone()),
            config: changed.clone(),
            private: private.clone(),
        })
        .await
        .expect("update plan");
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned.get("arn"), state.get("arn"));
    let updated = p
        .apply_change(ApplyChangeRequest {
            type_: type_.into(),
            addr: addr.clone(),
            prior: Some(state.clone()),
            planned: plan.planned,
            config: changed.clone(),
            private: plan.private,
        })
        .await
        .expect("apply update");
    assert_eq!(updated.new_state.get("retention_in_days"), Some(&Value::number(14.0)));
    let (state, private) = (updated.new_state, updated.private);
    let read =
        p.read(ReadRequest { type_: type_.into(), addr: addr.clone(), current: state.clone(), private: private.clone() }).await.expect("read").expect("exists");
    assert_eq!(read.get("tags").and_then(|t| t.get("team")), Some(&Value::string("core")));
    let noop = p
        .plan_change(PlanChangeRequest { type_: type_.into(), addr: addr.clone(), prior: Some(read.clone()), config: changed, private: private.clone() })
        .await
        .expect("no-op plan");
    assert_eq!(noop.planned, read);

    p.delete(DeleteRequest { type_: type_.into(), addr: addr.clone(), prior: state.clone(), private: private.clone() }).await.expect("delete");
    assert_eq!(p.read(ReadRequest { type_: type_.into(), addr, current: state, private }).await.expect("read after delete"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_sources_and_validation() {
    init_tracing();
    let moto = Moto::start();
    let (_f, p) = configured(&moto).await;
    let partition = p
        .read_data(ReadDataRequest { type_: "aws_partition".into(), addr: InstanceAddr::managed("aws_partition", "p"), config: Value::map::<&str>([]) })
        .await
        .expect("aws_partition");
    assert_eq!(partition.get("partition"), Some(&Value::string("aws")));
    assert_eq!(partition.get("dns_suffix"), Some(&Value::string("amazonaws.com")));

    let doc_config = Value::map([(
        "statement",
        Value::List(
            vec![Value::map([
                ("effect", Value::string("Allow")),
                ("actions", Value::List(vec![Value::string("sqs:SendMessage")].into())),
                ("resources", Value::List(vec![Value::string("*")].into())),
                (
                    "principals",
                    Value::List(
                        vec![Value::map([("type", Value::string("Service")), ("identifiers", Value::List(vec![Value::string("sns.amazonaws.com")].into()))])]
                            .into(),
                    ),
                ),
            ])]
            .into(),
        ),
    )]);
    let doc = p
        .read_data(ReadDataRequest { type_: "aws_iam_policy_document".into(), addr: InstanceAddr::managed("aws_iam_policy_document", "d"), config: doc_config })
        .await
        .expect("policy document");
    let json: serde_json::Value = serde_json::from_str(doc.get("json").and_then(Value::as_str).expect("json attribute")).unwrap();
    assert_eq!(json["Statement"][0]["Action"], "sqs:SendMessage");
    assert_eq!(json["Statement"][0]["Principal"]["Service"], "sns.amazonaws.com");

    // The provider's own validation, with the attribute path it names.
    let problems = p.validate_resource("aws_sqs_queue", &Value::map([("name", Value::string("q")), ("delay_seconds", Value::number(100000.0))]));
    assert!(problems.iter().any(|(path, _)| path == &iac_core::path::AttrPath::attr("delay_seconds")), "{problems:?}");
    assert!(p.validate_resource("aws_sqs_queue", &Value::map([("name", Value::string("q"))])).is_empty());
}

/// Each configured provider (an alias, say) has a process of its own, and a
/// process stops when its provider is dropped; a killed plugin is reported
/// as a crash that names the provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_per_configuration_stopped_on_drop_and_crashes_reported() {
    init_tracing();
    let moto = Moto::start();
    let factory = PluginFactory::load(spec(Some(cache_dir()))).await.unwrap();
    let a = factory.start(ConfigureRequest { config: provider_config(&moto), context: ProviderContext::default() }).await.unwrap();
    let b = factory.start(ConfigureRequest { config: provider_config(&moto), context: ProviderContext::default() }).await.unwrap();
    let (pa, pb) = (a.pid().unwrap(), b.pid().unwrap());
    assert_ne!(pa, pb);
    assert!(alive(pa) && alive(pb));

    // Provider-defined functions (provider::aws::arn_parse), typed by their signature.
    assert!(factory.plugin_schema().functions.contains_key("arn_parse"));
    let parsed = a.call_function("arn_parse", &[Value::string("arn:aws:iam::123456789012:role/deploy")]).await.expect("arn_parse");
    assert_eq!(parsed.get("account_id"), Some(&Value::string("123456789012")));
    assert_eq!(parsed.get("resource"), Some(&Value::string("role/deploy")));
    let e = a.call_function("arn_parse", &[Value::string("not an arn")]).await.expect_err("a bad ARN").to_string();
    assert!(e.contains("provider::aws::arn_parse") && e.contains("invalid prefix"), "{e}");

    // An ephemeral resource: opened, its value used, closed.
    let eph = a
        .open_ephemeral(
            "aws_secretsmanager_random_password",
            &Value::map([("password_length", Value::number(24.0)), ("exclude_punctuation", Value::Bool(true))]),
        )
        .await
        .expect("open ephemeral");
    let pw = eph.value.get("random_password").and_then(Value::as_str).expect("a password").to_string();
    assert_eq!(pw.len(), 24, "{pw}");
    a.close_ephemeral(eph).await.expect("close ephemeral");

    drop(a);
    wait_gone(pa).await;
    assert!(alive(pb));

    // kill -9 the other one mid-session: the next call reports the crash.
    std::process::Command::new("kill").args(["-9", &pb.to_string()]).status().unwrap();
    wait_gone(pb).await;
    let e = b
        .read_data(ReadDataRequest { type_: "aws_partition".into(), addr: InstanceAddr::managed("aws_partition", "p"), config: Value::map::<&str>([]) })
        .await
        .expect_err("a dead plugin cannot answer")
        .to_string();
    assert!(e.contains("provider aws") && e.contains("crashed"), "{e}");
}

fn alive(pid: u32) -> bool {
    // A zombie is not alive: look at the process state.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
        Err(_) => false,
    }
}

async fn wait_gone(pid: u32) {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < deadline, "plugin process {pid} still running");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
