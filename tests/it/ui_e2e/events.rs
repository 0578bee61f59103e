//! The events program in the browser: a partner announces a seminar with «Новое мероприятие»,
//! the coordinator approves it from the queue of both programs, the partner uploads the promo
//! materials and, after the day, the report; the event page shows the promotion window, whether
//! the site shows it, and the bracket row of the points. Screenshots at 1366 and 390 px.

use super::add_user;
use super::browser::with_browser;
use crate::support::app::{self, USER_PASSWORD};
use seminarflow::accounts::{Rights, Role};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn a_partner_announces_and_reports_an_event_the_coordinator_approves_it_from_the_queue() {
    let app = app::spawn().await;
    app.partner("pe", "Эпсилон", false, None).await;
    add_user(
        &app,
        "olga@pe.example",
        "Ольга",
        Role::Partner,
        Some("pe"),
        Some(Rights::Main),
    )
    .await;
    add_user(
        &app,
        "coord@vendor.test",
        "Координатор",
        Role::Coordinator,
        None,
        None,
    )
    .await;
    app.set_clock("2017-05-02T10:00:00+03:00").await;
    let app = &app;
    with_browser(&app.base.clone(), async |b| {
        b.login("olga@pe.example", USER_PASSWORD).await;
        b.goto("/my/events/new").await;
        b.wait_for("#event-form").await;
        // An empty form: the summary names what is missing, in Russian.
        b.click("#event-form button[type=submit]").await;
        b.wait_for("#kind-error").await;
        assert!(b.text().await.contains("Выберите вид мероприятия"), "{}", b.text().await);
        b.set_value("#kind", "seminar").await;
        b.set_value("#topic", "site").await;
        b.set_value("#date", "2017-06-01").await;
        b.fill("#city", "Тула").await;
        b.shot_at("events-new-1366", 1366).await;
        b.shot_at("events-new-390", 390).await;
        b.submit_and_expect("#event-form button[type=submit]", "анонсировано").await;
        let url = b.url().await;
        let id = url
            .split("/events/")
            .nth(1)
            .and_then(|r| r.split('?').next())
            .unwrap_or_else(|| panic!("{url}"))
            .to_string();
        let text = b.text().await;
        assert!(text.contains("18.05.2017") || text.contains("2017-05-18"), "{text}");
        assert!(text.contains("не показывается"), "{text}");
        b.logout().await;

        b.login("coord@vendor.test", USER_PASSWORD).await;
        b.goto("/events/queue").await;
        b.wait_for(&format!("tr[data-seminar='{id}']")).await;
        b.shot_at("events-queue-1366", 1366).await;
        b.shot_at("events-queue-390", 390).await;
        b.submit_and_expect(&format!("button[data-approve='{id}']"), "утверждена").await;
        b.goto("/events/calendar").await;
        b.wait_for(&format!("tr[data-event='{id}']")).await;
        b.shot_at("events-calendar-1366", 1366).await;
        b.shot_at("events-calendar-390", 390).await;
        b.logout().await;

        b.login("olga@pe.example", USER_PASSWORD).await;
        b.goto(&format!("/events/{id}")).await;
        b.fill("#promo-link", "https://pe.example/seminar-tula").await;
        b.submit_and_expect("#promo-form button[type=submit]", "отправлены").await;
        b.logout().await;
        app.set_clock("2017-06-02T10:00:00+03:00").await;

        b.login("olga@pe.example", USER_PASSWORD).await;
        b.goto(&format!("/events/{id}")).await;
        b.fill("#attendees", "35").await;
        b.fill("#registrations", "50").await;
        b.fill("#costs", "30000").await;
        // The evidence and the reductions' questions read as the workflow file names them.
        let form = b.text().await;
        for label in ["Фотографии с мероприятия", "Доклады о других программных продуктах"] {
            assert!(form.contains(label), "{label}: {form}");
        }
        b.click("input[data-evidence='photos']").await;
        b.click("input[data-evidence='announcement_link']").await;
        b.click("input[data-input='other_products_talks']").await;
        b.submit_and_expect("#report-form button[type=submit]", "отправлены").await;
        b.goto(&format!("/events/{id}")).await;
        b.wait_for("#bracket-row").await;
        let text = b.text().await;
        assert!(text.contains("31-50"), "{text}");
        // 60 for 35 listeners, −20 for talks on other products (E§4.9).
        assert!(text.contains("40 баллов"), "{text}");
        assert!(
            text.contains("Снижения: Доклады о других программных продуктах"),
            "{text}"
        );
        // Dates read as the rest of the UI writes them.
        assert!(text.contains("01.06.2017"), "{text}");
        b.shot_at("events-event-1366", 1366).await;
        b.set_width(390).await;
        let r = b
            .eval("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];")
            .await;
        assert!(r[0].as_u64() <= r[1].as_u64(), "the event page scrolls sideways: {r}");
        b.shot_at("events-event-390", 390).await;
    })
    .await;
}
