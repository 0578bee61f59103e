//! One command's or due item's [`Commit`]: every table it touches, in one transaction.

use super::changes::insert_events;
use super::due::{earlier_of_subject, lower_rank_at_instant};
use super::*;
use crate::domain::Outcome;

type Tx<'c> = sqlx::Transaction<'c, Db>;

impl This {
    pub(super) async fn commit(&self, c: &Commit) -> Result<(), StoreError> {
        let _w = self.writer().await;
        let mut tx = self.pool.begin().await?;
        if let Some((program, version)) = &c.program_lock {
            take_program_lock(&mut tx, program, *version).await?;
        }
        fire(&mut tx, &c.fired).await?;
        for s in &c.outcome.seminars {
            write_seminar(&mut tx, s, c.attention.get(&s.id)).await?;
        }
        if !c.outcome.penalties.is_empty() {
            book_penalties(&mut tx, &c.outcome).await?;
        }
        book_ledgers(&mut tx, &c.outcome).await?;
        insert_outbox(&mut tx, &c.outcome).await?;
        insert_events(&mut tx, &c.outcome.events).await?;
        if !c.plans.is_empty() {
            replace_plans(&mut tx, &c.plans).await?;
        }
        super::standings::write_partner_parts(&mut tx, c).await?;
        if !c.add_due.is_empty() {
            super::standings::add_due(&mut tx, &c.add_due).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Program-wide decisions hold the program lock at the version they read.
async fn take_program_lock(tx: &mut Tx<'_>, program: &str, version: i64) -> Result<(), StoreError> {
    let version = &version;
    let n = if *version == 0 {
        sqlx::query(
            "INSERT INTO program_locks (program, version) VALUES ($1, 1) ON CONFLICT
                (program) DO NOTHING",
        )
        .bind(program)
        .execute(&mut **tx)
        .await?
        .rows_affected()
    } else {
        sqlx::query(
            "UPDATE program_locks SET version = version + 1 WHERE program = $1 AND version = $2",
        )
        .bind(program)
        .bind(version)
        .execute(&mut **tx)
        .await?
        .rows_affected()
    };
    if n != 1 {
        return Err(StoreError::Conflict(format!(
            "program {program} changed concurrently"
        )));
    }
    Ok(())
}

/// Marks the due items the commit fires; each exactly once, only while first in its subject and
/// (rank > 0) while no lower-ranked item of its instant waits.
async fn fire(tx: &mut Tx<'_>, fired: &[(String, DateTime<Utc>)]) -> Result<(), StoreError> {
    for (key, at) in fired {
        // An item fires only while no earlier item of its subject waits, nor (rank > 0) a
        // lower-ranked item of its instant: the order checks and the exactly-once mark are one
        // statement.
        let n = sqlx::query(concat!(
            "UPDATE due_items SET fired_us = $1, lease_owner = NULL, lease_until_us = NULL
             WHERE key = $2 AND fired_us IS NULL AND NOT EXISTS (",
            earlier_of_subject!("due_items"),
            ") AND (due_items.due_rank = 0 OR NOT EXISTS (",
            lower_rank_at_instant!("due_items"),
            "))"
        ))
        .bind(to_us(*at))
        .bind(key)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict(format!(
                "due item {key} already fired, gone or not yet first"
            )));
        }
    }
    Ok(())
}

/// Inserts a new seminar or updates one at the version it was read.
async fn write_seminar(
    tx: &mut Tx<'_>,
    s: &Seminar,
    attention: Option<&Attention>,
) -> Result<(), StoreError> {
    let data = checked_json("seminar", s)?;

    let n = if s.version == 0 {
        sqlx::query(
            "INSERT INTO seminars (id, program, partner, city, date, week, state, seq, version, data, applied_us,
               partner_deadline, awaiting_review, attention_known)
             VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT COALESCE(MAX(seq), 0) + 1 FROM seminars), 1, $8, $9, $10, $11, $12)",
        )
        .bind(&s.id)
        .bind(&s.program)
        .bind(&s.partner)
        .bind(&s.city)
        .bind(s.date.to_string())
        .bind(&s.week)
        .bind(s.state.as_str())
        .bind(&data)
        .bind(to_us(s.applied_at))
        .bind(attention.and_then(|a| a.partner_deadline).map(|d| d.to_string()))
        .bind(attention.is_some_and(|a| a.awaiting_review))
        .bind(attention.is_some())
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_to_conflict(e, "seminar exists"))?
        .rows_affected()
    } else {
        // The list columns change only with what the writer computed (`attention`).
        sqlx::query(
            "UPDATE seminars SET state = $1, data = $2, city = $3, date = $4, week = $5, version = version + 1,
               partner_deadline = CASE WHEN $8 THEN $9 ELSE partner_deadline END,
               awaiting_review = CASE WHEN $8 THEN $10 ELSE awaiting_review END,
               attention_known = attention_known OR $8
             WHERE id = $6 AND version = $7",
        )
            .bind(s.state.as_str())
            .bind(&data)
            .bind(&s.city)
            .bind(s.date.to_string())
            .bind(&s.week)
            .bind(&s.id)
            .bind(s.version)
            .bind(attention.is_some())
            .bind(attention.and_then(|a| a.partner_deadline).map(|d| d.to_string()))
            .bind(attention.is_some_and(|a| a.awaiting_review))
            .execute(&mut **tx)
            .await?
            .rows_affected()
    };
    if n != 1 {
        return Err(StoreError::Conflict(format!(
            "seminar {} changed concurrently",
            s.id
        )));
    }
    Ok(())
}

