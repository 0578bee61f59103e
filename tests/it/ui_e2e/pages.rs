//! Every page of the demo season for its role, and the forms' CSRF check and field errors,
//! without a browser.

use super::{add_user, csrf_of, demo_app, form_login, page_ok, password_of};
use crate::support::app::{self, Setup, PROGRAM, USER_PASSWORD};
use seminarflow::accounts::{Rights, Role};

#[tokio::test]
async fn every_page_renders_for_the_demo_season_for_its_role() {
    let (app, creds) = demo_app().await;
    let store = &app.state.service.store;

    let anon = app.anonymous();
    let public = page_ok(&anon.get("/organizers").await);
    for city in ["Новосибирск", "Казань", "Москва"] {
        assert!(public.contains(city), "the public page lists {city}");
    }
    // s11 lost information support; s06/s10 were excluded: none of them is published.
    assert!(!public.contains("Байкал-Веб") && !public.contains("Омские системы"));
    assert!(page_ok(&anon.get("/login").await).contains("Вход"));
    let r = anon.get("/my").await;
    assert!(r.request.starts_with("GET /my"));
    assert!(
        page_ok(&r).contains("id=\"login-h\""),
        "anonymous visitors are sent to the login page"
    );

    let coordinator = form_login(
        &app,
        "coordinator@demo.local",
        &password_of(&creds, "coordinator@demo.local"),
    )
    .await;
    let coordinator_id = store
        .user_by_email("coordinator@demo.local")
        .await
        .unwrap()
        .unwrap()
        .id;
    // Two programs are loaded (the flagship and the events program): the dashboard lists both
    // side by side, and the flagship's own dashboard is one click away.
    let list = page_ok(&coordinator.get("/dashboard").await);
    assert!(
        list.contains("Маркетинговая поддержка партнёров")
            && list.contains(&format!("/programs/{PROGRAM}")),
        "{list}"
    );
    let dash = page_ok(&coordinator.get(&format!("/programs/{PROGRAM}")).await);
    for text in [
        "Очередь на рассмотрение",
        "Материалы ждут проверки",
        "План анонсирования",
        "Просрочено партнёрами",
        "Города и недели",
        "Штрафы за последние 30 дней",
        "Анна Координатор",
    ] {
        assert!(dash.contains(text), "the dashboard shows «{text}»");
    }
    for q in [
        "?city=%D0%9A%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C",
        "?partner=p03",
        &format!("?coordinator={coordinator_id}"),
    ] {
        page_ok(&coordinator.get(&format!("/programs/{PROGRAM}{q}")).await);
    }
    for s in store.seminars(None).await.unwrap() {
        let html = page_ok(&coordinator.get(&format!("/seminars/{}", s.id)).await);
        assert!(
            html.contains("Этапы и сроки") && html.contains("История"),
            "{}",
            s.id
        );
    }
    let s03 = page_ok(&coordinator.get("/seminars/s03").await);
    assert!(s03.contains("Зафиксировать нарушение") && s03.contains("МСК"));
    let s02 = page_ok(&coordinator.get("/seminars/s02").await);
    assert!(
        s02.contains("Принять отчёт и начислить баллы"),
        "a waiting report can be accepted"
    );
    let s01 = page_ok(&coordinator.get("/seminars/s01").await);
    assert!(
        s01.contains("Итоги") && s01.contains("₽"),
        "results after the report"
    );
    assert!(page_ok(&coordinator.get("/account").await).contains("/calendar/"));

    let main = form_login(
        &app,
        "p01@demo.local",
        &password_of(&creds, "p01@demo.local"),
    )
    .await;
    let my = page_ok(&main.get("/my").await);
    assert!(my.contains("СекретКонтора") && my.contains("Бонусный счёт"));
    page_ok(&main.get("/my/apply").await);
    assert!(page_ok(
        &main
            .get("/my/apply?city=%D0%9A%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C")
            .await
    )
    .contains("занята"));
    page_ok(&main.get("/my/penalties").await);
    let ledger = page_ok(&main.get("/my/ledger").await);
    assert!(
        ledger.contains("Баллы организатора семинара") && ledger.contains("Компенсация затрат")
    );
    page_ok(&main.get("/seminars/s01").await);
    assert_eq!(
        main.get("/seminars/s02").await.status.as_u16(),
        404,
        "another partner's seminar is not found"
    );
    assert_eq!(
        main.get(&format!("/programs/{PROGRAM}"))
            .await
            .status
            .as_u16(),
        403
    );

    let limited = form_login(
        &app,
        "p03@demo.local",
        &password_of(&creds, "p03@demo.local"),
    )
    .await;
    for path in ["/my", "/my/penalties", "/my/ledger", "/seminars/s03"] {
        let html = page_ok(&limited.get(path).await);
        // No sums (the report form may still ask for the costs: limited users upload reports).
        let sums =
            html.contains("\u{a0}₽") || html.contains("руб.") || html.contains("Бонусный счёт");
        assert!(!sums, "{path}: limited rights see no money");
    }
    assert!(page_ok(&limited.get("/my/penalties").await).contains("−10 баллов"));
    assert!(!page_ok(&limited.get("/seminars/s03").await).contains("Отозвать семинар"));
    assert_eq!(limited.get("/my/apply").await.status.as_u16(), 403);
}

