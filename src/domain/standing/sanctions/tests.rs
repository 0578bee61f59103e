//! The refusal codes of the review-date ladder's partner-level ops (`no_prior_warning`,
//! `disconnected`, `forbidden_role`) and the effects of a disconnection.

use super::*;
use crate::domain::seminar::Recipient;
use crate::domain::standing::metrics::StaffMember;
use chrono::TimeZone;
use chrono_tz::Tz;

fn load(name: &str) -> StandingProgram {
    let path = format!("{}/workflows/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("the shipped file");
    let wf = crate::catalog::parse_workflow(&text, name).expect("parses");
    wf.standing.expect("a partner program")
}

fn bitrix() -> StandingProgram {
    load("bitrix-partner-status")
}

fn moysklad() -> StandingProgram {
    load("moysklad-partner-status")
}

fn tz() -> Tz {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/bitrix-partner-status.toml"
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

fn active(program: &str) -> Standing {
    let mut s = Standing::new("p", program);
    s.state = StandingState::Active;
    s.code = Some("certified_partner".into());
    s.since = Some(local(2026, 1, 1, 0));
    s.until = Some(local(2027, 1, 2, 0));
    s
}

fn action(p: &StandingProgram, name: &str) -> Action {
    p.actions.iter().find(|a| a.name == name).unwrap().clone()
}

fn code<T: std::fmt::Debug>(r: Result<T, DomainError>) -> String {
    match r {
        Err(DomainError::Refused(x)) => x.code_str().to_string(),
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn disconnecting_needs_a_warning_on_record_and_then_refuses_every_step() {
    let p = moysklad();
    let (mut s, now) = (active("m"), local(2026, 9, 1, 10));
    let mut f = Facts::default();
    let d = action(&p, "disconnect");
    assert_eq!(code(disconnect(&p, &d, &f, &s, now)), "no_prior_warning");
    let recorded = Outcome {
        records: vec![crate::domain::standing::metrics::Record {
            record: "partner_violation".into(),
            date: now.with_timezone(&tz()).date_naive(),
            at: now,
            amount: 0,
            reference: None,
            marks: [("price_dumping".to_string(), true)].into(),
        }],
        ..Outcome::default()
    };
    recorded.apply(&mut f, &mut s, tz());
    let out = disconnect(&p, &d, &f, &s, local(2026, 9, 2, 10)).unwrap();
    let to: Vec<&Recipient> = out.notices.iter().map(|n| &n.to).collect();
    assert_eq!(
        to,
        [&Recipient::Partner("p".into()), &Recipient::Coordinator]
    );
    out.apply(&mut f, &mut s, tz());
    assert_eq!(s.state, StandingState::Terminated);
    assert_eq!(
        code(disconnect(&p, &d, &f, &s, local(2026, 9, 3, 10))),
        "disconnected"
    );
}

#[test]
fn the_single_client_flag_is_a_warning_while_it_holds() {
    let p = moysklad();
    let (s, now) = (active("m"), local(2026, 9, 1, 10));
    let mut f = Facts::default();
    let flag = FlagChange::Set {
        flag: "single_client_account".into(),
        since: local(2026, 8, 11, 0),
        until: None,
    };
    crate::domain::standing::review_outcome::apply_flag(&mut f.flags, &flag);
    assert!(disconnect(&p, &action(&p, "disconnect"), &f, &s, now).is_ok());
    let cleared = FlagChange::Clear {
        flag: "single_client_account".into(),
        at: local(2026, 8, 20, 0),
    };
    crate::domain::standing::review_outcome::apply_flag(&mut f.flags, &cleared);
    assert_eq!(
        code(disconnect(&p, &action(&p, "disconnect"), &f, &s, now)),
        "no_prior_warning"
    );
}

#[test]
fn an_acting_user_without_the_right_is_forbidden_role() {
    let p = bitrix();
    let now = local(2026, 3, 10, 12);
    let member = |id: &str, role: &str, detached| StaffMember {
        id: id.into(),
        role: role.into(),
        courses: vec![],
        attached: local(2026, 1, 1, 0),
        detached,
    };
    let f = Facts {
        staff: vec![
            member("boss", "main_user", None),
            member("cert", "certified_employee", None),
            member("dev", "limited_rights", None),
            member("gone", "full_rights", Some(local(2026, 2, 1, 0))),
        ],
        ..Facts::default()
    };
    let add = action(&p, "add_project");
    assert!(refuse_forbidden_role(&p, &add, &f, None, now).is_ok());
    assert!(refuse_forbidden_role(&p, &add, &f, Some("boss"), now).is_ok());
    assert!(refuse_forbidden_role(&p, &add, &f, Some("dev"), now).is_ok());
    assert_eq!(
        code(refuse_forbidden_role(&p, &add, &f, Some("cert"), now)),
        "forbidden_role"
    );
    assert_eq!(
        code(refuse_forbidden_role(&p, &add, &f, Some("gone"), now)),
        "forbidden_role"
    );
    assert_eq!(
        code(refuse_forbidden_role(&p, &add, &f, Some("nobody"), now)),
        "forbidden_role"
    );
    // An action that names its right: limited rights may not buy.
    let mut buy = action(&p, "credit_points");
    buy.params
        .insert("right".into(), toml::Value::String("buy".into()));
    assert_eq!(
        code(refuse_forbidden_role(&p, &buy, &f, Some("dev"), now)),
        "forbidden_role"
    );
    assert!(refuse_forbidden_role(&p, &buy, &f, Some("boss"), now).is_ok());
}
