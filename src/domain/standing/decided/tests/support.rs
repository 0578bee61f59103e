//! Test support for the decided ladder: the shipped KKV file, its zone and calendar, and a
//! small driver that plays steps and fires due items in order, as the scheduler would.

use crate::domain::calendar::Calendar;
use crate::domain::deadline::local_date;
use crate::domain::money::Kopecks;
use crate::domain::program::DomainError;
use crate::domain::standing::metrics::{Facts, FlagSpan, OtherStanding, Record};
use crate::domain::standing::outcome::{Change, LedgerEffect, Notice, Outcome, Planned, Rules};
use crate::domain::standing::Standing;
use crate::domain::workflow::StandingProgram;
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

pub const PROGRAM: &str = "bitrix-kkv-competence";

pub struct Env {
    pub p: StandingProgram,
    pub tz: Tz,
    pub cal: Calendar,
}

impl Env {
    pub fn load() -> Env {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/workflows/bitrix-kkv-competence.toml"
        );
        let text = std::fs::read_to_string(path).expect("the shipped file");
        let wf = crate::catalog::parse_workflow(&text, PROGRAM).expect("parses");
        let cal = Calendar::from_toml(include_str!("../../../../../workflows/calendars/ru.toml"))
            .expect("calendar");
        Env {
            tz: wf.deadline_zone.parse().expect("an IANA zone"),
            p: wf.standing.expect("a partner program"),
            cal,
        }
    }

    pub fn rules(&self) -> Rules<'_> {
        Rules {
            p: &self.p,
            tz: self.tz,
            cal: &self.cal,
        }
    }

    /// A local wall-clock instant in the program's zone.
    pub fn at(&self, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        self.tz
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("unambiguous")
            .with_timezone(&Utc)
    }

    /// `YYYY-MM-DDTHH:MM` local.
    pub fn show(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    }

    /// A partner with `flags` since 2015 and Gold (the Gold metric's own program and code).
    pub fn facts(&self, flags: &[&str]) -> Facts {
        let mut f = Facts::default();
        let since = self.at(2015, 2, 1, 10, 0);
        for (_, def) in self.p.metrics.iter() {
            if let (Some(program), Some(code)) = (&def.program, &def.code) {
                f.other_standings.insert(
                    program.clone(),
                    OtherStanding {
                        code: code.clone(),
                        ladder: vec![code.clone()],
                    },
                );
            }
        }
        for flag in flags {
            f.flags
                .insert(flag.to_string(), vec![FlagSpan { since, until: None }]);
        }
        f
    }

    pub fn record(&self, kind: &str, at: DateTime<Utc>, amount: i64) -> Record {
        Record {
            record: kind.into(),
            date: local_date(self.tz, at),
            at,
            amount,
            reference: None,
            marks: BTreeMap::new(),
        }
    }
}

/// One partner's world in the driver.
#[derive(Default)]
pub struct World {
    pub standing: Option<Standing>,
    pub facts: Facts,
    pub history: Vec<Change>,
    pub bonus: Kopecks,
    pub held: Kopecks,
    pub kkv_points: i64,
}

/// Plays ops and fires due items in (instant, partner order, planning order).
pub struct Driver<'a> {
    pub env: &'a Env,
    pub partners: Vec<String>,
    pub worlds: BTreeMap<String, World>,
    queue: Vec<(DateTime<Utc>, usize, usize, String, Planned)>,
    seq: usize,
    keys: std::collections::BTreeSet<String>,
    /// `at to kind fields` lines, in the order raised.
    pub notices: Vec<String>,
}

