//! files

use super::*;

impl This {
    pub(super) async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(super) async fn wipe_season(&self, accounts_suffix: &str) -> Result<(), StoreError> {
        let _w = self.writer().await;
        let mut tx = self.pool.begin().await?;
        for table in [
            "events",
            "outbox",
            "due_items",
            "penalties",
            "points_ledger",
            "bonus_ledger",
            "seminars",
            "program_locks",
            // Partner programs' state (migration 0006), before the partners it names.
            "standings",
            "partner_records",
            "staff",
            "certificates",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE partners SET coordinator = NULL")
            .execute(&mut *tx)
            .await?;
        let like = format!("%{accounts_suffix}");
        sqlx::query(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email LIKE $1)",
        )
        .bind(&like)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE email LIKE $1)",
        )
        .bind(&like)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM users WHERE email LIKE $1")
            .bind(&like)
            .execute(&mut *tx)
            .await?;
        // Partners carry flags the season set (barred, late withdrawal): they go too,
        // unless an account still belongs to one.
        sqlx::query(
            "DELETE FROM partners WHERE id NOT IN (SELECT partner FROM users WHERE
                partner IS NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO
                UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn file(&self, sha256: &str) -> Result<Option<FileMeta>, StoreError> {
        let row = sqlx::query("SELECT sha256, size, content_type FROM files WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(FileMeta {
                sha256: r.try_get("sha256")?,
                size: r.try_get("size")?,
                content_type: r.try_get("content_type")?,
            })),
            None => Ok(None),
        }
    }
}