#[tokio::test]
async fn forms_check_the_session_csrf_token_and_show_errors_next_to_the_fields() {
    let app = app::spawn_with(Setup {
        start: "2017-02-01T10:00:00+03:00",
        ..Setup::default()
    })
    .await;
    app.partner("tula", "Тульские решения", false, None).await;
    add_user(
        &app,
        "ivan@tula.test",
        "Иван Петров",
        Role::Partner,
        Some("tula"),
        Some(Rights::Main),
    )
    .await;
    let c = form_login(&app, "ivan@tula.test", USER_PASSWORD).await;
    let form = c.get("/my/apply").await.text();
    let token = csrf_of(&form);

    let forged = c
        .send(
            c.request(reqwest::Method::POST, "/my/apply")
                .form(&[("city", "Тула"), ("date", "2017-03-29")]),
        )
        .await;
    assert_eq!(forged.status.as_u16(), 403, "no _csrf field: refused");
    assert!(forged.text().contains("обновите страницу"));

    let r = c
        .send(c.request(reqwest::Method::POST, "/my/apply").form(&[
            ("_csrf", token.as_str()),
            ("city", ""),
            ("date", "2017-05-01"),
        ]))
        .await;
    assert_eq!(r.status.as_u16(), 422);
    let html = r.text();
    assert!(
        html.contains("id=\"city-error\"") && html.contains("Укажите город"),
        "{html}"
    );
    assert!(html.contains("aria-describedby=\"city-hint city-error\""));

    let r = c
        .send(c.request(reqwest::Method::POST, "/my/apply").form(&[
            ("_csrf", token.as_str()),
            ("city", "Тула"),
            ("date", "2017-05-01"),
        ]))
        .await;
    assert_eq!(r.status.as_u16(), 422);
    let html = r.text();
    assert!(
        html.contains("id=\"date-error\""),
        "a date outside the program is the date's error: {html}"
    );
    assert!(
        html.contains("value=\"Тула\""),
        "the typed city stays in the form"
    );

    let wrong = app.anonymous();
    let page = wrong.get("/login").await.text();
    let r = wrong
        .send(wrong.request(reqwest::Method::POST, "/login").form(&[
            ("_csrf", csrf_of(&page).as_str()),
            ("email", "ivan@tula.test"),
            ("password", "не тот пароль"),
        ]))
        .await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.text().contains("id=\"password-error\""));
}

