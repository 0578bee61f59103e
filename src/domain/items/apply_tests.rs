//! B1: one test per refusal code of the events program's rolling `apply`, the lead-time edges
//! (13/14 and 20/21 days, both `on_short` readings), same-day applications, approval with agreed
//! amounts, rejection codes, the lapse at the event date and the `application_pending` alert.

use super::apply::{self, Applicant, ApprovalTerms, ArticleFacts};
use super::test_support::*;
use crate::domain::money::Kopecks;
use crate::domain::program::{DomainError, RefusalCode};
use crate::domain::schedule::{fire, plan, DueKind};
use crate::domain::seminar::{NotificationKind, SeminarState};
use crate::domain::workflow::{Effect, ShortLead};

fn codes(s: &crate::domain::seminar::Seminar) -> Vec<String> {
    s.item.consequences.iter().map(|c| c.code.clone()).collect()
}

#[test]
fn thirteen_days_ahead_costs_the_info_support_and_fourteen_do_not() {
    let prog = events();
    let a = app("seminar", "site", "Тула", "2017-06-15");
    let short = try_apply(&prog, "a", &a, "2017-06-02T23:30").unwrap();
    assert_eq!(codes(&short), ["lead_time_too_short"]);
    assert_eq!(short.item.consequences[0].effects, [Effect::NoInfoSupport]);
    assert!(!short.info_support);
    let enough = try_apply(&prog, "b", &a, "2017-06-01T00:10").unwrap();
    assert!(enough.item.consequences.is_empty(), "{:?}", codes(&enough));
    assert!(enough.info_support);
    assert_eq!(enough.state, SeminarState::Applied);
}

#[test]
fn no_info_support_asked_means_no_lead_time_consequence() {
    let prog = events();
    let mut a = app("seminar", "site", "Тула", "2017-06-15");
    a.info_support = Some(false);
    let s = try_apply(&prog, "a", &a, "2017-06-10T10:00").unwrap();
    assert!(s.item.consequences.is_empty());
}

#[test]
fn materials_need_twenty_one_days() {
    let prog = events();
    let mut a = app("seminar", "site", "Тула", "2017-06-22");
    a.materials = Some("send".into());
    let short = try_apply(&prog, "a", &a, "2017-06-02T10:00").unwrap();
    assert_eq!(codes(&short), ["materials_lead_time_too_short"]);
    assert_eq!(short.item.consequences[0].effects, [Effect::NoMaterials]);
    let enough = try_apply(&prog, "b", &a, "2017-06-01T10:00").unwrap();
    assert!(enough.item.consequences.is_empty());
    a.materials = Some("print".into());
    let printed = try_apply(&prog, "c", &a, "2017-06-10T10:00").unwrap();
    assert_eq!(
        codes(&printed),
        ["lead_time_too_short"],
        "printing needs no lead"
    );
}

#[test]
fn the_strict_reading_refuses_a_short_lead() {
    let mut wf = events_wf();
    wf.lead_times[0].on_short = ShortLead::Refuse;
    let prog = program_of(wf);
    let a = app("seminar", "site", "Тула", "2017-06-15");
    assert_eq!(
        refused(&prog, &a, "2017-06-02T10:00"),
        "lead_time_too_short"
    );
    assert!(try_apply(&prog, "b", &a, "2017-06-01T10:00").is_ok());
}

