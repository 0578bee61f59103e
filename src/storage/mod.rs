//! Durable state behind a `Store` trait of domain-shaped methods, with SQLite (the embedded
//! default, a file under `./data`) and PostgreSQL implementations sharing one SQL text.
//!
//! - this module: the `Store` trait, its query and row types, and opening a store by URL.
//! - `sql` (private): the SQL text both backends share and the SQLite and PostgreSQL stores.
//!
//! Time is never read here: every instant comes from the caller (SQL never calls `now()`).

pub mod bulk;
mod sql;
pub mod standing;

use crate::accounts::User;
use crate::domain::program::Attention;
use crate::domain::schedule::DueItem;
use crate::domain::Program;
use crate::domain::{
    BonusEntry, Event, Kopecks, Notification, Outcome, Partner, Penalty, PointsEntry, Seminar,
    SeminarState,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use sql::{PgStore, SqliteStore};
pub use standing::{CertificateRow, RecordRow, StaffRow};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Someone else changed the same thing first (a version, a fired due item, a unique key):
    /// nothing was written; decide again on fresh data.
    #[error("конфликт одновременных изменений: {0}")]
    Conflict(String),
    #[error("ошибка базы данных: {0}")]
    Database(#[from] sqlx::Error),
    #[error("ошибка миграции базы данных: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("повреждённые данные в базе: {0}")]
    Corrupt(String),
    /// The value would not read back equal once stored (e.g. money out of bounds): nothing was
    /// written. A caller's mistake, not the database's.
    #[error("значение нельзя сохранить: {0}")]
    Unreadable(String),
}

/// Decodes rows one by one. A row that cannot be decoded is reported (tracing error) and left
/// out, so one bad row never hides the others or stops the scheduler and the notifier.
pub(crate) fn decode_each<R, T>(
    what: &str,
    rows: &[R],
    decode: impl Fn(&R) -> Result<T, StoreError>,
) -> Vec<T> {
    rows.iter()
        .filter_map(|r| match decode(r) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!(error = %e, "{what}: undecodable row skipped");
                None
            }
        })
        .collect()
}

/// One command's or one due item's changes, written in a single transaction.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub outcome: Outcome,
    /// New pending due items per changed subject, keyed by the subject's stored key (a
    /// seminar's id), replacing its pending ones.
    pub plans: Vec<(String, Vec<DueItem>)>,
    /// The due items this commit fires (several when the scheduler batches); the commit fails
    /// with `Conflict` if one already fired, if its subject still has a pending item before it
    /// (instant, then rank), or if it has rank > 0 and a lower-ranked item of its instant is
    /// pending (decisions.md 39).
    pub fired: Vec<(String, DateTime<Utc>)>,
    /// Program-wide decisions hold the program lock at this version.
    pub program_lock: Option<(String, i64)>,
    /// The list columns of each changed seminar ([`Program::attention`]), computed by the writer
    /// that knows the program.
    pub attention: BTreeMap<String, Attention>,
    /// Partner standings written at the version they were read (0: new).
    pub standings: Vec<crate::domain::standing::Standing>,
    /// Staff rows inserted or replaced (attach, role change, detach).
    pub staff: Vec<StaffRow>,
    /// Certificates earned (a repeat is ignored).
    pub certificates: Vec<CertificateRow>,
    /// Partner records inserted, or replaced by key.
    pub records: Vec<RecordRow>,
    /// Due items added without replacing their subject's plan (a key already present is kept):
    /// the evaluation a points booking triggers in another program (design §4.3).
    pub add_due: Vec<DueItem>,
}

impl Commit {
    /// Computes the list columns of every seminar the outcome changes.
    pub fn index(&mut self, programs: &BTreeMap<String, Program>) {
        for s in &self.outcome.seminars {
            if let Some(p) = programs.get(&s.program) {
                self.attention.insert(s.id.clone(), p.attention(s));
            }
        }
    }
}

/// A notification row of the outbox with its delivery state.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub notification: Notification,
    /// `pending`, `sent`, `failed` (permanently), or `digest` (waits for the daily digest).
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// The notifier's delivery log: one `<recipient> <Message-ID>` line per message accepted
    /// (`<recipient> !<error>` for a permanent failure).
    pub message_id: Option<String>,
}