/// Books penalties with consecutive booking numbers.
async fn book_penalties(tx: &mut Tx<'_>, outcome: &Outcome) -> Result<(), StoreError> {
    // Booking order: one index probe for the last number, then consecutive ones.
    let last: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM penalties")
            .fetch_one(&mut **tx)
            .await?;
    let mut rows = Vec::with_capacity(outcome.penalties.len());
    for (i, (seminar, p)) in outcome.penalties.iter().enumerate() {
        rows.push((i, seminar, p, checked_json("penalty", p)?));
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO penalties (key, seq, seminar, partner, program, code,
                    points, exclusion, at_us, data) ",
        );
        qb.push_values(chunk, |mut b, (i, seminar, p, data)| {
            let owner = outcome.seminars.iter().find(|s| &s.id == *seminar);
            b.push_bind(p.key.clone())
                .push_bind(last + 1 + *i as i64)
                .push_bind((*seminar).clone())
                .push_bind(owner.map(|s| s.partner.clone()).unwrap_or_default())
                .push_bind(owner.map(|s| s.program.clone()))
                .push_bind(p.code.clone())
                .push_bind(p.points)
                .push_bind(p.exclusion)
                .push_bind(to_us(p.at))
                .push_bind(data.clone());
        });
        qb.build()
            .execute(&mut **tx)
            .await
            .map_err(|e| unique_to_conflict(e, "penalty already booked"))?;
    }
    Ok(())
}

/// Points and bonus ledger entries, and the partner flags the outcome sets.
async fn book_ledgers(tx: &mut Tx<'_>, outcome: &Outcome) -> Result<(), StoreError> {
    for e in &outcome.points {
        sqlx::query(
            "INSERT INTO points_ledger (key, partner, seminar, points, reason,
                booked_us, expires_us, ledger, product, program, kind)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&e.key)
        .bind(&e.partner)
        .bind(&e.seminar)
        .bind(e.points)
        .bind(&e.reason)
        .bind(to_us(e.booked_at))
        .bind(to_us(e.expires_at))
        .bind(&e.ledger)
        .bind(&e.product)
        .bind(&e.program)
        .bind(&e.kind)
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_to_conflict(e, "points already booked"))?;
    }
    for e in &outcome.bonus {
        sqlx::query(
            "INSERT INTO bonus_ledger (key, partner, seminar, kopecks, booked_us,
                expires_us) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&e.key)
        .bind(&e.partner)
        .bind(&e.seminar)
        .bind(e.amount.0)
        .bind(to_us(e.booked_at))
        .bind(to_us(e.expires_at))
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_to_conflict(e, "bonus already booked"))?;
    }
    for (partner, flag) in &outcome.flags {
        let sql = match flag {
            crate::domain::PartnerFlag::Barred => "UPDATE partners SET barred = TRUE WHERE id = $1",
            crate::domain::PartnerFlag::LateWithdrawal => {
                "UPDATE partners SET late_withdrawal = TRUE WHERE id = $1"
            }
            crate::domain::PartnerFlag::SupportSuspended => {
                "UPDATE partners SET support_suspended = TRUE WHERE id = $1"
            }
            crate::domain::PartnerFlag::SupportResumed => {
                "UPDATE partners SET support_suspended = FALSE WHERE id = $1"
            }
        };
        sqlx::query(sql).bind(partner).execute(&mut **tx).await?;
    }
    Ok(())
}

