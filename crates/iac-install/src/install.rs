//! Choosing and installing each provider a stack needs, and the record of
//! that choice (`.terraform/iac-providers.json`) that later commands read
//! without searching or hashing again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cliconfig::{CliConfig, Method};
use crate::hash::h1_dir;
use crate::lockfile::{LockFile, LockedProvider};
use crate::mirror::{self, Package};
use crate::source::ProviderSource;
use crate::version::{Constraints, Version};
use crate::InstallError;

pub const MANIFEST: &str = ".terraform/iac-providers.json";

/// What the configuration asks for one provider local name.
#[derive(Clone, Debug)]
pub struct Requirement {
    pub name: String,
    pub source: ProviderSource,
    /// Whether a `required_providers` entry gave the source (a ported
    /// configuration asking for exactly that provider) rather than Terraform
    /// implying `hashicorp/NAME`.
    pub explicit: bool,
    pub constraints: Constraints,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-plugin-dir`: only these mirrors are searched, as in Terraform.
    pub plugin_dirs: Vec<PathBuf>,
    /// `-upgrade`: choose again within the constraints, ignoring the lock file.
    pub upgrade: bool,
    pub cli: CliConfig,
    /// Names iac implements natively.
    pub native: BTreeSet<String>,
    /// Names the user chose to run natively (`-native=NAME`).
    pub prefer_native: BTreeSet<String>,
    pub home: Option<PathBuf>,
    /// The environment (`TF_TOKEN_*` registry tokens), passed in so tests control it.
    pub env: BTreeMap<String, String>,
}

/// How one provider will run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "implementation", rename_all = "snake_case")]
pub enum Choice {
    /// iac's own implementation, in the binary.
    Native { name: String, why: String },
    /// A plugin binary over Terraform's plugin protocol.
    Plugin { name: String, source: String, version: String, dir: PathBuf, binary: PathBuf, h1: String, size: u64, mtime_ns: u64 },
    /// A `dev_overrides` binary: no version, no lock file entry.
    DevOverride { name: String, source: String, binary: PathBuf },
}

impl Choice {
    pub fn name(&self) -> &str {
        match self {
            Choice::Native { name, .. } | Choice::Plugin { name, .. } | Choice::DevOverride { name, .. } => name,
        }
    }

    /// One line for `iac init`: which implementation, version and location.
    pub fn describe(&self) -> String {
        match self {
            Choice::Native { name, why } => format!("provider {name}: built in ({why})"),
            Choice::Plugin { name, source, version, binary, .. } => format!("provider {name}: plugin {source} v{version} ({})", binary.display()),
            Choice::DevOverride { name, source, binary } => format!("provider {name}: development override of {source} ({}); not locked", binary.display()),
        }
    }
}

/// What `iac init` decided, read back by every later command.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub providers: Vec<Choice>,
    /// Names chosen to run natively by `-native`, kept for later inits.
    #[serde(default)]
    pub prefer_native: BTreeSet<String>,
    /// `-plugin-dir` values, kept for later inits (as Terraform's plugin_path).
    #[serde(default)]
    pub plugin_dirs: Vec<PathBuf>,
}

impl Manifest {
    /// The manifest of a stack directory; empty when `iac init` never ran.
    pub fn read(dir: &Path) -> Result<Manifest, InstallError> {
        let path = dir.join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| InstallError::BadManifest { path, why: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(InstallError::Io { path, source: e }),
        }
    }

    fn write(&self, dir: &Path) -> Result<(), InstallError> {
        let path = dir.join(MANIFEST);
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).map_err(|e| InstallError::Io { path: parent.to_path_buf(), source: e })?;
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self).map_err(|e| InstallError::BadManifest { path: path.clone(), why: e.to_string() })?;
        std::fs::write(&tmp, text).map_err(|e| InstallError::Io { path: tmp.clone(), source: e })?;
        std::fs::rename(&tmp, &path).map_err(|e| InstallError::Io { path, source: e })
    }

    /// Checks, before a command uses the plugins, that each is still the
    /// package the lock file names: a binary changed since `iac init` is
    /// hashed again and must match. Cheap when nothing changed (size and
    /// modification time), so plan does not hash 700 MB on every run.
    pub fn verify(&self, dir: &Path) -> Result<(), InstallError> {
        let lock = LockFile::read(dir)?;
        for choice in &self.providers {
            let Choice::Plugin { name, source, version, dir: pkg, binary, h1, size, mtime_ns } = choice else { continue };
            let src = ProviderSource::parse(source)?;
            let Some(locked) = lock.providers.get(&src) else {
                return Err(InstallError::NotLocked { name: name.clone(), addr: source.clone() });
            };
            if &locked.version != version {
                return Err(InstallError::LockChanged { name: name.clone(), locked: locked.version.clone(), installed: version.clone() });
            }
            let (now_size, now_mtime) =
                stamp(binary).map_err(|e| InstallError::PluginMissing { name: name.clone(), path: binary.clone(), why: e.to_string() })?;
            let hash = if (now_size, now_mtime) == (*size, *mtime_ns) { h1.clone() } else { h1_dir(pkg)? };
            if !locked.hashes.is_empty() && locked.hashes.iter().any(|h| h.starts_with("h1:")) && !locked.hashes.contains(&hash) {
                return Err(InstallError::ChecksumMismatch {
                    name: name.clone(),
                    addr: source.clone(),
                    version: version.clone(),
                    got: hash,
                    locked: locked.hashes.clone(),
                });
            }
        }
        Ok(())
    }
}

fn stamp(path: &Path) -> std::io::Result<(u64, u64)> {
    let meta = std::fs::metadata(path)?;
    let mtime = meta.modified()?.duration_since(std::time::UNIX_EPOCH).map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)).unwrap_or(0);
    Ok((meta.len(), mtime))
}

/// Chooses an implementation for every requirement, installs plugins into
/// `.terraform/providers`, and writes the lock file and the manifest.
/// Nothing is written unless every provider could be chosen.
pub fn install(dir: &Path, requirements: &[Requirement], options: &Options) -> Result<Manifest, InstallError> {
    let previous = Manifest::read(dir).unwrap_or_default();
    let prefer_native: BTreeSet<String> = options.prefer_native.union(&previous.prefer_native).cloned().collect();
    let plugin_dirs = if options.plugin_dirs.is_empty() { previous.plugin_dirs.clone() } else { options.plugin_dirs.clone() };
    let old_lock = LockFile::read(dir)?;
    let mut lock = LockFile::default();
    let mut choices = Vec::new();
    for req in requirements {
        if prefer_native.contains(&req.name) {
            if !options.native.contains(&req.name) {
                return Err(InstallError::NoNative { name: req.name.clone() });
            }
            choices.push(Choice::Native { name: req.name.clone(), why: "chosen with -native".into() });
            continue;
        }
        if let Some(d) = options.cli.dev_overrides.get(&req.source) {
            let binary = mirror::find_binary(d, &req.source.type_)?.ok_or_else(|| InstallError::PluginMissing {
                name: req.name.clone(),
                path: d.clone(),
                why: format!("no terraform-provider-{} executable in the dev_overrides directory", req.source.type_),
            })?;
            choices.push(Choice::DevOverride { name: req.name.clone(), source: req.source.to_string(), binary });
            continue;
        }
        let locked = old_lock.providers.get(&req.source).filter(|_| !options.upgrade);
        let may_be_native = options.native.contains(&req.name) && (!req.explicit || is_native_counterpart(&req.source));
        match obtain(dir, req, locked, &plugin_dirs, options, may_be_native)? {
            Some(Got::Placed { package: pkg, h1, zh }) => {
                let mut hashes: Vec<String> = locked.filter(|l| l.version == pkg.version.to_string()).map(|l| l.hashes.clone()).unwrap_or_default();
                hashes.push(h1.clone());
                hashes.extend(zh);
                hashes.sort();
                hashes.dedup();
                let constraints = (!req.constraints.is_empty()).then(|| req.constraints.canonical());
                lock.providers.insert(req.source.clone(), LockedProvider { version: pkg.version.to_string(), constraints, hashes });
                let target = match options.cli.plugin_cache_dir.as_deref() {
                    Some(cache) => link_package(dir, &req.source, &pkg, Some(cache))?,
                    None => pkg.dir.clone(),
                };
                let binary = target.join(pkg.binary.file_name().unwrap_or_default());
                let (size, mtime_ns) = stamp(&binary).map_err(|e| InstallError::Io { path: binary.clone(), source: e })?;
                choices.push(Choice::Plugin {
                    name: req.name.clone(),
                    source: req.source.to_string(),
                    version: pkg.version.to_string(),
                    dir: target,
                    binary,
                    h1,
                    size,
                    mtime_ns,
                });
            }
            Some(Got::Linked(pkg)) => {
                let h1 = h1_dir(&pkg.dir)?;
                let mut hashes = locked.filter(|l| l.version == pkg.version.to_string()).map(|l| l.hashes.clone()).unwrap_or_default();
                if hashes.iter().any(|h| h.starts_with("h1:")) && !hashes.contains(&h1) {
                    return Err(InstallError::ChecksumMismatch {
                        name: req.name.clone(),
                        addr: req.source.to_string(),
                        version: pkg.version.to_string(),
                        got: h1,
                        locked: hashes,
                    });
                }
                if !hashes.contains(&h1) {
                    hashes.push(h1.clone());
                    hashes.sort();
                }
                let constraints = (!req.constraints.is_empty()).then(|| req.constraints.canonical());
                lock.providers.insert(req.source.clone(), LockedProvider { version: pkg.version.to_string(), constraints, hashes });
                let target = link_package(dir, &req.source, &pkg, options.cli.plugin_cache_dir.as_deref())?;
                let binary = target.join(pkg.binary.file_name().unwrap_or_default());
                let (size, mtime_ns) = stamp(&binary).map_err(|e| InstallError::Io { path: binary.clone(), source: e })?;
                choices.push(Choice::Plugin {
                    name: req.name.clone(),
                    source: req.source.to_string(),
                    version: pkg.version.to_string(),
                    dir: target,
                    binary,
                    h1,
                    size,
                    mtime_ns,
                });
            }
            None => {
                let why = if req.explicit { format!("no {} plugin installed", req.source.short()) } else { "no plugin required".to_string() };
                choices.push(Choice::Native { name: req.name.clone(), why });
            }
        }
    }
    // A stack whose providers are all native has nothing to lock: no file
    // appears in it (one that exists is kept up to date, even if emptied).
    if !lock.providers.is_empty() || dir.join(crate::lockfile::FILE_NAME).exists() {
        lock.write(dir)?;
    }
    let manifest = Manifest { providers: choices, prefer_native, plugin_dirs };
    manifest.write(dir)?;
    Ok(manifest)
}

/// `iac providers lock`: records in the lock file, for every provider the
/// configuration names with a source (or that iac does not implement), the
/// `h1:` hash of its package on each of `platforms` (`OS_ARCH`) and the
/// `zh:` hashes its registry signs, as `terraform providers lock` does. A
/// provider keeps its locked version while the constraints allow it; hashes
/// already locked for that version are kept. Nothing is installed. Returns
/// the providers locked, with their versions.
pub fn lock(dir: &Path, requirements: &[Requirement], platforms: &[String], options: &Options) -> Result<Vec<(ProviderSource, String)>, InstallError> {
    let old = LockFile::read(dir)?;
    let mut lock = old.clone();
    let mut done = Vec::new();
    for req in requirements {
        if options.cli.dev_overrides.contains_key(&req.source) || (!req.explicit && options.native.contains(&req.name)) {
            continue;
        }
        let locked = old.providers.get(&req.source).filter(|l| Version::parse(&l.version).is_ok_and(|v| req.constraints.allows(&v)));
        let want = crate::provider_registry::Wanted { name: &req.name, source: &req.source, constraints: &req.constraints, locked };
        let (version, mut hashes) = crate::provider_registry::lock_hashes(&want, &options.cli, &options.env, platforms)?;
        if let Some(l) = locked.filter(|l| l.version == version.to_string()) {
            hashes.extend(l.hashes.iter().cloned());
            hashes.sort();
            hashes.dedup();
        }
        let constraints = (!req.constraints.is_empty()).then(|| req.constraints.canonical());
        lock.providers.insert(req.source.clone(), LockedProvider { version: version.to_string(), constraints, hashes });
        done.push((req.source.clone(), version.to_string()));
    }
    lock.write(dir)?;
    Ok(done)
}

/// `iac providers mirror DIR`: downloads each registry provider's package
/// for every platform into `DIR` in the packed layout
/// (`HOST/NS/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip`) and writes,
/// for every provider found there (new or already present), the network
/// mirror protocol's `index.json` and `VERSION.json` with each archive's
/// `h1:` hash, as `terraform providers mirror` does, so the directory serves
/// as a network mirror's document root. The version is the lock file's when
/// `use_lock` and it has one, else the newest the constraints allow.
pub fn mirror_to(
    dir: &Path,
    out: &Path,
    requirements: &[Requirement],
    platforms: &[String],
    use_lock: bool,
    options: &Options,
) -> Result<Vec<(ProviderSource, String)>, InstallError> {
    let lock = if use_lock { LockFile::read(dir)? } else { LockFile::default() };
    let mut done = Vec::new();
    for req in requirements {
        if options.cli.dev_overrides.contains_key(&req.source) || (!req.explicit && options.native.contains(&req.name)) {
            continue;
        }
        let locked = lock.providers.get(&req.source);
        let want = crate::provider_registry::Wanted { name: &req.name, source: &req.source, constraints: &req.constraints, locked };
        let (version, _) = crate::provider_registry::fetch_platforms(&want, &options.cli, &options.env, platforms, Some(out))?;
        done.push((req.source.clone(), version.to_string()));
    }
    write_mirror_indexes(out)?;
    Ok(done)
}

/// Writes `index.json` and `VERSION.json` beside the packed packages of
/// every `HOST/NS/TYPE` directory under `root`, laid out as Terraform's
/// (two-space indentation, keys sorted, no final newline).
fn write_mirror_indexes(root: &Path) -> Result<(), InstallError> {
    use std::collections::BTreeMap as Map;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e: std::io::Error| InstallError::Io { path: p, source: e }
    };
    let dirs = |p: &Path| -> Result<Vec<PathBuf>, InstallError> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(p).map_err(io(p))?.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        out.sort();
        Ok(out)
    };
    for host in dirs(root)? {
        for ns in dirs(&host)? {
            for ty in dirs(&ns)? {
                let type_name = ty.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
                let prefix = format!("terraform-provider-{type_name}_");
                // version -> platform -> {hashes, url}
                let mut by_version: Map<String, Map<String, serde_json::Value>> = Map::new();
                for entry in std::fs::read_dir(&ty).map_err(io(&ty))?.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let Some(rest) = name.strip_prefix(&prefix).and_then(|r| r.strip_suffix(".zip")) else { continue };
                    let mut parts = rest.rsplitn(3, '_');
                    let (Some(arch), Some(os), Some(version)) = (parts.next(), parts.next(), parts.next()) else { continue };
                    if Version::parse(version).is_err() {
                        continue;
                    }
                    let h1 = crate::provider_registry::h1_zip(&entry.path()).map_err(|why| InstallError::BadManifest { path: entry.path(), why })?;
                    let mut archive = Map::new();
                    archive.insert("hashes".to_string(), serde_json::json!([h1]));
                    archive.insert("url".to_string(), serde_json::json!(name));
                    by_version.entry(version.to_string()).or_default().insert(format!("{os}_{arch}"), serde_json::to_value(archive).unwrap_or_default());
                }
                if by_version.is_empty() {
                    continue;
                }
                let versions: Map<String, Map<String, String>> = by_version.keys().map(|v| (v.clone(), Map::new())).collect();
                let write = |file: PathBuf, value: serde_json::Value| -> Result<(), InstallError> {
                    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
                    std::fs::write(&file, text).map_err(io(&file))
                };
                write(ty.join("index.json"), serde_json::json!({ "versions": versions }))?;
                for (version, archives) in by_version {
                    write(ty.join(format!("{version}.json")), serde_json::json!({ "archives": archives }))?;
                }
            }
        }
    }
    Ok(())
}

/// Whether a source is the upstream provider a native implementation
/// stands in for (so a missing plugin may fall back to it).
fn is_native_counterpart(source: &ProviderSource) -> bool {
    source.host == crate::source::DEFAULT_HOST
        && matches!((source.namespace.as_str(), source.type_.as_str()), ("hashicorp", _) | ("digitalocean", "digitalocean"))
}

/// Where a provider may come from, in the CLI configuration's order.
enum Way {
    /// A filesystem mirror directory (either layout).
    Filesystem(PathBuf),
    /// A network mirror, by base URL.
    Network(String),
    /// The origin registry; `implied` when no CLI configuration names
    /// methods (then, as Terraform, only for providers the implied mirrors lack).
    Registry { implied: bool },
}

/// What one method offers for a provider.
enum Offer {
    Filesystem(Vec<mirror::Found>),
    Network(crate::network_mirror::Listing),
    Registry(crate::provider_registry::Listing),
}

impl Offer {
    fn versions(&self) -> Vec<Version> {
        match self {
            Offer::Filesystem(found) => found.iter().map(|f| f.version().clone()).collect(),
            Offer::Network(l) => l.versions().to_vec(),
            Offer::Registry(l) => l.versions(),
        }
    }
}

/// A package ready to use.
enum Got {
    /// An unpacked mirror's directory, to link to where it is.
    Linked(Package),
    /// Unpacked into `.terraform/providers` or the plugin cache now (or by an
    /// earlier init the lock file vouches for): its `h1:` hash and the `zh:`
    /// hashes a registry signed.
    Placed { package: Package, h1: String, zh: Vec<String> },
}

/// The installation methods that admit a provider, in order, and the
/// mirror directories among them (for messages).
fn methods_for(req: &Requirement, plugin_dirs: &[PathBuf], options: &Options, may_be_native: bool) -> (Vec<Way>, Vec<String>) {
    let mut methods = Vec::new();
    if !plugin_dirs.is_empty() {
        methods.extend(plugin_dirs.iter().cloned().map(Way::Filesystem));
    } else {
        match &options.cli.methods {
            Some(configured) => {
                for m in configured.iter().filter(|m| m.admits(&req.source)) {
                    methods.push(match m {
                        Method::FilesystemMirror { path, .. } => Way::Filesystem(path.clone()),
                        Method::NetworkMirror { url, .. } => Way::Network(url.clone()),
                        Method::Direct { .. } => Way::Registry { implied: false },
                    });
                }
            }
            None => {
                methods.extend(mirror::implied_mirrors(options.home.as_deref(), Path::new(".")).into_iter().map(Way::Filesystem));
                // A stack that works offline today must not start needing
                // registry.terraform.io for a provider iac has natively.
                if !may_be_native {
                    methods.push(Way::Registry { implied: true });
                }
            }
        }
    }
    let searched = methods
        .iter()
        .filter_map(|m| match m {
            Way::Filesystem(p) => Some(p.display().to_string()),
            _ => None,
        })
        .collect();
    (methods, searched)
}

/// Finds and installs the package for a requirement as Terraform does:
/// the versions every admitting method offers are pooled; the locked
/// version (which must still satisfy the constraints) or else the newest
/// allowed is chosen; the first method in order offering it installs it.
/// A package an earlier init unpacked and the lock file vouches for is
/// reused without asking anyone. None: no plugin, and a native
/// implementation may serve.
fn obtain(
    dir: &Path,
    req: &Requirement,
    locked: Option<&LockedProvider>,
    plugin_dirs: &[PathBuf],
    options: &Options,
    may_be_native: bool,
) -> Result<Option<Got>, InstallError> {
    if let Some(l) = locked {
        let v = Version::parse(&l.version)?;
        if !req.constraints.allows(&v) {
            return Err(InstallError::LockedVersionRejected { name: req.name.clone(), locked: l.version.clone(), constraints: req.constraints.to_string() });
        }
    }
    let dest = |v: &Version| {
        let rel = Path::new(&req.source.host).join(&req.source.namespace).join(&req.source.type_).join(v.to_string()).join(mirror::platform());
        match options.cli.plugin_cache_dir.as_deref() {
            Some(cache) => cache.join(rel),
            None => dir.join(".terraform/providers").join(rel),
        }
    };
    if let Some(reused) = reusable(req, locked, &dest)? {
        return Ok(Some(reused));
    }
    let (methods, searched) = methods_for(req, plugin_dirs, options, may_be_native);
    let want = crate::provider_registry::Wanted { name: &req.name, source: &req.source, constraints: &req.constraints, locked };
    let mut offers: Vec<Offer> = Vec::new();
    let mut missing: Option<InstallError> = None;
    for m in &methods {
        match m {
            Way::Filesystem(path) => {
                let found = mirror::packages(path, &req.source)?;
                if !found.is_empty() {
                    offers.push(Offer::Filesystem(found));
                }
            }
            Way::Network(url) => match crate::network_mirror::list(&want, url, &options.cli, &options.env)? {
                Some(listing) => offers.push(Offer::Network(listing)),
                None => {
                    tracing::debug!(provider = %req.source, mirror = %url, "not on this network mirror");
                    missing = Some(InstallError::NotOnMirror { name: req.name.clone(), addr: req.source.to_string(), mirror: url.clone() });
                }
            },
            // Implied, the registry is asked only for what no implied mirror has.
            Way::Registry { implied: true } if !offers.is_empty() => {}
            Way::Registry { .. } => match crate::provider_registry::list(&want, &options.cli, &options.env) {
                Ok(listing) => offers.push(Offer::Registry(listing)),
                Err(e @ InstallError::NoSuchProvider { .. }) => missing = Some(e),
                Err(e) => return Err(e),
            },
        }
    }
    let mut all: Vec<Version> = offers.iter().flat_map(Offer::versions).collect();
    all.sort();
    all.dedup();
    let only_mirrors = offers.iter().all(|o| matches!(o, Offer::Filesystem(_)));
    let not_found = || InstallError::NotFound {
        name: req.name.clone(),
        addr: req.source.to_string(),
        constraints: req.constraints.to_string(),
        searched: searched.clone(),
    };
    let version = match want.pick(&all) {
        Ok(v) => v,
        Err(_) if may_be_native && only_mirrors => return Ok(None),
        Err(_) if all.is_empty() => return Err(missing.unwrap_or_else(not_found)),
        Err(_) if only_mirrors => return Err(not_found()),
        Err(e) => return Err(e),
    };
    tracing::debug!(provider = %req.source, %version, offered = all.len(), "version chosen from every installation method's");
    for offer in &offers {
        match offer {
            Offer::Filesystem(found) => match found.iter().find(|f| f.version() == &version) {
                Some(mirror::Found::Unpacked(p)) => return Ok(Some(Got::Linked(p.clone()))),
                Some(mirror::Found::Packed { zip, .. }) => {
                    let (package, h1) = crate::provider_registry::place_local_zip(&want, &version, zip, dest(&version))?;
                    return Ok(Some(Got::Placed { package, h1, zh: Vec::new() }));
                }
                None => {}
            },
            Offer::Network(l) if l.versions().contains(&version) => {
                tracing::debug!(provider = %req.source, mirror = %l.base(), "installing from a network mirror");
                let i = l.install(&want, &version, &dest)?;
                return Ok(Some(Got::Placed { package: i.package, h1: i.h1, zh: i.zh }));
            }
            Offer::Registry(l) if l.versions().contains(&version) => {
                let i = l.install(&want, &version, &dest)?;
                return Ok(Some(Got::Placed { package: i.package, h1: i.h1, zh: i.zh }));
            }
            Offer::Network(_) | Offer::Registry(_) => {}
        }
    }
    Err(not_found())
}

/// The package a previous `iac init` unpacked (from a registry, a network
/// mirror or a packed mirror) when the lock file vouches for it, so a second
/// init neither asks the network nor unpacks hundreds of MB again. A link
/// to an unpacked mirror is not reused: the mirror is searched again.
fn reusable(req: &Requirement, locked: Option<&LockedProvider>, dest: &dyn Fn(&Version) -> PathBuf) -> Result<Option<Got>, InstallError> {
    let Some(l) = locked else { return Ok(None) };
    let v = Version::parse(&l.version)?;
    let d = dest(&v);
    if !std::fs::symlink_metadata(&d).is_ok_and(|m| m.is_dir()) {
        return Ok(None);
    }
    let Some(binary) = mirror::find_binary(&d, &req.source.type_)? else { return Ok(None) };
    let h1 = h1_dir(&d)?;
    if !l.hashes.contains(&h1) {
        return Ok(None);
    }
    tracing::debug!(provider = %req.source, version = %v, "reusing the installed package the lock file names");
    Ok(Some(Got::Placed { package: Package { version: v, dir: d, binary }, h1, zh: Vec::new() }))
}

/// Makes `.terraform/providers/HOST/NS/TYPE/VERSION/OS_ARCH` point at the
/// package: a symbolic link to the mirror's directory, as Terraform does for
/// an unpacked mirror; with a plugin cache, the package is copied into the
/// cache once and linked from there.
fn link_package(dir: &Path, source: &ProviderSource, pkg: &Package, cache: Option<&Path>) -> Result<PathBuf, InstallError> {
    let rel = Path::new(&source.host).join(&source.namespace).join(&source.type_).join(pkg.version.to_string()).join(mirror::platform());
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e: std::io::Error| InstallError::Io { path: p, source: e }
    };
    let origin = match cache {
        Some(cache) => {
            let cached = cache.join(&rel);
            if !cached.is_dir() {
                let tmp = cached.with_extension("partial");
                let _ = std::fs::remove_dir_all(&tmp);
                std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
                for entry in std::fs::read_dir(&pkg.dir).map_err(io(&pkg.dir))?.flatten() {
                    let to = tmp.join(entry.file_name());
                    std::fs::copy(entry.path(), &to).map_err(io(&to))?;
                }
                std::fs::rename(&tmp, &cached).map_err(io(&cached))?;
            }
            cached
        }
        None => pkg.dir.canonicalize().map_err(io(&pkg.dir))?,
    };
    let link = dir.join(".terraform/providers").join(&rel);
    if let Some(parent) = link.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    match std::fs::symlink_metadata(&link) {
        Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(&link).map_err(io(&link))?,
        Ok(_) => std::fs::remove_dir_all(&link).map_err(io(&link))?,
        Err(_) => {}
    }
    symlink_dir(&origin, &link).map_err(io(&link))?;
    Ok(link)
}

#[cfg(unix)]
fn symlink_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

#[cfg(not(unix))]
fn symlink_dir(_from: &Path, _to: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("provider installation needs symbolic links"))
}

/// The requirements of a configuration: one per provider local name used,
/// with the source and constraints its `required_providers` entries give
/// (constraints from every module joined).
pub fn requirements(used: &BTreeSet<String>, declared: &[(String, Option<String>, Option<String>)]) -> Result<Vec<Requirement>, InstallError> {
    let mut by_name: BTreeMap<String, Requirement> = BTreeMap::new();
    for name in used {
        by_name.insert(
            name.clone(),
            Requirement { name: name.clone(), source: ProviderSource::implied(name), explicit: false, constraints: Constraints::default() },
        );
    }
    for (name, source, version) in declared {
        let entry = by_name.entry(name.clone()).or_insert_with(|| Requirement {
            name: name.clone(),
            source: ProviderSource::implied(name),
            explicit: false,
            constraints: Constraints::default(),
        });
        if let Some(s) = source {
            let parsed = ProviderSource::parse(s)?;
            if entry.explicit && entry.source != parsed {
                return Err(InstallError::ConflictingSources { name: name.clone(), a: entry.source.to_string(), b: parsed.to_string() });
            }
            entry.source = parsed;
            entry.explicit = true;
        }
        if let Some(v) = version {
            entry.constraints = std::mem::take(&mut entry.constraints).and(&Constraints::parse(v)?);
        }
    }
    Ok(by_name.into_values().collect())
}
