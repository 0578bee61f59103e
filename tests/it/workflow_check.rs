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

/// Like [`assert_problem`], and the line names the line of the defect in the fixture
/// (`(строка N)`, counting the fixture's 3 header lines).
fn assert_problem_at(name: &str, field_path: &str, line: usize, fragments: &[&str]) {
    let at = format!("(строка {line})");
    let mut all = fragments.to_vec();
    all.push(&at);
    assert_problem(name, field_path, &all);
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
    assert!(
        stdout.contains("bitrix-partner-events-2017.toml: ок"),
        "the events workflow is reported as ok:\n{stdout}"
    );
    let events_line = stdout
        .lines()
        .find(|l| l.contains("bitrix-partner-events-2017.toml"))
        .unwrap_or_default();
    assert!(
        !events_line.contains("ещё не запускает"),
        "the events program runs beside the flagship:\n{stdout}"
    );
    assert!(
        !stdout
            .lines()
            .any(|l| l.contains("bitrix24-seminars") && l.contains("ещё не запускает")),
        "the flagship runs:\n{stdout}"
    );
    for partner in [
        "bitrix-partner-status.toml",
        "bitrix-kkv-competence.toml",
        "moysklad-partner-status.toml",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(partner))
            .unwrap_or_default();
        assert!(
            line.contains(": ок") && line.contains("программа уровня партнёра"),
            "{partner} passes and is named a partner program:\n{stdout}"
        );
        assert!(
            !line.contains("ещё не запускает"),
            "{partner} runs in the server and simulate now:\n{stdout}"
        );
    }
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
    // Guards the fixtures themselves: each differs from the shipped file its header names
    // (`# A copy of workflows/<file> with ONE defect:`) in a few lines only (plus its 3-line
    // header), so each test really pins one defect.
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
        let source = lines[1]
            .strip_prefix("# A copy of workflows/")
            .and_then(|l| l.split_once(' '))
            .map(|(file, _)| file)
            .unwrap_or_else(|| panic!("{}: line 2 names no shipped file", p.display()));
        let shipped = std::fs::read_to_string(workflows_dir().join(source))
            .unwrap_or_else(|e| panic!("{}: {source}: {e}", p.display()));
        let shipped: Vec<&str> = shipped.lines().collect();
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
    assert!(
        count >= 30,
        "at least thirty broken fixtures, found {count}"
    );
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

// Sections of the general format (docs/design/programs.md §3.2), one broken copy of the events
// workflow each: the message names the file, the field path and the line of the defect.

#[test]
fn a_reversed_events_window_is_rejected_on_its_line() {
    assert_problem_at(
        "events-window-reversed",
        "events.to",
        45,
        &["окончание 2016-12-31 раньше начала 2017-01-01"],
    );
}

#[test]
fn rolling_applications_refuse_the_season_group_fields() {
    assert_problem_at(
        "events-rolling-groups",
        "applications.group_working_days",
        51,
        &["mode = \"rolling\""],
    );
}

#[test]
fn a_lead_time_may_cost_only_info_support_or_materials() {
    assert_problem_at(
        "events-lead-time-effect",
        "lead_times[1].effects[0]",
        18,
        &["no_info_support или no_materials"],
    );
}

#[test]
fn a_topic_booking_to_an_undeclared_product_is_rejected() {
    assert_problem_at(
        "events-topic-ledger",
        "topics[4].ledger",
        26,
        &["«crm»", "[ledgers] products"],
    );
}

#[test]
fn a_kind_naming_an_undeclared_topic_is_rejected() {
    assert_problem_at(
        "events-kind-topic",
        "kinds[4].topics[2]",
        97,
        &["тема «crm» не объявлена в topics"],
    );
}

#[test]
fn a_default_audience_that_is_refused_is_rejected() {
    assert_problem_at(
        "events-audience-default",
        "audiences.default",
        56,
        &["«developers»"],
    );
}

#[test]
fn the_promotion_stage_must_have_no_deadline() {
    assert_problem_at(
        "events-promotion-stage",
        "promotion.stage",
        124,
        &["deadline = \"none\""],
    );
}

#[test]
fn a_blackout_outside_the_events_window_is_rejected() {
    assert_problem_at(
        "events-blackout-outside",
        "promotion.blackouts[0].to",
        132,
        &["2017-03-13 … 2018-01-10", "окно мероприятий"],
    );
}

