//! A configured plugin provider: iac's [`Provider`] calls as plugin protocol
//! calls, with the host's side of Terraform's contract (state upgraded
//! before use, the proposed new state computed for planning, results checked
//! against plans, diagnostics mapped).

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use iac_core::path::AttrPath;
use iac_core::provider::{
    ApplyChangeRequest, ApplyChangeResponse, ApplyFailure, CloseEphemeralRequest, ConfigureRequest, DeleteRequest, ImportRequest, ImportResponse,
    MoveStateRequest, MoveStateResponse, OpenEphemeralRequest, OpenEphemeralResponse, PlanChangeRequest, PlanChangeResponse, Provider, ProviderDiagnostic,
    ProviderError, ReadDataRequest, ReadRequest, ReadResponse, RecoverRequest, RenewEphemeralRequest, RenewEphemeralResponse,
};
use iac_core::value::Value;

use crate::client::{Diag, Dyn, Rpc, Severity};
use crate::cty::{self, CtyType};
use crate::process::{LaunchOptions, PluginProcess};
use crate::schema::{self, Inconsistency, PluginSchema, TypeSchema};
use crate::PluginSpec;

/// The Terraform version announced to providers, which some use to decide
/// which features the host supports: the version iac is measured against.
const TERRAFORM_VERSION: &str = "1.11.4";

/// An open ephemeral resource. Its value must never reach state or plans.
#[derive(Clone, Debug)]
pub struct EphemeralResource {
    pub type_: String,
    pub value: Value,
    /// When the provider wants [`PluginProvider::renew_ephemeral`] called.
    pub renew_at: Option<std::time::SystemTime>,
    private: Option<Vec<u8>>,
}

pub struct PluginProvider {
    name: String,
    /// Its source address (`registry.terraform.io/hashicorp/aws`).
    source: String,
    schema: Arc<PluginSchema>,
    rpc: Rpc,
    process: Arc<PluginProcess>,
}

impl std::fmt::Debug for PluginProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginProvider").field("name", &self.name).field("pid", &self.process.pid).field("protocol", &self.process.protocol).finish()
    }
}

fn other(provider: &str, msg: impl std::fmt::Display) -> ProviderError {
    ProviderError::Other(format!("provider {provider}: {msg}"))
}

/// Private bytes travel through iac as a base64 string.
fn private_to_json(b: Vec<u8>) -> Option<serde_json::Value> {
    if b.is_empty() {
        None
    } else {
        Some(serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(b)))
    }
}

/// The engine keeps `replace_triggered_by` values next to a provider's
/// private data (`{"provider": ..., "replace_triggered_by": ...}`); the
/// plugin gets its own bytes only.
fn private_from_json(v: &Option<serde_json::Value>) -> Vec<u8> {
    match v {
        Some(serde_json::Value::String(s)) => base64::engine::general_purpose::STANDARD.decode(s).unwrap_or_default(),
        Some(serde_json::Value::Object(o)) => private_from_json(&o.get("provider").cloned()),
        _ => Vec::new(),
    }
}

/// An ephemeral resource's private bytes as the plugin gets them back.
fn private_bytes(v: &Option<serde_json::Value>) -> Option<Vec<u8>> {
    Some(private_from_json(v)).filter(|b| !b.is_empty())
}

fn describe(d: &Diag) -> String {
    let mut s = d.summary.clone();
    if !d.detail.is_empty() && d.detail != d.summary {
        s.push_str(": ");
        s.push_str(d.detail.trim());
    }
    if let Some(p) = d.path.as_ref().filter(|p| !p.0.is_empty()) {
        s.push_str(&format!(" (at {p})"));
    }
    s
}

impl PluginProvider {
    /// Starts a process, introduces iac to it and configures it.
    pub(crate) async fn start(
        spec: &PluginSpec,
        schema: Arc<PluginSchema>,
        launch: &LaunchOptions,
        req: ConfigureRequest,
    ) -> Result<PluginProvider, ProviderError> {
        let p = PluginProvider::launch(spec, schema, launch).await?;
        p.configure(req).await?;
        Ok(p)
    }

