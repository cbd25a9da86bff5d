//! Terraform's provider registry protocol, the `direct` installation
//! method: service discovery (`providers.v1`, or a `host` block of the CLI
//! configuration), `GET <base>NS/TYPE/versions`, then
//! `GET <base>NS/TYPE/VERSION/download/OS/ARCH`, whose answer names the zip
//! package, its SHA-256, the `SHA256SUMS` document, that document's detached
//! OpenPGP signature and the keys that may have made it.
//!
//! The package is trusted only when the signature verifies against one of
//! those keys, the zip's SHA-256 is the one the registry stated and the one
//! the signed document lists, and (when the lock file already names this
//! version) one of the locked hashes. It is unpacked into a scratch
//! directory beside its destination and renamed into place, so a failure
//! leaves nothing half-installed.
//!
//! The same downloads serve `iac providers lock` ([`lock_hashes`]: every
//! platform's package hashed, nothing installed) and `iac providers mirror`
//! ([`fetch_platforms`] keeping the verified zips in the packed layout).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::cliconfig::{CliConfig, Token};
use crate::hash::h1_dir;
use crate::lockfile::LockedProvider;
use crate::mirror::{self, Package};
use crate::modules::registry::{self as http, Http};
use crate::modules::ModuleError;
use crate::source::ProviderSource;
use crate::version::{Constraints, Version};
use crate::InstallError;

/// A package installed from a registry.
pub struct Installed {
    pub package: Package,
    /// The package's `h1:` hash.
    pub h1: String,
    /// `zh:` hashes of every package the signed `SHA256SUMS` lists (every
    /// platform), which Terraform records so other platforms can check
    /// their downloads against the same lock file.
    pub zh: Vec<String>,
}

/// Who is asking: the provider's local name and address, for messages.
pub struct Wanted<'a> {
    pub name: &'a str,
    pub source: &'a ProviderSource,
    pub constraints: &'a Constraints,
    /// The lock file's entry (not when upgrading).
    pub locked: Option<&'a LockedProvider>,
}

impl Wanted<'_> {
    pub(crate) fn addr(&self) -> String {
        self.source.to_string()
    }

    pub(crate) fn registry_error(&self, e: ModuleError) -> InstallError {
        InstallError::Registry { name: self.name.to_string(), addr: self.addr(), why: e.to_string() }
    }

    /// The locked version when there is one, else the newest the
    /// constraints allow, of the versions `available`.
    pub(crate) fn pick(&self, available: &[Version]) -> Result<Version, InstallError> {
        let pick = match self.locked {
            Some(l) => available.iter().find(|v| v.to_string() == l.version),
            None => self.constraints.newest(available),
        };
        pick.cloned().ok_or_else(|| self.no_matching_version(available))
    }

    /// No version of `available` will do: the error names the constraint
    /// (or the lock file's version) and what there is, newest first.
    pub(crate) fn no_matching_version(&self, available: &[Version]) -> InstallError {
        let mut available: Vec<&Version> = available.iter().collect();
        available.sort_by(|a, b| b.cmp(a));
        available.dedup();
        let constraints = match self.locked {
            Some(l) => format!("= {} (the lock file's)", l.version),
            None if self.constraints.is_empty() => "any version".to_string(),
            None => self.constraints.to_string(),
        };
        InstallError::NoMatchingVersion {
            name: self.name.to_string(),
            addr: self.addr(),
            constraints,
            available: available.iter().map(|v| v.to_string()).collect(),
        }
    }
}

/// One version as the registry lists it.
struct Listed {
    version: Version,
    protocols: Vec<String>,
    platforms: Vec<String>,
}

/// Plugin protocol versions iac speaks (Terraform's 5 and 6).
fn protocol_supported(protocols: &[String]) -> bool {
    protocols.iter().any(|p| matches!(p.split('.').next(), Some("5" | "6")))
}

/// A registry's answer for one provider: its versions, with the client and
/// service URL to install one of them.
pub(crate) struct Listing {
    client: Http,
    base: String,
    token: Option<Token>,
    listed: Vec<Listed>,
}

