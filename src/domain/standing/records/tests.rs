//! The record op's field types and refusals, the `single_client_account` watcher at its edges,
//! and the project rules (`duplicate_project`, `unknown_project`, rounding, the odd point).

use super::*;
use crate::domain::seminar::Recipient;
use crate::domain::standing::StandingState;
use chrono::{NaiveDate, TimeZone};
use serde_json::json;

fn program() -> StandingProgram {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/moysklad-partner-status.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    crate::catalog::parse_workflow(&text, "moysklad-partner-status")
        .unwrap()
        .standing
        .unwrap()
}

fn tz() -> Tz {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/moysklad-partner-status.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    crate::catalog::parse_workflow(&text, "x")
        .unwrap()
        .deadline_zone
        .parse()
        .unwrap()
}

fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    tz().with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn start() -> Standing {
    let mut s = Standing::new("m", "moysklad-partner-status");
    s.state = StandingState::Active;
    s.code = Some("ms_start".into());
    s
}

fn action(name: &str) -> Action {
    program()
        .actions
        .into_iter()
        .find(|a| a.name == name)
        .unwrap()
}

fn fields(v: serde_json::Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn run(
    name: &str,
    f: &Facts,
    v: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<Outcome, DomainError> {
    record(&program(), &action(name), f, &start(), &fields(v), at, tz())
}

fn code<T: std::fmt::Debug>(r: Result<T, DomainError>) -> String {
    match r {
        Err(DomainError::Refused(x)) => x.code_str().to_string(),
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn sales_are_signed_money_and_refunds_are_negative() {
    let (f, at) = (Facts::default(), local(2026, 2, 10, 10));
    assert_eq!(
        run("record_sales", &f, json!({"amount": 60000}), at)
            .unwrap()
            .records[0]
            .amount,
        6_000_000
    );
    assert_eq!(
        run("record_sales", &f, json!({"amount": "-1200.50"}), at)
            .unwrap()
            .records[0]
            .amount,
        -120_050
    );
    let r = &run("record_sales", &f, json!({"amount": 1}), at)
        .unwrap()
        .records[0];
    assert_eq!(
        (r.record.as_str(), r.date),
        ("sale", NaiveDate::from_ymd_opt(2026, 2, 10).unwrap())
    );
    for bad in [
        json!({"amount": 0}),
        json!({}),
        json!({"amount": "много"}),
        json!({"amount": 5, "client": "x"}),
    ] {
        assert_eq!(
            code(run("record_sales", &f, bad.clone(), at)),
            "invalid_input",
            "{bad}"
        );
    }
}

#[test]
fn a_record_before_registration_is_not_admitted() {
    let s = Standing::new("m", "moysklad-partner-status");
    let r = record(
        &program(),
        &action("record_sales"),
        &Facts::default(),
        &s,
        &fields(json!({"amount": 5000})),
        local(2026, 1, 10, 10),
        tz(),
    );
    assert_eq!(code(r), "not_admitted");
}

#[test]
fn clients_expand_to_numbered_ids_and_each_is_recorded_once() {
    let at = local(2026, 3, 10, 10);
    let mut f = Facts::default();
    let mut s = start();
    let out = run(
        "record_client",
        &f,
        json!({"client": "m2-a", "count": 3}),
        at,
    )
    .unwrap();
    let ids: Vec<_> = out
        .records
        .iter()
        .map(|r| r.reference.clone().unwrap())
        .collect();
    assert_eq!(ids, ["m2-a-1", "m2-a-2", "m2-a-3"]);
    out.apply(&mut f, &mut s, tz());
    assert_eq!(
        code(run("record_client", &f, json!({"client": "m2-a-2"}), at)),
        "invalid_input"
    );
    assert_eq!(
        code(run(
            "record_client",
            &f,
            json!({"client": "x", "count": 0}),
            at
        )),
        "invalid_input"
    );
    assert_eq!(
        code(run("record_client", &f, json!({"client": " "}), at)),
        "invalid_input"
    );
}

#[test]
fn events_are_approved_unless_said_otherwise_and_publications_take_a_known_kind() {
    let (f, at) = (Facts::default(), local(2026, 5, 20, 10));
    let e = run("record_event", &f, json!({"event": "expo"}), at).unwrap();
    assert_eq!(e.records[0].marks.get("approved"), Some(&true));
    let e = run(
        "record_event",
        &f,
        json!({"event": "meetup", "approved": false}),
        at,
    )
    .unwrap();
    assert_eq!(e.records[0].marks.get("approved"), Some(&false));
    assert_eq!(
        code(run(
            "record_event",
            &f,
            json!({"event": "x", "approved": "да"}),
            at
        )),
        "invalid_input"
    );
    let pbl = run("record_publication", &f, json!({"kind": "case"}), at).unwrap();
    assert_eq!(pbl.records[0].marks.get("case"), Some(&true));
    assert_eq!(
        code(run("record_publication", &f, json!({"kind": "tweet"}), at)),
        "invalid_input"
    );
}

#[test]
fn the_first_client_starts_the_watcher_six_months_on_and_a_second_clears_its_flag() {
    let mut f = Facts::default();
    let mut s = start();
    let first = run(
        "record_client",
        &f,
        json!({"client": "c1"}),
        local(2026, 2, 10, 10),
    )
    .unwrap();
    assert_eq!(
        first.due,
        [Planned {
            at: local(2026, 8, 11, 0),
            rank: FLAG_RANK,
            due: StandingDue::Watcher {
                code: "single_client_account".into()
            }
        }]
    );
    first.apply(&mut f, &mut s, tz());
    // Still one client on the day before: the check is at 00:00 after 08-10.
    let p = program();
    let out = watch(&p, "single_client_account", &f, &s, local(2026, 8, 11, 0)).unwrap();
    assert_eq!(out.flags.len(), 1);
    let to: Vec<(&Recipient, Option<&str>)> = out
        .notices
        .iter()
        .map(|n| (&n.to, n.client.as_deref()))
        .collect();
    assert_eq!(
        to,
        [
            (&Recipient::Partner("m".into()), Some("c1")),
            (&Recipient::Coordinator, Some("c1"))
        ]
    );
    out.apply(&mut f, &mut s, tz());
    assert!(
        watch(&p, "single_client_account", &f, &s, local(2026, 8, 12, 0))
            .unwrap()
            .is_empty(),
        "flagged once"
    );
    let second = run(
        "record_client",
        &f,
        json!({"client": "c2"}),
        local(2026, 9, 1, 10),
    )
    .unwrap();
    assert!(
        second.due.is_empty(),
        "only the first client starts the watcher"
    );
    assert_eq!(
        second.flags,
        [FlagChange::Clear {
            flag: "single_client_account".into(),
            at: local(2026, 9, 1, 10)
        }]
    );
}

#[test]
fn two_clients_at_the_check_raise_no_flag() {
    let mut f = Facts::default();
    let mut s = start();
    run(
        "record_client",
        &f,
        json!({"client": "c1"}),
        local(2026, 2, 10, 10),
    )
    .unwrap()
    .apply(&mut f, &mut s, tz());
    run(
        "record_client",
        &f,
        json!({"client": "c2"}),
        local(2026, 8, 10, 23),
    )
    .unwrap()
    .apply(&mut f, &mut s, tz());
    assert!(watch(
        &program(),
        "single_client_account",
        &f,
        &s,
        local(2026, 8, 11, 0)
    )
    .unwrap()
    .is_empty());
}

#[test]
fn a_project_is_registered_and_published_once() {
    let mut f = Facts::default();
    assert_eq!(
        code(refuse_unpublishable(
            &f,
            "project",
            "project_published",
            "site-1"
        )),
        "unknown_project"
    );
    f.records.push(Record {
        record: "project".into(),
        date: NaiveDate::from_ymd_opt(2017, 3, 1).unwrap(),
        at: local(2017, 3, 1, 10),
        amount: 0,
        reference: Some("site-1".into()),
        marks: BTreeMap::new(),
    });
    assert_eq!(
        code(refuse_known_project(&f, "project", "site-1")),
        "duplicate_project"
    );
    assert!(refuse_known_project(&f, "project", "site-2").is_ok());
    assert!(refuse_unpublishable(&f, "project", "project_published", "site-1").is_ok());
    let mut published = f.records[0].clone();
    published.record = "project_published".into();
    f.records.push(published);
    assert_eq!(
        code(refuse_unpublishable(
            &f,
            "project",
            "project_published",
            "site-1"
        )),
        "duplicate_project"
    );
}

#[test]
fn main_points_round_a_half_up_and_a_joint_projects_odd_point_goes_to_the_contract_holder() {
    assert_eq!(project_points(590_000, 1000), 6); // «6 баллов (5900/1000 и округляем)»
    assert_eq!(project_points(250_000, 1000), 3); // a half rounds up
    assert_eq!(project_points(249_999, 1000), 2);
    assert_eq!(project_points(7_300_000, 1000), 73);
    assert_eq!(project_points(100, 0), 0);
    assert_eq!((joint_share(7, true), joint_share(7, false)), (4, 3));
    assert_eq!((joint_share(6, true), joint_share(6, false)), (3, 3));
}
