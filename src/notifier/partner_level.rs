//! Partner-level notifications (support suspended or resumed): no seminar, the partner's users
//! get them in the name of an item program.

use super::{recipients, NotifierError, Prepared, Undeliverable};
use crate::domain::{Notification, Program, Recipient, Seminar};
use chrono::{DateTime, Utc};

impl super::Notifier {
    /// A partner-level notification (support suspended or resumed, no seminar): the partner's
    /// users get it, in the name of the item program (the one named in `data.program`, else
    /// the first loaded by id); the templates read no seminar fields.
    pub(super) async fn prepare_partner_level(
        &self,
        n: &Notification,
        partner: &str,
    ) -> Result<Result<Prepared, Undeliverable>, NotifierError> {
        let Some(program) = program_of(&self.service, n) else {
            let named = n.data.get("program").and_then(|v| v.as_str());
            return Ok(Err(Undeliverable::NoProgram {
                program: named.unwrap_or_default().to_string(),
                seminar: String::new(),
            }));
        };
        let store = &self.service.store;
        let partner_name = store
            .partner(partner)
            .await?
            .map(|p| p.name)
            .unwrap_or_else(|| partner.to_string());
        let people = recipients::resolve(store, n, partner, &partner_name).await?;
        let contact =
            recipients::contact_of(store, partner, self.settings.coordinator.as_ref()).await?;
        Ok(Ok(Prepared {
            seminar: partner_level_seminar(&program, partner, n.at),
            program,
            partner_name,
            people,
            contact,
        }))
    }
}

/// The partner a partner-level notification is about: its addressee, or for the coordinator
/// `data.partner`.
pub(crate) fn partner_of(n: &Notification) -> String {
    match &n.to {
        Recipient::Partner(p) => p.clone(),
        Recipient::Coordinator => n.data["partner"].as_str().unwrap_or_default().to_string(),
    }
}

/// The program a partner-level notification speaks for: the one named in `data.program`, else
/// the first item program loaded (by id).
pub(crate) fn program_of(service: &crate::service::Service, n: &Notification) -> Option<Program> {
    let named = n.data.get("program").and_then(|v| v.as_str());
    let mut items: Vec<&Program> = service
        .all_programs()
        .filter(|p| p.wf.events.is_some() || Some(p.wf.id.as_str()) == named)
        .collect();
    items.sort_by_key(|p| (Some(p.wf.id.as_str()) != named, p.wf.id.clone()));
    items.first().map(|p| (*p).clone())
}

/// The stand-in a partner-level notification renders with: no seminar, the partner and the
/// program only (its id is empty, so no seminar is linked).
pub(crate) fn partner_level_seminar(
    program: &Program,
    partner: &str,
    at: DateTime<Utc>,
) -> Seminar {
    Seminar {
        id: String::new(),
        program: program.wf.id.clone(),
        partner: partner.to_string(),
        city: String::new(),
        date: at.date_naive(),
        week: String::new(),
        state: crate::domain::SeminarState::Applied,
        applied_at: at,
        decided_at: None,
        info_support: false,
        coordinator: None,
        venue: None,
        stages: Default::default(),
        penalties: vec![],
        voided: Default::default(),
        report: None,
        estimate: None,
        result: None,
        item: Default::default(),
        version: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NotificationKind;

    fn notice(to: Recipient) -> Notification {
        Notification {
            key: "k".into(),
            kind: NotificationKind::StatusChanged,
            to,
            seminar: String::new(),
            stage: None,
            at: Utc::now(),
            data: serde_json::json!({ "partner": "p7", "program": "x" }),
        }
    }

    #[test]
    fn a_coordinators_partner_level_notice_is_about_the_partner_in_its_data() {
        // Before, only the partner's copy took the partner-level path; the coordinator's went
        // looking for a seminar "" and was never delivered.
        assert_eq!(partner_of(&notice(Recipient::Partner("p3".into()))), "p3");
        assert_eq!(partner_of(&notice(Recipient::Coordinator)), "p7");
    }
}
