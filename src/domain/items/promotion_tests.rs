//! B4: the promotion spans of example 04 (design §5.1), a blackout over a window's end and over
//! its start, a repeat inside and after the window, and a withdrawal freeing a pool slot.

use super::apply::{self, ApprovalTerms};
use super::details::Span;
use super::promotion::{fire as fire_promotion, plan as plan_promotion, pool, recompute};
use super::test_support::*;
use crate::domain::program::Program;
use crate::domain::schedule::{fire, plan, DueKind};
use crate::domain::seminar::{Seminar, SeminarState};
use crate::domain::workflow::Effect;
use chrono::NaiveDate;

/// Runs every promotion day planned for the partner's items from `from` through `to`,
/// re-planning after each (as the scheduler does).
fn run(prog: &Program, items: &mut [Seminar], from: &str, to: &str) {
    let mut after = msk(&format!("{from}T00:00"));
    let end = msk(&format!("{to}T23:59"));
    loop {
        let next = plan_promotion(prog, "p1", items, after)
            .into_iter()
            .find(|i| i.at <= end);
        let Some(item) = next else { break };
        let out = fire_promotion(prog, items, &item);
        merged(items, &out);
        after = item.at;
    }
}

fn span(from: &str, to: &str) -> Option<Span> {
    Some(Span {
        from: d(from),
        to: d(to),
    })
}

/// Example 04: e1 seminar 05-17, e2 webinar 05-18, e3 sector seminar 05-24.
fn example_04(prog: &Program) -> Vec<Seminar> {
    let e1 = approved(
        prog,
        "e1",
        &app("seminar", "site", "Тула", "2017-05-17"),
        "2017-04-20T10:00",
        "2017-04-21T10:00",
    );
    let e2 = approved(
        prog,
        "e2",
        &app("webinar", "site", "", "2017-05-18"),
        "2017-04-24T10:00",
        "2017-04-25T10:00",
    );
    let e3 = approved(
        prog,
        "e3",
        &app("seminar", "sector", "Тула", "2017-05-24"),
        "2017-04-26T10:00",
        "2017-04-27T10:00",
    );
    vec![
        submitted(e1, "promo", "2017-05-02T12:00", true),
        submitted(e2, "promo", "2017-04-28T12:00", true),
        submitted(e3, "promo", "2017-05-04T12:00", true),
    ]
}

#[test]
fn example_04_shows_the_two_nearest_and_delays_the_third() {
    let prog = events();
    let mut items = example_04(&prog);
    run(&prog, &mut items, "2017-05-01", "2017-05-31");
    assert_eq!(items[0].item.promotion, span("2017-05-03", "2017-05-17"));
    assert_eq!(items[1].item.promotion, span("2017-05-04", "2017-05-18"));
    assert_eq!(items[2].item.promotion, span("2017-05-18", "2017-05-24"));
    let c = &items[2].item.consequences;
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].code, "promotion_limit_reached");
    assert_eq!(c[0].effects, [Effect::PromotionDelayed]);
    assert_eq!(c[0].at, msk("2017-05-10T00:00"));
    assert_eq!(c[0].from, Some(d("2017-05-18")));
    assert!(items.iter().all(|s| s.info_support));
    assert!(items[0].item.consequences.is_empty() && items[1].item.consequences.is_empty());
}

#[test]
fn the_pool_on_one_day_orders_by_date_then_application() {
    let prog = events();
    let items = example_04(&prog);
    let p = prog.wf.promotion.as_ref().unwrap();
    let (shown, held) = pool(p, &items, d("2017-05-10"));
    assert_eq!(
        (shown, held),
        (vec!["e1".to_string(), "e2".into()], vec!["e3".to_string()])
    );
    let (shown, held) = pool(p, &items, d("2017-05-18"));
    assert_eq!((shown, held), (vec!["e2".to_string(), "e3".into()], vec![]));
}

