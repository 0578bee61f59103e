//! Partners and the coordinator assigned to each, written with their audit events.

use super::audit::Audit;
use super::{Service, ServiceError};
use crate::accounts::Role;
use crate::domain::EventKind;
use crate::domain::Partner;
use crate::storage::Change;
use serde_json::json;

impl Service {
    /// Registers or updates a partner (name and experience; flags only ever grow), with its
    /// audit event.
    ///
    /// # Errors
    /// Store failures.
    pub async fn save_partner(&self, by: Audit<'_>, p: &Partner) -> Result<(), ServiceError> {
        let event = by.event(EventKind::PartnerSaved, partner_data(p));
        self.store
            .apply(&[Change::PutPartner(p.clone())], &[event])
            .await?;
        Ok(())
    }

    /// Validates and registers or updates a partner company, assigning `coordinator` when
    /// given; one transaction with both audit events. Returns the partner as stored.
    ///
    /// # Errors
    /// `BadRequest`/`Field` for an unusable id, name or coordinator.
    pub async fn register_partner(
        &self,
        by: Audit<'_>,
        id: &str,
        name: &str,
        experienced: bool,
        coordinator: Option<&str>,
    ) -> Result<Partner, ServiceError> {
        let id = id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ServiceError::bad(
                "id партнёра: латинские буквы, цифры, «-» и «_», не длиннее 64 символов",
            ));
        }
        let name = crate::text::single_line(name, 200)
            .map_err(|m| ServiceError::Field("name", m.to_string()))?;
        if let Some(c) = coordinator {
            self.check_coordinator(c).await?;
        }
        let p = Partner {
            id: id.into(),
            name,
            experienced,
            barred: false,
            late_withdrawal: false,
        };
        let mut changes = vec![Change::PutPartner(p.clone())];
        let mut events = vec![by.event(EventKind::PartnerSaved, partner_data(&p))];
        if coordinator.is_some() {
            changes.push(Change::SetCoordinator {
                partner: p.id.clone(),
                coordinator: coordinator.map(Into::into),
            });
            events.push(by.event(
                EventKind::CoordinatorAssigned,
                json!({ "partner": p.id, "coordinator": coordinator }),
            ));
        }
        self.store.apply(&changes, &events).await?;
        self.store
            .partner(id)
            .await?
            .ok_or_else(|| ServiceError::Internal("partner vanished".into()))
    }

    /// Assigns `coordinator` (a user id; `None` to clear) to partner `partner`, with its audit
    /// event. An unknown partner changes nothing.
    ///
    /// # Errors
    /// Store failures.
    pub async fn assign_coordinator(
        &self,
        by: Audit<'_>,
        partner: &str,
        coordinator: Option<&str>,
    ) -> Result<(), ServiceError> {
        let event = by.event(
            EventKind::CoordinatorAssigned,
            json!({ "partner": partner, "coordinator": coordinator }),
        );
        let change = Change::SetCoordinator {
            partner: partner.into(),
            coordinator: coordinator.map(Into::into),
        };
        self.store.apply(&[change], &[event]).await?;
        Ok(())
    }

    async fn check_coordinator(&self, id: &str) -> Result<(), ServiceError> {
        match self.store.user(id).await? {
            Some(u) if u.role == Role::Coordinator || u.role == Role::Admin => Ok(()),
            _ => Err(ServiceError::bad(format!("координатор «{id}» не найден"))),
        }
    }
}

fn partner_data(p: &Partner) -> serde_json::Value {
    json!({ "partner": p.id, "name": p.name, "experienced": p.experienced })
}
