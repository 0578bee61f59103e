//! Every generic op on the shipped `bitrix-partner-status.toml`: the refusals with the rule
//! book's codes, price rounding, joint projects, admission.

use super::*;
use crate::domain::standing::metrics::StaffMember;
use chrono::TimeZone;
use serde_json::json;

fn program() -> (crate::domain::Program, StandingProgram) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/workflows");
    let cat = crate::catalog::Catalog::open(dir).unwrap();
    let prog = cat
        .load_file(std::path::Path::new(&format!(
            "{dir}/bitrix-partner-status.toml"
        )))
        .unwrap();
    let sp = prog.wf.standing.clone().unwrap();
    (prog, sp)
}

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(3 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn active() -> Standing {
    let mut s = Standing::new("p1", "bitrix-partner-status");
    s.state = StandingState::Active;
    s.code = Some("business_partner".into());
    s
}

fn run(
    s: &Standing,
    staff: &[StaffMember],
    records: &[ActionRecord],
    act: &str,
    f: serde_json::Value,
) -> Result<Effects, Refusal> {
    let (prog, p) = program();
    let fields: Fields = serde_json::from_value(f).unwrap();
    let ctx = Ctx {
        program_id: "bitrix-partner-status",
        program: &p,
        cal: &prog.cal,
        tz: prog.tz,
        partner: "p1",
        standing: s,
        staff,
        records,
        facts: &Default::default(),
        now: at(2017, 1, 16, 10),
    };
    decide(&ctx, act, &fields)
}

fn code(r: Result<Effects, Refusal>) -> String {
    r.expect_err("refused").code_str().to_string()
}

#[test]
fn before_admission_a_credit_is_refused_not_admitted_and_an_application_is_due_in_three_working_days(
) {
    let s = Standing::new("p1", "bitrix-partner-status");
    let f = json!({"kind": "purchase", "price": 12000});
    assert_eq!(
        code(run(&s, &[], &[], "credit_points", f)),
        codes::NOT_ADMITTED
    );
    let e = run(&s, &[], &[], "admission_apply", json!({})).unwrap();
    let next = e.standing.unwrap();
    assert_eq!(next.state, StandingState::Applied);
    assert_eq!(next.pending[0].due.to_string(), "2017-01-19");
    let approved = run(
        &next,
        &[],
        &[],
        "admission_decide",
        json!({"outcome": "approve"}),
    )
    .unwrap();
    let s = approved.standing.unwrap();
    assert_eq!(s.code.as_deref(), Some("business_partner"));
    assert!(s.pending.is_empty());
    assert_eq!(
        approved.notices[0].kind,
        NotificationKind::AdmissionApproved
    );
    assert_eq!(
        code(run(&s, &[], &[], "admission_apply", json!({}))),
        codes::ALREADY_ADMITTED
    );
}

#[test]
fn a_price_becomes_points_rounded_half_up_and_a_joint_project_gives_the_odd_point_to_the_contract_holder(
) {
    let s = active();
    let e = run(
        &s,
        &[],
        &[],
        "credit_points",
        json!({"kind": "project", "price": 29900}),
    )
    .unwrap();
    assert_eq!(e.credits[0].points, 30);
    let e = run(
        &s,
        &[],
        &[],
        "credit_points",
        json!({"kind": "purchase", "price": 2500}),
    )
    .unwrap();
    assert_eq!(e.credits[0].points, 3);
    let e = run(
        &s,
        &[],
        &[],
        "credit_points",
        json!({"kind": "project", "points": 7, "joint_with": "p2", "contract_holder": "p2"}),
    )
    .unwrap();
    let pts: Vec<(String, i64)> = e
        .credits
        .iter()
        .map(|c| (c.partner.clone(), c.points))
        .collect();
    assert_eq!(pts, [("p1".to_string(), 3), ("p2".to_string(), 4)]);
    assert_eq!(
        code(run(
            &s,
            &[],
            &[],
            "credit_points",
            json!({"kind": "bogus", "points": 1})
        )),
        "invalid_input"
    );
}

#[test]
fn projects_are_registered_once_and_unknown_ones_are_refused() {
    let s = active();
    let e = run(
        &s,
        &[],
        &[],
        "add_project",
        json!({"project": "x", "price": 10000}),
    )
    .unwrap();
    let recs = e.records.clone();
    assert_eq!(
        code(run(
            &s,
            &[],
            &recs,
            "add_project",
            json!({"project": "x", "price": 1})
        )),
        codes::DUPLICATE_PROJECT
    );
    assert_eq!(
        code(run(
            &s,
            &[],
            &recs,
            "publish_project",
            json!({"project": "y"})
        )),
        codes::UNKNOWN_PROJECT
    );
    let pub_ = run(&s, &[], &recs, "publish_project", json!({"project": "x"})).unwrap();
    assert_eq!(
        (pub_.credits[0].points, pub_.credits[0].entry_kind.as_str()),
        (10, "project")
    );
    assert_eq!(
        code(run(
            &s,
            &[],
            &pub_.records,
            "publish_project",
            json!({"project": "x"})
        )),
        codes::DUPLICATE_PROJECT
    );
}

#[test]
fn a_points_request_is_decided_once() {
    let s = active();
    assert_eq!(
        code(run(
            &s,
            &[],
            &[],
            "decide_points_request",
            json!({"request": "r", "outcome": "approve"})
        )),
        codes::UNKNOWN_REQUEST
    );
    let e = run(
        &s,
        &[],
        &[],
        "request_points",
        json!({"request": "r", "points": 15}),
    )
    .unwrap();
    assert_eq!(
        e.standing.as_ref().unwrap().pending[0].review,
        "points_request"
    );
    let d = run(
        &s,
        &[],
        &e.records,
        "decide_points_request",
        json!({"request": "r", "outcome": "approve"}),
    )
    .unwrap();
    assert_eq!(
        (d.credits[0].points, d.credits[0].entry_kind.as_str()),
        (15, "additional")
    );
    assert_eq!(
        code(run(
            &s,
            &[],
            &d.records,
            "decide_points_request",
            json!({"request": "r", "outcome": "approve"})
        )),
        codes::UNKNOWN_REQUEST
    );
}

#[test]
fn roles_sanctions_and_termination_refuse_with_the_rule_book_codes() {
    let s = active();
    let staff = [StaffMember {
        id: "cert".into(),
        role: "certified_employee".into(),
        courses: vec![],
        attached: at(2016, 1, 1, 10),
        detached: None,
    }];
    assert_eq!(
        code(run(
            &s,
            &staff,
            &[],
            "credit_points",
            json!({"kind": "purchase", "points": 1, "by": "cert"})
        )),
        codes::FORBIDDEN_ROLE
    );
    assert_eq!(
        code(run(
            &s,
            &[],
            &[],
            "sanction",
            json!({"code": "account_blocked", "months": 13})
        )),
        "sanction_too_long"
    );
    let denied = run(
        &s,
        &[],
        &[],
        "sanction",
        json!({"code": "points_denied", "until": "2017-12-31"}),
    )
    .unwrap();
    let s2 = denied.standing.unwrap();
    assert_eq!(
        code(run(
            &s2,
            &[],
            &[],
            "credit_points",
            json!({"kind": "purchase", "points": 5})
        )),
        codes::POINTS_DENIED
    );
    let ended = run(&s, &[], &[], "terminate", json!({"by": "vendor"}))
        .unwrap()
        .standing
        .unwrap();
    assert_eq!(ended.state, StandingState::Terminated);
    assert_eq!(
        code(run(
            &ended,
            &[],
            &[],
            "credit_points",
            json!({"kind": "purchase", "points": 5})
        )),
        codes::TERMINATED
    );
    let noticed = run(&s, &[], &[], "terminate", json!({"by": "partner"}))
        .unwrap()
        .standing
        .unwrap();
    assert_eq!(noticed.terminates_at, Some(at(2017, 2, 17, 0)));
}
