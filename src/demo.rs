//! `serve --demo`: a season played through the real service so a new user sees a living system
//! at once. The season is data, not code: `workflows/demos/<program id>.toml`, a scenario file
//! (SCENARIOS.md format) whose `until` is where the demo's manual clock starts. The shipped one
//! plays the flagship program up to 2017-04-04 12:00 Moscow time, between its two seminar
//! weeks: seminars on time, late, returned, excluded, withdrawn, held and reported.

use crate::catalog::Catalog;
use crate::domain::Partner;
use crate::service::{Service, ServiceError};
use crate::simulate::scenario::{self, Scenario};
use std::path::PathBuf;

/// The first demo season found for the catalog's programs.
///
/// # Errors
/// No demo file, or one that does not parse (the message names the step and field).
pub fn season(catalog: &Catalog) -> Result<(PathBuf, Scenario), String> {
    let dir = catalog.dir.join("demos");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let path = files
        .into_iter()
        .next()
        .ok_or_else(|| format!("в {} нет демонстрационного сезона (*.toml)", dir.display()))?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (sc, _) = scenario::parse(&text, |id| {
        catalog.program(id).map(|p| p.wf).map_err(|e| e.to_string())
    })
    .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path, sc))
}

/// Plays `sc` into `service` (an empty database) up to its `until`. Returns the refusals, which
/// a correct demo season never has.
pub async fn load(service: &Service, sc: &Scenario) -> Result<Vec<String>, ServiceError> {
    for p in &sc.partners {
        let partner = Partner {
            id: p.id.clone(),
            name: p.name.clone(),
            experienced: p.experienced,
            barred: p.barred,
            late_withdrawal: false,
        };
        service.put_partner(&partner).await?;
    }
    let mut refused = vec![];
    for (i, step) in sc.steps.iter().enumerate() {
        service.scheduler.tick(step.at).await?;
        match service
            .execute(&sc.workflow, &step.command, "coordinator:demo", step.at)
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
