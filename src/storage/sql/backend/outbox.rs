//! outbox

use super::*;

impl This {
    pub(super) async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status ORDER BY status")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }

    pub(super) async fn outbox(&self) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM outbox ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_each("outbox", &rows, Self::outbox_from_row))
    }

    pub(super) async fn find_outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxRow>, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT * FROM outbox o");
        outbox_where(&mut qb, q);
        if let Some(after) = q.page.after {
            qb.push(if q.newest_first {
                " AND o.id < "
            } else {
                " AND o.id > "
            })
            .push_bind(after);
        }
        qb.push(if q.newest_first {
            " ORDER BY o.id DESC"
        } else {
            " ORDER BY o.id"
        });
        push_page(&mut qb, &q.page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(decode_each("outbox", &rows, Self::outbox_from_row))
    }

    pub(super) async fn count_outbox(&self, q: &OutboxQuery) -> Result<i64, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM outbox o");
        outbox_where(&mut qb, q);
        Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
    }

    pub(super) async fn outbox_has_status(&self, status: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT id FROM outbox WHERE status = $1 LIMIT 1")
            .bind(status)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    pub(super) async fn release_outbox_leases(&self, owner: &str) -> Result<u64, StoreError> {
        let _w = self.writer().await;
        Ok(sqlx::query(
            "UPDATE outbox SET lease_owner = NULL, lease_until_us = NULL WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    pub(super) async fn claim_outbox(
        &self,
        wall_now: DateTime<Utc>,
        limit: i64,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let _w = self.writer().await;
        let sql = format!(
            concat!(
                "UPDATE outbox SET lease_owner = $1, lease_until_us = $2 WHERE id IN (
               SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_us <= $3
                 AND (lease_until_us IS NULL OR lease_until_us < $3)
               ORDER BY id LIMIT $4 {lock}",
                ") RETURNING *"
            ),
            lock = LOCK_CLAUSE
        );
        let rows = sqlx::query(&sql)
            .bind(owner)
            .bind(to_us(lease_until))
            .bind(to_us(wall_now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut v = Vec::with_capacity(rows.len());
        for r in &rows {
            match Self::outbox_from_row(r) {
                Ok(row) => v.push(row),
                Err(e) => {
                    // Claimed but unusable: fail it for good so it is not claimed forever.
                    let id: i64 = r.try_get("id")?;
                    tracing::error!(outbox = id, error = %e, "undecodable outbox row failed");
                    sqlx::query(
                        "UPDATE outbox SET status = 'failed', last_error = $2, lease_owner =
                            NULL, lease_until_us = NULL WHERE id = $1",
                    )
                    .bind(id)
                    .bind(format!("строка не читается: {e}"))
                    .execute(&self.pool)
                    .await?;
                }
            }
        }
        v.sort_by_key(|r| r.id);
        Ok(v)
    }

    pub(super) async fn outbox_sent(
        &self,
        id: i64,
        wall_now: DateTime<Utc>,
        message_id: &str,
    ) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_us = $2, message_id = $3,
                attempts = attempts + 1, lease_owner = NULL, lease_until_us = NULL,
                last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(to_us(wall_now))
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn outbox_retry(
        &self,
        id: i64,
        next_attempt: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query(
            "UPDATE outbox SET next_attempt_us = $2, last_error = $3, attempts =
                attempts + 1, lease_owner = NULL, lease_until_us = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(to_us(next_attempt))
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn outbox_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query(
            "UPDATE outbox SET status = 'failed', last_error = $2, attempts =
                attempts + 1, lease_owner = NULL, lease_until_us = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn outbox_set_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query(
            "UPDATE outbox SET status = $2, lease_owner = NULL, lease_until_us = NULL
                WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn outbox_progress(&self, id: i64, log: &str) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query("UPDATE outbox SET message_id = $2 WHERE id = $1")
            .bind(id)
            .bind(log)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
