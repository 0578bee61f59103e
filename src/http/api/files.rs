//! Uploads: streamed to disk while hashed, type sniffed from the content (PDF, images, XLSX,
//! DOCX), stored content-addressed as `<data>/files/<sha256>`; downloads stream them back.

use crate::http::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::service::Audit;
use crate::storage::FileMeta;
use axum::body::Body;
use axum::extract::multipart::Field;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct UploadedFile {
    pub sha256: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
}

/// Content types accepted for stage materials.
const ALLOWED: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.spreadsheet",
    "text/csv",
];

fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != ':')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "файл".into()
    } else {
        cleaned
    }
}

/// A multipart read error: the request over its size cap is 413, anything else 400.
pub fn multipart_error(what: &str, e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(
            "запрос слишком большой: файлы одной версии вместе превышают допустимый объём".into(),
        )
    } else {
        ApiError::bad(format!("«{what}» не получено целиком: {}", e.body_text()))
    }
}

/// Deletes an uploaded file (row and bytes) that no seminar version names, e.g. after the
/// submission `actor` sent it with was refused. Failures are logged: an orphan costs disk, not
/// data.
pub async fn discard_if_unreferenced(state: &AppState, sha256: &str, actor: &str) {
    let by = Audit {
        actor,
        at: chrono::Utc::now(),
    };
    match state.service.forget_file(by, sha256).await {
        Ok(true) => {
            let path = state.config.files_dir().join(sha256);
            if let Err(e) = tokio::fs::remove_file(&path).await {
                tracing::warn!(path = %path.display(), error = %e, "upload of a refused submission not deleted");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(sha256, error = %e, "upload of a refused submission kept"),
    }
}

/// Deletes uploads older than `older_than` that nothing needs: leftovers in `files/tmp`, bytes
/// without a row, and files no seminar version names (e.g. from a crash between the upload
/// and the refusal). Younger files are left alone: their request may still be running.
pub async fn collect_orphans(state: &AppState, older_than: std::time::Duration) -> usize {
    let dir = state.config.files_dir();
    let old = |m: &std::fs::Metadata| {
        m.modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= older_than)
    };
    let mut removed = 0;
    if let Ok(entries) = std::fs::read_dir(dir.join("tmp")) {
        for e in entries.flatten() {
            if e.metadata().is_ok_and(|m| m.is_file() && old(&m))
                && std::fs::remove_file(e.path()).is_ok()
            {
                removed += 1;
            }
        }
    }
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return removed;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let is_upload = name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_upload || !e.metadata().is_ok_and(|m| m.is_file() && old(&m)) {
            continue;
        }
        let by = Audit::now("system");
        let orphan = match state.service.store.file(&name).await {
            Ok(None) => true,
            Ok(Some(_)) => state.service.forget_file(by, &name).await.unwrap_or(false),
            Err(_) => false,
        };
        if orphan && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Streams one multipart file from `actor` to disk, enforcing the size limit and the allowed
/// types.
pub async fn save_upload(
    state: &AppState,
    mut field: Field<'_>,
    actor: &str,
) -> ApiResult<UploadedFile> {
    let name = clean_name(field.file_name().unwrap_or("файл"));
    let dir = state.config.files_dir();
    let (tmp, mut out) = temp_file(&dir).await?;
    let result = stream_to(&mut out, &mut field, &name, state.config.upload_limit_mb).await;
    drop(out);
    let received = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    let content_type = match accepted_type(&tmp, &name, &received).await {
        Ok(t) => t,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    let dest = dir.join(&received.sha256);
    tokio::fs::rename(&tmp, &dest)
        .await
        .map_err(|e| ApiError::Internal(format!("{}: {e}", dest.display())))?;
    let meta = FileMeta {
        sha256: received.sha256.clone(),
        size: received.size as i64,
        content_type: content_type.clone(),
    };
    let by = Audit {
        actor,
        at: chrono::Utc::now(),
    };
    state.service.store_file(by, &meta).await?;
    Ok(UploadedFile {
        sha256: received.sha256,
        name,
        size: received.size as i64,
        content_type,
    })
}

/// A new file under `dir/tmp` (both private to the server) with a random name.
async fn temp_file(dir: &Path) -> ApiResult<(PathBuf, tokio::fs::File)> {
    let tmp_dir = dir.join("tmp");
    tokio::fs::create_dir_all(&tmp_dir)
        .await
        .map_err(|e| ApiError::Internal(format!("{}: {e}", tmp_dir.display())))?;
    crate::server::private(dir, 0o700);
    crate::server::private(&tmp_dir, 0o700);
    let tmp = tmp_dir.join(crate::accounts::random_token());
    let out = tokio::fs::File::create(&tmp)
        .await
        .map_err(|e| ApiError::Internal(format!("{}: {e}", tmp.display())))?;
    Ok((tmp, out))
}

/// What [`stream_to`] wrote: the content's SHA-256 in hex, its size and its first 8 KiB (for
/// telling its type).
struct Received {
    sha256: String,
    size: u64,
    head: Vec<u8>,
}

/// Copies the multipart file `name` into `out`, refusing it once it exceeds `limit_mb`.
async fn stream_to(
    out: &mut tokio::fs::File,
    field: &mut Field<'_>,
    name: &str,
    limit_mb: u64,
) -> ApiResult<Received> {
    let limit = limit_mb.saturating_mul(1024 * 1024);
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(name, e))? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(ApiError::TooLarge(format!(
                "файл «{name}» больше {limit_mb} МБ"
            )));
        }
        if head.len() < 8192 {
            head.extend_from_slice(&chunk[..chunk.len().min(8192 - head.len())]);
        }
        hasher.update(&chunk);
        out.write_all(&chunk)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    out.flush()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Received { sha256, size, head })
}

