//! The shared StateBackend conformance suite, run against `PgBackend` on a
//! real PostgreSQL server (one per test, a schema per store). The damage
//! hooks edit rows with a plain client; the crash hook loses its connection
//! in the middle of the snapshot transaction.

mod support;

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use iac_core::backend::{SnapshotMeta, StateBackend};
use iac_state_pg::{PgBackend, PgConfig};
use iac_testkit::conformance::state_backend::{BackendFactory, Corruption};
use support::PgServer;

struct PgFactory {
    server: PgServer,
    configs: Mutex<HashMap<String, PgConfig>>,
}

impl PgFactory {
    fn new() -> PgFactory {
        PgFactory { server: PgServer::start(), configs: Mutex::new(HashMap::new()) }
    }

    fn config_of(&self, b: &dyn StateBackend) -> PgConfig {
        self.configs.lock().expect("configs").get(&b.describe()).cloned().expect("a store made by this factory")
    }
}

#[async_trait]
impl BackendFactory for PgFactory {
    async fn fresh(&self) -> Box<dyn StateBackend> {
        let cfg = self.server.fresh_config();
        let b = PgBackend::new(cfg.clone());
        self.configs.lock().expect("configs").insert(b.describe(), cfg);
        Box::new(b)
    }

    async fn reopen(&self, of: &dyn StateBackend) -> Box<dyn StateBackend> {
        Box::new(PgBackend::new(self.config_of(of)))
    }

    async fn corrupt(&self, of: &dyn StateBackend, what: Corruption) -> bool {
        let schema = self.config_of(of).schema_name;
        let current = format!("SELECT serial, data FROM {schema}.iac_state_versions ORDER BY serial DESC LIMIT 1");
        let update = format!("UPDATE {schema}.iac_state_versions SET data = $1 WHERE serial = $2");
        match what {
            Corruption::SnapshotBytesChanged => {
                self.server
                    .edit(&current, &update, |b| {
                        let at = b.len() - 3;
                        b[at] ^= 0x04;
                    })
                    .await
            }
            Corruption::SnapshotTruncated => self.server.edit(&current, &update, |b| b.truncate(b.len() * 2 / 3)).await,
            // Each append is one committed INSERT: a crash leaves all of its
            // rows or none, so there is no torn tail to make.
            Corruption::JournalTornTail => false,
            Corruption::JournalFirstRecordChanged => {
                let first = format!("SELECT seq, data FROM {schema}.iac_journal ORDER BY seq LIMIT 1");
                let update = format!("UPDATE {schema}.iac_journal SET data = $1 WHERE seq = $2");
                self.server.edit(&first, &update, |b| b[1] ^= 0x01).await
            }
        }
    }

    async fn crash_during_write_snapshot(&self, of: &dyn StateBackend, meta: &SnapshotMeta, bytes: &[u8]) -> bool {
        PgBackend::new(self.config_of(of)).write_snapshot_crashing(meta, bytes).await.is_ok()
    }

    fn locks_end_with_their_session(&self) -> bool {
        true
    }
}

iac_testkit::state_backend_conformance!(PgFactory::new());
