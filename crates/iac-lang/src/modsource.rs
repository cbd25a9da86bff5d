//! Module source addresses as Terraform reads them (`source = "..."` in a
//! module block): local paths, module registry addresses and remote
//! ("go-getter") addresses, each normalized to the text Terraform records in
//! `.terraform/modules/modules.json`. Both `iac init` (to install) and the
//! loader (to find what was installed, and notice a changed source) use this
//! one parser, so the two can never disagree about what a source means.
//!
//! Pure text: nothing here touches the network or the disk.

use std::fmt;

/// The registry that addresses without a host name mean.
pub const DEFAULT_REGISTRY_HOST: &str = "registry.terraform.io";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleSource {
    /// `./x` or `../x`: a directory next to the calling module, as written.
    Local(String),
    /// `[HOST/]NAMESPACE/NAME/PROVIDER[//SUBDIR]`.
    Registry(RegistrySource),
    /// Anything fetched as a package: `git::URL`, `https://.../x.tar.gz`, ...
    Remote(RemoteSource),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrySource {
    /// Lower case, as Terraform compares host names.
    pub host: String,
    pub namespace: String,
    pub name: String,
    pub provider: String,
    /// Directory inside the package (`//modules/x`), cleaned; empty for the top.
    pub subdir: String,
}

impl RegistrySource {
    /// `HOST/NAMESPACE/NAME/PROVIDER`, the package without its subdirectory.
    pub fn package(&self) -> String {
        format!("{}/{}/{}/{}", self.host, self.namespace, self.name, self.provider)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteSource {
    /// The package address with its getter made explicit and its query kept
    /// (`git::https://github.com/org/repo.git?ref=v1`, `https://h/x.tar.gz`).
    pub package: String,
    pub subdir: String,
}

impl ModuleSource {
    /// Parses a `source` argument. The error says what is wrong in words
    /// fit for a diagnostic on the `source` line.
    pub fn parse(raw: &str) -> Result<ModuleSource, String> {
        if raw.starts_with("./") || raw.starts_with("../") || raw == "." || raw == ".." {
            return Ok(ModuleSource::Local(raw.to_string()));
        }
        if raw.is_empty() {
            return Err("the module source is empty".into());
        }
        if raw.starts_with('/') {
            return Err(format!("{raw:?} is an absolute path; a local module source starts with ./ or ../ (relative to the calling module)"));
        }
        match parse_registry(raw) {
            Ok(Some(r)) => return Ok(ModuleSource::Registry(r)),
            Ok(None) => {}
            Err(e) => return Err(e),
        }
        parse_remote(raw).map(ModuleSource::Remote)
    }

    pub fn is_local(&self) -> bool {
        matches!(self, ModuleSource::Local(_))
    }
}

impl fmt::Display for ModuleSource {
    /// Terraform's normalized form, as it writes it into modules.json.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleSource::Local(p) => f.write_str(p),
            ModuleSource::Registry(r) => {
                f.write_str(&r.package())?;
                if !r.subdir.is_empty() {
                    write!(f, "//{}", r.subdir)?;
                }
                Ok(())
            }
            ModuleSource::Remote(r) => {
                if r.subdir.is_empty() {
                    return f.write_str(&r.package);
                }
                // The subdirectory goes before the query, as Terraform writes it.
                match r.package.split_once('?') {
                    Some((base, query)) => write!(f, "{base}//{}?{query}", r.subdir),
                    None => write!(f, "{}//{}", r.package, r.subdir),
                }
            }
        }
    }
}

/// Splits `pkg//subdir?query` into (`pkg?query`, `subdir`), not mistaking
/// the `//` of `scheme://` for a subdirectory (go-getter's rule).
pub fn split_subdir(src: &str) -> (String, String) {
    let offset = src.find("://").map(|i| i + 3).unwrap_or(0);
    let Some(i) = src[offset..].find("//").map(|i| i + offset) else { return (src.to_string(), String::new()) };
    let (mut pkg, mut sub) = (src[..i].to_string(), src[i + 2..].to_string());
    if let Some(q) = sub.find('?') {
        pkg.push_str(&sub[q..]);
        sub.truncate(q);
    }
    (pkg, sub)
}

/// Cleans a package subdirectory; one that climbs out of its package is an error.
fn clean_subdir(sub: &str, raw: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::new();
    for p in sub.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("the subdirectory of {raw:?} leads out of its package"));
                }
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

fn is_name(s: &str, max: usize) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= max
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

