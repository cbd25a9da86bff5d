//! Filesystem mirrors in Terraform's unpacked layout:
//! `DIR/HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/terraform-provider-TYPE_*`.
//! (The packed layout, zip archives beside the version directories, is
//! reported as unsupported rather than ignored.)

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

/// Every version of `source` the mirror holds for this platform.
pub fn packages(mirror: &Path, source: &ProviderSource) -> Result<Vec<Package>, InstallError> {
    let type_dir = mirror.join(&source.host).join(&source.namespace).join(&source.type_);
    let entries = match std::fs::read_dir(&type_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(InstallError::Io { path: type_dir, source: e }),
    };
    let platform = platform();
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".zip") {
            tracing::warn!(archive = %entry.path().display(), "packed provider archives in filesystem mirrors are not supported yet; unpack it into VERSION/OS_ARCH");
            continue;
        }
        let Ok(version) = Version::parse(&name) else { continue };
        let dir = entry.path().join(&platform);
        if !dir.is_dir() {
            continue;
        }
        match find_binary(&dir, &source.type_)? {
            Some(binary) => out.push(Package { version, dir, binary }),
            None => tracing::warn!(dir = %dir.display(), "no terraform-provider-{} executable in the package directory", source.type_),
        }
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
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
