//! Example 07 (shared/scenarios/07-kkv-competence) played step by step over the shipped
//! `bitrix-kkv-competence.toml`, plus the edges of the decided ladder: decision deadlines,
//! requirements with and without override, renewal outcomes, expiry and bonus cancellation.

mod edges;
mod support;

use super::super::obligations::{obligation_done, obligation_end, obligation_start};
use super::*;
use crate::domain::kinds::NotificationKind;
use crate::domain::money::Kopecks;
use support::{history, Driver, Env, PROGRAM};

const DELIVERY: &str = "kkv_delivery";
const BUNDLE: &str = "kkv_bundle_purchase";

fn rub(r: i64) -> Kopecks {
    Kopecks(r * 100)
}

/// The bundle purchase of example 07: recorded, its bonus credited or held by the standing.
fn bundle(d: &mut Driver<'_>, partner: &str, at: DateTime<Utc>, bonus: i64) {
    let rec = d.env.record(BUNDLE, at, 0);
    let ledger = d.env.p.bonus_ledgers[0].id.clone();
    d.step(partner, at, |r, s, _| {
        let mut o = Outcome::unchanged(s);
        o.ledger
            .extend(bonus_on_purchase(r, s, &ledger, rub(bonus)));
        Ok(o)
    })
    .expect("recorded");
    d.world(partner).facts.records.push(rec);
}

fn spend(d: &mut Driver<'_>, at: DateTime<Utc>, amount: i64, product: &str) -> Result<(), String> {
    let ledger = d.env.p.bonus_ledgers[0].id.clone();
    let balance = d.worlds["k1"].bonus;
    d.step("k1", at, |r, s, _| {
        let e = bonus_spend(r, s, &ledger, product, rub(amount), balance)?;
        let mut o = Outcome::unchanged(s);
        o.ledger.push(e);
        Ok(o)
    })
}

const REPORT: &str = "progress_report";
const REVIEW: &str = "pipeline_review";
const PROJECT: Option<&str> = Some("retail-portal");

#[test]
fn example_07_k1_is_granted_reports_and_renews_k2_expires_and_is_cancelled() {
    let env = Env::load();
    let mut d = Driver::new(&env, &["k1", "k2"]);
    let from = env.at(2026, 2, 26, 10, 0);
    d.world("k1").facts = env.facts(&["partnership"]);
    d.world("k2").facts = env.facts(&["partnership", "competence:sysadmin"]);
    let k2 = standing_opening(
        env.rules(),
        "k2",
        PROGRAM,
        "extended",
        env.at(2025, 6, 1, 12, 0),
        from,
    )
    .expect("opening");
    d.absorb("k2", k2);
    d.world("k2").bonus = rub(80_000);

    d.step("k1", from, |r, s, _| {
        standing_apply(r, s, Some("basic"), false, from)
    })
    .unwrap();
    let t = env.at(2026, 3, 2, 11, 0);
    d.step("k1", t, |r, s, _| standing_documents(r, s, t))
        .unwrap();
    bundle(&mut d, "k1", env.at(2026, 3, 2, 11, 5), 50_000);
    assert_eq!(d.worlds["k1"].held, rub(50_000), "held until the grant");
    let t = env.at(2026, 3, 13, 10, 0);
    d.step("k1", t, |r, s, f| {
        standing_decide(r, s, f, "basic", false, None, t)
    })
    .unwrap();
    let t = env.at(2026, 4, 1, 10, 0);
    d.step("k1", t, |r, s, _| {
        obligation_start(r, s, REPORT, PROJECT, t)
    })
    .unwrap();
    // Step 5: 1 490 000 / 1000 = 1490 KKV points, credited while in force.
    let t = env.at(2026, 5, 12, 12, 0);
    d.advance(t);
    assert!(in_force(&d.standing("k1")));
    d.world("k1").kkv_points += 1_490_000 / 1000;
    let rec = env.record(DELIVERY, t, 1_490_000 * 100);
    d.world("k1").facts.records.push(rec);
    let t = env.at(2026, 5, 25, 10, 0);
    d.step("k1", t, |r, s, _| obligation_done(r, s, REPORT, PROJECT, t))
        .unwrap();
    let refused = spend(&mut d, env.at(2026, 6, 15, 10, 0), 10_000, "renewal");
    assert_eq!(refused.unwrap_err(), "bonus_not_applicable", "step 7");
    let t = env.at(2026, 7, 28, 10, 0);
    d.step("k1", t, |r, s, _| obligation_done(r, s, REPORT, PROJECT, t))
        .unwrap();
    let t = env.at(2026, 9, 1, 10, 0);
    d.step("k1", t, |r, s, _| obligation_end(r, s, REPORT, PROJECT, t))
        .unwrap();
    let t = env.at(2026, 9, 1, 11, 0);
    d.step("k1", t, |r, s, _| obligation_done(r, s, REVIEW, None, t))
        .unwrap();
    spend(&mut d, env.at(2026, 11, 10, 10, 0), 30_000, "enterprise").unwrap();
    let t = env.at(2027, 2, 15, 10, 0);
    d.step("k1", t, |r, s, _| obligation_done(r, s, REVIEW, None, t))
        .unwrap();
    bundle(&mut d, "k1", env.at(2027, 2, 19, 10, 0), 50_000);
    let t = env.at(2027, 2, 19, 10, 5);
    d.step("k1", t, |r, s, _| {
        standing_renewal_request(r, s, true, &[], t)
    })
    .unwrap();
    let t = env.at(2027, 3, 2, 12, 0);
    d.step("k1", t, |r, s, f| {
        standing_decide(r, s, f, "basic", false, None, t)
    })
    .unwrap();
    d.advance(env.at(2027, 3, 20, 0, 0));
    check_07(&env, &d);
}

