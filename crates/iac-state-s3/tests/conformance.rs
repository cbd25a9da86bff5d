//! The shared StateBackend conformance suite, run against `S3Backend` on a
//! moto server (one per test, a versioned bucket per store). The damage
//! hooks edit objects with a plain S3 client; the crash hook dies in the
//! middle of uploading a snapshot.

mod support;

use async_trait::async_trait;
use iac_core::backend::{SnapshotMeta, StateBackend};
use iac_state_s3::S3Backend;
use iac_testkit::conformance::state_backend::{BackendFactory, Corruption};
use support::MotoBucket;

struct S3Factory(MotoBucket);

impl S3Factory {
    fn new() -> S3Factory {
        S3Factory(MotoBucket::start())
    }
}

#[async_trait]
impl BackendFactory for S3Factory {
    async fn fresh(&self) -> Box<dyn StateBackend> {
        Box::new(S3Backend::new(self.0.fresh_config().await))
    }

    async fn reopen(&self, of: &dyn StateBackend) -> Box<dyn StateBackend> {
        Box::new(S3Backend::new(self.0.config_of(of)))
    }

    async fn corrupt(&self, of: &dyn StateBackend, what: Corruption) -> bool {
        let cfg = self.0.config_of(of);
        match what {
            Corruption::SnapshotBytesChanged => {
                self.0
                    .edit(&cfg.bucket, &cfg.key, |b| {
                        let at = b.len() - 3;
                        b[at] ^= 0x04;
                    })
                    .await
            }
            Corruption::SnapshotTruncated => self.0.edit(&cfg.bucket, &cfg.key, |b| b.truncate(b.len() * 2 / 3)).await,
            // A PUT is atomic: no crash leaves half a journal object, so a
            // damaged last object is damage (Corrupt), not a torn tail.
            Corruption::JournalTornTail => false,
            Corruption::JournalFirstRecordChanged => {
                let keys = self.0.keys(&cfg.bucket, &format!("{}.journal/", cfg.key)).await;
                let Some(first) = keys.first() else {
                    return false;
                };
                self.0
                    .edit(&cfg.bucket, first, |b| {
                        let at = b.len() - 2;
                        b[at] ^= 0x01;
                    })
                    .await
            }
        }
    }

    async fn crash_during_write_snapshot(&self, of: &dyn StateBackend, meta: &SnapshotMeta, bytes: &[u8]) -> bool {
        // A separate handle, as the crashing process would have had.
        S3Backend::new(self.0.config_of(of)).write_snapshot_crashing(meta, bytes).await.is_ok()
    }
}

iac_testkit::state_backend_conformance!(S3Factory::new());
