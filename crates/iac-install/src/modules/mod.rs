//! Module installation, as `terraform init` does it: each non-local module
//! call is fetched into `.terraform/modules/<key>` (registry modules through
//! the module registry protocol, git repositories with the `git` program,
//! http(s) archives, Amazon S3 (`s3::`, SigV4-signed) and Google Cloud
//! Storage (`gcs::`)) and recorded in Terraform's manifest
//! `.terraform/modules/modules.json`, which the loader reads later without
//! any network.
//!
//! The caller (the CLI) walks the configuration: it hands each module call
//! to [`ModuleInstaller::install`] with its source already parsed (this
//! crate does not read the language) and reads the returned directory for
//! the next level of calls.

mod archive;
mod gcs;
mod git;
pub(crate) mod registry;
mod s3;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cliconfig::CliConfig;
use crate::version::{Constraints, Version};

/// Relative to the stack directory, as Terraform keeps them.
pub const MODULES_DIR: &str = ".terraform/modules";
pub const MANIFEST: &str = ".terraform/modules/modules.json";

/// What a module call asks for, parsed by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `./x`, `../x`: a directory of the calling module's package.
    Local(String),
    Registry {
        host: String,
        namespace: String,
        name: String,
        provider: String,
        subdir: String,
    },
    /// A go-getter package address (`git::URL?ref=`, `https://h/x.tar.gz`).
    Remote {
        package: String,
        subdir: String,
    },
}

/// One module call to install.
#[derive(Clone, Debug)]
pub struct Call {
    /// `vpc`, `vpc.subnets`: the call names from the root, joined by dots.
    pub key: String,
    pub source: Source,
    /// The source in Terraform's normalized form: what the manifest records.
    pub source_text: String,
    /// The `version` constraint as written.
    pub version: Option<String>,
    /// The calling module's directory, relative to the stack (`.`, or a
    /// manifest `Dir` such as `.terraform/modules/vpc`).
    pub parent_dir: String,
}

/// One entry of `modules.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Source")]
    pub source: String,
    #[serde(rename = "Version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(rename = "Dir")]
    pub dir: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    #[serde(rename = "Modules")]
    modules: Vec<Record>,
}

/// What became of one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Local,
    /// Fetched now.
    Downloaded,
    /// Already installed for the same source and a version the constraint allows.
    Reused,
}

#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot reach {host}: {why}")]
    Unreachable { host: String, why: String },
    #[error("{url}: the server answered {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Http { url: String, status: u16, body: String },
    #[error("{host} does not offer a {} registry (no {service} in its service discovery document{why})", if service == "providers.v1" { "provider" } else { "module" })]
    NoRegistryService { host: String, service: String, why: String },
    #[error("registry module {addr} does not exist on {host}")]
    ModuleNotFound { addr: String, host: String },
    #[error("no version of {addr} matches {constraint:?}; available: {}", if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    NoMatchingVersion { addr: String, constraint: String, available: Vec<String> },
    #[error("invalid version constraint {text:?}: {why}")]
    BadConstraint { text: String, why: String },
    #[error("{url}: the registry gave no download location (no X-Terraform-Get header or location)")]
    NoDownloadLocation { url: String },
    #[error("git ref {reference:?} not found in {url}")]
    GitRefNotFound { url: String, reference: String },
    #[error("git could not fetch {url}: {why}")]
    Git { url: String, why: String },
    #[error("the archive {url} is corrupt: {why}")]
    ArchiveCorrupt { url: String, why: String },
    #[error("{source_text}: {why}")]
    BadSource { source_text: String, why: String },
    #[error("no credentials for {url}: {why}")]
    NoCredentials { url: String, why: String },
    #[error("{url}: {what}")]
    NotFound { url: String, what: String },
    #[error("{what} is not supported by iac yet")]
    Unsupported { what: String },
    #[error("the package {package} has no directory {subdir:?}")]
    NoSubdir { package: String, subdir: String },
    #[error("{path}: unreadable module manifest ({why}); delete it and run iac init")]
    BadManifest { path: PathBuf, why: String },
}

