//! Terraform provider plugins as iac providers: this crate owns running a
//! provider plugin binary (go-plugin's handshake with automatic mutual TLS,
//! Terraform's plugin protocol versions 5 and 6 over gRPC), cty's wire
//! encodings of values and types, the translation of a plugin's schema into
//! `iac_core::schema`, Terraform's planning rules that the host applies
//! around a provider (the proposed new state, the "inconsistent result"
//! checks), and a schema cache keyed by the binary's SHA-256.
//!
//! It exposes plugins only through `iac_core`'s [`ProviderFactory`] and
//! [`Provider`] traits, and must not depend on iac-engine, iac-lang or
//! iac-cli: choosing which plugin runs for which provider, installing
//! plugins and lock files are the CLI's business. gRPC, TLS and protobuf
//! dependencies stay in this crate.
//!
//! One plugin process runs per configured provider (aliases get their own);
//! the schema is read by a short-lived process at [`PluginFactory::load`]
//! (or from the cache). Dropping a provider shuts its process down.
//!
//! Its tests run real plugins: hashicorp/aws 5.100.0 from the machine's
//! filesystem mirror (`shared/tools/terraform-mirror`) against moto from
//! `.tools/venv`, and a protocol-6 provider on the Python SDK `tfprovider`
//! from `.tools/tfprovider-venv` (a venv of its own: it pins an older
//! `cryptography` than moto accepts). `scripts/install-tools` provides both.

pub mod client;
pub mod cty;
pub mod process;
mod proto;
mod provider;
pub mod schema;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use iac_core::provider::{ConfigureRequest, Provider, ProviderError, ProviderFactory};
use iac_core::schema::ProviderSchema;

pub use process::LaunchOptions;
pub use provider::{EphemeralResource, PluginProvider};
pub use schema::{FunctionSig, PluginSchema};

/// Which plugin binary serves a provider.
#[derive(Clone, Debug)]
pub struct PluginSpec {
    /// The provider's local name in configuration (`aws`).
    pub name: String,
    /// Its source address (`registry.terraform.io/hashicorp/aws`).
    pub source: String,
    pub version: String,
    /// The plugin executable.
    pub binary: PathBuf,
    /// Where schemas are cached, one file per binary checksum.
    pub schema_cache_dir: Option<PathBuf>,
}

#[derive(thiserror::Error, Debug)]
pub enum PluginError {
    #[error("provider {provider}: cannot start plugin {}: {message}", binary.display())]
    Start { provider: String, binary: PathBuf, message: String },
    #[error("provider {provider}: not a Terraform provider plugin: {message}")]
    NotAPlugin { provider: String, message: String },
    #[error("provider {provider}: unsupported plugin handshake: {message}")]
    UnsupportedProtocol { provider: String, message: String },
    #[error("provider {provider}: TLS setup for the plugin failed: {message}")]
    Tls { provider: String, message: String },
    #[error("provider {provider}: cannot connect to the plugin at {address}: {message}")]
    Connect { provider: String, address: String, message: String },
    #[error("provider {provider}: reading the plugin's schema failed: {message}")]
    Schema { provider: String, message: String },
    #[error("provider {provider}: {message}")]
    Io { provider: String, message: String },
}

/// A provider plugin binary, registered under its local name; each
/// [`ProviderFactory::configure`] starts a process of its own.
pub struct PluginFactory {
    spec: PluginSpec,
    sha256: String,
    schema: Arc<PluginSchema>,
    core_schema: ProviderSchema,
    launch: LaunchOptions,
    from_cache: bool,
    /// An unconfigured process for provider-defined functions, started on
    /// the first call and stopped with the factory.
    function_host: std::sync::OnceLock<FunctionHost>,
}

impl std::fmt::Debug for PluginFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginFactory").field("spec", &self.spec).field("sha256", &self.sha256).finish()
    }
}

/// Version of the cache file format; a different one is read as a miss.
const CACHE_FORMAT: u32 = 2;

#[derive(serde::Serialize, serde::Deserialize)]
struct CacheFile {
    format: u32,
    sha256: String,
    schema: PluginSchema,
}

impl PluginFactory {
    /// Starts the plugin once to read its schema (or loads it from
    /// `schema_cache_dir`, keyed by the binary's SHA-256), and stops it again.
    pub async fn load(spec: PluginSpec) -> Result<PluginFactory, PluginError> {
        PluginFactory::load_with(spec, LaunchOptions::default()).await
    }

