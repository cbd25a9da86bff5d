//! Terraform's CLI configuration, the parts that decide where providers come
//! from: `provider_installation` (`filesystem_mirror`, `network_mirror`,
//! `direct`, `dev_overrides`) and `plugin_cache_dir`. Found as Terraform finds it:
//! `TF_CLI_CONFIG_FILE`, else `~/.terraformrc`; `TF_PLUGIN_CACHE_DIR`
//! overrides the cache directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};

use crate::source::ProviderSource;
use crate::InstallError;

/// One installation method, tried in the order written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    FilesystemMirror {
        path: PathBuf,
        include: Vec<String>,
        exclude: Vec<String>,
    },
    /// The origin registry (over the network).
    Direct {
        include: Vec<String>,
        exclude: Vec<String>,
    },
    /// A server speaking the provider network mirror protocol; `url` is an
    /// `https:` base URL ending in `/`.
    NetworkMirror {
        url: String,
        include: Vec<String>,
        exclude: Vec<String>,
    },
}

impl Method {
    /// Whether the method's include/exclude patterns admit a source
    /// (`hashicorp/*`, `registry.terraform.io/*/*`, `*/*`).
    pub fn admits(&self, source: &ProviderSource) -> bool {
        let (include, exclude) = match self {
            Method::FilesystemMirror { include, exclude, .. } | Method::Direct { include, exclude } | Method::NetworkMirror { include, exclude, .. } => {
                (include, exclude)
            }
        };
        let matches = |pattern: &String| pattern_matches(pattern, source);
        (include.is_empty() || include.iter().any(matches)) && !exclude.iter().any(matches)
    }
}

