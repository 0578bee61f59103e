//! Partner programs: standings, staff, certificates, records, and one partner's ledger rows.
//! Every read names one partner, so its cost does not grow with the number of partners.

use super::*;
use crate::domain::standing::Standing;
use crate::storage::{CertificateRow, RecordRow, StaffRow};

type Tx<'c> = sqlx::Transaction<'c, Db>;

impl This {
    pub(super) async fn standing(
        &self,
        partner: &str,
        program: &str,
    ) -> Result<Option<Standing>, StoreError> {
        let row =
            sqlx::query("SELECT data, version FROM standings WHERE partner = $1 AND program = $2")
                .bind(partner)
                .bind(program)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(standing_row).transpose()
    }

    pub(super) async fn standings_of(&self, partner: &str) -> Result<Vec<Standing>, StoreError> {
        let rows =
            sqlx::query("SELECT data, version FROM standings WHERE partner = $1 ORDER BY program")
                .bind(partner)
                .fetch_all(&self.pool)
                .await?;
        Ok(decode_each("standing", &rows, standing_row))
    }

    pub(super) async fn staff_of(&self, partner: &str) -> Result<Vec<StaffRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM staff WHERE partner = $1 ORDER BY staff")
            .bind(partner)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let detached: Option<i64> = r.try_get("detached_us")?;
                Ok(StaffRow {
                    partner: r.try_get("partner")?,
                    staff: r.try_get("staff")?,
                    role: r.try_get("role")?,
                    attached: from_us(r.try_get("attached_us")?)?,
                    detached: detached.map(from_us).transpose()?,
                })
            })
            .collect()
    }

    pub(super) async fn certificates_of(
        &self,
        partner: &str,
    ) -> Result<Vec<CertificateRow>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM certificates WHERE partner = $1 ORDER BY staff, course")
                .bind(partner)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(CertificateRow {
                    partner: r.try_get("partner")?,
                    staff: r.try_get("staff")?,
                    course: r.try_get("course")?,
                    at: from_us(r.try_get("at_us")?)?,
                })
            })
            .collect()
    }

    pub(super) async fn records_of(
        &self,
        partner: &str,
        program: &str,
    ) -> Result<Vec<RecordRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM partner_records WHERE partner = $1 AND program = $2 ORDER BY at_us, key",
        )
        .bind(partner)
        .bind(program)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RecordRow {
                    key: r.try_get("key")?,
                    partner: r.try_get("partner")?,
                    program: r.try_get("program")?,
                    kind: r.try_get("kind")?,
                    reference: r.try_get("ref")?,
                    at: from_us(r.try_get("at_us")?)?,
                    kopecks: r.try_get("kopecks")?,
                    qty: r.try_get("qty")?,
                    data: r.try_get("data")?,
                })
            })
            .collect()
    }

    pub(super) async fn ledger_of(
        &self,
        partner: &str,
        ledger: &str,
    ) -> Result<Vec<PointsEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM points_ledger WHERE partner = $1 AND ledger = $2 ORDER BY booked_us, key",
        )
        .bind(partner)
        .bind(ledger)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(super::ledgers::points_row).collect()
    }
}

fn standing_row(r: &<Db as sqlx::Database>::Row) -> Result<Standing, StoreError> {
    let data: String = r.try_get("data")?;
    let mut s: Standing = parse("standing", &data)?;
    s.version = r.try_get("version")?;
    Ok(s)
}

/// Writes the partner-program parts of a commit: standings at their read version, staff,
/// certificates, records.
pub(super) async fn write_partner_parts(tx: &mut Tx<'_>, c: &Commit) -> Result<(), StoreError> {
    for s in &c.standings {
        write_standing(tx, s).await?;
    }
    for st in &c.staff {
        sqlx::query(
            "INSERT INTO staff (partner, staff, role, attached_us, detached_us) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (partner, staff) DO UPDATE SET role = EXCLUDED.role,
               attached_us = EXCLUDED.attached_us, detached_us = EXCLUDED.detached_us",
        )
        .bind(&st.partner)
        .bind(&st.staff)
        .bind(&st.role)
        .bind(to_us(st.attached))
        .bind(st.detached.map(to_us))
        .execute(&mut **tx)
        .await?;
    }
    for ce in &c.certificates {
        sqlx::query(
            "INSERT INTO certificates (partner, staff, course, at_us) VALUES ($1, $2, $3, $4)
             ON CONFLICT (partner, staff, course) DO NOTHING",
        )
        .bind(&ce.partner)
        .bind(&ce.staff)
        .bind(&ce.course)
        .bind(to_us(ce.at))
        .execute(&mut **tx)
        .await?;
    }
    for r in &c.records {
        write_record(tx, r).await?;
    }
    Ok(())
}

async fn write_standing(tx: &mut Tx<'_>, s: &Standing) -> Result<(), StoreError> {
    let data = checked_json("standing", s)?;
    let state = json("standing state", &s.state)?;
    let state = state.trim_matches('"').to_string();
    let n = if s.version == 0 {
        sqlx::query(
            "INSERT INTO standings (partner, program, state, code, since_us, until_us, version, data)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7)",
        )
        .bind(&s.partner)
        .bind(&s.program)
        .bind(&state)
        .bind(&s.code)
        .bind(s.since.map(to_us))
        .bind(s.until.map(to_us))
        .bind(&data)
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_to_conflict(e, "standing exists"))?
        .rows_affected()
    } else {
        sqlx::query(
            "UPDATE standings SET state = $1, code = $2, since_us = $3, until_us = $4, data = $5,
               version = version + 1 WHERE partner = $6 AND program = $7 AND version = $8",
        )
        .bind(&state)
        .bind(&s.code)
        .bind(s.since.map(to_us))
        .bind(s.until.map(to_us))
        .bind(&data)
        .bind(&s.partner)
        .bind(&s.program)
        .bind(s.version)
        .execute(&mut **tx)
        .await?
        .rows_affected()
    };
    if n != 1 {
        return Err(StoreError::Conflict(format!(
            "standing {}:{} changed concurrently",
            s.partner, s.program
        )));
    }
    Ok(())
}

async fn write_record(tx: &mut Tx<'_>, r: &RecordRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO partner_records (key, partner, program, kind, ref, at_us, kopecks, qty, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (key) DO UPDATE SET ref = EXCLUDED.ref, at_us = EXCLUDED.at_us,
           kopecks = EXCLUDED.kopecks, qty = EXCLUDED.qty, data = EXCLUDED.data",
    )
    .bind(&r.key)
    .bind(&r.partner)
    .bind(&r.program)
    .bind(&r.kind)
    .bind(&r.reference)
    .bind(to_us(r.at))
    .bind(r.kopecks)
    .bind(r.qty)
    .bind(&r.data)
    .execute(&mut **tx)
    .await
    .map_err(|e| unique_to_conflict(e, "record with this reference exists"))?;
    Ok(())
}

/// Adds due items without touching their subjects' plans; a key already present stays.
pub(super) async fn add_due(tx: &mut Tx<'_>, items: &[DueItem]) -> Result<(), StoreError> {
    for it in items {
        let (subject, subject_kind) = stored_subject(&it.subject)?;
        sqlx::query(
            "INSERT INTO due_items (key, seminar, subject_kind, due_us, due_rank, kind)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&it.key)
        .bind(subject)
        .bind(subject_kind)
        .bind(to_us(it.at))
        .bind(i16::from(it.rank))
        .bind(json("due item", &it.kind)?)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
