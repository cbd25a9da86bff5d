//! Test support: a recording mock provider, a backend wrapper that crashes
//! after N journal appends, and helpers to write stacks and run ops.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use iac_core::backend::*;
use iac_core::plan::default_plan;
use iac_core::provider::*;
use iac_core::schema::{AttrType, Attribute, Block, NestedBlock, Nesting, ProviderSchema, ResourceSchema};
use iac_core::Value;
use iac_engine::ops::{self, Env, PlanRequest};
use iac_engine::providers::Registry;
use iac_engine::run::RunOptions;

/// How many `mock_token` reads there were (each one's token is new).
pub static TOKENS_MADE: AtomicUsize = AtomicUsize::new(0);

/// Provider "mock": a `mock_thing` resource whose create fails when its
/// `fail` argument is true (and whose delete fails when its name starts
/// with `stuck`), and a provider block with a required `endpoint`
/// (so it can be configured from another resource's attribute).
pub struct MockFactory {
    schema: ProviderSchema,
    pub configured_with: Arc<Mutex<Vec<Value>>>,
    pub creates: Arc<AtomicUsize>,
    /// `mock_secret` opens and closes (each open makes a new secret).
    pub opens: Arc<AtomicUsize>,
    pub closes: Arc<AtomicUsize>,
    /// The write-only `secret_wo` of each `mock_thing` applied.
    pub write_only_seen: Arc<Mutex<Vec<String>>>,
    /// The id of each `mock_thing` applied, by name: what `mock_thing_lookup` finds.
    pub things: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Default for MockFactory {
    fn default() -> Self {
        Self::new()
    }
}

impl MockFactory {
    pub fn new() -> MockFactory {
        let mut schema = ProviderSchema {
            provider: Block::default().attr("endpoint", Attribute::required(AttrType::String)).attr("token", Attribute::optional(AttrType::String).sensitive()),
            ..ProviderSchema::default()
        };
        schema.resources.insert(
            "mock_thing".into(),
            ResourceSchema {
                version: 0,
                block: Block::default()
                    .attr("id", Attribute::computed(AttrType::String))
                    .attr("name", Attribute::required(AttrType::String))
                    .attr("fail", Attribute::optional(AttrType::Bool))
                    .attr("endpoint", Attribute::computed(AttrType::String))
                    .attr("secret_wo", Attribute::optional(AttrType::String).ephemeral()),
            },
        );
        // The block shapes plugin providers use: blocks keyed by their label
        // (map nesting), a block that is never null (group nesting), and a
        // list-of-objects attribute that configurations write as blocks.
        let listener = Block::default().attr("port", Attribute::required(AttrType::Number));
        let settings = Block::default().attr("mode", Attribute::optional(AttrType::String));
        let rule = AttrType::List(Box::new(AttrType::Object([("from".to_string(), AttrType::Number), ("to".to_string(), AttrType::Number)].into())));
        schema.resources.insert(
            "mock_shaped".into(),
            ResourceSchema {
                version: 0,
                block: Block::default()
                    .attr("id", Attribute::computed(AttrType::String))
                    .attr("rule", Attribute::optional(rule))
                    .block("listener", NestedBlock { nesting: Nesting::Map, block: listener, min_items: 0, max_items: None, force_new: false })
                    .block("settings", NestedBlock { nesting: Nesting::Group, block: settings, min_items: 0, max_items: None, force_new: false }),
            },
        );
        // A short-lived credential, made afresh on every read (an EKS token).
        schema.data_sources.insert(
            "mock_token".into(),
            ResourceSchema {
                version: 0,
                block: Block::default().attr("id", Attribute::computed(AttrType::String)).attr("value", Attribute::computed(AttrType::String).ephemeral()),
            },
        );
        // Looks up an applied `mock_thing` by name; a read before it exists fails.
        schema.data_sources.insert(
            "mock_thing_lookup".into(),
            ResourceSchema {
                version: 0,
                block: Block::default().attr("name", Attribute::required(AttrType::String)).attr("thing_id", Attribute::computed(AttrType::String)),
            },
        );
        // An ephemeral resource type: a new secret on every open.
        schema.ephemeral_resources.insert(
            "mock_secret".into(),
            ResourceSchema {
                version: 0,
                block: Block::default().attr("length", Attribute::optional(AttrType::Number)).attr("value", Attribute::computed(AttrType::String).sensitive()),
            },
        );
        MockFactory {
            schema,
            configured_with: Arc::default(),
            creates: Arc::default(),
            opens: Arc::default(),
            closes: Arc::default(),
            write_only_seen: Arc::default(),
            things: Arc::default(),
        }
    }
}

#[async_trait]
impl ProviderFactory for MockFactory {
    fn name(&self) -> &str {
        "mock"
    }
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }
    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        self.configured_with.lock().unwrap().push(req.config.clone());
        let endpoint = req.config.get("endpoint").and_then(Value::as_str).unwrap_or("").to_string();
        Ok(Arc::new(Mock {
            schema: self.schema.clone(),
            endpoint,
            creates: self.creates.clone(),
            opens: self.opens.clone(),
            closes: self.closes.clone(),
            write_only_seen: self.write_only_seen.clone(),
            things: self.things.clone(),
        }))
    }
}