#[test]
fn a_withdrawal_frees_a_slot_the_same_day() {
    let prog = events();
    let mut items = example_04(&prog);
    run(&prog, &mut items, "2017-05-01", "2017-05-11");
    assert_eq!(items[2].item.promotion, None);
    items[0].state = SeminarState::Withdrawn;
    // The service recomputes at the command (12:00 on 05-12).
    let out = recompute(&prog, &items, d("2017-05-12"));
    merged(&mut items, &out);
    run(&prog, &mut items, "2017-05-12", "2017-05-31");
    assert_eq!(items[0].item.promotion, span("2017-05-03", "2017-05-11"));
    assert_eq!(items[2].item.promotion, span("2017-05-12", "2017-05-24"));
    assert_eq!(items[2].item.consequences[0].from, Some(d("2017-05-12")));
}

#[test]
fn an_item_never_shown_by_its_date_loses_the_support() {
    let prog = events();
    let mut items = example_04(&prog);
    // A fourth, nearer pair keeps e3 out until its date.
    let extra = |id: &str, date: &str| {
        let s = approved(
            &prog,
            id,
            &app("breakfast", "site", "Тула", date),
            "2017-04-10T10:00",
            "2017-04-11T10:00",
        );
        submitted(s, "promo", "2017-04-12T10:00", true)
    };
    items[0] = extra("x1", "2017-05-24");
    items[1] = extra("x2", "2017-05-24");
    run(&prog, &mut items, "2017-05-01", "2017-05-31");
    let e3 = &items[2];
    assert_eq!(e3.item.promotion, None);
    assert_eq!(e3.item.consequences[0].effects, [Effect::NoInfoSupport]);
    assert!(!e3.info_support);
}

#[test]
fn an_event_dated_inside_a_blackout_gets_no_info_support_even_if_its_window_starts_before() {
    let prog = events();
    // Window 03-06 … 03-20; blackout from 03-13: the event day itself is blacked out
    // (E§4.5 Decision "blackouts": an event dated inside one gets `info_support_blackout`).
    let s = approved(
        &prog,
        "b1",
        &app("seminar", "site", "Тула", "2017-03-20"),
        "2017-02-01T10:00",
        "2017-02-02T10:00",
    );
    assert_eq!(s.item.consequences.len(), 1);
    assert_eq!(s.item.consequences[0].code, "info_support_blackout");
    assert_eq!(s.item.consequences[0].effects, [Effect::NoInfoSupport]);
    let mut items = vec![submitted(s, "promo", "2017-02-10T10:00", true)];
    run(&prog, &mut items, "2017-02-10", "2017-03-31");
    assert_eq!(items[0].item.promotion, None);
    assert!(!items[0].info_support);
}

#[test]
fn a_blackout_over_the_window_start_delays_and_over_all_of_it_refuses_support() {
    let prog = events();
    // Window 03-31 … 04-14: blacked out until 04-08 → shown from 04-09.
    let s = approved(
        &prog,
        "b2",
        &app("seminar", "site", "Тула", "2017-04-14"),
        "2017-02-01T10:00",
        "2017-02-02T10:00",
    );
    let c = &s.item.consequences[0];
    assert_eq!(
        (c.code.as_str(), c.from),
        ("info_support_blackout", Some(d("2017-04-09")))
    );
    assert_eq!(c.effects, [Effect::PromotionDelayed]);
    let mut items = vec![submitted(s, "promo", "2017-02-10T10:00", true)];
    run(&prog, &mut items, "2017-02-10", "2017-04-30");
    assert_eq!(items[0].item.promotion, span("2017-04-09", "2017-04-14"));
    // Window 03-14 … 03-28: all of it blacked out.
    let s = approved(
        &prog,
        "b3",
        &app("seminar", "site", "Тула", "2017-03-28"),
        "2017-02-01T10:00",
        "2017-02-02T10:00",
    );
    assert_eq!(s.item.consequences[0].effects, [Effect::NoInfoSupport]);
    assert!(!s.info_support);
}

fn repeat_of(prog: &Program, date: &str, earlier: &Seminar) -> Seminar {
    let mut a = app("seminar", "site", "Тула", date);
    a.repeat_of = Some(earlier.id.clone());
    let s = try_apply(prog, "f2", &a, "2017-06-01T10:00").unwrap();
    let out = apply::approve(
        prog,
        s,
        &ApprovalTerms::default(),
        Some(earlier),
        "coord",
        msk("2017-06-02T12:00"),
    )
    .unwrap();
    out.seminars[0].clone()
}

