//! Mail that did not reach anyone, as the pages show it: the outbox page, the seminar page and
//! the coordinator's dashboard list notifications with their state, the reason in Russian and
//! what to do about it; and the warning before a decision whose e-mail nobody would get.

use super::cards::{name_of, partner_names};
use super::format;
use crate::domain::{Recipient, Seminar};
use crate::http::AppState;
use crate::notifier::DeliveryLog;
use crate::storage::{OutboxQuery, OutboxRow, SeminarQuery, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// One notification as a row of a list.
#[derive(Serialize, Debug, Clone)]
pub struct MailRowUi {
    pub id: i64,
    pub at: String,
    pub kind: &'static str,
    pub seminar_href: Option<String>,
    pub seminar_label: String,
    pub to: String,
    pub status_label: &'static str,
    pub tone: &'static str,
    pub attempts: i32,
    pub reason: Option<String>,
    /// What to do before sending it again.
    pub hint: Option<&'static str>,
    pub failed: bool,
}

/// The state of an outbox row in Russian, with its badge tone.
pub fn status_label(status: &str) -> (&'static str, &'static str) {
    match status {
        "pending" => ("ждёт отправки", "info"),
        "sent" => ("отправлено", "ok"),
        "failed" => ("не доставлено", "bad"),
        "digest" => ("ждёт ежедневной сводки", "muted"),
        _ => ("неизвестно", "muted"),
    }
}

/// What to fix before sending a failed row again, read from its delivery log.
fn hint(row: &OutboxRow) -> Option<&'static str> {
    if row.status != "failed" {
        return None;
    }
    let log = DeliveryLog::parse(row.message_id.as_deref());
    let tokens = log.failed_tokens();
    Some(if tokens.iter().any(|t| t.starts_with("partner:")) {
        "Добавьте партнёру пользователя или включите отключённого (раздел «Пользователи»), затем отправьте письмо снова."
    } else if tokens.contains(&"coordinator") {
        "Назначьте партнёру координатора (раздел «Партнёры») или включите учётную запись координатора, затем отправьте письмо снова."
    } else if !tokens.is_empty() {
        "Почтовый сервер отказал получателю: проверьте его адрес в разделе «Пользователи» и отправьте письмо снова."
    } else {
        "Письмо не удалось подготовить или отправить; подробности в журнале сервера. Когда причина устранена, отправьте его снова."
    })
}

/// The rows as the lists show them, with their seminars and partners named.
///
/// # Errors
/// Store failures.
pub async fn mail_rows(state: &AppState, rows: &[OutboxRow]) -> Result<Vec<MailRowUi>, StoreError> {
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| r.notification.seminar.clone())
        .filter(|s| !s.is_empty())
        .collect();
    ids.sort();
    ids.dedup();
    let seminars: BTreeMap<String, Seminar> = if ids.is_empty() {
        BTreeMap::new()
    } else {
        let q = SeminarQuery {
            ids: Some(ids),
            ..SeminarQuery::default()
        };
        state
            .service
            .store
            .find_seminars(&q)
            .await?
            .into_iter()
            .map(|(_, s)| (s.id.clone(), s))
            .collect()
    };
    let names = partner_names(
        state,
        rows.iter().filter_map(|r| match &r.notification.to {
            Recipient::Partner(p) => Some(p.as_str()),
            Recipient::Coordinator => None,
        }),
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let n = &r.notification;
            let s = seminars.get(&n.seminar);
            let (status_label, tone) = status_label(&r.status);
            MailRowUi {
                id: r.id,
                at: super::page::clock_text(state, n.at),
                kind: n.kind.label(),
                seminar_href: s.map(|s| format!("/seminars/{}", s.id)),
                seminar_label: s
                    .map(|s| format!("{}, {}", s.city, format::date(s.date)))
                    .unwrap_or_else(|| "—".into()),
                to: match &n.to {
                    Recipient::Partner(p) => format!("партнёр «{}»", name_of(&names, p)),
                    Recipient::Coordinator => "координатор".into(),
                },
                status_label,
                tone,
                attempts: r.attempts,
                reason: r.last_error.clone(),
                hint: hint(r),
                failed: r.status == "failed",
            }
        })
        .collect())
}

/// Up to `limit` failed notifications `q` selects (newest first) and how many there are.
///
/// # Errors
/// Store failures.
pub async fn undelivered(
    state: &AppState,
    mut q: OutboxQuery,
    limit: i64,
) -> Result<(Vec<MailRowUi>, i64), StoreError> {
    q.status = Some("failed".into());
    q.newest_first = true;
    q.page = crate::storage::Page::first(limit);
    let store = &state.service.store;
    let rows = store.find_outbox(&q).await?;
    let total = store.count_outbox(&q).await?;
    Ok((mail_rows(state, &rows).await?, total))
}

/// The warning shown next to a coordinator's forms when partner `partner` has no active user:
/// the decision's e-mail would reach nobody.
///
/// # Errors
/// Store failures.
pub async fn no_recipient_warning(
    state: &AppState,
    partner: &str,
    partner_name: &str,
) -> Result<Option<String>, StoreError> {
    let active = state
        .service
        .store
        .users(Some(partner))
        .await?
        .iter()
        .any(|u| !u.disabled && u.role == crate::accounts::Role::Partner);
    Ok((!active).then(|| {
        format!(
            "У партнёра «{partner_name}» нет ни одного активного пользователя: письма о ваших решениях по этому семинару никто не получит. Добавьте партнёру пользователя в разделе «Пользователи» или сообщите о решении сами."
        )
    }))
}

/// The partners that have at least one active user, so that their mail reaches someone (the
/// review queue marks the others before a decision).
///
/// # Errors
/// Store failures.
pub async fn partners_with_users(
    state: &AppState,
) -> Result<std::collections::BTreeSet<String>, StoreError> {
    let users = state
        .service
        .store
        .users_by_roles(&[crate::accounts::Role::Partner.as_str()])
        .await?;
    Ok(users
        .into_iter()
        .filter(|u| !u.disabled)
        .filter_map(|u| u.partner)
        .collect())
}

/// The dashboard's block: the program's newest undelivered notifications and a link to all.
#[derive(Serialize)]
pub struct DashboardMail {
    items: Vec<MailRowUi>,
    total: i64,
    href: String,
}

/// Up to ten undelivered notifications of program `program` for its dashboard.
///
/// # Errors
/// Store failures.
pub async fn dashboard_mail(state: &AppState, program: &str) -> Result<DashboardMail, StoreError> {
    let q = OutboxQuery {
        program: Some(program.to_string()),
        ..OutboxQuery::default()
    };
    let (items, total) = undelivered(state, q, 10).await?;
    Ok(DashboardMail {
        items,
        total,
        href: format!(
            "/admin/outbox?status=failed&program={}",
            super::page::encode(program)
        ),
    })
}

/// Whether seminar `id`'s partner has an active user (its mail reaches someone); true for an
/// unknown seminar (nothing to warn about).
///
/// # Errors
/// Store failures.
pub async fn seminar_mail_reaches_someone(state: &AppState, id: &str) -> Result<bool, StoreError> {
    let Some(s) = state.service.store.seminar(id).await? else {
        return Ok(true);
    };
    Ok(no_recipient_warning(state, &s.partner, &s.partner)
        .await?
        .is_none())
}
