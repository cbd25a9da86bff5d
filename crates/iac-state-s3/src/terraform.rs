//! Terraform's state at the backend's own key (the bucket and key a
//! Terraform `backend "s3"` wrote), replaced in place by iac's snapshot for
//! `iac init -migrate-state`, Terraform's bytes kept beside it.
//!
//! The caller holds iac's lock (`<key>.lock`); [`S3Backend::migrate_terraform_state`]
//! takes Terraform's S3 lock as Terraform's `use_lockfile` does (creating
//! `<key>.tflock` with `If-None-Match: *`), then: reads Terraform's object
//! and its ETag; copies its bytes unchanged to `<key>.terraform-backup`
//! (an existing backup, left by an interrupted run, is accepted only if it
//! is byte-identical); writes iac's snapshot to `<key>` with `If-Match` on
//! Terraform's ETag, so a Terraform write meanwhile makes it fail cleanly;
//! reads it back and compares; releases `<key>.tflock`.

use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError};
use serde_json::Value as Json;

use crate::store::{Condition, Failure};
use crate::{envelope, now_rfc3339, S3Backend, META_LINEAGE, META_SERIAL, META_SIZE};

/// What [`S3Backend::migrate_terraform_state`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerraformMigration {
    /// The snapshot written at the key (Terraform's lineage and serial).
    pub meta: SnapshotMeta,
    /// Where Terraform's original bytes are kept (`s3://bucket/<key>.terraform-backup`).
    pub backup: String,
}

/// True when `bytes` are Terraform's state file (JSON with `terraform_version`).
pub(crate) fn is_terraform(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Json>(bytes).ok().is_some_and(|j| j.get("terraform_version").is_some_and(Json::is_string))
}

impl S3Backend {
    fn tflock_key(&self) -> String {
        format!("{}.tflock", self.key())
    }

    fn backup_key(&self) -> String {
        format!("{}.terraform-backup", self.key())
    }

    /// Terraform's state file at the key, if the key holds Terraform's state
    /// rather than iac's (None: no object, or iac's snapshot).
    pub async fn terraform_state_at_key(&self) -> Result<Option<Vec<u8>>, StateError> {
        let Some(obj) = self.store().await.get_optional(self.key()).await? else {
            return Ok(None);
        };
        if envelope::decode_snapshot(&obj.bytes).is_ok() || !is_terraform(&obj.bytes) {
            return Ok(None);
        }
        Ok(Some(obj.bytes))
    }

