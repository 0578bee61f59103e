//! The structured estimate in the browser (issue 13 item 5): the partner fills in the estimate
//! as lines (a wrong line is shown at its row, in Russian, the rows kept), the coordinator
//! approves it, the report form no longer asks for an estimate sum, and before accepting the
//! report the coordinator sees the approved estimate by category next to the documented costs
//! and the compensation that will result.

use super::browser::with_browser;
use super::{add_user, run};
use crate::support::app::{self, Setup, USER_PASSWORD};
use seminarflow::accounts::{Rights, Role};
use seminarflow::domain::Command;

fn submit(stage: &str) -> Command {
    Command::Submit {
        seminar: "tula-1".into(),
        stage: stage.into(),
        report: None,
        estimate: vec![],
        files: vec![],
        comment: Some("готово".into()),
    }
}

fn approve(stage: &str) -> Command {
    Command::Approve {
        seminar: "tula-1".into(),
        stage: stage.into(),
        comment: None,
    }
}

/// The page's text with no-break spaces as plain ones (sums are grouped with U+00A0).
fn plain(s: String) -> String {
    s.replace('\u{a0}', " ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn in_the_browser_the_approved_estimate_caps_the_compensation_the_coordinator_accepts() {
    let app = app::spawn_with(Setup {
        start: "2017-01-24T10:00:00+03:00",
        ..Setup::default()
    })
    .await;
    let coordinator = add_user(
        &app,
        "anna@vendor.test",
        "Анна Смирнова",
        Role::Coordinator,
        None,
        None,
    )
    .await;
    app.partner("tula", "Тульские решения", false, Some(&coordinator.id))
        .await;
    add_user(
        &app,
        "ivan@tula.test",
        "Иван Петров",
        Role::Partner,
        Some("tula"),
        Some(Rights::Main),
    )
    .await;
    run(
        &app,
        Command::Apply {
            seminar: "tula-1".into(),
            partner: "tula".into(),
            city: "Тула".into(),
            date: "2017-03-29".parse().unwrap(),
        },
    )
    .await;
    run(
        &app,
        Command::ApproveApplication {
            seminar: "tula-1".into(),
        },
    )
    .await;
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    for stage in ["program", "postal_address"] {
        run(&app, submit(stage)).await;
        run(&app, approve(stage)).await;
    }
    let store = app.state.service.store.clone();
    let app = &app;

    with_browser(&app.base.clone(), async |b| {
        // The partner fills in the estimate; row 2 lacks a description and has no sum.
        b.login("ivan@tula.test", USER_PASSWORD).await;
        b.goto("/seminars/tula-1").await;
        b.wait_for("#estimate-e1-category").await;
        let form_text = b.text().await;
        assert!(
            form_text.contains("Не компенсируются: печать программ и анкет"),
            "the form says what is not compensated: {form_text}"
        );
        b.set_value("#estimate-e1-category", "hall").await;
        b.fill("#estimate-e1-description", "Конференц-зал на 4 часа")
            .await;
        b.fill("#estimate-e1-amount", "15000").await;
        b.set_value("#estimate-e2-category", "coffee_break").await;
        b.fill("#estimate-e2-amount", "пять тысяч").await;
        b.click("#stage-estimate form.upload button[type=submit]")
            .await;
        let desc_err = b
            .wait_for("#estimate-e2-description-error")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            desc_err.contains("Строка 2") && desc_err.contains("на что расход"),
            "{desc_err}"
        );
        let amount_err = b
            .wait_for("#estimate-e2-amount-error")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            amount_err.contains("Строка 2") && amount_err.contains("не сумма в рублях"),
            "{amount_err}"
        );
        // What was typed is still there.
        let kept = b
            .wait_for("#estimate-e1-description")
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default();
        assert_eq!(kept, "Конференц-зал на 4 часа");
        b.shot_at("estimate-01-partner-line-errors", 1366).await;
        b.shot_at("estimate-01-partner-line-errors-phone", 390)
            .await;
        assert!(
            store.seminar("tula-1").await.unwrap().unwrap().stages["estimate"]
                .versions
                .is_empty(),
            "nothing is submitted while a line is wrong"
        );

        b.fill("#estimate-e2-description", "Кофе-брейк на 40 человек")
            .await;
        b.fill("#estimate-e2-amount", "5 000,50").await;
        b.set_value("#estimate-e3-category", "printing").await;
        b.fill("#estimate-e3-description", "Печать программ").await;
        b.fill("#estimate-e3-amount", "4000").await;
        b.submit_and_expect(
            "#stage-estimate form.upload button[type=submit]",
            "Материалы отправлены",
        )
        .await;
        let text = plain(b.text().await);
        assert!(
            text.contains("Кофе-брейк на 40 человек")
                && text.contains("Компенсируемые статьи")
                && text.contains("20 000,50 ₽")
                && text.contains("24 000,50 ₽"),
            "{text}"
        );
        b.shot_at("estimate-02-partner-sent", 1366).await;
        b.logout().await;

        // The coordinator approves it: the compensable lines become the seminar's cap.
        b.login("anna@vendor.test", USER_PASSWORD).await;
        b.goto("/seminars/tula-1").await;
        b.submit_and_expect(
            "#stage-estimate form[action$='/approve'] button",
            "Этап согласован",
        )
        .await;
        let s = store.seminar("tula-1").await.unwrap().unwrap();
        let e = s.estimate.expect("the approved estimate is recorded");
        assert_eq!(e.cap, seminarflow::domain::Kopecks(2_000_050));
        assert_eq!(e.lines.len(), 3);
        b.logout().await;
    })
    .await;

    // The other stages, then the seminar day.
    for stage in ["landing", "announcement_plan"] {
        run(app, submit(stage)).await;
        run(app, approve(stage)).await;
    }
    app.set_clock("2017-03-30T10:00:00+03:00").await;

    with_browser(&app.base.clone(), async |b| {
        // The report form asks for the documented costs only.
        b.login("ivan@tula.test", USER_PASSWORD).await;
        b.goto("/seminars/tula-1").await;
        b.wait_for("#report-costs").await;
        let asks = b
            .eval("return document.querySelector('#report-estimate, [name=estimate]') === null;")
            .await;
        assert_eq!(
            asks,
            serde_json::json!(true),
            "no estimate sum on the report"
        );
        assert!(!b.text().await.contains("Сумма согласованной сметы"));
        b.fill("#report-attendees", "31").await;
        b.fill("#report-registrations", "70").await;
        b.fill("#report-costs", "30000").await;
        b.submit_and_expect(
            "#stage-report form.upload button[type=submit]",
            "Материалы отправлены",
        )
        .await;
        b.logout().await;

        // Before accepting, the coordinator sees the estimate against the costs.
        b.login("anna@vendor.test", USER_PASSWORD).await;
        b.goto("/seminars/tula-1").await;
        let review = plain(
            b.wait_for("#stage-report .estimate-review")
                .await
                .text()
                .await
                .unwrap(),
        );
        for want in [
            "Аренда зала",
            "Конференц-зал на 4 часа",
            "Печать программ и анкет",
            "не компенсируется",
            "20 000,50 ₽",
            "30 000,00 ₽",
            "Компенсация при принятии отчёта",
            "согласованной сметы",
        ] {
            assert!(review.contains(want), "«{want}» in: {review}");
        }
        b.shot_at("estimate-03-coordinator-report-review", 1366)
            .await;
        b.shot_at("estimate-03-coordinator-report-review-phone", 390)
            .await;
        b.submit_and_expect(
            "#stage-report form[action$='/approve'] button",
            "Отчёт принят",
        )
        .await;
        let card = plain(b.wait_for("#estimate").await.text().await.unwrap());
        assert!(
            card.contains("Компенсация") && card.contains("20 000,50 ₽"),
            "{card}"
        );
        b.shot_at("estimate-04-coordinator-closed", 1366).await;
        b.logout().await;
    })
    .await;
    let s = store.seminar("tula-1").await.unwrap().unwrap();
    assert_eq!(
        s.result.expect("results booked").compensation,
        seminarflow::domain::Kopecks(2_000_050),
        "compensated up to the approved estimate, not the 30 000 of costs"
    );
}
