//! Lists as Excel files (issue 13, Excel): each export holds the very rows of the list it
//! mirrors — same filters, same permissions — and opens in a spreadsheet reader (calamine).

use super::{demo_app, form_login, page_ok, password_of};
use crate::support::app::{Client, PROGRAM};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use serde_json::Value;
use std::io::Cursor;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The file's rows under the heading row, as text (numbers as calamine shows them).
async fn sheet(c: &Client, path: &str) -> (Vec<String>, Vec<Vec<Data>>) {
    let r = c.get(path).await.expect(200);
    assert_eq!(r.content_type(), XLSX, "{path}");
    let disposition = r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".xlsx\""),
        "{path}: {disposition}"
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(r.bytes)).expect("an XLSX file");
    let range = book
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    let mut rows = range.rows().map(<[Data]>::to_vec);
    let head = rows
        .next()
        .expect("a heading row")
        .iter()
        .map(ToString::to_string)
        .collect();
    (head, rows.collect())
}

fn first_column(rows: &[Vec<Data>]) -> Vec<String> {
    rows.iter().map(|r| r[0].to_string()).collect()
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn exports_hold_the_rows_of_their_lists_and_respect_filters_and_rights() {
    let (app, creds) = demo_app().await;
    let coord_email = "coordinator@demo.local";
    let coord = app
        .login(coord_email, &password_of(&creds, coord_email))
        .await;

    // Seminars: the API's rows in the API's order, and the dashboard's list.
    let api = coord
        .get(&format!("/api/seminars?program={PROGRAM}&per_page=200"))
        .await
        .expect(200)
        .json();
    let api_ids = ids(&api["items"], "id");
    assert!(api_ids.len() >= 10, "{api}");
    let (head, rows) = sheet(&coord, &format!("/api/seminars.xlsx?program={PROGRAM}")).await;
    assert_eq!(head[0], "Семинар");
    assert!(head.contains(&"Компенсация, ₽".to_string()), "{head:?}");
    assert_eq!(first_column(&rows), api_ids);
    let coord_page = form_login(&app, coord_email, &password_of(&creds, coord_email)).await;
    let page = page_ok(&coord_page.get(&format!("/programs/{PROGRAM}")).await)
        .replace("&#x3D;", "=")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&");
    // The dashboard links its lists to their Excel files, and the links work in the session.
    for (marker, rows_expected) in [
        ("/api/seminars.xlsx?program=", Some(api_ids.len())),
        ("/api/penalties.xlsx?program=", None),
        ("/review-queue.xlsx", None),
    ] {
        let at = page
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker} link"));
        let start = page[..at].rfind("href=\"").unwrap() + 6;
        let href = page[start..].split('"').next().unwrap().to_string();
        let (_, rows) = sheet(&coord_page, &href).await;
        if let Some(n) = rows_expected {
            assert_eq!(rows.len(), n, "{href}");
        }
    }
    let list = &page[page.find("id=\"seminars\"").expect("the seminar list")..];
    let mut on_page: Vec<String> = list
        .match_indices("href=\"/seminars/")
        .map(|(i, m)| list[i + m.len()..].split('"').next().unwrap().to_string())
        .collect();
    on_page.dedup();
    let mut exported = api_ids.clone();
    exported.sort();
    on_page.sort();
    assert_eq!(on_page, exported, "the page lists what the file holds");

    // A filter narrows the file as it narrows the list.
    let city = api["items"][0]["city"].as_str().unwrap().to_string();
    let (_, rows) = sheet(
        &coord,
        &format!("/api/seminars.xlsx?city={}", urlencode(&city)),
    )
    .await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[3].to_string() == city), "{rows:?}");

    // Penalties: same rows, newest first, with their Russian reasons.
    let pen = coord
        .get("/api/penalties?limit=1000")
        .await
        .expect(200)
        .json();
    let (head, rows) = sheet(&coord, "/api/penalties.xlsx").await;
    assert_eq!(head.last().unwrap(), "Причина");
    assert_eq!(rows.len(), pen.as_array().unwrap().len());
    assert!(!rows.is_empty(), "the demo season has penalties");
    assert_eq!(first_column_of(&rows, 1), ids(&pen, "seminar"));
    assert_eq!(
        rows[0][2].to_string(),
        pen[0]["name"].as_str().unwrap(),
        "the rule's name, not its code"
    );

    // Review queue: applications and submissions of the JSON queue.
    let q = coord
        .get(&format!("/api/programs/{PROGRAM}/review-queue"))
        .await
        .expect(200)
        .json();
    let (_, rows) = sheet(
        &coord,
        &format!("/api/programs/{PROGRAM}/review-queue.xlsx"),
    )
    .await;
    let n =
        q["applications"].as_array().unwrap().len() + q["submissions"].as_array().unwrap().len();
    assert_eq!(rows.len(), n, "{q}");

    // A partner's main user: its own seminars and its ledger with money.
    let p1 = app
        .login("p01@demo.local", &password_of(&creds, "p01@demo.local"))
        .await;
    let (_, rows) = sheet(&p1, "/api/seminars.xlsx").await;
    let own = ids(
        &p1.get("/api/seminars?per_page=200")
            .await
            .expect(200)
            .json()["items"],
        "id",
    );
    assert_eq!(first_column(&rows), own);
    assert!(own.len() < api_ids.len());
    let ledger = p1.get("/api/partners/p01/ledger").await.expect(200).json();
    let (_, rows) = sheet(&p1, "/api/partners/p01/ledger.xlsx").await;
    let p1_page = form_login(
        &app,
        "p01@demo.local",
        &password_of(&creds, "p01@demo.local"),
    )
    .await;
    let ledger_page = page_ok(&p1_page.get("/my/ledger").await);
    assert!(
        ledger_page.contains("href=\"/api/partners/p01/ledger.xlsx\""),
        "{ledger_page}"
    );
    let penalties_page = page_ok(&p1_page.get("/my/penalties").await);
    assert!(penalties_page.contains("href=\"/api/penalties.xlsx\""));
    let entries =
        ledger["points"].as_array().unwrap().len() + ledger["bonus"].as_array().unwrap().len();
    assert_eq!(rows.len(), entries, "{ledger}");
    assert!(rows.iter().any(|r| r[0] == "бонусы"), "{rows:?}");

    // Another partner's ledger is refused, as in the JSON API.
    let json = p1.get("/api/partners/p02/ledger").await;
    assert!(json.status.is_client_error());
    p1.get("/api/partners/p02/ledger.xlsx")
        .await
        .expect(json.status.as_u16());

    // A limited-rights user sees no money in the files either.
    let p3 = app
        .login("p03@demo.local", &password_of(&creds, "p03@demo.local"))
        .await;
    let (head, _) = sheet(&p3, "/api/seminars.xlsx").await;
    assert!(!head.iter().any(|h| h.contains('₽')), "{head:?}");
    let (_, rows) = sheet(&p3, "/api/partners/p03/ledger.xlsx").await;
    assert!(rows.iter().all(|r| r[0] == "баллы"), "{rows:?}");

    // Anonymous: no file.
    app.anonymous().get("/api/seminars.xlsx").await.expect(401);
}

fn first_column_of(rows: &[Vec<Data>], col: usize) -> Vec<String> {
    rows.iter().map(|r| r[col].to_string()).collect()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
