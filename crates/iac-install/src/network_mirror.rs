//! Terraform's provider network mirror protocol, the `network_mirror`
//! installation method: `GET <base>HOST/NS/TYPE/index.json` lists the
//! versions, `GET <base>HOST/NS/TYPE/VERSION.json` the archive of each
//! platform (a URL, relative to that document or absolute, and optional
//! `zh:`/`h1:` hashes). The zip must match one of the listed hashes (when
//! the mirror lists any) and the lock file; it is unpacked beside its
//! destination and renamed into place, as a registry package is.
//!
//! The mirror's host is sent the token configured for it, as a registry is.
//!
//! As Terraform, the lock file then records the `h1:` hash of what was
//! unpacked, not the hashes the mirror lists: a mirror's word is not a
//! signature.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cliconfig::CliConfig;
use crate::mirror;
use crate::modules::registry::{self as http, Http};
use crate::modules::ModuleError;
use crate::provider_registry::{fetch_and_place, Installed, Wanted};
use crate::version::Version;
use crate::InstallError;

#[derive(serde::Deserialize)]
struct Index {
    versions: BTreeMap<String, serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct VersionDoc {
    archives: BTreeMap<String, Archive>,
}

#[derive(serde::Deserialize)]
struct Archive {
    url: String,
    #[serde(default)]
    hashes: Vec<String>,
}

/// Chooses a version from the mirror at `base` (an `https:` URL ending in
/// `/`) and installs its package for this platform into `dest(version)`.
pub fn install(
    want: &Wanted<'_>,
    base: &str,
    cli: &CliConfig,
    env: &BTreeMap<String, String>,
    dest: &dyn Fn(&Version) -> PathBuf,
) -> Result<Installed, InstallError> {
    let client = Http::new().map_err(|e| want.registry_error(e))?;
    // As Terraform, the mirror's host gets the credentials configured for it
    // (`credentials "HOST[:PORT]"`, `TF_TOKEN_...`); archives elsewhere get none.
    let mirror_host = http::host_of(base).unwrap_or_default();
    let token = cli.token_for(&mirror_host, env);
    let token_for_url = |u: &str| http::host_of(u).filter(|h| h.eq_ignore_ascii_case(&mirror_host)).and(token.clone());
    let s = want.source;
    let prefix = format!("{base}{}/{}/{}/", s.host, s.namespace, s.type_);
    let index_url = format!("{prefix}index.json");
    let r = client.get(&index_url, token.as_ref()).map_err(|e| want.registry_error(e))?;
    if r.status == 404 {
        return Err(InstallError::NotOnMirror { name: want.name.to_string(), addr: want.addr(), mirror: base.to_string() });
    }
    if r.status != 200 {
        return Err(want.registry_error(http::http_error(&index_url, &r)));
    }
    let bad = |url: &str, status: u16, what: &str, e: serde_json::Error| {
        want.registry_error(ModuleError::Http { url: url.to_string(), status, body: format!("not {what}: {e}") })
    };
    let index: Index = serde_json::from_slice(&r.body).map_err(|e| bad(&index_url, r.status, "a network mirror version index", e))?;
    // A version that is not semver is skipped, as Terraform does.
    let listed: Vec<Version> = index.versions.keys().filter_map(|v| Version::parse(v).ok()).collect();
    let version = match want.locked {
        Some(l) => listed.iter().find(|v| v.to_string() == l.version).cloned(),
        None => want.constraints.newest(&listed).cloned(),
    };
    let Some(version) = version else {
        let mut available = listed.clone();
        available.sort_by(|a, b| b.cmp(a));
        let constraints = match want.locked {
            Some(l) => format!("= {} (the lock file's)", l.version),
            None if want.constraints.is_empty() => "any version".to_string(),
            None => want.constraints.to_string(),
        };
        return Err(InstallError::NoMatchingVersion {
            name: want.name.to_string(),
            addr: want.addr(),
            constraints,
            available: available.iter().map(|v| v.to_string()).collect(),
        });
    };
    let doc_url = format!("{prefix}{version}.json");
    let r = client.get(&doc_url, token.as_ref()).map_err(|e| want.registry_error(e))?;
    if r.status != 200 {
        return Err(want.registry_error(http::http_error(&doc_url, &r)));
    }
    let doc: VersionDoc = serde_json::from_slice(&r.body).map_err(|e| bad(&doc_url, r.status, "a network mirror version document", e))?;
    let platform = mirror::platform();
    let Some(archive) = doc.archives.get(&platform) else {
        return Err(InstallError::PlatformMissing {
            name: want.name.to_string(),
            addr: want.addr(),
            version: version.to_string(),
            platform,
            available: doc.archives.keys().cloned().collect(),
        });
    };
    let zip_url = url::Url::parse(&doc_url)
        .and_then(|b| b.join(&archive.url))
        .map(|u| u.to_string())
        .map_err(|e| want.registry_error(ModuleError::Http { url: doc_url.clone(), status: 200, body: format!("archive url {:?}: {e}", archive.url) }))?;
    let filename = zip_url.rsplit('/').next().filter(|f| !f.is_empty()).unwrap_or("package.zip").to_string();
    // Only the schemes iac (and Terraform) can compute are checked; a list
    // of none of them, or no list, checks nothing.
    let known: Vec<&String> = archive.hashes.iter().filter(|h| h.starts_with("zh:") || h.starts_with("h1:")).collect();
    let check = |sha: &str, h1: &str| -> Result<(), InstallError> {
        if known.is_empty() || known.iter().any(|h| h.strip_prefix("zh:").is_some_and(|z| z.eq_ignore_ascii_case(sha)) || h.as_str() == h1) {
            return Ok(());
        }
        Err(InstallError::PackageChecksum {
            name: want.name.to_string(),
            addr: want.addr(),
            version: version.to_string(),
            mismatch: Box::new(crate::Mismatch {
                against: "the hashes the network mirror lists for it".into(),
                expected: known.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(", "),
                got: sha.to_string(),
            }),
        })
    };
    let (package, h1) = fetch_and_place(&client, want, &version, &zip_url, &filename, token_for_url(&zip_url).as_ref(), dest(&version), &|_| Ok(()), &check)?;
    Ok(Installed { package, h1, zh: Vec::new() })
}