impl<'a> Driver<'a> {
    pub fn new(env: &'a Env, partners: &[&str]) -> Driver<'a> {
        Driver {
            env,
            partners: partners.iter().map(|p| p.to_string()).collect(),
            worlds: partners
                .iter()
                .map(|p| (p.to_string(), World::default()))
                .collect(),
            queue: vec![],
            seq: 0,
            keys: Default::default(),
            notices: vec![],
        }
    }

    pub fn world(&mut self, partner: &str) -> &mut World {
        self.worlds.get_mut(partner).expect("a declared partner")
    }

    pub fn standing(&self, partner: &str) -> Standing {
        let w = &self.worlds[partner];
        w.standing
            .clone()
            .unwrap_or_else(|| Standing::new(partner, PROGRAM))
    }

    /// Fires every due item up to `to` (inclusive), in order.
    pub fn advance(&mut self, to: DateTime<Utc>) {
        loop {
            self.queue.sort_by_key(|q| (q.0, q.1, q.2));
            let Some(pos) = self.queue.iter().position(|q| q.0 <= to) else {
                return;
            };
            let (at, _, _, partner, item) = self.queue.remove(pos);
            let s = self.standing(&partner);
            let w = &self.worlds[&partner];
            let mut bonus = BTreeMap::new();
            for b in &self.env.p.bonus_ledgers {
                bonus.insert(b.id.clone(), w.bonus);
            }
            let o =
                crate::domain::standing::decided::fire(self.env.rules(), &s, &bonus, &item.due, at)
                    .expect("fires");
            self.absorb(&partner, o);
        }
    }

    /// Runs an op at `at` after the items due by then; a refusal returns its code.
    pub fn step(
        &mut self,
        partner: &str,
        at: DateTime<Utc>,
        op: impl FnOnce(Rules<'_>, &Standing, &Facts) -> Result<Outcome, DomainError>,
    ) -> Result<(), String> {
        self.advance(at);
        let s = self.standing(partner);
        let facts = self.worlds[partner].facts.clone();
        match op(self.env.rules(), &s, &facts) {
            Ok(o) => {
                self.absorb(partner, o);
                Ok(())
            }
            Err(DomainError::Refused(r)) => Err(r.code_str().to_string()),
            Err(e) => panic!("{e}"),
        }
    }

    pub fn absorb(&mut self, partner: &str, o: Outcome) {
        let idx = self.partners.iter().position(|p| p == partner).unwrap_or(0);
        for n in &o.notices {
            for to in &n.to {
                let who = if to == "partner" {
                    partner
                } else {
                    to.as_str()
                };
                let about = if to == "partner" {
                    String::new()
                } else {
                    format!(" partner={partner}")
                };
                self.notices.push(format!(
                    "{} {who} {}{about}{}",
                    self.env.show(n.at),
                    n.kind,
                    fields(self.env, n)
                ));
            }
        }
        for d in o.due {
            let key = format!("{partner}:{}", d.key());
            if self.keys.insert(key) {
                self.seq += 1;
                self.queue
                    .push((d.at, idx, self.seq, partner.to_string(), d));
            }
        }
        let w = self.world(partner);
        for l in o.ledger {
            match l {
                LedgerEffect::Credit { amount, .. } => w.bonus.0 += amount.0,
                LedgerEffect::Hold { amount, .. } => w.held.0 += amount.0,
                LedgerEffect::ReleaseHeld { .. } => {
                    w.bonus.0 += w.held.0;
                    w.held = Kopecks(0);
                }
                LedgerEffect::DropHeld { .. } => w.held = Kopecks(0),
                LedgerEffect::Spend { amount, .. } | LedgerEffect::Cancel { amount, .. } => {
                    w.bonus.0 -= amount.0
                }
            }
        }
        w.history.extend(o.changes);
        w.standing = Some(o.standing);
    }
}

fn fields(env: &Env, n: &Notice) -> String {
    let mut out = String::new();
    let mut add = |k: &str, v: String| out.push_str(&format!(" {k}={v}"));
    if let Some(r) = &n.review {
        add("review", r.clone());
    }
    if let Some(p) = &n.project {
        add("project", p.clone());
    }
    if let Some(l) = &n.level {
        add("level", l.clone());
    }
    if let Some(d) = n.due {
        add("due", d.to_string());
    }
    if let Some(u) = n.until {
        add("until", env.show(u));
    }
    if let Some(a) = n.amount {
        add("amount", a.to_string());
    }
    if let Some(c) = n.cancel_at {
        add("cancel_at", env.show(c));
    }
    if !n.unmet.is_empty() {
        add("unmet", n.unmet.join(","));
    }
    out
}

/// `at change level/due/amount` lines of a history.
pub fn history(env: &Env, h: &[Change]) -> Vec<String> {
    h.iter()
        .map(|c| {
            let mut s = format!("{} {}", env.show(c.at), c.change.as_str());
            if let Some(l) = &c.level {
                s.push_str(&format!(" {l}"));
            }
            if let Some(d) = c.due {
                s.push_str(&format!(" due={d}"));
            }
            if let Some(a) = c.amount {
                s.push_str(&format!(" amount={a}"));
            }
            s
        })
        .collect()
}