/// Asks the provider's origin registry for its versions (service discovery,
/// then `NS/TYPE/versions`); a registry without the provider is
/// [`InstallError::NoSuchProvider`].
pub(crate) fn list(want: &Wanted<'_>, cli: &CliConfig, env: &BTreeMap<String, String>) -> Result<Listing, InstallError> {
    let client = Http::new().map_err(|e| want.registry_error(e))?;
    let host = &want.source.host;
    let token = cli.token_for(host, env);
    let base = http::discover_service(&client, cli, env, host, "providers.v1").map_err(|e| want.registry_error(e))?;
    let listed = versions(&client, &base, want, token.as_ref())?;
    Ok(Listing { client, base, token, listed })
}

impl Listing {
    pub(crate) fn versions(&self) -> Vec<Version> {
        self.listed.iter().map(|l| l.version.clone()).collect()
    }

    /// Installs `version`'s package for this platform into `dest(version)`
    /// (the plugin cache's or `.terraform`'s `.../VERSION/OS_ARCH`
    /// directory): as Terraform, the version must speak a plugin protocol iac
    /// speaks and have a package for this platform.
    pub(crate) fn install(&self, want: &Wanted<'_>, version: &Version, dest: &dyn Fn(&Version) -> PathBuf) -> Result<Installed, InstallError> {
        let platform = mirror::platform();
        check_listed(want, &self.listed, version, &platform)?;
        let host = &want.source.host;
        let signed = signed_package(&self.client, want, &self.base, host, self.token.as_ref(), version, &platform)?;
        let zh: Vec<String> = signed.sums.iter().map(|(h, _)| format!("zh:{h}")).collect();
        let zip_url = signed.resolve(&signed.meta.download_url);
        let zip_token = signed.token_for(&zip_url, self.token.as_ref());
        let check_zip = |got: &str| signed.check_zip(want, version, got);
        let (package, h1) =
            fetch_and_place(&self.client, want, version, &zip_url, &signed.meta.filename, zip_token.as_ref(), dest(version), &check_zip, &|_, _| Ok(()))?;
        Ok(Installed { package, h1, zh })
    }
}

/// A package description from the registry whose SHA256SUMS document is
/// verified against the signing keys the registry returned for it.
struct SignedPackage {
    meta: DownloadMeta,
    /// The description's own URL, which relative URLs in it resolve against.
    meta_url: String,
    /// The registry's host: only URLs there get the registry's token.
    host: String,
    /// The signed SHA256SUMS lines: (hash, file name).
    sums: Vec<(String, String)>,
}

impl SignedPackage {
    fn resolve(&self, u: &str) -> String {
        url::Url::parse(&self.meta_url).and_then(|b| b.join(u)).map(|u| u.to_string()).unwrap_or_else(|_| u.to_string())
    }

    /// Tokens are for the registry's host only; a package on a CDN gets none.
    fn token_for(&self, u: &str, token: Option<&Token>) -> Option<Token> {
        http::host_of(u).filter(|h| h.eq_ignore_ascii_case(&self.host)).and(token.cloned())
    }

    /// The downloaded zip's SHA-256 (`got`) against the checksum the
    /// registry states and the zip's line in the signed SHA256SUMS.
    fn check_zip(&self, want: &Wanted<'_>, version: &Version, got: &str) -> Result<(), InstallError> {
        let mismatch = |against: &str, expected: String| InstallError::PackageChecksum {
            name: want.name.to_string(),
            addr: want.addr(),
            version: version.to_string(),
            mismatch: Box::new(crate::Mismatch { against: against.to_string(), expected, got: got.to_string() }),
        };
        if !self.meta.shasum.eq_ignore_ascii_case(got) {
            return Err(mismatch("the checksum the registry states for it", self.meta.shasum.clone()));
        }
        match self.sums.iter().find(|(_, f)| *f == self.meta.filename) {
            Some((h, _)) if h.eq_ignore_ascii_case(got) => Ok(()),
            Some((h, _)) => Err(mismatch("its line in the signed SHA256SUMS", h.clone())),
            None => Err(mismatch("the signed SHA256SUMS, which does not list it", "(none)".into())),
        }
    }
}

