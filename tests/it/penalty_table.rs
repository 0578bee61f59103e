//! DOMAIN.md §2.4 penalty table (one test per row: 13 automatic, 12 manual), §2.5 points and
//! compensation, §2.6 ledgers. Each test writes a small scenario (SCENARIOS.md format), runs it
//! through `simulate` and checks the report against values worked out by hand from the rule book.
//!
//! Calendar facts used below (2017, Europe/Moscow, all +03:00, no DST):
//! program and postal address due 02-22, estimate 03-01, landing 03-07, announcement plan
//! (week 1) 03-10. Seminar Wed 03-29 → report due Wed 04-05; seminar Sat 04-08 → report due
//! Fri 04-14. A clock-fired penalty is booked at 00:00 of the day after the band starts.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use seminarflow::simulate::{self, PartnerReport, Report, SeminarReport};

// ---------------------------------------------------------------------------------------------
// Scenario builder: partner p1 applies for seminar s1 on 2017-01-24, approved on 2017-01-27.
// ---------------------------------------------------------------------------------------------

struct Sc {
    date: NaiveDate,
    until: String,
    steps: Vec<(DateTime<FixedOffset>, String)>,
}

fn instant(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("bad instant {s}: {e}"))
}

/// p1 applies for `city` on `date` (2017-01-24 10:00) and is approved (2017-01-27 12:00).
fn seminar(city: &str, date: &str) -> Sc {
    Sc {
        date: date.parse().unwrap(),
        until: "2017-04-30T00:00:00+03:00".into(),
        steps: vec![],
    }
    .step(
        "2017-01-24T10:00:00+03:00",
        "apply",
        &format!("partner = \"p1\"\ncity = \"{city}\"\ndate = \"{date}\""),
    )
    .step("2017-01-27T12:00:00+03:00", "approve_application", "")
}

/// The default seminar: Тула (minimum attendance 15), Wednesday 2017-03-29 (week 1).
fn tula() -> Sc {
    seminar("Тула", "2017-03-29")
}

/// On-time submission and approval instants of each preparation stage.
fn on_time_instants(stage: &str) -> (&'static str, &'static str) {
    match stage {
        "program" => ("2017-02-10T10:00:00+03:00", "2017-02-13T10:00:00+03:00"),
        "postal_address" => ("2017-02-20T10:00:00+03:00", "2017-02-21T10:00:00+03:00"),
        "estimate" => ("2017-02-27T10:00:00+03:00", "2017-02-28T10:00:00+03:00"),
        "landing" => ("2017-03-02T10:00:00+03:00", "2017-03-03T10:00:00+03:00"),
        "announcement_plan" => ("2017-03-06T10:00:00+03:00", "2017-03-09T10:00:00+03:00"),
        other => panic!("no on-time instants for {other}"),
    }
}

const PREPARATION: [&str; 5] = [
    "program",
    "postal_address",
    "estimate",
    "landing",
    "announcement_plan",
];

impl Sc {
    /// Adds a step for s1; steps are sorted by instant (stably) when the text is written.
    fn step(mut self, at: &str, action: &str, extra: &str) -> Sc {
        let mut body = format!("\n[[steps]]\nat = \"{at}\"\ndo = \"{action}\"\nseminar = \"s1\"\n");
        if !extra.is_empty() {
            body.push_str(extra);
            body.push('\n');
        }
        self.steps.push((instant(at), body));
        self
    }

    fn submit(self, at: &str, stage: &str) -> Sc {
        self.step(at, "submit", &format!("stage = \"{stage}\""))
    }

    fn give_back(self, at: &str, stage: &str) -> Sc {
        self.step(at, "return", &format!("stage = \"{stage}\""))
    }

    fn approve(self, at: &str, stage: &str) -> Sc {
        self.step(at, "approve", &format!("stage = \"{stage}\""))
    }

    fn change_venue(self, at: &str) -> Sc {
        self.step(at, "change_venue", "")
    }

    /// A manual violation; `extra` may add `count = N` / `cost = RUB`.
    fn violation(self, at: &str, code: &str, extra: &str) -> Sc {
        let mut fields = format!("code = \"{code}\"");
        if !extra.is_empty() {
            fields.push('\n');
            fields.push_str(extra);
        }
        self.step(at, "violation", &fields)
    }

    /// Submits and approves `stage` on time.
    fn on_time(self, stage: &str) -> Sc {
        let (sub, appr) = on_time_instants(stage);
        self.submit(sub, stage).approve(appr, stage)
    }

    /// Every preparation stage on time.
    fn prepared(self) -> Sc {
        self.prepared_except(&[])
    }

