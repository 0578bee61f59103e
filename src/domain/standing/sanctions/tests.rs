//! One test per refusal code of the partner-level ops (`sanction_too_long`, `no_prior_warning`,
//! `forbidden_role`, `disconnected`, `terminated`, `points_denied`, `invalid_state`) and the
//! effects of sanctions, lifting, disconnection and termination.

use super::*;
use crate::domain::seminar::Recipient;
use crate::domain::standing::metrics::StaffMember;
use chrono::TimeZone;

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

fn args(code: &str, months: Option<u32>, until: Option<NaiveDate>) -> SanctionArgs {
    SanctionArgs {
        code: code.into(),
        months,
        until,
        note: None,
    }
}

#[test]
fn an_account_block_longer_than_twelve_months_is_sanction_too_long() {
    let (p, s, now) = (bitrix(), active("b"), local(2026, 3, 10, 12));
    let f = Facts::default();
    assert_eq!(
        code(sanction(
            &p,
            &f,
            &s,
            &args("account_blocked", Some(13), None),
            now,
            tz()
        )),
        "sanction_too_long"
    );
    assert_eq!(
        code(sanction(
            &p,
            &f,
            &s,
            &args("account_blocked", Some(0), None),
            now,
            tz()
        )),
        "invalid_input"
    );
    assert_eq!(
        code(sanction(
            &p,
            &f,
            &s,
            &args("account_blocked", None, None),
            now,
            tz()
        )),
        "invalid_input"
    );
    let out = sanction(
        &p,
        &f,
        &s,
        &args("account_blocked", Some(12), None),
        now,
        tz(),
    )
    .unwrap();
    // Through 2027-03-10, stopping at 00:00 of the next day.
    assert_eq!(
        out.flags,
        [FlagChange::Set {
            flag: "account_blocked".into(),
            since: now,
            until: Some(local(2027, 3, 11, 0))
        }]
    );
    assert_eq!(out.notices.len(), 1);
    assert_eq!(out.notices[0].kind, StandingNotice::SanctionApplied);
    assert_eq!(out.notices[0].to, Recipient::Partner("p".into()));
}

#[test]
fn an_unknown_sanction_or_a_parameter_it_does_not_take_is_invalid_input() {
    let (p, s, now) = (bitrix(), active("b"), local(2026, 3, 10, 12));
    let f = Facts::default();
    assert_eq!(
        code(sanction(
            &p,
            &f,
            &s,
            &args("flogging", None, None),
            now,
            tz()
        )),
        "invalid_input"
    );
    let day = NaiveDate::from_ymd_opt(2026, 5, 1);
    assert_eq!(
        code(sanction(
            &p,
            &f,
            &s,
            &args("delisted", None, day),
            now,
            tz()
        )),
        "invalid_input"
    );
    let past = NaiveDate::from_ymd_opt(2026, 3, 9);
    assert_eq!(
        code(sanction(
            &p,
            &f,
            &s,
            &args("points_denied", None, past),
            now,
            tz()
        )),
        "invalid_input"
    );
    // MoySklad has no sanction catalogue at all.
    assert_eq!(
        code(sanction(
            &moysklad(),
            &f,
            &s,
            &args("delisted", None, None),
            now,
            tz()
        )),
        "invalid_input"
    );
}

#[test]
fn points_denied_refuses_positive_credits_until_its_last_day_and_can_be_lifted_once() {
    let (p, mut s, now) = (bitrix(), active("b"), local(2026, 3, 10, 12));
    let mut f = Facts::default();
    let until = NaiveDate::from_ymd_opt(2026, 4, 30);
    sanction(&p, &f, &s, &args("points_denied", None, until), now, tz())
        .unwrap()
        .apply(&mut f, &mut s, tz());
    assert_eq!(
        code(refuse_positive_credit(&p, &f, 10, local(2026, 4, 30, 23))),
        "points_denied"
    );
    assert!(
        refuse_positive_credit(&p, &f, -5, local(2026, 4, 30, 23)).is_ok(),
        "penalties still book"
    );
    assert!(refuse_positive_credit(&p, &f, 10, local(2026, 5, 1, 0)).is_ok());
    assert_eq!(
        code(sanction(
            &p,
            &f,
            &s,
            &args("points_denied", None, None),
            now,
            tz()
        )),
        "invalid_state"
    );
    lift_sanction(&p, &f, &s, "points_denied", local(2026, 4, 1, 10))
        .unwrap()
        .apply(&mut f, &mut s, tz());
    assert!(refuse_positive_credit(&p, &f, 10, local(2026, 4, 1, 11)).is_ok());
    assert_eq!(
        code(lift_sanction(
            &p,
            &f,
            &s,
            "points_denied",
            local(2026, 4, 2, 10)
        )),
        "invalid_state"
    );
}