/// Fetches the registry's description of `version`'s package for
/// `platform` and verifies its SHA256SUMS signature.
fn signed_package(
    client: &Http,
    want: &Wanted<'_>,
    base: &str,
    host: &str,
    token: Option<&Token>,
    version: &Version,
    platform: &str,
) -> Result<SignedPackage, InstallError> {
    let (os, arch) = platform.split_once('_').unwrap_or((platform, ""));
    let meta_url = format!("{base}{}/{}/{version}/download/{os}/{arch}", want.source.namespace, want.source.type_);
    let r = client.get(&meta_url, token).map_err(|e| want.registry_error(e))?;
    if r.status == 404 {
        return Err(InstallError::PlatformMissing {
            name: want.name.to_string(),
            addr: want.addr(),
            version: version.to_string(),
            platform: platform.to_string(),
            available: Vec::new(),
        });
    }
    if r.status != 200 {
        return Err(want.registry_error(http::http_error(&meta_url, &r)));
    }
    let meta: DownloadMeta = serde_json::from_slice(&r.body)
        .map_err(|e| want.registry_error(ModuleError::Http { url: meta_url.clone(), status: r.status, body: format!("not a package description: {e}") }))?;
    let mut signed = SignedPackage { meta, meta_url, host: host.to_string(), sums: Vec::new() };
    let fetch_small = |u: &str| {
        let u = signed.resolve(u);
        client.get_bytes(&u, signed.token_for(&u, token).as_ref()).map_err(|e| want.registry_error(e))
    };
    let sums = fetch_small(&signed.meta.shasums_url)?;
    let signature = fetch_small(&signed.meta.shasums_signature_url)?;
    verify_signature(&sums, &signature, &signed.meta.signing_keys.gpg_public_keys.iter().map(|k| k.ascii_armor.as_str()).collect::<Vec<_>>())
        .map_err(|why| InstallError::SignatureMismatch { name: want.name.to_string(), addr: want.addr(), version: version.to_string(), why })?;
    signed.sums = parse_sums(&sums);
    Ok(signed)
}

/// Downloads a package zip into scratch space beside `final_dir`, checks
/// its SHA-256 (`check_zip`), unpacks it, checks its `h1:` hash with the
/// SHA-256 (`check_unpacked`) and against the lock file, and renames it
/// into place. Returns the package and its `h1:` hash.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fetch_and_place(
    client: &Http,
    want: &Wanted<'_>,
    version: &Version,
    zip_url: &str,
    filename: &str,
    token: Option<&Token>,
    final_dir: PathBuf,
    check_zip: &dyn Fn(&str) -> Result<(), InstallError>,
    check_unpacked: &dyn Fn(&str, &str) -> Result<(), InstallError>,
) -> Result<(Package, String), InstallError> {
    let scratch = Scratch::beside(&final_dir)?;
    let zip_path = scratch.0.join(filename.replace('/', "_"));
    let got = {
        let mut f = std::fs::File::create(&zip_path).map_err(|e| InstallError::Io { path: zip_path.clone(), source: e })?;
        let got = client.download_to(zip_url, token, &mut std::io::BufWriter::new(&mut f)).map_err(|e| want.registry_error(e))?;
        f.sync_all().map_err(|e| InstallError::Io { path: zip_path.clone(), source: e })?;
        got
    };
    tracing::debug!(provider = %want.addr(), %version, sha256 = %got, "package downloaded");
    check_zip(&got)?;
    unpack_and_place(want, version, &zip_path, &got, &scratch, final_dir, check_unpacked)
}

/// Installs a packed filesystem mirror's zip: unpacked beside `final_dir`,
/// checked against the lock file and renamed into place, as a downloaded
/// package is. Returns the package and its `h1:` hash.
pub(crate) fn place_local_zip(want: &Wanted<'_>, version: &Version, zip: &Path, final_dir: PathBuf) -> Result<(Package, String), InstallError> {
    let scratch = Scratch::beside(&final_dir)?;
    let got = crate::hash::sha256_file(zip)?;
    tracing::debug!(provider = %want.addr(), %version, archive = %zip.display(), sha256 = %got, "unpacking a packed mirror's package");
    unpack_and_place(want, version, zip, &got, &scratch, final_dir, &|_, _| Ok(()))
}