    /// Every preparation stage on time except `skip` (the test writes those itself).
    fn prepared_except(mut self, skip: &[&str]) -> Sc {
        for st in PREPARATION {
            if !skip.contains(&st) {
                self = self.on_time(st);
            }
        }
        self
    }

    /// The report: `attendees`, documented `costs` (RUB); `extra` may add `estimate = RUB`,
    /// `third_party_companies = N`.
    fn report(self, at: &str, attendees: u32, costs: &str, extra: &str) -> Sc {
        let mut fields = format!(
            "attendees = {attendees}\nregistrations = {}\ncosts = {costs}",
            attendees * 2 + 10
        );
        if !extra.is_empty() {
            fields.push('\n');
            fields.push_str(extra);
        }
        self.step(at, "report", &fields)
    }

    fn accept(self, at: &str) -> Sc {
        self.step(at, "accept_report", "")
    }

    /// `day` days after the seminar date at `hh:mm`, Moscow.
    fn after_seminar(&self, day: i64, time: &str) -> String {
        format!("{}T{time}:00+03:00", self.date + Duration::days(day))
    }

    /// Report on the day after the seminar (10:00), accepted the day after that (10:00).
    fn closed(self, attendees: u32, costs: &str, extra: &str) -> Sc {
        let rep = self.after_seminar(1, "10:00");
        let acc = self.after_seminar(2, "10:00");
        self.report(&rep, attendees, costs, extra).accept(&acc)
    }

    fn until(mut self, at: &str) -> Sc {
        self.until = at.into();
        self
    }

    fn toml(&self) -> String {
        let mut steps: Vec<&(DateTime<FixedOffset>, String)> = self.steps.iter().collect();
        steps.sort_by_key(|s| s.0);
        let mut text = format!(
            "workflow = \"bitrix24-seminars-2017-spring\"\nuntil = \"{}\"\n\n[[partners]]\nid = \"p1\"\nname = \"СекретКонтора\"\n",
            self.until
        );
        for (_, body) in steps {
            text.push_str(body);
        }
        text
    }

    async fn run(&self) -> Report {
        let text = self.toml();
        let cat =
            seminarflow::catalog::Catalog::open(crate::support::root().join("workflows")).unwrap();
        let (sc, prog) = simulate::load(&cat, &text)
            .unwrap_or_else(|e| panic!("scenario does not load: {e}\n{text}"));
        let (_service, report) = simulate::run(&sc, prog)
            .await
            .unwrap_or_else(|e| panic!("scenario does not run: {e}\n{text}"));
        report
    }
}

// ---------------------------------------------------------------------------------------------
// Report helpers
// ---------------------------------------------------------------------------------------------

fn dump(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap()
}

fn s1(r: &Report) -> &SeminarReport {
    r.seminars
        .iter()
        .find(|s| s.id == "s1")
        .unwrap_or_else(|| panic!("no s1:\n{}", dump(r)))
}

fn p1(r: &Report) -> &PartnerReport {
    r.partners
        .iter()
        .find(|p| p.id == "p1")
        .unwrap_or_else(|| panic!("no p1:\n{}", dump(r)))
}

type Pen = (String, i64, bool, String);

fn pen(code: &str, points: i64, exclusion: bool, at: &str) -> Pen {
    (code.into(), points, exclusion, at.into())
}

fn penalties(r: &Report) -> Vec<Pen> {
    s1(r)
        .penalties
        .iter()
        .map(|p| (p.code.clone(), p.points, p.exclusion, p.at.clone()))
        .collect()
}

/// The penalties of s1, in booking order; each one is also told to the partner at its instant.
fn assert_penalties(r: &Report, expected: &[Pen]) {
    assert_eq!(
        penalties(r),
        expected,
        "penalties of s1; report:\n{}",
        dump(r)
    );
    for p in expected {
        assert!(
            r.notifications
                .iter()
                .any(|n| n.kind.as_str() == "penalty_applied"
                    && n.to == "p1"
                    && n.seminar == "s1"
                    && n.at == p.3),
            "a `penalty_applied` notification to p1 at {} for {}; report:\n{}",
            p.3,
            p.0,
            dump(r)
        );
    }
}

fn assert_nothing_refused(r: &Report) {
    assert!(
        r.refused.is_empty(),
        "every step is accepted; refused: {:?}",
        r.refused
    );
}

fn assert_state(r: &Report, state: &str) {
    assert_eq!(s1(r).state, state, "state of s1; report:\n{}", dump(r));
}

