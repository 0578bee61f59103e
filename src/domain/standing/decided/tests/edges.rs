//! Edges of the decided ladder over the shipped KKV file: decision deadlines, requirements with
//! and without override, renewal outcomes (on time, pending past `until`, late, downgraded,
//! cancelled), bonus hold, loss and cancellation.

use super::support::{history, Driver, Env};
use super::{rub, BUNDLE, DELIVERY};
use crate::domain::kinds::NotificationKind;
use crate::domain::standing::decided::*;
use crate::domain::standing::outcome::Outcome;
use crate::domain::standing::StandingState;
use chrono::{DateTime, Utc};

/// A partner granted `level` at `at` (complete package at once), with a delivery and a bundle
/// purchase in the term, so a renewal meets every hard requirement.
fn granted<'a>(env: &'a Env, level: &str, at: DateTime<Utc>, flags: &[&str]) -> Driver<'a> {
    let mut d = Driver::new(env, &["p"]);
    d.world("p").facts = env.facts(flags);
    d.step("p", at, |r, s, _| {
        standing_apply(r, s, Some(level), true, at)
    })
    .unwrap();
    d.step("p", at, |r, s, f| {
        standing_decide(r, s, f, level, false, None, at)
    })
    .unwrap();
    let later = at + chrono::Duration::days(30);
    d.world("p")
        .facts
        .records
        .push(env.record(DELIVERY, later, 10_000_000));
    d.world("p")
        .facts
        .records
        .push(env.record(BUNDLE, later, 0));
    d
}

fn decide(d: &mut Driver<'_>, at: DateTime<Utc>, level: &str, over: bool) -> Result<(), String> {
    d.step("p", at, |r, s, f| {
        standing_decide(r, s, f, level, over, None, at)
    })
}

fn renew_request(d: &mut Driver<'_>, at: DateTime<Utc>) {
    d.step("p", at, |r, s, _| {
        standing_renewal_request(r, s, true, &[], at)
    })
    .unwrap();
}

#[test]
fn decision_due_skips_the_transferred_day_off_and_review_due_fires_only_when_late() {
    let env = Env::load();
    let mut d = Driver::new(&env, &["p"]);
    d.world("p").facts = env.facts(&["partnership"]);
    let t = env.at(2026, 3, 2, 11, 0);
    d.step("p", t, |r, s, _| standing_apply(r, s, None, true, t))
        .unwrap();
    assert_eq!(
        history(&env, &d.worlds["p"].history),
        vec!["2026-03-02T11:00 applied basic due=2026-03-12"]
    );
    // Decided on the last minute of the due day: no `review_due`.
    let t = env.at(2026, 3, 12, 23, 59);
    decide(&mut d, t, "basic", false).unwrap();
    d.advance(env.at(2026, 3, 14, 0, 0));
    let review_due = NotificationKind::ReviewDue.as_str();
    assert!(
        !d.notices.iter().any(|n| n.contains(review_due)),
        "{:#?}",
        d.notices
    );
}

#[test]
fn requested_documents_restart_the_seven_working_days() {
    let env = Env::load();
    let mut d = Driver::new(&env, &["p"]);
    d.world("p").facts = env.facts(&["partnership"]);
    let t = env.at(2026, 3, 2, 11, 0);
    d.step("p", t, |r, s, _| standing_apply(r, s, None, true, t))
        .unwrap();
    let t = env.at(2026, 3, 5, 10, 0);
    d.step("p", t, |r, s, _| {
        standing_request_documents(r, s, Some("устав"), t)
    })
    .unwrap();
    assert_eq!(
        d.notices,
        vec!["2026-03-05T10:00 p kkv_documents_requested"]
    );
    let t = env.at(2026, 3, 10, 10, 0);
    d.step("p", t, |r, s, _| standing_documents(r, s, t))
        .unwrap();
    d.advance(env.at(2026, 3, 21, 0, 0));
    let review_due = NotificationKind::ReviewDue.as_str();
    let alerts: Vec<&String> = d
        .notices
        .iter()
        .filter(|n| n.contains(review_due))
        .collect();
    // 7 working days after Tue 03-10: 11, 12, 13, 16, 17, 18, 19; the old due (03-12) is void.
    assert_eq!(
        alerts,
        vec![&format!("2026-03-20T00:00 coordinator {review_due} partner=p review=kkv_application due=2026-03-19")]
    );
    // Documents again while complete: nothing waits for them.
    let t = env.at(2026, 3, 21, 10, 0);
    assert_eq!(
        d.step("p", t, |r, s, _| standing_documents(r, s, t))
            .unwrap_err(),
        "invalid_state"
    );
}

