//! Table tests of `price` against the shipped events workflow: every bracket edge of
//! docs/design/programs.md §6 B2, caps binding or not, the third-party allowance, exhibition
//! shortfalls, kopeck rounding, and the worked examples of rule book Part 2 (§5.1 of the design).

use super::*;
use crate::domain::workflow::{parse_normalised, Workflow};

fn events() -> Workflow {
    let text = include_str!("../../../workflows/bitrix-partner-events-2017.toml");
    parse_normalised(text, "bitrix-partner-events-2017")
        .expect("format")
        .expect("shape")
}

fn rub(r: i64) -> Kopecks {
    Kopecks::from_rub(r)
}

fn item(kind: &str, topic: &str, attendees: u32) -> ItemFacts {
    ItemFacts {
        kind: kind.into(),
        topic: topic.into(),
        attendees,
        ..ItemFacts::default()
    }
}

fn with_costs(mut f: ItemFacts, agreed: i64, documented: i64) -> ItemFacts {
    f.agreed = Some(rub(agreed));
    f.documented = rub(documented);
    f
}

fn run(f: &ItemFacts) -> Result<Award, PriceError> {
    let wf = events();
    price(&wf.results.by_kind, &wf.kinds, f)
}

fn ok(f: &ItemFacts) -> Award {
    run(f).unwrap_or_else(|e| panic!("{} {} {}: {e}", f.kind, f.topic, f.attendees))
}

#[test]
fn every_bracket_edge_lands_in_the_row_the_rule_book_gives() {
    // (kind, topic, attendees, points, label); «Более N» = N or more (E§4.18 #2).
    let table = [
        ("seminar", "site", 0, 0, "1-9"),
        ("seminar", "site", 9, 0, "1-9"),
        ("seminar", "site", 10, 30, "10-19"),
        ("seminar", "site", 19, 30, "10-19"),
        ("seminar", "site", 20, 40, "20-30"),
        ("seminar", "site", 30, 40, "20-30"),
        ("seminar", "site", 31, 60, "31-50"),
        ("seminar", "site", 50, 60, "31-50"),
        ("seminar", "site", 51, 70, "51-70"),
        ("seminar", "site", 70, 70, "51-70"),
        ("seminar", "site", 71, 80, "71-90"),
        ("seminar", "site", 90, 80, "71-90"),
        ("seminar", "site", 91, 90, "91+"),
        ("seminar", "b24", 91, 90, "91+"),
        ("seminar", "mixed", 10, 30, "10-19"),
        ("seminar", "sector", 9, 0, "1-9"),
        ("seminar", "sector", 10, 50, "10-39"),
        ("seminar", "sector", 39, 50, "10-39"),
        ("seminar", "sector", 40, 70, "40+"),
        ("seminar", "marketplace", 19, 0, "1-19"),
        ("seminar", "marketplace", 20, 20, "20+"),
        ("breakfast", "site", 9, 0, "1-9"),
        ("breakfast", "b24", 10, 20, "10+"),
        ("webinar", "site", 29, 0, "1-29"),
        ("webinar", "sector", 30, 30, "30+"),
    ];
    for (kind, topic, n, points, label) in table {
        let a = ok(&item(kind, topic, n));
        assert_eq!(
            (a.points, a.bracket.as_deref()),
            (points, Some(label)),
            "{kind} {topic} {n}"
        );
    }
}

#[test]
fn the_cap_binds_only_above_it_and_rows_without_a_share_pay_nothing() {
    // (attendees, agreed, documented, compensation RUB)
    let table = [
        (19, 40_000, 40_000, 0),        // 10-19: points only
        (20, 40_000, 39_000, 19_500),   // 50 % of 39 000 under the 20 000 cap
        (30, 40_000, 41_000, 20_000),   // 50 % of 40 000 = cap exactly
        (31, 50_000, 50_000, 20_000),   // 31-50 keeps the 20 000 cap (merged cell, ⚠ #1)
        (51, 50_000, 50_000, 25_000),   // 51-70: cap 30 000 not reached
        (71, 80_000, 90_000, 30_000),   // 71-90: cap 30 000 binds
        (91, 100_000, 100_000, 40_000), // 91+: cap 40 000 binds
    ];
    for (n, agreed, documented, comp) in table {
        let a = ok(&with_costs(item("seminar", "site", n), agreed, documented));
        assert_eq!(a.compensation, rub(comp), "{n} attendees");
        assert_eq!(a.parts.costs, rub(comp));
    }
}