/// The content type of the received file `tmp` when it is an allowed one and the file is not
/// empty.
async fn accepted_type(tmp: &Path, name: &str, received: &Received) -> ApiResult<String> {
    let content_type = sniff(tmp, &received.head)
        .await
        .or_else(|| csv_by_name(name, &received.head));
    let Some(content_type) = content_type.filter(|t| ALLOWED.contains(&t.as_str())) else {
        return Err(ApiError::BadRequest("unsupported_file_type", format!("файл «{name}»: принимаются PDF, изображения (JPEG, PNG, GIF, WebP), XLSX, ODS, CSV и DOCX; ссылки на страницы передаются полем links")));
    };
    if received.size == 0 {
        return Err(ApiError::bad(format!("файл «{name}» пустой")));
    }
    Ok(content_type)
}

/// A `.csv` file has no magic bytes: text without NUL bytes under that name is CSV (an attendee
/// list exported from Excel, in UTF-8 or Windows-1251).
fn csv_by_name(name: &str, head: &[u8]) -> Option<String> {
    let csv = name.to_lowercase().ends_with(".csv");
    (csv && !head.is_empty() && !head.contains(&0)).then(|| "text/csv".to_string())
}

/// Type from magic bytes; Office files are ZIP containers, told apart by their entries.
async fn sniff(path: &std::path::Path, head: &[u8]) -> Option<String> {
    let kind = infer::get(head)?;
    let mime = kind.mime_type();
    if mime == "application/zip" || mime.starts_with("application/vnd.openxmlformats") {
        // `infer` looks at the first entry only; read the whole file's entry names when needed.
        let bytes = tokio::fs::read(path).await.ok()?;
        if let Some(k) = infer::get(&bytes) {
            if k.mime_type().starts_with("application/vnd.openxmlformats") {
                return Some(k.mime_type().to_string());
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        if text.contains("xl/workbook.xml") {
            return Some(ALLOWED[5].into());
        }
        if text.contains("word/document.xml") {
            return Some(ALLOWED[6].into());
        }
        return Some(mime.into());
    }
    Some(mime.into())
}

/// Streams a stored file with its content type, as an attachment named `name`.
pub async fn stream(state: &AppState, sha: &str, name: &str) -> ApiResult<Response> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::not_found("файл не найден"));
    }
    let meta = state
        .service
        .store
        .file(sha)
        .await?
        .ok_or_else(|| ApiError::not_found("файл не найден"))?;
    let path = state.config.files_dir().join(sha);
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| ApiError::not_found("файл не найден в хранилище"))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type),
            (header::CONTENT_LENGTH, meta.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"file\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        body,
    )
        .into_response())
}
