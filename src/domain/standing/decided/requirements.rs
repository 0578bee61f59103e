//! The hard requirements of a decision (`[requirements]`, S§2.4) read over the current term.

use super::renewal_months;
use crate::domain::deadline::{local_date, start_of};
use crate::domain::standing::metrics::{metric, Facts, FlagSpan, TermWindow};
use crate::domain::standing::outcome::Rules;
use crate::domain::standing::Standing;
use chrono::{DateTime, Months, Utc};

/// The hard requirements (`[requirements]`, S§2.4) that fail for `level` at `now`: those of a
/// grant (`at_grant`) or of a renewal (`all`), plus the level's own. A requirement holds when
/// its metric is at least 1 over the current term up to `now`; the pending request's flags
/// count as flags set when it was sent.
pub fn unmet_requirements(
    r: Rules<'_>,
    s: &Standing,
    facts: &Facts,
    level: &str,
    renewal: bool,
    now: DateTime<Utc>,
) -> Vec<String> {
    let Some(req) = r.p.requirements.as_ref() else {
        return vec![];
    };
    let base = if renewal { &req.all } else { &req.at_grant };
    let mut names: Vec<&String> = base.iter().collect();
    for n in req.levels.get(level).into_iter().flatten() {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let mut facts = facts.clone();
    if let Some(p) = &s.decision {
        for f in &p.flags {
            facts.flags.entry(f.clone()).or_default().push(FlagSpan {
                since: p.requested_at,
                until: None,
            });
        }
    }
    let term = TermWindow {
        since: term_start(r, s),
        until: Some(now),
        renewals: s.renewals,
    };
    let today = local_date(r.tz, now);
    names
        .into_iter()
        .filter(|n| {
            r.p.metrics
                .get(*n)
                .is_none_or(|def| metric(&facts, def, now, today, term) < 1)
        })
        .cloned()
        .collect()
}

/// The start of the current term: the grant for the first term, else the old `until`.
fn term_start(r: Rules<'_>, s: &Standing) -> Option<DateTime<Utc>> {
    if s.renewals == 0 {
        return s.since;
    }
    let back = s.until.and_then(|u| {
        let d = local_date(r.tz, u);
        d.checked_sub_months(Months::new(renewal_months(r)))
            .map(|d| start_of(r.tz, d))
    });
    back.max(s.since)
}
