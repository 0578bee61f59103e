//! Suspending and resuming a partner's marketing support (E§4.16): while suspended, the
//! program's applications are refused with `[applications] refuse_suspended`.

use crate::domain::program::{refuse, DomainError, RefusalCode};
use crate::domain::rules::View;
use crate::domain::seminar::{Notification, NotificationKind, Outcome, PartnerFlag, Recipient};
use chrono::{DateTime, Utc};
use serde_json::json;

/// Suspends (`on.1`) or resumes the support of `partner` in program `on.0`, with a mail-only
/// notice to it that names the program (the mail speaks for it).
///
/// # Errors
/// `invalid_input` for an unknown partner, `invalid_state` when it is already so.
pub fn suspend(
    view: &View,
    partner: &str,
    (program, on): (&str, bool),
    note: Option<&str>,
    now: DateTime<Utc>,
    out: &mut Outcome,
) -> Result<(), DomainError> {
    if !view.partners.contains_key(partner) {
        return refuse(
            RefusalCode::InvalidInput,
            format!("партнёр «{partner}» не найден"),
        );
    }
    if view.support_suspended.contains(partner) == on {
        let now_so = if on {
            "уже приостановлена"
        } else {
            "не приостановлена"
        };
        return refuse(
            RefusalCode::InvalidState,
            format!("маркетинговая поддержка партнёра «{partner}» {now_so}"),
        );
    }
    let (flag, kind) = if on {
        (
            PartnerFlag::SupportSuspended,
            NotificationKind::SupportSuspended,
        )
    } else {
        (
            PartnerFlag::SupportResumed,
            NotificationKind::SupportResumed,
        )
    };
    out.flags.push((partner.to_string(), flag));
    out.notifications.push(Notification {
        key: format!("{partner}:{kind}:{}", now.timestamp_micros()),
        kind,
        to: Recipient::Partner(partner.to_string()),
        seminar: String::new(),
        stage: None,
        at: now,
        data: json!({ "partner": partner, "note": note, "program": program }),
    });
    Ok(())
}
