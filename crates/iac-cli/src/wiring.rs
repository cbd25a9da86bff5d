//! The one place that chooses concrete providers and state backends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use iac_core::backend::StateBackend;
use iac_engine::providers::Registry;
use iac_lang::config::Backend;

/// The native providers, built into the binary (`terraform_remote_state`
/// reading other stacks' state through [`crate::remote_state`]).
pub fn native_registry() -> Registry {
    let mut r = Registry::new();
    for f in iac_provider_builtin::factories_reading_state(Arc::new(crate::remote_state::CliRemoteStates)) {
        r.register(f);
    }
    r.register(Arc::new(iac_provider_digitalocean::DigitalOceanFactory::from_env()));
    r.register(Arc::new(iac_provider_aws::AwsFactory::from_env()));
    r.register(Arc::new(iac_provider_kubernetes::KubernetesFactory::from_env()));
    r.register(Arc::new(iac_provider_kubernetes::HelmFactory::from_env()));
    r.register(iac_provider_tls::factory());
    r.register(iac_provider_http::factory());
    r.register(iac_provider_cloudinit::factory());
    r
}

/// The providers of the stack in `dir`: the native ones, with the plugins
/// `iac init` installed (`.terraform/iac-providers.json`) registered over
/// them under their local names, after checking each against the lock file.
pub fn registry(dir: &Path) -> Result<Registry, String> {
    let mut r = native_registry();
    let manifest = iac_install::Manifest::read(dir).map_err(|e| e.to_string())?;
    if !manifest.providers.iter().any(|c| !matches!(c, iac_install::Choice::Native { .. })) {
        return Ok(r);
    }
    manifest.verify(dir).map_err(|e| e.to_string())?;
    let cache = schema_cache_dir();
    for choice in &manifest.providers {
        let spec = match choice {
            iac_install::Choice::Native { .. } => continue,
            iac_install::Choice::Plugin { name, source, version, binary, .. } => iac_provider_plugin::PluginSpec {
                name: name.clone(),
                source: source.clone(),
                version: version.clone(),
                binary: binary.clone(),
                schema_cache_dir: cache.clone(),
            },
            iac_install::Choice::DevOverride { name, source, binary } => iac_provider_plugin::PluginSpec {
                name: name.clone(),
                source: source.clone(),
                version: "0.0.0-dev".into(),
                binary: binary.clone(),
                schema_cache_dir: cache.clone(),
            },
        };
        // Commands reach this from synchronous code inside the multi-threaded
        // runtime; loading a schema (from the cache, or from the plugin) is
        // async, so this worker thread is handed over while it waits.
        let factory = tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(iac_provider_plugin::PluginFactory::load(spec)))
            .map_err(|e| e.to_string())?;
        r.register(Arc::new(factory));
    }
    Ok(r)
}

/// Where plugin schemas are cached (keyed by the plugin binary's checksum):
/// `IAC_PLUGIN_SCHEMA_CACHE`, else `$XDG_CACHE_HOME/iac/schemas`, else
/// `~/.cache/iac/schemas`.
fn schema_cache_dir() -> Option<std::path::PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    var("IAC_PLUGIN_SCHEMA_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("iac/schemas")))
        .or_else(|| var("HOME").map(|h| h.join(".cache/iac/schemas")))
}

/// The stack's backend: `terraform { backend "local" | "s3" | "pg" { … } }`
/// with `-backend-config` overrides, or the default local state under the
/// repository's `state/` folder; wrapped in the encryption decorator with
/// the keys from the environment (`IAC_STATE_KEY` / `IAC_STATE_PASSPHRASE`).
pub fn backend(stack_dir: &Path, configured: Option<&Backend>, overrides: &[(String, String)]) -> Result<Arc<dyn StateBackend>, String> {
    backend_of(stack_dir, configured.map(|b| (b.type_.as_str(), &b.settings)), overrides)
}

/// [`backend`] for a backend type and settings given directly (a recorded one).
pub fn backend_of(
    stack_dir: &Path,
    configured: Option<(&str, &BTreeMap<String, serde_json::Value>)>,
    overrides: &[(String, String)],
) -> Result<Arc<dyn StateBackend>, String> {
    let inner = plain_backend(stack_dir, configured, overrides)?;
    Ok(Arc::new(iac_state_crypt::EncryptedBackend::new(inner, state_keys()?)))
}

