//! seminars

use super::*;

impl This {
    pub(super) async fn seminar(&self, id: &str) -> Result<Option<Seminar>, StoreError> {
        let row = sqlx::query("SELECT data, version FROM seminars WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| self.seminar_from_row(r)).transpose()
    }

    pub(super) async fn seminars(&self, program: Option<&str>) -> Result<Vec<Seminar>, StoreError> {
        let rows = match program {
            Some(p) => {
                sqlx::query(
                    "SELECT data, version FROM seminars WHERE program = $1 ORDER BY seq, id",
                )
                .bind(p)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query("SELECT data, version FROM seminars ORDER BY seq, id")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(decode_each("seminar", &rows, |r| self.seminar_from_row(r)))
    }

    pub(super) async fn seminar_for_command(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Seminar, Option<Partner>, bool)>, StoreError> {
        let row = sqlx::query(
            "SELECT s.data, s.version, p.id, p.name, p.experienced, p.barred, p.late_withdrawal,
               EXISTS (SELECT 1 FROM due_items d WHERE d.seminar = s.id AND d.fired_us IS NULL AND d.due_us <= $2) AS has_due
             FROM seminars s LEFT JOIN partners p ON p.id = s.partner WHERE s.id = $1",
        )
        .bind(id)
        .bind(to_us(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let seminar = self.seminar_from_row(&r)?;
        let partner_id: Option<String> = r.try_get("id")?;
        let partner = match partner_id {
            Some(_) => Some(Self::partner_from_row(&r)?),
            None => None,
        };
        Ok(Some((seminar, partner, r.try_get("has_due")?)))
    }

    pub(super) async fn find_seminars(
        &self,
        q: &SeminarQuery,
    ) -> Result<Vec<(i64, Seminar)>, StoreError> {
        let mut qb =
            sqlx::QueryBuilder::<Db>::new("SELECT s.seq, s.data, s.version FROM seminars s");
        seminar_where(&mut qb, q);
        let keyset = !q.by_date && !q.by_deadline && q.order.is_none();
        if let Some(after) = q.page.after.filter(|_| keyset) {
            qb.push(" AND s.seq > ").push_bind(after);
        }
        qb.push(seminar_order(q));
        push_page(&mut qb, &q.page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(decode_each("seminar", &rows, |r| {
            Ok((r.try_get("seq")?, self.seminar_from_row(r)?))
        }))
    }

    pub(super) async fn count_seminars(&self, q: &SeminarQuery) -> Result<i64, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM seminars s");
        seminar_where(&mut qb, q);
        Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
    }

    pub(super) async fn seminars_without_attention(
        &self,
        limit: i64,
    ) -> Result<Vec<Seminar>, StoreError> {
        let rows = sqlx::query(
            "SELECT data, version FROM seminars WHERE attention_known = FALSE ORDER
                BY seq LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_each("seminar", &rows, |r| self.seminar_from_row(r)))
    }

    pub(super) async fn set_attention(
        &self,
        seminar: &str,
        a: &Attention,
    ) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query(
            "UPDATE seminars SET partner_deadline = $1, awaiting_review = $2,
                attention_known = TRUE WHERE id = $3",
        )
        .bind(a.partner_deadline.map(|d| d.to_string()))
        .bind(a.awaiting_review)
        .bind(seminar)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn seminar_cells(&self, program: &str) -> Result<Vec<CellCount>, StoreError> {
        let rows = sqlx::query(
            "SELECT city, week, state, COUNT(*) AS n FROM seminars WHERE program = $1
                GROUP BY city, week, state ORDER BY city, week, state",
        )
        .bind(program)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CellCount {
                    city: r.try_get("city")?,
                    week: r.try_get("week")?,
                    state: r.try_get("state")?,
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }

    pub(super) async fn program_version(&self, program: &str) -> Result<i64, StoreError> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT version FROM program_locks WHERE program = $1")
                .bind(program)
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }
}