#[test]
fn a_refused_first_application_loses_the_held_bonus_and_may_apply_again() {
    let env = Env::load();
    let mut d = Driver::new(&env, &["p"]);
    d.world("p").facts = env.facts(&["partnership"]);
    let t = env.at(2026, 3, 2, 11, 0);
    d.step("p", t, |r, s, _| standing_apply(r, s, None, true, t))
        .unwrap();
    assert_eq!(
        d.step("p", t, |r, s, _| standing_apply(r, s, None, true, t))
            .unwrap_err(),
        "invalid_state"
    );
    let ledger = env.p.bonus_ledgers[0].id.clone();
    d.step("p", t, |r, s, _| {
        let mut o = Outcome::unchanged(s);
        o.ledger
            .extend(bonus_on_purchase(r, s, &ledger, rub(50_000)));
        Ok(o)
    })
    .unwrap();
    let t = env.at(2026, 3, 4, 11, 0);
    decide(&mut d, t, NONE_LEVEL, false).unwrap();
    assert_eq!((d.worlds["p"].held, d.worlds["p"].bonus), (rub(0), rub(0)));
    assert_eq!(d.standing("p").state, StandingState::NotAdmitted);
    assert!(d
        .notices
        .contains(&"2026-03-04T11:00 p kkv_refused".to_string()));
    assert!(d
        .notices
        .contains(&"2026-03-04T11:00 coordinator kkv_refused partner=p".to_string()));
    let t = env.at(2026, 3, 5, 11, 0);
    d.step("p", t, |r, s, _| standing_apply(r, s, None, true, t))
        .unwrap();
}

#[test]
fn gold_is_required_at_the_grant_unless_overridden() {
    let env = Env::load();
    let mut d = Driver::new(&env, &["p"]);
    d.world("p").facts = env.facts(&["partnership"]);
    d.world("p").facts.other_standings.clear();
    let t = env.at(2026, 3, 2, 11, 0);
    d.step("p", t, |r, s, _| standing_apply(r, s, None, true, t))
        .unwrap();
    assert_eq!(
        decide(&mut d, t, "basic", false).unwrap_err(),
        "kkv_requirements_unmet"
    );
    decide(&mut d, t, "basic", true).unwrap();
    let h = &d.worlds["p"].history;
    let last = h.last().unwrap();
    assert_eq!(
        (last.overridden, last.unmet.clone()),
        (true, vec!["gold_status".to_string()])
    );
}

#[test]
fn an_upgrade_keeps_until_and_needs_the_sysadmin_competence() {
    let env = Env::load();
    let g = env.at(2026, 3, 2, 11, 0);
    let mut d = granted(&env, "basic", g, &["partnership"]);
    let until = d.standing("p").until;
    let t = env.at(2026, 6, 1, 10, 0);
    d.step("p", t, |r, s, _| {
        standing_apply(r, s, Some("extended"), true, t)
    })
    .unwrap();
    let err = decide(&mut d, t, "extended", false).unwrap_err();
    assert_eq!(err, "kkv_requirements_unmet");
    d.world("p").facts = env.facts(&["partnership", "competence:sysadmin"]);
    decide(&mut d, t, "extended", false).unwrap();
    let s = d.standing("p");
    assert_eq!(
        (s.code.as_deref(), s.until, s.state),
        (Some("extended"), until, StandingState::Active)
    );
    assert!(d
        .notices
        .iter()
        .any(|n| n.starts_with("2026-06-01T10:00 p kkv_upgraded level=extended")));
}