fn pattern_matches(pattern: &str, source: &ProviderSource) -> bool {
    let Ok(p) = ProviderSource::parse(&pattern.replace('*', "x-wildcard-x")) else { return false };
    let part = |p: &str, s: &str| p == "x-wildcard-x" || p == s;
    part(&p.host, &source.host) && part(&p.namespace, &source.namespace) && part(&p.type_, &source.type_)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CliConfig {
    /// Where the configuration came from (None: no file).
    pub file: Option<PathBuf>,
    /// Explicit methods; None when the file has no `provider_installation`
    /// block (Terraform then searches its implied local mirrors, then the
    /// registry).
    pub methods: Option<Vec<Method>>,
    /// `dev_overrides`: a source served by the plugin binary in a directory,
    /// with no version, no lock file entry and no installation.
    pub dev_overrides: BTreeMap<ProviderSource, PathBuf>,
    pub plugin_cache_dir: Option<PathBuf>,
    /// `host "NAME" { services = { "modules.v1" = "URL" } }`: service
    /// discovery answers given locally instead of asked from the host.
    pub hosts: BTreeMap<String, BTreeMap<String, String>>,
    /// `credentials "HOST" { token = "..." }`, by lower-case host name.
    pub credentials: BTreeMap<String, Token>,
}

/// A registry API token. Its Debug form hides the value, so a token can sit
/// in any structure that gets logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(pub String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

impl CliConfig {
    /// The token for a host, as Terraform finds it: a `TF_TOKEN_<host>`
    /// variable first (dots written `_`, hyphens `__`), then a `credentials`
    /// block of the CLI configuration.
    pub fn token_for(&self, host: &str, env: &BTreeMap<String, String>) -> Option<Token> {
        let host = host.to_ascii_lowercase();
        let from_env = env.iter().find_map(|(k, v)| {
            let name = k.strip_prefix("TF_TOKEN_")?;
            // `__` stands for a hyphen, a single `_` for a dot.
            let decoded = name.split("__").map(|p| p.replace('_', ".")).collect::<Vec<_>>().join("-");
            (decoded.eq_ignore_ascii_case(&host) && !v.is_empty()).then(|| Token(v.clone()))
        });
        from_env.or_else(|| self.credentials.get(&host).cloned())
    }
}

impl CliConfig {
    /// Loads the CLI configuration the way Terraform does, from the given
    /// environment (`TF_CLI_CONFIG_FILE`, `TF_PLUGIN_CACHE_DIR`, `HOME`).
    pub fn load(env: &BTreeMap<String, String>) -> Result<CliConfig, InstallError> {
        let file = match env.get("TF_CLI_CONFIG_FILE").filter(|v| !v.is_empty()) {
            Some(f) => Some(PathBuf::from(f)),
            None => env.get("HOME").map(|h| Path::new(h).join(".terraformrc")).filter(|p| p.is_file()),
        };
        let mut config = match &file {
            // As Terraform: a configuration file named but absent is no configuration.
            Some(path) if !path.exists() => {
                tracing::debug!(path = %path.display(), "the CLI configuration file does not exist");
                CliConfig::default()
            }
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| InstallError::Io { path: path.clone(), source: e })?;
                let mut c = CliConfig::parse(&text).map_err(|why| InstallError::BadCliConfig { path: path.clone(), why })?;
                c.file = Some(path.clone());
                c
            }
            None => CliConfig::default(),
        };
        if let Some(dir) = env.get("TF_PLUGIN_CACHE_DIR").filter(|v| !v.is_empty()) {
            config.plugin_cache_dir = Some(PathBuf::from(dir));
        }
        Ok(config)
    }

    pub fn parse(text: &str) -> Result<CliConfig, String> {
        let body: Body = quoted_keys_to_idents(text).parse().map_err(|e: hcl_edit::parser::Error| e.to_string())?;
        let mut out = CliConfig::default();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) if a.key.as_str() == "plugin_cache_dir" => {
                    out.plugin_cache_dir = Some(PathBuf::from(string(&a.value, "plugin_cache_dir")?))
                }
                // Settings for other parts of Terraform (credentials, host blocks, checkpoints).
                Structure::Attribute(_) => {}
                Structure::Block(b) if b.ident.as_str() == "provider_installation" => {
                    let mut methods = Vec::new();
                    for m in b.body.iter() {
                        let Structure::Block(m) = m else { return Err("provider_installation holds only blocks".into()) };
                        let list = |key: &str| -> Result<Vec<String>, String> {
                            m.body.iter().filter_map(|x| x.as_attribute()).filter(|a| a.key.as_str() == key).try_fold(Vec::new(), |mut acc, a| {
                                acc.extend(strings(&a.value, key)?);
                                Ok(acc)
                            })
                        };
                        match m.ident.as_str() {
                            "filesystem_mirror" => {
                                let path = m
                                    .body
                                    .iter()
                                    .filter_map(|x| x.as_attribute())
                                    .find(|a| a.key.as_str() == "path")
                                    .ok_or("filesystem_mirror needs a path")?;
                                methods.push(Method::FilesystemMirror {
                                    path: PathBuf::from(string(&path.value, "path")?),
                                    include: list("include")?,
                                    exclude: list("exclude")?,
                                });
                            }
                            "direct" => methods.push(Method::Direct { include: list("include")?, exclude: list("exclude")? }),
                            "network_mirror" => {
                                let url =
                                    m.body.iter().filter_map(|x| x.as_attribute()).find(|a| a.key.as_str() == "url").ok_or("network_mirror needs a url")?;
                                let url = network_mirror_url(&string(&url.value, "url")?)?;
                                methods.push(Method::NetworkMirror { url, include: list("include")?, exclude: list("exclude")? });
                            }
                            "dev_overrides" => {
                                for a in m.body.iter().filter_map(|x| x.as_attribute()) {
                                    let source = ProviderSource::parse(&ident_to_key(a.key.as_str())).map_err(|e| e.to_string())?;
                                    out.dev_overrides.insert(source, PathBuf::from(string(&a.value, a.key.as_str())?));
                                }
                                if let Some(m) = m.body.iter().find_map(|x| x.as_block()) {
                                    return Err(format!("dev_overrides takes \"SOURCE\" = \"DIR\" entries, not a {} block", m.ident.as_str()));
                                }
                            }
                            other => return Err(format!("unknown installation method {other:?}")),
                        }
                    }
                    out.methods = Some(methods);
                }
                Structure::Block(b) if b.ident.as_str() == "host" => {
                    let host = block_label(b, "host")?;
                    let services = b
                        .body
                        .iter()
                        .filter_map(|x| x.as_attribute())
                        .find(|a| a.key.as_str() == "services")
                        .ok_or_else(|| format!("host {host:?} needs services"))?;
                    let Expression::Object(o) = &services.value else { return Err(format!("host {host:?}: services must be an object")) };
                    let mut map = BTreeMap::new();
                    for (k, v) in o.iter() {
                        let key = match k {
                            hcl_edit::expr::ObjectKey::Ident(i) => ident_to_key(i.as_str()),
                            hcl_edit::expr::ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
                            hcl_edit::expr::ObjectKey::Expression(_) => return Err(format!("host {host:?}: service names must be strings")),
                        };
                        // A service may also be an object (login.v1); only URL strings matter here.
                        if let Expression::String(url) = v.expr() {
                            map.insert(key, url.as_str().to_string());
                        }
                    }
                    out.hosts.insert(host.to_ascii_lowercase(), map);
                }
                Structure::Block(b) if b.ident.as_str() == "credentials" => {
                    let host = block_label(b, "credentials")?;
                    let token = b
                        .body
                        .iter()
                        .filter_map(|x| x.as_attribute())
                        .find(|a| a.key.as_str() == "token")
                        .ok_or_else(|| format!("credentials {host:?} needs a token"))?;
                    out.credentials.insert(host.to_ascii_lowercase(), Token(string(&token.value, "token")?));
                }
                Structure::Block(_) => {}
            }
        }
        Ok(out)
    }
}