impl ModuleError {
    /// Whether the problem is the `version` argument's (else the `source`'s).
    pub fn concerns_version(&self) -> bool {
        matches!(self, ModuleError::NoMatchingVersion { .. } | ModuleError::BadConstraint { .. })
    }
}

pub struct Options {
    /// Re-resolve every module even when an installed one would do.
    pub upgrade: bool,
    pub cli: CliConfig,
    /// The environment (`TF_TOKEN_*`), passed in so tests control it.
    pub env: BTreeMap<String, String>,
}

pub struct ModuleInstaller {
    root: PathBuf,
    options: Options,
    previous: BTreeMap<String, Record>,
    records: Vec<Record>,
    http: Option<registry::Http>,
}

impl ModuleInstaller {
    /// Reads what an earlier `iac init` recorded under `root` (the stack).
    pub fn new(root: &Path, options: Options) -> Result<ModuleInstaller, ModuleError> {
        let path = root.join(MANIFEST);
        let previous = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str::<Manifest>(&text).map_err(|e| ModuleError::BadManifest { path: path.clone(), why: e.to_string() })?.modules,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(ModuleError::Io { path, source: e }),
        };
        Ok(ModuleInstaller {
            root: root.to_path_buf(),
            options,
            previous: previous.into_iter().map(|r| (r.key.clone(), r)).collect(),
            records: vec![Record { key: String::new(), source: String::new(), version: None, dir: ".".into() }],
            http: None,
        })
    }

    /// Installs one call (or finds it installed) and returns its record;
    /// `record.dir` is the module's directory relative to the stack.
    pub fn install(&mut self, call: &Call) -> Result<(Record, Outcome), ModuleError> {
        let _span = tracing::info_span!("module", key = %call.key, source = %call.source_text).entered();
        let (record, outcome) = match &call.source {
            Source::Local(path) => {
                (Record { key: call.key.clone(), source: call.source_text.clone(), version: None, dir: join_rel(&call.parent_dir, path) }, Outcome::Local)
            }
            _ => match self.reusable(call)? {
                Some(r) => (r, Outcome::Reused),
                None => (self.download(call)?, Outcome::Downloaded),
            },
        };
        tracing::debug!(dir = %record.dir, ?outcome, "module ready");
        self.records.push(record.clone());
        Ok((record, outcome))
    }

    /// Writes `modules.json` with every call installed, sorted by key.
    pub fn finish(mut self) -> Result<Vec<Record>, ModuleError> {
        self.records.sort_by(|a, b| a.key.cmp(&b.key));
        // A stack without module calls gets no .terraform/modules at all, as
        // with Terraform; one that had some gets its record brought up to date.
        if self.records.len() == 1 && self.previous.is_empty() {
            return Ok(self.records);
        }
        let dir = self.root.join(MODULES_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| ModuleError::Io { path: dir.clone(), source: e })?;
        let text = serde_json::to_string(&Manifest { modules: self.records.clone() }).expect("records serialize");
        // Written whole, then renamed: a reader never sees half a manifest.
        let tmp = dir.join(".modules.json.tmp");
        let path = self.root.join(MANIFEST);
        std::fs::write(&tmp, text).map_err(|e| ModuleError::Io { path: tmp.clone(), source: e })?;
        std::fs::rename(&tmp, &path).map_err(|e| ModuleError::Io { path, source: e })?;
        Ok(self.records)
    }

    /// The earlier installation of this call, when it still serves.
    fn reusable(&self, call: &Call) -> Result<Option<Record>, ModuleError> {
        if self.options.upgrade {
            return Ok(None);
        }
        let Some(prev) = self.previous.get(&call.key) else { return Ok(None) };
        if prev.source != call.source_text || !self.root.join(&prev.dir).is_dir() {
            return Ok(None);
        }
        if let (Some(c), Source::Registry { .. }) = (&call.version, &call.source) {
            let constraints = parse_constraints(c)?;
            let ok = prev.version.as_deref().and_then(|v| Version::parse(v).ok()).is_some_and(|v| constraints.allows(&v));
            if !ok {
                return Ok(None);
            }
        }
        Ok(Some(prev.clone()))
    }

    fn download(&mut self, call: &Call) -> Result<Record, ModuleError> {
        let modules = self.root.join(MODULES_DIR);
        std::fs::create_dir_all(&modules).map_err(|e| ModuleError::Io { path: modules.clone(), source: e })?;
        // Fetched into a scratch directory and renamed into place at the end,
        // so a failure leaves the previous installation (or nothing), never half.
        let tmp = modules.join(format!(".installing-{}-{}", call.key, std::process::id()));
        remove_dir(&tmp)?;
        let result = self.fetch_call(call, &tmp);
        let (version, subdir) = match result {
            Ok(x) => x,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        if !subdir.is_empty() && !tmp.join(&subdir).is_dir() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(ModuleError::NoSubdir { package: call.source_text.clone(), subdir });
        }
        let target = modules.join(&call.key);
        remove_dir(&target)?;
        std::fs::rename(&tmp, &target).map_err(|e| ModuleError::Io { path: target.clone(), source: e })?;
        let mut dir = format!("{MODULES_DIR}/{}", call.key);
        if !subdir.is_empty() {
            dir = format!("{dir}/{subdir}");
        }
        Ok(Record { key: call.key.clone(), source: call.source_text.clone(), version: version.map(|v| v.to_string()), dir })
    }

    /// Fetches the call's package into `dest`; returns the chosen version
    /// (registry modules) and the module's directory inside the package.
    fn fetch_call(&mut self, call: &Call, dest: &Path) -> Result<(Option<Version>, String), ModuleError> {
        match &call.source {
            Source::Local(_) => unreachable!("local modules are not downloaded"),
            Source::Remote { package, subdir } => {
                let inner = self.fetch_package(package, dest, None)?;
                Ok((None, join_sub(&inner, subdir)))
            }
            Source::Registry { host, namespace, name, provider, subdir } => {
                let constraints = match &call.version {
                    Some(c) => parse_constraints(c)?,
                    None => Constraints::default(),
                };
                let http = ensure_http(&mut self.http)?;
                let addr = format!("{namespace}/{name}/{provider}");
                let base = registry::discover(http, &self.options.cli, &self.options.env, host)?;
                let token = self.options.cli.token_for(host, &self.options.env);
                let versions = registry::versions(http, &base, &addr, host, token.as_ref())?;
                let chosen = constraints.newest(&versions).cloned().ok_or_else(|| {
                    let mut available = versions.clone();
                    available.sort();
                    ModuleError::NoMatchingVersion {
                        addr: format!("{host}/{addr}"),
                        constraint: call.version.clone().unwrap_or_default(),
                        available: available.iter().map(|v| v.to_string()).collect(),
                    }
                })?;
                tracing::info!(module = %addr, version = %chosen, "registry module version chosen");
                let location = registry::download_location(http, &base, &addr, &chosen, token.as_ref())?;
                let (pkg, inner) = split_subdir(&location);
                // A location on the registry's own host may need the same token.
                let same_host = registry::host_of(&pkg).is_some_and(|h| h.eq_ignore_ascii_case(host));
                let got = self.fetch_package(&pkg, dest, if same_host { token.as_ref() } else { None })?;
                Ok((Some(chosen), join_sub(&join_sub(&got, &inner), subdir)))
            }
        }
    }

    /// Fetches a go-getter package address into `dest`; returns a
    /// subdirectory the address itself named (`//dir`), if any.
    fn fetch_package(&mut self, package: &str, dest: &Path, token: Option<&crate::cliconfig::Token>) -> Result<String, ModuleError> {
        let (pkg, sub) = split_subdir(package);
        if let Some(url) = pkg.strip_prefix("git::") {
            git::clone(url, dest)?;
            return Ok(sub);
        }
        if let Some(rest) = pkg.strip_prefix("s3::") {
            let (url, kind) = archive::kind(rest);
            let http = ensure_http(&mut self.http)?;
            s3::fetch(http, &url, kind, dest, &self.options.env)?;
            return Ok(sub);
        }
        if let Some(rest) = pkg.strip_prefix("gcs::") {
            let (url, kind) = archive::kind(rest);
            let http = ensure_http(&mut self.http)?;
            gcs::fetch(http, &url, kind, dest, &self.options.env)?;
            return Ok(sub);
        }
        if let Some((getter, _)) = pkg.split_once("::") {
            return Err(ModuleError::Unsupported { what: format!("the {getter}:: getter") });
        }
        if pkg.starts_with("http://") || pkg.starts_with("https://") {
            let http = ensure_http(&mut self.http)?;
            let (url, kind) = archive::kind(&pkg);
            let Some(kind) = kind else {
                return Err(ModuleError::Unsupported {
                    what: format!("{pkg}: an http source that is not an archive (.zip, .tar.gz/.tgz, .tar.xz/.txz, .tar.bz2/.tbz2, .tar, or ?archive=)"),
                });
            };
            let bytes = http.get_bytes(&url, token)?;
            archive::unpack(kind, &bytes, dest, &url)?;
            return Ok(sub);
        }
        Err(ModuleError::Unsupported { what: format!("the package address {pkg:?}") })
    }
}