    pub async fn load_with(spec: PluginSpec, launch: LaunchOptions) -> Result<PluginFactory, PluginError> {
        let started = Instant::now();
        let sha256 = binary_sha256(&spec).await?;
        tracing::debug!(provider = %spec.name, elapsed_ms = started.elapsed().as_millis() as u64, "plugin binary checksum");
        let cache_path = spec.schema_cache_dir.as_ref().map(|d| d.join(format!("{sha256}.json")));
        let cached = match &cache_path {
            Some(p) => read_cache(p, &sha256).await,
            None => None,
        };
        let hit = cached.is_some();
        let schema = match cached {
            Some(s) => s,
            None => {
                let schema = read_schema_from_plugin(&spec, &launch).await?;
                if let Some(p) = &cache_path {
                    write_cache(&spec.name, p, &sha256, &schema).await;
                }
                schema
            }
        };
        let core_schema = schema.to_core();
        tracing::debug!(provider = %spec.name, cache_hit = hit, elapsed_ms = started.elapsed().as_millis() as u64, resources = schema.resources.len(), "plugin schema loaded");
        Ok(PluginFactory { spec, sha256, schema: Arc::new(schema), core_schema, launch, from_cache: hit, function_host: std::sync::OnceLock::new() })
    }

    pub fn spec(&self) -> &PluginSpec {
        &self.spec
    }

    /// Whether the schema came from the cache (no process was started).
    pub fn schema_from_cache(&self) -> bool {
        self.from_cache
    }

    /// The binary's SHA-256 (hex), the schema cache key.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The schema as the plugin declared it (cty types, nesting modes).
    pub fn plugin_schema(&self) -> &PluginSchema {
        &self.schema
    }

    /// Starts a process and configures it; the typed form of
    /// [`ProviderFactory::configure`].
    pub async fn start(&self, req: ConfigureRequest) -> Result<PluginProvider, ProviderError> {
        PluginProvider::start(&self.spec, self.schema.clone(), &self.launch, req).await
    }
}

#[async_trait]
impl ProviderFactory for PluginFactory {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn schema(&self) -> &ProviderSchema {
        &self.core_schema
    }

    async fn configure(&self, req: ConfigureRequest) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(self.start(req).await?))
    }

    fn function_names(&self) -> Vec<String> {
        self.schema.functions.keys().cloned().collect()
    }

    fn call_function(&self, name: &str, args: Vec<iac_core::Value>) -> Result<iac_core::Value, ProviderError> {
        if !self.schema.functions.contains_key(name) {
            let known: Vec<&str> = self.schema.functions.keys().map(String::as_str).collect();
            return Err(ProviderError::Unsupported(format!(
                "provider {} has no function {name:?} (it has: {})",
                self.spec.name,
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )));
        }
        let host = self.function_host.get_or_init(|| FunctionHost::start(self.spec.clone(), self.schema.clone(), self.launch.clone()));
        let (reply, answer) = std::sync::mpsc::channel();
        host.requests
            .send(FunctionCall { name: name.to_string(), args, reply })
            .map_err(|_| ProviderError::Other(format!("provider::{}::{name}: the function host has stopped", self.spec.name)))?;
        // Expressions are evaluated synchronously, often while the run's value
        // store is locked; the host runs on its own thread and runtime, so
        // waiting here never needs a worker of the caller's runtime.
        let wait = || {
            answer
                .recv()
                .unwrap_or_else(|_| Err(ProviderError::Other(format!("provider::{}::{name}: the function host stopped before answering", self.spec.name))))
        };
        match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(wait),
            _ => wait(),
        }
    }
}

/// One provider-defined function call for the [`FunctionHost`].
struct FunctionCall {
    name: String,
    args: Vec<iac_core::Value>,
    reply: std::sync::mpsc::Sender<Result<iac_core::Value, ProviderError>>,
}

/// An unconfigured plugin process serving provider-defined functions, on a
/// thread with its own runtime: calls come from synchronous expression
/// evaluation, which may hold locks other tasks of the run wait on, so the
/// calls must not depend on the run's runtime making progress. The thread
/// (and the process) end when the factory is dropped.
struct FunctionHost {
    requests: std::sync::mpsc::Sender<FunctionCall>,
}

impl FunctionHost {
    fn start(spec: PluginSpec, schema: Arc<PluginSchema>, launch: LaunchOptions) -> FunctionHost {
        let (requests, calls) = std::sync::mpsc::channel::<FunctionCall>();
        let name = spec.name.clone();
        let spawned = std::thread::Builder::new().name(format!("iac-functions-{name}")).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    for c in calls {
                        let _ = c.reply.send(Err(ProviderError::Other(format!("provider {}: cannot start a runtime for functions: {e}", spec.name))));
                    }
                    return;
                }
            };
            let mut host: Option<provider::PluginProvider> = None;
            for call in calls {
                let result = rt.block_on(async {
                    if host.is_none() {
                        host = Some(provider::PluginProvider::launch(&spec, schema.clone(), &launch).await?);
                    }
                    host.as_ref().expect("launched above").call_function(&call.name, &call.args).await
                });
                let _ = call.reply.send(result);
            }
            if let Some(h) = host.take() {
                rt.block_on(h.shutdown());
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(provider = %name, "cannot start the function host thread: {e}");
        }
        FunctionHost { requests }
    }
}

