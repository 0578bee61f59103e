//! The code keeps one writer and one vocabulary (issue 12): these checks read `src/` and fail
//! when a change brings back what the refactoring removed.
//! - The store is written only by `service/` (and `storage/` itself).
//! - Notification and event kinds are spelled only by their enums (`domain/kinds.rs`) and the
//!   e-mail template folders named after them (`notifier/templates.rs`, tied to the enum by a
//!   unit test); nothing compares a kind with a string.
//! - No stage id of a shipped workflow and no zone name is written into Rust logic: the
//!   workflow files say which stage publishes the link, which is the report, and how the deadline
//!   zone is named.

use crate::support::{catalog, root};
use seminarflow::domain::{EventKind, NotificationKind};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Each source file of `src/` (path relative to the crate) with its code lines: comments and
/// the `#[cfg(test)]` module at the end of a file left out.
fn code() -> Vec<(String, Vec<(usize, String)>)> {
    let mut files = vec![];
    rust_files(&root().join("src"), &mut files);
    files.sort();
    // Unit-test files (`foo_tests.rs`, `tests.rs`, `test_support.rs`, included under
    // `#[cfg(test)]`) may name the fixtures' stage ids; they are not logic.
    files.retain(|f| {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        !name.is_some_and(|n| n.ends_with("_tests.rs") || n == "tests.rs" || n == "test_support.rs")
    });
    files
        .iter()
        .map(|f| {
            let rel = f
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(f).unwrap();
            let mut lines = vec![];
            for (i, l) in text.lines().enumerate() {
                let t = l.trim_start();
                if t.starts_with("#[cfg(test)]") {
                    break;
                }
                if t.starts_with("//") {
                    continue;
                }
                lines.push((i + 1, l.to_string()));
            }
            (rel, lines)
        })
        .collect()
}

fn under(path: &str, dirs: &[&str]) -> bool {
    dirs.iter().any(|d| path.starts_with(d))
}

/// The `Store` methods that change data.
const STORE_WRITES: &[&str] = &[
    "apply",
    "commit",
    "put_partner",
    "set_attention",
    "create_user",
    "create_session",
    "delete_session",
    "create_api_token",
    "purge_expired_sessions",
    "put_setting",
    "wipe_season",
    "set_partner_coordinator",
    "claim_outbox",
    "outbox_sent",
    "outbox_retry",
    "outbox_failed",
    "outbox_set_status",
    "outbox_progress",
    "release_outbox_leases",
    "claim_due",
    "release_due",
];

