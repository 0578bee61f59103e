//! A throwaway PostgreSQL cluster started from the installed server binaries (initdb + pg_ctl)
//! on a free loopback port, removed when dropped. When no binaries are installed the PostgreSQL
//! tests say so and skip — unless `SEMINARFLOW_REQUIRE_PG=1` (set by `.ci/run`), which makes a
//! missing server a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_user: Option<String>,
    pub url: String,
}

fn find_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SEMINARFLOW_PG_BIN") {
        return Some(PathBuf::from(p));
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .collect();
    candidates.sort();
    candidates.reverse();
    if let Ok(path) = std::env::var("PATH") {
        candidates.extend(path.split(':').map(PathBuf::from));
    }
    candidates
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run(as_user: &Option<String>, program: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = match as_user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.args(args)
        .current_dir("/tmp")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl PgCluster {
    /// Starts a cluster, or returns None (after saying why) when PostgreSQL is not installed.
    pub fn start() -> Option<PgCluster> {
        let Some(bin) = find_bin() else {
            if std::env::var("SEMINARFLOW_REQUIRE_PG").as_deref() == Ok("1") {
                panic!("PostgreSQL server binaries (initdb, pg_ctl) not found, and SEMINARFLOW_REQUIRE_PG=1");
            }
            eprintln!("SKIPPED: PostgreSQL server binaries (initdb, pg_ctl) are not installed; PostgreSQL tests did not run");
            return None;
        };
        // initdb refuses to run as root: use the `postgres` account then.
        let as_user = if is_root() {
            Some("postgres".to_string())
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("seminarflow-pg-")
            .tempdir()
            .unwrap();
        if let Some(u) = &as_user {
            let st = Command::new("chown")
                .args(["-R", &format!("{u}:"), dir.path().to_str().unwrap()])
                .status()
                .unwrap();
            assert!(st.success(), "chown of the cluster folder failed");
        }
        let data = dir.path().join("data");
        let data_s = data.to_str().unwrap();
        let out = run(
            &as_user,
            &bin.join("initdb"),
            &[
                "-D",
                data_s,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", dir.path().display());
        let log = dir.path().join("server.log");
        let out = run(
            &as_user,
            &bin.join("pg_ctl"),
            &[
                "-D",
                data_s,
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        Some(PgCluster {
            dir,
            bin,
            as_user,
            url,
        })
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = run(
            &self.as_user,
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}
