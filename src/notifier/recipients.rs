//! Who gets a notification, and when.
//!
//! | kind | partner's users | the partner's coordinator |
//! |---|---|---|
//! | `penalty_applied`, `excluded` | at once | at once |
//! | `deadline_reminder` | at once (a digest could come after the deadline) | daily digest |
//! | `submission_received` | at once, or digest if the user chose it | daily digest (review queue) |
//! | `review_due` (addressed to the coordinator) | — | at once |
//! | other kinds (decisions, report, duties) | at once, or digest if the user chose it | — (the coordinator's own decisions) |
//!
//! The partner's coordinator is the user assigned with `partner_coordinator`, or every active
//! coordinator when none is assigned (or the assigned one is gone or disabled). Partner users
//! with limited rights get the variant without money (`Addressee::money`).
//!
//! The coordinator a partner *asks* ([`contact_of`]) is the assigned one while active, else the
//! program's coordinator address from the configuration (`mail.coordinator`).

use crate::accounts::{Role, User};
use crate::domain::{Notification, NotificationKind, Recipient};
use crate::storage::{DynStore, StoreError};

/// One person an e-mail goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    /// Stable identity for the Message-ID and the delivery log: `user:<id>`, or `addr:<e-mail>`
    /// for addresses that are not accounts (previews).
    pub token: String,
    pub name: String,
    pub email: String,
    /// May see amounts of money.
    pub money: bool,
    pub coordinator: bool,
    /// Gets this notification in the daily digest instead of at once.
    pub digest: bool,
}

/// Whom a partner asks about a seminar: its coordinator, named in every e-mail (Reply-To, and
/// e-mail and phone in the footer).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

impl Contact {
    /// The program's coordinator from the configuration: `Name <address>` (or a bare address)
    /// and a phone; `None` without an address.
    pub fn from_config(mailbox: Option<&str>, phone: Option<&str>) -> Option<Contact> {
        let m = mailbox.map(str::trim).filter(|m| !m.is_empty())?;
        let (name, email) = match m.rsplit_once('<') {
            Some((n, a)) => (
                n.trim().trim_matches('"').to_string(),
                a.trim_end_matches('>').trim().to_string(),
            ),
            None => (String::new(), m.to_string()),
        };
        Some(Contact {
            name: if name.is_empty() {
                "Координатор программы".into()
            } else {
                name
            },
            email,
            phone: phone
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from),
        })
    }

    /// The Reply-To header value; characters that would need quoting in a display name
    /// (`Иванова, Ольга`) are dropped so the header always parses.
    pub fn mailbox(&self) -> String {
        let name: String = self
            .name
            .chars()
            .filter(|c| !",;:\"<>@()[]\\".contains(*c))
            .collect();
        format!("{} <{}>", super::mailer::header_text(&name), self.email)
    }
}

/// The coordinator partner `partner` asks: the assigned one while active, else `fallback` (the
/// program's coordinator address from the configuration).
///
/// # Errors
/// Store failures.
pub async fn contact_of(
    store: &DynStore,
    partner: &str,
    fallback: Option<&Contact>,
) -> Result<Option<Contact>, StoreError> {
    Ok(match assigned_coordinator(store, partner).await? {
        Some(u) => Some(Contact {
            name: u.name,
            email: u.email,
            phone: u.phone,
        }),
        None => fallback.cloned(),
    })
}

/// The coordinator assigned to partner `partner`, while that account is active staff.
///
/// # Errors
/// Store failures.
async fn assigned_coordinator(store: &DynStore, partner: &str) -> Result<Option<User>, StoreError> {
    let Some(id) = store.partner_coordinator(partner).await? else {
        return Ok(None);
    };
    Ok(store
        .user(&id)
        .await?
        .filter(|u| !u.disabled && u.is_staff()))
}

/// Kinds that go out at once to partner users whatever their digest choice.
pub fn immediate_for_partner(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::PenaltyApplied
            | NotificationKind::Excluded
            | NotificationKind::DeadlineReminder
    )
}

/// Kinds that go out at once to coordinators; the rest wait for the daily digest.
pub fn immediate_for_coordinator(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::PenaltyApplied | NotificationKind::Excluded | NotificationKind::ReviewDue
    )
}

