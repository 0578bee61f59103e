//! `simulate --mail-dir`: every notification of a simulated season rendered as `.eml` files, so
//! a coordinator can read the season's mail before it starts. A simulation has no user
//! accounts: partners are addressed as `partner-<id>@example.invalid` with the partner's name,
//! coordinators as `coordinator@example.invalid`. Digests do not apply: each notification is
//! written at once, to the recipient the outbox row names.

use super::context::Facts;
use super::recipients::Addressee;
use super::{compose, FileMailer, NotifierError, Templates};
use crate::domain::{NotificationKind, Recipient};
use crate::service::Service;
use std::path::{Path, PathBuf};

/// The preview address of partner `id` (ASCII-only ids keep their letters; others are hashed).
pub fn partner_address(id: &str) -> String {
    let local: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("partner-{local}@example.invalid")
}

/// Writes one `.eml` per outbox row of `service` into `dir`, in the order the notifications
/// happened, and returns the files.
///
/// # Errors
/// A row that cannot be rendered (naming the row and why), a folder that cannot be written, or
/// a store failure.
pub async fn write_mail(
    service: &Service,
    templates: &Templates,
    dir: &Path,
    base_url: &str,
    from: &str,
) -> Result<Vec<PathBuf>, NotifierError> {
    let store = &service.store;
    let mut rows = store.outbox().await?;
    rows.retain(|r| r.notification.kind != NotificationKind::Digest);
    rows.sort_by(|a, b| {
        a.notification
            .at
            .cmp(&b.notification.at)
            .then(a.id.cmp(&b.id))
    });
    let files = FileMailer::new(dir);
    let mut written = Vec::with_capacity(rows.len());
    for row in rows {
        let n = &row.notification;
        let bad = |why: String| {
            NotifierError::Other(format!("уведомление {} ({}): {why}", n.key, n.kind))
        };
        let (seminar, program) = if n.seminar.is_empty() {
            // Partner-level (support suspended or resumed): no seminar behind it.
            let program = super::partner_level::program_of(service, n)
                .ok_or_else(|| bad("не загружена ни одна программа мероприятий".into()))?;
            let partner = super::partner_level::partner_of(n);
            let s = super::partner_level::partner_level_seminar(&program, &partner, n.at);
            (s, program)
        } else {
            let seminar = store
                .seminar(&n.seminar)
                .await?
                .ok_or_else(|| bad(format!("семинар «{}» не найден", n.seminar)))?;
            let program = service
                .program(&seminar.program)
                .ok_or_else(|| bad(format!("программа «{}» не загружена", seminar.program)))?
                .clone();
            (seminar, program)
        };
        let partner_name = store
            .partner(&seminar.partner)
            .await?
            .map(|p| p.name)
            .unwrap_or_else(|| seminar.partner.clone());
        let to = match &n.to {
            Recipient::Partner(p) => {
                let email = partner_address(p);
                Addressee {
                    token: format!("addr:{email}"),
                    name: partner_name.clone(),
                    email,
                    money: true,
                    coordinator: false,
                    digest: false,
                }
            }
            Recipient::Coordinator => Addressee {
                token: "addr:coordinator@example.invalid".into(),
                name: "Координатор программы".into(),
                email: "coordinator@example.invalid".into(),
                money: true,
                coordinator: true,
                digest: false,
            },
        };
        let facts = Facts {
            seminar: &seminar,
            program: &program,
            partner_name: &partner_name,
            base_url,
            contact: None,
        };
        let email = compose(templates, n, &facts, &to, from).map_err(|e| bad(e.to_string()))?;
        written.push(files.write(&email).map_err(|e| bad(e.to_string()))?);
    }
    Ok(written)
}
