//! The provider block and the environment: region, profile, credentials,
//! endpoints per service, the role to assume, default tags, retries and the
//! ownership tag. Secrets are held in [`Secret`], whose `Debug` hides them.

use std::collections::BTreeMap;
use std::fmt;

use iac_core::Value;

/// The services this provider calls, as named in `endpoints { ... }` and in
/// `AWS_ENDPOINT_URL_<SERVICE>`.
pub const SERVICES: &[&str] = &["ec2", "ecrpublic", "eks", "events", "iam", "kms", "logs", "s3", "sqs", "ssm", "sts"];

/// Other names Terraform's `endpoints { }` accepts for a service: (alias, service).
pub const SERVICE_ALIASES: &[(&str, &str)] = &[("cloudwatchevents", "events"), ("cloudwatchlogs", "logs"), ("eventbridge", "events")];

/// The AWS SDKs' environment variables for a service's endpoint, first
/// (`AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`), then `AWS_ENDPOINT_URL_<SERVICE>`.
pub fn endpoint_env_keys(svc: &str) -> Vec<String> {
    let sdk_id = match svc {
        "logs" => Some("CLOUDWATCH_LOGS"),
        "events" => Some("EVENTBRIDGE"),
        "ecrpublic" => Some("ECR_PUBLIC"),
        _ => None,
    };
    sdk_id.into_iter().map(str::to_string).chain([svc.to_uppercase()]).map(|k| format!("AWS_ENDPOINT_URL_{k}")).collect()
}

/// Why a provider block cannot be used, in the two kinds hashicorp/aws
/// has: Terraform asks its validation before it plans (a rejection leaves
/// no plan), its configuration during the plan walk (a rejection leaves an
/// errored plan).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// What hashicorp/aws's validation of the block rejects (an argument's
    /// form, arguments that go together or exclude each other).
    #[error("{0}")]
    Invalid(String),
    /// What hashicorp/aws's validation of one argument rejects, in its
    /// words, and the argument (`assume_role[0].role_arn`).
    #[error("{message}")]
    InvalidArgument { path: iac_core::AttrPath, message: String },
    /// What hashicorp/aws rejects only when it is configured (credentials
    /// it cannot make up).
    #[error("{0}")]
    Unusable(String),
}

/// A secret string: shown as `***` by `Debug`, never logged.
#[derive(Clone, PartialEq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// None: the SDK's chain (profile) decides.
    pub region: Option<String>,
    pub profile: Option<String>,
    /// From the block or the environment; None: the SDK's default chain.
    pub credentials: Option<StaticCredentials>,
    /// Endpoint per service (`ec2`, `eks`, ...), already resolved from the
    /// block, then `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`.
    pub endpoints: BTreeMap<String, String>,
    pub assume_role: Option<AssumeRole>,
    pub default_tags: BTreeMap<String, String>,
    /// Attempts per call, first included (adaptive retry mode).
    pub max_attempts: u32,
    pub s3_use_path_style: bool,
    /// Poll interval of the waiters.
    pub poll_interval: std::time::Duration,
    /// The only accounts the provider may work in (empty: any).
    pub allowed_account_ids: Vec<String>,
    /// Accounts the provider must not work in.
    pub forbidden_account_ids: Vec<String>,
    /// Tags the provider neither reports nor compares (`ignore_tags`).
    pub ignore_tags: IgnoreTags,
    /// `assume_role_with_web_identity`: credentials from STS for a web identity token.
    pub web_identity: Option<WebIdentity>,
}

/// Tags AWS holds that the configuration does not manage (set by other
/// tools or by AWS itself): never reported, so never drift.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IgnoreTags {
    /// Exact keys.
    pub keys: Vec<String>,
    /// Key prefixes.
    pub key_prefixes: Vec<String>,
}

impl IgnoreTags {
    /// Whether a tag key is ignored.
    pub fn ignores(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key) || self.key_prefixes.iter().any(|p| key.starts_with(p.as_str()))
    }
}