/// The partner's home lists every stage waiting for the partner — not just the first — each with
/// its deadline, countdown, what lateness costs and a link to the stage (issue 13 item 9).
#[tokio::test]
async fn the_partner_home_lists_every_open_duty_with_its_cost_and_a_link() {
    let app = app::spawn().await;
    let _ = app::approved_seminar(&app).await;
    let c = form_login(&app, "ivan@pa.example", USER_PASSWORD).await;
    let html = page_ok(&c.get("/my").await);
    let items: Vec<&str> = html
        .split("<li class=\"duty\">")
        .skip(1)
        .map(|i| i.split("</li>").next().unwrap())
        .collect();
    // Right after approval the program, postal address and estimate all wait for the partner.
    assert!(items.len() >= 3, "{html}");
    for item in &items {
        assert!(
            item.contains("href=\"/seminars/s1#stage-"),
            "a link to the stage: {item}"
        );
        assert!(item.contains(" — до "), "the deadline: {item}");
    }
    assert!(
        items
            .iter()
            .any(|i| i.contains("Если опоздать:") && i.contains("балл")),
        "what lateness costs: {items:?}"
    );
    assert!(
        items[0].contains("#stage-program"),
        "earliest deadline first: {items:?}"
    );
}

/// The seminar page opens at the stage that needs the reader: approved stages are folded, the
/// partner's current stage (or, for a coordinator, the first waiting for review) is marked as
/// where the page starts (issue 13 item 9).
#[tokio::test]
async fn the_seminar_page_folds_approved_stages_and_opens_at_the_current_one() {
    let app = app::spawn().await;
    let (admin, main) = app::approved_seminar(&app).await;
    main.post(
        "/api/seminars/s1/stages/program/versions",
        serde_json::json!({"comment": "программа"}),
    )
    .await
    .expect(200);
    admin
        .post_empty("/api/seminars/s1/stages/program/approve")
        .await
        .expect(200);
    main.post(
        "/api/seminars/s1/stages/postal_address/versions",
        serde_json::json!({"comment": "адрес"}),
    )
    .await
    .expect(200);
    let c = form_login(&app, "ivan@pa.example", USER_PASSWORD).await;
    let html = page_ok(&c.get("/seminars/s1").await);
    let program = &html[html.find("id=\"stage-program\"").unwrap()..];
    assert!(
        program[..400].contains("<details class=\"stage-fold\"><summary class=\"stage-head\">"),
        "the approved program is folded: {}",
        &program[..400]
    );
    assert_eq!(
        html.matches(" data-focus").count(),
        1,
        "one place to open at"
    );
    // The address waits for review; the estimate is the partner's current stage.
    let focus_at = html.find(" data-focus").unwrap();
    let li_start = html[..focus_at].rfind("<li id=\"stage-").unwrap();
    assert!(
        html[li_start..focus_at].contains("stage-estimate"),
        "{}",
        &html[li_start..focus_at]
    );
    // The coordinator opens at the stage waiting for review.
    let coord = form_login(&app, "admin@seminarflow.local", app::ADMIN_PASSWORD).await;
    let html = page_ok(&coord.get("/seminars/s1").await);
    let focus_at = html
        .find(" data-focus")
        .expect("a focus for the coordinator");
    let li_start = html[..focus_at].rfind("<li id=\"stage-").unwrap();
    assert!(html[li_start..focus_at].contains("stage-postal_address"));
}

/// The history names people, not their log-in e-mails (issue 13 item 12).
#[tokio::test]
async fn the_history_names_people_not_their_e_mails() {
    let app = app::spawn().await;
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    admin
        .post(
            "/api/users",
            serde_json::json!({
                "email": "ivan@pa.example", "name": "Иван Петров", "role": "partner",
                "partner": "pa", "rights": "main", "password": USER_PASSWORD,
            }),
        )
        .await
        .expect(201);
    let ivan = app.login("ivan@pa.example", USER_PASSWORD).await;
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    ivan.post(
        &format!("/api/programs/{PROGRAM}/applications"),
        serde_json::json!({"seminar": "s1", "city": "Тула", "date": "2017-03-29"}),
    )
    .await
    .expect(201);
    let c = form_login(&app, "ivan@pa.example", USER_PASSWORD).await;
    let html = page_ok(&c.get("/seminars/s1").await);
    let history = &html[html.find("id=\"hist-h\"").expect("a history")..];
    assert!(history.contains("партнёр Иван Петров"), "{history}");
    assert!(!history.contains("ivan@pa.example"), "{history}");
}

