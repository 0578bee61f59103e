//! The report's attendee list (issue 13, Excel): uploaded with the report through the API or
//! the page, it is counted (a name plus a phone or an e-mail; repeated phones and e-mails do not
//! count), fills in an empty attendee figure, says in the version what it did not count, and
//! stays with the version where only the partner and the coordinators can read it.

use crate::support::app::{self, file_part, Client, Resp};
use reqwest::multipart::Form;
use reqwest::Method;
use seminarflow::sheets::export::{xlsx, Cell, Table};

const LIST_CSV: &str = "ФИО;Компания;Телефон;E-mail\n\
    Иванов Иван;Ромашка;8 (916) 123-45-67;ivan@example.ru\n\
    Петров Пётр;;;petr@example.ru\n\
    Сидорова Анна;;+7 916 123 45 67;\n\
    Без Контакта;;;\n\
    Козлова Ольга;;+7 903 111-22-33;\n";

fn list_xlsx() -> Vec<u8> {
    let mut t = Table::new("Участники", &["ФИО", "Телефон", "Email"]);
    for (i, name) in ["Ан", "Бо", "Ве", "Га", "Дэ"].iter().enumerate() {
        t.push(vec![
            (*name).into(),
            Cell::Int(79_160_000_000 + i as i64),
            Cell::Empty,
        ]);
    }
    t.push(vec!["Ан".into(), Cell::Int(79_160_000_000), Cell::Empty]);
    xlsx(&t).unwrap()
}

/// Approves every stage before the report and moves the clock past the seminar day.
async fn at_report(app: &app::App, admin: &Client, main: &Client) {
    app::approve_stages_before_seminar(app, admin, main, "s1").await;
    app.set_clock("2017-03-30T12:00:00+03:00").await;
}

fn report_versions(seminar: &serde_json::Value) -> Vec<serde_json::Value> {
    seminar["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "report")
        .unwrap()["versions"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_attendee_list_sent_with_the_report_through_the_api_sets_the_count_and_flags_repeats() {
    let app = app::spawn().await;
    let (admin, main) = app::approved_seminar(&app).await;
    at_report(&app, &admin, &main).await;

    // A list that is no list: refused, naming the field; nothing is booked.
    let bad = Form::new()
        .text("registrations", "70")
        .text("costs", "48000")
        .part(
            "attendee_list",
            file_part("list.csv", b"a;b\n1;2\n".to_vec(), "text/csv"),
        );
    let r = main
        .post_multipart("/api/seminars/s1/stages/report/versions", bad)
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    assert_eq!(
        r.json()["error"]["field"],
        "report.attendee_list",
        "{}",
        r.text()
    );
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("строка заголовков"));

    // The CSV: 3 count (Иванов, Петров, Козлова); Сидорова repeats Иванов's phone; one row
    // has no contact. The attendee figure is left empty: the list fills it in.
    let form = Form::new()
        .text("registrations", "70")
        .text("costs", "48000")
        .part(
            "attendee_list",
            file_part("участники.csv", LIST_CSV.as_bytes().to_vec(), "text/csv"),
        );
    let rep = main
        .post_multipart("/api/seminars/s1/stages/report/versions", form)
        .await
        .expect(200)
        .json();
    assert_eq!(rep["seminar"]["report"]["attendees"], 3, "{rep}");
    let v = report_versions(&rep["seminar"]);
    let last = v.last().unwrap();
    let comment = last["comment"].as_str().unwrap();
    assert!(comment.contains("3 участника"), "{comment}");
    assert!(comment.contains("строка 4: повтор строки 2"), "{comment}");
    assert!(
        comment.contains("строка 5: нет ни телефона, ни e-mail"),
        "{comment}"
    );
    assert!(
        !comment.contains("ivan@example.ru"),
        "no personal data in the comment"
    );
    let files = last["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{last}");

    // The list is kept with the version: the partner and the coordinator read it, another
    // partner's user does not.
    let sha = files[0]
        .as_str()
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .to_string();
    let path = format!("/api/seminars/s1/files/{sha}");
    assert_eq!(main.get(&path).await.expect(200).bytes, LIST_CSV.as_bytes());
    admin.get(&path).await.expect(200);
    app.partner("pb", "Бета", false, None).await;
    let other = app
        .user(
            &admin,
            "partner",
            "boss@pb.example",
            Some("pb"),
            Some("main"),
        )
        .await;
    assert!(other.get(&path).await.status.is_client_error());

    // A typed figure wins over the list (the list is still counted and kept).
    admin
        .post(
            "/api/seminars/s1/stages/report/return",
            serde_json::json!({"comment": "Уточните число участников"}),
        )
        .await
        .expect(200);
    let form = Form::new()
        .text("attendees", "31")
        .text("registrations", "70")
        .text("costs", "48000")
        .part(
            "attendee_list",
            file_part(
                "list.xlsx",
                list_xlsx(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        );
    let rep = main
        .post_multipart("/api/seminars/s1/stages/report/versions", form)
        .await
        .expect(200)
        .json();
    assert_eq!(rep["seminar"]["report"]["attendees"], 31, "{rep}");
    let v = report_versions(&rep["seminar"]);
    let comment = v.last().unwrap()["comment"].as_str().unwrap().to_string();
    assert!(comment.contains("5 участников"), "{comment}");
    assert!(comment.contains("строка 7: повтор строки 2"), "{comment}");
}

/// Posts the page's report form: the CSRF token first (the page reads it before any file),
/// the figures, then the list.
async fn page_upload(c: &Client, file: &str, bytes: Vec<u8>) -> Resp {
    let form = Form::new()
        .text("_csrf", c.csrf().await)
        .text("registrations", "70")
        .text("costs", "48000")
        .part("attendee_list", file_part(file, bytes, "text/csv"));
    c.send(
        c.request(Method::POST, "/seminars/s1/stages/report/submit")
            .multipart(form),
    )
    .await
}

#[tokio::test]
async fn the_report_form_takes_the_attendee_list_and_shows_a_bad_one_next_to_its_field() {
    let app = app::spawn().await;
    let (admin, main) = app::approved_seminar(&app).await;
    at_report(&app, &admin, &main).await;
    let page = main.get("/seminars/s1").await.expect(200).text();
    assert!(
        page.contains("name=\"attendee_list\""),
        "the form has the field"
    );

    let r = page_upload(&main, "list.csv", b"a;b\n1;2\n".to_vec()).await;
    assert_eq!(r.status.as_u16(), 422);
    let html = r.text();
    assert!(html.contains("attendee_list-error"), "{html}");
    assert!(html.contains("строка заголовков"), "{html}");

    let r = page_upload(&main, "участники.csv", LIST_CSV.as_bytes().to_vec()).await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.text()
    );
    let s = main.get("/api/seminars/s1").await.expect(200).json();
    assert_eq!(s["report"]["attendees"], 3, "{s}");
}
