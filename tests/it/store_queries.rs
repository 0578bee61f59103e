//! The domain-shaped reads behind commands and lists (issue 9), on SQLite and on PostgreSQL:
//! every filter narrows, pages follow their cursors, balances come from one query, the scheduler
//! claims only each seminar's earliest pending item, a plan is rewritten only where it changed;
//! and a command reads the seminars it decides on, not the season.

use crate::support::catalog;
use crate::support::pg::PgCluster;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use seminarflow::domain::schedule::{DueItem, DueKind};
use seminarflow::domain::{
    BonusEntry, Command, Event, Kopecks, Notification, Outcome, Partner, Penalty, PointsEntry,
    Program, Recipient, Seminar, SeminarState, StageProgress, StageStatus,
};
use seminarflow::service::Service;
use seminarflow::storage::{
    self, Commit, DynStore, OutboxQuery, Page, PartnerQuery, PenaltyQuery, SeminarQuery, StoreError,
};
use std::collections::BTreeMap;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn program() -> Program {
    catalog().program("bitrix24-seminars-2017-spring").unwrap()
}

fn partner(id: &str, name: &str) -> Partner {
    Partner {
        id: id.into(),
        name: name.into(),
        experienced: false,
        barred: false,
        late_withdrawal: false,
    }
}

fn seminar(
    prog: &Program,
    id: &str,
    partner: &str,
    city: &str,
    state: SeminarState,
    applied: DateTime<Utc>,
    date: NaiveDate,
) -> Seminar {
    Seminar {
        id: id.into(),
        program: prog.wf.id.clone(),
        partner: partner.into(),
        city: city.into(),
        date,
        week: prog
            .wf
            .week_of(date)
            .map(|w| w.id.clone())
            .unwrap_or_default(),
        state,
        applied_at: applied,
        decided_at: None,
        info_support: true,
        coordinator: None,
        venue: None,
        stages: prog
            .wf
            .stages
            .iter()
            .map(|s| (s.id.clone(), StageProgress::new()))
            .collect(),
        penalties: vec![],
        voided: Kopecks::ZERO,
        report: None,
        estimate: None,
        result: None,
        item: Default::default(),
        version: 0,
    }
}

fn penalty(key: &str, code: &str, points: i64, at: DateTime<Utc>) -> Penalty {
    Penalty {
        code: code.into(),
        name: code.into(),
        points,
        exclusion: false,
        effects: vec![],
        at,
        manual: false,
        stage: None,
        deadline: None,
        days_late: None,
        count: 1,
        note: None,
        key: key.into(),
        amount: None,
    }
}

fn ids(rows: &[(i64, Seminar)]) -> Vec<&str> {
    rows.iter().map(|(_, s)| s.id.as_str()).collect()
}

async fn commit_seminars(store: &DynStore, prog: &Program, seminars: Vec<Seminar>) {
    let mut c = Commit {
        outcome: Outcome {
            seminars,
            ..Outcome::default()
        },
        ..Commit::default()
    };
    let programs: BTreeMap<String, Program> = [(prog.wf.id.clone(), prog.clone())].into();
    c.index(&programs);
    store.commit(&c).await.unwrap();
}

