//! Example 08 (shared/scenarios/08-moysklad-status, copied to tests/scenarios/moysklad/) driven
//! through the pure functions of `review`, `records` and the ladder over the shipped
//! `moysklad-partner-status.toml`, due items fired in (instant, rank, partner) order, and
//! compared with the example's `.expected.json`; then the review and warning edges.

use super::*;
use crate::domain::seminar::Recipient;
use crate::domain::standing::ladder::Change;
use crate::domain::standing::metrics::{metric, FlagSpan, StaffMember};
use crate::domain::standing::outcome::Notice;
use crate::domain::standing::records;
use crate::domain::workflow::{MetricType, Workflow};
use serde_json::{json, Value};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios/moysklad");

pub(crate) fn workflow() -> Workflow {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/workflows/moysklad-partner-status.toml"
    );
    let text = std::fs::read_to_string(path).expect("the shipped file");
    crate::catalog::parse_workflow(&text, "moysklad-partner-status").expect("parses")
}

pub(crate) fn program() -> StandingProgram {
    workflow().standing.expect("a partner program")
}

pub(crate) fn tz() -> Tz {
    workflow().deadline_zone.parse().expect("an IANA zone")
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn shown(t: DateTime<Utc>) -> String {
    t.with_timezone(&tz()).to_rfc3339()
}

fn rub(k: i64) -> String {
    format!("{}.{:02}", k / 100, k % 100)
}

struct Partner {
    id: String,
    country: String,
    facts: Facts,
    s: Standing,
    history: Vec<Value>,
}

/// The example's world: partners, pending due items, what was told and refused.
struct World {
    p: StandingProgram,
    partners: Vec<Partner>,
    due: Vec<(DateTime<Utc>, u8, usize, StandingDue)>,
    notices: Vec<Value>,
    refused: Vec<Value>,
}

impl World {
    fn book(&mut self, i: usize, at: DateTime<Utc>, out: Outcome) {
        for c in &out.changes {
            let h = history_entry(&self.p, &self.partners[i].facts, c);
            self.partners[i].history.push(h);
        }
        for n in &out.notices {
            self.notices.push(notice_json(&self.partners[i].id, at, n));
        }
        for d in &out.due {
            let item = (d.at, d.rank, i, d.due.clone());
            if !self.due.contains(&item) {
                self.due.push(item);
            }
        }
        let pt = &mut self.partners[i];
        out.apply(&mut pt.facts, &mut pt.s, tz());
    }

    /// Fires every due item at or before `t`, in (instant, rank, partner) order.
    fn fire_until(&mut self, t: DateTime<Utc>) {
        loop {
            self.due.sort_by_key(|(at, rank, i, _)| (*at, *rank, *i));
            if self.due.first().is_none_or(|d| d.0 > t) {
                return;
            }
            let (at, _, i, due) = self.due.remove(0);
            let pt = &self.partners[i];
            let out = match &due {
                StandingDue::Review => review(&self.p, &pt.facts, &pt.s, at, tz()),
                StandingDue::AtRisk { review_at } => {
                    at_risk(&self.p, &pt.facts, &pt.s, *review_at, at, tz())
                }
                StandingDue::Watcher { code } => {
                    records::watch(&self.p, code, &pt.facts, &pt.s, at).expect("a watcher")
                }
                other => panic!("not in example 08: {other:?}"),
            };
            self.book(i, at, out);
        }
    }

    fn step(&mut self, n: usize, step: &toml::Table) {
        let at = instant(step["at"].as_str().unwrap());
        self.fire_until(at);
        let name = step["do"].as_str().unwrap();
        let who = step["partner"].as_str().unwrap();
        let i = self.partners.iter().position(|x| x.id == who).unwrap();
        let action = self
            .p
            .actions
            .iter()
            .find(|a| a.name == name)
            .unwrap()
            .clone();
        let mut fields = serde_json::Map::new();
        for (k, v) in step
            .iter()
            .filter(|(k, _)| !["at", "do", "partner"].contains(&k.as_str()))
        {
            fields.insert(k.clone(), serde_json::to_value(v).unwrap());
        }
        if action.op == "staff_certify" {
            // Staff are not an `Outcome` field (the dispatcher owns them): attached here.
            let pt = &mut self.partners[i];
            if let Err(DomainError::Refused(r)) = gate(&pt.s, &pt.facts, at) {
                panic!("step {n}: {r}");
            }
            pt.facts.staff.push(StaffMember {
                id: fields["staff"].as_str().unwrap().into(),
                role: "employee".into(),
                courses: vec![fields["course"].as_str().unwrap().into()],
                attached: at,
                detached: None,
            });
            return;
        }
        match self.run(i, &action, &fields, at) {
            Ok(out) => self.book(i, at, out),
            Err(DomainError::Refused(r)) => self
                .refused
                .push(json!({"step": n, "do": name, "partner": who, "code": r.code_str()})),
            Err(e) => panic!("step {n}: {e}"),
        }
    }

    /// The ops of example 08; staff, flags and credits stand in for the generic ops the
    /// dispatcher owns (after the same `gate`).
    fn run(
        &self,
        i: usize,
        a: &Action,
        fields: &serde_json::Map<String, Value>,
        at: DateTime<Utc>,
    ) -> Result<Outcome, DomainError> {
        let pt = &self.partners[i];
        let (p, f, s) = (&self.p, &pt.facts, &pt.s);
        let text = |k: &str| {
            fields
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let mut out = Outcome::default();
        match a.op.as_str() {
            "onboarding_flag" => {
                let args = OnboardingArgs {
                    country: pt.country.clone(),
                    staff: fields
                        .get("staff")
                        .and_then(Value::as_str)
                        .map(String::from),
                };
                return onboarding_flag(p, a, f, s, &args, at, tz());
            }
            "record" => return records::record(p, a, f, s, fields, at, tz()),
            "flag_set" => {
                gate(s, f, at)?;
                let flag = param(a, "flag").unwrap().to_string();
                out.flags.push(if fields["present"].as_bool().unwrap() {
                    FlagChange::Set {
                        flag,
                        since: at,
                        until: None,
                    }
                } else {
                    FlagChange::Clear { flag, at }
                });
            }
            "credit" => {
                gate(s, f, at)?;
                out.ledger.push(PointsEntry {
                    ledger: param(a, "ledger").unwrap().into(),
                    product: String::new(),
                    entry_kind: text("kind"),
                    points: fields["points"].as_i64().unwrap(),
                    booked: at,
                    date: local_date(at, tz()),
                    expires: None,
                });
            }
            other => panic!("op {other} is not in example 08"),
        }
        Ok(out)
    }
}

fn history_entry(p: &StandingProgram, facts: &Facts, c: &Change) -> Value {
    let mut h = json!({"at": shown(c.at), "code": c.code, "change": change_name(c.change)});
    if !c.from.is_empty() && c.from != c.code {
        h["from"] = json!(c.from);
    }
    if !c.snapshot.is_empty() {
        let mut m = serde_json::Map::new();
        let quarters: serde_json::Map<String, Value> = quarter_sums(p, facts, c.at, tz())
            .into_iter()
            .map(|(k, v)| (k, json!(rub(v))))
            .collect();
        m.insert("quarters".into(), Value::Object(quarters));
        for (name, v) in &c.snapshot {
            let t = p.metrics[name].metric_type().unwrap();
            let shown = match t {
                MetricType::RecordSumPerQuarter => continue,
                MetricType::RecordSumTotal => json!(rub(*v)),
                MetricType::Flag => json!(*v == 1),
                _ => json!(v),
            };
            m.insert(name.clone(), shown);
        }
        h["metrics"] = Value::Object(m);
    }
    if !c.unmet.is_empty() {
        h["unmet"] = json!(c.unmet);
    }
    h
}

use crate::domain::standing::outcome::change_name;

fn notice_json(partner: &str, at: DateTime<Utc>, n: &Notice) -> Value {
    let mut v = json!({"at": shown(at), "kind": n.kind.as_str()});
    match &n.to {
        Recipient::Partner(p) => v["to"] = json!(p),
        Recipient::Coordinator => {
            v["to"] = json!("coordinator");
            v["partner"] = json!(partner);
        }
    }
    let opt = |v: &mut Value, k: &str, x: Option<Value>| {
        if let Some(x) = x {
            v[k] = x;
        }
    };
    opt(&mut v, "status", n.status.clone().map(Value::from));
    opt(&mut v, "from", n.from.clone().map(Value::from));
    opt(&mut v, "change", n.change.map(|c| json!(change_name(c))));
    opt(&mut v, "until", n.until.map(|t| json!(shown(t))));
    opt(&mut v, "review_at", n.review_at.map(|t| json!(shown(t))));
    opt(&mut v, "client", n.client.clone().map(Value::from));
    opt(&mut v, "bonus_points", n.bonus_points.map(Value::from));
    if !n.unmet.is_empty() {
        v["unmet"] = json!(n.unmet);
    }
    v
}

fn opening(p: &StandingProgram, id: &str, o: &toml::Table, from: DateTime<Utc>) -> Partner {
    let registered = instant(o["registered_at"].as_str().unwrap());
    let since = instant(o["status_since"].as_str().unwrap());
    let code = o["status"].as_str().unwrap().to_string();
    let mut facts = Facts::default();
    let total = o["sales_total"].as_integer().unwrap();
    facts.openings.insert("sales_total".into(), total * 100);
    for n in 0..o["trained_staff"].as_integer().unwrap() {
        facts.staff.push(StaffMember {
            id: format!("opening-{n}"),
            role: "employee".into(),
            courses: vec!["uc_basics".into()],
            attached: registered,
            detached: None,
        });
    }
    if o["site_info"].as_bool().unwrap() {
        let span = FlagSpan {
            since: registered,
            until: None,
        };
        facts.flags.insert("site_info".into(), vec![span]);
    }
    facts.reached.insert(
        p.standing.floor.clone().unwrap(),
        local_date(registered, tz()),
    );
    facts.reached.insert(code.clone(), local_date(since, tz()));
    let mut s = Standing::new(id, "moysklad-partner-status");
    s.state = StandingState::Active;
    s.code = Some(code.clone());
    s.since = Some(since);
    s.until = ladder::next_review(&p.evaluation.as_ref().unwrap().review_dates, from, tz());
    let history = vec![json!({"at": shown(since), "code": code, "change": "granted"})];
    Partner {
        id: id.into(),
        country: "RU".into(),
        facts,
        s,
        history,
    }
}

#[test]
fn example_08_produces_its_expected_report() {
    let text = std::fs::read_to_string(format!("{DIR}/08-moysklad-status.toml")).unwrap();
    let sc: toml::Table = toml::from_str(&text).unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{DIR}/08-moysklad-status.expected.json")).unwrap(),
    )
    .unwrap();
    let p = program();
    let steps = sc["steps"].as_array().unwrap();
    let from = instant(steps[0]["at"].as_str().unwrap());
    let until = instant(sc["until"].as_str().unwrap());
    let mut w = World {
        p: p.clone(),
        partners: vec![],
        due: vec![],
        notices: vec![],
        refused: vec![],
    };
    for x in sc["partners"].as_array().unwrap() {
        let id = x["id"].as_str().unwrap();
        let pt = match x.get("opening") {
            Some(o) => opening(&p, id, o.as_table().unwrap(), from),
            None => Partner {
                id: id.into(),
                country: x
                    .get("country")
                    .and_then(|c| c.as_str())
                    .unwrap_or("RU")
                    .into(),
                facts: Facts::default(),
                s: Standing::new(id, "moysklad-partner-status"),
                history: vec![],
            },
        };
        w.partners.push(pt);
        let i = w.partners.len() - 1;
        let planned = plan_reviews(&p, &w.partners[i].s, from, tz());
        w.book(
            i,
            from,
            Outcome {
                due: planned,
                ..Outcome::default()
            },
        );
    }
    for (n, step) in steps.iter().enumerate() {
        w.step(n, step.as_table().unwrap());
    }
    w.fire_until(until);
    assert_eq!(json!(w.refused), expected["refused"]);
    assert_eq!(
        json!(w.notices),
        expected["notifications_present"],
        "{:#}",
        json!(w.notices)
    );
    for (pt, want) in w
        .partners
        .iter()
        .zip(expected["partners"].as_array().unwrap())
    {
        check_partner(&p, pt, want, until);
    }
}

fn check_partner(p: &StandingProgram, pt: &Partner, want: &Value, until: DateTime<Utc>) {
    let today = local_date(until, tz());
    let value = |name: &str| metric(&pt.facts, &p.metrics[name], until, today, pt.s.term());
    assert_eq!(
        json!(value("marketing_points")),
        want["points"],
        "{}",
        pt.id
    );
    let bonus: i64 = pt
        .facts
        .ledger
        .iter()
        .filter(|e| e.ledger == "ms_bonus")
        .map(|e| e.points)
        .sum();
    assert_eq!(json!(bonus), want["bonus_points"], "{}", pt.id);
    let flags: Vec<&String> = p
        .watchers
        .values()
        .map(|w| &w.flag)
        .filter(|f| flag_at(&pt.facts, f, until))
        .collect();
    assert_eq!(json!(flags), want["flags"], "{}", pt.id);
    let st = &want["status"];
    assert_eq!(json!(pt.s.code), st["code"], "{}", pt.id);
    assert_eq!(json!(pt.s.since.map(shown)), st["since"], "{}", pt.id);
    assert_eq!(json!(pt.s.until.map(shown)), st["until"], "{}", pt.id);
    assert_eq!(
        json!(pt.history),
        st["history"],
        "{}: {:#}",
        pt.id,
        json!(pt.history)
    );
}

// ---- review and warning edges -------------------------------------------------------------

fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    tz().with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn sale(at: DateTime<Utc>, kopecks: i64) -> crate::domain::standing::metrics::Record {
    crate::domain::standing::metrics::Record {
        record: "sale".into(),
        date: local_date(at, tz()),
        at,
        amount: kopecks,
        reference: None,
        marks: BTreeMap::new(),
    }
}

/// A Start partner (since 2026-01-12) meeting every Partner criterion but the quarter sums,
/// with `q1` and `q2` kopecks of sales in the first half of 2026 and `points` marketing points.
fn partner_facts(q1: i64, q2: i64, points: i64) -> Facts {
    let mut f = Facts::default();
    f.records = vec![
        sale(local(2026, 2, 1, 10), q1),
        sale(local(2026, 5, 1, 10), q2),
    ];
    f.staff.push(StaffMember {
        id: "a".into(),
        role: "employee".into(),
        courses: vec!["uc_basics".into()],
        attached: local(2026, 1, 20, 10),
        detached: None,
    });
    f.flags.insert(
        "site_info".into(),
        vec![FlagSpan {
            since: local(2026, 1, 20, 10),
            until: None,
        }],
    );
    f.reached.insert(
        "ms_start".into(),
        NaiveDate::from_ymd_opt(2026, 1, 12).unwrap(),
    );
    f.ledger.push(PointsEntry {
        ledger: "ms_marketing".into(),
        product: String::new(),
        entry_kind: "marketing".into(),
        points,
        booked: local(2026, 3, 1, 10),
        date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        expires: None,
    });
    f
}

fn standing(code: &str) -> Standing {
    let mut s = Standing::new("m", "moysklad-partner-status");
    s.state = StandingState::Active;
    s.code = Some(code.into());
    s.since = Some(local(2026, 1, 12, 10));
    s
}

#[test]
fn a_quarter_one_kopeck_short_of_the_threshold_keeps_the_floor_and_tells_nothing() {
    let p = program();
    let review_at = local(2026, 7, 1, 0);
    let short = review(
        &p,
        &partner_facts(5_000_000, 4_999_999, 100),
        &standing("ms_start"),
        review_at,
        tz(),
    );
    assert!(
        short.changes.is_empty() && short.notices.is_empty(),
        "{short:#?}"
    );
    // The next review is planned, with no warning for the floor.
    assert_eq!(short.due.len(), 1);
    assert_eq!(short.due[0].at, local(2027, 1, 1, 0));
    let met = review(
        &p,
        &partner_facts(5_000_000, 5_000_000, 100),
        &standing("ms_start"),
        review_at,
        tz(),
    );
    assert_eq!(met.changes[0].code, "ms_partner");
    assert_eq!(met.changes[0].until, Some(local(2027, 1, 1, 0)));
    // Above the floor: the next review and the warning 14 days before it at 09:00.
    assert_eq!(met.due[1].at, local(2026, 12, 18, 9));
}

#[test]
fn ninety_nine_marketing_points_are_not_enough_and_a_hundred_are() {
    let p = program();
    let at = local(2026, 7, 1, 0);
    let s = standing("ms_start");
    assert!(
        review(&p, &partner_facts(6_000_000, 6_000_000, 99), &s, at, tz())
            .changes
            .is_empty()
    );
    let c = &review(&p, &partner_facts(6_000_000, 6_000_000, 100), &s, at, tz()).changes[0];
    assert_eq!(
        (c.change, c.code.as_str()),
        (ChangeKind::Promoted, "ms_partner")
    );
}

#[test]
fn a_review_between_review_dates_does_nothing() {
    let p = program();
    let out = review(
        &p,
        &partner_facts(9_000_000, 9_000_000, 500),
        &standing("ms_start"),
        local(2026, 6, 30, 0),
        tz(),
    );
    assert!(out.is_empty());
}

#[test]
fn a_demotion_tells_partner_and_coordinator_what_failed() {
    let p = program();
    let mut s = standing("ms_partner");
    s.since = Some(local(2026, 1, 1, 0));
    let out = review(
        &p,
        &partner_facts(6_000_000, 4_000_000, 150),
        &s,
        local(2026, 7, 1, 0),
        tz(),
    );
    assert_eq!(out.changes[0].change, ChangeKind::Demoted);
    assert_eq!(out.changes[0].until, None);
    let to: Vec<&Recipient> = out.notices.iter().map(|n| &n.to).collect();
    assert_eq!(
        to,
        [&Recipient::Partner("m".into()), &Recipient::Coordinator]
    );
    assert_eq!(out.notices[0].unmet, ["quarterly_sales"]);
}

#[test]
fn the_warning_reads_the_figures_to_date_at_the_review_and_names_what_is_missing() {
    let p = program();
    let s = standing("ms_partner");
    let review_at = local(2027, 1, 1, 0);
    let mut f = partner_facts(6_000_000, 6_000_000, 150);
    f.records.push(sale(local(2026, 8, 1, 10), 5_000_000));
    f.records.push(sale(local(2026, 11, 1, 10), 4_999_999));
    // A sale after the warning is not known yet.
    f.records.push(sale(local(2026, 12, 20, 10), 1));
    let out = at_risk(&p, &f, &s, review_at, local(2026, 12, 18, 9), tz());
    assert_eq!(out.notices.len(), 2);
    assert_eq!(out.notices[0].unmet, ["quarterly_sales"]);
    assert_eq!(out.notices[0].review_at, Some(review_at));
    // Counted with that sale, Q4 reaches 50 000: no warning.
    assert!(at_risk(&p, &f, &s, review_at, local(2026, 12, 21, 9), tz()).is_empty());
}

#[test]
fn last_years_annual_count_still_stands_at_the_july_review() {
    let p = program();
    let mut f = partner_facts(6_000_000, 6_000_000, 0);
    f.ledger[0].booked = local(2025, 6, 1, 10);
    f.ledger[0].date = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    f.ledger[0].points = 100;
    let c = &review(&p, &f, &standing("ms_start"), local(2026, 7, 1, 0), tz()).changes[0];
    assert_eq!(c.snapshot["marketing_points"], 100);
    // Two years back no longer counts.
    let out = review(&p, &f, &standing("ms_start"), local(2027, 7, 1, 0), tz());
    assert!(out.changes.is_empty());
}

#[test]
fn a_zero_day_warning_offset_turns_the_warning_off() {
    let mut p = program();
    p.evaluation
        .as_mut()
        .unwrap()
        .at_risk
        .as_mut()
        .unwrap()
        .days_before = 0;
    let due = plan_reviews(&p, &standing("ms_partner"), local(2026, 2, 1, 0), tz());
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].due, StandingDue::Review);
}