#[test]
fn an_on_time_request_undecided_at_until_keeps_the_competence_in_force() {
    let env = Env::load();
    let mut d = granted(&env, "basic", env.at(2026, 3, 2, 11, 0), &["partnership"]);
    let until = d.standing("p").until.unwrap();
    assert_eq!(env.show(until), "2027-03-03T00:00");
    renew_request(&mut d, env.at(2027, 2, 10, 10, 0));
    d.advance(env.at(2027, 3, 10, 0, 0));
    let s = d.standing("p");
    assert_eq!(s.state, StandingState::RenewalPending);
    assert!(in_force(&s));
    assert!(
        !d.notices
            .iter()
            .any(|n| n.contains(NotificationKind::KkvExpired.as_str())),
        "{:#?}",
        d.notices
    );
    // Decided after `until`: at once, old until + 12 months.
    decide(&mut d, env.at(2027, 3, 10, 12, 0), "basic", false).unwrap();
    let s = d.standing("p");
    assert_eq!(
        (s.state, env.show(s.until.unwrap())),
        (StandingState::Active, "2028-03-03T00:00".into())
    );
    assert_eq!(s.renewals, 1);
}

#[test]
fn a_late_renewal_after_expiry_restores_the_old_until_plus_a_year() {
    let env = Env::load();
    let mut d = granted(&env, "basic", env.at(2026, 3, 2, 11, 0), &["partnership"]);
    d.world("p").bonus = rub(20_000);
    d.advance(env.at(2027, 3, 3, 0, 0));
    assert_eq!(d.standing("p").state, StandingState::Expired);
    // Late: after the deadline and after `until`.
    renew_request(&mut d, env.at(2027, 3, 20, 10, 0));
    assert!(d.standing("p").decision.as_ref().unwrap().late);
    decide(&mut d, env.at(2027, 3, 25, 10, 0), "basic", false).unwrap();
    let s = d.standing("p");
    assert_eq!(
        (s.state, env.show(s.until.unwrap())),
        (StandingState::Active, "2028-03-03T00:00".into())
    );
    // Regained within two months: the bonuses survive the 05-03 cancellation date.
    d.advance(env.at(2027, 5, 4, 0, 0));
    assert_eq!(d.worlds["p"].bonus, rub(20_000));
    let lines = history(&env, &d.worlds["p"].history);
    assert_eq!(
        lines[lines.len() - 3..],
        [
            "2027-03-03T00:00 expired basic",
            "2027-03-20T10:00 renewal_requested due=2027-03-30",
            "2027-03-25T10:00 renewed basic"
        ]
    );
}

#[test]
fn a_late_request_before_until_does_not_keep_the_competence_in_force() {
    let env = Env::load();
    let mut d = granted(&env, "basic", env.at(2026, 3, 2, 11, 0), &["partnership"]);
    // Deadline 2027-03-02 − 14 = 2027-02-16; asked on 02-25.
    renew_request(&mut d, env.at(2027, 2, 25, 10, 0));
    d.advance(env.at(2027, 3, 3, 0, 0));
    assert_eq!(d.standing("p").state, StandingState::Expired);
    assert!(d
        .notices
        .iter()
        .any(|n| n.starts_with("2027-02-17T00:00 p kkv_renewal_missing")));
}

#[test]
fn a_renewal_breaking_a_hard_requirement_is_refused_unless_overridden() {
    let env = Env::load();
    let mut d = granted(&env, "basic", env.at(2026, 3, 2, 11, 0), &["partnership"]);
    d.world("p").facts.records.retain(|r| r.record != DELIVERY);
    renew_request(&mut d, env.at(2027, 2, 10, 10, 0));
    let t = env.at(2027, 2, 12, 10, 0);
    assert_eq!(
        decide(&mut d, t, "basic", false).unwrap_err(),
        "kkv_requirements_unmet"
    );
    assert!(d.standing("p").decision.is_some(), "still pending");
    decide(&mut d, t, "basic", true).unwrap();
    let last = d.worlds["p"].history.last().cloned().unwrap();
    assert_eq!(
        (last.overridden, last.unmet),
        (true, vec!["enterprise_delivery".to_string()])
    );
    // Decided early: in effect at `until`.
    assert_eq!(env.show(d.standing("p").until.unwrap()), "2027-03-03T00:00");
    d.advance(env.at(2027, 3, 3, 0, 0));
    assert_eq!(env.show(d.standing("p").until.unwrap()), "2028-03-03T00:00");
}