/// The HTTP client, made on first use: installs from git or the cache need none.
fn ensure_http(slot: &mut Option<registry::Http>) -> Result<&registry::Http, ModuleError> {
    if slot.is_none() {
        *slot = Some(registry::Http::new()?);
    }
    Ok(slot.as_ref().expect("set above"))
}

fn parse_constraints(text: &str) -> Result<Constraints, ModuleError> {
    Constraints::parse(text).map_err(|e| ModuleError::BadConstraint { text: text.to_string(), why: e.to_string() })
}

fn remove_dir(p: &Path) -> Result<(), ModuleError> {
    match std::fs::remove_dir_all(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ModuleError::Io { path: p.to_path_buf(), source: e }),
    }
}

fn join_sub(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// `parent` joined with a relative path and cleaned, with `/` separators,
/// as Terraform writes `Dir` (`modules/x`, `.terraform/modules/vpc/modules/x`).
fn join_rel(parent: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let mut ups = 0;
    for p in parent.split('/').chain(rel.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    ups += 1;
                }
            }
            p => parts.push(p),
        }
    }
    let mut out: Vec<&str> = std::iter::repeat_n("..", ups).collect();
    out.extend(parts);
    if out.is_empty() {
        ".".into()
    } else {
        out.join("/")
    }
}

