//! The PostgreSQL state backend: one stack's state in one schema of a
//! PostgreSQL database, as Terraform's `pg` backend keeps it, through
//! tokio-postgres.
//!
//! It owns, in that schema: the tables (created on first use), one row per
//! snapshot version (the history), the journal table, the lock (a
//! session-level advisory lock plus a row naming its holder), and detecting
//! damage to any stored bytes (each row carries a SHA-256). Snapshot and
//! journal bytes are opaque here.
//!
//! # Tables
//!
//! ```text
//! <schema>.iac_state_versions (name, serial, lineage, created, data, sha256)  PK (name, serial)
//! <schema>.iac_journal        (name, seq, data, sha256)                       PK (name, seq)
//! <schema>.iac_locks          (name, lock_id, info, session_pid)              PK (name)
//! ```
//!
//! `name` is the workspace (`default`). The current snapshot is the row
//! with the highest serial; the others are history, all kept. Terraform's
//! own table in the same schema, `states (id, name, data)`, is never
//! written: [`TerraformPgState`] reads it (under Terraform's advisory lock
//! on the row's id) for `iac init -migrate-state`.
//!
//! # Guarantees, and what a crash can lose
//!
//! - A snapshot is one transaction: check lineage and serial against the
//!   current row, insert the new row, delete the journal. A crash (a lost
//!   connection) before COMMIT rolls all of it back.
//! - An `append` is one INSERT of the whole batch, committed before it
//!   returns (PostgreSQL's commit is durable with its default
//!   `synchronous_commit`): a crash loses only records whose `append` had
//!   not returned, nothing reported as done. There are no torn records.
//! - The lock is `pg_try_advisory_lock` on this handle's own connection, so
//!   it lives exactly as long as that session: a crashed or killed run's
//!   connection closes and the server releases its lock, and the next run
//!   takes it (and replays the journal). The lock row only names the holder;
//!   a row whose session no longer holds the advisory lock is stale and is
//!   not reported as a holder. `force_unlock` of a live holder terminates
//!   its session.
//! - Connections use TLS (verified against the system's roots) unless the
//!   connection string says `sslmode=disable`.
//! - Everything a handle does goes over the connection that holds its lock.
//!   If that connection is lost the lock is gone with it, so the handle
//!   refuses further work instead of reconnecting: a run that lost its lock
//!   can never write after another run took it.
//!
//! Architecture Invariant: this crate depends on `iac-core` and the
//! PostgreSQL driver only; it must not depend on the engine, the parser, or
//! any provider, and it reads no environment (the CLI passes `PG_CONN_STR`).

#![deny(missing_docs)]

mod config;
mod terraform;

use std::time::Duration;

use async_trait::async_trait;
use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError, Stored, VersionInfo};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls};

pub use config::{ConfigError, PgConfig, DEFAULT_SCHEMA};
pub use terraform::TerraformPgState;

/// The workspace name rows are kept under (iac has only the default one).
const WORKSPACE: &str = "default";
/// Journal rows inserted per statement (PostgreSQL allows 65535 parameters).
const ROWS_PER_INSERT: usize = 1000;
/// How long `force_unlock` waits for a terminated session to let go.
const TERMINATE_WAIT: Duration = Duration::from_secs(10);

/// One stack's state in PostgreSQL.
pub struct PgBackend {
    config: PgConfig,
    session: Mutex<Session>,
}

#[derive(Default)]
struct Session {
    client: Option<Client>,
    /// The lock this handle holds on `client`'s session.
    held: Option<LockInfo>,
    /// The id of a lock lost with its connection.
    lost: Option<String>,
    tables_ready: bool,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend").field("schema", &self.config.schema_name).finish()
    }
}

fn backend_err(what: &str, e: tokio_postgres::Error) -> StateError {
    // The driver's Display omits the server's message; its Debug is noisy.
    let detail = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    StateError::Backend(format!("PostgreSQL {what}: {detail}"))
}

/// A stable 64-bit advisory lock key for `parts`.
fn lock_key(parts: &[&str]) -> i64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    i64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

fn checksum(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    format!("{:x}", h.finalize())
}