/// The common end of an install from a zip: unpack into `scratch`, check
/// the `h1:` hash (`check_unpacked`, then the lock file's hashes, which
/// may name the zip's SHA-256 as `zh:`), find the plugin, rename into place.
fn unpack_and_place(
    want: &Wanted<'_>,
    version: &Version,
    zip_path: &Path,
    got: &str,
    scratch: &Scratch,
    final_dir: PathBuf,
    check_unpacked: &dyn Fn(&str, &str) -> Result<(), InstallError>,
) -> Result<(Package, String), InstallError> {
    let ctx = |why: String| (want.name.to_string(), want.addr(), version.to_string(), why);
    let unpacked = scratch.0.join("pkg");
    unzip(zip_path, &unpacked).map_err(|why| {
        let (name, addr, version, why) = ctx(why);
        InstallError::CorruptPackage { name, addr, version, why }
    })?;
    let h1 = h1_dir(&unpacked)?;
    check_unpacked(got, &h1)?;
    if let Some(l) = want.locked.filter(|l| l.version == version.to_string() && !l.hashes.is_empty()) {
        if !l.hashes.contains(&h1) && !l.hashes.contains(&format!("zh:{got}")) {
            return Err(InstallError::ChecksumMismatch {
                name: want.name.to_string(),
                addr: want.addr(),
                version: version.to_string(),
                got: h1,
                locked: l.hashes.clone(),
            });
        }
    }
    let binary_name = mirror::find_binary(&unpacked, &want.source.type_)?.and_then(|b| b.file_name().map(|n| n.to_owned())).ok_or_else(|| {
        let (name, addr, version, _) = ctx(String::new());
        InstallError::CorruptPackage { name, addr, version, why: format!("the archive holds no terraform-provider-{} executable", want.source.type_) }
    })?;
    // Replace whatever was there (an older install, a link to a mirror).
    match std::fs::symlink_metadata(&final_dir) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(&final_dir).map_err(|e| InstallError::Io { path: final_dir.clone(), source: e })?,
        Ok(_) => std::fs::remove_file(&final_dir).map_err(|e| InstallError::Io { path: final_dir.clone(), source: e })?,
        Err(_) => {}
    }
    std::fs::rename(&unpacked, &final_dir).map_err(|e| InstallError::Io { path: final_dir.clone(), source: e })?;
    let binary = final_dir.join(binary_name);
    Ok((Package { version: version.clone(), dir: final_dir, binary }, h1))
}

/// `iac providers lock`: the version a provider locks to (the lock file's
/// when the constraints still allow it, else the newest allowed) and, for
/// every platform asked, the `h1:` hash of that platform's package plus the
/// `zh:` hashes of the signed `SHA256SUMS`, as `terraform providers lock`
/// records them. Every package is downloaded, checked against the registry's
/// checksum and the signed document, and hashed without being unpacked.
pub fn lock_hashes(want: &Wanted<'_>, cli: &CliConfig, env: &BTreeMap<String, String>, platforms: &[String]) -> Result<(Version, Vec<String>), InstallError> {
    fetch_platforms(want, cli, env, platforms, None)
}

