//! `backend "s3" { … }` settings, with `-backend-config key=value`
//! overrides, checked into an [`S3Config`].

use std::collections::BTreeMap;

/// Where and how one stack's state is kept in S3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket holding the state.
    pub bucket: String,
    /// The state object's key; the lock and journal objects sit beside it.
    pub key: String,
    /// None: the region from the AWS environment (`AWS_REGION`, profile).
    pub region: Option<String>,
    /// An S3-compatible endpoint (MinIO, moto, Ceph) instead of AWS.
    pub endpoint: Option<String>,
    /// Address the bucket in the path (`host/bucket/key`) rather than the
    /// host name, as most S3-compatible servers need.
    pub use_path_style: bool,
    /// Server-side encryption of every object (SSE-S3, or SSE-KMS with `kms_key_id`).
    pub encrypt: bool,
    /// The KMS key for SSE-KMS; None: SSE-S3.
    pub kms_key_id: Option<String>,
    /// Terraform's prefix for non-default workspaces; iac has only the
    /// default workspace, whose state is at `key`, so this is accepted and
    /// kept for compatibility only.
    pub workspace_key_prefix: String,
    /// A named profile from the shared AWS config files.
    pub profile: Option<String>,
    /// Static credentials; better left to the environment (`AWS_ACCESS_KEY_ID`…).
    pub access_key: Option<String>,
    /// The secret of `access_key`.
    pub secret_key: Option<String>,
    /// Terraform's DynamoDB lock table: accepted so Terraform's
    /// configurations load, never used (iac locks with S3 conditional
    /// writes, and does not check this table).
    pub dynamodb_table: Option<String>,
    /// Terraform 1.10's S3 lock object (`<key>.tflock`): accepted so
    /// Terraform's configurations load. iac always locks with conditional
    /// writes of its own `<key>.lock`, so either value locks the same way.
    pub use_lockfile: bool,
}

/// Why a `backend "s3"` configuration cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required setting (named) is missing.
    #[error("backend \"s3\": {0:?} is required")]
    Missing(&'static str),
    /// A setting the backend does not have (named).
    #[error("backend \"s3\": unknown setting {0:?} (known: {known})", known = KNOWN.join(", "))]
    Unknown(String),
    /// A setting whose value has the wrong form.
    #[error("backend \"s3\": {key} must be {want}, not {got}")]
    Invalid {
        /// The setting.
        key: String,
        /// What it must be ("true or false").
        want: &'static str,
        /// What it was.
        got: String,
    },
}

const KNOWN: &[&str] = &[
    "bucket",
    "key",
    "region",
    "endpoint",
    "use_path_style",
    "force_path_style",
    "encrypt",
    "kms_key_id",
    "workspace_key_prefix",
    "profile",
    "access_key",
    "secret_key",
    "dynamodb_table",
    "use_lockfile",
];

enum Setting {
    Json(serde_json::Value),
    Text(String),
}

impl Setting {
    fn string(&self, key: &str) -> Result<String, ConfigError> {
        match self {
            Setting::Text(s) => Ok(s.clone()),
            Setting::Json(serde_json::Value::String(s)) => Ok(s.clone()),
            Setting::Json(v) => Err(ConfigError::Invalid { key: key.into(), want: "a string", got: v.to_string() }),
        }
    }

    fn bool(&self, key: &str) -> Result<bool, ConfigError> {
        match self {
            Setting::Json(serde_json::Value::Bool(b)) => Ok(*b),
            Setting::Text(s) | Setting::Json(serde_json::Value::String(s)) => match s.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(ConfigError::Invalid { key: key.into(), want: "true or false", got: format!("{s:?}") }),
            },
            Setting::Json(v) => Err(ConfigError::Invalid { key: key.into(), want: "true or false", got: v.to_string() }),
        }
    }
}