fn version_checksum(lineage: &str, serial: i64, data: &[u8]) -> String {
    checksum(&[lineage.as_bytes(), &serial.to_be_bytes(), data])
}

fn record_checksum(data: &[u8]) -> String {
    checksum(&[data])
}

fn parse_serial(id: &str) -> Option<i64> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) || (id.len() > 1 && id.starts_with('0')) {
        return None;
    }
    id.parse().ok()
}

async fn log_close<F: std::future::Future<Output = Result<(), tokio_postgres::Error>>>(connection: F) {
    if let Err(e) = connection.await {
        tracing::warn!(error = %e, "PostgreSQL state connection closed");
    }
}

/// Connects with TLS unless the connection string says `sslmode=disable`
/// (with `prefer`, the default, a server without TLS is used in plain).
async fn connect(conn_str: &str) -> Result<Client, StateError> {
    let config: tokio_postgres::Config = conn_str.parse().map_err(|e| backend_err("reading conn_str", e))?;
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        let (client, connection) = config.connect(NoTls).await.map_err(|e| backend_err("connecting", e))?;
        tokio::spawn(log_close(connection));
        return Ok(client);
    }
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config()?);
    let (client, connection) = config.connect(tls).await.map_err(|e| backend_err("connecting", e))?;
    tokio::spawn(log_close(connection));
    Ok(client)
}

