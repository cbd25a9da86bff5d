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

use crate::cliconfig::{CliConfig, Token};
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

/// A network mirror's answer for one provider: the versions its
/// `index.json` lists, with what is needed to install one of them.
pub(crate) struct Listing {
    client: Http,
    base: String,
    /// `<base>HOST/NS/TYPE/`.
    prefix: String,
    mirror_host: String,
    token: Option<Token>,
    versions: Vec<Version>,
}

/// Reads the version index of the mirror at `base` (an `https:` URL ending
/// in `/`); None when the mirror does not have the provider.
pub(crate) fn list(want: &Wanted<'_>, base: &str, cli: &CliConfig, env: &BTreeMap<String, String>) -> Result<Option<Listing>, InstallError> {
    let client = Http::new().map_err(|e| want.registry_error(e))?;
    // As Terraform, the mirror's host gets the credentials configured for it
    // (`credentials "HOST[:PORT]"`, `TF_TOKEN_...`); archives elsewhere get none.
    let mirror_host = http::host_of(base).unwrap_or_default();
    let token = cli.token_for(&mirror_host, env);
    let s = want.source;
    let prefix = format!("{base}{}/{}/{}/", s.host, s.namespace, s.type_);
    let index_url = format!("{prefix}index.json");
    let r = client.get(&index_url, token.as_ref()).map_err(|e| want.registry_error(e))?;
    if r.status == 404 {
        return Ok(None);
    }
    if r.status != 200 {
        return Err(want.registry_error(http::http_error(&index_url, &r)));
    }
    let index: Index = serde_json::from_slice(&r.body).map_err(|e| bad(want, &index_url, r.status, "a network mirror version index", e))?;
    // A version that is not semver is skipped, as Terraform does.
    let versions: Vec<Version> = index.versions.keys().filter_map(|v| Version::parse(v).ok()).collect();
    Ok(Some(Listing { client, base: base.to_string(), prefix, mirror_host, token, versions }))
}

fn bad(want: &Wanted<'_>, url: &str, status: u16, what: &str, e: serde_json::Error) -> InstallError {
    want.registry_error(ModuleError::Http { url: url.to_string(), status, body: format!("not {what}: {e}") })
}

impl Listing {
    pub(crate) fn versions(&self) -> &[Version] {
        &self.versions
    }

    /// The mirror's base URL, for messages.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Installs `version`'s package for this platform into `dest(version)`.
    pub(crate) fn install(&self, want: &Wanted<'_>, version: &Version, dest: &dyn Fn(&Version) -> PathBuf) -> Result<Installed, InstallError> {
        let token_for_url = |u: &str| http::host_of(u).filter(|h| h.eq_ignore_ascii_case(&self.mirror_host)).and(self.token.clone());
        let doc_url = format!("{}{version}.json", self.prefix);
        let r = self.client.get(&doc_url, self.token.as_ref()).map_err(|e| want.registry_error(e))?;
        if r.status != 200 {
            return Err(want.registry_error(http::http_error(&doc_url, &r)));
        }
        let doc: VersionDoc = serde_json::from_slice(&r.body).map_err(|e| bad(want, &doc_url, r.status, "a network mirror version document", e))?;
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
        let (package, h1) =
            fetch_and_place(&self.client, want, version, &zip_url, &filename, token_for_url(&zip_url).as_ref(), dest(version), &|_| Ok(()), &check)?;
        Ok(Installed { package, h1, zh: Vec::new() })
    }
}
