//! The SQL behind both backends. SQLite and PostgreSQL accept the same statements (`$N`
//! parameters, `ON CONFLICT`, `RETURNING`); the only differences are the connection, the
//! migrations folder and row locking. The statements live once, in `backend/` by area; the
//! `sqlite` and `postgres` modules each compile that folder against their own database type.

mod postgres;
mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use super::{
    to_us, EventQuery, OutboxQuery, Page, PartnerQuery, PenaltyOrder, PenaltyQuery, SeminarOrder,
    SeminarQuery, StoreError,
};
use crate::domain::schedule::Subject;
use crate::domain::Recipient;

/// Rows per multi-row INSERT (well under both backends' bind-parameter limits).
const ROWS_PER_INSERT: usize = 500;

/// Serializes `v` for a column; a value that cannot be serialized is refused, never stored as
/// `null`.
fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Unreadable(format!("{what}: {e}")))
}

/// Serializes `v` for a row and proves it reads back equal: what this store could not decode
/// later is refused now, before anything is committed.
fn checked_json<T: serde::Serialize + serde::de::DeserializeOwned>(
    what: &str,
    v: &T,
) -> Result<String, StoreError> {
    let bad = |e: String| StoreError::Unreadable(format!("{what}: {e}"));
    let text = serde_json::to_string(v).map_err(|e| bad(e.to_string()))?;
    let back: T = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    match serde_json::to_string(&back) {
        Ok(again) if again == text => Ok(text),
        _ => Err(bad("не читается обратно без изменений".into())),
    }
}

/// A due item's subject as stored (`seminar` column, `subject_kind` column), proved to read
/// back as the same subject: a key that would not (an empty part, a program id with `:`) is
/// refused before anything is committed.
fn stored_subject(s: &Subject) -> Result<(String, &'static str), StoreError> {
    let key = s.key();
    match Subject::from_stored(s.kind(), &key) {
        Some(back) if &back == s => Ok((key, s.kind())),
        _ => Err(StoreError::Unreadable(format!(
            "due item: subject «{key}» does not read back"
        ))),
    }
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn unique_to_conflict(e: sqlx::Error, what: &str) -> StoreError {
    match e.as_database_error() {
        Some(d) if d.is_unique_violation() => StoreError::Conflict(what.to_string()),
        _ => StoreError::Database(e),
    }
}

fn recipient_str(r: &Recipient) -> String {
    match r {
        Recipient::Partner(p) => format!("partner:{p}"),
        Recipient::Coordinator => "coordinator".into(),
    }
}

fn recipient_parse(s: &str) -> Recipient {
    match s.strip_prefix("partner:") {
        Some(p) => Recipient::Partner(p.to_string()),
        None => Recipient::Coordinator,
    }
}

fn push_in<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, column: &str, values: &'a [String])
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if values.is_empty() {
        qb.push(" AND 1 = 0");
        return;
    }
    qb.push(format!(" AND {column} IN ("));
    let mut sep = qb.separated(", ");
    for v in values {
        sep.push_bind(v.clone());
    }
    qb.push(")");
}

fn push_page<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, page: &Page)
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    // Both backends accept LIMIT/OFFSET; -1 is SQLite's "no limit", so a page without a limit
    // but with an offset uses a very large one instead.
    if page.limit.is_some() || page.offset > 0 {
        qb.push(" LIMIT ").push_bind(page.limit.unwrap_or(i64::MAX));
        if page.offset > 0 {
            qb.push(" OFFSET ").push_bind(page.offset);
        }
    }
}

fn seminar_where<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, q: &'a SeminarQuery)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(p) = &q.program {
        qb.push(" AND s.program = ").push_bind(p.clone());
    }
    if let Some(p) = &q.partner {
        qb.push(" AND s.partner = ").push_bind(p.clone());
    }
    if let Some(ps) = &q.partners {
        push_in(qb, "s.partner", ps);
    }
    if let Some(c) = &q.coordinator {
        qb.push(" AND s.partner IN (SELECT id FROM partners WHERE coordinator = ")
            .push_bind(c.clone())
            .push(")");
    }
    if let Some(cities) = &q.cities {
        push_in(qb, "s.city", cities);
    }
    if let Some(ids) = &q.ids {
        push_in(qb, "s.id", ids);
    }
    if !q.states.is_empty() {
        qb.push(" AND s.state IN (");
        let mut sep = qb.separated(", ");
        for st in &q.states {
            sep.push_bind(st.as_str().to_string());
        }
        qb.push(")");
    }
    if let Some(t) = q.applied_before {
        qb.push(" AND s.applied_us < ").push_bind(to_us(t));
    }
    if let Some(d) = q.date_from {
        qb.push(" AND s.date >= ").push_bind(d.to_string());
    }
    if let Some(d) = q.date_to {
        qb.push(" AND s.date <= ").push_bind(d.to_string());
    }
    if let Some(d) = q.partner_deadline_until {
        qb.push(" AND s.partner_deadline <= ")
            .push_bind(d.to_string());
    }
    if q.awaiting_review {
        qb.push(" AND s.awaiting_review = TRUE");
    }
    if let Some(text) = searched(&q.search) {
        let [lower, first, title] = case_patterns(text);
        qb.push(" AND (s.id LIKE ")
            .push_bind(lower.clone())
            .push(" ESCAPE '\\'");
        for p in [&lower, &first, &title] {
            qb.push(" OR s.city LIKE ")
                .push_bind(p.clone())
                .push(" ESCAPE '\\'");
        }
        qb.push(" OR s.partner IN (SELECT id FROM partners WHERE search LIKE ")
            .push_bind(lower)
            .push(" ESCAPE '\\'))");
    }
}