/// As [`lock_hashes`], keeping each verified package in the packed mirror
/// layout under `keep_in` (`HOST/NS/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip`)
/// when given.
pub fn fetch_platforms(
    want: &Wanted<'_>,
    cli: &CliConfig,
    env: &BTreeMap<String, String>,
    platforms: &[String],
    keep_in: Option<&Path>,
) -> Result<(Version, Vec<String>), InstallError> {
    let client = Http::new().map_err(|e| want.registry_error(e))?;
    let host = &want.source.host;
    let token = cli.token_for(host, env);
    let base = http::discover_service(&client, cli, env, host, "providers.v1").map_err(|e| want.registry_error(e))?;
    let listed = versions(&client, &base, want, token.as_ref())?;
    let mut hashes = Vec::new();
    let mut chosen: Option<Version> = None;
    let scratch = Scratch(std::env::temp_dir().join(format!("iac-providers-lock-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&scratch.0);
    std::fs::create_dir_all(&scratch.0).map_err(|e| InstallError::Io { path: scratch.0.clone(), source: e })?;
    for platform in platforms {
        let version = choose(want, &listed, platform)?;
        chosen = Some(version.clone());
        let signed = signed_package(&client, want, &base, host, token.as_ref(), &version, platform)?;
        hashes.extend(signed.sums.iter().map(|(h, _)| format!("zh:{h}")));
        let zip_url = signed.resolve(&signed.meta.download_url);
        let zip_path = scratch.0.join(format!("{platform}.zip"));
        let got = {
            let mut f = std::fs::File::create(&zip_path).map_err(|e| InstallError::Io { path: zip_path.clone(), source: e })?;
            // Bound first, so the writer borrowing `f` is gone before `f` is.
            let got = client
                .download_to(&zip_url, signed.token_for(&zip_url, token.as_ref()).as_ref(), &mut std::io::BufWriter::new(&mut f))
                .map_err(|e| want.registry_error(e))?;
            got
        };
        signed.check_zip(want, &version, &got)?;
        let h1 = h1_zip(&zip_path).map_err(|why| InstallError::CorruptPackage {
            name: want.name.to_string(),
            addr: want.addr(),
            version: version.to_string(),
            why,
        })?;
        tracing::debug!(provider = %want.addr(), %version, %platform, %h1, "package hashed for the lock file");
        hashes.push(h1);
        if let Some(root) = keep_in {
            {
                let s = want.source;
                let to_dir = root.join(&s.host).join(&s.namespace).join(&s.type_);
                std::fs::create_dir_all(&to_dir).map_err(|e| InstallError::Io { path: to_dir.clone(), source: e })?;
                let to = to_dir.join(format!("terraform-provider-{}_{version}_{platform}.zip", s.type_));
                // A copy, not a rename: the scratch directory may be on another file system.
                let staged = to_dir.join(format!(".{}.partial-{}", platform, std::process::id()));
                std::fs::copy(&zip_path, &staged).map_err(|e| InstallError::Io { path: staged.clone(), source: e })?;
                std::fs::rename(&staged, &to).map_err(|e| InstallError::Io { path: to.clone(), source: e })?;
            }
        }
        let _ = std::fs::remove_file(&zip_path);
    }
    hashes.sort();
    hashes.dedup();
    let version = chosen.ok_or_else(|| InstallError::Registry { name: want.name.to_string(), addr: want.addr(), why: "no platform to lock".into() })?;
    Ok((version, hashes))
}

/// The `h1:` hash of a zip package: the same as of its unpacked directory
/// (every file entry, by its name in the archive).
pub fn h1_zip(path: &Path) -> Result<String, String> {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(f)).map_err(|e| format!("not a zip archive: {e}"))?;
    let mut lines = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map(|n| n.to_string()).map_err(|e| format!("entry {i}: {e}"))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = entry.read(&mut buf).map_err(|e| format!("{name}: {e}"))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        lines.push((name, hex::encode(hasher.finalize())));
    }
    lines.sort();
    let summary: String = lines.iter().map(|(name, digest)| format!("{digest}  {name}\n")).collect();
    Ok(format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))))
}

/// Removes the scratch directory when dropped.
struct Scratch(PathBuf);

impl Scratch {
    /// Scratch space beside a package's destination (same file system, so
    /// the final rename is atomic); removed on every path out.
    fn beside(final_dir: &Path) -> Result<Scratch, InstallError> {
        let parent = final_dir.parent().unwrap_or(Path::new(".")).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| InstallError::Io { path: parent.clone(), source: e })?;
        let scratch = Scratch(parent.join(format!(".{}.partial-{}", final_dir.file_name().and_then(|n| n.to_str()).unwrap_or("pkg"), std::process::id())));
        let _ = std::fs::remove_dir_all(&scratch.0);
        std::fs::create_dir_all(&scratch.0).map_err(|e| InstallError::Io { path: scratch.0.clone(), source: e })?;
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(serde::Deserialize)]
struct DownloadMeta {
    filename: String,
    download_url: String,
    shasums_url: String,
    shasums_signature_url: String,
    shasum: String,
    #[serde(default)]
    signing_keys: SigningKeys,
}

