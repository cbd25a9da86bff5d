//! [`EncryptedBackend`]: seals what any backend stores, and opens what it loads.

use std::sync::Arc;

use async_trait::async_trait;
use iac_core::backend::{LockInfo, SnapshotMeta, StateBackend, StateError, Stored, VersionInfo};

use crate::{CryptError, Keyring, Purpose};

/// Seals every snapshot and journal record written through it with the
/// keyring's sealing key, and opens (or passes through, if plain) what it
/// reads. Locks, lineage and serials go to the inner backend untouched.
pub struct EncryptedBackend {
    inner: Arc<dyn StateBackend>,
    keys: Arc<Keyring>,
}

impl EncryptedBackend {
    /// `inner`, sealing what is written with `keys` and opening what is read.
    pub fn new(inner: Arc<dyn StateBackend>, keys: Arc<Keyring>) -> EncryptedBackend {
        EncryptedBackend { inner, keys }
    }

    /// The backend underneath, which stores the sealed bytes.
    pub fn inner(&self) -> &Arc<dyn StateBackend> {
        &self.inner
    }

    fn open(&self, purpose: Purpose, bytes: &[u8], what: impl FnOnce() -> String) -> Result<Vec<u8>, StateError> {
        self.keys.open(purpose, bytes, &what()).map_err(into_state_error)
    }
}

fn into_state_error(e: CryptError) -> StateError {
    match e {
        CryptError::Tampered { what, key_id } => {
            StateError::Corrupt { what, detail: format!("does not decrypt with key id {key_id}: it was altered or damaged") }
        }
        CryptError::Malformed { what, detail } => StateError::Corrupt { what, detail },
        other => StateError::Backend(other.to_string()),
    }
}

#[async_trait]
impl StateBackend for EncryptedBackend {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    async fn try_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        self.inner.try_lock(info).await
    }

    async fn unlock(&self, id: &str) -> Result<(), StateError> {
        self.inner.unlock(id).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        self.inner.force_unlock(id).await
    }

    async fn lock_holder(&self) -> Result<Option<LockInfo>, StateError> {
        self.inner.lock_holder().await
    }

    async fn load(&self) -> Result<Stored, StateError> {
        let stored = self.inner.load().await?;
        let snapshot = match &stored.snapshot {
            Some(s) => Some(self.open(Purpose::Snapshot, s, || self.inner.describe())?),
            None => None,
        };
        let journal = stored
            .journal
            .iter()
            .enumerate()
            .map(|(i, r)| self.open(Purpose::JournalRecord, r, || format!("{} journal record {}", self.inner.describe(), i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Stored { snapshot, meta: stored.meta, journal, torn_tail: stored.torn_tail })
    }

    async fn append(&self, records: &[Vec<u8>]) -> Result<(), StateError> {
        let sealed = records.iter().map(|r| self.keys.seal(Purpose::JournalRecord, r)).collect::<Result<Vec<_>, _>>().map_err(into_state_error)?;
        self.inner.append(&sealed).await
    }

    async fn write_snapshot(&self, meta: &SnapshotMeta, bytes: &[u8]) -> Result<(), StateError> {
        let sealed = self.keys.seal(Purpose::Snapshot, bytes).map_err(into_state_error)?;
        self.inner.write_snapshot(meta, &sealed).await
    }

    async fn history(&self) -> Result<Vec<VersionInfo>, StateError> {
        // Sizes are of the state, not of its ciphertext; a sealed value's
        // length is known from its structure, without a key.
        let mut out = self.inner.history().await?;
        for v in &mut out {
            let bytes = self.inner.load_version(&v.id).await?;
            v.size = crate::plaintext_len(&bytes) as u64;
        }
        Ok(out)
    }

    async fn load_version(&self, id: &str) -> Result<Vec<u8>, StateError> {
        let bytes = self.inner.load_version(id).await?;
        self.open(Purpose::Snapshot, &bytes, || format!("{} version {id}", self.inner.describe()))
    }
}
