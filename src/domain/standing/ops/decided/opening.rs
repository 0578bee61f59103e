//! A partner's state before the first command (a scenario's `[partners.opening]`, S§5.1) as
//! the [`Effects`] the service books, and the `flag_set` op (`set_competence`, S§5.3).

use super::super::super::actions::refusal;
use super::super::super::actions::{text, Credit, Ctx, Effects, Fields};
use super::super::super::decided::{self, in_force};
use super::super::super::known::{flag_record, status_record, PARTNERSHIP_FLAG};
use super::super::super::outcome::{Audience, LedgerEffect, Outcome, Rules};
use super::super::super::Standing;
use super::{convert, flag_or, ledger_records};
use crate::domain::calendar::Calendar;
use crate::domain::money::Kopecks;
use crate::domain::program::Refusal;
use crate::domain::workflow::{Action, MetricType, StandingProgram};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// What a partner holds when the clock starts at `from`.
#[derive(Debug, Clone, Default)]
pub struct OpeningFacts {
    pub admitted_at: Option<DateTime<Utc>>,
    /// The status of the program(s) the `status_at_least` metrics name, held constant.
    pub status: Option<String>,
    /// Other competences held (each a flag `<flag_prefix><name>` of the `flag_set` action).
    pub competences: Vec<String>,
    /// The competence held: level and the instant it was granted.
    pub level: Option<(String, DateTime<Utc>)>,
    /// The bonus balance on the program's first bonus ledger.
    pub bonus: Option<Kopecks>,
    /// Points on the program's first points ledger.
    pub points: Option<i64>,
}

/// The prefix of the flags `flag_set` sets (`flag_prefix` of the action), `""` without one.
fn flag_prefix(p: &StandingProgram) -> &str {
    p.actions
        .iter()
        .find(|a| a.op == "flag_set")
        .and_then(|a| super::super::super::actions::param(a, "flag_prefix"))
        .unwrap_or_default()
}

/// The opening of `partner` in `program` at `from` as effects: the facts as records
/// (partnership since admission, competences, the constant status of every program a
/// `status_at_least` metric names), the competence held (its term items planned after
/// `from`), its bonus balance and points.
///
/// # Errors
/// An unknown level; a notice kind the engine lacks.
#[allow(clippy::too_many_arguments)]
pub fn opening(
    p: &StandingProgram,
    cal: &Calendar,
    tz: Tz,
    program: &str,
    partner: &str,
    o: &OpeningFacts,
    from: DateTime<Utc>,
) -> Result<Effects, Refusal> {
    let r = Rules { p, tz, cal };
    let was = Standing::new(partner, program);
    let mut out = match &o.level {
        Some((level, since)) => {
            let oc = decided::standing_opening(r, partner, program, level, *since, from)
                .map_err(refusal)?;
            let mut e = convert(program, tz, &was, &[], from, oc)?;
            // A new standing is inserted (version 0).
            if let Some(s) = e.standing.as_mut() {
                s.version = 0;
            }
            e
        }
        None => Effects::default(),
    };
    let since = o.admitted_at.unwrap_or(from);
    if o.admitted_at.is_some() {
        out.records
            .push(flag_record(program, partner, PARTNERSHIP_FLAG, since, true));
    }
    for c in &o.competences {
        let flag = format!("{}{c}", flag_prefix(p));
        out.records
            .push(flag_record(program, partner, &flag, since, true));
    }
    if let Some(code) = &o.status {
        let mut named: Vec<&String> = p
            .metrics
            .values()
            .filter(|m| m.metric_type() == Some(MetricType::StatusAtLeast))
            .filter_map(|m| m.program.as_ref())
            .collect();
        named.dedup();
        for other in named {
            out.records
                .push(status_record(program, partner, other, code, since));
        }
    }
    if let (Some(amount), Some(b)) = (o.bonus, p.bonus_ledgers.first()) {
        let credit = LedgerEffect::Credit {
            ledger: b.id.clone(),
            amount,
        };
        out.records
            .extend(ledger_records(program, partner, &[], from, &[credit]));
    }
    if let (Some(points), Some(l)) = (o.points.filter(|n| *n > 0), p.ledgers.first()) {
        out.credits.push(Credit {
            partner: partner.to_string(),
            ledger: l.id.clone(),
            entry_kind: "opening".to_string(),
            points,
            reference: "opening".to_string(),
        });
    }
    Ok(out)
}

/// `flag_set`: the flag `<flag_prefix><value>` is set (`held`, default true) or cleared; the
/// value is the step's field named by the prefix without its trailing `:` (`competence`).
/// Clearing a flag a hard requirement of the held level reads, while the competence is in
/// force, sends the file's `[requirements] lapse_notice` listing that requirement (S§2.4).
///
/// # Errors
/// `invalid_input` naming a missing field.
pub(super) fn flag_set(ctx: &Ctx, a: &Action, f: &Fields) -> Result<Effects, Refusal> {
    let prefix = super::super::super::actions::param(a, "flag_prefix").unwrap_or_default();
    let field = prefix.trim_end_matches(':');
    let field = if field.is_empty() { "flag" } else { field };
    let name = text(f, field)?;
    let held = flag_or(f, "held", true)?;
    let flag = format!("{prefix}{name}");
    let r = Rules {
        p: ctx.program,
        tz: ctx.tz,
        cal: ctx.cal,
    };
    let s = ctx.standing;
    let mut o = Outcome::unchanged(s);
    let was_held = ctx.facts.flags.get(&flag).is_some_and(|spans| {
        spans
            .iter()
            .any(|x| x.since <= ctx.now && x.until.is_none_or(|u| ctx.now < u))
    });
    if let Some(req) = ctx
        .program
        .requirements
        .as_ref()
        .filter(|_| !held && was_held && in_force(s))
    {
        let level = s.code.clone().unwrap_or_default();
        let names = req
            .all
            .iter()
            .chain(req.levels.get(&level).into_iter().flatten());
        let unmet: Vec<String> = names
            .filter(|n| {
                ctx.program
                    .metrics
                    .get(*n)
                    .is_some_and(|m| m.flag.as_deref() == Some(flag.as_str()))
            })
            .cloned()
            .collect();
        if let (Some(kind), false) = (req.lapse_notice.as_deref(), unmet.is_empty()) {
            let mut n = r.notice(ctx.now, kind, Audience::Both);
            n.unmet = unmet;
            o.notices.push(n);
        }
    }
    let mut e = convert(ctx.program_id, ctx.tz, s, ctx.records, ctx.now, o)?;
    e.records.push(flag_record(
        ctx.program_id,
        ctx.partner,
        &flag,
        ctx.now,
        held,
    ));
    e.inputs_changed = true;
    Ok(e)
}