#[test]
fn a_report_stage_without_a_deadline_is_rejected() {
    assert_problem_at(
        "events-report-without-deadline",
        "stages[1].deadline",
        154,
        &["у этапа отчёта должен быть срок"],
    );
}

#[test]
fn a_cutoff_not_after_the_deadline_is_rejected() {
    assert_problem_at(
        "events-cutoff-not-after-deadline",
        "stages[1].cutoff",
        155,
        &["должен быть позже срока"],
    );
}

#[test]
fn a_rule_measured_from_a_missing_cutoff_is_rejected() {
    assert_problem_at(
        "events-measured-from-without-cutoff",
        "penalties.automatic[1].measured_from",
        177,
        &["«promo»", "cutoff"],
    );
}

#[test]
fn a_violation_parameter_naming_an_unknown_kind_is_rejected() {
    assert_problem_at(
        "events-violation-param-kind",
        "penalties.manual[8].compensation_percent_not_for[0]",
        191,
        &["«webcast»"],
    );
}

#[test]
fn a_rejection_code_used_twice_is_rejected() {
    assert_problem_at(
        "events-rejection-twice",
        "rejections[5].code",
        35,
        &["«vendor_brand_misuse» указан дважды"],
    );
}

#[test]
fn a_waiting_alert_of_zero_days_is_rejected() {
    assert_problem_at(
        "events-alert-no-wait",
        "alerts[1].working_days",
        40,
        &["не меньше 1 рабочего дня"],
    );
}

#[test]
fn a_gap_between_bracket_rows_is_rejected() {
    assert_problem_at(
        "events-bracket-gap",
        "results.brackets[0].rows[3].from",
        225,
        &["после «до 30» ожидалось «от 31», указано 32"],
    );
}

#[test]
fn a_closed_last_bracket_row_is_rejected() {
    assert_problem_at(
        "events-bracket-closed",
        "results.brackets[0].rows[6].to",
        228,
        &["последняя строка таблицы должна быть открытой"],
    );
}

#[test]
fn a_range_default_outside_the_range_is_rejected() {
    assert_problem_at(
        "events-range-default",
        "results.range.article.default",
        252,
        &["80 вне диапазона 10…30"],
    );
}

#[test]
fn fixed_points_for_a_refused_topic_are_rejected() {
    assert_problem_at(
        "events-fixed-refused-topic",
        "results.fixed.talk.marketplace",
        255,
        &["не вознаграждается"],
    );
}

#[test]
fn a_kind_and_topic_priced_by_nothing_is_rejected_at_the_kind() {
    assert_problem_at(
        "events-unpriced-topic",
        "kinds[0]",
        59,
        &["«seminar» с темой «mixed» не задано"],
    );
}

#[test]
fn a_reduction_adding_points_is_rejected() {
    assert_problem_at(
        "events-reduction-bonus",
        "results.reductions[0].points",
        207,
        &["не может добавлять баллы"],
    );
}

#[test]
fn a_low_attendance_rule_naming_an_unknown_kind_is_rejected() {
    assert_problem_at(
        "events-low-attendance-kind",
        "partner_rules.low_attendance.kinds[1]",
        276,
        &["«lunch»"],
    );
}

#[test]
fn a_flat_model_without_its_fields_is_rejected_at_the_results_table() {
    assert_problem_at(
        "events-model-flat",
        "results.organizer_points",
        197,
        &["model = \"flat\""],
    );
}

#[test]
fn slots_are_refused_in_a_program_with_a_rolling_window() {
    assert_problem_at("events-slots", "slots", 7, &["[slots]", "[events]"]);
}

#[test]
fn a_partner_program_with_item_sections_is_refused_at_its_subject() {
    assert_problem_at(
        "events-partner-subject",
        "subject",
        7,
        &["subject = \"partner\"", "[standing]"],
    );
}

#[test]
fn a_status_threshold_falling_up_the_ladder_is_rejected_on_its_line() {
    assert_problem_at(
        "status-threshold",
        "statuses[2].criteria[0].min",
        108,
        &["пороги должны расти", "«certified_partner» (100)"],
    );
}