#[test]
fn an_account_block_refuses_spending_with_its_own_code() {
    let (p, mut s, now) = (bitrix(), active("b"), local(2026, 3, 10, 12));
    let mut f = Facts::default();
    sanction(
        &p,
        &f,
        &s,
        &args("account_blocked", Some(1), None),
        now,
        tz(),
    )
    .unwrap()
    .apply(&mut f, &mut s, tz());
    assert_eq!(
        code(refuse_while(&f, "account_blocked", local(2026, 4, 10, 23))),
        "account_blocked"
    );
    assert!(refuse_while(&f, "account_blocked", local(2026, 4, 11, 0)).is_ok());
}

#[test]
fn the_termination_sanction_ends_the_partnership_at_once_and_for_good() {
    let (p, mut s, now) = (bitrix(), active("b"), local(2026, 3, 10, 12));
    let mut f = Facts::default();
    let out = sanction(
        &p,
        &f,
        &s,
        &args("partnership_terminated", None, None),
        now,
        tz(),
    )
    .unwrap();
    assert_eq!(out.state, Some(StandingState::Terminated));
    assert_eq!(out.changes[0].change, ChangeKind::Terminated);
    let kinds: Vec<StandingNotice> = out.notices.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            StandingNotice::PartnershipTerminated,
            StandingNotice::PartnershipTerminated,
            StandingNotice::SanctionApplied
        ]
    );
    out.apply(&mut f, &mut s, tz());
    assert_eq!(code(gate(&s, &f, now)), "terminated");
    assert_eq!(
        code(lift_sanction(&p, &f, &s, "partnership_terminated", now)),
        "terminated"
    );
}

#[test]
fn a_suspension_ends_in_a_reinstatement_inside_the_term_and_a_revocation_is_final() {
    let p = load("bitrix-kkv-competence");
    let (mut s, now) = (active("k"), local(2026, 3, 10, 12));
    let mut f = Facts::default();
    assert_eq!(
        code(sanction(
            &p,
            &f,
            &s,
            &args("kkv_suspended", None, None),
            now,
            tz()
        )),
        "invalid_input"
    );
    let until = NaiveDate::from_ymd_opt(2026, 5, 31);
    let out = sanction(&p, &f, &s, &args("kkv_suspended", None, until), now, tz()).unwrap();
    assert_eq!(out.state, Some(StandingState::Suspended));
    assert_eq!(out.due[0].at, local(2026, 6, 1, 0));
    out.apply(&mut f, &mut s, tz());
    assert!(sanction_end(&p, &f, &s, "kkv_suspended", local(2026, 5, 31, 23)).is_empty());
    let back = sanction_end(&p, &f, &s, "kkv_suspended", local(2026, 6, 1, 0));
    assert_eq!(back.state, Some(StandingState::Active));
    assert_eq!(back.changes[0].change, ChangeKind::Reinstated);
    back.apply(&mut f, &mut s, tz());
    let revoked = sanction(
        &p,
        &f,
        &s,
        &args("kkv_revoked", None, None),
        local(2026, 7, 1, 0),
        tz(),
    )
    .unwrap();
    assert_eq!(revoked.state, Some(StandingState::Revoked));
    revoked.apply(&mut f, &mut s, tz());
    assert_eq!(
        code(lift_sanction(
            &p,
            &f,
            &s,
            "kkv_revoked",
            local(2026, 7, 2, 0)
        )),
        "invalid_state"
    );
}