/// Partner notifications that the partner's coordinator gets a copy of.
pub fn copied_to_coordinator(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::PenaltyApplied
            | NotificationKind::Excluded
            | NotificationKind::DeadlineReminder
            | NotificationKind::SubmissionReceived
    )
}

fn partner_user(u: &User, kind: NotificationKind) -> Addressee {
    Addressee {
        token: format!("user:{}", u.id),
        name: u.name.clone(),
        email: u.email.clone(),
        money: u.sees_money(),
        coordinator: false,
        digest: u.digest && !immediate_for_partner(kind),
    }
}

fn coordinator(u: &User, kind: NotificationKind) -> Addressee {
    Addressee {
        token: format!("user:{}", u.id),
        name: u.name.clone(),
        email: u.email.clone(),
        money: true,
        coordinator: true,
        digest: !immediate_for_coordinator(kind),
    }
}

/// The people notification `n` goes to, and why someone expected is missing (a partner
/// without users, no coordinator at all): such problems are recorded, never dropped silently.
#[derive(Debug, Default)]
pub struct Resolution {
    pub to: Vec<Addressee>,
    /// `(token, problem)`: recorded in the delivery log as failures.
    pub problems: Vec<(String, String)>,
}

/// The coordinators responsible for partner `partner`.
///
/// # Errors
/// Store failures.
pub async fn coordinators_of(store: &DynStore, partner: &str) -> Result<Vec<User>, StoreError> {
    if let Some(u) = assigned_coordinator(store, partner).await? {
        return Ok(vec![u]);
    }
    Ok(store
        .users_by_roles(&[Role::Coordinator.as_str()])
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .collect())
}

/// Resolves notification `n` about a seminar of partner `partner` (named `partner_name`).
///
/// # Errors
/// Store failures.
pub async fn resolve(
    store: &DynStore,
    n: &Notification,
    partner: &str,
    partner_name: &str,
) -> Result<Resolution, StoreError> {
    let mut r = Resolution::default();
    let to_coordinators = match &n.to {
        Recipient::Partner(p) => {
            let users: Vec<User> = store
                .users(Some(p))
                .await?
                .into_iter()
                .filter(|u| !u.disabled && u.role == Role::Partner)
                .collect();
            if users.is_empty() {
                r.problems.push((format!("partner:{p}"), format!("у партнёра «{partner_name}» ({p}) нет активных пользователей — письмо некому отправить")));
            }
            r.to.extend(users.iter().map(|u| partner_user(u, n.kind)));
            copied_to_coordinator(n.kind)
        }
        Recipient::Coordinator => true,
    };
    if to_coordinators {
        let cs = coordinators_of(store, partner).await?;
        if cs.is_empty() && n.to == Recipient::Coordinator {
            r.problems.push(("coordinator".into(), format!("нет ни одного активного координатора для партнёра «{partner_name}» ({partner})")));
        }
        for c in &cs {
            if !r.to.iter().any(|a| a.email.eq_ignore_ascii_case(&c.email)) {
                r.to.push(coordinator(c, n.kind));
            }
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::Contact;
    use lettre::message::Mailbox;

    #[test]
    fn a_contact_from_the_config_reads_name_address_and_phone() {
        let c = Contact::from_config(Some(" Отдел партнёров <partners@example.ru> "), Some(" "));
        assert_eq!(
            c,
            Some(Contact {
                name: "Отдел партнёров".into(),
                email: "partners@example.ru".into(),
                phone: None,
            })
        );
        let bare = Contact::from_config(Some("partners@example.ru"), Some("+7 800 555-35-35"));
        assert_eq!(bare.unwrap().name, "Координатор программы");
        assert_eq!(Contact::from_config(Some("  "), Some("+7")), None);
    }

    #[test]
    fn the_reply_to_of_any_name_parses_as_a_mailbox() {
        let c = Contact {
            name: "Иванова, Ольга \"Оля\" (координатор)".into(),
            email: "olga@example.ru".into(),
            phone: None,
        };
        let m: Mailbox = c.mailbox().parse().expect("parses");
        assert_eq!(m.email.to_string(), "olga@example.ru");
    }
}
