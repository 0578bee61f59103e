//! A throwaway PostgreSQL cluster for the benchmarks and the tests (which wrap it, having no
//! copy of their own): `initdb` + `pg_ctl` from the installed server binaries on a free
//! loopback port, run as `postgres` when we are root, fsync off, removed when dropped.

use super::sys::{free_port, TempDir};
use super::{BenchError, BenchResult};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgCluster {
    dir: TempDir,
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

fn run(as_user: &Option<String>, program: &Path, args: &[&str]) -> BenchResult<()> {
    let mut cmd = match as_user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    let out = cmd.args(args).current_dir("/tmp").output()?;
    if !out.status.success() {
        return Err(BenchError::failed(format!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

impl PgCluster {
    /// Starts a cluster; `Ok(None)` when no PostgreSQL server binaries are installed.
    ///
    /// # Errors
    /// When the binaries exist but the cluster does not start.
    pub fn start() -> BenchResult<Option<PgCluster>> {
        let Some(bin) = find_bin() else {
            return Ok(None);
        };
        let as_user = is_root().then(|| "postgres".to_string());
        let dir = TempDir::new("pg")?;
        let dir_s = dir.path().display().to_string();
        if let Some(u) = &as_user {
            let st = Command::new("chown")
                .args(["-R", &format!("{u}:"), &dir_s])
                .status()?;
            if !st.success() {
                return Err(BenchError::failed("chown of the cluster folder failed"));
            }
        }
        let data = dir.path().join("data");
        let data_s = data.display().to_string();
        run(
            &as_user,
            &bin.join("initdb"),
            &[
                "-D",
                &data_s,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        )?;
        let port = free_port()?;
        let opts = format!("-p {port} -k {dir_s} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
        let log = dir.path().join("server.log").display().to_string();
        run(
            &as_user,
            &bin.join("pg_ctl"),
            &[
                "-D", &data_s, "-o", &opts, "-l", &log, "-w", "-t", "60", "start",
            ],
        )?;
        Ok(Some(PgCluster {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            dir,
            bin,
            as_user,
        }))
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        let _ = run(
            &self.as_user,
            &self.bin.join("pg_ctl"),
            &["-D", &data, "-m", "immediate", "-w", "stop"],
        );
    }
}