/// How to assume a role with a web identity token (an OIDC token, as in
/// CI systems and EKS pods).
#[derive(Debug, Clone, PartialEq)]
pub struct WebIdentity {
    /// The role to assume.
    pub role_arn: String,
    /// The session's name.
    pub session_name: String,
    /// The token, given inline; else read from `token_file`.
    pub token: Option<Secret>,
    /// The file holding the token.
    pub token_file: Option<String>,
    /// The session's duration in seconds.
    pub duration_seconds: Option<i32>,
    /// An inline session policy.
    pub policy: Option<String>,
    /// Managed session policies.
    pub policy_arns: Vec<String>,
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The first object of a `List` block (`endpoints { }`), or the object itself.
fn single_block<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v.get(key)?.unmarked() {
        Value::List(l) => l.first(),
        m @ Value::Map(_) => Some(m),
        _ => None,
    }
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// `assume_role[0].role_arn`.
fn role_arn_path() -> iac_core::AttrPath {
    use iac_core::path::PathStep;
    iac_core::AttrPath::attr("assume_role").child(PathStep::Index(0)).child(PathStep::Attr("role_arn".into()))
}

/// Whether `arn` has an ARN's form, as the AWS SDK for Go parses one: the
/// `arn:` prefix and six `:`-separated sections; else the SDK's reason.
fn arn_form(arn: &str) -> Result<(), &'static str> {
    if !arn.starts_with("arn:") {
        return Err("arn: invalid prefix");
    }
    if arn.splitn(6, ':').count() != 6 {
        return Err("arn: not enough sections");
    }
    Ok(())
}

