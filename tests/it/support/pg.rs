//! A throwaway PostgreSQL cluster for the tests: the benchmarks' cluster
//! (`seminarflow::bench::pg`, initdb + pg_ctl from the installed server binaries on a free
//! loopback port, removed when dropped). When no binaries are installed the PostgreSQL tests say
//! so and skip — unless `SEMINARFLOW_REQUIRE_PG=1` (set by `.ci/run`), which makes a missing
//! server a failure; `build.rs` already lists those tests as ignored on such a machine.

use seminarflow::bench::pg::PgCluster as Cluster;

pub struct PgCluster {
    _cluster: Cluster,
    pub url: String,
}

impl PgCluster {
    /// Starts a cluster, or returns None (after saying why) when PostgreSQL is not installed.
    pub fn start() -> Option<PgCluster> {
        match Cluster::start() {
            Ok(Some(c)) => Some(PgCluster {
                url: c.url.clone(),
                _cluster: c,
            }),
            Ok(None) => {
                if std::env::var("SEMINARFLOW_REQUIRE_PG").as_deref() == Ok("1") {
                    panic!("PostgreSQL server binaries (initdb, pg_ctl) not found, and SEMINARFLOW_REQUIRE_PG=1");
                }
                eprintln!("SKIPPED: PostgreSQL server binaries (initdb, pg_ctl) are not installed; PostgreSQL tests did not run");
                None
            }
            Err(e) => panic!("the PostgreSQL cluster did not start: {e}"),
        }
    }
}