struct Mock {
    schema: ProviderSchema,
    endpoint: String,
    creates: Arc<AtomicUsize>,
    opens: Arc<AtomicUsize>,
    closes: Arc<AtomicUsize>,
    write_only_seen: Arc<Mutex<Vec<String>>>,
    things: Arc<Mutex<BTreeMap<String, String>>>,
}

#[async_trait]
impl Provider for Mock {
    async fn plan_change(&self, req: PlanChangeRequest) -> Result<PlanChangeResponse, ProviderError> {
        let mut r = default_plan(&self.schema.resources[&req.type_], req.prior.as_ref(), &req.config);
        if let (Value::Map(m), "mock_thing") = (&mut r.planned, req.type_.as_str()) {
            m.insert("endpoint".into(), Value::String(self.endpoint.clone()));
        }
        Ok(r)
    }
    /// A failing apply of a thing named `partial...` reports the object as
    /// it was left (its id given, as a created one would have).
    async fn apply_object(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ApplyFailure> {
        let partial = req.planned.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with("partial"));
        if partial && req.planned.get("fail").and_then(Value::as_bool) == Some(true) {
            let Value::Map(mut m) = req.planned else { unreachable!() };
            if m.get("id").is_none_or(|v| v.is_unknown()) {
                m.insert("id".into(), Value::from("m-partial"));
            }
            let error = ProviderError::Api { code: "Boom".into(), message: "the mock failed half-way".into() };
            return Err(ApplyFailure { error, partial: Some(ApplyChangeResponse { new_state: Value::Map(m), private: None }) });
        }
        Ok(self.apply_change(req).await?)
    }
    async fn apply_change(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ProviderError> {
        if req.planned.get("fail").and_then(Value::as_bool) == Some(true) {
            return Err(ProviderError::Api { code: "Boom".into(), message: "the mock was told to fail".into() });
        }
        self.creates.fetch_add(1, Ordering::SeqCst);
        if let Some(s) = req.config.get("secret_wo").and_then(Value::as_str) {
            self.write_only_seen.lock().unwrap().push(s.to_string());
        }
        let Value::Map(mut m) = req.planned else { unreachable!() };
        if m.get("id").is_none_or(|v| v.is_unknown()) {
            m.insert("id".into(), Value::String(format!("m-{}", self.creates.load(Ordering::SeqCst))));
        }
        if let (Some(name), Some(id)) = (m.get("name").and_then(Value::as_str), m.get("id").and_then(Value::as_str)) {
            self.things.lock().unwrap().insert(name.to_string(), id.to_string());
        }
        Ok(ApplyChangeResponse { new_state: Value::Map(m), private: None })
    }
    /// An object whose id starts with `gone-` was deleted outside iac.
    async fn read(&self, req: ReadRequest) -> Result<Option<Value>, ProviderError> {
        let gone = req.current.get("id").and_then(Value::as_str).is_some_and(|id| id.starts_with("gone-"));
        Ok((!gone).then_some(req.current))
    }
    /// A thing named `stuck...` cannot be deleted.
    async fn delete(&self, req: DeleteRequest) -> Result<(), ProviderError> {
        if req.prior.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with("stuck")) {
            return Err(ProviderError::Api { code: "Stuck".into(), message: "the mock cannot delete it".into() });
        }
        Ok(())
    }
    async fn import(&self, req: ImportRequest) -> Result<Value, ProviderError> {
        Ok(Value::map([
            ("id", Value::String(req.id)),
            ("name", Value::from("imported")),
            ("fail", Value::Null),
            ("endpoint", Value::String(self.endpoint.clone())),
        ]))
    }
    async fn read_data(&self, req: ReadDataRequest) -> Result<Value, ProviderError> {
        if req.type_ == "mock_thing_lookup" {
            let name = req.config.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            let Some(id) = self.things.lock().unwrap().get(&name).cloned() else {
                return Err(ProviderError::Api { code: "NotFound".into(), message: format!("no thing named {name:?}") });
            };
            return Ok(Value::map([("name", Value::String(name)), ("thing_id", Value::String(id))]));
        }
        if req.type_ != "mock_token" {
            return Err(ProviderError::Unsupported("data".into()));
        }
        let n = TOKENS_MADE.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Value::map([("id", Value::from("token")), ("value", Value::String(format!("secret-token-{n}")))]))
    }
    async fn open_ephemeral(&self, req: OpenEphemeralRequest) -> Result<OpenEphemeralResponse, ProviderError> {
        let n = self.opens.fetch_add(1, Ordering::SeqCst) + 1;
        let value =
            Value::map([("length", req.config.get("length").cloned().unwrap_or(Value::Null)), ("value", Value::String(format!("ephemeral-secret-{n}")))]);
        Ok(OpenEphemeralResponse { value, renew_at: None, private: None })
    }
    async fn close_ephemeral(&self, _req: CloseEphemeralRequest) -> Result<(), ProviderError> {
        self.closes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Wraps a backend; after `budget` journal appends every further append
/// fails, as if the process died there. What was appended before stays.
pub struct CrashingBackend {
    pub inner: Arc<dyn StateBackend>,
    pub budget: AtomicUsize,
    pub crashed: AtomicBool,
}

#[async_trait]
impl StateBackend for CrashingBackend {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        self.inner.try_lock(info).await
    }
    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        self.inner.unlock(id).await
    }
    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        self.inner.force_unlock(id).await
    }
    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        self.inner.lock_holder().await
    }
    async fn load(&self) -> Result<Stored, StateError> {
        self.inner.load().await
    }
    async fn append(&self, records: &[Vec<u8>]) -> Result<(), StateError> {
        if self.crashed.load(Ordering::SeqCst) {
            return Err(StateError::Backend("crashed".into()));
        }
        // Append record by record so a crash can fall between any two.
        for r in records {
            if self.budget.load(Ordering::SeqCst) == 0 {
                self.crashed.store(true, Ordering::SeqCst);
                return Err(StateError::Backend("crashed".into()));
            }
            self.budget.fetch_sub(1, Ordering::SeqCst);
            self.inner.append(std::slice::from_ref(r)).await?;
        }
        Ok(())
    }
    async fn write_snapshot(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError> {
        if self.crashed.load(Ordering::SeqCst) {
            return Err(StateError::Backend("crashed".into()));
        }
        self.inner.write_snapshot(meta, bytes).await
    }
    async fn history(&self) -> Result<Vec<VersionInfo>, StateError> {
        self.inner.history().await
    }
    async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError> {
        self.inner.load_version(id).await
    }
}