impl Settings {
    /// From the provider block, then `env` (the variables the CLI passed in).
    pub fn from_config(config: &Value, env: &[(String, String)]) -> Result<Settings, SettingsError> {
        use SettingsError::Invalid;
        let from_env = |k: &str| env.iter().find(|(n, v)| n == k && !v.is_empty()).map(|(_, v)| v.clone());
        let region = str_at(config, "region").map(str::to_string).or_else(|| from_env("AWS_REGION")).or_else(|| from_env("AWS_DEFAULT_REGION"));
        let profile = str_at(config, "profile").map(str::to_string).or_else(|| from_env("AWS_PROFILE"));

        let credentials = match (str_at(config, "access_key"), str_at(config, "secret_key")) {
            (Some(a), Some(s)) => {
                Some(StaticCredentials { access_key_id: a.into(), secret_access_key: Secret::new(s), session_token: str_at(config, "token").map(Secret::new) })
            }
            (Some(_), None) | (None, Some(_)) => return Err(SettingsError::Unusable("access_key and secret_key must be set together".into())),
            // A profile named in the block wins over keys in the environment.
            (None, None) if str_at(config, "profile").is_some() => None,
            (None, None) => match (from_env("AWS_ACCESS_KEY_ID"), from_env("AWS_SECRET_ACCESS_KEY")) {
                (Some(a), Some(s)) => Some(StaticCredentials {
                    access_key_id: a,
                    secret_access_key: Secret::new(s),
                    session_token: from_env("AWS_SESSION_TOKEN").map(Secret::new),
                }),
                _ => None,
            },
        };

        let block = single_block(config, "endpoints");
        let mut endpoints = BTreeMap::new();
        for svc in SERVICES {
            let aliases = SERVICE_ALIASES.iter().filter(|(_, s)| s == svc).map(|(a, _)| *a);
            let url = block
                .and_then(|b| std::iter::once(*svc).chain(aliases).find_map(|k| str_at(b, k)))
                .map(str::to_string)
                .or_else(|| endpoint_env_keys(svc).iter().find_map(|k| from_env(k)))
                .or_else(|| from_env("AWS_ENDPOINT_URL"));
            if let Some(url) = url {
                if !is_url(&url) {
                    return Err(Invalid(format!("the {svc} endpoint {url:?} must be an http(s) URL")));
                }
                endpoints.insert(svc.to_string(), url);
            }
        }
        if let Some(b) = block {
            for (k, _) in b.as_map().into_iter().flatten().filter(|(_, v)| !v.is_null()) {
                if !SERVICES.contains(&k.as_str()) && !SERVICE_ALIASES.iter().any(|(a, _)| a == k) {
                    return Err(Invalid(format!("endpoints: unknown service {k:?} (known: {})", SERVICES.join(", "))));
                }
            }
        }

        let assume_role = match single_block(config, "assume_role") {
            Some(b) => {
                let role_arn = str_at(b, "role_arn").ok_or_else(|| Invalid("assume_role needs role_arn".into()))?.to_string();
                if let Err(why) = arn_form(&role_arn) {
                    // hashicorp/aws's ARN validation, in its words.
                    return Err(SettingsError::InvalidArgument {
                        path: role_arn_path(),
                        message: format!("\"assume_role.0.role_arn\" ({role_arn}) is an invalid ARN: {why}"),
                    });
                }
                Some(AssumeRole {
                    role_arn,
                    session_name: str_at(b, "session_name").unwrap_or("iac").to_string(),
                    external_id: str_at(b, "external_id").map(str::to_string),
                })
            }
            None => None,
        };

        let default_tags = single_block(config, "default_tags")
            .and_then(|b| b.get("tags"))
            .and_then(Value::as_map)
            .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
            .unwrap_or_default();

        let max_retries = config
            .get("max_retries")
            .and_then(Value::as_f64)
            .or_else(|| from_env("AWS_MAX_ATTEMPTS").and_then(|s| s.parse::<f64>().ok()).map(|a| a - 1.0))
            .unwrap_or(24.0);
        let s3_use_path_style =
            config.get("s3_use_path_style").and_then(Value::as_bool).unwrap_or(false) || from_env("AWS_S3_USE_PATH_STYLE").is_some_and(|v| v == "true");
        let strings =
            |v: Option<&Value>| -> Vec<String> { v.and_then(Value::as_list).unwrap_or(&[]).iter().filter_map(|x| x.as_str().map(str::to_string)).collect() };
        let allowed_account_ids = strings(config.get("allowed_account_ids"));
        let forbidden_account_ids = strings(config.get("forbidden_account_ids"));
        if !allowed_account_ids.is_empty() && !forbidden_account_ids.is_empty() {
            return Err(Invalid("allowed_account_ids and forbidden_account_ids cannot both be set".into()));
        }
        let ignore_tags = single_block(config, "ignore_tags")
            .map(|b| IgnoreTags { keys: strings(b.get("keys")), key_prefixes: strings(b.get("key_prefixes")) })
            .unwrap_or_default();
        let web_identity = match single_block(config, "assume_role_with_web_identity") {
            Some(b) => {
                let role_arn = str_at(b, "role_arn")
                    .map(str::to_string)
                    .or_else(|| from_env("AWS_ROLE_ARN"))
                    .ok_or_else(|| Invalid("assume_role_with_web_identity needs role_arn (or AWS_ROLE_ARN)".into()))?;
                if !role_arn.starts_with("arn:") {
                    return Err(Invalid(format!("assume_role_with_web_identity.role_arn {role_arn:?} is not an ARN")));
                }
                let token = str_at(b, "web_identity_token").map(Secret::new);
                let token_file = str_at(b, "web_identity_token_file").map(str::to_string).or_else(|| from_env("AWS_WEB_IDENTITY_TOKEN_FILE"));
                if token.is_none() && token_file.is_none() {
                    return Err(Invalid("assume_role_with_web_identity needs web_identity_token or web_identity_token_file".into()));
                }
                let duration_seconds = match str_at(b, "duration") {
                    Some(d) => {
                        Some(iac_core::time::parse_duration(d).map_err(|e| Invalid(format!("assume_role_with_web_identity.duration: {e}")))?.as_secs() as i32)
                    }
                    None => None,
                };
                Some(WebIdentity {
                    role_arn,
                    session_name: str_at(b, "session_name").map(str::to_string).or_else(|| from_env("AWS_ROLE_SESSION_NAME")).unwrap_or_else(|| "iac".into()),
                    token,
                    token_file,
                    duration_seconds,
                    policy: str_at(b, "policy").map(str::to_string),
                    policy_arns: strings(b.get("policy_arns")),
                })
            }
            None => None,
        };
        let poll_ms = config.get("poll_interval_ms").and_then(Value::as_f64).unwrap_or(10_000.0).max(10.0);
        Ok(Settings {
            region,
            profile,
            credentials,
            endpoints,
            assume_role,
            default_tags,
            max_attempts: max_retries.max(0.0) as u32 + 1,
            s3_use_path_style,
            poll_interval: std::time::Duration::from_millis(poll_ms as u64),
            allowed_account_ids,
            forbidden_account_ids,
            ignore_tags,
            web_identity,
        })
    }