/// Exclusion (§2.4): state `excluded`, exactly the one exclusion penalty (nothing booked
/// before or after it), partner barred, the partner told at that instant, and no reminders
/// or penalties afterwards.
fn assert_excluded_by(r: &Report, code: &str, at: &str) {
    assert_nothing_refused(r);
    assert_state(r, "excluded");
    assert_penalties(r, &[pen(code, 0, true, at)]);
    assert!(
        p1(r).flags.iter().any(|f| f == "barred"),
        "exclusion bars the partner; report:\n{}",
        dump(r)
    );
    assert!(
        r.notifications.iter().any(|n| n.kind.as_str() == "excluded"
            && n.to == "p1"
            && n.seminar == "s1"
            && n.at == at),
        "an `excluded` notification to p1 at {at}; report:\n{}",
        dump(r)
    );
    let end = instant(at);
    let later: Vec<_> = r
        .notifications
        .iter()
        .filter(|n| n.seminar == "s1" && instant(&n.at) > end)
        .filter(|n| n.kind.as_str() == "deadline_reminder" || n.kind.as_str() == "penalty_applied")
        .collect();
    assert!(
        later.is_empty(),
        "an excluded seminar gets no further reminders or penalties: {later:?}"
    );
    assert_eq!(s1(r).points_awarded, 0);
    assert_eq!(s1(r).compensation, "0.00");
    assert_eq!(p1(r).points, 0, "an exclusion costs no points by itself");
}

/// A closed seminar: state, organizer points, compensation, and the partner's ledgers.
fn assert_closed(r: &Report, awarded: i64, compensation: &str, balance: i64) {
    assert_nothing_refused(r);
    assert_state(r, "closed");
    assert_eq!(
        s1(r).points_awarded,
        awarded,
        "points_awarded; report:\n{}",
        dump(r)
    );
    assert_eq!(
        s1(r).compensation,
        compensation,
        "compensation; report:\n{}",
        dump(r)
    );
    assert_eq!(
        p1(r).points,
        balance,
        "partner's active points; report:\n{}",
        dump(r)
    );
    assert_eq!(
        p1(r).bonus,
        compensation,
        "partner's bonus account; report:\n{}",
        dump(r)
    );
}

// =============================================================================================
// §2.4 automatic penalties
// =============================================================================================

#[tokio::test]
async fn a_program_not_submitted_by_february_22_excludes_the_seminar_at_midnight() {
    // Deadline 02-22 ends at 2017-02-23T00:00+03:00 (the rule book's own example).
    let r = tula().run().await;
    assert_excluded_by(&r, "program_first_late", "2017-02-23T00:00:00+03:00");
}

#[tokio::test]
async fn a_program_resubmitted_two_days_late_costs_ten_points() {
    // Returned without a due date → designated deadline stays 02-22; 02-24 is 2 days late.
    let r = tula()
        .prepared_except(&["program"])
        .submit("2017-02-20T10:00:00+03:00", "program")
        .give_back("2017-02-21T10:00:00+03:00", "program")
        .submit("2017-02-24T11:00:00+03:00", "program")
        .approve("2017-02-24T15:00:00+03:00", "program")
        .closed(20, "30000", "")
        .run()
        .await;
    assert_penalties(
        &r,
        &[pen(
            "program_resubmit_late",
            -10,
            false,
            "2017-02-24T11:00:00+03:00",
        )],
    );
    assert!(s1(&r).info_support);
    assert_closed(&r, 120, "30000.00", 110);
}

#[tokio::test]
async fn a_returned_program_still_not_resubmitted_two_days_after_the_deadline_excludes_the_seminar()
{
    // Returned 02-21, designated deadline 02-22; still held at the end of day +2 (02-24).
    let r = tula()
        .submit("2017-02-20T10:00:00+03:00", "program")
        .give_back("2017-02-21T10:00:00+03:00", "program")
        .run()
        .await;
    assert_excluded_by(
        &r,
        "program_resubmit_very_late",
        "2017-02-25T00:00:00+03:00",
    );
}

#[tokio::test]
async fn an_estimate_not_submitted_by_march_1_excludes_the_seminar_at_midnight() {
    let r = tula()
        .on_time("program")
        .on_time("postal_address")
        .run()
        .await;
    assert_excluded_by(&r, "estimate_first_late", "2017-03-02T00:00:00+03:00");
}

