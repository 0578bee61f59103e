//! Changes to accounts, partners, coordinator assignment and files ([`Change`]), each batch
//! written with its audit events in one transaction.

use super::*;
use crate::storage::Change;

type Tx<'c> = sqlx::Transaction<'c, Db>;

impl This {
    pub(super) async fn apply(
        &self,
        changes: &[Change],
        events: &[Event],
    ) -> Result<Vec<u64>, StoreError> {
        let _w = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut touched = Vec::with_capacity(changes.len());
        for c in changes {
            touched.push(apply_one(&mut tx, c).await?);
        }
        // The events describe the first change: when it changed nothing, nothing happened.
        if touched.first() == Some(&0) {
            tx.rollback().await?;
            return Ok(touched);
        }
        insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(touched)
    }
}

/// Appends `events` to the audit log inside `tx`.
pub(super) async fn insert_events(tx: &mut Tx<'_>, events: &[Event]) -> Result<(), StoreError> {
    let data = events
        .iter()
        .map(|e| json("event", &e.data))
        .collect::<Result<Vec<_>, _>>()?;
    for (chunk, data) in events
        .chunks(ROWS_PER_INSERT)
        .zip(data.chunks(ROWS_PER_INSERT))
    {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO events (at_us, actor, kind, seminar, data) ",
        );
        qb.push_values(chunk.iter().zip(data), |mut b, (e, data)| {
            b.push_bind(to_us(e.at))
                .push_bind(e.actor.clone())
                .push_bind(e.kind.clone())
                .push_bind(e.seminar.clone())
                .push_bind(data.clone());
        });
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

async fn apply_one(tx: &mut Tx<'_>, c: &Change) -> Result<u64, StoreError> {
    let r =
        match c {
            Change::CreateUser { user, at } => create_user(tx, user, *at).await?,
            Change::UpdateUser(u) => update_user(tx, u).await?,
            Change::EndSessions { user, keep } => {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                    .bind(user)
                    .bind(keep.as_deref().unwrap_or(""))
                    .execute(&mut **tx)
                    .await?
            }
            Change::CreateApiToken {
                token_hash,
                user,
                name,
                at,
                expires,
            } => {
                sqlx::query(
                    "INSERT INTO api_tokens (token_hash, user_id, name, created_us, expires_us)
                 VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(user)
                .bind(name)
                .bind(to_us(*at))
                .bind(to_us(*expires))
                .execute(&mut **tx)
                .await?
            }
            Change::RevokeApiToken { user, id } => {
                sqlx::query("DELETE FROM api_tokens WHERE user_id = $1 AND token_hash = $2")
                    .bind(user)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?
            }
            Change::PutPartner(p) => put_partner(tx, p).await?,
            Change::SetCoordinator {
                partner,
                coordinator,
            } => {
                sqlx::query("UPDATE partners SET coordinator = $2 WHERE id = $1")
                    .bind(partner)
                    .bind(coordinator)
                    .execute(&mut **tx)
                    .await?
            }
            Change::PutFile { meta, at } => sqlx::query(
                "INSERT INTO files (sha256, size, content_type, created_us) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(&meta.sha256)
            .bind(meta.size)
            .bind(&meta.content_type)
            .bind(to_us(*at))
            .execute(&mut **tx)
            .await?,
            Change::ForgetFile(sha256) => {
                // Versions name files as `<sha256>:<name>` inside the seminar's data.
                sqlx::query(
                    "DELETE FROM files WHERE sha256 = $1
                 AND NOT EXISTS (SELECT 1 FROM seminars WHERE data LIKE $2)",
                )
                .bind(sha256)
                .bind(format!("%{sha256}%"))
                .execute(&mut **tx)
                .await?
            }
            Change::RetryDelivery { id, log, wall_now } => {
                sqlx::query(
                    "UPDATE outbox SET status = 'pending', attempts = 0, last_error = NULL,
                   message_id = $2, next_attempt_us = $3, lease_owner = NULL,
                   lease_until_us = NULL WHERE id = $1 AND status = 'failed'",
                )
                .bind(id)
                .bind(log)
                .bind(to_us(*wall_now))
                .execute(&mut **tx)
                .await?
            }
        };
    Ok(r.rows_affected())
}

async fn create_user(
    tx: &mut Tx<'_>,
    u: &User,
    at: DateTime<Utc>,
) -> Result<<Db as sqlx::Database>::QueryResult, StoreError> {
    sqlx::query(
        "INSERT INTO users (id, email, name, role, partner, rights, password_hash,
           must_change_password, digest, ics_token, disabled, created_us, phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&u.id)
    .bind(u.email.to_lowercase())
    .bind(&u.name)
    .bind(u.role.as_str())
    .bind(&u.partner)
    .bind(u.rights.map(|r| r.as_str()))
    .bind(&u.password_hash)
    .bind(u.must_change_password)
    .bind(u.digest)
    .bind(&u.ics_token)
    .bind(u.disabled)
    .bind(to_us(at))
    .bind(&u.phone)
    .execute(&mut **tx)
    .await
    .map_err(|e| unique_to_conflict(e, "e-mail already registered"))
}

async fn update_user(
    tx: &mut Tx<'_>,
    u: &User,
) -> Result<<Db as sqlx::Database>::QueryResult, StoreError> {
    sqlx::query(
        "UPDATE users SET email = $2, name = $3, role = $4, partner = $5, rights = $6,
           password_hash = $7, must_change_password = $8, digest = $9, ics_token = $10,
           disabled = $11, phone = $12 WHERE id = $1",
    )
    .bind(&u.id)
    .bind(u.email.to_lowercase())
    .bind(&u.name)
    .bind(u.role.as_str())
    .bind(&u.partner)
    .bind(u.rights.map(|r| r.as_str()))
    .bind(&u.password_hash)
    .bind(u.must_change_password)
    .bind(u.digest)
    .bind(&u.ics_token)
    .bind(u.disabled)
    .bind(&u.phone)
    .execute(&mut **tx)
    .await
    .map_err(|e| unique_to_conflict(e, "e-mail already registered"))
}

async fn put_partner(
    tx: &mut Tx<'_>,
    p: &Partner,
) -> Result<<Db as sqlx::Database>::QueryResult, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO partners (id, name, experienced, barred, late_withdrawal, search)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, experienced = excluded.experienced,
           search = excluded.search, barred = partners.barred OR excluded.barred,
           late_withdrawal = partners.late_withdrawal OR excluded.late_withdrawal",
    )
    .bind(&p.id)
    .bind(&p.name)
    .bind(p.experienced)
    .bind(p.barred)
    .bind(p.late_withdrawal)
    .bind(partner_search_key(p))
    .execute(&mut **tx)
    .await?)
}
