//! Provider installation, as `terraform init` does it: source addresses,
//! the provider registry protocol ([`provider_registry`]), the network
//! mirror protocol ([`network_mirror`]),
//! Terraform's version constraints, filesystem mirrors in both layouts
//! (`-plugin-dir`, the CLI configuration's `provider_installation`, the
//! implied local mirrors), versions pooled over every installation method
//! that admits a provider, `dev_overrides`, the plugin cache, the dependency lock file
//! (`.terraform.lock.hcl`) with Terraform's `h1:` hashes, and the record of
//! which implementation (native or plugin) serves each provider. And module
//! installation ([`modules`]): registry, git, archive, S3 and GCS packages under
//! `.terraform/modules/` with Terraform's `modules.json`, registry tokens
//! from `TF_TOKEN_<host>` and `credentials` blocks.
//!
//! It must not depend on the engine, the language crate, any provider or
//! the CLI: it deals in files and names only, so the CLI decides what is
//! native and the plugin host runs what is installed.

pub mod cliconfig;
pub mod hash;
pub mod install;
pub mod lockfile;
pub mod mirror;
pub mod modules;
pub mod network_mirror;
pub mod provider_registry;
pub mod source;
pub mod version;

use std::path::PathBuf;

pub use install::{install, lock, mirror_to, requirements, Choice, Manifest, Options, Requirement};
pub use source::ProviderSource;

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("invalid provider source {source_text:?}: {why}")]
    BadSource { source_text: String, why: String },
    #[error("invalid version {0:?}")]
    BadVersion(String),
    #[error("invalid version constraint {text:?}: {why}")]
    BadConstraint { text: String, why: String },
    #[error("{path}: invalid dependency lock file: {why}")]
    BadLockFile { path: PathBuf, why: String },
    #[error("{path}: invalid CLI configuration: {why}")]
    BadCliConfig { path: PathBuf, why: String },
    #[error("{path}: unreadable provider record ({why}); run iac init again")]
    BadManifest { path: PathBuf, why: String },
    #[error("provider {name:?} ({addr}): no installed version matches {constraints:?}; searched {}", if searched.is_empty() { "nothing (no mirror configured)".to_string() } else { searched.join(", ") })]
    NotFound { name: String, addr: String, constraints: String, searched: Vec<String> },
    #[error(
        "provider {name:?}: the locked version {locked} does not match the configured constraints {constraints:?}; run iac init -upgrade to choose another"
    )]
    LockedVersionRejected { name: String, locked: String, constraints: String },
    #[error("provider {name:?} ({addr} v{version}): the package's checksum {got} matches none recorded in .terraform.lock.hcl ({}); the package differs from the one locked", locked.join(", "))]
    ChecksumMismatch { name: String, addr: String, version: String, got: String, locked: Vec<String> },
    #[error("provider {name:?} ({addr}) is installed but not in .terraform.lock.hcl; run iac init")]
    NotLocked { name: String, addr: String },
    #[error("provider {name:?}: .terraform.lock.hcl selects v{locked} but v{installed} is installed; run iac init")]
    LockChanged { name: String, locked: String, installed: String },
    #[error("provider {name:?}: the plugin at {path} is missing or unreadable ({why}); run iac init")]
    PluginMissing { name: String, path: PathBuf, why: String },
    #[error("provider {name:?}: -native was given but iac has no native implementation of it")]
    NoNative { name: String },
    #[error("provider {name:?} ({addr}): {why}")]
    Registry { name: String, addr: String, why: String },
    #[error("provider {name:?}: the network mirror {mirror} has no provider {addr}")]
    NotOnMirror { name: String, addr: String, mirror: String },
    #[error("provider {name:?}: the registry {} has no provider {addr}", addr.split('/').next().unwrap_or(""))]
    NoSuchProvider { name: String, addr: String },
    #[error("provider {name:?} ({addr}): no version matches {constraints}; the registry has {}", if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    NoMatchingVersion { name: String, addr: String, constraints: String, available: Vec<String> },
    #[error("provider {name:?} ({addr} v{version}) speaks plugin protocol {}, which iac does not (it speaks 5 and 6); constrain the version to one that does", if protocols.is_empty() { "(none listed)" } else { protocols })]
    IncompatibleProtocol { name: String, addr: String, version: String, protocols: String },
    #[error("provider {name:?} ({addr} v{version}) has no package for this platform, {platform}{}", if available.is_empty() { String::new() } else { format!("; it has {}", available.join(", ")) })]
    PlatformMissing { name: String, addr: String, version: String, platform: String, available: Vec<String> },
    #[error("provider {name:?} ({addr} v{version}): the downloaded package's SHA-256 {} does not match {} ({}); nothing was installed", .mismatch.got, .mismatch.against, .mismatch.expected)]
    PackageChecksum { name: String, addr: String, version: String, mismatch: Box<Mismatch> },
    #[error("provider {name:?} ({addr} v{version}): the signature of the registry's SHA256SUMS does not verify: {why}; nothing was installed")]
    SignatureMismatch { name: String, addr: String, version: String, why: String },
    #[error("provider {name:?} ({addr} v{version}): the downloaded package is corrupt: {why}; nothing was installed")]
    CorruptPackage { name: String, addr: String, version: String, why: String },
    #[error("provider {name:?} is required from two sources: {a} and {b}")]
    ConflictingSources { name: String, a: String, b: String },
}

/// What a downloaded package's checksum was checked against, apart from
/// [`InstallError::PackageChecksum`] so that every `Result<_, InstallError>`
/// stays small.
#[derive(Debug)]
pub struct Mismatch {
    /// Where the expected checksum came from ("its line in the signed SHA256SUMS").
    pub against: String,
    /// The checksum(s) expected.
    pub expected: String,
    /// The package's SHA-256.
    pub got: String,
}

impl InstallError {
    /// The provider (local name) an error is about, so the CLI can point at
    /// its `required_providers` entry; None for errors about files.
    pub fn provider(&self) -> Option<&str> {
        use InstallError::*;
        match self {
            NotFound { name, .. }
            | LockedVersionRejected { name, .. }
            | ChecksumMismatch { name, .. }
            | NotLocked { name, .. }
            | LockChanged { name, .. }
            | PluginMissing { name, .. }
            | NoNative { name, .. }
            | Registry { name, .. }
            | NotOnMirror { name, .. }
            | NoSuchProvider { name, .. }
            | NoMatchingVersion { name, .. }
            | IncompatibleProtocol { name, .. }
            | PlatformMissing { name, .. }
            | PackageChecksum { name, .. }
            | SignatureMismatch { name, .. }
            | CorruptPackage { name, .. }
            | ConflictingSources { name, .. } => Some(name),
            _ => None,
        }
    }
}