#[tokio::test]
async fn an_estimate_resubmitted_four_days_late_costs_ten_points() {
    // Returned on its deadline day 03-01 (no due date); re-submitted 03-05 = 4 days late.
    let r = tula()
        .prepared_except(&["estimate"])
        .submit("2017-02-27T10:00:00+03:00", "estimate")
        .give_back("2017-03-01T12:00:00+03:00", "estimate")
        .submit("2017-03-05T10:00:00+03:00", "estimate")
        .approve("2017-03-05T15:00:00+03:00", "estimate")
        .closed(20, "30000", "")
        .run()
        .await;
    assert_penalties(
        &r,
        &[pen(
            "estimate_resubmit_late",
            -10,
            false,
            "2017-03-05T10:00:00+03:00",
        )],
    );
    assert_closed(&r, 120, "30000.00", 110);
}

#[tokio::test]
async fn a_returned_estimate_still_not_resubmitted_four_days_after_the_deadline_excludes_the_seminar(
) {
    // Returned 03-01, designated deadline 03-01; a re-submission from 03-06 on would be more
    // than 4 days late, so the clock fires at the end of day +4: 2017-03-06T00:00.
    let r = tula()
        .on_time("program")
        .on_time("postal_address")
        .submit("2017-02-27T10:00:00+03:00", "estimate")
        .give_back("2017-03-01T12:00:00+03:00", "estimate")
        .run()
        .await;
    assert_excluded_by(
        &r,
        "estimate_resubmit_very_late",
        "2017-03-06T00:00:00+03:00",
    );
}

#[tokio::test]
async fn a_landing_submitted_one_day_late_costs_ten_points() {
    // Deadline 03-07; 03-08 (a holiday, but lateness counts calendar days) is 1 day late.
    let r = tula()
        .prepared_except(&["landing"])
        .submit("2017-03-08T10:00:00+03:00", "landing")
        .approve("2017-03-09T10:00:00+03:00", "landing")
        .closed(20, "30000", "")
        .run()
        .await;
    assert_penalties(
        &r,
        &[pen(
            "landing_first_late",
            -10,
            false,
            "2017-03-08T10:00:00+03:00",
        )],
    );
    assert!(
        s1(&r).info_support,
        "a first late landing keeps information support"
    );
    assert_closed(&r, 120, "30000.00", 110);
}

#[tokio::test]
async fn a_landing_not_submitted_by_the_end_of_the_day_after_its_deadline_excludes_the_seminar() {
    // The rule book's example: landing_first_very_late → 2017-03-09T00:00+03:00.
    let r = tula()
        .on_time("program")
        .on_time("postal_address")
        .on_time("estimate")
        .run()
        .await;
    assert_excluded_by(&r, "landing_first_very_late", "2017-03-09T00:00:00+03:00");
}

#[tokio::test]
async fn a_landing_resubmitted_two_days_late_costs_twenty_points_and_information_support() {
    // Returned 03-06 without a due date → designated 03-07; re-submitted 03-09 = 2 days late.
    let r = tula()
        .prepared_except(&["landing"])
        .submit("2017-03-02T10:00:00+03:00", "landing")
        .give_back("2017-03-06T10:00:00+03:00", "landing")
        .submit("2017-03-09T10:00:00+03:00", "landing")
        .approve("2017-03-09T15:00:00+03:00", "landing")
        .closed(20, "30000", "")
        .run()
        .await;
    assert_penalties(
        &r,
        &[pen(
            "landing_resubmit_late",
            -20,
            false,
            "2017-03-09T10:00:00+03:00",
        )],
    );
    assert!(
        !s1(&r).info_support,
        "information support is withdrawn; report:\n{}",
        dump(&r)
    );
    assert_closed(&r, 120, "30000.00", 100);
}

#[tokio::test]
async fn a_returned_landing_still_held_three_days_after_the_deadline_excludes_the_seminar() {
    // Returned 03-06 → designated 03-07; at the end of day +3 (03-10) the partner still holds it.
    let r = tula()
        .prepared_except(&["landing", "announcement_plan"])
        .submit("2017-03-02T10:00:00+03:00", "landing")
        .give_back("2017-03-06T10:00:00+03:00", "landing")
        .run()
        .await;
    assert_excluded_by(
        &r,
        "landing_resubmit_very_late",
        "2017-03-11T00:00:00+03:00",
    );
}

