//! `seminarflow workflow check` through the real binary: the shipped workflows pass, and every
//! broken copy in `tests/fixtures/broken-workflows/` (one defect each) fails with exit status 1
//! and a message that names the file and the field path of the defect.

use crate::support::root;
use std::path::PathBuf;
use std::process::{Command, Output};

fn workflows_dir() -> PathBuf {
    root().join("workflows")
}

fn fixture(name: &str) -> PathBuf {
    let p = root()
        .join("tests/fixtures/broken-workflows")
        .join(format!("{name}.toml"));
    assert!(p.is_file(), "fixture {} is missing", p.display());
    p
}

/// Runs `seminarflow --workflows <repo>/workflows workflow check [files...]` from a neutral
/// working directory, with the environment override removed so only `--workflows` counts.
fn check(files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seminarflow"))
        .arg("--workflows")
        .arg(workflows_dir())
        .args(["workflow", "check"])
        .args(files)
        .env_remove("SEMINARFLOW_WORKFLOWS")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("the seminarflow binary runs")
}

/// Checks the fixture `name`, asserts it fails with exit status 1, and returns the stderr
/// lines that name the fixture file.
fn rejected(name: &str) -> Vec<String> {
    let path = fixture(name);
    let out = check(std::slice::from_ref(&path));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{name}: expected exit status 1\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let file_name = format!("{name}.toml");
    let lines: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains(&file_name))
        .map(str::to_owned)
        .collect();
    assert!(
        !lines.is_empty(),
        "{name}: no stderr line names the file {file_name}\nstderr:\n{stderr}"
    );
    assert!(
        !stdout.contains("ок —"),
        "{name}: a broken workflow must not be reported as ok\nstdout:\n{stdout}"
    );
    lines
}

/// Asserts that one stderr line of the fixture names `field_path` (as `<file>: <path>: ...`)
/// and contains every fragment of the message.
fn assert_problem(name: &str, field_path: &str, fragments: &[&str]) {
    let lines = rejected(name);
    let needle = format!("{name}.toml: {field_path}: ");
    let hit = lines
        .iter()
        .find(|l| l.contains(&needle) && fragments.iter().all(|f| l.contains(f)));
    assert!(
        hit.is_some(),
        "{name}: expected a line with «{needle}» and {fragments:?}; got:\n{}",
        lines.join("\n")
    );
}

#[test]
fn checking_the_shipped_workflows_without_arguments_passes() {
    let out = check(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("bitrix24-seminars-2017-spring.toml: ок"),
        "the flagship workflow is reported as ok:\n{stdout}"
    );
    assert!(stderr.trim().is_empty(), "no problems on stderr:\n{stderr}");
}

