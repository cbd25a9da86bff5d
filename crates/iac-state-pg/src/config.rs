//! `backend "pg" { conn_str, schema_name }` settings, with `-backend-config`
//! overrides and `PG_CONN_STR`, checked into a [`PgConfig`].

use std::collections::BTreeMap;

/// Where one stack's state lives in PostgreSQL.
#[derive(Clone, PartialEq, Eq)]
pub struct PgConfig {
    /// A libpq connection string or URL (may hold a password: never printed).
    pub conn_str: String,
    /// The schema holding this stack's tables; one schema per stack, as in
    /// Terraform's pg backend.
    pub schema_name: String,
}

impl std::fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConfig").field("conn_str", &"<redacted>").field("schema_name", &self.schema_name).finish()
    }
}

/// Terraform's default schema for the pg backend.
pub const DEFAULT_SCHEMA: &str = "terraform_remote_state";

/// Why a `backend "pg"` configuration cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No connection string anywhere.
    #[error("backend \"pg\": conn_str is required (in the block, as -backend-config=conn_str=…, or in PG_CONN_STR)")]
    MissingConnStr,
    /// A setting the backend does not have (named).
    #[error("backend \"pg\": unknown setting {0:?} (known: conn_str, schema_name)")]
    Unknown(String),
    /// A setting (named) whose value is not a string.
    #[error("backend \"pg\": {0} must be a string")]
    NotAString(String),
    /// A schema name PostgreSQL would not take unquoted.
    #[error("backend \"pg\": schema_name {0:?} must be letters, digits and _ (not starting with a digit), at most 63 characters")]
    BadSchema(String),
}

impl PgConfig {
    /// Settings from the block, then overrides, then `env_conn_str`
    /// (`PG_CONN_STR`) when no conn_str was given.
    pub fn from_settings(
        settings: &BTreeMap<String, serde_json::Value>,
        overrides: &[(String, String)],
        env_conn_str: Option<String>,
    ) -> Result<PgConfig, ConfigError> {
        let mut all: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in settings {
            let s = v.as_str().ok_or_else(|| ConfigError::NotAString(k.clone()))?;
            all.insert(k.clone(), s.to_string());
        }
        for (k, v) in overrides {
            all.insert(k.clone(), v.clone());
        }
        if let Some(k) = all.keys().find(|k| !matches!(k.as_str(), "conn_str" | "schema_name")) {
            return Err(ConfigError::Unknown(k.clone()));
        }
        let conn_str = all.get("conn_str").cloned().filter(|s| !s.is_empty()).or(env_conn_str.filter(|s| !s.is_empty())).ok_or(ConfigError::MissingConnStr)?;
        let schema_name = all.get("schema_name").cloned().unwrap_or_else(|| DEFAULT_SCHEMA.into());
        let valid = !schema_name.is_empty()
            && schema_name.len() <= 63
            && schema_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !schema_name.as_bytes()[0].is_ascii_digit();
        if !valid {
            return Err(ConfigError::BadSchema(schema_name));
        }
        Ok(PgConfig { conn_str, schema_name })
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
    fn conn_str_from_block_override_or_env() {
        let from_env = PgConfig::from_settings(&settings(json!({})), &[], Some("host=env".into())).expect("env");
        assert_eq!((from_env.conn_str.as_str(), from_env.schema_name.as_str()), ("host=env", DEFAULT_SCHEMA));
        let block = PgConfig::from_settings(&settings(json!({"conn_str": "host=block", "schema_name": "web"})), &[], Some("host=env".into())).expect("block");
        assert_eq!((block.conn_str.as_str(), block.schema_name.as_str()), ("host=block", "web"));
        let over = PgConfig::from_settings(&settings(json!({"conn_str": "host=block"})), &[("conn_str".into(), "host=cli".into())], None).expect("override");
        assert_eq!(over.conn_str, "host=cli");
        assert!(!format!("{over:?}").contains("host=cli"), "Debug hides the connection string");
    }

    #[test]
    fn bad_settings_are_named() {
        assert_eq!(PgConfig::from_settings(&settings(json!({})), &[], None), Err(ConfigError::MissingConnStr));
        assert_eq!(PgConfig::from_settings(&settings(json!({"conn_str": "x", "table": "t"})), &[], None), Err(ConfigError::Unknown("table".into())));
        assert_eq!(PgConfig::from_settings(&settings(json!({"conn_str": 5})), &[], None), Err(ConfigError::NotAString("conn_str".into())));
        for bad in ["", "1abc", "a-b", "a\"; drop table x; --", &"x".repeat(64)] {
            assert_eq!(
                PgConfig::from_settings(&settings(json!({"conn_str": "x", "schema_name": bad})), &[], None),
                Err(ConfigError::BadSchema(bad.into())),
                "{bad}"
            );
        }
    }
}