#[tokio::test]
async fn a_landing_the_coordinator_returns_four_days_after_its_deadline_was_not_approved_and_excludes_the_seminar(
) {
    // Submitted on the deadline day 03-07; the coordinator holds it past day +3 (alerted at the
    // end of 03-10, nothing booked) and returns it on day +4 (03-11): landing_not_approved then.
    let r = tula()
        .prepared_except(&["landing", "announcement_plan"])
        .submit("2017-03-07T10:00:00+03:00", "landing")
        .give_back("2017-03-11T10:00:00+03:00", "landing")
        .run()
        .await;
    assert!(
        r.notifications
            .iter()
            .any(|n| n.kind.as_str() == "review_due"
                && n.to == "coordinator"
                && n.seminar == "s1"
                && n.stage.as_deref() == Some("landing")
                && n.at == "2017-03-11T00:00:00+03:00"),
        "the coordinator is alerted when holding the landing past day +3; report:\n{}",
        dump(&r)
    );
    assert_excluded_by(&r, "landing_not_approved", "2017-03-11T10:00:00+03:00");

    // The same after a late first landing and a late re-submission: the exclusion keeps the
    // penalties already booked (−10 on 03-08; −20 and no info support on 03-09), and their
    // points stay on the partner's ledger.
    let r = tula()
        .prepared_except(&["landing", "announcement_plan"])
        .submit("2017-03-08T10:00:00+03:00", "landing")
        .give_back("2017-03-08T12:00:00+03:00", "landing")
        .submit("2017-03-09T10:00:00+03:00", "landing")
        .give_back("2017-03-11T10:00:00+03:00", "landing")
        .run()
        .await;
    assert_nothing_refused(&r);
    assert_state(&r, "excluded");
    assert_penalties(
        &r,
        &[
            pen(
                "landing_first_late",
                -10,
                false,
                "2017-03-08T10:00:00+03:00",
            ),
            pen(
                "landing_resubmit_late",
                -20,
                false,
                "2017-03-09T10:00:00+03:00",
            ),
            pen("landing_not_approved", 0, true, "2017-03-11T10:00:00+03:00"),
        ],
    );
    assert!(!s1(&r).info_support);
    assert_eq!(p1(&r).points, -30);
    assert!(p1(&r).flags.iter().any(|f| f == "barred"));
}

#[tokio::test]
async fn a_report_not_submitted_within_five_working_days_costs_twenty_points_at_midnight_after_the_due_date(
) {
    // Seminar Sat 04-08 → report due Fri 04-14 (the rule book's example) → fires 04-15T00:00.
    // The late report is still accepted and earns the organizer points.
    let r = seminar("Тула", "2017-04-08")
        .prepared()
        .report("2017-04-17T10:00:00+03:00", 20, "30000", "")
        .accept("2017-04-18T10:00:00+03:00")
        .run()
        .await;
    assert_penalties(
        &r,
        &[pen("report_late", -20, false, "2017-04-15T00:00:00+03:00")],
    );
    assert_closed(&r, 120, "30000.00", 100);
}

#[tokio::test]
async fn a_venue_changed_thirteen_days_before_the_seminar_excludes_it() {
    // Seminar 03-29: a change on 03-15 is 14 days before (allowed); on 03-16, 13 days (< 14).
    let r = tula()
        .prepared()
        .change_venue("2017-03-15T12:00:00+03:00")
        .change_venue("2017-03-16T12:00:00+03:00")
        .run()
        .await;
    assert_excluded_by(&r, "venue_change_late", "2017-03-16T12:00:00+03:00");
}

// =============================================================================================
// §2.4 manual violations
// =============================================================================================

/// A prepared seminar in Тула; `code` recorded on the seminar day at 12:00; report with 20
/// attendees and 30 000 RUB accepted. The violation costs `points` and nothing else.
async fn a_manual_violation_costs(code: &str, points: i64) {
    let r = tula()
        .prepared()
        .violation("2017-03-29T12:00:00+03:00", code, "")
        .closed(20, "30000", "")
        .run()
        .await;
    assert_penalties(&r, &[pen(code, points, false, "2017-03-29T12:00:00+03:00")]);
    assert!(s1(&r).info_support);
    assert!(
        p1(&r).flags.is_empty(),
        "{code} neither bars nor flags the partner: {:?}",
        p1(&r).flags
    );
    assert_closed(&r, 120, "30000.00", 120 + points);
}