/// An API token as its owner sees it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    /// The token's SHA-256 (what revocation names).
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

/// Tokens made before expiry existed last this long after their creation.
pub const LEGACY_TOKEN_DAYS: i64 = 90;

/// An uploaded file's metadata; the bytes live under `<data>/files/<sha256>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
}

/// A page of a list: keyset (`after`, the last row's cursor from the previous page) or offset,
/// and at most `limit` rows (all with `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    pub after: Option<i64>,
    pub offset: i64,
    pub limit: Option<i64>,
}

impl Page {
    pub fn first(limit: i64) -> Page {
        Page {
            limit: Some(limit),
            ..Page::default()
        }
    }
}

/// Which seminars a read wants. Every field narrows; all of them are indexed columns next to the
/// aggregate, so a command or a page reads only what it shows or decides on.
#[derive(Debug, Clone, Default)]
pub struct SeminarQuery {
    pub program: Option<String>,
    pub partner: Option<String>,
    /// Any of these partners.
    pub partners: Option<Vec<String>>,
    /// Only partners assigned to this coordinator (a user id).
    pub coordinator: Option<String>,
    pub cities: Option<Vec<String>>,
    pub ids: Option<Vec<String>>,
    /// Any of these states (all states when empty).
    pub states: Vec<SeminarState>,
    /// Applications that arrived strictly before this instant.
    pub applied_before: Option<DateTime<Utc>>,
    /// Seminar days in `[from, to]`.
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    /// Active seminars whose partner holds a stage due on or before this day.
    pub partner_deadline_until: Option<NaiveDate>,
    /// Seminars with a submission waiting for the coordinator.
    pub awaiting_review: bool,
    /// Seminar day order (then city) instead of creation order; offset paging only.
    pub by_date: bool,
    /// Earliest partner deadline first (the list column), instead of creation order; offset
    /// paging only.
    pub by_deadline: bool,
    /// Seminars whose id, city or partner (id or name) contains this text, any case.
    pub search: Option<String>,
    /// A list's chosen order (then creation order), instead of `by_date`/`by_deadline`/creation
    /// order; offset paging only.
    pub order: Option<Order<SeminarOrder>>,
    /// Creation order (`seq`); the cursor of a row is its `seq`.
    pub page: Page,
}

/// A list's order: a whitelisted column and the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order<C> {
    pub by: C,
    pub desc: bool,
}

/// The columns a seminar list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeminarOrder {
    /// Application order (`seq`).
    Created,
    Date,
    City,
    /// The partner company's name.
    Partner,
    State,
    /// The partner's earliest open deadline.
    Deadline,
}

/// The columns a penalty list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PenaltyOrder {
    /// Booking order (`seq`).
    Booked,
    /// The instant the penalty counts from.
    At,
    Points,
    Seminar,
}

/// Which booked penalties a read wants, newest first (the cursor is the booking `seq`).
#[derive(Debug, Clone, Default)]
pub struct PenaltyQuery {
    pub program: Option<String>,
    pub partner: Option<String>,
    pub seminar: Option<String>,
    pub code: Option<String>,
    /// Booked at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Penalties whose seminar id, code or partner (id or name) contains this text, any case.
    pub search: Option<String>,
    /// A list's chosen order instead of newest booking first; offset paging only.
    pub order: Option<Order<PenaltyOrder>>,
    pub page: Page,
}

/// Which audit events a list wants: in order of recording (the cursor is the event id), or
/// newest first.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub seminar: Option<String>,
    /// Events whose kind, seminar or actor contains this text (any case of Latin letters: they
    /// are ids).
    pub search: Option<String>,
    pub newest_first: bool,
    pub page: Page,
}

/// A booked penalty with where it belongs; `seq` is its booking order (and list cursor).
#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyRow {
    pub seq: i64,
    pub program: String,
    pub seminar: String,
    pub partner: String,
    pub penalty: Penalty,
}