    /// Starts a process and introduces iac to it, without configuring it:
    /// what provider-defined functions run on (Terraform calls them on an
    /// unconfigured provider too).
    pub(crate) async fn launch(spec: &PluginSpec, schema: Arc<PluginSchema>, launch: &LaunchOptions) -> Result<PluginProvider, ProviderError> {
        let process = PluginProcess::start(&spec.name, &spec.binary, launch).await.map_err(|e| ProviderError::Other(e.to_string()))?;
        let rpc = Rpc::new(process.protocol, process.channel.clone());
        let p = PluginProvider { name: spec.name.clone(), source: spec.source.clone(), schema, rpc, process: Arc::new(process) };
        if !p.schema.capabilities.get_provider_schema_optional {
            // Providers that do not announce otherwise expect the host to
            // introduce itself before other calls. Terraform reads the whole
            // schema (1.5 s for hashicorp/aws, in every process); GetMetadata
            // lets the SDKs and the mux server discover their resource types
            // just as well, at a fraction of the cost. Plugins too old to
            // have it get the schema call.
            match p.rpc.get_metadata().await {
                Ok(_) => {}
                Err(s) if s.code() == tonic::Code::Unimplemented => {
                    p.rpc.get_schema().await.map_err(|e| other(&p.name, format!("reading the schema: {e}")))?;
                }
                Err(s) => return Err(p.status_error("GetMetadata", s)),
            }
        }
        Ok(p)
    }

    async fn configure(&self, req: ConfigureRequest) -> Result<(), ProviderError> {
        let block = &self.schema.provider.block;
        let config = block.conform(&req.config);
        let bytes = cty::to_msgpack(&config, &block.implied_type()).map_err(|e| ProviderError::InvalidConfig(format!("provider {}: {e}", self.name)))?;
        let diags = self.rpc.validate_provider(Dyn::msgpack(bytes.clone())).await.map_err(|s| self.status_error("ValidateProviderConfig", s))?;
        self.check(&diags, "", true)?;
        let diags = self.rpc.configure(TERRAFORM_VERSION, Dyn::msgpack(bytes)).await.map_err(|s| self.status_error("ConfigureProvider", s))?;
        self.check(&diags, "", false)?;
        tracing::debug!(provider = %self.name, pid = self.process.pid, "plugin provider configured");
        Ok(())
    }

    /// Asks the provider to cancel the calls in flight (Terraform's Stop, on
    /// interrupt); the process keeps running.
    pub async fn stop(&self) -> Result<(), ProviderError> {
        let msg = self.rpc.stop().await.map_err(|s| self.status_error("StopProvider", s))?;
        if msg.is_empty() {
            Ok(())
        } else {
            Err(other(&self.name, format!("stopping: {msg}")))
        }
    }