/// The outcome's notifications; a key already in the outbox is not added again.
async fn insert_outbox(tx: &mut Tx<'_>, outcome: &Outcome) -> Result<(), StoreError> {
    let data = outcome
        .notifications
        .iter()
        .map(|n| json("notification", &n.data))
        .collect::<Result<Vec<_>, _>>()?;
    for (chunk, data) in outcome
        .notifications
        .chunks(ROWS_PER_INSERT)
        .zip(data.chunks(ROWS_PER_INSERT))
    {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO outbox (key, kind, recipient, seminar, stage, at_us, data,
                    next_attempt_us) ",
        );
        qb.push_values(chunk.iter().zip(data), |mut b, (n, data)| {
            b.push_bind(n.key.clone())
                .push_bind(n.kind.as_str())
                .push_bind(recipient_str(&n.to))
                .push_bind(n.seminar.clone())
                .push_bind(n.stage.clone())
                .push_bind(to_us(n.at))
                .push_bind(data.clone())
                .push_bind(0_i64);
        });
        qb.push(" ON CONFLICT (key) DO NOTHING");
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Replaces each subject's pending plan by writing only the difference: most commands leave
/// most of a plan as it was. A plan is keyed by its subject's stored key (a seminar's id).
async fn replace_plans(
    tx: &mut Tx<'_>,
    plans: &[(String, Vec<DueItem>)],
) -> Result<(), StoreError> {
    let mut pending = pending_of(tx, plans).await?;
    let mut fresh = Vec::new();
    for (_, items) in plans {
        for it in items {
            let kind = json("due item", &it.kind)?;
            let rank = i16::from(it.rank);
            match pending.remove(&it.key) {
                Some((due, r, k)) if due == to_us(it.at) && r == rank && k == kind => {}
                Some(_) => {
                    sqlx::query(
                        "UPDATE due_items SET due_us = $1, kind = $2, due_rank = $3 WHERE key = $4
                            AND fired_us IS NULL",
                    )
                    .bind(to_us(it.at))
                    .bind(&kind)
                    .bind(rank)
                    .bind(&it.key)
                    .execute(&mut **tx)
                    .await?;
                }
                None => fresh.push((it, stored_subject(&it.subject)?, kind)),
            }
        }
    }
    let gone: Vec<String> = pending.into_keys().collect();
    for chunk in gone.chunks(ROWS_PER_INSERT) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "DELETE FROM due_items WHERE fired_us IS NULL AND key IN (",
        );
        let mut sep = qb.separated(", ");
        for k in chunk {
            sep.push_bind(k.clone());
        }
        qb.push(")");
        qb.build().execute(&mut **tx).await?;
    }
    for chunk in fresh.chunks(ROWS_PER_INSERT) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO due_items (key, seminar, subject_kind, due_us, due_rank, kind) ",
        );
        qb.push_values(chunk, |mut b, (it, (subject, subject_kind), kind)| {
            b.push_bind(it.key.clone())
                .push_bind(subject.clone())
                .push_bind(*subject_kind)
                .push_bind(to_us(it.at))
                .push_bind(i16::from(it.rank))
                .push_bind(kind.clone());
        });
        // A key that already fired stays fired: it never fires twice.
        qb.push(" ON CONFLICT (key) DO NOTHING");
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// The pending items of the planned subjects: key → (instant, rank, kind).
async fn pending_of(
    tx: &mut Tx<'_>,
    plans: &[(String, Vec<DueItem>)],
) -> Result<std::collections::HashMap<String, (i64, i16, String)>, StoreError> {
    let mut pending = std::collections::HashMap::new();
    for chunk in plans.chunks(ROWS_PER_INSERT) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT key, due_us, due_rank, kind FROM due_items WHERE fired_us IS NULL AND seminar IN (",
        );
        let mut sep = qb.separated(", ");
        for (subject, _) in chunk {
            sep.push_bind(subject.clone());
        }
        qb.push(")");
        for r in qb.build().fetch_all(&mut **tx).await? {
            pending.insert(
                r.try_get("key")?,
                (
                    r.try_get("due_us")?,
                    r.try_get("due_rank")?,
                    r.try_get("kind")?,
                ),
            );
        }
    }
    Ok(pending)
}