fn is_hostname(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    (host.contains('.') || host == "localhost") && host.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// A registry address, `Ok(None)` when the text is not shaped like one (then
/// it may be a remote address), an error when it is shaped like one but wrong.
fn parse_registry(raw: &str) -> Result<Option<RegistrySource>, String> {
    if raw.contains("::") || raw.contains("://") || raw.contains('?') || raw.starts_with("git@") {
        return Ok(None);
    }
    let (pkg, sub) = split_subdir(raw);
    let parts: Vec<&str> = pkg.split('/').collect();
    let (host, rest) = match parts.len() {
        3 => (DEFAULT_REGISTRY_HOST.to_string(), &parts[..]),
        4 => {
            // These hosts are shorthands for git repositories, never registries.
            let h = parts[0].to_ascii_lowercase();
            if h == "github.com" || h == "bitbucket.org" || !is_hostname(&h) {
                return Ok(None);
            }
            (h, &parts[1..])
        }
        _ => return Ok(None),
    };
    let (ns, name, provider) = (rest[0], rest[1], rest[2]);
    if parts.len() == 3 && (ns.eq_ignore_ascii_case("github.com") || ns.eq_ignore_ascii_case("bitbucket.org")) {
        return Ok(None);
    }
    if !is_name(ns, 64) || !is_name(name, 64) {
        return Ok(None);
    }
    if !(provider.len() <= 64 && !provider.is_empty() && provider.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())) {
        return Err(format!("{raw:?}: the provider part of a registry module address ({provider:?}) must be lower-case letters and digits, such as aws"));
    }
    Ok(Some(RegistrySource { host, namespace: ns.to_string(), name: name.to_string(), provider: provider.to_string(), subdir: clean_subdir(&sub, raw)? }))
}

fn parse_remote(raw: &str) -> Result<RemoteSource, String> {
    let (pkg, sub) = split_subdir(raw);
    let subdir = clean_subdir(&sub, raw)?;
    let unsupported = |what: &str| {
        Err(format!("{raw:?}: {what} module sources are not supported by iac; use a registry address, git::URL, an https archive or a local path"))
    };
    if let Some((getter, rest)) = pkg.split_once("::") {
        return match getter {
            "git" => Ok(RemoteSource { package: format!("git::{}", normalize_scp(rest).unwrap_or_else(|| rest.to_string())), subdir }),
            "http" | "https" => Ok(RemoteSource { package: rest.to_string(), subdir }),
            "hg" => unsupported("Mercurial (hg::)"),
            "s3" | "gcs" if !(rest.starts_with("https://") || rest.starts_with("http://")) => Err(format!(
                "{raw:?}: {getter}:: takes an http(s) URL, such as {getter}::https://{}",
                if getter == "s3" { "s3.amazonaws.com/BUCKET/KEY" } else { "www.googleapis.com/storage/v1/BUCKET/OBJECT" }
            )),
            "s3" | "gcs" => Ok(RemoteSource { package: format!("{getter}::{rest}"), subdir }),
            other => Err(format!("{raw:?}: unknown source type {other:?}; Terraform knows git::, hg::, s3::, gcs:: and http(s) addresses")),
        };
    }
    // GitHub shorthand: github.com/ORG/REPO[/more] is git over https.
    if let Some(rest) = pkg.strip_prefix("github.com/") {
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let segs: Vec<&str> = path.split('/').collect();
        if segs.len() < 2 || segs[0].is_empty() || segs[1].is_empty() {
            return Err(format!("{raw:?}: a GitHub source needs github.com/OWNER/REPOSITORY"));
        }
        let repo = if segs[1].ends_with(".git") { segs[1].to_string() } else { format!("{}.git", segs[1]) };
        let mut package = format!("git::https://github.com/{}/{repo}", segs[0]);
        if segs.len() > 2 {
            package.push_str("//");
            package.push_str(&segs[2..].join("/"));
        }
        if let Some(q) = query {
            package.push('?');
            package.push_str(q);
        }
        return Ok(RemoteSource { package, subdir });
    }
    if pkg.starts_with("bitbucket.org/") {
        return unsupported("Bitbucket shorthand");
    }
    if let Some(ssh) = normalize_scp(&pkg) {
        return Ok(RemoteSource { package: format!("git::{ssh}"), subdir });
    }
    if pkg.starts_with("https://") || pkg.starts_with("http://") {
        return Ok(RemoteSource { package: pkg, subdir });
    }
    // go-getter's S3 and GCS detectors, for addresses without a scheme.
    if pkg.contains(".amazonaws.com/") {
        return detect_s3(&pkg, raw).map(|package| RemoteSource { package, subdir });
    }
    if pkg.contains("googleapis.com/") {
        let parts: Vec<&str> = pkg.split('/').collect();
        if parts.len() < 5 {
            return Err(format!("{raw:?} is not a valid Google Cloud Storage address (www.googleapis.com/storage/v1/BUCKET/OBJECT)"));
        }
        return Ok(RemoteSource { package: format!("gcs::https://www.googleapis.com/storage/{}/{}/{}", parts[2], parts[3], parts[4..].join("/")), subdir });
    }
    if pkg.starts_with("file://") {
        return Ok(RemoteSource { package: pkg, subdir });
    }
    Err(format!(
        "{raw:?} is not a module source iac understands: use a local path (./ or ../), a registry address (NAMESPACE/NAME/PROVIDER), git::URL, github.com/OWNER/REPO or an https archive"
    ))
}