#[derive(serde::Deserialize, Default)]
struct SigningKeys {
    #[serde(default)]
    gpg_public_keys: Vec<GpgKey>,
}

#[derive(serde::Deserialize)]
struct GpgKey {
    ascii_armor: String,
}

fn versions(client: &Http, base: &str, want: &Wanted<'_>, token: Option<&Token>) -> Result<Vec<Listed>, InstallError> {
    let url = format!("{base}{}/{}/versions", want.source.namespace, want.source.type_);
    let r = client.get(&url, token).map_err(|e| want.registry_error(e))?;
    if r.status == 404 {
        return Err(InstallError::NoSuchProvider { name: want.name.to_string(), addr: want.addr() });
    }
    if r.status != 200 {
        return Err(want.registry_error(http::http_error(&url, &r)));
    }
    let doc: serde_json::Value = serde_json::from_slice(&r.body)
        .map_err(|e| want.registry_error(ModuleError::Http { url: url.clone(), status: r.status, body: format!("not a version list: {e}") }))?;
    let mut out = Vec::new();
    for v in doc.get("versions").and_then(|v| v.as_array()).into_iter().flatten() {
        // A version that is not semver is skipped, as Terraform does.
        let Some(version) = v.get("version").and_then(|s| s.as_str()).and_then(|s| Version::parse(s).ok()) else { continue };
        let strings =
            |key: &str| -> Vec<String> { v.get(key).and_then(|p| p.as_array()).into_iter().flatten().filter_map(|p| p.as_str().map(str::to_string)).collect() };
        let platforms = v
            .get("platforms")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
            .filter_map(|p| Some(format!("{}_{}", p.get("os")?.as_str()?, p.get("arch")?.as_str()?)))
            .collect();
        out.push(Listed { version, protocols: strings("protocols"), platforms });
    }
    Ok(out)
}

/// The locked version when there is one, else the newest the constraints
/// allow; then, as Terraform, it must speak a plugin protocol iac speaks and
/// have a package for this platform (no silent fallback to an older version).
fn choose(want: &Wanted<'_>, listed: &[Listed], platform: &str) -> Result<Version, InstallError> {
    let versions: Vec<Version> = listed.iter().map(|u| u.version.clone()).collect();
    let version = want.pick(&versions)?;
    check_listed(want, listed, &version, platform)?;
    Ok(version)
}

/// A listed version's protocols and platforms, checked as Terraform checks them.
fn check_listed(want: &Wanted<'_>, listed: &[Listed], version: &Version, platform: &str) -> Result<(), InstallError> {
    let Some(pick) = listed.iter().find(|l| &l.version == version) else {
        return Err(want.no_matching_version(&listed.iter().map(|l| l.version.clone()).collect::<Vec<_>>()));
    };
    if !protocol_supported(&pick.protocols) {
        return Err(InstallError::IncompatibleProtocol {
            name: want.name.to_string(),
            addr: want.addr(),
            version: pick.version.to_string(),
            protocols: pick.protocols.join(", "),
        });
    }
    if !pick.platforms.iter().any(|p| p == platform) {
        return Err(InstallError::PlatformMissing {
            name: want.name.to_string(),
            addr: want.addr(),
            version: pick.version.to_string(),
            platform: platform.to_string(),
            available: pick.platforms.clone(),
        });
    }
    Ok(())
}

/// `(sha256 hex, file name)` for every line of a SHA256SUMS document.
fn parse_sums(doc: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(doc)
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let hash = parts.next()?;
            let file = parts.next()?.trim_start_matches('*');
            (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| (hash.to_ascii_lowercase(), file.to_string()))
        })
        .collect()
}

