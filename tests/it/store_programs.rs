//! Programs as data, step 0 (docs/design/programs.md §4.3, §4.4, §4.6), on SQLite and on
//! PostgreSQL: the new ledger columns and due-item subjects and ranks round-trip, rows written
//! with the old column set read as they always did, and due items at one instant fire by rank —
//! on one node and with two tick loops on one PostgreSQL database.

use crate::support::catalog;
use crate::support::pg::PgCluster;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use seminarflow::domain::schedule::{DueItem, DueKind, Subject};
use seminarflow::domain::{
    Kopecks, Outcome, Partner, PointsEntry, Program, Seminar, SeminarState, StageProgress,
};
use seminarflow::scheduler::Scheduler;
use seminarflow::storage::{self, Commit, DynStore, PartnerQuery, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn program() -> Program {
    catalog().program("bitrix24-seminars-2017-spring").unwrap()
}

fn partner(id: &str) -> Partner {
    Partner {
        id: id.into(),
        name: format!("Партнёр {id}"),
        experienced: false,
        barred: false,
        late_withdrawal: false,
    }
}

/// A seminar being prepared (its day is 2017-03-29).
fn preparing(prog: &Program, id: &str, partner: &str) -> Seminar {
    let at = t("2017-02-22T10:00:00+03:00");
    Seminar {
        id: id.into(),
        program: prog.wf.id.clone(),
        partner: partner.into(),
        city: format!("Город {id}"),
        date: NaiveDate::from_ymd_opt(2017, 3, 29).unwrap(),
        week: "week1".into(),
        state: SeminarState::Preparing,
        applied_at: at,
        decided_at: Some(at),
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

fn due(key: &str, subject: Subject, at: DateTime<Utc>, rank: u8) -> DueItem {
    DueItem {
        key: key.into(),
        subject,
        at,
        rank,
        kind: DueKind::SeminarDayPassed,
    }
}

fn standing(partner: &str, program: &str) -> Subject {
    Subject::Standing {
        partner: partner.into(),
        program: program.into(),
    }
}

#[test]
fn due_items_of_every_subject_serialize_and_read_back() {
    let at = t("2017-04-01T00:00:00+03:00");
    for subject in [
        Subject::Item("s1".into()),
        standing("p1", "bitrix-partner-status"),
        Subject::Promotion {
            partner: "p1".into(),
            program: "bitrix-partner-events-2017".into(),
        },
    ] {
        let item = due("k", subject.clone(), at, 5);
        let text = serde_json::to_string(&item).unwrap();
        let back: DueItem = serde_json::from_str(&text).unwrap();
        assert_eq!(back, item, "{text}");
        assert_eq!(
            Subject::from_stored(subject.kind(), &subject.key()),
            Some(subject)
        );
    }
    assert_eq!(Subject::from_stored("standing", "p:only-partner"), None);
    assert_eq!(Subject::from_stored("nonsense", "s1"), None);
}

/// Plain SQL on the store's database, as an older version (or an operator) would write it.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Raw {
    async fn exec(&self, sql: &str) {
        match self {
            Raw::Sqlite(p) => sqlx::query(sql).execute(p).await.map(drop),
            Raw::Pg(p) => sqlx::query(sql).execute(p).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// One text column of every row.
    async fn texts(&self, sql: &str) -> Vec<String> {
        match self {
            Raw::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await,
            Raw::Pg(p) => sqlx::query_scalar(sql).fetch_all(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

async fn commit_outcome(store: &DynStore, o: Outcome) {
    store
        .commit(&Commit {
            outcome: o,
            ..Commit::default()
        })
        .await
        .unwrap();
}

/// Ledger rows: the new columns round-trip; old rows read as `points`/`main`/''/`seminar` (and
/// `compensation`); balances count only the flagship's ledgers.
async fn ledgers(store: &DynStore, raw: &Raw) {
    store.put_partner(&partner("p1")).await.unwrap();
    let booked = t("2017-05-01T00:00:00+03:00");
    let year = Duration::days(365);
    let mut o = Outcome::default();
    o.points.push(PointsEntry {
        key: "pts:flagship".into(),
        partner: "p1".into(),
        seminar: "s1".into(),
        points: 30,
        reason: "organizer".into(),
        booked_at: booked,
        expires_at: booked + year,
        ..PointsEntry::default()
    });
    let kkv = PointsEntry {
        key: "pts:kkv".into(),
        partner: "p1".into(),
        seminar: String::new(),
        points: 7,
        reason: "project_published".into(),
        booked_at: booked,
        expires_at: booked + year,
        ledger: "kkv".into(),
        product: "b24".into(),
        program: "bitrix-kkv-competence".into(),
        kind: "project".into(),
    };
    o.points.push(kkv.clone());
    commit_outcome(store, o).await;
    // Written by a version before the migration: the old column set only.
    raw.exec(&format!(
        "INSERT INTO points_ledger (key, partner, seminar, points, reason, booked_us, expires_us)
         VALUES ('pts:old', 'p1', 's0', 5, 'organizer', {}, {})",
        booked.timestamp_micros(),
        (booked + year).timestamp_micros()
    ))
    .await;
    raw.exec(&format!(
        "INSERT INTO bonus_ledger (key, partner, seminar, kopecks, booked_us, expires_us)
         VALUES ('bonus:old', 'p1', 's0', 150000, {}, {})",
        booked.timestamp_micros(),
        (booked + year).timestamp_micros()
    ))
    .await;
    raw.exec(&format!(
        "INSERT INTO bonus_ledger (key, partner, seminar, kopecks, booked_us, expires_us, ledger, held)
         VALUES ('bonus:kkv', 'p1', '', 990000, {}, {}, 'kkv_bonus', TRUE)",
        booked.timestamp_micros(),
        (booked + year).timestamp_micros()
    ))
    .await;

    let entries = store.points_entries("p1").await.unwrap();
    let by_key = |k: &str| entries.iter().find(|e| e.key == k).cloned().unwrap();
    assert_eq!(by_key("pts:kkv"), kkv, "the new columns round-trip");
    let flagship = by_key("pts:flagship");
    let old = by_key("pts:old");
    for e in [&flagship, &old] {
        assert_eq!(
            (
                e.ledger.as_str(),
                e.product.as_str(),
                e.program.as_str(),
                e.kind.as_str()
            ),
            ("points", "main", "", "seminar"),
            "{}: the flagship's ledger, product and kind",
            e.key
        );
    }
    assert_eq!((old.points, old.seminar.as_str()), (5, "s0"));

    let now = booked + Duration::days(1);
    assert_eq!(
        store.points_balance("p1", now).await.unwrap(),
        35,
        "the balance counts the `points` ledger only"
    );
    assert_eq!(
        store.bonus_balance("p1", now).await.unwrap(),
        Kopecks(150_000),
        "the bonus balance counts the compensation ledger only"
    );
    let summary = store
        .find_partners(
            &PartnerQuery {
                ids: Some(vec!["p1".into()]),
                ..PartnerQuery::default()
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        (summary[0].points, summary[0].bonus),
        (35, Kopecks(150_000))
    );
}

/// Due items: subjects and ranks round-trip; an item of the old column set reads as an item of
/// its seminar at rank 0; claims order by (instant, rank, key), per subject and across them.
async fn due_items(store: &DynStore, raw: &Raw) {
    let prog = program();
    store.put_partner(&partner("p2")).await.unwrap();
    let mut o = Outcome::default();
    for id in ["sa", "sb", "sc"] {
        o.seminars.push(preparing(&prog, id, "p2"));
    }
    commit_outcome(store, o).await;
    let at = t("2017-04-01T00:00:00+03:00");
    let promo = Subject::Promotion {
        partner: "p2".into(),
        program: "bitrix-partner-events-2017".into(),
    };
    let eval = standing("p2", "bitrix-partner-status");
    store
        .commit(&Commit {
            plans: vec![
                // Key order is the reverse of rank order: the ranks must decide.
                (
                    "sa".into(),
                    vec![
                        due("sa:a-late", Subject::Item("sa".into()), at, 1),
                        due("sa:z-early", Subject::Item("sa".into()), at, 0),
                    ],
                ),
                (eval.key(), vec![due("eval:a", eval.clone(), at, 9)]),
                (promo.key(), vec![due("promo:a", promo.clone(), at, 5)]),
            ],
            ..Commit::default()
        })
        .await
        .unwrap();
    raw.exec(&format!(
        "INSERT INTO due_items (key, seminar, due_us, kind)
         VALUES ('sb:old', 'sb', {}, '{{\"kind\":\"seminar_day_passed\"}}')",
        at.timestamp_micros()
    ))
    .await;
    assert_eq!(
        raw.texts(
            "SELECT seminar || '|' || subject_kind || '|' || CAST(due_rank AS TEXT)
             FROM due_items WHERE fired_us IS NULL ORDER BY key"
        )
        .await,
        [
            "p:p2:bitrix-partner-status|standing|9",
            "promo:p2:bitrix-partner-events-2017|promotion|5",
            "sa|item|1",
            "sa|item|0",
            "sb|item|0",
        ],
        "stored as in the design: the seminar column keeps a flagship item's id"
    );
    let old = store.due_for_seminar("sb", at).await.unwrap();
    assert_eq!(
        old,
        [due("sb:old", Subject::Item("sb".into()), at, 0)],
        "an old row is an item of its seminar at rank 0"
    );

    // Claims: lowest rank at the instant first, whatever the keys and subjects say.
    let wall = Utc::now();
    let mut order = vec![];
    for _ in 0..5 {
        let claimed = store
            .claim_due(at, 100, "node", wall, wall + Duration::seconds(60))
            .await
            .unwrap();
        if claimed.is_empty() {
            break;
        }
        order.push(
            claimed
                .iter()
                .map(|i| i.key.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
        let fired = claimed.iter().map(|i| (i.key.clone(), i.at)).collect();
        store
            .commit(&Commit {
                fired,
                ..Commit::default()
            })
            .await
            .unwrap();
    }
    assert_eq!(
        order,
        ["sa:z-early sb:old", "sa:a-late", "promo:a", "eval:a"],
        "each claim holds only the lowest pending rank of the instant"
    );
}

/// What would not read back is refused, nothing written; firing out of rank order conflicts.
async fn refusals(store: &DynStore) {
    let at = t("2017-04-02T00:00:00+03:00");
    // A program id with `:` would split differently when read back.
    let bad = standing("p2", "odd:program");
    let err = store
        .commit(&Commit {
            plans: vec![(bad.key(), vec![due("bad", bad, at, 9)])],
            ..Commit::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unreadable(_)), "{err:?}");
    assert_eq!(store.pending_due_count().await.unwrap(), 0);

    let s = standing("p2", "bitrix-partner-status");
    store
        .commit(&Commit {
            plans: vec![
                (s.key(), vec![due("hi", s.clone(), at, 9)]),
                (
                    "sc".into(),
                    vec![due("lo", Subject::Item("sc".into()), at, 0)],
                ),
            ],
            ..Commit::default()
        })
        .await
        .unwrap();
    let early = store
        .commit(&Commit {
            fired: vec![("hi".into(), at)],
            ..Commit::default()
        })
        .await;
    assert!(
        matches!(early, Err(StoreError::Conflict(_))),
        "a rank-9 item cannot fire while a rank-0 item of its instant waits: {early:?}"
    );
    store
        .commit(&Commit {
            fired: vec![("lo".into(), at), ("hi".into(), at)],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(store.pending_due_count().await.unwrap(), 0);
}

/// Redoing the demo empties the partner programs' tables too, before the partners they name.
async fn wipe(store: &DynStore, raw: &Raw) {
    raw.exec(
        "INSERT INTO standings (partner, program, state, version, data)
         VALUES ('p2', 'bitrix-partner-status', 'active', 1, '{}')",
    )
    .await;
    raw.exec(
        "INSERT INTO partner_records (key, partner, program, kind, at_us, data)
         VALUES ('r1', 'p2', 'bitrix-partner-status', 'sale', 0, '{}')",
    )
    .await;
    raw.exec(
        "INSERT INTO staff (partner, staff, role, attached_us) VALUES ('p2', 'u1', 'sales', 0)",
    )
    .await;
    raw.exec(
        "INSERT INTO certificates (partner, staff, course, at_us) VALUES ('p2', 'u1', 'c1', 0)",
    )
    .await;
    store.wipe_season("@nobody.invalid").await.unwrap();
    for table in ["standings", "partner_records", "staff", "certificates"] {
        assert_eq!(
            raw.texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"))
                .await,
            ["0"],
            "{table}"
        );
    }
    assert!(store.partner("p2").await.unwrap().is_none());
}

async fn contract(store: DynStore, raw: Raw) {
    ledgers(&store, &raw).await;
    due_items(&store, &raw).await;
    refusals(&store).await;
    wipe(&store, &raw).await;
}

#[tokio::test]
async fn ledger_columns_and_due_subjects_round_trip_and_old_rows_decode_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = storage::open(&url).await.unwrap();
    let raw = Raw::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap());
    contract(store, raw).await;
}

#[tokio::test]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn ledger_columns_and_due_subjects_round_trip_and_old_rows_decode_on_postgres() {
    let Some(pg) = PgCluster::start() else { return };
    let store = storage::open(&pg.url).await.unwrap();
    let raw = Raw::Pg(sqlx::PgPool::connect(&pg.url).await.unwrap());
    contract(store, raw).await;
}

/// `n` seminars with one item each at `at`: the even ones at rank 9 with keys that sort first,
/// the odd ones at rank 0. Returns the seeded store.
async fn seed_ranked(url: &str, n: usize, at: DateTime<Utc>) -> DynStore {
    let prog = program();
    let store = storage::open(url).await.unwrap();
    store.put_partner(&partner("p1")).await.unwrap();
    let mut commit = Commit::default();
    for i in 0..n {
        let id = format!("s{i:04}");
        let (key, rank) = if i % 2 == 0 {
            (format!("a:{id}"), 9)
        } else {
            (format!("b:{id}"), 0)
        };
        commit.outcome.seminars.push(preparing(&prog, &id, "p1"));
        commit.plans.push((
            id.clone(),
            vec![due(&key, Subject::Item(id.clone()), at, rank)],
        ));
    }
    store.commit(&commit).await.unwrap();
    store
}

/// The order the seminars became `held` in (the audit log's order), checked to be once each.
async fn held_order(store: &DynStore, n: usize) -> Vec<String> {
    let held: Vec<String> = store
        .events(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "seminar_held")
        .filter_map(|e| e.seminar)
        .collect();
    let mut once = held.clone();
    once.sort();
    once.dedup();
    assert_eq!(
        (held.len(), once.len()),
        (n, n),
        "each item fired exactly once"
    );
    held
}

fn rank_of(seminar: &str) -> u8 {
    let i: usize = seminar[1..].parse().unwrap();
    if i % 2 == 0 {
        9
    } else {
        0
    }
}

#[tokio::test]
async fn due_items_at_one_instant_fire_by_rank_then_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let at = t("2017-03-30T00:00:00+03:00");
    let store = seed_ranked(&url, 2, at).await;
    let programs = Arc::new(BTreeMap::from([(program().wf.id.clone(), program())]));
    let report = Scheduler::new(store.clone(), programs)
        .tick(at)
        .await
        .unwrap();
    assert_eq!(report.fired, 2);
    assert_eq!(
        held_order(&store, 2).await,
        ["s0001", "s0000"],
        "the rank-0 item fires first though its key sorts last"
    );
}

#[tokio::test]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn two_tick_loops_on_postgres_fire_each_item_once_and_every_lower_rank_first() {
    let Some(pg) = PgCluster::start() else { return };
    const N: usize = 600;
    let at = t("2017-03-30T00:00:00+03:00");
    let seed = seed_ranked(&pg.url, N, at).await;
    let programs = Arc::new(BTreeMap::from([(program().wf.id.clone(), program())]));
    let a = Scheduler::new(storage::open(&pg.url).await.unwrap(), programs.clone());
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let b = Scheduler::new(storage::open(&pg.url).await.unwrap(), programs);
    let (ra, rb) = tokio::join!(
        tokio::spawn(async move { a.tick(at).await }),
        tokio::spawn(async move { b.tick(at).await })
    );
    let (ra, rb) = (ra.unwrap().unwrap(), rb.unwrap().unwrap());
    assert_eq!(ra.fired + rb.fired, N as u64, "{ra:?} {rb:?}");
    let held = held_order(&seed, N).await;
    let ranks: Vec<u8> = held.iter().map(|s| rank_of(s)).collect();
    let first_high = ranks.iter().position(|r| *r == 9).unwrap();
    assert!(
        ranks[first_high..].iter().all(|r| *r == 9),
        "no rank-0 item fired after a rank-9 item of its instant: {ranks:?}"
    );
    assert_eq!(first_high, N / 2);
}

#[tokio::test]
async fn this_build_leaves_an_item_of_a_partner_subject_pending_and_fires_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let at = t("2017-03-30T00:00:00+03:00");
    let store = seed_ranked(&url, 2, at).await;
    let s = standing("p1", "bitrix-partner-status");
    store
        .commit(&Commit {
            plans: vec![(s.key(), vec![due("eval", s.clone(), at, 9)])],
            ..Commit::default()
        })
        .await
        .unwrap();
    let programs = Arc::new(BTreeMap::from([(program().wf.id.clone(), program())]));
    let scheduler = Scheduler::new(store.clone(), programs);
    let report = scheduler.tick(at).await.unwrap();
    assert_eq!((report.fired, report.deferred), (2, 1), "{report:?}");
    assert_eq!(held_order(&store, 2).await, ["s0001", "s0000"]);
    // Leased, not fired: a second tick right away finds nothing to do; once the lease ends the
    // item is there for a version that knows partner programs.
    assert_eq!(scheduler.tick(at).await.unwrap().fired, 0);
    let wall = Utc::now() + Duration::seconds(61);
    let left = store
        .claim_due(at, 100, "later", wall, wall + Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(left, [due("eval", s, at, 9)]);
}