    /// Calls a provider-defined function (`provider::aws::arn_parse(...)`).
    /// Arguments are converted by the declared parameter types (extra ones
    /// by the variadic parameter's type).
    pub async fn call_function(&self, name: &str, args: &[Value]) -> Result<Value, ProviderError> {
        let sig = self.schema.functions.get(name).ok_or_else(|| ProviderError::Unsupported(format!("provider {} has no function {name}", self.name)))?;
        if args.len() < sig.params.len() || (args.len() > sig.params.len() && sig.variadic.is_none()) {
            return Err(ProviderError::InvalidConfig(format!("provider::{}::{name}: expected {} arguments, got {}", self.name, sig.params.len(), args.len())));
        }
        let mut wire = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let p = sig.params.get(i).or(sig.variadic.as_ref()).expect("arity checked above");
            wire.push(self.encode(a, &p.ty, &format!("provider::{}::{name} argument {:?}", self.name, p.name))?);
        }
        match self.rpc.call_function(name, wire).await.map_err(|s| self.status_error("CallFunction", s))? {
            Ok(result) => self.decode(result, &sig.returns, "function result"),
            Err((text, arg)) => Err(ProviderError::InvalidConfig(match arg {
                Some(i) => format!("provider::{}::{name}: argument {}: {text}", self.name, i + 1),
                None => format!("provider::{}::{name}: {text}", self.name),
            })),
        }
    }

    /// Terraform's MoveResourceState: the provider turns an object of another
    /// resource type (possibly of another provider) into one of `target_type`.
    /// Returns the new object and its private data.
    pub async fn move_resource_state(
        &self,
        source_provider_address: &str,
        source_type: &str,
        source_schema_version: i64,
        source_state: &serde_json::Value,
        source_private: &Option<serde_json::Value>,
        target_type: &str,
    ) -> Result<(Value, Option<serde_json::Value>), ProviderError> {
        let rs = self.resource(target_type)?;
        let m = crate::client::MoveState {
            source_provider_address: source_provider_address.to_string(),
            source_type_name: source_type.to_string(),
            source_schema_version,
            source_state_json: serde_json::to_vec(source_state).expect("JSON serializes"),
            target_type_name: target_type.to_string(),
            source_private: private_from_json(source_private),
        };
        let (state, private, diags) = self.rpc.move_state(m).await.map_err(|s| self.status_error("MoveResourceState", s))?;
        self.check(&diags, target_type, false)?;
        let v = self.decode(state, &rs.block.implied_type(), "moved state")?;
        Ok((v, private_to_json(private)))
    }

    /// Opens an ephemeral resource (`ephemeral "TYPE" "NAME" {}`): its value
    /// lives in memory only; renew it before `renew_at`, close it when done.
    pub async fn open_ephemeral(&self, type_: &str, config: &Value) -> Result<EphemeralResource, ProviderError> {
        let es = self
            .schema
            .ephemeral_resources
            .get(type_)
            .ok_or_else(|| ProviderError::Unsupported(format!("provider {} has no ephemeral resource type {type_}", self.name)))?;
        let ty = es.block.implied_type();
        let config = es.block.conform(config);
        let bytes = self.encode(&config, &ty, "configuration")?;
        let diags = self.rpc.validate_ephemeral(type_, bytes.clone()).await.map_err(|s| self.status_error("ValidateEphemeralResourceConfig", s))?;
        self.check(&diags, type_, true)?;
        let opened = self.rpc.open_ephemeral(type_, bytes).await.map_err(|s| self.status_error("OpenEphemeralResource", s))?;
        self.check(&opened.diags, type_, false)?;
        let value = self.decode(opened.result, &ty, "ephemeral result")?;
        Ok(EphemeralResource { type_: type_.to_string(), value, renew_at: opened.renew_at, private: opened.private })
    }

    /// Renews an open ephemeral resource; updates its renewal time and private data.
    pub async fn renew_ephemeral(&self, e: &mut EphemeralResource) -> Result<(), ProviderError> {
        let (renew_at, private, diags) =
            self.rpc.renew_ephemeral(&e.type_, e.private.clone()).await.map_err(|s| self.status_error("RenewEphemeralResource", s))?;
        self.check(&diags, &e.type_, false)?;
        e.renew_at = renew_at;
        e.private = private;
        Ok(())
    }

    pub async fn close_ephemeral(&self, e: EphemeralResource) -> Result<(), ProviderError> {
        let diags = self.rpc.close_ephemeral(&e.type_, e.private).await.map_err(|s| self.status_error("CloseEphemeralResource", s))?;
        self.check(&diags, &e.type_, false)
    }

    /// Stops the plugin process now (it also stops when the provider drops).
    pub async fn shutdown(&self) {
        self.process.shutdown().await;
    }

    /// The plugin process id, for diagnostics and tests.
    pub fn pid(&self) -> Option<u32> {
        self.process.pid
    }

    pub fn protocol(&self) -> u32 {
        self.process.protocol
    }

    /// A failed call: a crash is reported with the exit status and the
    /// plugin's last words, as Terraform does.
    fn status_error(&self, call: &str, s: tonic::Status) -> ProviderError {
        // The exit watcher may lag the broken connection by a moment; a
        // process that is already a zombie has crashed all the same.
        let report = self.process.exit_report().or_else(|| self.process.has_exited().then(|| "plugin process exited".to_string()));
        match report {
            Some(r) => other(&self.name, format!("the plugin crashed during {call}: {r}")),
            None => other(&self.name, format!("{call} failed: {}", crate::process::error_chain(&s))),
        }
    }

    /// Error diagnostics fail the call; warnings become tracing warnings.
    fn check(&self, diags: &[Diag], what: &str, config: bool) -> Result<(), ProviderError> {
        let mut errors = Vec::new();
        let mut reported = Vec::new();
        let mut path = None;
        for d in diags {
            match d.severity {
                Severity::Warning => tracing::warn!(provider = %self.name, what, "{}", describe(d)),
                Severity::Error => {
                    errors.push(describe(d));
                    let at = d.path.clone().filter(|p| !p.0.is_empty());
                    path = path.or(at.clone());
                    reported.push(ProviderDiagnostic { summary: d.summary.clone(), detail: d.detail.clone(), path: at });
                }
            }
        }
        if errors.is_empty() {
            return Ok(());
        }
        let subject = if what.is_empty() { String::new() } else { format!(" {what}") };
        let message = format!("provider {}{subject}: {}", self.name, errors.join("; "));
        let error = if config { ProviderError::InvalidConfig(message) } else { ProviderError::Api { code: "ProviderError".into(), message } };
        // The first error's attribute, for the diagnostic's source span.
        let error = match path {
            Some(path) => ProviderError::At { path, error: Box::new(error) },
            None => error,
        };
        Err(ProviderError::Reported { diagnostics: reported, error: Box::new(error) })
    }

    fn resource(&self, type_: &str) -> Result<&TypeSchema, ProviderError> {
        self.schema.resources.get(type_).ok_or_else(|| ProviderError::Unsupported(format!("provider {} has no resource type {type_}", self.name)))
    }

    fn encode(&self, v: &Value, ty: &CtyType, what: &str) -> Result<Dyn, ProviderError> {
        cty::to_msgpack(v, ty).map(Dyn::msgpack).map_err(|e| ProviderError::InvalidConfig(format!("provider {}: {what}: {e}", self.name)))
    }

    fn decode(&self, d: Option<Dyn>, ty: &CtyType, what: &str) -> Result<Value, ProviderError> {
        let Some(d) = d else { return Ok(Value::Null) };
        let r = if !d.msgpack.is_empty() {
            cty::from_msgpack(&d.msgpack, ty)
        } else {
            let j: serde_json::Value = serde_json::from_slice(&d.json).map_err(|e| other(&self.name, format!("{what}: the plugin sent invalid JSON: {e}")))?;
            cty::from_json(&j, ty)
        };
        r.map_err(|e| other(&self.name, format!("{what}: the plugin sent a value that does not match its schema: {e}")))
    }

    /// Terraform upgrades every stored object to the current schema before
    /// using it (the provider also normalizes it). iac's state does not
    /// record the schema version an object was written with, so it is taken
    /// to be the current one.
    async fn upgrade(&self, type_: &str, rs: &TypeSchema, ty: &CtyType, v: &Value) -> Result<Value, ProviderError> {
        let conformed = rs.block.conform(v);
        if conformed.is_null() {
            return Ok(conformed);
        }
        let json = serde_json::to_vec(&cty::to_json(&conformed, ty)).expect("JSON serializes");
        let (upgraded, diags) = self.rpc.upgrade(type_, rs.version, json).await.map_err(|s| self.status_error("UpgradeResourceState", s))?;
        self.check(&diags, type_, false)?;
        match upgraded {
            Some(d) => self.decode(Some(d), ty, "UpgradeResourceState"),
            None => Ok(conformed),
        }
    }

    fn inconsistent(&self, what: &str, type_: &str, addr: &str, problems: &[Inconsistency], legacy: bool) -> Result<(), ProviderError> {
        if problems.is_empty() {
            return Ok(());
        }
        let list = problems
            .iter()
            .map(|p| format!("{}: {}", if p.path.0.is_empty() { "(object)".to_string() } else { p.path.to_string() }, p.message))
            .collect::<Vec<_>>()
            .join("; ");
        // Providers on the legacy SDK are allowed these, noted in the log only
        // (Terraform does the same, at its log's WARN level that users do not
        // see by default: their type system cannot avoid them, so showing it
        // on every plan would be noise nobody can act on).
        if legacy {
            tracing::debug!(provider = %self.name, resource = addr, "provider produced {what} for {type_}, tolerated for a legacy-SDK provider: {list}");
            return Ok(());
        }
        Err(other(&self.name, format!("Provider produced {what} for {addr} ({type_}): {list}. This is a bug in the provider, which should be reported in the provider's own issue tracker.")))
    }

    /// Runs a call from synchronous code. Needs a multi-threaded runtime (the
    /// engine's); elsewhere the check is skipped, never deadlocked.
    fn block_on<F: std::future::Future>(&self, f: F) -> Option<F::Output> {
        let handle = tokio::runtime::Handle::try_current().ok()?;
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            tracing::debug!(provider = %self.name, "provider validation skipped outside a multi-threaded runtime");
            return None;
        }
        Some(tokio::task::block_in_place(|| handle.block_on(f)))
    }

    async fn validate(&self, type_: &str, config: &Value) -> Result<Vec<(AttrPath, String)>, ProviderError> {
        let (ts, data) = match self.schema.resources.get(type_) {
            Some(t) => (t, false),
            None => match self.schema.data_sources.get(type_) {
                Some(t) => (t, true),
                None => return Ok(Vec::new()),
            },
        };
        let config = ts.block.conform(config);
        let d = self.encode(&config, &ts.block.implied_type(), type_)?;
        let diags = if data { self.rpc.validate_data(type_, d).await } else { self.rpc.validate_resource(type_, d).await };
        let diags = diags.map_err(|s| self.status_error("ValidateResourceConfig", s))?;
        let mut out = Vec::new();
        for d in &diags {
            match d.severity {
                Severity::Warning => tracing::warn!(provider = %self.name, type_, "{}", describe(d)),
                Severity::Error => {
                    let msg = if d.detail.is_empty() || d.detail == d.summary { d.summary.clone() } else { format!("{}: {}", d.summary, d.detail.trim()) };
                    out.push((d.path.clone().unwrap_or_default(), msg));
                }
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl Provider for PluginProvider {
    fn validate_resource(&self, type_: &str, config: &Value) -> Vec<(AttrPath, String)> {
        match self.block_on(self.validate(type_, config)) {
            Some(Ok(problems)) => problems,
            Some(Err(e)) => vec![(AttrPath::root(), e.to_string())],
            None => Vec::new(),
        }
    }

    async fn plan_change(&self, req: PlanChangeRequest) -> Result<PlanChangeResponse, ProviderError> {
        let rs = self.resource(&req.type_)?;
        let ty = rs.block.implied_type();
        let addr = req.addr.to_string();
        let prior = match &req.prior {
            Some(p) => self.upgrade(&req.type_, rs, &ty, p).await?,
            None => Value::Null,
        };
        let config = rs.block.conform(&req.config);
        let proposed = schema::proposed_new(&rs.block, &prior, &config);
        let resp = self
            .rpc
            .plan(
                &req.type_,
                self.encode(&prior, &ty, "prior state")?,
                self.encode(&proposed, &ty, "proposed new state")?,
                self.encode(&config, &ty, "configuration")?,
                private_from_json(&req.private),
            )
            .await
            .map_err(|s| self.status_error("PlanResourceChange", s))?;
        self.check(&resp.diags, &addr, false)?;
        let planned = self.decode(resp.planned, &ty, "planned state")?;
        if planned.is_null() && !config.is_null() {
            return Err(other(&self.name, format!("Provider produced invalid plan for {addr}: planned a null object for a configured resource")));
        }
        self.inconsistent("invalid plan", &req.type_, &addr, &schema::check_plan_valid(&rs.block, &config, &planned), resp.legacy)?;
        Ok(PlanChangeResponse { planned, requires_replace: resp.requires_replace, private: private_to_json(resp.private) })
    }

    async fn apply_change(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ProviderError> {
        self.apply_object(req).await.map_err(|f| f.error)
    }

    /// Terraform's ApplyResourceChange: with an error, the new state the
    /// provider returned (when not null) is what the failed apply left
    /// behind, and Terraform stores it.
    async fn apply_object(&self, req: ApplyChangeRequest) -> Result<ApplyChangeResponse, ApplyFailure> {
        let rs = self.resource(&req.type_)?;
        let ty = rs.block.implied_type();
        let addr = req.addr.to_string();
        let prior = req.prior.as_ref().map(|p| rs.block.conform(p)).unwrap_or(Value::Null);
        let planned = rs.block.conform(&req.planned);
        let config = rs.block.conform(&req.config);
        let resp = self
            .rpc
            .apply(
                &req.type_,
                self.encode(&prior, &ty, "prior state")?,
                self.encode(&planned, &ty, "planned state")?,
                self.encode(&config, &ty, "configuration")?,
                private_from_json(&req.private),
            )
            .await
            .map_err(|s| self.status_error("ApplyResourceChange", s))?;
        if let Err(error) = self.check(&resp.diags, &addr, false) {
            // A partial object must be wholly known to be stored; one that is
            // not cannot be trusted, and the error stands alone.
            let partial = match self.decode(resp.new_state, &ty, "new state") {
                Ok(v) if !v.is_null() && v.is_wholly_known() => Some(ApplyChangeResponse { new_state: v, private: private_to_json(resp.private) }),
                _ => None,
            };
            return Err(ApplyFailure { error, partial });
        }
        let new_state = self.decode(resp.new_state, &ty, "new state")?;
        if new_state.is_null() {
            return Err(other(
                &self.name,
                format!("Provider produced inconsistent result after apply for {addr}: the object is null after a create or update"),
            )
            .into());
        }
        if !new_state.is_wholly_known() {
            return Err(other(&self.name, format!("Provider produced inconsistent result after apply for {addr}: the result still has unknown values")).into());
        }
        let result = ApplyChangeResponse { new_state, private: private_to_json(resp.private) };
        // As in Terraform, an inconsistent result is an error, and the object
        // the provider returned is still stored.
        if let Err(error) =
            self.inconsistent("inconsistent result after apply", &req.type_, &addr, &schema::check_compatible(&ty, &planned, &result.new_state), resp.legacy)
        {
            return Err(ApplyFailure { error, partial: Some(result) });
        }
        Ok(result)
    }

    async fn read(&self, req: ReadRequest) -> Result<Option<Value>, ProviderError> {
        Ok(self.read_object(req).await?.new_state)
    }

    /// ReadResource, keeping the private data the provider returns.
    async fn read_object(&self, req: ReadRequest) -> Result<ReadResponse, ProviderError> {
        let rs = self.resource(&req.type_)?;
        let ty = rs.block.implied_type();
        let current = self.upgrade(&req.type_, rs, &ty, &req.current).await?;
        let resp = self
            .rpc
            .read(&req.type_, self.encode(&current, &ty, "current state")?, private_from_json(&req.private))
            .await
            .map_err(|s| self.status_error("ReadResource", s))?;
        self.check(&resp.diags, &req.addr.to_string(), false)?;
        let v = self.decode(resp.new_state, &ty, "new state")?;
        Ok(ReadResponse { new_state: (!v.is_null()).then_some(v), private: private_to_json(resp.private) })
    }

    async fn delete(&self, req: DeleteRequest) -> Result<(), ProviderError> {
        let rs = self.resource(&req.type_)?;
        let ty = rs.block.implied_type();
        let addr = req.addr.to_string();
        let prior = rs.block.conform(&req.prior);
        // A delete is an apply whose planned state and configuration are null.
        let resp = self
            .rpc
            .apply(
                &req.type_,
                self.encode(&prior, &ty, "prior state")?,
                self.encode(&Value::Null, &ty, "")?,
                self.encode(&Value::Null, &ty, "")?,
                private_from_json(&req.private),
            )
            .await
            .map_err(|s| self.status_error("ApplyResourceChange", s))?;
        self.check(&resp.diags, &addr, false)?;
        let left = self.decode(resp.new_state, &ty, "new state")?;
        if !left.is_null() {
            return Err(other(&self.name, format!("Provider produced inconsistent result after apply for {addr}: the object is not null after a delete")));
        }
        Ok(())
    }

    async fn import(&self, req: ImportRequest) -> Result<Value, ProviderError> {
        Ok(self.import_object(req).await?.state)
    }

    /// ImportResourceState, then ReadResource with the private data the
    /// import returned; the read's private data is what is kept.
    async fn import_object(&self, req: ImportRequest) -> Result<ImportResponse, ProviderError> {
        let rs = self.resource(&req.type_)?;
        let ty = rs.block.implied_type();
        let addr = req.addr.to_string();
        let (imported, diags) = self.rpc.import(&req.type_, &req.id).await.map_err(|s| self.status_error("ImportResourceState", s))?;
        self.check(&diags, &addr, false)?;
        // A provider may return several objects; the one of the requested
        // type is the one being imported.
        let Some(obj) = imported.iter().find(|i| i.type_name == req.type_).or(imported.first()) else {
            return Err(other(&self.name, format!("import of {:?} into {addr} returned no object", req.id)));
        };
        let state = self.decode(obj.state.clone(), &ty, "imported state")?;
        let resp = self
            .rpc
            .read(&req.type_, self.encode(&state, &ty, "imported state")?, obj.private.clone())
            .await
            .map_err(|s| self.status_error("ReadResource", s))?;
        self.check(&resp.diags, &addr, false)?;
        let v = self.decode(resp.new_state, &ty, "new state")?;
        if v.is_null() {
            return Err(ProviderError::Api {
                code: "NotFound".into(),
                message: format!("provider {}: cannot import non-existent remote object: {} {:?} does not exist", self.name, req.type_, req.id),
            });
        }
        Ok(ImportResponse { state: v, private: private_to_json(resp.private) })
    }

    async fn read_data(&self, req: ReadDataRequest) -> Result<Value, ProviderError> {
        let ds = self
            .schema
            .data_sources
            .get(&req.type_)
            .ok_or_else(|| ProviderError::Unsupported(format!("provider {} has no data source {}", self.name, req.type_)))?;
        let ty = ds.block.implied_type();
        let addr = req.addr.to_string();
        let config = ds.block.conform(&req.config);
        let bytes = self.encode(&config, &ty, "configuration")?;
        let diags = self.rpc.validate_data(&req.type_, bytes.clone()).await.map_err(|s| self.status_error("ValidateDataResourceConfig", s))?;
        self.check(&diags, &addr, true)?;
        let (state, diags) = self.rpc.read_data(&req.type_, bytes).await.map_err(|s| self.status_error("ReadDataSource", s))?;
        self.check(&diags, &addr, false)?;
        let v = self.decode(state, &ty, "data")?;
        if v.is_null() {
            return Err(other(&self.name, format!("Provider produced null object for {addr}")));
        }
        Ok(v)
    }

    /// MoveResourceState, with the source provider's full address. A provider that does not announce the capability is not asked, as
    /// Terraform does not ask it.
    async fn move_state(&self, req: MoveStateRequest) -> Result<MoveStateResponse, ProviderError> {
        if !self.schema.capabilities.move_resource_state {
            return Err(other(
                &self.name,
                format!(
                    "Unsupported `moved` across resource types: the provider {:?} does not support moved operations across resource types and providers",
                    self.source
                ),
            ));
        }
        let version = i64::try_from(req.source_schema_version).unwrap_or(i64::MAX);
        let (state, private) =
            self.move_resource_state(&req.source_provider_address, &req.source_type, version, &req.source_state, &req.source_private, &req.target_type).await?;
        if state.is_null() {
            return Err(other(&self.name, format!("Provider returned no object moving {} {} to {}", req.source_type, req.addr, req.target_type)));
        }
        Ok(MoveStateResponse { state, private })
    }

    /// A plugin cannot be asked to find an object by iac's ownership tag.
    async fn recover(&self, _req: RecoverRequest) -> Result<Option<Value>, ProviderError> {
        Ok(None)
    }

    async fn open_ephemeral(&self, req: OpenEphemeralRequest) -> Result<OpenEphemeralResponse, ProviderError> {
        let e = PluginProvider::open_ephemeral(self, &req.type_, &req.config).await?;
        Ok(OpenEphemeralResponse { value: e.value, renew_at: e.renew_at, private: e.private.and_then(private_to_json) })
    }

    async fn renew_ephemeral(&self, req: RenewEphemeralRequest) -> Result<RenewEphemeralResponse, ProviderError> {
        let mut e = EphemeralResource { type_: req.type_, value: Value::Null, renew_at: None, private: private_bytes(&req.private) };
        PluginProvider::renew_ephemeral(self, &mut e).await?;
        Ok(RenewEphemeralResponse { renew_at: e.renew_at, private: e.private.and_then(private_to_json) })
    }

    async fn close_ephemeral(&self, req: CloseEphemeralRequest) -> Result<(), ProviderError> {
        PluginProvider::close_ephemeral(self, EphemeralResource { type_: req.type_, value: Value::Null, renew_at: None, private: private_bytes(&req.private) })
            .await
    }
}