#[test]
fn a_suspension_ending_after_the_term_leaves_the_standing_expired() {
    let p = load("bitrix-kkv-competence");
    let (mut s, now) = (active("k"), local(2026, 12, 1, 12));
    let mut f = Facts::default();
    let until = NaiveDate::from_ymd_opt(2027, 2, 1);
    sanction(&p, &f, &s, &args("kkv_suspended", None, until), now, tz())
        .unwrap()
        .apply(&mut f, &mut s, tz());
    let end = sanction_end(&p, &f, &s, "kkv_suspended", local(2027, 2, 2, 0));
    assert_eq!(end.state, Some(StandingState::Expired));
    assert!(end.changes.is_empty());
}

#[test]
fn disconnecting_needs_a_warning_on_record_and_then_refuses_every_step() {
    let p = moysklad();
    let (mut s, now) = (active("m"), local(2026, 9, 1, 10));
    let mut f = Facts::default();
    let d = action(&p, "disconnect");
    assert_eq!(code(disconnect(&p, &d, &f, &s, now)), "no_prior_warning");
    let v = ViolationArgs {
        code: "price_dumping".into(),
        note: Some("цены ниже оферты".into()),
    };
    let pv = action(&p, "partner_violation");
    let recorded = partner_violation(&p, &pv, &f, &s, &v, now, tz()).unwrap();
    assert_eq!(
        recorded.notices.len(),
        1,
        "violation_recorded goes to the partner only"
    );
    assert_eq!(
        recorded.notices[0].note.as_deref(),
        Some("цены ниже оферты")
    );
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
    assert_eq!(
        code(partner_violation(
            &p,
            &pv,
            &f,
            &s,
            &v,
            local(2026, 9, 3, 10),
            tz()
        )),
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
fn an_unknown_violation_code_is_invalid_input() {
    let p = moysklad();
    let v = ViolationArgs {
        code: "false_status_claim".into(),
        note: None,
    };
    let r = partner_violation(
        &p,
        &action(&p, "partner_violation"),
        &Facts::default(),
        &active("m"),
        &v,
        local(2026, 1, 1, 0),
        tz(),
    );
    assert_eq!(code(r), "invalid_input");
}

#[test]
fn a_partners_notice_runs_a_month_and_a_later_date_it_names_the_vendor_ends_it_at_once() {
    let p = bitrix();
    let (s, now) = (active("b"), local(2026, 3, 10, 12));
    let f = Facts::default();
    let t = action(&p, "terminate");
    let by = |by, effective| TerminateArgs { by, effective };
    let out = terminate(&p, &t, &f, &s, &by(Party::Partner, None), now, tz()).unwrap();
    assert_eq!(
        out.due,
        [Planned {
            at: local(2026, 4, 11, 0),
            rank: FLAG_RANK,
            due: StandingDue::TerminationEffective
        }]
    );
    assert!(out.changes.is_empty());
    // An earlier date is moved to the end of the notice; a later one is kept.
    let early = terminate(
        &p,
        &t,
        &f,
        &s,
        &by(Party::Partner, NaiveDate::from_ymd_opt(2026, 3, 20)),
        now,
        tz(),
    )
    .unwrap();
    assert_eq!(early.due[0].at, local(2026, 4, 11, 0));
    let late = terminate(
        &p,
        &t,
        &f,
        &s,
        &by(Party::Partner, NaiveDate::from_ymd_opt(2026, 6, 30)),
        now,
        tz(),
    )
    .unwrap();
    assert_eq!(late.due[0].at, local(2026, 7, 1, 0));
    let end = termination_effective(&p, &f, &s, local(2026, 4, 11, 0));
    assert_eq!(end.state, Some(StandingState::Terminated));
    assert_eq!(end.notices[0].kind, StandingNotice::PartnershipTerminated);
    let vendor = terminate(&p, &t, &f, &s, &by(Party::Vendor, None), now, tz()).unwrap();
    assert_eq!(vendor.changes[0].until, Some(now));
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