/// go-getter's S3 detector: `BUCKET.s3.amazonaws.com/KEY`,
/// `BUCKET.s3-REGION.amazonaws.com/KEY`, `BUCKET.s3.REGION.amazonaws.com/KEY`
/// and `s3[-REGION].amazonaws.com/BUCKET/KEY` become `s3::https://` URLs.
fn detect_s3(pkg: &str, raw: &str) -> Result<String, String> {
    let invalid = || format!("{raw:?} is not a valid S3 address (BUCKET.s3.amazonaws.com/KEY or s3.amazonaws.com/BUCKET/KEY)");
    let (host, path) = pkg.split_once('/').ok_or_else(invalid)?;
    let hp: Vec<&str> = host.split('.').collect();
    match hp.len() {
        3 => Ok(format!("s3::https://{}.amazonaws.com/{path}", hp[0])),
        4 => Ok(format!("s3::https://{}.amazonaws.com/{}/{path}", hp[1], hp[0])),
        5 if hp[1] == "s3" => Ok(format!("s3::https://s3.{}.amazonaws.com/{}/{path}", hp[2], hp[0])),
        _ => Err(invalid()),
    }
}

/// `git@host:path` (scp-like) → `ssh://git@host/path`, as go-getter reads it.
fn normalize_scp(s: &str) -> Option<String> {
    if s.contains("://") {
        return None;
    }
    let (user_host, path) = s.split_once(':')?;
    let (user, host) = user_host.split_once('@')?;
    if user.is_empty() || host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("ssh://{user}@{host}/{}", path.trim_start_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        ModuleSource::parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).to_string()
    }

    #[test]
    fn sources_normalize_as_terraform_records_them() {
        assert_eq!(norm("./modules/x"), "./modules/x");
        assert_eq!(norm("terraform-aws-modules/vpc/aws"), "registry.terraform.io/terraform-aws-modules/vpc/aws");
        assert_eq!(norm("Registry.Example.Test/acme/net/aws//modules/sub"), "registry.example.test/acme/net/aws//modules/sub");
        assert_eq!(norm("localhost:8080/acme/net/aws"), "localhost:8080/acme/net/aws");
        assert_eq!(norm("github.com/acme/net//modules/vpc?ref=v2.0.0"), "git::https://github.com/acme/net.git//modules/vpc?ref=v2.0.0");
        assert_eq!(norm("git::https://example.com/net.git?ref=v1&depth=1"), "git::https://example.com/net.git?ref=v1&depth=1");
        assert_eq!(norm("git::file:///tmp/repo//sub/dir?ref=main"), "git::file:///tmp/repo//sub/dir?ref=main");
        assert_eq!(norm("git@github.com:acme/net.git"), "git::ssh://git@github.com/acme/net.git");
        assert_eq!(norm("https://example.com/net.tar.gz//x"), "https://example.com/net.tar.gz//x");
        assert_eq!(norm("s3::https://s3.amazonaws.com/b/x.zip"), "s3::https://s3.amazonaws.com/b/x.zip");
        assert_eq!(norm("s3::http://127.0.0.1:9000/b/m//sub?region=eu-north-1"), "s3::http://127.0.0.1:9000/b/m//sub?region=eu-north-1");
        assert_eq!(norm("bucket.s3.amazonaws.com/mods/x.zip"), "s3::https://s3.amazonaws.com/bucket/mods/x.zip");
        assert_eq!(norm("bucket.s3-eu-west-1.amazonaws.com/x.zip"), "s3::https://s3-eu-west-1.amazonaws.com/bucket/x.zip");
        assert_eq!(norm("bucket.s3.eu-west-1.amazonaws.com/x.zip"), "s3::https://s3.eu-west-1.amazonaws.com/bucket/x.zip");
        assert_eq!(norm("s3-eu-west-1.amazonaws.com/bucket/x.zip"), "s3::https://s3-eu-west-1.amazonaws.com/bucket/x.zip");
        assert_eq!(norm("https://bucket.s3.amazonaws.com/x.zip"), "https://bucket.s3.amazonaws.com/x.zip");
        assert_eq!(norm("gcs::https://www.googleapis.com/storage/v1/b/m.zip"), "gcs::https://www.googleapis.com/storage/v1/b/m.zip");
        assert_eq!(norm("www.googleapis.com/storage/v1/b/mods/m.zip"), "gcs::https://www.googleapis.com/storage/v1/b/mods/m.zip");
        match ModuleSource::parse("acme/net/aws//a/../b").unwrap() {
            ModuleSource::Registry(r) => assert_eq!((r.host.as_str(), r.subdir.as_str()), (DEFAULT_REGISTRY_HOST, "b")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_sources_say_why() {
        assert!(ModuleSource::parse("acme/net/AWS").unwrap_err().contains("lower-case"));
        assert!(ModuleSource::parse("hg::https://example.com/repo").unwrap_err().contains("not supported"));
        assert!(ModuleSource::parse("s3::bucket/x.zip").unwrap_err().contains("takes an http(s) URL"));
        assert!(ModuleSource::parse("modules/x").unwrap_err().contains("not a module source"));
        assert!(ModuleSource::parse("/abs/x").unwrap_err().contains("absolute"));
        assert!(ModuleSource::parse("git::https://h/r.git//../x").unwrap_err().contains("out of its package"));
    }
}