#[test]
fn example_05_f1_books_both_lead_consequences_at_arrival() {
    let prog = events();
    let mut a = app("seminar", "site", "Тула", "2017-06-08");
    a.materials = Some("send".into());
    let s = try_apply(&prog, "f1", &a, "2017-05-29T10:00").unwrap();
    assert_eq!(
        codes(&s),
        ["lead_time_too_short", "materials_lead_time_too_short"]
    );
    assert!(s
        .item
        .consequences
        .iter()
        .all(|c| c.at == msk("2017-05-29T10:00")));
    let out = apply::approve(
        &prog,
        s,
        &ApprovalTerms::default(),
        None,
        "coord",
        msk("2017-05-30T12:00"),
    )
    .unwrap();
    let n = &out.notifications[0];
    assert_eq!(
        (n.kind, n.at),
        (
            NotificationKind::ApplicationApproved,
            msk("2017-05-30T12:00")
        )
    );
    assert_eq!(
        n.data["codes"],
        serde_json::json!(["lead_time_too_short", "materials_lead_time_too_short"])
    );
    assert!(!out.seminars[0].info_support);
}

#[test]
fn applying_on_or_after_the_event_day_is_not_preapproved() {
    let prog = events();
    let a = app("seminar", "site", "Тула", "2017-06-10");
    assert_eq!(refused(&prog, &a, "2017-06-10T00:05"), "not_preapproved");
    assert_eq!(refused(&prog, &a, "2017-06-12T10:00"), "not_preapproved");
    assert!(try_apply(&prog, "x", &a, "2017-06-09T23:59").is_ok());
}

#[test]
fn a_date_outside_the_program_window_is_refused() {
    let prog = events();
    let a = app("seminar", "site", "Тула", "2018-01-15");
    assert_eq!(
        refused(&prog, &a, "2017-12-01T10:00"),
        "date_outside_program"
    );
}

#[test]
fn suspended_support_refuses_and_barred_does_not() {
    let prog = events();
    let a = app("seminar", "site", "Тула", "2017-06-20");
    let mut p = partner("p1");
    let who = Applicant {
        partner: &p,
        support_suspended: true,
    };
    let r = apply::apply(&prog, "x", who, &a, msk("2017-05-01T10:00"));
    match r {
        Err(DomainError::Refused(r)) => {
            assert_eq!(r.code, RefusalCode::Rule);
            assert_eq!(r.code_str(), "support_suspended");
        }
        other => panic!("{other:?}"),
    }
    p.barred = true;
    let who = Applicant {
        partner: &p,
        support_suspended: false,
    };
    assert!(apply::apply(&prog, "x", who, &a, msk("2017-05-01T10:00")).is_ok());
}

#[test]
fn existing_clients_are_not_the_audience() {
    let prog = events();
    let mut a = app("seminar", "site", "Тула", "2017-06-20");
    a.audience = Some("existing_clients".into());
    assert_eq!(
        refused(&prog, &a, "2017-05-01T10:00"),
        "audience_not_prospects"
    );
    a.audience = Some("technical".into());
    assert!(try_apply(&prog, "x", &a, "2017-05-01T10:00").is_ok());
    a.audience = None;
    let s = try_apply(&prog, "y", &a, "2017-05-01T10:00").unwrap();
    assert_eq!(s.item.audience, "prospects");
}

#[test]
fn a_talk_on_marketplace_is_not_rewarded() {
    let prog = events();
    let a = app("talk", "marketplace", "Тула", "2017-06-20");
    assert_eq!(refused(&prog, &a, "2017-05-01T10:00"), "kind_not_rewarded");
}

#[test]
fn an_article_is_claimed_after_publication_against_its_requirements() {
    let prog = events();
    let mut a = app("article", "site", "", "2017-05-10");
    let good = ArticleFacts {
        chars: 2500,
        vendor_share_pct: 80,
        circulation: 0,
        daily_views: 12000,
        reprint: false,
    };
    a.article = Some(good);
    let s = try_apply(&prog, "art", &a, "2017-05-12T10:00").unwrap();
    assert_eq!(s.state, SeminarState::Held);
    assert!(!s.stages.contains_key("promo"));
    for bad in [
        ArticleFacts {
            chars: 2000,
            ..good
        },
        ArticleFacts {
            vendor_share_pct: 70,
            ..good
        },
        ArticleFacts {
            daily_views: 9999,
            ..good
        },
        ArticleFacts {
            reprint: true,
            ..good
        },
    ] {
        a.article = Some(bad);
        assert_eq!(
            refused(&prog, &a, "2017-05-12T10:00"),
            "article_requirements_not_met",
            "{bad:?}"
        );
    }
}