pub fn registry_with(mock: Option<Arc<MockFactory>>) -> Registry {
    let mut r = Registry::new();
    for f in iac_provider_builtin::factories() {
        r.register(f);
    }
    if let Some(m) = mock {
        r.register(m);
    }
    r
}

pub fn env(registry: Registry, backend: Arc<dyn StateBackend>) -> Env {
    Env {
        registry,
        backend,
        lock_timeout: Duration::ZERO,
        lock_wait: Default::default(),
        cancel: Arc::new(AtomicBool::new(false)),
        events: None,
        env_vars: Vec::new(),
        cwd: std::env::current_dir().unwrap_or_default(),
    }
}

pub fn write_stack(dir: &Path, text: &str) -> PathBuf {
    let stack = dir.join("stack");
    std::fs::create_dir_all(&stack).unwrap();
    std::fs::write(stack.join("main.tf"), text).unwrap();
    stack
}

pub fn local_backend(dir: &Path) -> Arc<dyn StateBackend> {
    Arc::new(iac_state_local::LocalBackend::new(dir.join("state")))
}

pub async fn plan(stack: &Path, env: &Env) -> iac_core::plan::Plan {
    match ops::plan(stack, env, PlanRequest { vars: Vec::new(), run: RunOptions::default() }).await {
        Ok(o) => o.plan,
        Err(e) => panic!("plan failed: {e}: {e:?}"),
    }
}

pub fn count_by_action(plan: &iac_core::plan::Plan) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in &plan.changes {
        *m.entry(format!("{:?}", c.action)).or_insert(0) += 1;
    }
    m
}
