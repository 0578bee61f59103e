//! Example 08 (shared/scenarios/08-moysklad-status, copied to tests/scenarios/moysklad/) driven
//! through the pure functions of `review`, `records` and the ladder over the shipped
//! `moysklad-partner-status.toml`, due items fired in (instant, rank, partner) order, and
//! compared with the example's `.expected.json`.

use super::*;
use crate::domain::seminar::Recipient;
use crate::domain::standing::ladder::Change;
use crate::domain::standing::metrics::{metric, FlagSpan, StaffMember};
use crate::domain::standing::records;
use crate::domain::standing::review_outcome::Notice;
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
    let mut h = json!({"at": shown(c.at), "code": c.code, "change": c.change.as_str()});
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
    opt(&mut v, "change", n.change.map(|c| json!(c.as_str())));
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