#[test]
fn third_parties_reduce_money_only_when_more_than_two_and_then_count_all() {
    let mut f = with_costs(item("seminar", "site", 25), 30_000, 30_000);
    f.inputs
        .insert("third_party_companies".into(), Input::Count(2));
    assert_eq!(ok(&f).compensation, rub(15_000));
    assert!(ok(&f).reductions.is_empty());
    f.inputs
        .insert("third_party_companies".into(), Input::Count(3));
    let a = ok(&f);
    assert_eq!(a.compensation, rub(10_500), "× (1 − 0.30) after the cap");
    assert_eq!(a.points, 40, "points untouched");
    assert_eq!(a.reductions, ["third_party_companies"]);
}

#[test]
fn the_two_talk_reductions_cost_twenty_points_once_in_all_and_never_below_zero() {
    let mut f = item("seminar", "site", 23);
    f.inputs
        .insert("other_products_talks".into(), Input::Flag(true));
    assert_eq!(ok(&f).points, 20);
    f.inputs
        .insert("vendor_speaker_only".into(), Input::Flag(true));
    assert_eq!(ok(&f).points, 20, "−20 once for both");
    let mut low = item("seminar", "site", 12);
    low.inputs = f.inputs.clone();
    assert_eq!(ok(&low).points, 10);
    let mut none = item("seminar", "site", 5);
    none.inputs = f.inputs;
    assert_eq!(ok(&none).points, 0, "floor 0");
}

#[test]
fn exhibition_points_fall_ten_per_shortfall_kind_and_money_twenty_percent_per_vendor() {
    let base = with_costs(item("exhibition", "site", 0), 60_000, 64_000);
    assert_eq!(ok(&base).points, 70);
    assert_eq!(ok(&base).compensation, rub(30_000), "50 %, no cap (⚠ #7)");
    let mut one = base.clone();
    one.inputs.insert("other_vendors".into(), Input::Count(2));
    let a = ok(&one);
    assert_eq!(
        (a.points, a.compensation),
        (60, rub(18_000)),
        "rule book example f3"
    );
    let mut two = one.clone();
    two.inputs
        .insert("stand_activity".into(), Input::Flag(false));
    assert_eq!(ok(&two).points, 50);
    let mut three = two.clone();
    three.inputs.insert("complete".into(), Input::Flag(false));
    assert_eq!(ok(&three).points, 50, "never below the range's 50");
    let mut competing = base.clone();
    competing
        .inputs
        .insert("competing_on_stand".into(), Input::Flag(true));
    let a = ok(&competing);
    assert_eq!((a.points, a.compensation), (50, Kopecks::ZERO));
}

#[test]
fn a_coordinator_value_must_lie_in_the_range() {
    let mut f = item("article", "site", 0);
    assert_eq!(ok(&f).points, 10, "the floor by default (⚠ #12)");
    f.points = Some(30);
    assert_eq!(ok(&f).points, 30);
    f.points = Some(31);
    assert_eq!(
        run(&f),
        Err(PriceError::PointsOutOfRange {
            points: 31,
            min: 10,
            max: 30
        })
    );
    let mut ex = item("exhibition", "site", 0);
    ex.points = Some(45);
    assert!(matches!(run(&ex), Err(PriceError::PointsOutOfRange { .. })));
}

