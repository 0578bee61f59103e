//! The decided-ladder ops through `actions::decide` and its items through [`super::fire`]:
//! the first steps of example 07 for k1, as the service and the scheduler book them.

use super::super::super::actions::{decide, ActionRecord, Ctx, Effects, Fields};
use super::super::super::metrics::{Facts, OtherStanding};
use super::super::super::outcome::StandingDue;
use super::super::super::{Standing, StandingState};
use super::{balances, fire};
use crate::domain::kinds::NotificationKind;
use crate::domain::money::Kopecks;
use crate::domain::program::Refusal;
use crate::domain::schedule::{DueItem, DueKind};
use crate::domain::workflow::StandingProgram;
use chrono::{DateTime, FixedOffset, TimeZone, Utc};

const PROGRAM: &str = "bitrix-kkv-competence";

fn program() -> (crate::domain::Program, StandingProgram) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/workflows");
    let cat = crate::catalog::Catalog::open(dir).unwrap();
    let prog = cat
        .load_file(std::path::Path::new(&format!("{dir}/{PROGRAM}.toml")))
        .unwrap();
    let sp = prog.wf.standing.clone().unwrap();
    (prog, sp)
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(3 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// k1's world: its standing, records and the due items planned so far.
struct World {
    prog: crate::domain::Program,
    p: StandingProgram,
    s: Standing,
    records: Vec<ActionRecord>,
    due: Vec<DueItem>,
    facts: Facts,
}

impl World {
    fn new() -> World {
        let (prog, p) = program();
        let mut facts = Facts::default();
        facts.other_standings.insert(
            "bitrix-partner-status".into(),
            OtherStanding {
                code: "gold_certified_partner".into(),
                ladder: vec!["gold_certified_partner".into()],
            },
        );
        World {
            prog,
            p,
            s: Standing::new("k1", PROGRAM),
            records: vec![],
            due: vec![],
            facts,
        }
    }

    fn absorb(&mut self, e: Effects) -> Effects {
        if let Some(s) = &e.standing {
            assert_eq!(s.version, self.s.version, "written at the version read");
            self.s = s.clone();
            self.s.version += 1;
        }
        self.records.extend(e.records.iter().cloned());
        self.due.extend(e.due.iter().cloned());
        e
    }

    fn step(
        &mut self,
        now: DateTime<Utc>,
        act: &str,
        f: serde_json::Value,
    ) -> Result<Effects, Refusal> {
        let fields: Fields = serde_json::from_value(f).unwrap();
        let ctx = Ctx {
            program_id: PROGRAM,
            program: &self.p,
            cal: &self.prog.cal,
            tz: self.prog.tz,
            partner: "k1",
            standing: &self.s,
            staff: &[],
            records: &self.records,
            facts: &self.facts,
            now,
        };
        let e = decide(&ctx, act, &fields)?;
        Ok(self.absorb(e))
    }

    /// Fires the first planned item of `pick` kind.
    fn fire(&mut self, pick: impl Fn(&StandingDue) -> bool) -> (DateTime<Utc>, Effects) {
        let i = self
            .due
            .iter()
            .position(|d| matches!(&d.kind, DueKind::Decided { due } if pick(due)))
            .expect("planned");
        let item = self.due.remove(i);
        let (prog, p) = (&self.prog, &self.p);
        let e = fire(
            p,
            &prog.cal,
            prog.tz,
            PROGRAM,
            &self.s,
            &self.records,
            &item,
        )
        .unwrap();
        (item.at, self.absorb(e))
    }
}

#[test]
fn kkv_ops_run_through_decide_and_their_items_fire_like_example_07() {
    let mut w = World::new();
    let e = w
        .step(
            at(2026, 2, 26, 10, 0),
            "kkv_apply",
            serde_json::json!({"level": "basic", "complete": false}),
        )
        .expect("applied without an admission of its own");
    assert_eq!(e.standing.unwrap().state, StandingState::Applied);
    let e = w
        .step(
            at(2026, 3, 2, 11, 0),
            "kkv_documents",
            serde_json::json!({}),
        )
        .unwrap();
    let h = &e.standing.unwrap().history;
    assert_eq!(
        (
            h[0].change.as_str(),
            h[1].change.as_str(),
            h[1].due.map(|d| d.to_string())
        ),
        (
            "applied",
            "package_complete",
            Some("2026-03-12".to_string())
        )
    );
    w.step(
        at(2026, 3, 2, 11, 5),
        "kkv_bundle_purchase",
        serde_json::json!({"bonus": 50000}),
    )
    .unwrap();
    assert_eq!(
        balances(&w.records, "kkv_bonus"),
        (Kopecks(0), Kopecks(5_000_000)),
        "held"
    );

    let (when, e) = w.fire(|d| matches!(d, StandingDue::VendorDeadline { .. }));
    assert_eq!(when, at(2026, 3, 13, 0, 0));
    assert_eq!(e.notices[0].kind, NotificationKind::ReviewDue);
    assert_eq!(e.notices[0].data["due"], "2026-03-12");

    let e = w
        .step(
            at(2026, 3, 13, 10, 0),
            "kkv_decide",
            serde_json::json!({"level": "basic"}),
        )
        .unwrap();
    let granted = e
        .notices
        .iter()
        .find(|n| n.kind == NotificationKind::KkvGranted)
        .unwrap();
    assert_eq!(granted.data["until"], "2027-03-14T00:00:00+03:00");
    assert_eq!(w.s.state, StandingState::Active);
    assert_eq!(
        balances(&w.records, "kkv_bonus"),
        (Kopecks(5_000_000), Kopecks(0)),
        "released"
    );
    delivery_and_spending(&mut w);
}

/// Example 07 steps 5, 7 and 11 on a granted k1 with 50 000 RUB of bonus.
fn delivery_and_spending(w: &mut World) {
    let e = w
        .step(
            at(2026, 5, 12, 12, 0),
            "kkv_delivery",
            serde_json::json!({"amount": 1_490_000}),
        )
        .unwrap();
    assert_eq!(e.credits[0].points, 1490);
    assert_eq!(e.records.last().unwrap().kind, "kkv_delivery");

    let refused = w
        .step(
            at(2026, 6, 15, 10, 0),
            "kkv_bonus_spend",
            serde_json::json!({"amount": 10000, "product": "renewal"}),
        )
        .expect_err("bonuses never pay renewals");
    assert_eq!(refused.code_str(), "bonus_not_applicable");
    w.step(
        at(2026, 11, 10, 10, 0),
        "kkv_bonus_spend",
        serde_json::json!({"amount": 30000, "product": "enterprise"}),
    )
    .unwrap();
    assert_eq!(balances(&w.records, "kkv_bonus").0, Kopecks(2_000_000));
}

#[test]
fn a_project_report_is_planned_reminded_and_overdue() {
    let mut w = World::new();
    w.step(
        at(2026, 2, 26, 10, 0),
        "kkv_apply",
        serde_json::json!({"level": "basic"}),
    )
    .unwrap();
    w.step(
        at(2026, 3, 13, 10, 0),
        "kkv_decide",
        serde_json::json!({"level": "basic"}),
    )
    .unwrap();
    w.step(
        at(2026, 4, 1, 10, 0),
        "kkv_project_start",
        serde_json::json!({"project": "retail-portal"}),
    )
    .unwrap();
    let (when, e) = w.fire(|d| {
        matches!(d, StandingDue::ObligationOverdue { obligation, .. } if obligation == "progress_report")
    });
    assert_eq!(when, at(2026, 6, 2, 0, 0));
    let n = e
        .notices
        .iter()
        .find(|n| n.kind == NotificationKind::KkvReportOverdue)
        .expect("overdue told");
    assert_eq!(
        (n.data["project"].as_str(), n.loss),
        (Some("retail-portal"), true)
    );
    assert_eq!(w.s.overdue.len(), 1);
}