#[test]
fn checking_the_shipped_flagship_workflow_by_path_passes() {
    let out = check(&[workflows_dir().join("bitrix24-seminars-2017-spring.toml")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_broken_fixture_is_a_single_defect_copy_of_the_shipped_workflow() {
    // Guards the fixtures themselves: each differs from the shipped file in a few lines only
    // (plus its 3-line header), so each test really pins one defect.
    let shipped =
        std::fs::read_to_string(workflows_dir().join("bitrix24-seminars-2017-spring.toml"))
            .expect("shipped workflow");
    let shipped: Vec<&str> = shipped.lines().collect();
    let dir = root().join("tests/fixtures/broken-workflows");
    let mut count = 0;
    for e in std::fs::read_dir(&dir).expect("fixtures folder") {
        let p = e.expect("dir entry").path();
        if p.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        count += 1;
        let text = std::fs::read_to_string(&p).expect("fixture text");
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("# BROKEN FIXTURE"),
            "{} has no header",
            p.display()
        );
        let body = &lines[3..];
        if p.file_stem()
            .is_some_and(|s| s == "calendar-does-not-cover-2019")
        {
            // Every date moved by two years: a single defect spread over many lines.
            assert_eq!(body.len(), shipped.len());
            continue;
        }
        assert_eq!(body.len(), shipped.len(), "{}: line count", p.display());
        let changed = body.iter().zip(&shipped).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 1, "{}: exactly one changed line", p.display());
    }
    assert!(count >= 10, "at least ten broken fixtures, found {count}");
}

#[test]
fn a_penalty_rule_naming_an_unknown_stage_is_rejected_with_its_field_path() {
    assert_problem(
        "penalty-rule-unknown-stage",
        "penalties.automatic[0].stage",
        &["неизвестный этап «programme»"],
    );
}

#[test]
fn an_unknown_calendar_is_rejected_with_the_known_ones_listed() {
    assert_problem(
        "unknown-calendar",
        "calendar",
        &["календарь «by» не найден", "есть: ru"],
    );
}

#[test]
fn a_stage_deadline_after_the_last_seminar_day_is_rejected_with_its_field_path() {
    assert_problem(
        "stage-deadline-outside-program",
        "stages[2].deadline.date",
        &["2017-05-01", "вне программы", "2017-01-23…2017-04-08"],
    );
}

#[test]
fn overlapping_lateness_bands_of_one_stage_and_round_are_rejected() {
    assert_problem(
        "overlapping-lateness-bands",
        "penalties.automatic[2].late_days",
        &["пересекается", "«program»", "resubmit"],
    );
}

#[test]
fn a_gap_between_lateness_bands_of_one_stage_and_round_is_rejected() {
    assert_problem(
        "gapped-lateness-bands",
        "penalties.automatic[5].late_days",
        &["разрыв", "дни 5…5 не покрыты", "«estimate»", "resubmit"],
    );
}

#[test]
fn a_penalty_code_used_twice_is_rejected_at_the_second_use() {
    assert_problem(
        "duplicate-penalty-code",
        "penalties.manual[1].code",
        &["код «mispositioning» повторяется"],
    );
}

#[test]
fn a_program_in_a_year_the_calendar_does_not_cover_is_rejected_naming_the_year() {
    assert_problem(
        "calendar-does-not-cover-2019",
        "calendar",
        &["«ru»", "2019 год"],
    );
}

#[test]
fn a_deadline_zone_that_is_not_an_iana_zone_is_rejected() {
    assert_problem(
        "bad-deadline-zone",
        "deadline_zone",
        &["неизвестный часовой пояс «Europe/Moskva»"],
    );
}

#[test]
fn a_per_week_deadline_naming_an_unknown_week_is_rejected_with_its_field_path() {
    assert_problem(
        "per-week-deadline-unknown-week",
        "stages[4].deadline.per_week.week_2",
        &["неизвестная неделя «week_2»"],
    );
    // The real week is then left without a date: reported too.
    assert_problem(
        "per-week-deadline-unknown-week",
        "stages[4].deadline.per_week",
        &["нет срока для недели «week2»"],
    );
}

#[test]
fn a_number_where_a_date_is_expected_is_a_format_error_with_its_field_path() {
    assert_problem(
        "seminar-date-given-as-number",
        "seminars.from",
        &["ошибка формата", "20170327"],
    );
}

#[test]
fn a_format_error_names_the_line_of_the_offending_value() {
    // `from = 20170327` is on line 17 of the fixture (3 header lines + line 14 of the original).
    assert_problem(
        "seminar-date-given-as-number",
        "seminars.from",
        &["(строка 17)"],
    );
}

#[test]
fn an_unknown_field_is_a_format_error_with_its_field_path() {
    assert_problem(
        "unknown-field-in-withdrawal",
        "withdrawal.free_untill",
        &[
            "ошибка формата",
            "unknown field `free_untill`",
            "free_until",
        ],
    );
}

#[test]
fn an_unknown_field_is_reported_on_the_line_it_is_on() {
    // `free_untill = ...` is line 41 of the fixture; line 40 is the `[withdrawal]` header.
    assert_problem(
        "unknown-field-in-withdrawal",
        "withdrawal.free_untill",
        &["(строка 41)"],
    );
}

#[test]
fn a_second_stage_publishing_the_seminar_page_is_rejected() {
    assert_problem(
        "two-stages-publish-link",
        "stages[4].publishes_link",
        &["может нести только один этап"],
    );
}

#[test]
fn a_stage_id_used_twice_is_rejected_at_the_second_use() {
    assert_problem(
        "duplicate-stage-id",
        "stages[1].id",
        &["этап «program» указан дважды"],
    );
}

#[test]
fn a_seminar_week_reaching_past_the_seminar_window_is_rejected() {
    assert_problem(
        "week-outside-seminar-window",
        "seminars.weeks[1]",
        &["2017-04-03…2017-04-09", "2017-03-27…2017-04-08"],
    );
}

#[test]
fn a_penalty_rule_awarding_positive_points_is_rejected() {
    assert_problem(
        "positive-penalty-points",
        "penalties.automatic[1].points",
        &["не могут быть положительными"],
    );
}

#[test]
fn checking_several_files_reports_each_broken_one_and_still_fails() {
    let good = workflows_dir().join("bitrix24-seminars-2017-spring.toml");
    let bad1 = fixture("bad-deadline-zone");
    let bad2 = fixture("unknown-calendar");
    let out = check(&[good, bad1, bad2]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stdout.contains("bitrix24-seminars-2017-spring.toml: ок"),
        "{stdout}"
    );
    assert!(
        stderr.contains("bad-deadline-zone.toml: deadline_zone: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown-calendar.toml: calendar: "),
        "{stderr}"
    );
}

#[test]
fn an_estimate_section_naming_an_unknown_stage_is_rejected_with_its_field_path() {
    assert_problem(
        "estimate-unknown-stage",
        "estimate.stage",
        &["этап «smeta» отсутствует в программе"],
    );
}

#[test]
fn an_estimate_category_id_used_twice_is_rejected_at_the_second_use() {
    assert_problem(
        "estimate-category-id-twice",
        "estimate.categories[1].id",
        &["статья сметы «hall» указана дважды"],
    );
}

#[test]
fn an_estimate_without_a_compensable_category_or_on_the_report_stage_is_rejected() {
    let text = std::fs::read_to_string(workflows_dir().join("bitrix24-seminars-2017-spring.toml"))
        .expect("shipped workflow");
    let mut wf = seminarflow::catalog::parse_workflow(&text, "w").expect("the shipped file parses");
    let calendars = std::collections::BTreeMap::new();
    let problems = |wf: &seminarflow::domain::Workflow| -> Vec<String> {
        seminarflow::domain::validate::validate(wf, &calendars)
            .iter()
            .filter(|p| p.path.starts_with("estimate"))
            .map(|p| p.to_string())
            .collect()
    };
    assert_eq!(
        problems(&wf),
        Vec::<String>::new(),
        "the shipped estimate is valid"
    );
    let e = wf
        .estimate
        .as_mut()
        .expect("the flagship has an [estimate] section");
    for c in &mut e.categories {
        c.compensable = false;
    }
    e.stage = "report".into();
    let found = problems(&wf);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("estimate.categories: ") && p.contains("компенсируемая")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("estimate.stage: ") && p.contains("«report»")),
        "{found:?}"
    );
}