/// Default state directory of a stack: `<repo>/state/<stack name>`, where the
/// repository root is the nearest ancestor holding a `state/` folder or `.git`;
/// else `.iac-state` in the stack. (The CLI's policy: the engine is given a
/// backend and never chooses where state lives.)
pub fn default_state_dir(stack_dir: &Path) -> PathBuf {
    let abs = stack_dir.canonicalize().unwrap_or_else(|_| stack_dir.to_path_buf());
    let name = abs.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "default".into());
    let mut cur = Some(abs.as_path());
    while let Some(d) = cur {
        if d.join(".git").exists() || d.join("state").is_dir() && d != abs {
            return d.join("state").join(name);
        }
        cur = d.parent();
    }
    abs.join(".iac-state")
}

/// The concrete backend for a backend type and its literal settings, unwrapped.
pub fn plain_backend(
    stack_dir: &Path,
    configured: Option<(&str, &BTreeMap<String, serde_json::Value>)>,
    overrides: &[(String, String)],
) -> Result<Arc<dyn StateBackend>, String> {
    let Some((type_, settings)) = configured else {
        return Ok(Arc::new(iac_state_local::LocalBackend::new(default_state_dir(stack_dir))));
    };
    match type_ {
        "local" => {
            let dir = match local_path(stack_dir, settings, overrides) {
                // An existing directory is iac's own state folder (as iac
                // has always read `path`), kept working.
                Some(p) if p.is_dir() => p,
                // Otherwise `path` names a file, as in Terraform, which
                // holds Terraform's state if anything: iac's own state goes
                // in a folder beside it, so the file is never overwritten
                // (see `terraform_state_file`).
                Some(p) => iac_dir_beside(&p),
                None => default_state_dir(stack_dir),
            };
            Ok(Arc::new(iac_state_local::LocalBackend::new(dir)))
        }
        "s3" => {
            let config = iac_state_s3::S3Config::from_settings(settings, overrides).map_err(|e| e.to_string())?;
            Ok(Arc::new(iac_state_s3::S3Backend::new(config)))
        }
        "pg" => {
            let config = iac_state_pg::PgConfig::from_settings(settings, overrides, std::env::var("PG_CONN_STR").ok()).map_err(|e| e.to_string())?;
            Ok(Arc::new(iac_state_pg::PgBackend::new(config)))
        }
        other => Err(format!("backend {other:?} is not available in this build (available: local, s3, pg)")),
    }
}

/// `backend "local"`'s `path` (a `-backend-config` value wins), from the stack.
fn local_path(stack_dir: &Path, settings: &BTreeMap<String, serde_json::Value>, overrides: &[(String, String)]) -> Option<std::path::PathBuf> {
    let path =
        overrides.iter().find(|(k, _)| k == "path").map(|(_, v)| v.clone()).or_else(|| settings.get("path").and_then(|v| v.as_str()).map(str::to_string))?;
    Some(stack_dir.join(path))
}

/// iac's state folder for a `backend "local" { path = FILE }`: `FILE.iac`.
pub fn iac_dir_beside(file: &Path) -> std::path::PathBuf {
    let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".iac");
    file.with_file_name(name)
}

/// Where Terraform would keep this stack's state for the same backend
/// configuration, when that is a local file iac does not use as its own:
/// `terraform.tfstate` in the stack without a backend block (or with
/// `backend "local"` and no path), the file `backend "local" { path }`
/// names. None for remote backends (their Terraform state is found by the
/// backend itself) and for a `path` that is iac's own state folder.
pub fn terraform_state_file(
    stack_dir: &Path,
    configured: Option<(&str, &BTreeMap<String, serde_json::Value>)>,
    overrides: &[(String, String)],
) -> Option<std::path::PathBuf> {
    match configured {
        None => Some(stack_dir.join("terraform.tfstate")),
        Some(("local", settings)) => match local_path(stack_dir, settings, overrides) {
            Some(p) if p.is_dir() => None,
            Some(p) => Some(p),
            None => Some(stack_dir.join("terraform.tfstate")),
        },
        Some(_) => None,
    }
}

/// The state keys from the environment: `IAC_STATE_KEY` (32 bytes, base64
/// or hex) or `IAC_STATE_PASSPHRASE` to seal and open; `IAC_STATE_OLD_KEY` /
/// `IAC_STATE_OLD_PASSPHRASE` to open only (during `iac state rekey`).
/// With none set, state is written plain and sealed state is refused with
/// its key id.
pub fn state_keys() -> Result<Arc<iac_state_crypt::Keyring>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let source = |key: &str, pass: &str| -> Result<Option<iac_state_crypt::KeySource>, String> {
        match (var(key), var(pass)) {
            (Some(_), Some(_)) => Err(format!("set {key} or {pass}, not both")),
            (Some(k), None) => iac_state_crypt::parse_key(key, &k).map(|k| Some(iac_state_crypt::KeySource::Raw(k))).map_err(|e| e.to_string()),
            (None, Some(p)) => iac_state_crypt::passphrase(&p).map(Some).map_err(|e| e.to_string()),
            (None, None) => Ok(None),
        }
    };
    let seal = source("IAC_STATE_KEY", "IAC_STATE_PASSPHRASE")?;
    let old = source("IAC_STATE_OLD_KEY", "IAC_STATE_OLD_PASSPHRASE")?;
    Ok(Arc::new(iac_state_crypt::Keyring::new(seal, old.into_iter().collect())))
}