/// A network mirror's base URL, checked as Terraform checks it: `https:`
/// only, with a host; a missing final `/` is added.
fn network_mirror_url(text: &str) -> Result<String, String> {
    let u = url::Url::parse(text).map_err(|e| format!("network_mirror url {text:?} is not a URL: {e}"))?;
    if u.scheme() != "https" || u.host_str().is_none_or(str::is_empty) {
        return Err(format!("network_mirror url {text:?}: a network mirror must be at an https: URL"));
    }
    let mut s = u.to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    Ok(s)
}

/// The CLI configuration is HCL 1, where an argument name may be quoted
/// (`"hashicorp/aws" = "/dir"` in `dev_overrides`); HCL 2 does not allow
/// that, so such names become identifiers carrying the name hex-encoded.
fn quoted_keys_to_idents(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let key = trimmed
            .strip_prefix('"')
            .and_then(|rest| rest.split_once('"'))
            .filter(|(_, after)| after.trim_start().starts_with('=') && !after.trim_start().starts_with("=="));
        match key {
            Some((name, after)) => {
                out.push_str(indent);
                out.push_str(QUOTED_PREFIX);
                out.push_str(&hex::encode(name));
                out.push_str(after);
            }
            None => out.push_str(line),
        }
    }
    out
}

const QUOTED_PREFIX: &str = "iac_quoted_";

fn ident_to_key(ident: &str) -> String {
    ident.strip_prefix(QUOTED_PREFIX).and_then(|h| hex::decode(h).ok()).and_then(|b| String::from_utf8(b).ok()).unwrap_or_else(|| ident.to_string())
}

fn block_label(b: &hcl_edit::structure::Block, what: &str) -> Result<String, String> {
    match b.labels.as_slice() {
        [l] => Ok(match l {
            hcl_edit::structure::BlockLabel::Ident(i) => i.as_str().to_string(),
            hcl_edit::structure::BlockLabel::String(s) => s.as_str().to_string(),
        }),
        _ => Err(format!("a {what} block takes one label, the host name")),
    }
}

fn string(e: &Expression, what: &str) -> Result<String, String> {
    match e {
        Expression::String(s) => Ok(s.as_str().to_string()),
        _ => Err(format!("{what} must be a string")),
    }
}