    /// Who holds `<key>.tflock`: iac's LockInfo, Terraform's (`ID`, `Who`,
    /// `Operation`, `Created`), or a placeholder naming the object.
    async fn tflock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        let Some(obj) = self.store().await.get_optional(&self.tflock_key()).await? else {
            return Ok(None);
        };
        if let Ok(info) = serde_json::from_slice::<LockInfo>(&obj.bytes) {
            return Ok(Some(info));
        }
        let j: Json = serde_json::from_slice(&obj.bytes).unwrap_or(Json::Null);
        let s = |k: &str| j.get(k).and_then(Json::as_str).unwrap_or("unknown").to_string();
        Ok(Some(LockInfo {
            id: s("ID"),
            operation: format!("Terraform {} (its lock object {})", s("Operation"), self.store_url(&self.tflock_key())),
            who: s("Who"),
            host: "unknown".into(),
            pid: 0,
            created: s("Created"),
        }))
    }

    /// Replaces Terraform's state at the key with iac's, as described in
    /// this module's documentation. `convert` turns Terraform's state file
    /// into iac's snapshot (its meta and the bytes stored). The caller must
    /// hold iac's lock; `holder` is written into `<key>.tflock`. If
    /// `<key>.tflock` exists, nothing is changed and `Locked` names its holder.
    pub async fn migrate_terraform_state<F>(&self, holder: &LockInfo, convert: F) -> Result<TerraformMigration, StateError>
    where
        F: Fn(&[u8]) -> Result<(SnapshotMeta, Vec<u8>), String> + Send + Sync,
    {
        let store = self.store().await;
        let json = serde_json::to_vec_pretty(holder).map_err(|e| StateError::Backend(format!("encoding lock info: {e}")))?;
        let version = match store.put(&self.tflock_key(), json, Some(&Condition::Absent), &[]).await {
            Ok(v) => v,
            Err(Failure::Precondition) => {
                let who = self.tflock_holder().await?.unwrap_or_else(|| LockInfo {
                    id: "unknown".into(),
                    operation: format!("Terraform (its lock object {}, released meanwhile)", self.store_url(&self.tflock_key())),
                    who: "unknown".into(),
                    host: "unknown".into(),
                    pid: 0,
                    created: String::new(),
                });
                return Err(StateError::Locked(Box::new(who)));
            }
            Err(f) => return Err(f.into()),
        };
        tracing::debug!(key = %self.tflock_key(), "took Terraform's S3 lock");
        let result = self.migrate_locked(&convert).await;
        let released = match store.delete(&self.tflock_key(), version.as_deref()).await {
            Ok(()) | Err(Failure::Missing(_)) => Ok(()),
            Err(f) => Err(StateError::from(f)),
        };
        let done = result?;
        released?;
        Ok(done)
    }

    async fn migrate_locked<F>(&self, convert: &F) -> Result<TerraformMigration, StateError>
    where
        F: Fn(&[u8]) -> Result<(SnapshotMeta, Vec<u8>), String> + Send + Sync,
    {
        let store = self.store().await;
        let url = self.store_url(self.key());
        // (1) Terraform's object and the ETag it was read at.
        let obj = store.get_optional(self.key()).await?.ok_or_else(|| StateError::Conflict(format!("{url} disappeared before the migration began")))?;
        if !is_terraform(&obj.bytes) {
            return Err(StateError::Conflict(format!("{url} no longer holds Terraform's state; nothing was migrated")));
        }
        let tag = obj.e_tag.clone().ok_or_else(|| StateError::Backend(format!("S3 returned {url} without an ETag; conditional writes need one")))?;
        let (meta, snapshot) = convert(&obj.bytes).map_err(|detail| StateError::Corrupt { what: url.clone(), detail })?;

        // (2) Terraform's bytes, unchanged, beside the key.
        let backup = self.backup_key();
        match store.put(&backup, obj.bytes.clone(), Some(&Condition::Absent), &[]).await {
            Ok(_) => {}
            Err(Failure::Precondition) => {
                let existing = store.get(&backup, None).await.map_err(StateError::from)?;
                if existing.bytes != obj.bytes {
                    return Err(StateError::Conflict(format!(
                        "{} already exists and differs from Terraform's state at {url}; move it away (it may be the only copy of an older Terraform state) and run the migration again",
                        self.store_url(&backup)
                    )));
                }
                tracing::info!(backup = %self.store_url(&backup), "an interrupted migration left the same backup; keeping it");
            }
            Err(f) => return Err(f.into()),
        }

        // (3) iac's snapshot, only over the Terraform object read in (1).
        let envelope = envelope::encode_snapshot(&meta, &now_rfc3339(), &snapshot);
        let metadata = [(META_LINEAGE, meta.lineage.clone()), (META_SERIAL, meta.serial.to_string()), (META_SIZE, snapshot.len().to_string())];
        match store.put(self.key(), envelope, Some(&Condition::Unchanged(tag)), &metadata).await {
            Ok(_) => {}
            Err(Failure::Precondition) => {
                return Err(StateError::Conflict(format!(
                    "{url} changed while it was migrated (a Terraform run without the lock?); it was not overwritten. Run the migration again"
                )))
            }
            Err(f) => return Err(f.into()),
        }
        self.set_cursor(None);

        // (4) Read back: the same snapshot, no journal.
        let stored = self.load().await?;
        if stored.meta.as_ref() != Some(&meta) || stored.snapshot.as_deref() != Some(&snapshot[..]) || !stored.journal.is_empty() {
            return Err(StateError::Corrupt {
                what: url,
                detail: format!("the migrated state does not read back as written; Terraform's state is kept at {}", self.store_url(&backup)),
            });
        }
        Ok(TerraformMigration { meta, backup: self.store_url(&backup) })
    }
}
