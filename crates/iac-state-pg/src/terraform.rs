//! Terraform's own `pg` backend state, read only: the row of
//! `<schema>.states (id, name, data)` for a workspace, as Terraform writes
//! it, locked as Terraform locks it (a session-level advisory lock on the
//! row's id), for `iac init -migrate-state`. The bytes are Terraform's state
//! file (format 4), returned as they are: converting them is the caller's.

use async_trait::async_trait;
use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError, Stored, VersionInfo};
use tokio::sync::Mutex;
use tokio_postgres::Client;

use crate::{backend_err, connect, PgConfig};

/// Terraform's table in the backend's schema.
const TABLE: &str = "states";

/// One workspace's state as Terraform's `pg` backend keeps it.
pub struct TerraformPgState {
    config: PgConfig,
    workspace: String,
    /// The session holding Terraform's lock, with the lock id and row id.
    held: Mutex<Option<(Client, String, i64)>>,
}

impl TerraformPgState {
    /// The state Terraform keeps for `workspace` (`default`) in the schema of `config`.
    pub fn new(config: PgConfig, workspace: &str) -> TerraformPgState {
        TerraformPgState { config, workspace: workspace.to_string(), held: Mutex::new(None) }
    }

    /// Where it is, for messages (no credentials): `pg:<schema>.states/<workspace>`.
    pub fn location(&self) -> String {
        format!("pg:{}.{TABLE}/{}", self.config.schema_name, self.workspace)
    }

    /// Terraform's state bytes, or None when Terraform wrote none (no table, no row, empty data).
    pub async fn read(&self) -> Result<Option<Vec<u8>>, StateError> {
        let client = connect(&self.config.conn_str).await?;
        self.read_with(&client).await.map(|row| row.map(|(_, data)| data))
    }

    async fn read_with(&self, client: &Client) -> Result<Option<(i64, Vec<u8>)>, StateError> {
        let exists: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2)",
                &[&self.config.schema_name, &TABLE],
            )
            .await
            .map_err(|e| backend_err("looking for Terraform's states table", e))?
            .get(0);
        if !exists {
            return Ok(None);
        }
        let sql = format!("SELECT id, data FROM \"{}\".{TABLE} WHERE name = $1", self.config.schema_name);
        let row = client.query_opt(&sql, &[&self.workspace]).await.map_err(|e| backend_err("reading Terraform's state", e))?;
        Ok(row.and_then(|r| {
            let data: Option<String> = r.get(1);
            data.filter(|d| !d.trim().is_empty()).map(|d| (r.get::<_, i64>(0), d.into_bytes()))
        }))
    }

    fn read_only(&self) -> StateError {
        StateError::Backend(format!("{} is Terraform's state: iac only reads it", self.location()))
    }
}

#[async_trait]
impl StateBackend for TerraformPgState {
    fn describe(&self) -> String {
        format!("Terraform's state in PostgreSQL ({})", self.location())
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let mut held = self.held.lock().await;
        if held.is_some() {
            return Err(StateError::Locked(Box::new(info.clone())));
        }
        let client = connect(&self.config.conn_str).await?;
        let Some((id, _)) = self.read_with(&client).await? else {
            return Err(StateError::Backend(format!("{} holds no state", self.location())));
        };
        let got: bool = client.query_one("SELECT pg_try_advisory_lock($1)", &[&id]).await.map_err(|e| backend_err("taking Terraform's lock", e))?.get(0);
        if !got {
            return Err(StateError::Locked(Box::new(LockInfo {
                id: format!("terraform-pg-{id}"),
                operation: format!("a Terraform operation on {}", self.location()),
                who: "a Terraform process".into(),
                host: "unknown".into(),
                pid: 0,
                created: String::new(),
            })));
        }
        *held = Some((client, info.id.clone(), id));
        Ok(())
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let mut held = self.held.lock().await;
        match held.take() {
            Some((client, held_id, row)) if held_id == id => {
                client.execute("SELECT pg_advisory_unlock($1)", &[&row]).await.map_err(|e| backend_err("releasing Terraform's lock", e))?;
                Ok(())
            }
            other => {
                *held = other;
                Err(StateError::LockNotHeld(id.to_string()))
            }
        }
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        Err(StateError::Backend(format!("Terraform's lock on {} ({id}) is Terraform's to release", self.location())))
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(None)
    }

    /// Terraform's state file as the snapshot, unconverted.
    async fn load(&self) -> Result<Stored, StateError> {
        let held = self.held.lock().await;
        let data = match held.as_ref() {
            Some((client, _, _)) => self.read_with(client).await?.map(|(_, d)| d),
            None => {
                drop(held);
                self.read().await?
            }
        };
        Ok(Stored { meta: None, snapshot: data, journal: Vec::new(), torn_tail: false })
    }

    async fn append(&self, _records: &[Vec<u8>]) -> Result<(), StateError> {
        Err(self.read_only())
    }

    async fn write_snapshot(&self, _meta: &SnapshotMeta, _bytes: &[u8]) -> Result<(), StateError> {
        Err(self.read_only())
    }

    async fn history(&self) -> Result<Vec<VersionInfo>, StateError> {
        Ok(Vec::new())
    }

    async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError> {
        Err(StateError::Backend(format!("{} has no version {id}: Terraform keeps no history there", self.location())))
    }
}
