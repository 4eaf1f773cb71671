//! The embedded backend: a redb file, content-addressed by keccak256.

use super::DaBackend;
use crate::{DaCommitment, DaError};
use alloy_primitives::keccak256;
use bytes::Bytes;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

/// The table of blobs: keccak256(data) → data.
const BLOBS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("blobs");
/// The database file inside the data directory.
const DB_FILE: &str = "da.redb";

/// Blobs in a local redb database under a data directory, committed with `0x00 ‖ keccak256(data)`.
///
/// Every put is committed with redb's immediate durability (fsync) before it is acknowledged, so
/// an acknowledged put survives a crash or `kill -9`.
#[derive(Debug, Clone)]
pub struct EmbeddedBackend {
    db: Arc<Database>,
    path: PathBuf,
}

impl EmbeddedBackend {
    /// Opens (or creates) the store in `datadir`.
    pub fn open(datadir: &Path) -> Result<Self, DaError> {
        std::fs::create_dir_all(datadir).map_err(|source| DaError::Io {
            context: format!("cannot create the data directory {}", datadir.display()),
            source,
        })?;
        let path = datadir.join(DB_FILE);
        let db = Database::create(&path).map_err(|err| {
            DaError::Config(format!("cannot open the DA store {}: {err}", path.display()))
        })?;
        // Create the table up front so readers never see it missing.
        let tx = db.begin_write().map_err(redb::Error::from)?;
        tx.open_table(BLOBS).map_err(redb::Error::from)?;
        tx.commit().map_err(redb::Error::from)?;
        Ok(Self { db: Arc::new(db), path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn put_blocking(db: &Database, data: &[u8]) -> Result<DaCommitment, redb::Error> {
        let hash = keccak256(data);
        let tx = db.begin_write()?;
        let exists = tx.open_table(BLOBS)?.get(hash.as_slice())?.is_some();
        if exists {
            tx.abort()?;
        } else {
            tx.open_table(BLOBS)?.insert(hash.as_slice(), data)?;
            tx.commit()?;
        }
        Ok(DaCommitment::Keccak256(hash))
    }

    fn get_blocking(db: &Database, key: &[u8]) -> Result<Option<Vec<u8>>, redb::Error> {
        let tx = db.begin_read()?;
        let table = tx.open_table(BLOBS)?;
        Ok(table.get(key)?.map(|value| value.value().to_vec()))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, redb::Error> + Send + 'static,
    ) -> Result<T, DaError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|err| DaError::Unavailable(format!("store task failed: {err}")))?
            .map_err(DaError::from)
    }
}

#[async_trait::async_trait]
impl DaBackend for EmbeddedBackend {
    fn name(&self) -> &'static str {
        "embedded"
    }

    async fn put(&self, data: Bytes) -> Result<DaCommitment, DaError> {
        self.blocking(move |db| Self::put_blocking(db, &data)).await
    }

    async fn get(&self, commitment: &DaCommitment) -> Result<Bytes, DaError> {
        let DaCommitment::Keccak256(hash) = *commitment else {
            return Err(DaError::WrongBackend {
                commitment: commitment.kind(),
                backend: self.name(),
            });
        };
        let data = self
            .blocking(move |db| Self::get_blocking(db, hash.as_slice()))
            .await?
            .ok_or_else(|| DaError::NotFound(hex::encode(commitment.encode())))?;
        if keccak256(&data) != hash {
            return Err(DaError::Corrupt(format!(
                "stored blob under {commitment} hashes differently"
            )));
        }
        Ok(Bytes::from(data))
    }

    async fn health(&self) -> Result<String, DaError> {
        self.blocking(|db| Ok(db.begin_read()?.open_table(BLOBS)?.len()?))
            .await
            .map(|blobs| format!("embedded store {} holds {blobs} blobs", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_idempotent_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let backend = EmbeddedBackend::open(dir.path()).unwrap();
        let c = backend.put(Bytes::from_static(b"frames")).await.unwrap();
        assert_eq!(c, DaCommitment::keccak(b"frames"));
        assert_eq!(backend.put(Bytes::from_static(b"frames")).await.unwrap(), c);
        assert_eq!(backend.get(&c).await.unwrap().as_ref(), b"frames");
        assert!(backend.health().await.unwrap().contains("holds 1 blobs"));
        drop(backend);

        let reopened = EmbeddedBackend::open(dir.path()).unwrap();
        assert_eq!(reopened.get(&c).await.unwrap().as_ref(), b"frames");
        let missing = DaCommitment::keccak(b"other");
        assert!(matches!(reopened.get(&missing).await, Err(DaError::NotFound(_))));
        let celestia = DaCommitment::Celestia { height: 1, share_commitment: [0; 32] };
        assert!(matches!(reopened.get(&celestia).await, Err(DaError::WrongBackend { .. })));
    }

    #[test]
    fn second_open_of_the_same_store_fails_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let _first = EmbeddedBackend::open(dir.path()).unwrap();
        let err = EmbeddedBackend::open(dir.path()).unwrap_err();
        assert!(matches!(err, DaError::Config(_)), "{err}");
    }
}