#[test]
fn a_maximum_partner_not_confirmed_falls_to_the_highest_level_confirmed_at_until() {
    let env = Env::load();
    let flags = ["partnership", "competence:sysadmin"];
    let mut d = granted(&env, "maximum", env.at(2026, 3, 2, 11, 0), &flags);
    renew_request(&mut d, env.at(2027, 2, 10, 10, 0));
    d.world("p").facts = {
        let mut f = env.facts(&["partnership"]);
        f.records = d.worlds["p"].facts.records.clone();
        f
    };
    let t = env.at(2027, 2, 12, 10, 0);
    assert_eq!(
        decide(&mut d, t, "extended", false).unwrap_err(),
        "kkv_requirements_unmet"
    );
    decide(&mut d, t, "basic", false).unwrap();
    assert_eq!(
        d.standing("p").code.as_deref(),
        Some("maximum"),
        "the old level until `until`"
    );
    assert!(d.notices.contains(
        &"2027-02-12T10:00 coordinator kkv_downgraded partner=p level=basic until=2028-03-03T00:00"
            .to_string()
    ));
    d.advance(env.at(2027, 3, 3, 0, 0));
    let s = d.standing("p");
    assert_eq!(s.code.as_deref(), Some("basic"));
    assert_eq!(
        (env.show(s.since.unwrap()), env.show(s.until.unwrap())),
        ("2027-03-03T00:00".into(), "2028-03-03T00:00".into())
    );
    assert_eq!(
        history(&env, &d.worlds["p"].history).last().unwrap(),
        "2027-02-12T10:00 downgraded basic"
    );
}

#[test]
fn a_renewal_not_confirmed_cancels_at_until_and_the_bonuses_two_months_later() {
    let env = Env::load();
    let mut d = granted(&env, "basic", env.at(2026, 3, 2, 11, 0), &["partnership"]);
    d.world("p").bonus = rub(5_000);
    renew_request(&mut d, env.at(2027, 2, 10, 10, 0));
    decide(&mut d, env.at(2027, 2, 12, 10, 0), NONE_LEVEL, false).unwrap();
    assert_eq!(
        d.standing("p").state,
        StandingState::Active,
        "in force until `until`"
    );
    d.advance(env.at(2027, 3, 3, 0, 0));
    assert_eq!(d.standing("p").state, StandingState::Cancelled);
    d.advance(env.at(2027, 5, 2, 23, 59));
    assert_eq!(d.worlds["p"].bonus, rub(5_000));
    d.advance(env.at(2027, 5, 3, 0, 0));
    assert_eq!(d.worlds["p"].bonus, rub(0));
    let tail: Vec<&String> = d.notices.iter().filter(|n| n.contains("bonus")).collect();
    assert_eq!(
        tail,
        vec![
            "2027-04-19T09:00 p kkv_bonus_cancellation_warning amount=5000.00 cancel_at=2027-05-03T00:00",
            "2027-05-03T00:00 p kkv_bonuses_cancelled amount=5000.00",
        ]
    );
}

#[test]
fn a_request_pending_at_the_cancellation_date_moves_it_to_a_negative_decision() {
    let env = Env::load();
    let mut d = granted(&env, "basic", env.at(2026, 3, 2, 11, 0), &["partnership"]);
    d.world("p").bonus = rub(7_000);
    d.advance(env.at(2027, 3, 3, 0, 0));
    renew_request(&mut d, env.at(2027, 4, 20, 10, 0));
    d.advance(env.at(2027, 5, 10, 0, 0));
    assert_eq!(
        (d.standing("p").state, d.worlds["p"].bonus),
        (StandingState::Expired, rub(7_000))
    );
    decide(&mut d, env.at(2027, 5, 10, 10, 0), NONE_LEVEL, false).unwrap();
    d.advance(env.at(2027, 5, 10, 10, 0));
    assert_eq!(
        (d.standing("p").state, d.worlds["p"].bonus),
        (StandingState::Cancelled, rub(0))
    );
    let t = env.at(2027, 5, 11, 10, 0);
    let err = d
        .step("p", t, |r, s, _| {
            standing_renewal_request(r, s, true, &[], t)
        })
        .unwrap_err();
    assert_eq!(
        err, "invalid_state",
        "only a new application brings it back"
    );
}

#[test]
fn a_revoked_competence_refuses_a_new_application_with_the_sanction_code() {
    let env = Env::load();
    let mut d = granted(&env, "basic", env.at(2026, 3, 2, 11, 0), &["partnership"]);
    d.world("p").standing.as_mut().unwrap().state = StandingState::Revoked;
    let t = env.at(2026, 5, 1, 10, 0);
    let err = d
        .step("p", t, |r, s, _| standing_apply(r, s, None, true, t))
        .unwrap_err();
    assert_eq!(err, "kkv_revoked");
}
