//! Uploaded files' metadata (the bytes live under `<data>/files/<sha256>`, written by the HTTP
//! layer), recorded and forgotten with their audit events.

use super::audit::Audit;
use super::{Service, ServiceError};
use crate::domain::EventKind;
use crate::storage::{Change, FileMeta};
use serde_json::json;

impl Service {
    /// Records an uploaded file whose bytes are in place; a file already known changes nothing.
    ///
    /// # Errors
    /// Store failures.
    pub async fn store_file(&self, by: Audit<'_>, meta: &FileMeta) -> Result<(), ServiceError> {
        let event = by.event(
            EventKind::FileStored,
            json!({ "sha256": meta.sha256, "size": meta.size, "content_type": meta.content_type }),
        );
        let change = Change::PutFile {
            meta: meta.clone(),
            at: by.at,
        };
        self.store.apply(&[change], &[event]).await?;
        Ok(())
    }

    /// Forgets file `sha256` unless some seminar's versions name it; true when forgotten (the
    /// caller then deletes the bytes).
    ///
    /// # Errors
    /// Store failures.
    pub async fn forget_file(&self, by: Audit<'_>, sha256: &str) -> Result<bool, ServiceError> {
        let event = by.event(EventKind::FileForgotten, json!({ "sha256": sha256 }));
        let touched = self
            .store
            .apply(&[Change::ForgetFile(sha256.into())], &[event])
            .await?;
        Ok(touched[0] > 0)
    }
}