#[test]
fn kind_topic_and_city_rule_are_checked() {
    let prog = events();
    let at = "2017-05-01T10:00";
    assert_eq!(
        refused(&prog, &app("party", "site", "Тула", "2017-06-20"), at),
        "invalid_input"
    );
    assert_eq!(
        refused(&prog, &app("exhibition", "mixed", "Тула", "2017-06-20"), at),
        "invalid_input"
    );
    assert_eq!(
        refused(&prog, &app("seminar", "site", " ", "2017-06-20"), at),
        "invalid_input"
    );
    assert_eq!(
        refused(&prog, &app("webinar", "site", "Тула", "2017-06-20"), at),
        "invalid_input"
    );
    let mut one_day = app("seminar", "site", "Тула", "2017-06-20");
    one_day.end_date = Some(d("2017-06-21"));
    assert_eq!(refused(&prog, &one_day, at), "invalid_input");
    let w = try_apply(&prog, "w", &app("webinar", "b24", "", "2017-06-20"), at).unwrap();
    assert_eq!(
        (w.item.kind.as_str(), w.item.topic.as_str()),
        ("webinar", "b24")
    );
    let mut no_topic = app("exhibition", "site", "Тула", "2017-09-20");
    no_topic.topic = None;
    no_topic.end_date = Some(d("2017-09-22"));
    let e = try_apply(&prog, "e", &no_topic, at).unwrap();
    assert_eq!(e.item.topic, "site");
    assert_eq!(e.last_day(), d("2017-09-22"));
    assert!(!e.info_support, "exhibitions never get info support");
}

#[test]
fn approval_fixes_the_agreed_amounts() {
    let prog = events();
    let s = try_apply(
        &prog,
        "e1",
        &app("seminar", "site", "Тула", "2017-05-17"),
        "2017-04-20T10:00",
    )
    .unwrap();
    let terms = ApprovalTerms {
        agreed: super::details::Agreed {
            estimate: Some(Kopecks::from_rub(40_000)),
            materials_cost: Some(Kopecks::from_rub(3_000)),
            compensation: None,
        },
        info_support: None,
        code: None,
    };
    let out = apply::approve(
        &prog,
        s.clone(),
        &terms,
        None,
        "coord",
        msk("2017-04-21T12:00"),
    )
    .unwrap();
    let a = &out.seminars[0];
    assert_eq!(a.state, SeminarState::Preparing);
    assert_eq!(a.item.agreed.estimate, Some(Kopecks::from_rub(40_000)));
    assert_eq!(
        out.notifications[0].kind,
        NotificationKind::ApplicationApproved
    );
    let again = apply::approve(
        &prog,
        a.clone(),
        &terms,
        None,
        "coord",
        msk("2017-04-21T12:00"),
    );
    assert!(matches!(again, Err(DomainError::Refused(r)) if r.code == RefusalCode::InvalidState));
}

#[test]
fn rejection_takes_a_code_of_the_file() {
    let prog = events();
    let s = try_apply(
        &prog,
        "e1",
        &app("seminar", "site", "Тула", "2017-05-17"),
        "2017-04-20T10:00",
    )
    .unwrap();
    let bad = apply::reject(
        &prog,
        s.clone(),
        "i_dont_like_it",
        None,
        "coord",
        msk("2017-04-21T12:00"),
    );
    assert!(matches!(bad, Err(DomainError::Refused(r)) if r.code == RefusalCode::InvalidInput));
    let out = apply::reject(
        &prog,
        s,
        "competing_products",
        None,
        "coord",
        msk("2017-04-21T12:00"),
    )
    .unwrap();
    let r = &out.seminars[0];
    assert_eq!(r.state, SeminarState::Rejected);
    assert_eq!(r.item.rejection.as_deref(), Some("competing_products"));
    assert_eq!(out.notifications[0].data["reason"], "competing_products");
}