async fn queries(store: DynStore) {
    let prog = program();
    let d = |m, day| NaiveDate::from_ymd_opt(2017, m, day).unwrap();
    for (id, name) in [("pa", "Альфа"), ("pb", "Бета Софт"), ("pc", "Гамма")] {
        store.put_partner(&partner(id, name)).await.unwrap();
    }
    store
        .set_partner_coordinator("pb", Some("coord1"))
        .await
        .unwrap();

    // Six seminars in three cities and states; s3 has a submission waiting for review.
    let a0 = t("2017-01-24T10:00:00+03:00");
    let mut s3 = seminar(
        &prog,
        "s3",
        "pb",
        "Тула",
        SeminarState::Preparing,
        a0 + Duration::days(2),
        d(3, 29),
    );
    s3.stages.get_mut("program").unwrap().status = StageStatus::Submitted;
    let all = vec![
        seminar(
            &prog,
            "s1",
            "pa",
            "Тула",
            SeminarState::Applied,
            a0,
            d(3, 29),
        ),
        seminar(
            &prog,
            "s2",
            "pa",
            "Омск",
            SeminarState::Preparing,
            a0 + Duration::days(1),
            d(4, 5),
        ),
        s3,
        seminar(
            &prog,
            "s4",
            "pc",
            "Омск",
            SeminarState::Rejected,
            a0 + Duration::days(3),
            d(4, 12),
        ),
        seminar(
            &prog,
            "s5",
            "pc",
            "Пермь",
            SeminarState::Applied,
            a0 + Duration::days(4),
            d(3, 22),
        ),
        seminar(
            &prog,
            "s6",
            "pb",
            "Пермь",
            SeminarState::Closed,
            a0 + Duration::days(5),
            d(4, 19),
        ),
    ];
    commit_seminars(&store, &prog, all).await;

    let find = |q: SeminarQuery| {
        let store = store.clone();
        async move { store.find_seminars(&q).await.unwrap() }
    };
    let q = |f: &dyn Fn(&mut SeminarQuery)| {
        let mut q = SeminarQuery {
            program: Some(prog.wf.id.clone()),
            ..SeminarQuery::default()
        };
        f(&mut q);
        q
    };
    assert_eq!(
        ids(&find(q(&|_| {})).await),
        ["s1", "s2", "s3", "s4", "s5", "s6"],
        "creation order"
    );
    assert_eq!(
        ids(&find(q(&|q| q.partner = Some("pa".into()))).await),
        ["s1", "s2"]
    );
    assert_eq!(
        ids(&find(q(&|q| q.partners = Some(vec!["pa".into(), "pc".into()]))).await),
        ["s1", "s2", "s4", "s5"]
    );
    assert_eq!(
        ids(&find(q(&|q| q.partners = Some(vec![]))).await),
        Vec::<&str>::new(),
        "no partners, no rows"
    );
    assert_eq!(
        ids(&find(q(&|q| q.coordinator = Some("coord1".into()))).await),
        ["s3", "s6"]
    );
    assert_eq!(
        ids(&find(q(&|q| q.cities = Some(vec!["Омск".into(), "Пермь".into()]))).await),
        ["s2", "s4", "s5", "s6"]
    );
    assert_eq!(
        ids(&find(q(
            &|q| q.states = vec![SeminarState::Applied, SeminarState::Closed]
        ))
        .await),
        ["s1", "s5", "s6"]
    );
    assert_eq!(
        ids(&find(q(&|q| q.applied_before = Some(a0 + Duration::days(2)))).await),
        ["s1", "s2"],
        "strictly before the instant"
    );
    assert_eq!(
        ids(&find(q(
            &|q| q.ids = Some(vec!["s6".into(), "s2".into(), "nope".into()])
        ))
        .await),
        ["s2", "s6"]
    );
    assert_eq!(
        ids(&find(q(&|q| {
            q.date_from = Some(d(3, 29));
            q.date_to = Some(d(4, 12));
        }))
        .await),
        ["s1", "s2", "s3", "s4"]
    );
    assert_eq!(ids(&find(q(&|q| q.awaiting_review = true)).await), ["s3"]);
    // Active seminars hold their earliest partner deadline in a list column.
    let due_soon = find(q(&|q| q.partner_deadline_until = Some(d(3, 1)))).await;
    assert_eq!(
        ids(&due_soon),
        ["s2", "s3"],
        "preparing seminars whose partner holds a stage due by then"
    );
    assert_eq!(
        ids(&find(q(&|q| q.by_date = true)).await),
        ["s5", "s1", "s3", "s2", "s4", "s6"],
        "seminar day, then city"
    );
    assert_eq!(
        store
            .count_seminars(&q(&|q| q.partner = Some("pb".into())))
            .await
            .unwrap(),
        2
    );

    // Keyset and offset pages agree with the whole list.
    let first = find(q(&|q| q.page = Page::first(4))).await;
    assert_eq!(ids(&first), ["s1", "s2", "s3", "s4"]);
    let after = first.last().unwrap().0;
    let second = find(q(&|q| {
        q.page = Page {
            after: Some(after),
            offset: 0,
            limit: Some(4),
        }
    }))
    .await;
    assert_eq!(ids(&second), ["s5", "s6"]);
    let offset = find(q(&|q| {
        q.page = Page {
            after: None,
            offset: 2,
            limit: Some(2),
        }
    }))
    .await;
    assert_eq!(ids(&offset), ["s3", "s4"]);

    // City × week × state counts.
    let cells = store.seminar_cells(&prog.wf.id).await.unwrap();
    let tula: i64 = cells
        .iter()
        .filter(|c| c.city == "Тула")
        .map(|c| c.count)
        .sum();
    assert_eq!(tula, 2);
    assert!(cells
        .iter()
        .any(|c| c.city == "Пермь" && c.state == "closed" && c.count == 1));

    // Penalties, newest first, by the indexed booking order; filters and the cursor.
    let mut s2 = store.seminar("s2").await.unwrap().unwrap();
    let p1 = penalty(
        "s2:a",
        "program_first_late",
        -10,
        t("2017-02-18T00:00:00+03:00"),
    );
    let p2 = penalty(
        "s2:b",
        "landing_first_late",
        -20,
        t("2017-02-25T00:00:00+03:00"),
    );
    s2.penalties = vec![p1.clone(), p2.clone()];
    let mut s6 = store.seminar("s6").await.unwrap().unwrap();
    let p3 = penalty(
        "s6:a",
        "program_first_late",
        -10,
        t("2017-03-01T00:00:00+03:00"),
    );
    s6.penalties = vec![p3.clone()];
    store
        .commit(&Commit {
            outcome: Outcome {
                penalties: vec![("s2".into(), p1), ("s2".into(), p2), ("s6".into(), p3)],
                seminars: vec![s2, s6],
                ..Outcome::default()
            },
            ..Commit::default()
        })
        .await
        .unwrap();
    let all_pen = store
        .find_penalties(&PenaltyQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all_pen
            .iter()
            .map(|r| r.penalty.key.as_str())
            .collect::<Vec<_>>(),
        ["s6:a", "s2:b", "s2:a"]
    );
    assert!(
        all_pen.iter().all(|r| r.program == prog.wf.id),
        "penalties carry their program"
    );
    assert_eq!(all_pen[0].partner, "pb");
    let by_code = store
        .find_penalties(&PenaltyQuery {
            code: Some("program_first_late".into()),
            ..PenaltyQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_code.len(), 2);
    let page2 = store
        .find_penalties(&PenaltyQuery {
            page: Page {
                after: Some(all_pen[0].seq),
                offset: 0,
                limit: Some(1),
            },
            ..PenaltyQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page2.len(), 1);
    assert_eq!(page2[0].penalty.key, "s2:b");
    let since = store
        .find_penalties(&PenaltyQuery {
            partner: Some("pa".into()),
            since: Some(t("2017-02-20T00:00:00+03:00")),
            ..PenaltyQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(since.len(), 1);
    assert_eq!(
        store
            .count_penalties(&PenaltyQuery {
                seminar: Some("s2".into()),
                ..PenaltyQuery::default()
            })
            .await
            .unwrap(),
        2
    );

    // Partners with balances at an instant, in one read; rating order; search; coordinator.
    let at = t("2017-06-01T00:00:00+03:00");
    store
        .commit(&Commit {
            outcome: Outcome {
                points: vec![
                    PointsEntry {
                        key: "pts:1".into(),
                        partner: "pc".into(),
                        seminar: "s5".into(),
                        points: 120,
                        reason: "organizer".into(),
                        booked_at: t("2017-05-01T00:00:00+03:00"),
                        expires_at: t("2018-05-01T00:00:00+03:00"),
                        ..PointsEntry::default()
                    },
                    PointsEntry {
                        key: "pts:2".into(),
                        partner: "pc".into(),
                        seminar: "s5".into(),
                        points: -30,
                        reason: "late".into(),
                        booked_at: t("2017-07-01T00:00:00+03:00"),
                        expires_at: t("2018-07-01T00:00:00+03:00"),
                        ..PointsEntry::default()
                    },
                    PointsEntry {
                        key: "pts:3".into(),
                        partner: "pa".into(),
                        seminar: "s1".into(),
                        points: 50,
                        reason: "organizer".into(),
                        booked_at: t("2016-01-01T00:00:00+03:00"),
                        expires_at: t("2017-01-01T00:00:00+03:00"),
                        ..PointsEntry::default()
                    },
                ],
                bonus: vec![BonusEntry {
                    key: "bon:1".into(),
                    partner: "pc".into(),
                    seminar: "s5".into(),
                    amount: Kopecks(4_800_000),
                    booked_at: t("2017-05-01T00:00:00+03:00"),
                    expires_at: t("2017-12-31T00:00:00+03:00"),
                }],
                ..Outcome::default()
            },
            ..Commit::default()
        })
        .await
        .unwrap();
    let rating = store
        .find_partners(
            &PartnerQuery {
                by_points: true,
                ..PartnerQuery::default()
            },
            at,
        )
        .await
        .unwrap();
    assert_eq!(
        rating
            .iter()
            .map(|p| (p.partner.id.as_str(), p.points))
            .collect::<Vec<_>>(),
        [("pc", 120), ("pa", 0), ("pb", 0)],
        "active points only (booked and not expired at the instant), most first, then name"
    );
    assert_eq!(rating[0].bonus, Kopecks(4_800_000));
    assert_eq!(rating[2].coordinator.as_deref(), Some("coord1"));
    for (text, want) in [("бета", vec!["pb"]), ("PA", vec!["pa"]), ("%", vec![])] {
        let found = store
            .find_partners(
                &PartnerQuery {
                    search: Some(text.into()),
                    ..PartnerQuery::default()
                },
                at,
            )
            .await
            .unwrap();
        let got: Vec<&str> = found.iter().map(|p| p.partner.id.as_str()).collect();
        assert_eq!(got, want, "search «{text}»");
    }
    assert_eq!(
        store
            .count_partners(&PartnerQuery {
                coordinator: Some("coord1".into()),
                ..PartnerQuery::default()
            })
            .await
            .unwrap(),
        1
    );
    let two = store
        .partners_by_ids(&["pc".into(), "pa".into(), "zz".into()])
        .await
        .unwrap();
    assert_eq!(
        two.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["pa", "pc"]
    );

    // Outbox and audit pages.
    let n = |key: &str| Notification {
        key: key.into(),
        kind: "deadline_reminder".parse().unwrap(),
        to: Recipient::Partner("pa".into()),
        seminar: "s1".into(),
        stage: None,
        at,
        data: serde_json::json!({}),
    };
    let ev = |kind: &str| Event {
        at,
        actor: "coordinator".into(),
        kind: kind.into(),
        seminar: Some("s1".into()),
        data: serde_json::json!({}),
    };
    store
        .commit(&Commit {
            outcome: Outcome {
                notifications: (0..5).map(|i| n(&format!("n{i}"))).collect(),
                events: vec![ev("a"), ev("b"), ev("c")],
                ..Outcome::default()
            },
            ..Commit::default()
        })
        .await
        .unwrap();
    let first = store
        .find_outbox(&OutboxQuery {
            page: Page::first(2),
            ..OutboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        first
            .iter()
            .map(|r| r.notification.key.as_str())
            .collect::<Vec<_>>(),
        ["n0", "n1"]
    );
    let rest = store
        .find_outbox(&OutboxQuery {
            page: Page {
                after: Some(first[1].id),
                offset: 0,
                limit: None,
            },
            ..OutboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rest.len(), 3);
    let newest = store
        .find_outbox(&OutboxQuery {
            newest_first: true,
            page: Page::first(1),
            ..OutboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(newest[0].notification.key, "n4");
    assert!(!store.outbox_has_status("digest").await.unwrap());
    store
        .outbox_set_status(first[0].id, "digest")
        .await
        .unwrap();
    assert!(store.outbox_has_status("digest").await.unwrap());
    assert_eq!(
        store
            .count_outbox(&OutboxQuery {
                status: Some("pending".into()),
                ..OutboxQuery::default()
            })
            .await
            .unwrap(),
        4
    );
    let events = store.find_events(Some("s1"), Page::first(2)).await.unwrap();
    assert_eq!(
        events
            .iter()
            .map(|(_, e)| e.kind.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    let more = store
        .find_events(
            Some("s1"),
            Page {
                after: Some(events[1].0),
                offset: 0,
                limit: Some(10),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        more.iter()
            .map(|(_, e)| e.kind.as_str())
            .collect::<Vec<_>>(),
        ["c"]
    );
}

fn item(key: &str, seminar: &str, at: DateTime<Utc>) -> DueItem {
    DueItem::of_seminar(key.into(), seminar, at, DueKind::SeminarDayPassed)
}

async fn due_items(store: DynStore) {
    let prog = program();
    store.put_partner(&partner("pa", "Альфа")).await.unwrap();
    let a0 = t("2017-01-24T10:00:00+03:00");
    let date = NaiveDate::from_ymd_opt(2017, 3, 29).unwrap();
    let mk = |id: &str| seminar(&prog, id, "pa", "Тула", SeminarState::Preparing, a0, date);
    let (t1, t2, t3) = (
        t("2017-02-01T00:00:00+03:00"),
        t("2017-02-02T00:00:00+03:00"),
        t("2017-02-03T00:00:00+03:00"),
    );
    store
        .commit(&Commit {
            outcome: Outcome {
                seminars: vec![mk("x"), mk("y")],
                ..Outcome::default()
            },
            plans: vec![
                ("x".into(), vec![item("x:1", "x", t1), item("x:2", "x", t2)]),
                ("y".into(), vec![item("y:1", "y", t2), item("y:2", "y", t3)]),
            ],
            ..Commit::default()
        })
        .await
        .unwrap();
    let wall = Utc::now();
    let claimed = store
        .claim_due(t3, 100, "node", wall, wall + Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(),
        ["x:1", "y:1"],
        "only each seminar's earliest pending item is claimed"
    );
    // A later item cannot fire while an earlier one of its seminar waits.
    let early = store
        .commit(&Commit {
            fired: vec![("x:2".into(), t2)],
            ..Commit::default()
        })
        .await;
    assert!(matches!(early, Err(StoreError::Conflict(_))), "{early:?}");
    store
        .commit(&Commit {
            fired: vec![("x:1".into(), t1), ("y:1".into(), t2)],
            ..Commit::default()
        })
        .await
        .unwrap();
    let again = store
        .commit(&Commit {
            fired: vec![("x:1".into(), t1)],
            ..Commit::default()
        })
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict(_))),
        "a key fires once"
    );

    // A new plan is written as a difference: an unchanged item keeps its lease, a moved one
    // moves, a dropped one goes, a key that already fired never comes back.
    let claimed = store
        .claim_due(t3, 100, "node", wall, wall + Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(),
        ["x:2", "y:2"]
    );
    let t4 = t("2017-02-04T00:00:00+03:00");
    let x = store.seminar("x").await.unwrap().unwrap();
    store
        .commit(&Commit {
            outcome: Outcome {
                seminars: vec![x],
                ..Outcome::default()
            },
            plans: vec![(
                "x".into(),
                vec![
                    item("x:1", "x", t1),
                    item("x:2", "x", t2),
                    item("x:3", "x", t4),
                ],
            )],
            ..Commit::default()
        })
        .await
        .unwrap();
    let leased = store
        .claim_due(t4, 100, "other", wall, wall + Duration::seconds(60))
        .await
        .unwrap();
    assert!(
        leased.is_empty(),
        "x:2 keeps its lease, x:3 waits behind it, x:1 stays fired: {leased:?}"
    );
    assert_eq!(store.pending_due_count().await.unwrap(), 3);
    let y = store.seminar("y").await.unwrap().unwrap();
    store
        .commit(&Commit {
            outcome: Outcome {
                seminars: vec![y],
                ..Outcome::default()
            },
            plans: vec![("y".into(), vec![item("y:2", "y", t4)])],
            ..Commit::default()
        })
        .await
        .unwrap();
    let due = store.due_for_seminar("y", t4).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].at, t4, "a moved item moves");
    store
        .commit(&Commit {
            outcome: Outcome {
                seminars: vec![store.seminar("y").await.unwrap().unwrap()],
                ..Outcome::default()
            },
            plans: vec![("y".into(), vec![])],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert!(
        store.due_for_seminar("y", t4).await.unwrap().is_empty(),
        "a dropped item goes"
    );
}

async fn sqlite() -> DynStore {
    storage::open("sqlite::memory:").await.unwrap()
}

#[tokio::test]
async fn list_queries_filter_sort_and_page_in_sql_on_sqlite() {
    queries(sqlite().await).await;
}

#[tokio::test]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn list_queries_filter_sort_and_page_in_sql_on_postgres() {
    let Some(pg) = PgCluster::start() else { return };
    queries(storage::open(&pg.url).await.unwrap()).await;
}

#[tokio::test]
async fn due_items_are_claimed_earliest_per_seminar_and_plans_written_as_differences_on_sqlite() {
    due_items(sqlite().await).await;
}

#[tokio::test]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn due_items_are_claimed_earliest_per_seminar_and_plans_written_as_differences_on_postgres() {
    let Some(pg) = PgCluster::start() else { return };
    due_items(storage::open(&pg.url).await.unwrap()).await;
}

/// A season of `n` approved seminars in `cities` cities (and a few applications), written
/// straight to the store.
async fn season(store: &DynStore, prog: &Program, n: usize, cities: usize) {
    let a0 = t("2017-01-24T10:00:00+03:00");
    let weeks = &prog.wf.seminars.weeks;
    let mut batch = vec![];
    for i in 0..n {
        let pid = format!("p{i}");
        store.put_partner(&partner(&pid, &pid)).await.unwrap();
        let week = &weeks[i % weeks.len()];
        let date = week.from;
        let mut s = seminar(
            prog,
            &format!("s{i}"),
            &pid,
            &format!("Город {}", i % cities),
            SeminarState::Preparing,
            a0,
            date,
        );
        s.week = week.id.clone();
        batch.push(s);
    }
    commit_seminars(store, prog, batch).await;
}

#[tokio::test]
async fn an_application_and_a_decision_read_their_city_not_the_season() {
    let prog = program();
    let store = sqlite().await;
    season(&store, &prog, 600, 60).await;
    store.put_partner(&partner("new", "Новый")).await.unwrap();
    let svc = Service::new(store.clone(), vec![prog.clone()]);
    let at = t("2017-01-25T10:00:00+03:00");
    let before = store.seminars_decoded();
    svc.execute(
        &prog.wf.id,
        &Command::Apply {
            seminar: "fresh".into(),
            partner: "new".into(),
            city: "Новый город".into(),
            date: prog.wf.seminars.weeks[0].from,
        },
        "new",
        at,
    )
    .await
    .unwrap();
    let read = store.seminars_decoded() - before;
    assert!(
        read <= 2,
        "an application in a new city read {read} seminars of 600"
    );

    let before = store.seminars_decoded();
    let refused = svc
        .execute(
            &prog.wf.id,
            &Command::Apply {
                seminar: "again".into(),
                partner: "new".into(),
                city: "Город 7".into(),
                date: prog.wf.seminars.weeks[0].from,
            },
            "new",
            at,
        )
        .await;
    let read = store.seminars_decoded() - before;
    assert!(
        read <= 12,
        "an application in a city of 10 seminars read {read}"
    );
    assert!(
        refused.is_ok() || matches!(refused, Err(seminarflow::service::ServiceError::Refused(_)))
    );

    let before = store.seminars_decoded();
    let _ = svc
        .execute(
            &prog.wf.id,
            &Command::ApproveApplication {
                seminar: "fresh".into(),
            },
            "coordinator",
            at + Duration::hours(1),
        )
        .await
        .unwrap();
    let read = store.seminars_decoded() - before;
    assert!(
        read <= 3,
        "approving in a city with no other seminar read {read}"
    );
    assert_eq!(
        store.seminar("fresh").await.unwrap().unwrap().state,
        SeminarState::Preparing
    );
}