fn check_07(env: &Env, d: &Driver<'_>) {
    let k1 = d.standing("k1");
    assert_eq!(k1.state, StandingState::Active);
    assert_eq!(k1.code.as_deref(), Some("basic"));
    assert_eq!(env.show(k1.since.unwrap()), "2026-03-13T10:00");
    assert_eq!(env.show(k1.until.unwrap()), "2028-03-14T00:00");
    assert_eq!(d.worlds["k1"].kkv_points, 1490);
    assert_eq!(d.worlds["k1"].bonus.to_string(), "70000.00");
    let late: Vec<String> = k1
        .overdue
        .iter()
        .map(|o| {
            format!(
                "{} {:?} {} {:?}",
                o.kind,
                o.project,
                o.due,
                o.done_at.map(|x| env.show(x))
            )
        })
        .collect();
    assert_eq!(
        late,
        vec![r#"progress_report Some("retail-portal") 2026-07-25 Some("2026-07-28T10:00")"#]
    );
    assert_eq!(
        history(env, &d.worlds["k1"].history),
        vec![
            "2026-02-26T10:00 applied basic",
            "2026-03-02T11:00 package_complete due=2026-03-12",
            "2026-03-13T10:00 granted basic",
            "2027-02-19T10:05 renewal_requested due=2027-03-03",
            "2027-03-02T12:00 renewed basic",
        ]
    );
    let k2 = d.standing("k2");
    assert_eq!(k2.state, StandingState::Cancelled);
    assert_eq!(k2.code.as_deref(), Some("extended"));
    assert_eq!(env.show(k2.since.unwrap()), "2025-06-01T12:00");
    assert_eq!(env.show(k2.until.unwrap()), "2026-06-02T00:00");
    assert_eq!(d.worlds["k2"].bonus, Kopecks(0));
    assert!(k2.overdue.is_empty());
    assert_eq!(
        history(env, &d.worlds["k2"].history),
        vec![
            "2025-06-01T12:00 granted extended",
            "2026-06-02T00:00 expired extended",
            "2026-08-02T00:00 bonuses_cancelled amount=80000.00",
            "2026-08-02T00:00 cancelled",
        ]
    );
    let review_due = NotificationKind::ReviewDue.as_str();
    let expected = vec![
        format!("2026-03-13T00:00 coordinator {review_due} partner=k1 review=kkv_application due=2026-03-12"),
        "2026-03-13T10:00 k1 kkv_granted level=basic until=2027-03-14T00:00".into(),
        "2026-05-02T09:00 k2 kkv_renewal_reminder due=2026-05-18".into(),
        "2026-05-13T09:00 k2 kkv_renewal_reminder due=2026-05-18".into(),
        "2026-05-18T09:00 k2 kkv_renewal_reminder due=2026-05-18".into(),
        "2026-05-19T00:00 k2 kkv_renewal_missing until=2026-06-02T00:00".into(),
        "2026-05-19T00:00 coordinator kkv_renewal_missing partner=k2 until=2026-06-02T00:00".into(),
        "2026-06-02T00:00 k2 kkv_expired level=extended".into(),
        "2026-06-02T00:00 coordinator kkv_expired partner=k2 level=extended".into(),
        "2026-07-19T09:00 k2 kkv_bonus_cancellation_warning amount=80000.00 cancel_at=2026-08-02T00:00".into(),
        "2026-07-22T09:00 k1 kkv_report_reminder project=retail-portal due=2026-07-25".into(),
        "2026-07-25T09:00 k1 kkv_report_reminder project=retail-portal due=2026-07-25".into(),
        "2026-07-26T00:00 k1 kkv_report_overdue project=retail-portal due=2026-07-25".into(),
        "2026-07-26T00:00 coordinator kkv_report_overdue partner=k1 project=retail-portal due=2026-07-25".into(),
        "2026-08-02T00:00 k2 kkv_bonuses_cancelled amount=80000.00".into(),
        "2026-08-02T00:00 k2 kkv_cancelled".into(),
        "2026-08-02T00:00 coordinator kkv_cancelled partner=k2".into(),
        "2027-02-11T09:00 k1 kkv_renewal_reminder due=2027-02-27".into(),
        "2027-03-02T12:00 k1 kkv_renewed level=basic until=2028-03-14T00:00".into(),
    ];
    assert_eq!(d.notices, expected, "{:#?}", d.notices);
}
