//! A form that comes back with errors (issue 13 item 7): a summary at the top of the page
//! («Исправьте, пожалуйста:», `role="alert"`) links to each field in error, the field is marked
//! (`aria-invalid`, its message next to it), typed values are kept, a file input says the file
//! must be chosen again, and no API field name (`links`, `report.costs`…) reaches the person.

use super::browser::with_browser;
use crate::support::app::{
    approved_seminar, csrf_of, file_part, small_pdf, spawn, Client, Resp, STAGES_BEFORE_SEMINAR,
    USER_PASSWORD,
};
use reqwest::Method;
use seminarflow::http::ui::page::encode;
use serde_json::json;

/// The error summary of a page (its HTML), or a failure naming the page.
#[track_caller]
fn summary_of(html: &str) -> String {
    let start = html
        .find("<div class=\"error-summary\"")
        .unwrap_or_else(|| panic!("no error summary on the page:\n{html}"));
    let end = html[start..].find("</div>").expect("the summary closes") + start;
    html[start..end].to_string()
}

/// The opening tag of the element with `id`.
#[track_caller]
fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} on the page"));
    let open = html[..at].rfind('<').expect("a tag");
    let close = html[at..].find('>').expect("the tag closes") + at;
    &html[open..=close]
}

/// Words the API uses for fields; none may reach the person filling in a form.
const API_NAMES: &[&str] = &[
    "links",
    "link",
    "report",
    "attendees",
    "attendee_list",
    "registrations",
    "costs",
    "estimate",
    "estimate_kopecks",
    "third_party_companies",
    "comment",
    "due",
    "code",
    "count",
    "cost",
    "note",
    "venue",
    "confirm",
    "city",
    "date",
    "phone",
    "current",
    "repeat",
    "decision",
];

/// Checks a re-rendered page: 422, the summary with a link to every `#id` (each input marked
/// invalid, with its message next to it), Russian text only.
#[track_caller]
fn assert_summary(r: &Resp, ids: &[&str]) -> String {
    let html = r.text();
    assert_eq!(r.status.as_u16(), 422, "{}: {html}", r.request);
    let s = summary_of(&html);
    assert!(s.contains("role=\"alert\""), "{s}");
    assert!(s.contains("Исправьте, пожалуйста:"), "{s}");
    assert!(html.contains("<title>Ошибка: "), "the title says so too");
    for id in ids {
        assert!(
            s.contains(&format!("href=\"#{id}\"")),
            "{}: no link to #{id} in {s}",
            r.request
        );
        let tag = tag_with_id(&html, id);
        assert!(tag.contains("aria-invalid=\"true\""), "#{id}: {tag}");
        // Its message is next to it and read with it.
        let described = tag
            .split("aria-describedby=\"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .unwrap_or_default();
        assert!(
            described
                .split_whitespace()
                .any(|d| html.contains(&format!("class=\"field-error\" id=\"{d}\""))),
            "#{id} has its message next to it: {tag}"
        );
    }
    // The visible text of the summary, without tags (hrefs name ids, not fields).
    let mut text = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
        let w = word.trim_matches('.').to_lowercase();
        assert!(
            !API_NAMES.contains(&w.as_str()) && !w.starts_with("report."),
            "an API field name «{word}» in the summary: {text}"
        );
    }
    html
}

async fn post_form(c: &Client, path: &str, fields: &[(&str, &str)]) -> Resp {
    let page = c.get("/account").await.expect(200).text();
    let token = csrf_of(&page);
    let mut all = vec![("_csrf", token.as_str())];
    all.extend_from_slice(fields);
    c.send(c.request(Method::POST, path).form(&all)).await
}