#[tokio::test]
async fn each_mispositioning_publication_costs_ten_points_and_its_cost_is_not_compensated() {
    // Two items (4 000 RUB each) on 03-20, one more (2 000 RUB) on 03-25: −30 points,
    // voided 10 000. Compensation = min(45 000 − 10 000, 42 000 − 10 000, 50 000) = 32 000.
    let r = tula()
        .prepared()
        .violation(
            "2017-03-20T10:00:00+03:00",
            "mispositioning",
            "count = 2\ncost = 4000",
        )
        .violation("2017-03-25T10:00:00+03:00", "mispositioning", "cost = 2000")
        .closed(20, "42000", "estimate = 45000")
        .run()
        .await;
    let ps = penalties(&r);
    assert!(
        ps.iter().all(|p| p.0 == "mispositioning" && !p.2),
        "only mispositioning, no exclusion: {ps:?}"
    );
    let sum_at = |at: &str| ps.iter().filter(|p| p.3 == at).map(|p| p.1).sum::<i64>();
    assert_eq!(
        sum_at("2017-03-20T10:00:00+03:00"),
        -20,
        "−10 each, two items: {ps:?}"
    );
    assert_eq!(
        sum_at("2017-03-25T10:00:00+03:00"),
        -10,
        "repeatable: {ps:?}"
    );
    assert_eq!(ps.iter().map(|p| p.1).sum::<i64>(), -30);
    assert_closed(&r, 120, "32000.00", 90);
}

#[tokio::test]
async fn changing_the_approved_program_without_approval_costs_ten_points() {
    a_manual_violation_costs("program_changed_unapproved", -10).await;
}

#[tokio::test]
async fn refusing_entry_to_a_confirmed_registrant_costs_twenty_points() {
    a_manual_violation_costs("attendance_refused", -20).await;
}

#[tokio::test]
async fn a_registrant_not_told_of_a_venue_change_costs_ten_points() {
    a_manual_violation_costs("venue_change_not_notified", -10).await;
}

#[tokio::test]
async fn not_following_the_registration_retention_scheme_costs_twenty_points() {
    a_manual_violation_costs("retention_scheme_broken", -20).await;
}

#[tokio::test]
async fn breaking_the_registration_zone_and_hall_design_rules_costs_twenty_points() {
    a_manual_violation_costs("registration_zone", -20).await;
}

#[tokio::test]
async fn having_no_registration_procedure_costs_ten_points() {
    a_manual_violation_costs("no_registration", -10).await;
}

#[tokio::test]
async fn missing_or_incomplete_listener_packs_cost_twenty_points() {
    a_manual_violation_costs("handouts_incomplete", -20).await;
}

#[tokio::test]
async fn packs_not_handed_out_at_registration_cost_twenty_points() {
    a_manual_violation_costs("handouts_not_at_registration", -20).await;
}

#[tokio::test]
async fn handouts_not_packed_in_the_vendor_bags_cost_twenty_points() {
    a_manual_violation_costs("handouts_not_packed", -20).await;
}

#[tokio::test]
async fn a_seminar_run_inside_another_event_earns_nothing_and_bars_the_partner() {
    let r = tula()
        .prepared()
        .violation("2017-03-29T12:00:00+03:00", "event_substitution", "")
        .closed(40, "45000", "estimate = 50000")
        .run()
        .await;
    assert_penalties(
        &r,
        &[pen(
            "event_substitution",
            0,
            false,
            "2017-03-29T12:00:00+03:00",
        )],
    );
    assert!(
        p1(&r).flags.iter().any(|f| f == "barred"),
        "partner barred; report:\n{}",
        dump(&r)
    );
    assert_closed(&r, 0, "0.00", 0);
}

#[tokio::test]
async fn a_falsified_report_earns_neither_points_nor_compensation() {
    let r = tula()
        .prepared()
        .report("2017-03-30T10:00:00+03:00", 40, "45000", "estimate = 50000")
        .violation("2017-03-30T15:00:00+03:00", "report_falsified", "")
        .accept("2017-03-31T10:00:00+03:00")
        .run()
        .await;
    assert_penalties(
        &r,
        &[pen(
            "report_falsified",
            0,
            false,
            "2017-03-30T15:00:00+03:00",
        )],
    );
    assert!(
        p1(&r).flags.is_empty(),
        "a falsified report does not bar the partner: {:?}",
        p1(&r).flags
    );
    assert_closed(&r, 0, "0.00", 0);
}

// =============================================================================================
// §2.5 points and compensation at report acceptance
// =============================================================================================

#[tokio::test]
async fn an_organizer_with_enough_attendees_earns_120_points() {
    let r = tula().prepared().closed(20, "30000", "").run().await;
    assert_penalties(&r, &[]);
    assert_closed(&r, 120, "30000.00", 120);
}