fn action(name: &str) -> Action {
    program()
        .actions
        .into_iter()
        .find(|a| a.name == name)
        .unwrap()
}

#[test]
fn onboarding_refuses_out_of_order_steps_and_waits_for_the_contract_in_kazakhstan() {
    let p = program();
    let now = local(2026, 1, 12, 10);
    let new = Standing::new("k", "moysklad-partner-status");
    let kz = OnboardingArgs {
        country: "KZ".into(),
        staff: None,
    };
    let err = onboarding_flag(
        &p,
        &action("pass_test"),
        &Facts::default(),
        &new,
        &kz,
        now,
        tz(),
    )
    .unwrap_err();
    assert!(
        matches!(err, DomainError::Refused(ref r) if r.code_str() == "not_admitted"),
        "{err:?}"
    );
    let mut f = Facts::default();
    let mut s = new.clone();
    onboarding_flag(&p, &action("register"), &f, &s, &kz, now, tz())
        .unwrap()
        .apply(&mut f, &mut s, tz());
    assert_eq!(s.state, StandingState::Admitted);
    let again = onboarding_flag(&p, &action("register"), &f, &s, &kz, now, tz()).unwrap_err();
    assert!(matches!(again, DomainError::Refused(ref r) if r.code_str() == "already_admitted"));
    let test = onboarding_flag(&p, &action("pass_test"), &f, &s, &kz, now, tz()).unwrap();
    assert!(test.changes.is_empty(), "KZ: no Start before the agreement");
    test.apply(&mut f, &mut s, tz());
    let twice = onboarding_flag(&p, &action("pass_test"), &f, &s, &kz, now, tz()).unwrap_err();
    assert!(matches!(twice, DomainError::Refused(ref r) if r.code_str() == "invalid_state"));
    let agreed = onboarding_flag(&p, &action("accept_agreement"), &f, &s, &kz, now, tz()).unwrap();
    assert_eq!(agreed.changes[0].change, ChangeKind::Granted);
    assert_eq!(agreed.ledger[0].points, 10_000);
    assert_eq!(agreed.notices[0].bonus_points, Some(10_000));
}

#[test]
fn an_employees_test_does_not_count_for_start() {
    let p = program();
    let now = local(2026, 1, 12, 10);
    let (mut f, mut s) = (
        Facts::default(),
        Standing::new("e", "moysklad-partner-status"),
    );
    let ru = OnboardingArgs {
        country: "RU".into(),
        staff: None,
    };
    onboarding_flag(&p, &action("register"), &f, &s, &ru, now, tz())
        .unwrap()
        .apply(&mut f, &mut s, tz());
    f.staff.push(StaffMember {
        id: "ivanova".into(),
        role: "employee".into(),
        courses: vec![],
        attached: now,
        detached: None,
    });
    let by_employee = OnboardingArgs {
        staff: Some("ivanova".into()),
        ..ru.clone()
    };
    assert!(
        onboarding_flag(&p, &action("pass_test"), &f, &s, &by_employee, now, tz())
            .unwrap()
            .is_empty()
    );
    let by_admin = onboarding_flag(&p, &action("pass_test"), &f, &s, &ru, now, tz()).unwrap();
    assert_eq!(by_admin.changes[0].code, "ms_start");
    assert_eq!(by_admin.due[0].at, local(2026, 7, 1, 0));
}
