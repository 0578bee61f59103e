//! Probes, at build time, for the optional parts the full test suite talks to: a PostgreSQL
//! server, Python's aiosmtpd (a real SMTP server on loopback), Chromium with chromedriver, the
//! `openapi-spec-validator` module, and the shared benchmark tools (`../shared/tools`).
//!
//! For each part that is missing it sets a `cfg` (`sf_no_pg`, `sf_no_smtp`, `sf_no_browser`,
//! `sf_no_openapi_validator`, `sf_no_shared_tools`); the tests that need the part carry
//! `#[cfg_attr(sf_no_…, ignore = "…")]`, so a plain `cargo test` lists them as *ignored*, with
//! the reason, instead of printing `ok` for a test that did not run. With
//! `SEMINARFLOW_REQUIRE_<PART>=1` (set by `.ci/run`) the cfg is never set: the tests run and a
//! missing part fails them.
//!
//! The probe runs again when `PATH` or a `SEMINARFLOW_*` variable changes, when a package
//! manager changes `/usr/bin` or `/usr/lib/postgresql`, and — while a Python module is missing —
//! when Python's `site-packages` changes, so installing a part and running the tests again is
//! enough.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Part {
    cfg: &'static str,
    require: &'static str,
}

const PG: Part = Part {
    cfg: "sf_no_pg",
    require: "SEMINARFLOW_REQUIRE_PG",
};
const SMTP: Part = Part {
    cfg: "sf_no_smtp",
    require: "SEMINARFLOW_REQUIRE_SMTP",
};
const BROWSER: Part = Part {
    cfg: "sf_no_browser",
    require: "SEMINARFLOW_REQUIRE_BROWSER",
};
const OPENAPI: Part = Part {
    cfg: "sf_no_openapi_validator",
    require: "SEMINARFLOW_REQUIRE_OPENAPI_VALIDATOR",
};
const SHARED: Part = Part {
    cfg: "sf_no_shared_tools",
    require: "SEMINARFLOW_REQUIRE_SHARED_TOOLS",
};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in [
        "PATH",
        "SEMINARFLOW_PG_BIN",
        "SEMINARFLOW_SHARED",
        PG.require,
        SMTP.require,
        BROWSER.require,
        OPENAPI.require,
        SHARED.require,
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    for part in [&PG, &SMTP, &BROWSER, &OPENAPI, &SHARED] {
        println!("cargo:rustc-check-cfg=cfg({})", part.cfg);
    }
    for dir in ["/usr/bin", "/usr/lib/postgresql"] {
        if Path::new(dir).is_dir() {
            println!("cargo:rerun-if-changed={dir}");
        }
    }

    mark(&PG, has_postgres());
    mark(
        &BROWSER,
        Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists(),
    );
    mark(&SHARED, has_shared_tools());
    let smtp = has_python_module("aiosmtpd");
    let openapi = has_python_module("openapi_spec_validator");
    mark(&SMTP, smtp);
    mark(&OPENAPI, openapi);
    if !smtp || !openapi {
        for dir in site_packages() {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
    }
}

/// Sets the part's cfg when it is missing and not required.
fn mark(part: &Part, present: bool) {
    let required = std::env::var(part.require).as_deref() == Ok("1");
    if !present && !required {
        println!("cargo:rustc-cfg={}", part.cfg);
    }
}

/// The same search as the tests' `PgCluster`: `SEMINARFLOW_PG_BIN`, Debian's versioned
/// directories, then `PATH`.
fn has_postgres() -> bool {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("SEMINARFLOW_PG_BIN") {
        dirs.push(PathBuf::from(p));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        dirs.extend(entries.filter_map(|e| e.ok()).map(|e| e.path().join("bin")));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.iter()
        .any(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

fn has_shared_tools() -> bool {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut dirs = vec![manifest.join("../shared")];
    if let Some(d) = std::env::var_os("SEMINARFLOW_SHARED") {
        dirs.push(PathBuf::from(d));
    }
    dirs.iter().any(|d| d.join("tools/bigseason.py").is_file())
}

fn has_python_module(name: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {name}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn site_packages() -> Vec<PathBuf> {
    let Ok(out) = Command::new("python3")
        .args([
            "-c",
            "import site\nfor d in site.getsitepackages() + [site.getusersitepackages()]: print(d)",
        ])
        .stderr(Stdio::null())
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .collect()
}