/// The demo season acts as the partners' own users for what partners do, and every demo partner
/// has a user, so the demo's mail reaches someone (issue 13 item 12).
#[tokio::test]
async fn the_demo_acts_as_each_partners_user_and_every_partner_has_one() {
    let (app, creds) = demo_app().await;
    let store = &app.state.service.store;
    for p in store.partners().await.unwrap() {
        let users = store.users(Some(&p.id)).await.unwrap();
        assert!(!users.is_empty(), "{} has no user", p.id);
        assert!(
            creds
                .iter()
                .any(|(e, _)| *e == format!("{}@demo.local", p.id)),
            "the demo prints {}'s login",
            p.id
        );
    }
    let events = store.events(Some("s01")).await.unwrap();
    let submit = events.iter().find(|e| e.kind == "submit").unwrap();
    assert_eq!(submit.actor, "partner:p01@demo.local");
    let c = form_login(
        &app,
        "p01@demo.local",
        &password_of(&creds, "p01@demo.local"),
    )
    .await;
    let html = page_ok(&c.get("/seminars/s01").await);
    let history = &html[html.find("id=\"hist-h\"").unwrap()..];
    assert!(history.contains("партнёр Сотрудник «"), "{history}");
    assert!(!history.contains("coordinator:demo"), "{history}");
}

/// The partner sets the venue on the seminar page; the public organizers page shows it; inside
/// the program's 14 days the form says what a change costs (issue 13 item 11).
#[tokio::test]
async fn the_partner_sets_the_venue_and_the_organizers_page_shows_it() {
    let app = app::spawn().await;
    let (admin, main) = app::approved_seminar(&app).await;
    // Every stage before the seminar in time, so the seminar is still on in March.
    app::approve_stages_before_seminar(&app, &admin, &main, "s1").await;
    let c = form_login(&app, "ivan@pa.example", USER_PASSWORD).await;
    let page = page_ok(&c.get("/seminars/s1").await);
    assert!(
        page.contains("action=\"/seminars/s1/venue\""),
        "a venue form"
    );
    assert!(
        !page.contains("До семинара меньше"),
        "no warning two months ahead"
    );
    let token = crate::support::app::csrf_of(&page);
    let venue = "Тула, ул. Советская, 1, конференц-зал; начало в 10:00";
    let r = c
        .send(
            c.request(reqwest::Method::POST, "/seminars/s1/venue")
                .form(&[("_csrf", token.as_str()), ("venue", venue)]),
        )
        .await
        .expect(200);
    assert!(
        r.text().contains("Место проведения сохранено"),
        "{}",
        r.text()
    );
    let public = page_ok(&app.anonymous().get("/organizers").await);
    assert!(public.contains(venue), "{public}");
    // Ten days before the seminar the form warns what a change would book.
    app.set_clock("2017-03-19T10:00:00+03:00").await;
    let page = page_ok(&c.get("/seminars/s1").await);
    assert!(page.contains("До семинара меньше 14 дней"), "{page}");
    assert!(page.contains("Место проведения изменено менее чем за 14 дней"));
    // An empty venue is refused next to the field.
    let token = crate::support::app::csrf_of(&page);
    let r = c
        .send(
            c.request(reqwest::Method::POST, "/seminars/s1/venue")
                .form(&[("_csrf", token.as_str()), ("venue", "")]),
        )
        .await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.text().contains("Укажите новое место проведения"));
}