    /// The S3 client must address buckets by path when asked to, and when its
    /// endpoint is an IP address or localhost (virtual hosts cannot resolve there).
    pub fn s3_path_style(&self) -> bool {
        self.s3_use_path_style
            || self.endpoints.get("s3").is_some_and(|u| {
                let host = u.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
                host == "localhost" || host.parse::<std::net::IpAddr>().is_ok()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn block(pairs: Vec<(&str, Value)>) -> Value {
        Value::map(pairs)
    }

    #[test]
    fn endpoints_come_from_the_block_then_the_service_variable_then_the_global_one() {
        let e = env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"), ("AWS_ENDPOINT_URL_EKS", "http://127.0.0.1:6000")]);
        let cfg = block(vec![("endpoints", Value::List(vec![Value::map([("s3", Value::from("http://127.0.0.1:7000"))])].into()))]);
        let s = Settings::from_config(&cfg, &e).unwrap();
        assert_eq!(s.endpoints["s3"], "http://127.0.0.1:7000");
        assert_eq!(s.endpoints["eks"], "http://127.0.0.1:6000");
        assert_eq!(s.endpoints["ec2"], "http://127.0.0.1:5000");
        assert_eq!(s.endpoints["iam"], "http://127.0.0.1:5000");
        assert!(s.s3_path_style(), "an IP endpoint needs path-style addressing");
        let none = Settings::from_config(&Value::map(Vec::<(&str, Value)>::new()), &[]).unwrap();
        assert!(none.endpoints.is_empty());
        assert!(!none.s3_path_style());
    }

    #[test]
    fn bad_settings_are_refused_with_a_reason() {
        let bad_url = block(vec![("endpoints", Value::List(vec![Value::map([("ec2", Value::from("localhost:5000"))])].into()))]);
        let refused = |cfg: &Value| Settings::from_config(cfg, &[]).unwrap_err();
        assert!(matches!(refused(&bad_url), SettingsError::Invalid(m) if m.contains("must be an http(s) URL")));
        let bad_service = block(vec![("endpoints", Value::List(vec![Value::map([("lambda", Value::from("http://x"))])].into()))]);
        assert!(matches!(refused(&bad_service), SettingsError::Invalid(m) if m.contains("unknown service \"lambda\"")));
        let half_keys = block(vec![("access_key", Value::from("AKIA"))]);
        // hashicorp/aws finds no credentials only when it is configured.
        assert!(matches!(refused(&half_keys), SettingsError::Unusable(m) if m.contains("together")));
        // hashicorp/aws 5.100.0's words, at the argument.
        let role = |arn: &str| block(vec![("assume_role", Value::List(vec![Value::map([("role_arn", Value::from(arn))])].into()))]);
        let at = role_arn_path();
        for (arn, message) in [
            ("not-an-arn", r#""assume_role.0.role_arn" (not-an-arn) is an invalid ARN: arn: invalid prefix"#),
            ("arn:aws:iam", r#""assume_role.0.role_arn" (arn:aws:iam) is an invalid ARN: arn: not enough sections"#),
        ] {
            assert_eq!(refused(&role(arn)), SettingsError::InvalidArgument { path: at.clone(), message: message.into() });
        }
        assert!(Settings::from_config(&role("arn:aws:iam::123456789012:role/admin"), &[]).is_ok());
    }

    #[test]
    fn region_credentials_and_default_tags() {
        let e = env(&[("AWS_DEFAULT_REGION", "eu-west-1"), ("AWS_ACCESS_KEY_ID", "AKIAENV"), ("AWS_SECRET_ACCESS_KEY", "env-secret-key")]);
        let cfg = block(vec![("default_tags", Value::List(vec![Value::map([("tags", Value::map([("team", Value::from("platform"))]))])].into()))]);
        let s = Settings::from_config(&cfg, &e).unwrap();
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        let c = s.credentials.as_ref().unwrap();
        assert_eq!(c.access_key_id, "AKIAENV");
        assert_eq!(c.secret_access_key.expose(), "env-secret-key");
        assert_eq!(s.default_tags.get("team").map(String::as_str), Some("platform"));
        assert!(!format!("{s:?}").contains("env-secret-key"), "Debug never shows the secret key");
        let s = Settings::from_config(&block(vec![("region", Value::from("us-west-2")), ("profile", Value::from("ci"))]), &e).unwrap();
        assert_eq!(s.region.as_deref(), Some("us-west-2"));
        assert_eq!(s.credentials, None, "a profile in the block wins over keys in the environment");
        assert_eq!(s.max_attempts, 25);
    }
}