#[test]
fn only_the_service_writes_to_the_store() {
    let mut found = vec![];
    for (path, lines) in code() {
        if under(&path, &["src/service/", "src/storage/"]) {
            continue;
        }
        for (n, l) in &lines {
            let flat: String = l.split_whitespace().collect();
            for m in STORE_WRITES {
                if flat.contains(&format!("store.{m}(")) {
                    found.push(format!("{path}:{n}: {}", l.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "store writes outside the service:\n{}",
        found.join("\n")
    );
}

#[test]
fn kinds_are_spelled_only_by_their_enums() {
    // Kinds whose names mean nothing else in the code (`submit`, `apply`, `excluded`… are also
    // command names and states; they are covered by the comparison check below).
    let mut names: Vec<&str> = NotificationKind::ALL
        .iter()
        .map(|k| k.as_str())
        .chain(EventKind::ALL.iter().map(|k| k.as_str()))
        .filter(|n| n.contains('_'))
        .filter(|n| {
            ![
                "review_applications",
                "approve_application",
                "reject_application",
                "change_venue",
                "accept_report",
                // Item programs: scenario commands and the partner's stored flag, also the
                // names of their mail-only notices.
                "suspend_support",
                "resume_support",
                "support_suspended",
            ]
            .contains(n)
        })
        .collect();
    names.sort();
    names.dedup();
    assert!(names.len() >= 20, "{names:?}");
    let mut found = vec![];
    for (path, lines) in code() {
        if path == "src/domain/kinds.rs" || path == "src/notifier/templates.rs" {
            continue;
        }
        for (n, l) in &lines {
            for name in &names {
                if l.contains(&format!("\"{name}\"")) {
                    found.push(format!("{path}:{n}: {}", l.trim()));
                }
            }
            // A kind compared with, or built from, a string literal.
            let flat: String = l.split_whitespace().collect();
            let compares = ["kind==\"", "kind!=\"", "kind()==\"", "kind.as_str()==\""]
                .iter()
                .any(|p| flat.contains(p))
                || (flat.contains("kind:\"") && flat.contains("\".into()"));
            if compares {
                found.push(format!("{path}:{n}: {}", l.trim()));
            }
        }
    }
    found.dedup();
    assert!(
        found.is_empty(),
        "kind strings outside the enums:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_stage_id_or_zone_name_is_written_into_rust_logic() {
    let cat = catalog();
    let mut ids: Vec<String> = cat
        .programs()
        .expect("the shipped workflows load")
        .into_iter()
        .flat_map(|p| p.wf.stages.iter().map(|s| s.id.clone()).collect::<Vec<_>>())
        .collect();
    ids.sort();
    ids.dedup();
    assert!(ids.iter().any(|i| i == "landing"), "{ids:?}");
    let zone_words = ["Europe/Moscow", "Moscow", "МСК", "Москв"];
    let mut found = vec![];
    for (path, lines) in code() {
        for (n, l) in &lines {
            let flat: String = l.split_whitespace().collect();
            for id in &ids {
                let lit = format!("\"{id}\"");
                let in_logic = [
                    format!("stage:{lit}"),
                    format!("stage=={lit}"),
                    format!("stage!={lit}"),
                    format!("=={lit}"),
                    format!("!={lit}"),
                    format!("stage({lit})"),
                    format!("stages.get({lit})"),
                    format!("{lit}=>"),
                ]
                .iter()
                .any(|p| flat.contains(p));
                // `do = "report"` is a scenario command of the SCENARIOS.md contract, not a stage.
                let contract = path == "src/simulate/scenario.rs" && flat.contains("=>report_step");
                if in_logic && !contract {
                    found.push(format!("{path}:{n}: {}", l.trim()));
                }
            }
            for w in zone_words {
                // The one mention allowed: the IANA example in `workflow check`'s message.
                let example =
                    path == "src/domain/validate.rs" && l.contains("например Europe/Moscow");
                if l.contains(w) && !example {
                    found.push(format!("{path}:{n}: {}", l.trim()));
                }
            }
        }
    }
    found.dedup();
    assert!(
        found.is_empty(),
        "stage ids or zone names in Rust logic:\n{}",
        found.join("\n")
    );
}

/// The longest a function may grow (issue 12: "no function over ~80 lines"); rustfmt's layout
/// makes the closing brace of a function the first line at its indentation.
const LONGEST_FUNCTION: usize = 85;

#[test]
fn no_function_in_src_is_longer_than_about_eighty_lines() {
    let mut files = vec![];
    rust_files(&root().join("src"), &mut files);
    let mut long = vec![];
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "async fn ",
                "pub async fn ",
                "pub(crate) fn ",
            ]
            .iter()
            .any(|p| t.starts_with(p))
                || (t.starts_with("pub(") && t.contains(") fn "))
                || t.starts_with("const fn ");
            if !is_fn {
                continue;
            }
            let indent = l.len() - t.len();
            // The signature ends with `{` (a body) or `;` (a trait method without one).
            let Some(open) = (i..lines.len()).find(|&j| {
                let e = lines[j].trim_end();
                e.ends_with('{') || e.ends_with(';')
            }) else {
                continue;
            };
            if lines[open].trim_end().ends_with(';') {
                continue;
            }
            let close = (open + 1..lines.len()).find(|&k| {
                let s = lines[k];
                s.len() > indent && s[..indent].trim().is_empty() && s[indent..].starts_with('}')
            });
            if let Some(k) = close {
                if k - i + 1 > LONGEST_FUNCTION {
                    let rel = f.strip_prefix(root()).unwrap().display().to_string();
                    long.push(format!("{rel}:{}: {} lines: {}", i + 1, k - i + 1, t));
                }
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over ~80 lines:\n{}",
        long.join("\n")
    );
}
