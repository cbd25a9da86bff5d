//! Filesystem mirrors in both of Terraform's layouts: unpacked
//! (`DIR/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_*`)
//! and packed (`DIR/HOST/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip`),
//! side by side in one directory as Terraform allows; when both hold the
//! same version, the unpacked one is used, as Terraform does.

use std::path::{Path, PathBuf};

use crate::source::ProviderSource;
use crate::version::Version;
use crate::InstallError;

/// This machine's platform in Terraform's spelling (`linux_amd64`).
pub fn platform() -> String {
    let os = std::env::consts::OS;
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        other => other,
    };
    format!("{os}_{arch}")
}

/// A provider package found in a mirror, unpacked for this platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub version: Version,
    /// The package directory (`.../VERSION/OS_ARCH`).
    pub dir: PathBuf,
    /// The plugin executable inside it.
    pub binary: PathBuf,
}

/// A package a filesystem mirror holds for this platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// A `VERSION/OS_ARCH` directory, used where it is.
    Unpacked(Package),
    /// A `terraform-provider-TYPE_VERSION_OS_ARCH.zip`, unpacked when installed.
    Packed { version: Version, zip: PathBuf },
}

impl Found {
    pub fn version(&self) -> &Version {
        match self {
            Found::Unpacked(p) => &p.version,
            Found::Packed { version, .. } => version,
        }
    }
}

/// Every version of `source` the mirror holds for this platform, in either
/// layout, oldest first (one package per version).
pub fn packages(mirror: &Path, source: &ProviderSource) -> Result<Vec<Found>, InstallError> {
    let type_dir = mirror.join(&source.host).join(&source.namespace).join(&source.type_);
    let entries = match std::fs::read_dir(&type_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(InstallError::Io { path: type_dir, source: e }),
    };
    let platform = platform();
    let packed_prefix = format!("terraform-provider-{}_", source.type_);
    let packed_suffix = format!("_{platform}.zip");
    let mut out: Vec<Found> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(rest) = name.strip_prefix(&packed_prefix).and_then(|r| r.strip_suffix(&packed_suffix)) {
            match Version::parse(rest) {
                Ok(version) if entry.path().is_file() => out.push(Found::Packed { version, zip: entry.path() }),
                _ => tracing::debug!(archive = %entry.path().display(), "not a provider package archive name; skipped"),
            }
            continue;
        }
        let Ok(version) = Version::parse(&name) else { continue };
        let dir = entry.path().join(&platform);
        if !dir.is_dir() {
            continue;
        }
        match find_binary(&dir, &source.type_)? {
            Some(binary) => out.push(Found::Unpacked(Package { version, dir, binary })),
            None => tracing::warn!(dir = %dir.display(), "no terraform-provider-{} executable in the package directory", source.type_),
        }
    }
    // Unpacked before packed within a version, then one per version.
    out.sort_by(|a, b| a.version().cmp(b.version()).then_with(|| matches!(a, Found::Packed { .. }).cmp(&matches!(b, Found::Packed { .. }))));
    out.dedup_by(|later, first| later.version() == first.version());
    Ok(out)
}

/// The `terraform-provider-TYPE[_vVERSION[_xN]]` executable in a directory.
pub fn find_binary(dir: &Path, type_: &str) -> Result<Option<PathBuf>, InstallError> {
    let prefix = format!("terraform-provider-{type_}");
    let entries = std::fs::read_dir(dir).map_err(|e| InstallError::Io { path: dir.to_path_buf(), source: e })?;
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n == prefix || n.starts_with(&format!("{prefix}_"))) && p.is_file())
        .collect();
    found.sort();
    Ok(found.pop())
}

/// The mirrors Terraform searches when the CLI configuration names none.
pub fn implied_mirrors(home: Option<&Path>, cwd: &Path) -> Vec<PathBuf> {
    let mut out = vec![cwd.join("terraform.d/plugins")];
    if let Some(h) = home {
        out.push(h.join(".terraform.d/plugins"));
        out.push(h.join(".local/share/terraform/plugins"));
    }
    out.push(PathBuf::from("/usr/local/share/terraform/plugins"));
    out.push(PathBuf::from("/usr/share/terraform/plugins"));
    out
}