#[tokio::test]
async fn every_form_that_fails_shows_a_summary_linking_to_its_fields_in_russian() {
    let app = spawn().await;
    let (admin, partner) = approved_seminar(&app).await;
    let stage = STAGES_BEFORE_SEMINAR[0];

    // Upload: a link that is not one, and a file; the link is kept, the file must be chosen again.
    let token = partner.csrf().await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token)
        .part(
            "file",
            file_part("programma.pdf", small_pdf("x"), "application/pdf"),
        )
        .text("link", "ftp-ссылка")
        .text("comment", "Программа семинара");
    let r = partner
        .post_multipart(&format!("/seminars/s1/stages/{stage}/submit"), form)
        .await;
    let html = assert_summary(&r, &[&format!("{stage}-link")]);
    assert!(html.contains("value=\"ftp-ссылка\""), "the link is kept");
    assert!(
        html.contains(">Программа семинара</textarea>"),
        "the comment is kept"
    );
    assert!(
        html.contains("Файл нужно выбрать заново"),
        "the file input says to choose the file again"
    );

    // The partner's venue: left blank.
    let r = post_form(&partner, "/seminars/s1/venue", &[("venue", "  ")]).await;
    assert_summary(&r, &["venue-input"]);

    // Withdrawal without ticking the box.
    let r = post_form(&partner, "/seminars/s1/withdraw", &[]).await;
    assert_summary(&r, &["wd-confirm"]);

    // The coordinator's violation: a count that is not one; the note is kept.
    let r = post_form(
        &admin,
        "/seminars/s1/violation",
        &[
            ("code", "mispositioning"),
            ("count", "много"),
            ("note", "Не пришёл докладчик"),
        ],
    )
    .await;
    let html = assert_summary(&r, &["v-count"]);
    assert!(html.contains(">Не пришёл докладчик</textarea>"));

    // Returning a version without saying what to rework, with a date that is not one.
    partner
        .post(
            &format!("/api/seminars/s1/stages/{stage}/versions"),
            json!({"comment": "готово"}),
        )
        .await
        .expect(200);
    let r = post_form(
        &admin,
        &format!("/seminars/s1/stages/{stage}/return"),
        &[("comment", ""), ("due", "31.02.2017")],
    )
    .await;
    assert_summary(
        &r,
        &[&format!("{stage}-return-comment"), &format!("{stage}-due")],
    );

    // Rejecting an application without a comment.
    partner
        .post(
            &format!(
                "/api/programs/{}/applications",
                crate::support::app::PROGRAM
            ),
            json!({"seminar": "s2", "city": "Омск", "date": "2017-03-29"}),
        )
        .await
        .expect(201);
    let r = post_form(
        &admin,
        "/seminars/s2/decide",
        &[("decision", "reject"), ("comment", " ")],
    )
    .await;
    assert_summary(&r, &["reject-comment"]);

    // The application form: a date outside the program; the city is kept.
    let r = post_form(
        &partner,
        "/my/apply",
        &[("city", "Самара"), ("date", "2016-01-01")],
    )
    .await;
    let html = assert_summary(&r, &["date"]);
    assert!(html.contains("value=\"Самара\""));
    assert!(
        summary_of(&html).contains("Дата семинара: "),
        "a refusal names the field by its label"
    );

    // The profile: the wrong current password and two new ones that differ.
    let r = post_form(
        &partner,
        "/account/password",
        &[
            ("current", "not-the-password"),
            ("new", "a-new-long-password"),
            ("repeat", "another-long-password"),
        ],
    )
    .await;
    assert_summary(&r, &["current", "repeat"]);
    let r = post_form(&partner, "/account/phone", &[("phone", "звоните мне")]).await;
    let html = assert_summary(&r, &["phone"]);
    assert!(html.contains("value=\"звоните мне\""));
    assert!(USER_PASSWORD != "not-the-password");
}

