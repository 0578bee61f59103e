//! ledgers

use super::*;
use crate::domain::POINTS_LEDGER;

/// The bonus ledger of seminar compensation (the only one the flagship books).
pub(super) const COMPENSATION_LEDGER: &str = "compensation";

impl This {
    pub(super) async fn find_penalties(
        &self,
        q: &PenaltyQuery,
    ) -> Result<Vec<PenaltyRow>, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT seq, program, seminar, partner, data FROM penalties p",
        );
        penalty_where(&mut qb, q);
        if let Some(after) = q.page.after.filter(|_| q.order.is_none()) {
            qb.push(" AND p.seq < ").push_bind(after);
        }
        qb.push(penalty_order(q));
        push_page(&mut qb, &q.page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(decode_each("penalty", &rows, |r| {
            let data: String = r.try_get("data")?;
            let program: Option<String> = r.try_get("program")?;
            Ok(PenaltyRow {
                seq: r.try_get("seq")?,
                program: program.unwrap_or_default(),
                seminar: r.try_get("seminar")?,
                partner: r.try_get("partner")?,
                penalty: parse("penalty", &data)?,
            })
        }))
    }

    pub(super) async fn penalty_points(&self, q: &PenaltyQuery) -> Result<i64, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT CAST(COALESCE(SUM(p.points), 0) AS BIGINT) AS n FROM penalties p",
        );
        penalty_where(&mut qb, q);
        Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
    }

    pub(super) async fn count_penalties(&self, q: &PenaltyQuery) -> Result<i64, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM penalties p");
        penalty_where(&mut qb, q);
        Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
    }

    pub(super) async fn penalties(
        &self,
        seminar: Option<&str>,
    ) -> Result<Vec<(String, Penalty)>, StoreError> {
        let rows = match seminar {
            Some(s) => {
                sqlx::query("SELECT seminar, data FROM penalties WHERE seminar = $1 ORDER BY seq")
                    .bind(s)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT seminar, data FROM penalties ORDER BY seq")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(decode_each("penalty", &rows, |r| {
            let data: String = r.try_get("data")?;
            Ok((r.try_get("seminar")?, parse("penalty", &data)?))
        }))
    }

    pub(super) async fn points_balance(
        &self,
        partner: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(points) AS BIGINT) FROM points_ledger WHERE partner = $1
                AND ledger = $3 AND booked_us <= $2 AND expires_us > $2",
        )
        .bind(partner)
        .bind(to_us(at))
        .bind(POINTS_LEDGER)
        .fetch_one(&self.pool)
        .await?;
        Ok(v.unwrap_or(0))
    }

    pub(super) async fn bonus_balance(
        &self,
        partner: &str,
        at: DateTime<Utc>,
    ) -> Result<Kopecks, StoreError> {
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(kopecks) AS BIGINT) FROM bonus_ledger WHERE partner = $1
                AND ledger = $3 AND booked_us <= $2 AND expires_us > $2",
        )
        .bind(partner)
        .bind(to_us(at))
        .bind(COMPENSATION_LEDGER)
        .fetch_one(&self.pool)
        .await?;
        Ok(Kopecks(v.unwrap_or(0)))
    }

    pub(super) async fn points_entries(
        &self,
        partner: &str,
    ) -> Result<Vec<PointsEntry>, StoreError> {
        self.ledger_rows("points_ledger", partner, &Page::default(), points_row)
            .await
    }

    pub(super) async fn points_page(
        &self,
        partner: &str,
        page: Page,
    ) -> Result<(Vec<PointsEntry>, i64), StoreError> {
        let entries = self
            .ledger_rows("points_ledger", partner, &page, points_row)
            .await?;
        let total = self.ledger_count("points_ledger", partner).await?;
        Ok((entries, total))
    }

    /// A partner's rows of ledger `table` (a table name of ours, never input), newest first,
    /// one page of them.
    async fn ledger_rows<T>(
        &self,
        table: &'static str,
        partner: &str,
        page: &Page,
        decode: fn(&<Db as sqlx::Database>::Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut qb =
            sqlx::QueryBuilder::<Db>::new(format!("SELECT * FROM {table} WHERE partner = "));
        qb.push_bind(partner.to_string())
            .push(" ORDER BY booked_us DESC, key");
        push_page(&mut qb, page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(decode).collect()
    }

    async fn ledger_count(&self, table: &'static str, partner: &str) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE partner = $1");
        Ok(sqlx::query_scalar(&sql)
            .bind(partner)
            .fetch_one(&self.pool)
            .await?)
    }

    pub(super) async fn bonus_page(
        &self,
        partner: &str,
        page: Page,
    ) -> Result<(Vec<BonusEntry>, i64), StoreError> {
        let entries = self
            .ledger_rows("bonus_ledger", partner, &page, bonus_row)
            .await?;
        let total = self.ledger_count("bonus_ledger", partner).await?;
        Ok((entries, total))
    }

    pub(super) async fn penalty_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM penalties")
            .fetch_one(&self.pool)
            .await?)
    }
}

pub(super) fn points_row(r: &<Db as sqlx::Database>::Row) -> Result<PointsEntry, StoreError> {
    Ok(PointsEntry {
        key: r.try_get("key")?,
        partner: r.try_get("partner")?,
        seminar: r.try_get("seminar")?,
        points: r.try_get("points")?,
        reason: r.try_get("reason")?,
        booked_at: from_us(r.try_get("booked_us")?)?,
        expires_at: from_us(r.try_get("expires_us")?)?,
        ledger: r.try_get("ledger")?,
        product: r.try_get("product")?,
        program: r.try_get("program")?,
        kind: r.try_get("kind")?,
    })
}

fn bonus_row(r: &<Db as sqlx::Database>::Row) -> Result<BonusEntry, StoreError> {
    Ok(BonusEntry {
        key: r.try_get("key")?,
        partner: r.try_get("partner")?,
        seminar: r.try_get("seminar")?,
        amount: Kopecks(r.try_get("kopecks")?),
        booked_at: from_us(r.try_get("booked_us")?)?,
        expires_at: from_us(r.try_get("expires_us")?)?,
    })
}