/// Which partners a read wants (offset paging).
#[derive(Debug, Clone, Default)]
pub struct PartnerQuery {
    pub ids: Option<Vec<String>>,
    pub coordinator: Option<String>,
    /// Case-insensitive part of the id or the name.
    pub search: Option<String>,
    /// The rating order (active points, most first, then name) instead of id order.
    pub by_points: bool,
    /// A list's chosen order instead of either; offset paging.
    pub order: Option<Order<PartnerOrder>>,
    pub page: Page,
}

/// The columns a partner list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerOrder {
    Id,
    Name,
    /// Active points at the read's instant.
    Points,
}

/// A partner with its assigned coordinator and ledger balances at one instant, read in one query.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerSummary {
    pub partner: Partner,
    pub coordinator: Option<String>,
    pub points: i64,
    pub bonus: Kopecks,
}

/// Seminars per city, week and state of one program (the dashboard's grid, counted in SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellCount {
    pub city: String,
    pub week: String,
    pub state: String,
    pub count: i64,
}

/// Which outbox rows a read wants, in insertion order (the cursor is the row id).
#[derive(Debug, Clone, Default)]
pub struct OutboxQuery {
    pub status: Option<String>,
    pub seminar: Option<String>,
    /// Only rows about seminars of this program.
    pub program: Option<String>,
    /// Newest first instead of insertion order.
    pub newest_first: bool,
    pub page: Page,
}

/// A change to accounts, partners, coordinator assignment or files. The service writes these
/// with their audit events in one transaction ([`Store::apply`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `Conflict` when the e-mail is taken.
    CreateUser { user: User, at: DateTime<Utc> },
    /// `Conflict` when the new e-mail is taken.
    UpdateUser(User),
    /// Ends `user`'s browser sessions except `keep` (a session token hash).
    EndSessions { user: String, keep: Option<String> },
    CreateApiToken {
        token_hash: String,
        user: String,
        name: String,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    },
    /// Touches nothing when `user` has no token `id`.
    RevokeApiToken { user: String, id: String },
    /// Creates or updates a partner's name and experience (flags are only ever set by effects,
    /// or here when `barred` is already true).
    PutPartner(Partner),
    SetCoordinator {
        partner: String,
        coordinator: Option<String>,
    },
    /// Touches nothing when the file is already known.
    PutFile { meta: FileMeta, at: DateTime<Utc> },
    /// Forgets a file unless some seminar's versions name it (touches nothing then).
    ForgetFile(String),
    /// Sends a permanently failed outbox row again: back to `pending`, due at `wall_now`, no
    /// attempts, no error, and `log` as its delivery log (the caller drops the failed
    /// recipients from it so they are tried again). Touches nothing unless the row is `failed`.
    RetryDelivery {
        id: i64,
        log: Option<String>,
        wall_now: DateTime<Utc>,
    },
}