impl S3Config {
    /// The block's literal settings, each replaced by an override of the same name.
    pub fn from_settings(settings: &BTreeMap<String, serde_json::Value>, overrides: &[(String, String)]) -> Result<S3Config, ConfigError> {
        let mut all: BTreeMap<String, Setting> = settings.iter().map(|(k, v)| (k.clone(), Setting::Json(v.clone()))).collect();
        for (k, v) in overrides {
            all.insert(k.clone(), Setting::Text(v.clone()));
        }
        if let Some(unknown) = all.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(ConfigError::Unknown(unknown.clone()));
        }
        let string = |k: &str| all.get(k).map(|s| s.string(k)).transpose();
        let boolean = |k: &str| all.get(k).map(|s| s.bool(k)).transpose();
        let nonempty = |k: &'static str| -> Result<String, ConfigError> { string(k)?.filter(|s| !s.is_empty()).ok_or(ConfigError::Missing(k)) };
        let key = nonempty("key")?;
        if all.contains_key("access_key") != all.contains_key("secret_key") {
            return Err(ConfigError::Missing(if all.contains_key("access_key") { "secret_key" } else { "access_key" }));
        }
        if key.ends_with('/') || key.starts_with('/') {
            return Err(ConfigError::Invalid { key: "key".into(), want: "an object key that neither starts nor ends with /", got: format!("{key:?}") });
        }
        Ok(S3Config {
            bucket: nonempty("bucket")?,
            key,
            region: string("region")?.filter(|s| !s.is_empty()),
            endpoint: string("endpoint")?.filter(|s| !s.is_empty()),
            use_path_style: boolean("use_path_style")?.or(boolean("force_path_style")?).unwrap_or(false),
            encrypt: boolean("encrypt")?.unwrap_or(false),
            kms_key_id: string("kms_key_id")?.filter(|s| !s.is_empty()),
            workspace_key_prefix: string("workspace_key_prefix")?.unwrap_or_else(|| "env:".into()),
            profile: string("profile")?.filter(|s| !s.is_empty()),
            access_key: string("access_key")?.filter(|s| !s.is_empty()),
            secret_key: string("secret_key")?.filter(|s| !s.is_empty()),
            dynamodb_table: string("dynamodb_table")?.filter(|s| !s.is_empty()),
            use_lockfile: boolean("use_lockfile")?.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(v: serde_json::Value) -> BTreeMap<String, serde_json::Value> {
        serde_json::from_value(v).expect("object")
    }

    #[test]
    fn block_settings_with_overrides() {
        let s = settings(json!({"bucket": "b", "key": "stacks/web.tfstate", "region": "eu-west-1", "encrypt": true}));
        let c = S3Config::from_settings(
            &s,
            &[("endpoint".into(), "http://127.0.0.1:9000".into()), ("use_path_style".into(), "true".into()), ("bucket".into(), "other".into())],
        )
        .expect("valid");
        assert_eq!(
            c,
            S3Config {
                bucket: "other".into(),
                key: "stacks/web.tfstate".into(),
                region: Some("eu-west-1".into()),
                endpoint: Some("http://127.0.0.1:9000".into()),
                use_path_style: true,
                encrypt: true,
                kms_key_id: None,
                workspace_key_prefix: "env:".into(),
                profile: None,
                access_key: None,
                secret_key: None,
                dynamodb_table: None,
                use_lockfile: false,
            }
        );
    }

    #[test]
    fn terraform_1_10s_lockfile_setting_loads() {
        let c = S3Config::from_settings(&settings(json!({"bucket": "b", "key": "k", "use_lockfile": true})), &[]).expect("valid");
        assert!(c.use_lockfile);
    }

    #[test]
    fn bad_settings_are_named() {
        let cases: &[(serde_json::Value, ConfigError)] = &[
            (json!({"key": "k"}), ConfigError::Missing("bucket")),
            (json!({"bucket": "b"}), ConfigError::Missing("key")),
            (json!({"bucket": "b", "key": ""}), ConfigError::Missing("key")),
            (json!({"bucket": "b", "key": "k", "lock_everything": true}), ConfigError::Unknown("lock_everything".into())),
            (
                json!({"bucket": "b", "key": "k", "use_lockfile": "yes"}),
                ConfigError::Invalid { key: "use_lockfile".into(), want: "true or false", got: "\"yes\"".into() },
            ),
            (
                json!({"bucket": "b", "key": "k", "encrypt": "yes"}),
                ConfigError::Invalid { key: "encrypt".into(), want: "true or false", got: "\"yes\"".into() },
            ),
            (json!({"bucket": "b", "key": "k", "access_key": "AK"}), ConfigError::Missing("secret_key")),
            (json!({"bucket": 3, "key": "k"}), ConfigError::Invalid { key: "bucket".into(), want: "a string", got: "3".into() }),
        ];
        for (s, want) in cases {
            assert_eq!(S3Config::from_settings(&settings(s.clone()), &[]).as_ref(), Err(want), "{s}");
        }
        let e = S3Config::from_settings(&settings(json!({"bucket": "b", "key": "k/"})), &[]).expect_err("trailing slash");
        assert!(e.to_string().contains("key"), "{e}");
    }
}