/// Verifies a detached signature (armored or binary) over `document` with
/// any of the armored public keys, their primary key or a subkey (registries
/// often sign with a signing subkey).
pub fn verify_signature(document: &[u8], signature: &[u8], keys: &[&str]) -> Result<(), String> {
    use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
    if keys.is_empty() {
        return Err("the registry returned no signing keys".into());
    }
    let sig = match DetachedSignature::from_armor_single(std::io::Cursor::new(signature)) {
        Ok((s, _)) => s,
        Err(_) => DetachedSignature::from_bytes(std::io::Cursor::new(signature)).map_err(|e| format!("the signature of SHA256SUMS is unreadable: {e}"))?,
    };
    let mut why = Vec::new();
    for k in keys {
        let key = match SignedPublicKey::from_armor_single(std::io::Cursor::new(k.as_bytes())) {
            Ok((key, _)) => key,
            Err(e) => {
                why.push(format!("a signing key is unreadable: {e}"));
                continue;
            }
        };
        if sig.verify(&key, document).is_ok() || key.public_subkeys.iter().any(|sk| sig.verify(sk, document).is_ok()) {
            return Ok(());
        }
    }
    why.insert(0, format!("SHA256SUMS is not signed by any of the {} key(s) the registry returned", keys.len()));
    Err(why.join("; "))
}

/// Unpacks a provider zip into `to`, keeping executable bits and refusing
/// entries that would land outside it.
pub(crate) fn unzip(zip_path: &Path, to: &Path) -> Result<(), String> {
    let f = std::fs::File::open(zip_path).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(f)).map_err(|e| format!("not a zip archive: {e}"))?;
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_else(|_| format!("entry {i}"));
        let Some(rel) = entry.enclosed_name() else { return Err(format!("entry {name:?} points outside the package")) };
        let path = to.join(rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
            continue;
        }
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| e.to_string())?;
        }
        let mut out = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        // The reader checks each entry's CRC-32 at its end: a damaged entry fails here.
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = entry.read(&mut buf).map_err(|e| format!("{name}: {e}"))?;
            if n == 0 {
                break;
            }
            std::io::Write::write_all(&mut out, &buf[..n]).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            // Zips made without Unix modes still hold the plugin: make it runnable.
            let mode = entry.unix_mode().filter(|m| m & 0o777 != 0).unwrap_or(0o755) & 0o777;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode | 0o400)).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zips_h1_is_its_unpacked_directorys() {
        let d = tempfile::tempdir().unwrap();
        let zip_path = d.path().join("p.zip");
        {
            let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            w.start_file("terraform-provider-x_v1.0.0_x5", opts).unwrap();
            std::io::Write::write_all(&mut w, b"binary").unwrap();
            w.add_directory("docs/", opts).unwrap();
            w.start_file("docs/LICENSE", opts).unwrap();
            std::io::Write::write_all(&mut w, b"licence").unwrap();
            w.finish().unwrap();
        }
        let unpacked = d.path().join("u");
        unzip(&zip_path, &unpacked).unwrap();
        assert_eq!(h1_zip(&zip_path).unwrap(), h1_dir(&unpacked).unwrap());
        assert!(h1_zip(&d.path().join("missing.zip")).is_err());
    }

    #[test]
    fn sums_are_parsed_and_protocols_checked() {
        let doc = format!(
            "{}  terraform-provider-x_1.0.0_linux_amd64.zip\n{} *terraform-provider-x_1.0.0_darwin_arm64.zip\nnot a line\n",
            "a".repeat(64),
            "B".repeat(64)
        );
        assert_eq!(
            parse_sums(doc.as_bytes()),
            vec![
                ("a".repeat(64), "terraform-provider-x_1.0.0_linux_amd64.zip".to_string()),
                ("b".repeat(64), "terraform-provider-x_1.0.0_darwin_arm64.zip".to_string())
            ]
        );
        assert!(protocol_supported(&["5.0".into()]) && protocol_supported(&["4.0".into(), "6.0".into()]));
        assert!(!protocol_supported(&["4.0".into()]) && !protocol_supported(&[]));
    }
}