#[tokio::test]
async fn compensation_is_the_least_of_estimate_and_documented_costs_less_voided_items_capped_at_50000(
) {
    // (documented costs, approved estimate, mispositioning "count/cost" or "", expected)
    let cases = [
        ("48000", "45000", "", "45000.00"), // the estimate limits
        ("30000", "45000", "", "30000.00"), // the documented costs limit
        ("62000", "60000", "", "50000.00"), // the 50 000 cap limits
        ("48000", "45000", "count = 1\ncost = 3000", "42000.00"), // min(42 000, 45 000, 50 000)
        ("60000", "58000", "count = 1\ncost = 5000", "50000.00"), // min(53 000, 55 000, 50 000)
        ("52000", "60000", "count = 2\ncost = 4000", "44000.00"), // min(52 000, 44 000, 50 000)
    ];
    for (costs, estimate, void, expected) in cases {
        let mut sc = tula().prepared();
        let mut balance = 120;
        if !void.is_empty() {
            sc = sc.violation("2017-03-20T10:00:00+03:00", "mispositioning", void);
            balance -= if void.starts_with("count = 2") {
                20
            } else {
                10
            };
        }
        let r = sc
            .closed(20, costs, &format!("estimate = {estimate}"))
            .run()
            .await;
        assert_eq!(
            s1(&r).compensation,
            expected,
            "costs {costs}, estimate {estimate}, voided [{void}]; report:\n{}",
            dump(&r)
        );
        assert_closed(&r, 120, expected, balance);
    }
}

