//! Test support: moto, an engine environment with the aws provider pointed
//! at it, SDK clients for out-of-band changes and checks, and plan/apply
//! helpers through the engine's ops layer (as the CLI runs them).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use iac_core::plan::{Action, Plan, PlanMode};
use iac_engine::ops::{self, Env, PlanRequest};
use iac_engine::providers::Registry;
use iac_engine::run::RunOptions;
use iac_provider_aws::AwsFactory;

pub const ACCESS_KEY: &str = "AKIATESTMOTO000000001";
pub const SECRET_KEY: &str = "moto-secret-key-never-shown-0123456789";

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The environment the provider sees: keys, region, and every service at `endpoint`.
pub fn aws_env(endpoint: &str) -> Vec<(String, String)> {
    [("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY), ("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT_URL", endpoint)]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn env(dir: &Path, endpoint: &str) -> Env {
    let mut r = Registry::new();
    r.register(Arc::new(AwsFactory::with_env(aws_env(endpoint))));
    Env {
        registry: r,
        backend: Arc::new(iac_state_local::LocalBackend::new(dir.join("state"))),
        lock_timeout: Duration::ZERO,
        lock_wait: Default::default(),
        cancel: Arc::new(AtomicBool::new(false)),
        events: None,
        env_vars: Vec::new(),
        cwd: std::env::current_dir().unwrap_or_default(),
    }
}

/// The provider block the tests use: short polls, default tags.
pub const PROVIDER: &str = "provider \"aws\" {\n  region = \"us-east-1\"\n  poll_interval_ms = 20\n  max_retries = 2\n  default_tags {\n    tags = {\n      team = \"platform\"\n    }\n  }\n}\n";

pub fn write_stack(dir: &Path, text: &str) -> PathBuf {
    let stack = dir.join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(stack.join("main.tf"), text).unwrap();
    stack
}

pub async fn try_plan(stack: &Path, env: &Env, mode: PlanMode) -> Result<Plan, String> {
    ops::plan(stack, env, PlanRequest { vars: Vec::new(), run: RunOptions { mode, ..RunOptions::default() } })
        .await
        .map(|o| o.plan)
        .map_err(|e| format!("{e}: {e:?}"))
}

pub async fn plan(stack: &Path, env: &Env) -> Plan {
    try_plan(stack, env, PlanMode::Normal).await.unwrap_or_else(|e| panic!("plan failed: {e}"))
}

pub async fn apply(stack: &Path, env: &Env, p: Plan) {
    if let Err(e) = ops::apply(stack, env, p, 10).await {
        panic!("apply failed: {e}: {e:?}");
    }
}

pub async fn destroy(stack: &Path, env: &Env) {
    let p = try_plan(stack, env, PlanMode::Destroy).await.unwrap_or_else(|e| panic!("destroy plan failed: {e}"));
    apply(stack, env, p).await;
}

pub fn action_of(p: &Plan, addr: &str) -> Option<Action> {
    p.changes.iter().find(|c| c.addr.to_string() == addr).map(|c| c.action)
}

/// The changes of a plan other than no-ops, as "Action address".
pub fn changes(p: &Plan) -> Vec<String> {
    let mut v: Vec<String> = p.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| format!("{:?} {}", c.action, c.addr)).collect();
    v.sort();
    v
}

/// An attribute of an object in state.
pub async fn state_attr(env: &Env, addr: &str, attr: &str) -> iac_core::Value {
    let state = ops::read_state(env.backend.as_ref()).await.unwrap();
    let inst = state.resources.get(&addr.parse().unwrap()).unwrap_or_else(|| panic!("{addr} is not in state"));
    inst.value().get(attr).cloned().unwrap_or(iac_core::Value::Null)
}

pub async fn state_str(env: &Env, addr: &str, attr: &str) -> String {
    state_attr(env, addr, attr).await.as_str().unwrap_or_else(|| panic!("{addr}.{attr} is not a string")).to_string()
}

/// SDK clients at moto, for changes made "by hand" and for checks.
pub struct Sdk {
    pub ec2: aws_sdk_ec2::Client,
    pub iam: aws_sdk_iam::Client,
    pub eks: aws_sdk_eks::Client,
    pub s3: aws_sdk_s3::Client,
}

pub async fn sdk(endpoint: &str) -> Sdk {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await;
    let s3 = aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build();
    Sdk {
        ec2: aws_sdk_ec2::Client::new(&conf),
        iam: aws_sdk_iam::Client::new(&conf),
        eks: aws_sdk_eks::Client::new(&conf),
        s3: aws_sdk_s3::Client::from_conf(s3),
    }
}

impl Sdk {
    /// VPCs other than the default one moto starts with.
    pub async fn vpcs(&self) -> Vec<String> {
        let out = self.ec2.describe_vpcs().send().await.unwrap();
        out.vpcs().iter().filter(|v| v.is_default() != Some(true)).filter_map(|v| v.vpc_id().map(str::to_string)).collect()
    }
    pub async fn tags_of(&self, id: &str) -> std::collections::BTreeMap<String, String> {
        let out = self.ec2.describe_tags().filters(aws_sdk_ec2::types::Filter::builder().name("resource-id").values(id).build()).send().await.unwrap();
        out.tags().iter().map(|t| (t.key().unwrap_or("").to_string(), t.value().unwrap_or("").to_string())).collect()
    }
}