/// go-getter's split of `pkg//subdir?query` into (`pkg?query`, `subdir`);
/// the `//` of `scheme://` is not a subdirectory.
fn split_subdir(src: &str) -> (String, String) {
    let offset = src.find("://").map(|i| i + 3).unwrap_or(0);
    let Some(i) = src[offset..].find("//").map(|i| i + offset) else { return (src.to_string(), String::new()) };
    let (mut pkg, mut sub) = (src[..i].to_string(), src[i + 2..].to_string());
    if let Some(q) = sub.find('?') {
        pkg.push_str(&sub[q..]);
        sub.truncate(q);
    }
    (pkg, sub.trim_matches('/').to_string())
}

/// The value of one query parameter of a URL, and the URL without it.
fn take_query(url: &str, name: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_string(), None) };
    let mut value = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            if k == name {
                value = Some(v.to_string());
                false
            } else {
                true
            }
        })
        .collect();
    let url = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
    (url, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_addresses_split_as_go_getter_splits_them() {
        assert_eq!(join_rel(".", "./modules/x"), "modules/x");
        assert_eq!(join_rel(".terraform/modules/vpc", "./modules/x"), ".terraform/modules/vpc/modules/x");
        assert_eq!(join_rel("modules/a", "../b"), "modules/b");
        assert_eq!(join_rel(".", "../shared"), "../shared");
        assert_eq!(split_subdir("git::https://h/r.git//sub/dir?ref=v1"), ("git::https://h/r.git?ref=v1".into(), "sub/dir".into()));
        assert_eq!(split_subdir("git::file:///tmp/r?ref=v1"), ("git::file:///tmp/r?ref=v1".into(), String::new()));
        assert_eq!(take_query("https://h/r.git?ref=v1&depth=1", "ref"), ("https://h/r.git?depth=1".into(), Some("v1".into())));
        assert_eq!(take_query("https://h/r.git?ref=v1", "ref"), ("https://h/r.git".into(), Some("v1".into())));
    }
}