#[test]
fn a_repeat_inside_the_window_is_shown_from_a_month_after_the_first() {
    let prog = events();
    let f1 = approved(
        &prog,
        "f1",
        &app("seminar", "site", "Тула", "2017-06-08"),
        "2017-05-01T10:00",
        "2017-05-02T10:00",
    );
    // Window 07-01 … 07-15; 06-08 + 1 month = 07-08.
    let f2 = repeat_of(&prog, "2017-07-15", &f1);
    let c = &f2.item.consequences[0];
    assert_eq!(
        (c.code.as_str(), c.from),
        ("repeat_too_soon", Some(d("2017-07-08")))
    );
    assert_eq!(c.effects, [Effect::PromotionDelayed]);
    let mut items = vec![submitted(f2, "promo", "2017-06-10T10:00", true)];
    run(&prog, &mut items, "2017-06-10", "2017-07-31");
    assert_eq!(items[0].item.promotion, span("2017-07-08", "2017-07-15"));
}

#[test]
fn example_05_f2_repeat_after_its_date_has_no_info_support_and_no_later_cause() {
    let prog = events();
    let f1 = approved(
        &prog,
        "f1",
        &app("seminar", "site", "Тула", "2017-06-08"),
        "2017-05-29T10:00",
        "2017-05-30T10:00",
    );
    let f2 = repeat_of(&prog, "2017-06-29", &f1);
    assert_eq!(f2.item.consequences.len(), 1);
    let c = &f2.item.consequences[0];
    assert_eq!(
        (c.code.as_str(), c.at),
        ("repeat_too_soon", msk("2017-06-02T12:00"))
    );
    assert_eq!(c.effects, [Effect::NoInfoSupport]);
    assert!(!f2.info_support);
    // First cause only: the promo stage is not needed and its absence costs nothing more.
    let due = plan(&prog, &f2, msk("2017-06-02T12:00")).unwrap();
    let missing = due
        .iter()
        .find(|i| i.kind == DueKind::PromoMissing)
        .unwrap();
    assert!(fire(&prog, &f2, missing).unwrap().is_empty());
}

#[test]
fn promo_materials_missing_at_the_event_date_cost_the_support() {
    let prog = events();
    let s = approved(
        &prog,
        "m1",
        &app("seminar", "site", "Тула", "2017-06-20"),
        "2017-05-01T10:00",
        "2017-05-02T10:00",
    );
    let due = plan(&prog, &s, msk("2017-05-02T10:00")).unwrap();
    let missing = due
        .iter()
        .find(|i| i.kind == DueKind::PromoMissing)
        .unwrap();
    assert_eq!(missing.at, msk("2017-06-20T00:00"));
    let out = fire(&prog, &s, missing).unwrap();
    let c = &out.seminars[0].item.consequences[0];
    assert_eq!(
        (c.code.as_str(), c.at),
        ("promo_materials_missing", msk("2017-06-20T00:00"))
    );
    assert!(!out.seminars[0].info_support);
    let ready = submitted(s, "promo", "2017-06-01T10:00", true);
    assert!(fire(&prog, &ready, missing).unwrap().is_empty());
}

#[test]
fn promotion_days_are_the_window_openings_and_the_days_after_events() {
    let prog = events();
    let items = example_04(&prog);
    let days: Vec<NaiveDate> = plan_promotion(&prog, "p1", &items, msk("2017-05-01T00:00"))
        .into_iter()
        .map(|i| match i.kind {
            DueKind::PromotionDay { date } => date,
            _ => unreachable!(),
        })
        .collect();
    let want: Vec<NaiveDate> = [
        "2017-05-03",
        "2017-05-04",
        "2017-05-10",
        "2017-05-18",
        "2017-05-19",
        "2017-05-25",
    ]
    .iter()
    .map(|s| d(s))
    .collect();
    assert_eq!(days, want);
}