#[test]
fn a_pending_application_lapses_at_the_event_date_and_alerts_before() {
    let prog = events();
    // Monday 2017-05-22; 3 working days → Thursday 05-25 ends → alert 05-26T00:00.
    let s = try_apply(
        &prog,
        "e1",
        &app("seminar", "site", "Тула", "2017-06-20"),
        "2017-05-22T10:00",
    )
    .unwrap();
    let due = plan(&prog, &s, msk("2017-05-22T10:00")).unwrap();
    let alert = due
        .iter()
        .find(|i| matches!(i.kind, DueKind::Waiting { .. }))
        .expect("alert");
    assert_eq!(alert.at, msk("2017-05-26T00:00"));
    let out = fire(&prog, &s, alert).unwrap();
    assert_eq!(out.notifications[0].kind, NotificationKind::ReviewDue);
    assert_eq!(out.notifications[0].data["code"], "application_pending");
    let lapse = due
        .iter()
        .find(|i| matches!(i.kind, DueKind::ApplicationLapse { .. }))
        .expect("lapse");
    assert_eq!(lapse.at, msk("2017-06-20T00:00"));
    let out = fire(&prog, &s, lapse).unwrap();
    assert_eq!(out.seminars[0].state, SeminarState::Rejected);
    assert_eq!(
        out.seminars[0].item.rejection.as_deref(),
        Some("not_preapproved")
    );
    // Decided in time: neither fires.
    let a = approved(
        &prog,
        "e2",
        &app("seminar", "site", "Тула", "2017-06-20"),
        "2017-05-22T10:00",
        "2017-05-23T10:00",
    );
    assert!(fire(&prog, &a, lapse).unwrap().is_empty());
    assert!(fire(&prog, &a, alert).unwrap().is_empty());
}

#[test]
fn the_command_layer_dispatches_item_commands_by_their_json() {
    use crate::domain::rules::{decide, Command, View};
    let prog = events();
    let cmd: Command = serde_json::from_value(serde_json::json!({
        "do": "apply_item", "seminar": "e1", "partner": "p1", "kind": "seminar",
        "topic": "site", "city": "Тула", "date": "2017-05-17", "materials": "send"
    }))
    .unwrap();
    let mut view = View::default();
    view.partners.insert("p1".into(), partner("p1"));
    let out = decide(&prog, &view, &cmd, "p1", msk("2017-04-20T10:00")).unwrap();
    assert_eq!(out.events[0].kind, "apply");
    let s = out.seminars[0].clone();
    assert_eq!(s.item.materials, "send");
    view.support_suspended.insert("p1".into());
    let again = decide(&prog, &view, &cmd, "p1", msk("2017-04-20T10:00"));
    assert!(matches!(again, Err(DomainError::Refused(r)) if r.code_str() == "support_suspended"));
    view.seminars.push(s);
    let approve: Command = serde_json::from_value(serde_json::json!({
        "do": "approve_item", "seminar": "e1", "agreed": { "estimate": 40000 }
    }))
    .unwrap();
    let out = decide(&prog, &view, &approve, "coord", msk("2017-04-21T10:00")).unwrap();
    assert_eq!(
        out.seminars[0].item.agreed.estimate,
        Some(Kopecks::from_rub(40_000))
    );
    let reject: Command = serde_json::from_value(serde_json::json!({
        "do": "reject_item", "seminar": "e1", "code": "vendor_brand_misuse"
    }))
    .unwrap();
    let out = decide(&prog, &view, &reject, "coord", msk("2017-04-21T10:00")).unwrap();
    assert_eq!(
        out.seminars[0].item.rejection.as_deref(),
        Some("vendor_brand_misuse")
    );
}