fn strings(e: &Expression, what: &str) -> Result<Vec<String>, String> {
    match e {
        Expression::Array(items) => items.iter().map(|i| string(i, what)).collect(),
        _ => Err(format!("{what} must be a list of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_installation_is_read_as_terraform_reads_it() {
        let c = CliConfig::parse(
            r#"
plugin_cache_dir = "/var/cache/tf"
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = "/opt/tf-plugins"
    include = ["hashicorp/*"]
  }
  direct {
    exclude = ["hashicorp/*"]
  }
  dev_overrides {
    "example.com/acme/thing" = "/home/dev/bin"
  }
}
"#,
        )
        .unwrap();
        assert_eq!(c.plugin_cache_dir.as_deref(), Some(Path::new("/var/cache/tf")));
        let methods = c.methods.unwrap();
        let aws = ProviderSource::parse("hashicorp/aws").unwrap();
        let other = ProviderSource::parse("acme/thing").unwrap();
        assert!(methods[0].admits(&aws) && !methods[0].admits(&other));
        assert!(!methods[1].admits(&aws) && methods[1].admits(&other));
        assert_eq!(c.dev_overrides[&ProviderSource::parse("example.com/acme/thing").unwrap()], PathBuf::from("/home/dev/bin"));
        assert!(CliConfig::parse("provider_installation {\n  filesystem_mirror {}\n}\n").unwrap_err().contains("needs a path"));
        assert!(CliConfig::parse("provider_installation {\n  teleport {}\n}\n").unwrap_err().contains("teleport"));
        let c = CliConfig::parse(
            "provider_installation {\n  network_mirror {\n    url = \"https://mirror.example.test/providers\"\n    exclude = [\"acme/*\"]\n  }\n}\n",
        )
        .unwrap();
        let m = &c.methods.unwrap()[0];
        assert_eq!(m, &Method::NetworkMirror { url: "https://mirror.example.test/providers/".into(), include: vec![], exclude: vec!["acme/*".into()] });
        assert!(m.admits(&aws) && !m.admits(&other));
        assert!(CliConfig::parse("provider_installation {\n  network_mirror {\n    url = \"http://mirror.example.test/\"\n  }\n}\n")
            .unwrap_err()
            .contains("must be at an https: URL"));
        assert!(CliConfig::parse("provider_installation {\n  network_mirror {}\n}\n").unwrap_err().contains("needs a url"));
    }

    #[test]
    fn hosts_and_credentials_are_read_and_tokens_found_as_terraform_finds_them() {
        let c = CliConfig::parse(
            r#"
host "registry.example.test" {
  services = {
    "modules.v1" = "http://127.0.0.1:1234/v1/modules/"
  }
}
credentials "Registry.Example.Test" {
  token = "from-config"
}
credentials "other-host.example.test" {
  token = "other"
}
"#,
        )
        .unwrap();
        assert_eq!(c.hosts["registry.example.test"]["modules.v1"], "http://127.0.0.1:1234/v1/modules/");
        let none = BTreeMap::new();
        assert_eq!(c.token_for("registry.example.test", &none), Some(Token("from-config".into())));
        let env: BTreeMap<String, String> = [
            ("TF_TOKEN_registry_example_test".to_string(), "from-env".to_string()),
            ("TF_TOKEN_other__host_example_test".to_string(), "env-other".to_string()),
        ]
        .into();
        assert_eq!(c.token_for("REGISTRY.example.test", &env), Some(Token("from-env".into())), "the variable wins");
        assert_eq!(c.token_for("other-host.example.test", &env), Some(Token("env-other".into())), "__ is a hyphen");
        assert_eq!(c.token_for("nowhere.test", &env), None);
        assert_eq!(format!("{:?}", c.credentials), r#"{"other-host.example.test": Token(<hidden>), "registry.example.test": Token(<hidden>)}"#);
    }

    #[test]
    fn the_environment_chooses_the_file_and_the_cache() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("rc");
        std::fs::write(&f, "plugin_cache_dir = \"/a\"\n").unwrap();
        let env: BTreeMap<String, String> = [("TF_CLI_CONFIG_FILE".to_string(), f.display().to_string())].into();
        assert_eq!(CliConfig::load(&env).unwrap().plugin_cache_dir, Some(PathBuf::from("/a")));
        let mut env2 = env.clone();
        env2.insert("TF_PLUGIN_CACHE_DIR".into(), "/b".into());
        assert_eq!(CliConfig::load(&env2).unwrap().plugin_cache_dir, Some(PathBuf::from("/b")));
        let none: BTreeMap<String, String> = [("HOME".to_string(), d.path().display().to_string())].into();
        assert_eq!(CliConfig::load(&none).unwrap(), CliConfig::default());
    }
}
