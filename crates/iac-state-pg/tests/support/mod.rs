//! A PostgreSQL server with one database for a test binary's stores, and a
//! plain client to inspect and damage what the backend wrote.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use iac_state_pg::PgConfig;
use iac_testkit::services::Postgres;
use tokio_postgres::{Client, NoTls};

pub struct PgServer {
    pub pg: Postgres,
    pub conn_str: String,
    next: AtomicUsize,
}

impl PgServer {
    pub fn start() -> PgServer {
        let pg = Postgres::start();
        let conn_str = pg.create_database("iac_state_tests");
        PgServer { pg, conn_str, next: AtomicUsize::new(0) }
    }

    /// Settings for a new, empty store (its own schema).
    pub fn fresh_config(&self) -> PgConfig {
        PgConfig { conn_str: self.conn_str.clone(), schema_name: format!("stack_{}", self.next.fetch_add(1, Ordering::Relaxed)) }
    }

    pub async fn client(&self) -> Client {
        let (client, conn) = tokio_postgres::connect(&self.conn_str, NoTls).await.expect("connect");
        tokio::spawn(conn);
        client
    }

    /// Rewrites one bytea cell, as damage at rest would.
    pub async fn edit(&self, sql_select: &str, sql_update: &str, f: impl FnOnce(&mut Vec<u8>)) -> bool {
        let c = self.client().await;
        let Ok(Some(row)) = c.query_opt(sql_select, &[]).await else {
            return false;
        };
        let (key, mut data): (i64, Vec<u8>) = (row.get(0), row.get(1));
        f(&mut data);
        c.execute(sql_update, &[&data, &key]).await.is_ok()
    }
}
