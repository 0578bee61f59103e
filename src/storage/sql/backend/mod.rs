//! One store implementation, compiled once per backend (see `sql/mod.rs`): `Db` is the sqlx
//! database, `This` the store type. Methods live by area in the submodules; the `Store` impl
//! here only forwards to them.

mod accounts;
mod changes;
mod commit;
mod due;
mod events;
mod files;
mod ledgers;
mod outbox;
mod partners;
mod seminars;
mod standings;

use super::super::{
    checked_json, event_where, json, outbox_where, parse, partner_where, penalty_order,
    penalty_where, push_page, recipient_parse, recipient_str, seminar_order, seminar_where,
    stored_subject, unique_to_conflict, ROWS_PER_INSERT,
};
use super::{Db, This, LOCK_CLAUSE};
use crate::accounts::{Rights, Role, User};
use crate::domain::program::Attention;
use crate::domain::schedule::{DueItem, DueKind, Subject};
use crate::domain::{
    BonusEntry, Event, Kopecks, Notification, Partner, Penalty, PointsEntry, Seminar,
};
use crate::storage::{
    decode_each, from_us, partner_search_key, to_us, ApiToken, CellCount, Commit, EventQuery,
    FileMeta, OutboxQuery, OutboxRow, Page, PartnerQuery, PartnerSummary, PenaltyQuery, PenaltyRow,
    SeminarQuery, Store, StoreError, LEGACY_TOKEN_DAYS,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::sync::atomic::Ordering;

impl This {
    /// The SQLite store's one-writer lock (PostgreSQL needs none).
    async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write {
            Some(m) => Some(m.lock().await),
            None => None,
        }
    }

    /// Fills the indexed columns that migration 0003 added (`applied_us`) from the
    /// aggregates written before it; a no-op on every later start.
    pub(super) async fn backfill_index_columns(&self) -> Result<(), StoreError> {
        let rows = sqlx::query("SELECT id, data, version FROM seminars WHERE applied_us IS NULL")
            .fetch_all(&self.pool)
            .await?;
        for s in decode_each("seminar", &rows, |r| self.seminar_from_row(r)) {
            sqlx::query("UPDATE seminars SET applied_us = $1 WHERE id = $2")
                .bind(to_us(s.applied_at))
                .bind(&s.id)
                .execute(&self.pool)
                .await?;
        }
        let rows = sqlx::query("SELECT * FROM partners WHERE search IS NULL")
            .fetch_all(&self.pool)
            .await?;
        for r in &rows {
            let p = Self::partner_from_row(r)?;
            sqlx::query("UPDATE partners SET search = $1 WHERE id = $2")
                .bind(partner_search_key(&p))
                .bind(&p.id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    fn seminar_from_row(&self, row: &<Db as sqlx::Database>::Row) -> Result<Seminar, StoreError> {
        self.decoded.fetch_add(1, Ordering::Relaxed);
        let data: String = row.try_get("data")?;
        let version: i64 = row.try_get("version")?;
        let mut s: Seminar = parse("seminar", &data)?;
        s.version = version;
        Ok(s)
    }

    fn due_from_row(row: &<Db as sqlx::Database>::Row) -> Result<DueItem, StoreError> {
        let kind: String = row.try_get("kind")?;
        let subject_kind: String = row.try_get("subject_kind")?;
        let subject_key: String = row.try_get("seminar")?;
        let subject = Subject::from_stored(&subject_kind, &subject_key).ok_or_else(|| {
            StoreError::Corrupt(format!("due item: subject {subject_kind} {subject_key}"))
        })?;
        let rank: i16 = row.try_get("due_rank")?;
        Ok(DueItem {
            key: row.try_get("key")?,
            subject,
            at: from_us(row.try_get("due_us")?)?,
            rank: u8::try_from(rank)
                .map_err(|_| StoreError::Corrupt(format!("due item: rank {rank}")))?,
            kind: parse::<DueKind>("due item", &kind)?,
        })
    }

    fn outbox_from_row(r: &<Db as sqlx::Database>::Row) -> Result<OutboxRow, StoreError> {
        let data: String = r.try_get("data")?;
        let recipient: String = r.try_get("recipient")?;
        let kind: String = r.try_get("kind")?;
        Ok(OutboxRow {
            id: r.try_get("id")?,
            notification: Notification {
                key: r.try_get("key")?,
                kind: kind
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("notification: {e}")))?,
                to: recipient_parse(&recipient),
                seminar: r.try_get("seminar")?,
                stage: r.try_get("stage")?,
                at: from_us(r.try_get("at_us")?)?,
                data: parse("notification", &data)?,
            },
            status: r.try_get("status")?,
            attempts: r.try_get("attempts")?,
            last_error: r.try_get("last_error")?,
            message_id: r.try_get("message_id")?,
        })
    }

    fn user_from_row(r: &<Db as sqlx::Database>::Row) -> Result<User, StoreError> {
        let role: String = r.try_get("role")?;
        let rights: Option<String> = r.try_get("rights")?;
        Ok(User {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            name: r.try_get("name")?,
            role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
            partner: r.try_get("partner")?,
            rights: rights.as_deref().and_then(Rights::parse),
            password_hash: r.try_get("password_hash")?,
            must_change_password: r.try_get("must_change_password")?,
            digest: r.try_get("digest")?,
            ics_token: r.try_get("ics_token")?,
            phone: r.try_get("phone")?,
            disabled: r.try_get("disabled")?,
        })
    }

    fn partner_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Partner, StoreError> {
        Ok(Partner {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            experienced: row.try_get("experienced")?,
            barred: row.try_get("barred")?,
            late_withdrawal: row.try_get("late_withdrawal")?,
        })
    }
}

#[async_trait]
impl Store for This {
    async fn apply(
        &self,
        changes: &[crate::storage::Change],
        events: &[Event],
    ) -> Result<Vec<u64>, StoreError> {
        This::apply(self, changes, events).await
    }

    fn seminars_decoded(&self) -> u64 {
        self.decoded.load(Ordering::Relaxed)
    }

    async fn partner(&self, id: &str) -> Result<Option<Partner>, StoreError> {
        This::partner(self, id).await
    }

    async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        This::partners(self).await
    }

    async fn support_suspended(&self, id: &str) -> Result<bool, StoreError> {
        This::support_suspended(self, id).await
    }

    async fn seminar(&self, id: &str) -> Result<Option<Seminar>, StoreError> {
        This::seminar(self, id).await
    }

    async fn seminars(&self, program: Option<&str>) -> Result<Vec<Seminar>, StoreError> {
        This::seminars(self, program).await
    }

    async fn seminar_for_command(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Seminar, Option<Partner>, bool)>, StoreError> {
        This::seminar_for_command(self, id, now).await
    }

    async fn find_seminars(&self, q: &SeminarQuery) -> Result<Vec<(i64, Seminar)>, StoreError> {
        This::find_seminars(self, q).await
    }

    async fn count_seminars(&self, q: &SeminarQuery) -> Result<i64, StoreError> {
        This::count_seminars(self, q).await
    }

    async fn seminars_without_attention(&self, limit: i64) -> Result<Vec<Seminar>, StoreError> {
        This::seminars_without_attention(self, limit).await
    }

    async fn set_attention(&self, seminar: &str, a: &Attention) -> Result<(), StoreError> {
        This::set_attention(self, seminar, a).await
    }

    async fn seminar_cells(&self, program: &str) -> Result<Vec<CellCount>, StoreError> {
        This::seminar_cells(self, program).await
    }

    async fn partners_by_ids(&self, ids: &[String]) -> Result<Vec<Partner>, StoreError> {
        This::partners_by_ids(self, ids).await
    }

    async fn find_partners(
        &self,
        q: &PartnerQuery,
        at: DateTime<Utc>,
    ) -> Result<Vec<PartnerSummary>, StoreError> {
        This::find_partners(self, q, at).await
    }

    async fn count_partners(&self, q: &PartnerQuery) -> Result<i64, StoreError> {
        This::count_partners(self, q).await
    }

    async fn find_penalties(&self, q: &PenaltyQuery) -> Result<Vec<PenaltyRow>, StoreError> {
        This::find_penalties(self, q).await
    }

    async fn search_events(&self, q: &EventQuery) -> Result<Vec<(i64, Event)>, StoreError> {
        This::search_events(self, q).await
    }
    async fn count_events(&self, q: &EventQuery) -> Result<i64, StoreError> {
        This::count_events(self, q).await
    }
    async fn count_penalties(&self, q: &PenaltyQuery) -> Result<i64, StoreError> {
        This::count_penalties(self, q).await
    }
    async fn penalty_points(&self, q: &PenaltyQuery) -> Result<i64, StoreError> {
        This::penalty_points(self, q).await
    }

    async fn program_version(&self, program: &str) -> Result<i64, StoreError> {
        This::program_version(self, program).await
    }

    async fn commit(&self, c: &Commit) -> Result<(), StoreError> {
        This::commit(self, c).await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        owner: &str,
        wall_now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<DueItem>, StoreError> {
        This::claim_due(self, now, limit, owner, wall_now, lease_until).await
    }

    async fn release_due(&self, key: &str) -> Result<(), StoreError> {
        This::release_due(self, key).await
    }

    async fn has_earlier_due(
        &self,
        seminar: &str,
        before: DateTime<Utc>,
        except: &str,
    ) -> Result<bool, StoreError> {
        This::has_earlier_due(self, seminar, before, except).await
    }

    async fn due_for_seminar(
        &self,
        seminar: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueItem>, StoreError> {
        This::due_for_seminar(self, seminar, now).await
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        This::next_due(self).await
    }

    async fn pending_due_count(&self) -> Result<i64, StoreError> {
        This::pending_due_count(self).await
    }

    async fn penalties(&self, seminar: Option<&str>) -> Result<Vec<(String, Penalty)>, StoreError> {
        This::penalties(self, seminar).await
    }

    async fn points_balance(&self, partner: &str, at: DateTime<Utc>) -> Result<i64, StoreError> {
        This::points_balance(self, partner, at).await
    }

    async fn bonus_balance(&self, partner: &str, at: DateTime<Utc>) -> Result<Kopecks, StoreError> {
        This::bonus_balance(self, partner, at).await
    }

    async fn points_entries(&self, partner: &str) -> Result<Vec<PointsEntry>, StoreError> {
        This::points_entries(self, partner).await
    }

    async fn standing(
        &self,
        partner: &str,
        program: &str,
    ) -> Result<Option<crate::domain::standing::Standing>, StoreError> {
        This::standing(self, partner, program).await
    }

    async fn standings_of(
        &self,
        partner: &str,
    ) -> Result<Vec<crate::domain::standing::Standing>, StoreError> {
        This::standings_of(self, partner).await
    }

    async fn staff_of(&self, partner: &str) -> Result<Vec<crate::storage::StaffRow>, StoreError> {
        This::staff_of(self, partner).await
    }

    async fn certificates_of(
        &self,
        partner: &str,
    ) -> Result<Vec<crate::storage::CertificateRow>, StoreError> {
        This::certificates_of(self, partner).await
    }

    async fn records_of(
        &self,
        partner: &str,
        program: &str,
    ) -> Result<Vec<crate::storage::RecordRow>, StoreError> {
        This::records_of(self, partner, program).await
    }

    async fn ledger_of(&self, partner: &str, ledger: &str) -> Result<Vec<PointsEntry>, StoreError> {
        This::ledger_of(self, partner, ledger).await
    }

    async fn points_page(
        &self,
        partner: &str,
        page: Page,
    ) -> Result<(Vec<PointsEntry>, i64), StoreError> {
        This::points_page(self, partner, page).await
    }

    async fn bonus_page(
        &self,
        partner: &str,
        page: Page,
    ) -> Result<(Vec<BonusEntry>, i64), StoreError> {
        This::bonus_page(self, partner, page).await
    }

    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        This::outbox_counts(self).await
    }

    async fn penalty_count(&self) -> Result<i64, StoreError> {
        This::penalty_count(self).await
    }

    async fn outbox(&self) -> Result<Vec<OutboxRow>, StoreError> {
        This::outbox(self).await
    }

    async fn find_outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxRow>, StoreError> {
        This::find_outbox(self, q).await
    }

    async fn count_outbox(&self, q: &OutboxQuery) -> Result<i64, StoreError> {
        This::count_outbox(self, q).await
    }

    async fn outbox_has_status(&self, status: &str) -> Result<bool, StoreError> {
        This::outbox_has_status(self, status).await
    }

    async fn find_events(
        &self,
        seminar: Option<&str>,
        page: Page,
    ) -> Result<Vec<(i64, Event)>, StoreError> {
        This::find_events(self, seminar, page).await
    }

    async fn events(&self, seminar: Option<&str>) -> Result<Vec<Event>, StoreError> {
        This::events(self, seminar).await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        This::user(self, id).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        This::user_by_email(self, email).await
    }

    async fn user_by_ics_token(&self, token: &str) -> Result<Option<User>, StoreError> {
        This::user_by_ics_token(self, token).await
    }

    async fn users(&self, partner: Option<&str>) -> Result<Vec<User>, StoreError> {
        This::users(self, partner).await
    }

    async fn users_by_roles(&self, roles: &[&str]) -> Result<Vec<User>, StoreError> {
        This::users_by_roles(self, roles).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user: &str,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        This::create_session(self, token_hash, user, csrf, now, expires).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, String)>, StoreError> {
        This::session(self, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        This::delete_session(self, token_hash).await
    }

    async fn api_token_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, StoreError> {
        This::api_token_user(self, token_hash, now).await
    }

    async fn api_tokens(&self, user: &str) -> Result<Vec<ApiToken>, StoreError> {
        This::api_tokens(self, user).await
    }

    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        This::purge_expired_sessions(self, now).await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        This::setting(self, key).await
    }

    async fn wipe_season(&self, accounts_suffix: &str) -> Result<(), StoreError> {
        This::wipe_season(self, accounts_suffix).await
    }

    async fn release_outbox_leases(&self, owner: &str) -> Result<u64, StoreError> {
        This::release_outbox_leases(self, owner).await
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        This::put_setting(self, key, value).await
    }

    async fn partner_coordinator(&self, partner: &str) -> Result<Option<String>, StoreError> {
        This::partner_coordinator(self, partner).await
    }

    async fn partner_coordinators(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, StoreError> {
        This::partner_coordinators(self).await
    }

    async fn file(&self, sha256: &str) -> Result<Option<FileMeta>, StoreError> {
        This::file(self, sha256).await
    }

    async fn claim_outbox(
        &self,
        wall_now: DateTime<Utc>,
        limit: i64,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        This::claim_outbox(self, wall_now, limit, owner, lease_until).await
    }

    async fn outbox_sent(
        &self,
        id: i64,
        wall_now: DateTime<Utc>,
        message_id: &str,
    ) -> Result<(), StoreError> {
        This::outbox_sent(self, id, wall_now, message_id).await
    }

    async fn outbox_retry(
        &self,
        id: i64,
        next_attempt: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        This::outbox_retry(self, id, next_attempt, error).await
    }

    async fn outbox_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        This::outbox_failed(self, id, error).await
    }

    async fn outbox_set_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
        This::outbox_set_status(self, id, status).await
    }

    async fn outbox_progress(&self, id: i64, log: &str) -> Result<(), StoreError> {
        This::outbox_progress(self, id, log).await
    }
}