#[test]
fn talks_earn_fixed_points_and_agreed_money_and_marketplace_talks_are_refused() {
    let mut t = item("talk", "b24", 0);
    assert_eq!(ok(&t).points, 40);
    assert_eq!(
        ok(&t).compensation,
        Kopecks::ZERO,
        "nothing agreed, nothing paid"
    );
    t = with_costs(t, 5_000, 4_000);
    assert_eq!(
        ok(&t).compensation,
        Kopecks::ZERO,
        "an estimate is not an individual agreement"
    );
    t.agreed_individually = Some(rub(5_000));
    assert_eq!(ok(&t).compensation, rub(4_000), "min(agreed, documented)");
    match run(&item("talk", "marketplace", 0)) {
        Err(PriceError::NotRewarded { code, .. }) => assert_eq!(code, "kind_not_rewarded"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn breakfast_money_is_only_what_was_agreed_individually() {
    assert_eq!(
        ok(&item("breakfast", "site", 15)).compensation,
        Kopecks::ZERO
    );
    let mut f = with_costs(item("breakfast", "site", 15), 8_000, 9_500);
    assert_eq!(
        ok(&f).compensation,
        Kopecks::ZERO,
        "an estimate alone pays nothing"
    );
    assert_eq!(
        ok(&f).estimate_missing,
        None,
        "and is not a missing estimate"
    );
    f.agreed_individually = Some(rub(8_000));
    assert_eq!(ok(&f).compensation, rub(8_000));
    f.agreed_individually = Some(rub(12_000));
    assert_eq!(ok(&f).compensation, rub(9_500), "the documents bind");
}

#[test]
fn mixed_topics_follow_the_site_rows_unless_the_coordinator_sets_the_values() {
    let mut f = with_costs(item("seminar", "mixed", 25), 30_000, 30_000);
    assert_eq!((ok(&f).points, ok(&f).compensation), (40, rub(15_000)));
    f.points = Some(55);
    f.compensation = Some(rub(12_345));
    let a = ok(&f);
    assert_eq!((a.points, a.compensation), (55, rub(12_345)));
    let mut site = with_costs(item("seminar", "site", 25), 30_000, 30_000);
    site.points = Some(55);
    assert_eq!(ok(&site).points, 40, "site topics are not overridable");
}

#[test]
fn money_rounds_half_away_from_zero_to_the_kopeck() {
    let mut f = item("seminar", "site", 25);
    f.agreed = Some(Kopecks(1_000_001));
    f.documented = Kopecks(1_000_001);
    // 50 % of 10 000.01 = 5 000.005 → 5 000.01
    assert_eq!(ok(&f).compensation, Kopecks(500_001));
    f.inputs
        .insert("third_party_companies".into(), Input::Count(3));
    // 5 000.01 × 0.70 = 3 500.007 → 3 500.01
    assert_eq!(ok(&f).compensation, Kopecks(350_001));
}

#[test]
fn no_agreed_estimate_pays_no_costs_and_says_so() {
    let mut f = item("seminar", "site", 40);
    f.documented = rub(30_000);
    let a = ok(&f);
    assert_eq!(a.compensation, Kopecks::ZERO);
    assert_eq!(a.estimate_missing.as_deref(), Some("no_agreed_estimate"));
    assert_eq!(a.points, 60);
}

#[test]
fn worked_example_a_e1_site_seminar_with_third_parties_and_leaflets() {
    let mut f = with_costs(item("seminar", "site", 32), 40_000, 38_500);
    f.inputs
        .insert("third_party_companies".into(), Input::Count(3));
    f.materials_agreed = Some(rub(3_000));
    f.materials_documented = rub(2_800);
    let a = ok(&f);
    assert_eq!(a.points, 60);
    assert_eq!(a.parts.costs, Kopecks(1_347_500));
    assert_eq!(a.parts.materials, rub(2_800), "outside the cap, no factor");
    assert_eq!(a.compensation, Kopecks(1_627_500));
    assert_eq!(a.bracket.as_deref(), Some("31-50"));
}

#[test]
fn worked_examples_e3_and_f1_sector_seminar_and_a_reduced_site_seminar() {
    let e3 = ok(&with_costs(item("seminar", "sector", 40), 30_000, 25_000));
    assert_eq!((e3.points, e3.compensation), (70, rub(12_500)));
    let mut f1 = with_costs(item("seminar", "site", 23), 20_000, 22_000);
    f1.inputs
        .insert("other_products_talks".into(), Input::Flag(true));
    let a = ok(&f1);
    assert_eq!((a.points, a.compensation), (20, rub(10_000)));
}

#[test]
fn a_paid_event_keeps_points_and_loses_money_including_leaflets() {
    let mut f = with_costs(item("seminar", "site", 32), 40_000, 38_500);
    f.materials_agreed = Some(rub(3_000));
    f.materials_documented = rub(2_800);
    f.inputs.insert("paid".into(), Input::Flag(true));
    let a = ok(&f);
    assert_eq!((a.points, a.compensation), (60, Kopecks::ZERO));
    let mut banned = f.clone();
    banned.inputs.clear();
    banned.effects.push(Effect::NoPoints);
    let b = ok(&banned);
    assert_eq!(b.points, 0);
    assert_eq!(b.compensation, Kopecks(1_925_000 + 280_000));
}

#[test]
fn voided_barter_costs_do_not_count_towards_the_base() {
    let mut f = with_costs(item("seminar", "site", 25), 30_000, 30_000);
    f.voided = rub(10_000);
    assert_eq!(ok(&f).compensation, rub(10_000), "50 % of 20 000");
}

#[test]
fn a_requirements_breach_takes_the_coordinators_points_and_percentage_after_the_cap() {
    let mut f = with_costs(item("seminar", "site", 60), 80_000, 80_000);
    assert_eq!((ok(&f).points, ok(&f).compensation), (70, rub(30_000)));
    f.violation_points = -30;
    f.violation_factor = Some("0.75".parse().unwrap());
    let a = ok(&f);
    assert_eq!(a.points, 40);
    assert_eq!(a.compensation, rub(22_500), "cap 30 000 first, then × 0.75");
    f.violation_points = -100;
    assert_eq!(ok(&f).points, 0, "floor 0");
}
