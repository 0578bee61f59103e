//! `serve --demo`: a season played through the real service so a new user sees a living system
//! at once. The season is data, not code: `workflows/demos/<program id>.toml`, a scenario file
//! (SCENARIOS.md format) whose `until` is where the demo's manual clock starts. The shipped one
//! plays the flagship program up to 2017-04-04 12:00 Moscow time, between its two seminar
//! weeks: seminars on time, late, returned, excluded, withdrawn, held and reported.

use crate::catalog::Catalog;
use crate::domain::{Command, Partner};
use crate::service::{Audit, Service, ServiceError};
use crate::simulate::scenario::{self, Scenario};
use std::collections::HashMap;
use std::path::PathBuf;

/// Why the demo season could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}: {1}")]
    Read(String, std::io::Error),
    #[error("в {0} нет демонстрационного сезона (*.toml)")]
    Missing(String),
    /// The file does not parse; the message names the step and field.
    #[error("{0}: {1}")]
    Malformed(String, String),
}

/// The first demo season found for the catalog's programs.
///
/// # Errors
/// No demo file, or one that does not parse (the message names the step and field).
pub fn season(catalog: &Catalog) -> Result<(PathBuf, Scenario), DemoError> {
    let dir = catalog.dir.join("demos");
    let shown = |p: &std::path::Path| p.display().to_string();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| DemoError::Read(shown(&dir), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let path = files
        .into_iter()
        .next()
        .ok_or_else(|| DemoError::Missing(shown(&dir)))?;
    let text = std::fs::read_to_string(&path).map_err(|e| DemoError::Read(shown(&path), e))?;
    let (sc, _) = scenario::parse(&text, |id| {
        catalog.program(id).map(|p| p.wf).map_err(|e| e.to_string())
    })
    .map_err(|e| DemoError::Malformed(shown(&path), e.to_string()))?;
    Ok((path, sc))
}

/// Who registers the demo's partners, in the audit log.
const DEMO_ACTOR: &str = "coordinator:coordinator@demo.local";

/// The demo's accounts: `<partner id>@demo.local` for each partner's user.
const DEMO_DOMAIN: &str = "demo.local";

/// Who a demo step is by, as the history tells it: the partner's demo user for what partners do
/// (apply, submit, change the venue, withdraw), the demo coordinator for the rest.
fn actor_of(cmd: &Command, partner_of: &mut HashMap<String, String>) -> String {
    let partner = match cmd {
        Command::Apply {
            seminar, partner, ..
        } => {
            partner_of.insert(seminar.clone(), partner.clone());
            Some(partner.clone())
        }
        Command::Submit { seminar, .. }
        | Command::ChangeVenue { seminar, .. }
        | Command::Withdraw { seminar, .. } => partner_of.get(seminar).cloned(),
        _ => None,
    };
    match partner {
        Some(p) => format!("partner:{p}@{DEMO_DOMAIN}"),
        None => DEMO_ACTOR.to_string(),
    }
}

/// Plays `sc` into `service` (an empty database) up to its `until`. Returns the refusals, which
/// a correct demo season never has.
pub async fn load(service: &Service, sc: &Scenario) -> Result<Vec<String>, ServiceError> {
    // The partners are registered as of the season's first step.
    let by = Audit {
        actor: DEMO_ACTOR,
        at: sc.steps.first().map_or(sc.until, |s| s.at),
    };
    for p in &sc.partners {
        let partner = Partner {
            id: p.id.clone(),
            name: p.name.clone(),
            experienced: p.experienced,
            barred: p.barred,
            late_withdrawal: false,
        };
        service.save_partner(by, &partner).await?;
    }
    let mut refused = vec![];
    let mut partner_of = HashMap::new();
    for (i, step) in sc.steps.iter().enumerate() {
        service.scheduler.tick(step.at).await?;
        let actor = actor_of(&step.command, &mut partner_of);
        match service
            .execute(&sc.workflow, &step.command, &actor, step.at)
            .await
        {
            Ok(_) => {}
            Err(ServiceError::Refused(r)) => {
                refused.push(format!("шаг {i} ({}): {}", step.action, r.message))
            }
            Err(e) => return Err(e),
        }
    }
    service.scheduler.tick(sc.until).await?;
    Ok(refused)
}