#[async_trait]
pub trait Store: Send + Sync {
    /// How many seminar aggregates this store has read and decoded since it was opened: lets
    /// tests check that a command or page reads only what it decides on or shows.
    fn seminars_decoded(&self) -> u64;
    /// Writes `changes` in order and `events` (their audit log entries) in one transaction;
    /// returns how many rows each change touched. When the first change touches none (a token
    /// that is not there, a file still named), nothing is written.
    ///
    /// # Errors
    /// `Conflict` on a taken unique value (an e-mail): nothing was written.
    async fn apply(&self, changes: &[Change], events: &[Event]) -> Result<Vec<u64>, StoreError>;
    /// Creates or updates a partner's name and experience (flags are only ever set by effects,
    /// or here when `partner.barred` is already true).
    async fn put_partner(&self, partner: &Partner) -> Result<(), StoreError> {
        self.apply(&[Change::PutPartner(partner.clone())], &[])
            .await
            .map(drop)
    }
    async fn partner(&self, id: &str) -> Result<Option<Partner>, StoreError>;
    /// Whether the partner's marketing support is suspended (item programs, E§4.16).
    async fn support_suspended(&self, id: &str) -> Result<bool, StoreError>;
    /// All partners in id order. A whole-table read for reports (`simulate`) and tests: pages and
    /// commands use [`Store::find_partners`] or [`Store::partners_by_ids`].
    async fn partners(&self) -> Result<Vec<Partner>, StoreError>;
    /// The partners with these ids, in id order.
    async fn partners_by_ids(&self, ids: &[String]) -> Result<Vec<Partner>, StoreError>;
    /// Partners with their coordinator and balances at `at`, filtered and paged in one query.
    async fn find_partners(
        &self,
        q: &PartnerQuery,
        at: DateTime<Utc>,
    ) -> Result<Vec<PartnerSummary>, StoreError>;
    async fn count_partners(&self, q: &PartnerQuery) -> Result<i64, StoreError>;
    async fn seminar(&self, id: &str) -> Result<Option<Seminar>, StoreError>;
    /// What a command on one seminar reads, in one round trip: the seminar, its partner, and
    /// whether an item of its plan is due at or before `now` (the clock must fire it first).
    async fn seminar_for_command(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Seminar, Option<Partner>, bool)>, StoreError>;
    /// Seminars of a program (all programs with `None`) in creation order. A whole-table read for
    /// reports (`simulate`) and tests: commands and pages use [`Store::find_seminars`].
    async fn seminars(&self, program: Option<&str>) -> Result<Vec<Seminar>, StoreError>;
    /// The seminars `q` selects, in creation order, with each one's cursor (`seq`).
    async fn find_seminars(&self, q: &SeminarQuery) -> Result<Vec<(i64, Seminar)>, StoreError>;
    /// How many seminars `q` selects (its page ignored).
    async fn count_seminars(&self, q: &SeminarQuery) -> Result<i64, StoreError>;
    /// Seminars whose list columns were written before they existed (see [`Commit::attention`]).
    async fn seminars_without_attention(&self, limit: i64) -> Result<Vec<Seminar>, StoreError>;
    /// Writes the list columns of one seminar (the start-up backfill).
    async fn set_attention(&self, seminar: &str, a: &Attention) -> Result<(), StoreError>;
    /// Seminars of a program counted per city, week and state.
    async fn seminar_cells(&self, program: &str) -> Result<Vec<CellCount>, StoreError>;
    /// Current version of a program's lock (0 if never taken).
    async fn program_version(&self, program: &str) -> Result<i64, StoreError>;
    /// Writes everything in `commit` atomically.
    ///
    /// # Errors
    /// `Conflict` when a version, program lock or fired due item changed concurrently.
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError>;
    /// Claims up to `limit` pending due items with instant ≤ `now` in (instant, rank, key)
    /// order — each the first pending item of its subject, none waiting for a lower rank of its
    /// instant — leasing them to `owner` until `lease_until` (wall-clock) so other processes
    /// skip them.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        owner: &str,
        wall_now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<DueItem>, StoreError>;
    /// Gives a claimed item back (e.g. when a conflict made us skip it).
    async fn release_due(&self, key: &str) -> Result<(), StoreError>;
    /// Whether seminar `seminar` has a pending item due strictly before `before`.
    async fn has_earlier_due(
        &self,
        seminar: &str,
        before: DateTime<Utc>,
        except: &str,
    ) -> Result<bool, StoreError>;
    /// Pending due items of one seminar with instant ≤ `now`, in (instant, rank, key) order.
    async fn due_for_seminar(
        &self,
        seminar: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueItem>, StoreError>;
    /// The earliest pending due instant.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    async fn pending_due_count(&self) -> Result<i64, StoreError>;
    /// Booked penalties in booking order (of one seminar with `Some`).
    async fn penalties(&self, seminar: Option<&str>) -> Result<Vec<(String, Penalty)>, StoreError>;
    /// Booked penalties `q` selects, newest first.
    async fn find_penalties(&self, q: &PenaltyQuery) -> Result<Vec<PenaltyRow>, StoreError>;
    async fn count_penalties(&self, q: &PenaltyQuery) -> Result<i64, StoreError>;
    /// The points of every penalty `q` finds (its page ignored): negative or zero.
    async fn penalty_points(&self, q: &PenaltyQuery) -> Result<i64, StoreError>;
    /// Active points of a partner at `at` (entries not yet expired) on the `points` ledger, all
    /// products: what `partners[].points` reports.
    async fn points_balance(&self, partner: &str, at: DateTime<Utc>) -> Result<i64, StoreError>;
    /// Unburnt bonus money of a partner at `at` (the `compensation` bonus ledger).
    async fn bonus_balance(&self, partner: &str, at: DateTime<Utc>) -> Result<Kopecks, StoreError>;
    /// A partner's points entries of every ledger, newest first.
    async fn points_entries(&self, partner: &str) -> Result<Vec<PointsEntry>, StoreError>;
    /// A partner's standing in a partner program.
    async fn standing(
        &self,
        partner: &str,
        program: &str,
    ) -> Result<Option<crate::domain::standing::Standing>, StoreError>;
    /// Every standing of one partner, by program.
    async fn standings_of(
        &self,
        partner: &str,
    ) -> Result<Vec<crate::domain::standing::Standing>, StoreError>;
    /// One partner's staff (attached or not), by id.
    async fn staff_of(&self, partner: &str) -> Result<Vec<StaffRow>, StoreError>;
    /// One partner's certificates, by employee and course.
    async fn certificates_of(&self, partner: &str) -> Result<Vec<CertificateRow>, StoreError>;
    /// One partner's records in one program, oldest first.
    async fn records_of(&self, partner: &str, program: &str) -> Result<Vec<RecordRow>, StoreError>;
    /// One partner's entries of one ledger, oldest first (what the metrics read).
    async fn ledger_of(&self, partner: &str, ledger: &str) -> Result<Vec<PointsEntry>, StoreError>;
    /// A page of a partner's points entries, newest first, and how many there are in all.
    async fn points_page(
        &self,
        partner: &str,
        page: Page,
    ) -> Result<(Vec<PointsEntry>, i64), StoreError>;
    /// A page of a partner's bonus credits, newest first, and how many there are in all.
    async fn bonus_page(
        &self,
        partner: &str,
        page: Page,
    ) -> Result<(Vec<BonusEntry>, i64), StoreError>;
    /// Outbox rows per delivery status.
    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError>;
    /// Penalties booked in all.
    async fn penalty_count(&self) -> Result<i64, StoreError>;
    /// The outbox in insertion order. A whole-table read for reports (`simulate`) and tests.
    async fn outbox(&self) -> Result<Vec<OutboxRow>, StoreError>;
    /// Outbox rows `q` selects.
    async fn find_outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxRow>, StoreError>;
    async fn count_outbox(&self, q: &OutboxQuery) -> Result<i64, StoreError>;
    /// Whether any outbox row has this status (one index probe).
    async fn outbox_has_status(&self, status: &str) -> Result<bool, StoreError>;
    /// The audit log in order (of one seminar with `Some`).
    async fn events(&self, seminar: Option<&str>) -> Result<Vec<Event>, StoreError>;
    /// A page of the audit log (of one seminar with `Some`) in order; each event with its cursor
    /// (its id: the next page starts after it).
    async fn find_events(
        &self,
        seminar: Option<&str>,
        page: Page,
    ) -> Result<Vec<(i64, Event)>, StoreError>;
    /// A page of the audit log as a list asks for it (search, order), each event with its id.
    async fn search_events(&self, q: &EventQuery) -> Result<Vec<(i64, Event)>, StoreError>;
    /// How many events `q` finds (its page ignored).
    async fn count_events(&self, q: &EventQuery) -> Result<i64, StoreError>;

    // --- Accounts.
    /// Creates a user; `Conflict` when the e-mail is taken.
    async fn create_user(&self, user: &User, now: DateTime<Utc>) -> Result<(), StoreError> {
        let change = Change::CreateUser {
            user: user.clone(),
            at: now,
        };
        self.apply(&[change], &[]).await.map(drop)
    }
    async fn user(&self, id: &str) -> Result<Option<User>, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    async fn user_by_ics_token(&self, token: &str) -> Result<Option<User>, StoreError>;
    /// Users in e-mail order (of one partner with `Some`).
    async fn users(&self, partner: Option<&str>) -> Result<Vec<User>, StoreError>;
    /// Users with one of these roles (`admin`, `coordinator`, `partner`), in e-mail order.
    async fn users_by_roles(&self, roles: &[&str]) -> Result<Vec<User>, StoreError>;
    async fn create_session(
        &self,
        token_hash: &str,
        user: &str,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The live session's user and CSRF token.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, String)>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// A bearer token for `user`, valid until `expires`.
    async fn create_api_token(
        &self,
        token_hash: &str,
        user: &str,
        name: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let change = Change::CreateApiToken {
            token_hash: token_hash.into(),
            user: user.into(),
            name: name.into(),
            at: now,
            expires,
        };
        self.apply(&[change], &[]).await.map(drop)
    }
    /// The enabled user of an unexpired token.
    async fn api_token_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, StoreError>;
    /// A user's API tokens, newest first (expired ones too, marked by their instant).
    async fn api_tokens(&self, user: &str) -> Result<Vec<ApiToken>, StoreError>;
    /// Deletes sessions expired at `now`; how many.
    async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
    /// A durable setting shared by every process (e.g. `clock`).
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Gives back every outbox lease `owner` holds (a restarted node's leases from before its
    /// crash), so its rows need not wait for the leases to run out; how many.
    async fn release_outbox_leases(&self, owner: &str) -> Result<u64, StoreError>;
    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Empties the season in one transaction — seminars and everything they caused, accounts
    /// whose e-mail ends with `accounts_suffix`, and partners no remaining account belongs to —
    /// for redoing a demo load that a crash cut short.
    async fn wipe_season(&self, accounts_suffix: &str) -> Result<(), StoreError>;
    async fn set_partner_coordinator(
        &self,
        partner: &str,
        coordinator: Option<&str>,
    ) -> Result<(), StoreError> {
        let change = Change::SetCoordinator {
            partner: partner.into(),
            coordinator: coordinator.map(Into::into),
        };
        self.apply(&[change], &[]).await.map(drop)
    }
    async fn partner_coordinator(&self, partner: &str) -> Result<Option<String>, StoreError>;
    /// Every partner's assigned coordinator (partner id → coordinator user id), in one query.
    async fn partner_coordinators(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, StoreError>;

    // --- Files.
    async fn file(&self, sha256: &str) -> Result<Option<FileMeta>, StoreError>;

    // --- Outbox delivery (wall-clock instants).
    /// Claims up to `limit` pending rows whose next attempt is due, leasing them to `owner`.
    async fn claim_outbox(
        &self,
        wall_now: DateTime<Utc>,
        limit: i64,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxRow>, StoreError>;
    async fn outbox_sent(
        &self,
        id: i64,
        wall_now: DateTime<Utc>,
        message_id: &str,
    ) -> Result<(), StoreError>;
    /// A temporary failure: try again at `next_attempt`.
    async fn outbox_retry(
        &self,
        id: i64,
        next_attempt: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;
    /// A permanent failure, shown to admins.
    async fn outbox_failed(&self, id: i64, error: &str) -> Result<(), StoreError>;
    /// Moves a row to another status (e.g. `digest`, or back to `pending`).
    async fn outbox_set_status(&self, id: i64, status: &str) -> Result<(), StoreError>;
    /// Records the row's per-recipient delivery log so far (in `message_id`, one line per
    /// recipient) without changing its status or lease: a retry or restart skips those recipients.
    async fn outbox_progress(&self, id: i64, log: &str) -> Result<(), StoreError>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store a URL names: `postgres://…` for PostgreSQL, `sqlite://path` or
/// `sqlite::memory:` for SQLite. Migrations are applied.
///
/// # Errors
/// Connection or migration failure.
pub async fn open(url: &str) -> Result<DynStore, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    }
}

/// What partner search matches: the id and the name, lower-cased in Rust (Unicode: SQLite's
/// `LOWER()` folds only ASCII). Stored in `partners.search` by every writer of partner rows.
pub fn partner_search_key(p: &Partner) -> String {
    format!("{}\n{}", p.id, p.name).to_lowercase()
}

pub(crate) fn to_us(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// An instant read back from a column; one out of range is corrupt data, not the epoch.
pub(crate) fn from_us(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| StoreError::Corrupt(format!("момент времени вне диапазона: {us}")))
}