#[test]
fn an_unknown_metric_type_is_rejected_on_its_line_and_nothing_else_is_said_of_it() {
    let lines = rejected("status-metric-type");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_problem_at(
        "status-metric-type",
        "metrics.quarterly_sales.type",
        52,
        &[
            "неизвестный тип метрики «sum_per_month»",
            "record_sum_per_quarter",
        ],
    );
}

#[test]
fn a_review_date_that_does_not_exist_is_rejected_on_its_line() {
    assert_problem_at(
        "status-review-dates",
        "evaluation.review_dates[1]",
        40,
        &["«02-30» — нет такой даты"],
    );
}

#[test]
fn a_renewal_request_earlier_than_the_term_is_long_is_rejected_on_its_line() {
    assert_problem_at(
        "kkv-term",
        "renewal.request_days_before",
        71,
        &["400 больше срока действия (12 месяцев)"],
    );
}

#[test]
fn an_action_missing_a_parameter_its_op_needs_is_rejected_on_its_line() {
    assert_problem_at(
        "kkv-action",
        "actions[5].op",
        28,
        &["операция «record» требует поле «record»"],
    );
}

#[test]
fn an_unknown_recipient_is_rejected_on_its_line() {
    assert_problem_at(
        "status-recipients",
        "recipients.review_due[0]",
        87,
        &[
            "неизвестный получатель «manager»",
            "«partner» или «coordinator»",
        ],
    );
}

#[test]
fn a_shared_sanction_defined_differently_in_two_files_of_a_vendor_is_rejected() {
    let fixture = fixture("kkv-shared-sanction");
    // Alone, the file is consistent; beside the status program its catalogue differs.
    assert_eq!(check(std::slice::from_ref(&fixture)).status.code(), Some(0));
    let out = check(&[workflows_dir().join("bitrix-partner-status.toml"), fixture]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let hit = stderr.lines().any(|l| {
        l.contains("kkv-shared-sanction.toml: sanctions[7]: ")
            && l.contains("«account_blocked» расходится с bitrix-partner-status.toml")
            && l.contains("(строка 50)")
    });
    assert!(hit, "{stderr}");
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

/// The walk-through of docs/writing-a-program.md: its example file passes `workflow check`, and
/// the two mistakes it shows are reported with the messages and lines the page quotes.
#[test]
fn the_documented_third_program_passes_and_its_documented_mistakes_fail_as_shown() {
    let example = root().join("docs/examples/bitrix24-webinars-2018.toml");
    let out = check(std::slice::from_ref(&example));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the example must pass\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("bitrix24-webinars-2018.toml: ок"),
        "{stdout}"
    );

    let text = std::fs::read_to_string(&example).expect("the example is readable");
    let broken = text
        .replace("{ from = 30, points = 30", "{ from = 31, points = 30")
        .replace("topics = [\"b24\"]", "topics = [\"b24\", \"site\"]");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let bad = dir.path().join("bad1.toml");
    std::fs::write(&bad, broken).expect("the broken copy is written");
    let out = check(std::slice::from_ref(&bad));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let page = std::fs::read_to_string(root().join("docs/writing-a-program.md"))
        .expect("the page is readable");
    for quoted in [
        "kinds[0].topics[1]: тема «site» не объявлена в topics (строка",
        "results.brackets[0].rows[1].from: строки таблицы должны идти подряд: после «до 29» ожидалось «от 30», указано 31 (строка",
    ] {
        assert!(stderr.contains(quoted), "missing «{quoted}» in\n{stderr}");
        assert!(page.contains(quoted), "the page no longer quotes «{quoted}»");
    }
}

#[test]
fn a_support_refusal_without_a_name_is_rejected() {
    assert_problem_at(
        "events-support-refusal-unnamed",
        "support_refusals[0].name",
        296,
        &["нужно название причины"],
    );
}

#[test]
fn an_item_noun_missing_a_case_is_rejected() {
    assert_problem_at(
        "events-item-noun-empty",
        "item_noun.gen",
        290,
        &["нужна форма слова"],
    );
}

#[test]
fn report_evidence_without_a_name_is_rejected() {
    assert_problem_at(
        "events-evidence-unnamed",
        "kinds[0].report_requires[0]",
        66,
        &["«photos»: нет названия в [evidence]"],
    );
    // The misspelt name itself is reported too: no kind asks for it.
    assert_problem(
        "events-evidence-unnamed",
        "evidence.photo",
        &["не требует ни один вид"],
    );
}