#[tokio::test]
async fn the_report_form_summary_names_its_fields_in_russian_and_keeps_the_figures() {
    let app = spawn().await;
    let (admin, partner) = approved_seminar(&app).await;
    crate::support::app::approve_stages_before_seminar(&app, &admin, &partner, "s1").await;
    app.set_clock("2017-03-30T10:00:00+03:00").await;
    let page = partner.get("/seminars/s1").await.expect(200).text();
    // The report stage is the one whose form asks for the attendees.
    let at = page
        .find("-attendees\" name=\"attendees\"")
        .expect("the report form is open on the day after the seminar");
    let start = page[..at].rfind("id=\"").expect("the input's id") + 4;
    let stage = page[start..at].to_string();
    let token = partner.csrf().await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token)
        .part(
            "attendee_list",
            file_part("uchastniki.csv", b"x".to_vec(), "text/csv"),
        )
        .text("attendees", "много")
        .text("registrations", "40")
        .text("costs", "дорого")
        .text("estimate", "")
        .text("third_party_companies", "2");
    let r = partner
        .post_multipart(&format!("/seminars/s1/stages/{stage}/submit"), form)
        .await;
    let html = assert_summary(
        &r,
        &[&format!("{stage}-attendees"), &format!("{stage}-costs")],
    );
    assert!(html.contains("value=\"много\"") && html.contains("value=\"40\""));
    let summary = summary_of(&html);
    assert!(summary.contains("Участники"), "{summary}");
    assert!(summary.contains("Расходы"), "{summary}");
    assert!(
        html.matches("data-reselect").count() >= 2,
        "both file inputs say the file must be chosen again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn in_the_browser_a_failed_form_opens_at_its_summary_and_its_links_reach_the_fields() {
    let app = spawn().await;
    let (_admin, _partner) = approved_seminar(&app).await;
    let stage = STAGES_BEFORE_SEMINAR[0];
    let pdf = tempfile::NamedTempFile::with_suffix(".pdf").unwrap();
    std::fs::write(pdf.path(), small_pdf("x")).unwrap();
    let pdf_path = pdf.path().to_string_lossy().to_string();
    let (stage, pdf_path) = (&stage, &pdf_path);
    with_browser(&app.base.clone(), async |b| {
        b.login("ivan@pa.example", USER_PASSWORD).await;
        b.goto("/seminars/s1").await;
        b.wait_for(&format!("#{stage}-link")).await;
        b.fill(&format!("#{stage}-link"), "ftp-ссылка").await;
        b.wait_for(&format!("#{stage}-file"))
            .await
            .send_keys(pdf_path)
            .await
            .expect("choose a file");
        b.click(&format!(
            "form[action='/seminars/s1/stages/{stage}/submit'] button[type=submit]"
        ))
        .await;
        b.wait_for("#error-summary").await;
        let r = b
            .eval(&format!(
                r#"const s = document.getElementById('error-summary');
                const link = document.getElementById('{stage}-link');
                return {{
                  focused: document.activeElement === s,
                  top: Math.round(s.getBoundingClientRect().top),
                  height: window.innerHeight,
                  role: s.getAttribute('role'),
                  text: s.innerText,
                  kept: link.value,
                  invalid: link.getAttribute('aria-invalid'),
                  reselect: !!document.querySelector('[data-reselect]'),
                }};"#
            ))
            .await;
        assert_eq!(r["focused"], true, "{r}");
        assert_eq!(r["role"], "alert", "{r}");
        assert!(
            r["top"].as_i64().unwrap() >= 0 && r["top"].as_i64() < r["height"].as_i64(),
            "the summary is in view: {r}"
        );
        assert!(
            r["text"]
                .as_str()
                .unwrap()
                .contains("Исправьте, пожалуйста"),
            "{r}"
        );
        assert_eq!(r["kept"], "ftp-ссылка", "{r}");
        assert_eq!(r["invalid"], "true", "{r}");
        assert_eq!(r["reselect"], true, "{r}");
        b.shot_at("form-errors-upload-wide", 1366).await;
        b.shot_at("form-errors-upload-phone", 390).await;

        b.click(&format!("#error-summary a[href='#{stage}-link']"))
            .await;
        let active = b.eval("return document.activeElement.id;").await;
        assert_eq!(active, json!(format!("{stage}-link")));

        // The profile's password form.
        b.goto("/account").await;
        b.fill("#current", "not-the-password").await;
        b.fill("#new", "a-new-long-password").await;
        b.fill("#repeat", "another-long-password").await;
        b.click("form[action='/account/password'] button[type=submit]")
            .await;
        b.wait_for("#error-summary a[href='#repeat']").await;
        let focused = b.eval("return document.activeElement.id;").await;
        assert_eq!(focused, json!("error-summary"));
        b.shot_at("form-errors-account-wide", 1366).await;
        b.shot_at("form-errors-account-phone", 390).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn in_the_browser_lists_search_sort_and_page_and_the_other_forms_show_their_summary() {
    let app = spawn().await;
    let (admin, _partner) = approved_seminar(&app).await;
    for note in ["баннер 1", "баннер 2", "баннер 3"] {
        admin
            .post(
                "/api/seminars/s1/violations",
                json!({"code": "mispositioning", "note": note, "count": 1}),
            )
            .await
            .expect(200);
    }
    let admin_password = crate::support::app::ADMIN_PASSWORD;
    let email = app.admin_email.clone();
    let program = crate::support::app::PROGRAM;
    with_browser(&app.base.clone(), async |b| {
        // The coordinator searches the seminar list, sorts it by a heading, pages.
        b.login(&email, admin_password).await;
        b.goto(&format!("/programs/{program}")).await;
        b.fill("#sem-q", "ТУЛ").await;
        b.click("#seminars form.list-search button[type=submit]").await;
        b.wait_for("#seminars [role=status]").await;
        let found = b
            .eval("return document.querySelector('#seminars [role=status]').innerText;")
            .await;
        assert_eq!(found, json!("Найдено: 1 семинар"));
        b.click("#seminars th a.sort[href*='sort=city']").await;
        b.wait_for("#seminars th[aria-sort='ascending'] a[href*='sort=-city']")
            .await;
        let url = b.url().await;
        assert!(
            url.contains("q=%D0%A2%D0%A3%D0%9B") && url.contains("sort=city"),
            "the search and the order stay in the address: {url}"
        );
        b.shot_at("list-dashboard-seminars-wide", 1366).await;
        b.shot_at("list-dashboard-seminars-phone", 390).await;
        b.goto(&format!("/programs/{program}?q=Владивосток#seminars"))
            .await;
        let empty = b
            .eval("return document.querySelector('#seminars .empty').innerText;")
            .await;
        assert!(empty.as_str().unwrap().contains("не найдено"), "{empty}");
        b.goto(&format!("/programs/{program}?page=0")).await;
        let text = b.text().await;
        assert!(text.contains("страницы нумеруются с 1"), "{text}");
        b.shot_at("list-bad-address-wide", 1366).await;
        b.shot_at("list-bad-address-phone", 390).await;
        // The review queue's search and the seminar history's, fitting a phone.
        for (path, shot) in [
            (
                format!("/programs/{program}?rq={}#queue", encode("Альфа")),
                "list-dashboard-queue",
            ),
            ("/seminars/s1?hq=admin#hist".to_string(), "list-seminar-history"),
        ] {
            b.goto(&path).await;
            b.wait_for("main").await;
            b.shot_at(&format!("{shot}-wide"), 1366).await;
            b.set_width(390).await;
            let sideways = b
                .eval("return document.documentElement.scrollWidth > document.documentElement.clientWidth;")
                .await;
            assert_eq!(sideways, json!(false), "{path} scrolls sideways at 390 px");
            b.shot_at(&format!("{shot}-phone"), 390).await;
        }
        let found = b
            .eval("return document.querySelector('#hist [role=status]').innerText;")
            .await;
        assert!(found.as_str().unwrap().starts_with("Найдено:"), "{found}");
        b.goto("/account").await;
        b.logout().await;

        // The partner's penalties, two to a page, oldest first by a click on «Когда».
        b.login("ivan@pa.example", USER_PASSWORD).await;
        b.goto("/my/penalties?per_page=2").await;
        b.wait_for("#list nav.pager").await;
        b.click("#list th a.sort[href*='sort=at']").await;
        b.wait_for("#list th[aria-sort='ascending']").await;
        let label = b
            .eval("return document.querySelector('#list .pager-label').innerText;")
            .await;
        assert_eq!(label, json!("страница 1 из 2"));
        b.shot_at("list-my-penalties-wide", 1366).await;
        b.shot_at("list-my-penalties-phone", 390).await;

        b.goto("/my").await;
        b.wait_for("#active-h").await;
        b.shot_at("list-my-seminars-wide", 1366).await;
        b.shot_at("list-my-seminars-phone", 390).await;

        // The ledger, two entries to a page.
        b.goto("/my/ledger?per_page=2").await;
        b.wait_for("#points nav.pager a[rel=next]").await;
        b.shot_at("list-my-ledger-wide", 1366).await;
        b.shot_at("list-my-ledger-phone", 390).await;

        // The application form: a date outside the program.
        b.goto("/my/apply").await;
        b.fill("#city", "Самара").await;
        b.set_value("#date", "2016-01-01").await;
        b.click("form[action='/my/apply'] button[type=submit]")
            .await;
        b.wait_for("#error-summary a[href='#date']").await;
        let kept = b
            .eval("return document.getElementById('city').value;")
            .await;
        assert_eq!(kept, json!("Самара"));
        b.shot_at("form-errors-apply-wide", 1366).await;
        b.shot_at("form-errors-apply-phone", 390).await;
        b.logout().await;

        // The login form: nothing typed.
        b.goto("/login").await;
        b.click("main form button[type=submit]").await;
        let shown = b
            .eval("return !!document.getElementById('error-summary');")
            .await;
        // The browser's own `required` check may stop an empty form before it is sent.
        if shown == json!(true) {
            b.shot_at("form-errors-login-wide", 1366).await;
        }
    })
    .await;
}
