//! Partner programs' store methods (design §4.6), on SQLite and on PostgreSQL: a standing is
//! written at its version and a stale write conflicts; staff, certificates and records
//! round-trip; a repeated record reference conflicts (`duplicate_project`); the ledger read
//! returns only the named partner's rows of the named ledger; added due items never replace a
//! subject's plan.

use crate::support::pg::PgCluster;
use chrono::{DateTime, Duration, Utc};
use seminarflow::domain::schedule::{DueItem, DueKind, Subject};
use seminarflow::domain::standing::{HistoryEntry, Standing, StandingState};
use seminarflow::domain::{Outcome, Partner, PointsEntry};
use seminarflow::storage::{
    self, CertificateRow, Commit, DynStore, RecordRow, StaffRow, StoreError,
};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
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

fn entry(key: &str, partner: &str, ledger: &str, points: i64, at: DateTime<Utc>) -> PointsEntry {
    PointsEntry {
        key: key.into(),
        partner: partner.into(),
        points,
        reason: "purchase".into(),
        booked_at: at,
        expires_at: at + Duration::days(365),
        ledger: ledger.into(),
        program: "bitrix-partner-status".into(),
        kind: "purchase".into(),
        ..PointsEntry::default()
    }
}

fn record(key: &str, reference: &str, at: DateTime<Utc>) -> RecordRow {
    RecordRow {
        key: key.into(),
        partner: "p1".into(),
        program: "bitrix-partner-status".into(),
        kind: "project".into(),
        reference: Some(reference.into()),
        at,
        kopecks: Some(2_990_000),
        qty: None,
        data: r#"{"state":"added"}"#.into(),
    }
}

async fn contract(store: DynStore) {
    let at = t("2017-02-01T10:00:00+03:00");
    store.put_partner(&partner("p1")).await.unwrap();
    store.put_partner(&partner("p2")).await.unwrap();
    let mut s = Standing::new("p1", "bitrix-partner-status");
    s.state = StandingState::Active;
    s.code = Some("business_partner".into());
    s.since = Some(at);
    s.history.push(HistoryEntry {
        at,
        code: Some("business_partner".into()),
        change: "granted".into(),
        ..HistoryEntry::default()
    });
    let mut o = Outcome::default();
    o.points.push(entry("e1", "p1", "points", 30, at));
    o.points.push(entry("e2", "p1", "kkv", 7, at));
    o.points.push(entry("e3", "p2", "points", 99, at));
    let subject = Subject::Standing {
        partner: "p1".into(),
        program: "bitrix-partner-status".into(),
    };
    let due = |key: &str, at| DueItem {
        key: key.into(),
        subject: subject.clone(),
        at,
        rank: 9,
        kind: DueKind::SeminarDayPassed,
    };
    let commit = Commit {
        outcome: o,
        standings: vec![s.clone()],
        staff: vec![StaffRow {
            partner: "p1".into(),
            staff: "ivanov".into(),
            role: "full_rights".into(),
            attached: at,
            detached: None,
        }],
        certificates: vec![CertificateRow {
            partner: "p1".into(),
            staff: "ivanov".into(),
            course: "content_manager".into(),
            at,
        }],
        records: vec![record("r1", "prj1", at)],
        plans: vec![(subject.key(), vec![due("plan1", at + Duration::days(1))])],
        ..Commit::default()
    };
    store.commit(&commit).await.unwrap();

    let back = store
        .standing("p1", "bitrix-partner-status")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.version, 1);
    assert_eq!(back.history, s.history);
    assert_eq!(back.code.as_deref(), Some("business_partner"));
    assert!(store
        .standing("p2", "bitrix-partner-status")
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.standings_of("p1").await.unwrap().len(), 1);
    // A write at a stale version conflicts and writes nothing.
    let stale = Commit {
        standings: vec![s.clone()],
        staff: vec![StaffRow {
            partner: "p1".into(),
            staff: "petrov".into(),
            role: "limited_rights".into(),
            attached: at,
            detached: None,
        }],
        ..Commit::default()
    };
    assert!(matches!(
        store.commit(&stale).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.staff_of("p1").await.unwrap().len(), 1);
    // At the version read, it is written; the staff row is replaced (detach).
    let mut next = back.clone();
    next.code = Some("certified_partner".into());
    let detached = at + Duration::days(10);
    let ok = Commit {
        standings: vec![next],
        staff: vec![StaffRow {
            partner: "p1".into(),
            staff: "ivanov".into(),
            role: "full_rights".into(),
            attached: at,
            detached: Some(detached),
        }],
        add_due: vec![due("added", at + Duration::days(2)), due("plan1", at)],
        ..Commit::default()
    };
    store.commit(&ok).await.unwrap();
    let back = store
        .standing("p1", "bitrix-partner-status")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (back.version, back.code.as_deref()),
        (2, Some("certified_partner"))
    );
    let staff = store.staff_of("p1").await.unwrap();
    assert_eq!(staff[0].detached, Some(detached));
    assert!(store.staff_of("p2").await.unwrap().is_empty());
    let certs = store.certificates_of("p1").await.unwrap();
    assert_eq!(
        (certs.len(), certs[0].course.as_str()),
        (1, "content_manager")
    );
    // Records: one per reference.
    assert_eq!(
        store
            .records_of("p1", "bitrix-partner-status")
            .await
            .unwrap(),
        vec![record("r1", "prj1", at)]
    );
    assert!(store.records_of("p1", "other").await.unwrap().is_empty());
    let dup = Commit {
        records: vec![record("r2", "prj1", at)],
        ..Commit::default()
    };
    assert!(matches!(
        store.commit(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    // The ledger read: one partner, one ledger.
    let pts = store.ledger_of("p1", "points").await.unwrap();
    assert_eq!(
        pts.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
        ["e1"]
    );
    assert_eq!(pts[0].kind, "purchase");
    assert_eq!(store.ledger_of("p1", "kkv").await.unwrap()[0].points, 7);
    assert_eq!(store.ledger_of("p2", "points").await.unwrap()[0].points, 99);
    // Added items joined the plan; the planned item kept its instant.
    let pending = store.pending_due_count().await.unwrap();
    assert_eq!(pending, 2);
    assert_eq!(
        store.next_due().await.unwrap(),
        Some(at + Duration::days(1))
    );
}

#[tokio::test]
async fn partner_program_rows_round_trip_on_sqlite() {
    contract(storage::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn partner_program_rows_round_trip_on_postgres() {
    let Some(pg) = PgCluster::start() else { return };
    contract(storage::open(&pg.url).await.unwrap()).await;
}