async fn read_schema_from_plugin(spec: &PluginSpec, launch: &LaunchOptions) -> Result<PluginSchema, PluginError> {
    let proc = process::PluginProcess::start(&spec.name, &spec.binary, launch).await?;
    let rpc = client::Rpc::new(proc.protocol, proc.channel.clone());
    let asked = Instant::now();
    let result = rpc.get_schema().await;
    tracing::debug!(provider = %spec.name, elapsed_ms = asked.elapsed().as_millis() as u64, "GetProviderSchema answered");
    let crashed = proc.exit_report();
    proc.shutdown().await;
    let (schema, diags) =
        result.map_err(|e| PluginError::Schema { provider: spec.name.clone(), message: crashed.map(|c| format!("{e}; {c}")).unwrap_or(e) })?;
    let errors: Vec<String> = diags.iter().filter(|d| d.severity == client::Severity::Error).map(|d| format!("{}: {}", d.summary, d.detail)).collect();
    if !errors.is_empty() {
        return Err(PluginError::Schema { provider: spec.name.clone(), message: errors.join("; ") });
    }
    Ok(schema)
}

/// The SHA-256 of the plugin binary. Hashing hashicorp/aws (700 MB) takes
/// a noticeable part of a second, so with a cache directory the digest is
/// remembered per (path, size, mtime, inode), as git's index does: a
/// replaced binary changes at least one of them.
async fn binary_sha256(spec: &PluginSpec) -> Result<String, PluginError> {
    let io = |what: &str, e: std::io::Error| PluginError::Io { provider: spec.name.clone(), message: format!("{what} {}: {e}", spec.binary.display()) };
    let meta = tokio::fs::metadata(&spec.binary).await.map_err(|e| io("cannot read plugin binary", e))?;
    let stamp = {
        use std::os::unix::fs::MetadataExt;
        let canonical = tokio::fs::canonicalize(&spec.binary).await.unwrap_or_else(|_| spec.binary.clone());
        let key = format!("{}\0{}\0{}\0{}\0{}", canonical.display(), meta.len(), meta.mtime(), meta.mtime_nsec(), meta.ino());
        hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.as_bytes()).as_ref())
    };
    let index = spec.schema_cache_dir.as_ref().map(|d| d.join("binaries").join(&stamp));
    if let Some(p) = &index {
        if let Ok(s) = tokio::fs::read_to_string(p).await {
            let s = s.trim();
            if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(s.to_string());
            }
        }
    }
    let binary = spec.binary.clone();
    let digest = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        use std::io::Read;
        let mut f = std::fs::File::open(&binary)?;
        let mut h = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(hex(h.finish().as_ref()))
    })
    .await
    .map_err(|e| PluginError::Io { provider: spec.name.clone(), message: format!("hashing the plugin binary: {e}") })?
    .map_err(|e| io("cannot hash plugin binary", e))?;
    if let Some(p) = &index {
        let _ = write_atomic(p, digest.as_bytes()).await;
    }
    Ok(digest)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn read_cache(path: &std::path::Path, sha256: &str) -> Option<PluginSchema> {
    let bytes = tokio::fs::read(path).await.ok()?;
    let parsed = tokio::task::spawn_blocking(move || serde_json::from_slice::<CacheFile>(&bytes)).await.ok()?;
    match parsed {
        Ok(c) if c.format == CACHE_FORMAT && c.sha256 == sha256 => Some(c.schema),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(path = %path.display(), "ignoring unreadable schema cache file: {e}");
            None
        }
    }
}

/// A cache that cannot be written only costs time on the next run.
async fn write_cache(provider: &str, path: &std::path::Path, sha256: &str, schema: &PluginSchema) {
    let file = CacheFile { format: CACHE_FORMAT, sha256: sha256.to_string(), schema: schema.clone() };
    let bytes = match tokio::task::spawn_blocking(move || serde_json::to_vec(&file)).await {
        Ok(Ok(b)) => b,
        _ => return,
    };
    if let Err(e) = write_atomic(path, &bytes).await {
        tracing::warn!(provider, path = %path.display(), "cannot write the schema cache: {e}");
    }
}

/// Write to a temporary file and rename, so readers never see half a file.
async fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, path).await
}