/// TLS verified against the system's trusted roots (Mozilla's if it has none).
fn tls_config() -> Result<rustls::ClientConfig, StateError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    // The provider is named: the build links more than one.
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StateError::Backend(format!("PostgreSQL TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl PgBackend {
    /// A backend for `config`; nothing is contacted until the first operation.
    pub fn new(config: PgConfig) -> PgBackend {
        PgBackend { config, session: Mutex::new(Session::default()) }
    }

    /// The PostgreSQL schema holding the state's tables.
    pub fn schema(&self) -> &str {
        &self.config.schema_name
    }

    fn table(&self, name: &str) -> String {
        // schema_name is checked to be a plain identifier (config.rs).
        format!("\"{}\".{name}", self.config.schema_name)
    }

    fn session_lock_key(&self) -> i64 {
        lock_key(&["iac-state-lock", &self.config.schema_name, WORKSPACE])
    }

    fn write_lock_key(&self) -> i64 {
        lock_key(&["iac-state-write", &self.config.schema_name, WORKSPACE])
    }

    fn corrupt(&self, what: impl std::fmt::Display, detail: impl Into<String>) -> StateError {
        StateError::Corrupt { what: format!("{} {what}", self.describe()), detail: detail.into() }
    }

    /// Connects with TLS unless the connection string says `sslmode=disable`
    /// (with `prefer`, the default, a server without TLS is used in plain).
    async fn connect(&self) -> Result<Client, StateError> {
        connect(&self.config.conn_str).await
    }

    /// The session's connection, made (with the tables) on first use. A
    /// session that held the lock is never silently replaced.
    async fn ready<'a>(&self, s: &'a mut Session) -> Result<&'a mut Client, StateError> {
        if s.client.as_ref().is_some_and(|c| c.is_closed()) {
            s.client = None;
            s.tables_ready = false;
            if let Some(held) = s.held.take() {
                s.lost = Some(held.id.clone());
                return Err(StateError::Backend(format!(
                    "lost the PostgreSQL connection that held lock {}; the server released the lock with it (another run may hold it now), so this run stops",
                    held.id
                )));
            }
        }
        if s.client.is_none() {
            s.client = Some(self.connect().await?);
        }
        let client = s.client.as_mut().expect("connected above");
        if !s.tables_ready {
            self.create_tables(client).await?;
            s.tables_ready = true;
        }
        Ok(client)
    }

    async fn create_tables(&self, client: &mut Client) -> Result<(), StateError> {
        let ddl = format!(
            "SELECT pg_advisory_xact_lock({key});
             CREATE SCHEMA IF NOT EXISTS \"{schema}\";
             CREATE TABLE IF NOT EXISTS {versions} (
                 name text NOT NULL, serial bigint NOT NULL, lineage text NOT NULL,
                 created timestamptz NOT NULL DEFAULT now(), data bytea NOT NULL, sha256 text NOT NULL,
                 PRIMARY KEY (name, serial));
             CREATE TABLE IF NOT EXISTS {journal} (
                 name text NOT NULL, seq bigserial NOT NULL, data bytea NOT NULL, sha256 text NOT NULL,
                 PRIMARY KEY (name, seq));
             CREATE TABLE IF NOT EXISTS {locks} (
                 name text PRIMARY KEY, lock_id text NOT NULL, info text NOT NULL, session_pid integer NOT NULL);",
            // Concurrent first uses would race on CREATE … IF NOT EXISTS.
            key = lock_key(&["iac-state-ddl"]),
            schema = self.config.schema_name,
            versions = self.table("iac_state_versions"),
            journal = self.table("iac_journal"),
            locks = self.table("iac_locks"),
        );
        let tx = client.transaction().await.map_err(|e| backend_err("starting a transaction", e))?;
        tx.batch_execute(&ddl).await.map_err(|e| backend_err(&format!("creating the state tables in schema {}", self.config.schema_name), e))?;
        tx.commit().await.map_err(|e| backend_err("creating the state tables", e))
    }

    /// The current snapshot row, verified: (lineage, serial, data).
    async fn current(&self, client: &impl tokio_postgres::GenericClient) -> Result<Option<(String, i64, Vec<u8>)>, StateError> {
        let sql = format!("SELECT lineage, serial, data, sha256 FROM {} WHERE name = $1 ORDER BY serial DESC LIMIT 1", self.table("iac_state_versions"));
        let Some(row) = client.query_opt(&sql, &[&WORKSPACE]).await.map_err(|e| backend_err("reading the current snapshot", e))? else {
            return Ok(None);
        };
        let (lineage, serial, data, sha): (String, i64, Vec<u8>, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
        if version_checksum(&lineage, serial, &data) != sha {
            return Err(self.corrupt(format_args!("version {serial}"), "the snapshot does not match its checksum"));
        }
        Ok(Some((lineage, serial, data)))
    }

    /// The holder named by the lock row, if its session still holds the
    /// advisory lock; a row left by a session that is gone is stale.
    async fn live_holder(&self, client: &Client) -> Result<Option<(LockInfo, i32)>, StateError> {
        let key = self.session_lock_key();
        let sql = format!(
            "SELECT l.info, l.session_pid, EXISTS (
                 SELECT 1 FROM pg_locks p
                 WHERE p.locktype = 'advisory' AND p.granted AND p.pid = l.session_pid
                   AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND p.classid::bigint = $2 AND p.objid::bigint = $3 AND p.objsubid = 1)
             FROM {} l WHERE l.name = $1",
            self.table("iac_locks")
        );
        let (hi, lo) = ((key as u64 >> 32) as i64, (key as u64 & 0xffff_ffff) as i64);
        let Some(row) = client.query_opt(&sql, &[&WORKSPACE, &hi, &lo]).await.map_err(|e| backend_err("reading the lock", e))? else {
            return Ok(None);
        };
        let (info, pid, live): (String, i32, bool) = (row.get(0), row.get(1), row.get(2));
        if !live {
            return Ok(None);
        }
        let info = serde_json::from_str::<LockInfo>(&info).unwrap_or_else(|e| LockInfo {
            id: format!("session-{pid}"),
            operation: format!("unknown: the lock row is unreadable ({e}); force-unlock session-{pid} ends that session"),
            who: "unknown".into(),
            host: "unknown".into(),
            pid: 0,
            created: String::new(),
        });
        Ok(Some((info, pid)))
    }

    /// Whether any session holds the advisory lock.
    async fn advisory_held(&self, client: &Client) -> Result<bool, StateError> {
        let key = self.session_lock_key();
        let (hi, lo) = ((key as u64 >> 32) as i64, (key as u64 & 0xffff_ffff) as i64);
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted
                   AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND p.classid::bigint = $1 AND p.objid::bigint = $2 AND p.objsubid = 1)",
                &[&hi, &lo],
            )
            .await
            .map_err(|e| backend_err("reading the lock", e))?;
        Ok(row.get(0))
    }

    async fn write_snapshot_inner(&self, meta: &SnapshotMeta, bytes: &[u8], crash: bool) -> Result<(), StateError> {
        let serial = i64::try_from(meta.serial).map_err(|_| StateError::Conflict(format!("serial {} does not fit PostgreSQL's bigint", meta.serial)))?;
        let mut s = self.session.lock().await;
        let mut crash_client;
        let client: &mut Client = if crash {
            // The crashing process has its own connection, which dies.
            self.ready(&mut s).await?;
            crash_client = self.connect().await?;
            &mut crash_client
        } else {
            self.ready(&mut s).await?
        };
        let tx = client.transaction().await.map_err(|e| backend_err("starting a transaction", e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&self.write_lock_key()]).await.map_err(|e| backend_err("serialising snapshot writes", e))?;
        if let Some((lineage, cur, _)) = self.current(&tx).await? {
            if lineage != meta.lineage {
                return Err(StateError::Conflict(format!(
                    "{} holds lineage {lineage}, not {}; refusing to replace another stack's state",
                    self.describe(),
                    meta.lineage
                )));
            }
            if serial <= cur {
                return Err(StateError::Conflict(format!(
                    "{} is at serial {cur}; a new snapshot must have a higher serial than {}",
                    self.describe(),
                    meta.serial
                )));
            }
        }
        let insert = format!("INSERT INTO {} (name, serial, lineage, data, sha256) VALUES ($1, $2, $3, $4, $5)", self.table("iac_state_versions"));
        tx.execute(&insert, &[&WORKSPACE, &serial, &meta.lineage, &bytes, &version_checksum(&meta.lineage, serial, bytes)])
            .await
            .map_err(|e| backend_err("writing the snapshot", e))?;
        tx.execute(&format!("DELETE FROM {} WHERE name = $1", self.table("iac_journal")), &[&WORKSPACE])
            .await
            .map_err(|e| backend_err("clearing the journal", e))?;
        if crash {
            // A killed process sends neither COMMIT nor ROLLBACK: forget the
            // transaction (so its drop sends no ROLLBACK) and let the
            // connection close under it; the server aborts it.
            std::mem::forget(tx);
            return Ok(());
        }
        tx.commit().await.map_err(|e| backend_err("committing the snapshot", e))
    }

    /// Starts `write_snapshot` on a connection of its own and loses that
    /// connection before COMMIT. Test support for crash-safety tests.
    #[cfg(feature = "fault-injection")]
    pub async fn write_snapshot_crashing(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError> {
        self.write_snapshot_inner(meta, bytes, true).await
    }
}

