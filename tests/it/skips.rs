//! A test that cannot run here must say so in the normal `cargo test` output: every test that
//! needs an optional part (PostgreSQL, aiosmtpd, Chromium, the OpenAPI validator, the shared
//! benchmark tools) carries the `cfg_attr(sf_no_…, ignore = "…")` that `build.rs` switches on
//! when the part is missing, so it is listed as ignored with the reason instead of `ok`.

use crate::support::root;
use std::path::Path;

/// (what a test body calls, the cfg that must mark the test).
const NEEDS: &[(&str, &str)] = &[
    ("PgCluster::start()", "sf_no_pg"),
    ("with_browser(", "sf_no_browser"),
    ("smtp_available()", "sf_no_smtp"),
    ("import openapi_spec_validator", "sf_no_openapi_validator"),
    ("sys::shared_dir(", "sf_no_shared_tools"),
];

/// Each test function of `text` with its attribute lines and body.
fn tests_of(text: &str) -> Vec<(String, String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec![];
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if !(t.starts_with("#[test]") || t.starts_with("#[tokio::test")) {
            continue;
        }
        let indent = l.len() - t.len();
        let mut j = i;
        while j < lines.len() && !lines[j].trim_start().contains("fn ") {
            j += 1;
        }
        let attrs = lines[i..j].join("\n");
        let name = lines
            .get(j)
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let close = " ".repeat(indent) + "}";
        let mut k = j + 1;
        while k < lines.len() && lines[k] != close {
            k += 1;
        }
        let body = lines[j..k.min(lines.len())].join("\n");
        out.push((name, attrs, body));
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_test_that_needs_an_optional_part_is_ignored_with_a_reason_when_it_is_missing() {
    let mut files = vec![];
    rust_files(&root().join("tests/it"), &mut files);
    let mut checked = 0;
    let mut missing = vec![];
    for f in &files {
        if f.ends_with("skips.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (name, attrs, body) in tests_of(&text) {
            for (call, cfg) in NEEDS {
                if body.contains(call) {
                    checked += 1;
                    // rustfmt may spread the attribute over lines: compare without whitespace.
                    let flat: String = attrs.split_whitespace().collect();
                    let marked = flat.contains(&format!("cfg_attr({cfg},ignore=\""));
                    if !marked {
                        missing.push(format!(
                            "{}: {name} needs cfg_attr({cfg}, ignore = \"…\")",
                            f.display()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked >= 16,
        "found only {checked} tests that need an optional part"
    );
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_build_probe_knows_every_cfg_the_tests_use() {
    let build = std::fs::read_to_string(root().join("build.rs")).unwrap();
    for (_, cfg) in NEEDS {
        assert!(
            build.contains(&format!("\"{cfg}\"")),
            "build.rs does not set {cfg}"
        );
    }
}