#[tokio::test]
async fn the_attendance_minimum_is_25_in_the_twelve_large_cities_and_15_elsewhere() {
    let large = [
        "Москва",
        "Санкт-Петербург",
        "Екатеринбург",
        "Новосибирск",
        "Челябинск",
        "Уфа",
        "Краснодар",
        "Ростов-на-Дону",
        "Волгоград",
        "Казань",
        "Иркутск",
        "Пермь",
    ];
    let elsewhere = ["Тула", "Самара", "Омск", "Ташкент"];
    let mut cases: Vec<(&str, u32, i64, &str)> = Vec::new();
    for c in large {
        cases.push((c, 25, 120, "40000.00"));
        cases.push((c, 24, 60, "20000.00"));
    }
    for c in elsewhere {
        cases.push((c, 15, 120, "40000.00"));
        cases.push((c, 14, 60, "20000.00"));
    }
    let mut wrong = Vec::new();
    for (city, attendees, points, comp) in cases {
        let r = seminar(city, "2017-03-29")
            .prepared()
            .closed(attendees, "40000", "")
            .run()
            .await;
        let s = s1(&r);
        if s.state != "closed" || s.points_awarded != points || s.compensation != comp {
            wrong.push(format!(
                "{city} with {attendees} attendees: expected closed/{points}/{comp}, got {}/{}/{}",
                s.state, s.points_awarded, s.compensation
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "attendance minimum:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn attendance_below_the_minimum_halves_both_points_and_compensation() {
    // Казань (minimum 25), 24 attendees, 41 000 RUB documented: 120 × 0.5, 41 000 × 0.5.
    let r = seminar("Казань", "2017-03-29")
        .prepared()
        .closed(24, "41000", "")
        .run()
        .await;
    assert_closed(&r, 60, "20500.00", 60);
}

#[tokio::test]
async fn fewer_than_three_attendees_earn_neither_points_nor_compensation() {
    for (attendees, points, comp) in [(0, 0, "0.00"), (2, 0, "0.00"), (3, 60, "15000.00")] {
        let r = tula().prepared().closed(attendees, "30000", "").run().await;
        assert_eq!(
            (s1(&r).points_awarded, s1(&r).compensation.as_str()),
            (points, comp),
            "{attendees} attendees; report:\n{}",
            dump(&r)
        );
        assert_closed(&r, points, comp, points);
    }
}

#[tokio::test]
async fn a_falsified_report_or_a_substituted_event_earns_nothing_even_with_a_full_hall() {
    // 40 attendees in Тула, 45 000 documented, 50 000 approved: would be 120 points and 45 000.
    let falsified = tula()
        .prepared()
        .report("2017-03-30T10:00:00+03:00", 40, "45000", "estimate = 50000")
        .violation("2017-03-30T15:00:00+03:00", "report_falsified", "")
        .accept("2017-03-31T10:00:00+03:00")
        .run()
        .await;
    let substituted = tula()
        .prepared()
        .violation("2017-03-29T12:00:00+03:00", "event_substitution", "")
        .closed(40, "45000", "estimate = 50000")
        .run()
        .await;
    for (what, r) in [
        ("report_falsified", &falsified),
        ("event_substitution", &substituted),
    ] {
        assert_eq!(s1(r).state, "closed", "{what}; report:\n{}", dump(r));
        assert_eq!(
            s1(r).points_awarded,
            0,
            "{what}: no points; report:\n{}",
            dump(r)
        );
        assert_eq!(
            s1(r).compensation,
            "0.00",
            "{what}: no compensation; report:\n{}",
            dump(r)
        );
        assert_eq!(p1(r).points, 0, "{what}");
        assert_eq!(p1(r).bonus, "0.00", "{what}");
    }
}

#[tokio::test]
async fn each_invited_non_partner_company_takes_ten_percent_off_when_more_than_two_are_invited() {
    // 40 000 RUB documented; (companies, attendees in Тула, points, compensation)
    let cases = [
        (2, 20, 120, "40000.00"), // up to 2: no reduction
        (3, 20, 120, "28000.00"), // 3 → −30 %
        (4, 20, 120, "24000.00"), // 4 → −40 %
        (5, 20, 120, "20000.00"), // 5 → −50 %
        (3, 10, 60, "14000.00"),  // below the minimum too: 40 000 × 0.5 × 0.7; points only halved
    ];
    for (companies, attendees, points, comp) in cases {
        let r = tula()
            .prepared()
            .closed(
                attendees,
                "40000",
                &format!("third_party_companies = {companies}"),
            )
            .run()
            .await;
        assert_eq!(
            (s1(&r).points_awarded, s1(&r).compensation.as_str()),
            (points, comp),
            "{companies} companies, {attendees} attendees; report:\n{}",
            dump(&r)
        );
        assert_closed(&r, points, comp, points);
    }
}

#[tokio::test]
async fn money_is_exact_to_the_kopeck_and_halving_49999_roubles_gives_24999_50() {
    // (attendees in Тула, companies, compensation): 49 999 × 0.5; × 0.7; × 0.5 × 0.7.
    let cases = [
        (10, 0, 60, "24999.50"),
        (20, 3, 120, "34999.30"),
        (10, 3, 60, "17499.65"),
    ];
    for (attendees, companies, points, comp) in cases {
        let r = tula()
            .prepared()
            .closed(
                attendees,
                "49999",
                &format!("third_party_companies = {companies}"),
            )
            .run()
            .await;
        assert_closed(&r, points, comp, points);
    }
}

// =============================================================================================
// §2.6 ledgers
// =============================================================================================

#[tokio::test]
async fn points_stay_active_for_one_year_from_booking() {
    // −10 booked 2017-02-24T11:00, +120 booked 2017-03-31T10:00. Each counts for a year; the
    // balance is recomputed daily at 00:00 Moscow, so an entry drops out at the first 00:00
    // after its year has run: the penalty at 2018-02-25T00:00, the award at 2018-04-01T00:00.
    let cases = [
        ("2017-04-30T00:00:00+03:00", 110),
        ("2018-02-24T23:59:59+03:00", 110),
        ("2018-02-25T00:00:00+03:00", 120),
        ("2018-03-31T23:59:59+03:00", 120),
        ("2018-04-01T00:00:00+03:00", 0),
    ];
    for (until, balance) in cases {
        let r = tula()
            .prepared_except(&["program"])
            .submit("2017-02-20T10:00:00+03:00", "program")
            .give_back("2017-02-21T10:00:00+03:00", "program")
            .submit("2017-02-24T11:00:00+03:00", "program")
            .approve("2017-02-24T15:00:00+03:00", "program")
            .closed(20, "30000", "")
            .until(until)
            .run()
            .await;
        assert_penalties(
            &r,
            &[pen(
                "program_resubmit_late",
                -10,
                false,
                "2017-02-24T11:00:00+03:00",
            )],
        );
        assert_eq!(
            p1(&r).points,
            balance,
            "active points at {until}; report:\n{}",
            dump(&r)
        );
    }
}

#[tokio::test]
async fn the_bonus_burns_one_year_after_the_compensation_was_credited() {
    // 30 000 credited at acceptance, 2017-03-31T10:00; usable for a year, then burnt.
    let cases = [
        ("2017-04-30T00:00:00+03:00", "30000.00"),
        ("2018-03-30T23:59:59+03:00", "30000.00"),
        ("2018-03-31T09:59:59+03:00", "30000.00"),
        ("2018-04-01T00:00:00+03:00", "0.00"),
    ];
    for (until, bonus) in cases {
        let r = tula()
            .prepared()
            .closed(20, "30000", "")
            .until(until)
            .run()
            .await;
        assert_eq!(s1(&r).compensation, "30000.00");
        assert_eq!(
            p1(&r).bonus,
            bonus,
            "bonus at {until}; report:\n{}",
            dump(&r)
        );
    }
}