/// The search text of a list, when there is one.
fn searched(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// `%text%` for LIKE with the text's wildcards taken literally.
fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// LIKE patterns for a name typed in any case: all lower case, the first letter capital, and
/// every word capitalized (`нижний новгород` finds «Нижний Новгород»). Needed because neither
/// backend folds Cyrillic case in LIKE (SQLite folds ASCII only, PostgreSQL nothing).
fn case_patterns(text: &str) -> [String; 3] {
    let lower = text.to_lowercase();
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect::<String>())
            .unwrap_or_default()
    };
    let title = lower.split(' ').map(cap).collect::<Vec<_>>().join(" ");
    let title = title.split('-').map(cap).collect::<Vec<_>>().join("-");
    [
        like_pattern(&lower),
        like_pattern(&cap(&lower)),
        like_pattern(&title),
    ]
}

fn partner_where<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, q: &'a PartnerQuery)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(ids) = &q.ids {
        push_in(qb, "p.id", ids);
    }
    if let Some(c) = &q.coordinator {
        qb.push(" AND p.coordinator = ").push_bind(c.clone());
    }
    if let Some(text) = searched(&q.search) {
        // Both sides are folded in Rust (Unicode: SQLite's LOWER() folds only ASCII); LIKE's
        // wildcards in the text are taken literally.
        let pattern = like_pattern(&text.to_lowercase());
        qb.push(" AND p.search LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\'");
    }
}

fn penalty_where<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, q: &'a PenaltyQuery)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(v) = &q.program {
        qb.push(" AND p.program = ").push_bind(v.clone());
    }
    if let Some(v) = &q.partner {
        qb.push(" AND p.partner = ").push_bind(v.clone());
    }
    if let Some(v) = &q.seminar {
        qb.push(" AND p.seminar = ").push_bind(v.clone());
    }
    if let Some(v) = &q.code {
        qb.push(" AND p.code = ").push_bind(v.clone());
    }
    if let Some(t) = q.since {
        qb.push(" AND p.at_us >= ").push_bind(to_us(t));
    }
    if let Some(text) = searched(&q.search) {
        let lower = like_pattern(&text.to_lowercase());
        qb.push(" AND (p.seminar LIKE ")
            .push_bind(lower.clone())
            .push(" ESCAPE '\\' OR p.code LIKE ")
            .push_bind(lower.clone())
            .push(" ESCAPE '\\' OR p.partner IN (SELECT id FROM partners WHERE search LIKE ")
            .push_bind(lower)
            .push(" ESCAPE '\\'))");
    }
}

fn event_where<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, q: &'a EventQuery)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(s) = &q.seminar {
        qb.push(" AND e.seminar = ").push_bind(s.clone());
    }
    if let Some(text) = searched(&q.search) {
        let lower = like_pattern(&text.to_lowercase());
        qb.push(" AND (LOWER(e.kind) LIKE ")
            .push_bind(lower.clone())
            .push(" ESCAPE '\\' OR LOWER(e.seminar) LIKE ")
            .push_bind(lower.clone())
            .push(" ESCAPE '\\' OR LOWER(e.actor) LIKE ")
            .push_bind(lower)
            .push(" ESCAPE '\\')");
    }
}

/// The ORDER BY of a seminar list.
fn seminar_order(q: &SeminarQuery) -> String {
    let Some(o) = q.order else {
        return if q.by_date {
            " ORDER BY s.date, s.city, s.seq".into()
        } else if q.by_deadline {
            " ORDER BY s.partner_deadline, s.seq".into()
        } else {
            " ORDER BY s.seq".into()
        };
    };
    let dir = if o.desc { " DESC" } else { "" };
    let col = match o.by {
        SeminarOrder::Created => "s.seq",
        SeminarOrder::Date => "s.date",
        SeminarOrder::City => "s.city",
        SeminarOrder::Partner => "(SELECT name FROM partners WHERE id = s.partner)",
        SeminarOrder::State => "s.state",
        // Seminars without an open deadline last, whichever the direction.
        SeminarOrder::Deadline => {
            "CASE WHEN s.partner_deadline IS NULL THEN 1 ELSE 0 END, s.partner_deadline"
        }
    };
    let col = if o.by == SeminarOrder::Deadline && o.desc {
        "CASE WHEN s.partner_deadline IS NULL THEN 0 ELSE 1 END DESC, s.partner_deadline"
    } else {
        col
    };
    format!(" ORDER BY {col}{dir}, s.seq{dir}")
}

/// The ORDER BY of a penalty list.
fn penalty_order(q: &PenaltyQuery) -> String {
    let Some(o) = q.order else {
        return " ORDER BY p.seq DESC".into();
    };
    let dir = if o.desc { " DESC" } else { "" };
    let col = match o.by {
        PenaltyOrder::Booked => "p.seq",
        PenaltyOrder::At => "p.at_us",
        PenaltyOrder::Points => "p.points",
        PenaltyOrder::Seminar => "p.seminar",
    };
    format!(" ORDER BY {col}{dir}, p.seq{dir}")
}

fn outbox_where<'a, DB>(qb: &mut sqlx::QueryBuilder<'a, DB>, q: &'a OutboxQuery)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(v) = &q.status {
        qb.push(" AND o.status = ").push_bind(v.clone());
    }
    if let Some(v) = &q.seminar {
        qb.push(" AND o.seminar = ").push_bind(v.clone());
    }
    if let Some(v) = &q.program {
        qb.push(" AND o.seminar IN (SELECT s.id FROM seminars s WHERE s.program = ")
            .push_bind(v.clone())
            .push(")");
    }
}
