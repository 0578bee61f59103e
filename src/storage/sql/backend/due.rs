//! due

use super::*;

impl This {
    pub(super) async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        owner: &str,
        wall_now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<DueItem>, StoreError> {
        let _w = self.writer().await;
        let sql = format!(
            concat!(
                "UPDATE due_items SET lease_owner = $1, lease_until_us = $2 WHERE key IN (
               SELECT d.key FROM due_items d WHERE d.fired_us IS NULL AND d.due_us <= $3
                 AND (d.lease_until_us IS NULL OR d.lease_until_us < $4)
                 AND NOT EXISTS (SELECT 1 FROM due_items e WHERE e.seminar = d.seminar AND e.fired_us IS NULL AND e.due_us < d.due_us)
               ORDER BY d.due_us, d.key LIMIT $5 {lock}",
                ") RETURNING key, seminar, due_us, kind"
            ),
            lock = LOCK_CLAUSE
        );
        let rows = sqlx::query(&sql)
            .bind(owner)
            .bind(to_us(lease_until))
            .bind(to_us(now))
            .bind(to_us(wall_now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        // An undecodable item stays leased (out of the way until the lease ends).
        let mut items: Vec<DueItem> = decode_each("due item", &rows, Self::due_from_row);
        items.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.key.cmp(&b.key)));
        Ok(items)
    }

    pub(super) async fn release_due(&self, key: &str) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query(
            "UPDATE due_items SET lease_owner = NULL, lease_until_us = NULL WHERE key
                = $1 AND fired_us IS NULL",
        )
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn has_earlier_due(
        &self,
        seminar: &str,
        before: DateTime<Utc>,
        except: &str,
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM due_items WHERE seminar = $1 AND fired_us IS NULL
                AND due_us < $2 AND key <> $3",
        )
        .bind(seminar)
        .bind(to_us(before))
        .bind(except)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    pub(super) async fn due_for_seminar(
        &self,
        seminar: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT key, seminar, due_us, kind FROM due_items WHERE seminar = $1 AND
                fired_us IS NULL AND due_us <= $2 ORDER BY due_us, key",
        )
        .bind(seminar)
        .bind(to_us(now))
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_each("due item", &rows, Self::due_from_row))
    }

    pub(super) async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MIN(due_us) FROM due_items WHERE fired_us IS NULL")
                .fetch_one(&self.pool)
                .await?;
        v.map(from_us).transpose()
    }

    pub(super) async fn pending_due_count(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM due_items WHERE fired_us IS NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
