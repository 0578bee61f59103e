//! partners

use super::*;

impl This {
    /// Whether `id`'s marketing support is suspended (item programs; false for no partner).
    pub(super) async fn support_suspended(&self, id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT support_suspended FROM partners WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<bool, _>("support_suspended")?,
            None => false,
        })
    }

    pub(super) async fn partner(&self, id: &str) -> Result<Option<Partner>, StoreError> {
        let row = sqlx::query("SELECT * FROM partners WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::partner_from_row).transpose()
    }

    pub(super) async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        let rows = sqlx::query("SELECT * FROM partners ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Self::partner_from_row).collect()
    }

    pub(super) async fn partners_by_ids(&self, ids: &[String]) -> Result<Vec<Partner>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(ROWS_PER_INSERT) {
            let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT * FROM partners WHERE id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(id.clone());
            }
            qb.push(") ORDER BY id");
            for r in qb.build().fetch_all(&self.pool).await? {
                out.push(Self::partner_from_row(&r)?);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    pub(super) async fn find_partners(
        &self,
        q: &PartnerQuery,
        at: DateTime<Utc>,
    ) -> Result<Vec<PartnerSummary>, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT p.*, CAST(COALESCE((SELECT SUM(l.points) FROM points_ledger l
                WHERE l.partner = p.id AND l.ledger = ",
        );
        qb.push_bind(crate::domain::POINTS_LEDGER)
            .push(" AND l.booked_us <= ")
            .push_bind(to_us(at))
            .push(" AND l.expires_us > ")
            .push_bind(to_us(at));
        qb.push(
            "), 0) AS BIGINT) AS points_active, CAST(COALESCE((SELECT SUM(b.kopecks)
                FROM bonus_ledger b WHERE b.partner = p.id AND b.ledger = ",
        );
        qb.push_bind(super::ledgers::COMPENSATION_LEDGER)
            .push(" AND b.booked_us <= ")
            .push_bind(to_us(at))
            .push(" AND b.expires_us > ")
            .push_bind(to_us(at));
        qb.push("), 0) AS BIGINT) AS bonus_active FROM partners p");
        partner_where(&mut qb, q);
        qb.push(match q.order {
            Some(o) => {
                let dir = if o.desc { " DESC" } else { "" };
                let col = match o.by {
                    crate::storage::PartnerOrder::Id => "p.id",
                    crate::storage::PartnerOrder::Name => "p.name",
                    crate::storage::PartnerOrder::Points => "points_active",
                };
                format!(" ORDER BY {col}{dir}, p.id{dir}")
            }
            None if q.by_points => " ORDER BY points_active DESC, p.name, p.id".into(),
            None => " ORDER BY p.id".into(),
        });
        push_page(&mut qb, &q.page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(decode_each("partner", &rows, |r| {
            Ok(PartnerSummary {
                partner: Self::partner_from_row(r)?,
                coordinator: r.try_get("coordinator")?,
                points: r.try_get("points_active")?,
                bonus: Kopecks(r.try_get("bonus_active")?),
            })
        }))
    }

    pub(super) async fn count_partners(&self, q: &PartnerQuery) -> Result<i64, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM partners p");
        partner_where(&mut qb, q);
        Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
    }

    pub(super) async fn partner_coordinator(
        &self,
        partner: &str,
    ) -> Result<Option<String>, StoreError> {
        let v: Option<Option<String>> =
            sqlx::query_scalar("SELECT coordinator FROM partners WHERE id = $1")
                .bind(partner)
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.flatten())
    }

    pub(super) async fn partner_coordinators(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, StoreError> {
        let rows =
            sqlx::query("SELECT id, coordinator FROM partners WHERE coordinator IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("coordinator")?)))
            .collect()
    }
}