/// Seals a saved plan's bytes when a state key is set (plans hold the same
/// secrets as state); plain otherwise.
pub fn seal_plan(json: Vec<u8>) -> Result<Vec<u8>, String> {
    let keys = state_keys()?;
    if !keys.seals() {
        return Ok(json);
    }
    keys.seal(iac_state_crypt::Purpose::Plan, &json).map_err(|e| e.to_string())
}

/// Opens a saved plan sealed by [`seal_plan`]; plain plans pass through.
pub fn open_plan(bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>, String> {
    if !iac_state_crypt::is_sealed(&bytes) {
        return Ok(bytes);
    }
    state_keys()?.open(iac_state_crypt::Purpose::Plan, &bytes, &format!("saved plan {}", path.display())).map_err(|e| e.to_string())
}

#[cfg(test)]
mod conformance_coverage {
    //! Architecture Invariant: every resource type, data source and
    //! ephemeral resource type of every native provider runs the provider
    //! conformance suite. A type counts as covered when a conformance test
    //! source (a file whose name contains `conformance`, under a crate's
    //! `tests/` or the workspace's `tests/`) declares a block of it.

    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn conformance_sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                conformance_sources(&p, out);
            } else if p.file_name().is_some_and(|n| n.to_string_lossy().contains("conformance"))
                || p.components().any(|c| c.as_os_str() == "conformance")
                || std::fs::read_to_string(&p).is_ok_and(|t| t.contains("conformance::provider"))
            {
                out.push(p);
            }
        }
    }

    /// The `(kind, type)` pairs of `resource "T"`, `data "T"` and `ephemeral "T"` blocks in a
    /// text, with or without the quotes escaped (Rust string literals).
    fn declared_types(text: &str) -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        for kind in ["resource", "data", "ephemeral"] {
            for (i, _) in text.match_indices(kind) {
                let before = text[..i].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                    continue;
                }
                let rest = text[i + kind.len()..].trim_start_matches([' ', '\t']);
                let Some(rest) = rest.strip_prefix("\\\"").or_else(|| rest.strip_prefix('"')) else { continue };
                let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.insert((kind.to_string(), name));
                }
            }
        }
        found
    }

    #[test]
    fn the_scanner_reads_escaped_and_plain_blocks() {
        let text = "x resource \\\"aws_vpc\\\" \\\"a\\\" {}\ndata \"aws_region\" \"r\" {}\nmetadata \"no\"\nephemeral \"random_password\" \"p\" {}";
        let found = declared_types(text);
        assert!(found.contains(&("resource".into(), "aws_vpc".into())));
        assert!(found.contains(&("data".into(), "aws_region".into())));
        assert!(found.contains(&("ephemeral".into(), "random_password".into())));
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn every_native_type_has_a_conformance_case() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(root.join("crates")).expect("the crates directory").flatten() {
            conformance_sources(&entry.path().join("tests"), &mut files);
        }
        conformance_sources(&root.join("tests"), &mut files);
        assert!(!files.is_empty(), "no conformance test sources found under {}", root.display());
        let mut covered = BTreeSet::new();
        for f in &files {
            covered.extend(declared_types(&std::fs::read_to_string(f).unwrap_or_default()));
        }
        let registry = super::native_registry();
        let mut missing = Vec::new();
        for name in registry.names() {
            let schema = registry.get(name).expect("registered").schema();
            let types = schema
                .resources
                .keys()
                .map(|t| ("resource", t))
                .chain(schema.data_sources.keys().map(|t| ("data", t)))
                .chain(schema.ephemeral_resources.keys().map(|t| ("ephemeral", t)));
            for (kind, t) in types {
                if !covered.contains(&(kind.to_string(), t.clone())) {
                    missing.push(format!("{kind} {t} (provider {name})"));
                }
            }
        }
        assert!(missing.is_empty(), "native types without a provider conformance case:\n  {}", missing.join("\n  "));
    }
}