#[async_trait]
impl StateBackend for PgBackend {
    fn describe(&self) -> String {
        format!("pg state in schema {}", self.config.schema_name)
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let mut s = self.session.lock().await;
        if let Some(h) = &s.held {
            return Err(StateError::Locked(Box::new(h.clone())));
        }
        let client = self.ready(&mut s).await?;
        let key = self.session_lock_key();
        for attempt in 0..50 {
            let got: bool = client.query_one("SELECT pg_try_advisory_lock($1)", &[&key]).await.map_err(|e| backend_err("taking the lock", e))?.get(0);
            if got {
                let json = serde_json::to_string(info).map_err(|e| StateError::Backend(format!("encoding lock info: {e}")))?;
                let sql = format!(
                    "INSERT INTO {} (name, lock_id, info, session_pid) VALUES ($1, $2, $3, pg_backend_pid())
                     ON CONFLICT (name) DO UPDATE SET lock_id = EXCLUDED.lock_id, info = EXCLUDED.info, session_pid = EXCLUDED.session_pid",
                    self.table("iac_locks")
                );
                if let Err(e) = client.execute(&sql, &[&WORKSPACE, &info.id, &json]).await {
                    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&key]).await;
                    return Err(backend_err("recording the lock holder", e));
                }
                s.held = Some(info.clone());
                s.lost = None;
                return Ok(());
            }
            if let Some((holder, _)) = self.live_holder(client).await? {
                return Err(StateError::Locked(Box::new(holder)));
            }
            // The winner has the advisory lock but has not written its row
            // yet, or has just released it: look again shortly.
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Err(StateError::Locked(Box::new(LockInfo {
            id: "unknown".into(),
            operation: "unknown: a session holds the state's advisory lock without naming itself in the lock table".into(),
            who: "unknown".into(),
            host: "unknown".into(),
            pid: 0,
            created: String::new(),
        })))
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        let mut s = self.session.lock().await;
        if s.held.as_ref().map(|h| h.id.as_str()) != Some(id) {
            return Err(StateError::LockNotHeld(id.to_string()));
        }
        let client = match self.ready(&mut s).await {
            Ok(c) => c,
            // The connection, and the lock with it, is already gone.
            Err(_) => return Err(StateError::LockNotHeld(id.to_string())),
        };
        client
            .execute(&format!("DELETE FROM {} WHERE name = $1 AND lock_id = $2", self.table("iac_locks")), &[&WORKSPACE, &id])
            .await
            .map_err(|e| backend_err("clearing the lock row", e))?;
        client.execute("SELECT pg_advisory_unlock($1)", &[&self.session_lock_key()]).await.map_err(|e| backend_err("releasing the lock", e))?;
        s.held = None;
        Ok(())
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        if self.session.lock().await.held.as_ref().is_some_and(|h| h.id == id) {
            return self.unlock(id).await;
        }
        let mut s = self.session.lock().await;
        let client = self.ready(&mut s).await?;
        let Some((holder, pid)) = self.live_holder(client).await? else {
            return Err(StateError::LockNotHeld(id.to_string()));
        };
        if holder.id != id {
            return Err(StateError::LockNotHeld(id.to_string()));
        }
        // The lock belongs to another session: ending that session is the
        // only way to release it, and stops that run from writing further.
        tracing::warn!(lock = %holder, session = pid, "terminating the PostgreSQL session that holds the lock");
        client.execute("SELECT pg_terminate_backend($1)", &[&pid]).await.map_err(|e| backend_err(&format!("ending session {pid}, which holds the lock"), e))?;
        let start = std::time::Instant::now();
        while self.advisory_held(client).await? {
            if start.elapsed() > TERMINATE_WAIT {
                return Err(StateError::Backend(format!("session {pid} still holds lock {id} after being terminated")));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        client
            .execute(&format!("DELETE FROM {} WHERE name = $1 AND lock_id = $2", self.table("iac_locks")), &[&WORKSPACE, &id])
            .await
            .map_err(|e| backend_err("clearing the lock row", e))?;
        Ok(())
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        let mut s = self.session.lock().await;
        if let Some(h) = &s.held {
            return Ok(Some(h.clone()));
        }
        let client = self.ready(&mut s).await?;
        Ok(self.live_holder(client).await?.map(|(h, _)| h))
    }

    async fn load(&self) -> Result<Stored, StateError> {
        let mut s = self.session.lock().await;
        let client = self.ready(&mut s).await?;
        // One consistent view of snapshot and journal.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| backend_err("starting a transaction", e))?;
        let current = self.current(&tx).await?;
        let rows = tx
            .query(&format!("SELECT seq, data, sha256 FROM {} WHERE name = $1 ORDER BY seq", self.table("iac_journal")), &[&WORKSPACE])
            .await
            .map_err(|e| backend_err("reading the journal", e))?;
        tx.commit().await.map_err(|e| backend_err("reading state", e))?;
        let mut journal = Vec::with_capacity(rows.len());
        for row in rows {
            let (seq, data, sha): (i64, Vec<u8>, String) = (row.get(0), row.get(1), row.get(2));
            if record_checksum(&data) != sha {
                return Err(self.corrupt(format_args!("journal row {seq}"), "the record does not match its checksum"));
            }
            journal.push(data);
        }
        let (snapshot, meta) = match current {
            Some((lineage, serial, data)) => (Some(data), Some(SnapshotMeta { lineage, serial: serial as u64 })),
            None => (None, None),
        };
        Ok(Stored { snapshot, meta, journal, torn_tail: false })
    }

    async fn append(&self, records: &[Vec<u8>]) -> Result<(), StateError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut s = self.session.lock().await;
        let client = self.ready(&mut s).await?;
        let sums: Vec<String> = records.iter().map(|r| record_checksum(r)).collect();
        let tx = client.transaction().await.map_err(|e| backend_err("starting a transaction", e))?;
        for (chunk, sums) in records.chunks(ROWS_PER_INSERT).zip(sums.chunks(ROWS_PER_INSERT)) {
            // VALUES rows take their sequence numbers in the order written.
            let mut sql = format!("INSERT INTO {} (name, data, sha256) VALUES ", self.table("iac_journal"));
            let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&WORKSPACE];
            for (i, (r, sum)) in chunk.iter().zip(sums).enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3));
                params.push(r);
                params.push(sum);
            }
            tx.execute(&sql, &params).await.map_err(|e| backend_err("appending to the journal", e))?;
        }
        tx.commit().await.map_err(|e| backend_err("committing journal records", e))
    }

    async fn write_snapshot(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError> {
        self.write_snapshot_inner(meta, bytes, false).await
    }

    async fn history(&self) -> Result<Vec<VersionInfo>, StateError> {
        let mut s = self.session.lock().await;
        let client = self.ready(&mut s).await?;
        let sql = format!(
            "SELECT serial, lineage, to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), octet_length(data)::bigint FROM {} WHERE name = $1 ORDER BY serial DESC",
            self.table("iac_state_versions")
        );
        let rows = client.query(&sql, &[&WORKSPACE]).await.map_err(|e| backend_err("listing state versions", e))?;
        Ok(rows
            .iter()
            .map(|r| {
                let serial: i64 = r.get(0);
                let size: i64 = r.get(3);
                VersionInfo { id: serial.to_string(), serial: serial as u64, lineage: r.get(1), created: r.get(2), size: size as u64 }
            })
            .collect())
    }

    async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError> {
        let Some(serial) = parse_serial(id) else {
            return Err(StateError::NoSuchVersion(id.to_string()));
        };
        let mut s = self.session.lock().await;
        let client = self.ready(&mut s).await?;
        let sql = format!("SELECT lineage, data, sha256 FROM {} WHERE name = $1 AND serial = $2", self.table("iac_state_versions"));
        let Some(row) = client.query_opt(&sql, &[&WORKSPACE, &serial]).await.map_err(|e| backend_err("reading a state version", e))? else {
            return Err(StateError::NoSuchVersion(id.to_string()));
        };
        let (lineage, data, sha): (String, Vec<u8>, String) = (row.get(0), row.get(1), row.get(2));
        if version_checksum(&lineage, serial, &data) != sha {
            return Err(self.corrupt(format_args!("version {serial}"), "the snapshot does not match its checksum"));
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_stable_and_distinct_per_schema() {
        // Pinned: every iac version must take the same advisory locks on the
        // same stack, or an older and a newer binary would not exclude each
        // other. A change here fails this test before it reaches a database.
        assert_eq!(lock_key(&["a", "b"]), -8_092_389_129_684_434_619);
        assert_eq!(lock_key(&["iac-state-lock", DEFAULT_SCHEMA, WORKSPACE]), -6_451_029_881_503_663_141);
        assert_eq!(lock_key(&["iac-state-write", DEFAULT_SCHEMA, WORKSPACE]), 2_807_170_358_998_442_375);
        assert_eq!(lock_key(&["iac-state-ddl"]), 3_532_025_559_619_242_559);
        assert_ne!(lock_key(&["a", "b"]), lock_key(&["ab", ""]), "parts are separated");
        assert_ne!(lock_key(&["iac-state-lock", "web", "default"]), lock_key(&["iac-state-lock", "api", "default"]));
    }

    #[test]
    fn version_ids_are_canonical_serials() {
        assert_eq!(parse_serial("12"), Some(12));
        for bad in ["", "012", "-1", "1 ", "x", "99999999999999999999"] {
            assert_eq!(parse_serial(bad), None, "{bad}");
        }
    }
}
