//! Due items: claiming, catching up one seminar, and what is pending.

use super::*;

/// SQL: a pending item of the same subject as `$d` that comes before it (instant, then rank).
macro_rules! earlier_of_subject {
    ($d:literal) => {
        concat!(
            "SELECT 1 FROM due_items e WHERE e.seminar = ",
            $d,
            ".seminar
               AND e.subject_kind = ",
            $d,
            ".subject_kind AND e.fired_us IS NULL
               AND (e.due_us < ",
            $d,
            ".due_us OR (e.due_us = ",
            $d,
            ".due_us AND e.due_rank < ",
            $d,
            ".due_rank))"
        )
    };
}
pub(super) use earlier_of_subject;

/// SQL: a pending item of any subject due at the same instant as `$d` with a lower rank.
macro_rules! lower_rank_at_instant {
    ($d:literal) => {
        concat!(
            "SELECT 1 FROM due_items r WHERE r.fired_us IS NULL AND r.due_us = ",
            $d,
            ".due_us
               AND r.due_rank < ",
            $d,
            ".due_rank"
        )
    };
}
pub(super) use lower_rank_at_instant;

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
        // Per subject, an item is claimed only while no item of its subject comes before it
        // (instant, then rank); across subjects, an item of rank r > 0 waits while an item of a
        // lower rank due at the same instant is pending (fired or not, leased or not), so every
        // node sees the effects of the lower ranks first. Exactly once stays with `fire`.
        let sql = format!(
            concat!(
                "UPDATE due_items SET lease_owner = $1, lease_until_us = $2 WHERE key IN (
               SELECT d.key FROM due_items d WHERE d.fired_us IS NULL AND d.due_us <= $3
                 AND (d.lease_until_us IS NULL OR d.lease_until_us < $4)
                 AND NOT EXISTS (",
                earlier_of_subject!("d"),
                ")
                 AND (d.due_rank = 0 OR NOT EXISTS (",
                lower_rank_at_instant!("d"),
                "))
               ORDER BY d.due_us, d.due_rank, d.key LIMIT $5 {lock}",
                ") RETURNING key, seminar, subject_kind, due_us, due_rank, kind"
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
        items.sort_by(|a, b| {
            (a.at, a.rank)
                .cmp(&(b.at, b.rank))
                .then_with(|| a.key.cmp(&b.key))
        });
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
            "SELECT COUNT(*) FROM due_items WHERE seminar = $1 AND subject_kind = 'item'
                AND fired_us IS NULL AND due_us < $2 AND key <> $3",
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
            "SELECT key, seminar, subject_kind, due_us, due_rank, kind FROM due_items
                WHERE seminar = $1 AND subject_kind = 'item' AND fired_us IS NULL AND due_us <= $2
                ORDER BY due_us, due_rank, key",
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
