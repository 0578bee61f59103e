//! Every `tests/scenarios/status/*.toml` (partner programs, S§5) runs through `simulate` and
//! must produce its `.expected.json`: compared as data on the keys the expected file has, and
//! `notifications_present` as a list every item of which the report's notifications contain,
//! in that order (other notices may come between).

use crate::scenarios::matches;
use crate::support::{catalog, root};
use seminarflow::simulate;
use serde_json::Value;

async fn run(name: &str) -> (Value, Value) {
    let dir = root().join("tests/scenarios/status");
    let text = std::fs::read_to_string(dir.join(format!("{name}.toml"))).unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let cat = catalog();
    assert!(
        simulate::partner::is_partner_scenario(&cat, &text),
        "{name}"
    );
    let (_, got) = simulate::partner::run_text(&cat, &text)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (expected, got)
}

/// Differences between `expected` and `got` (see the module comment).
fn diffs(name: &str, expected: &Value, got: &Value) -> Vec<String> {
    let mut out = vec![];
    let mut e = expected.clone();
    let present = e
        .as_object_mut()
        .and_then(|o| o.remove("notifications_present"));
    matches(&e, got, name, &mut out);
    if let Some(Value::Array(want)) = present {
        let have = got["notifications"].as_array().cloned().unwrap_or_default();
        let mut from = 0;
        for w in &want {
            let found = have[from..].iter().position(|h| {
                let mut d = vec![];
                matches(w, h, "", &mut d);
                d.is_empty()
            });
            match found {
                Some(i) => from += i + 1,
                None => out.push(format!(
                    "{name}: notification {w} not found (in order) among {}",
                    serde_json::to_string_pretty(&have).unwrap()
                )),
            }
        }
    }
    out
}

#[tokio::test]
async fn every_status_scenario_produces_its_expected_report() {
    let dir = root().join("tests/scenarios/status");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| n.trim_end_matches(".toml").to_string())
        .collect();
    names.sort();
    assert!(names.len() >= 2, "{names:?}");
    let mut failures = vec![];
    for n in &names {
        let (e, g) = run(n).await;
        let d = diffs(n, &e, &g);
        if !d.is_empty() {
            failures.push(d.join("\n  "));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Issue 11 "done when": a flagship season played together with the status workflow promotes
/// the partner who earned enough points at the right 00:00 and demotes it at the anniversary
/// when its points expire.
#[tokio::test]
async fn a_flagship_season_with_the_status_workflow_promotes_at_midnight_and_demotes_at_the_anniversary(
) {
    let (_, got) = run("30-flagship-season-feeds-status").await;
    let s1 = &got["seminars"][0];
    assert_eq!(
        (s1["id"].as_str(), s1["points_awarded"].as_i64()),
        (Some("s1"), Some(120))
    );
    let p1 = &got["partners"][0];
    let h = p1["status"]["history"].as_array().unwrap();
    let changes: Vec<(&str, &str, &str)> = h
        .iter()
        .map(|e| {
            (
                e["at"].as_str().unwrap(),
                e["code"].as_str().unwrap_or(""),
                e["change"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("2016-11-01T10:00:00+03:00", "business_partner", "granted"),
            ("2017-04-07T00:00:00+03:00", "certified_partner", "promoted"),
            ("2018-04-08T00:00:00+03:00", "business_partner", "lost"),
        ]
    );
    assert_eq!(h[1]["active_points"].as_i64(), Some(150));
    assert_eq!(h[2]["active_points"].as_i64(), Some(59));
    assert_eq!(p1["points"].as_i64(), Some(59));
}
