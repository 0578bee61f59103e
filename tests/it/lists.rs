//! Search, sort and page on every list (issue 13, beyond item 7): `q`, `sort` (whitelisted
//! columns, `-column` descending), `page`/`per_page` paged in SQL with the total, on the API and
//! the pages; a bad parameter is a 4xx with a clear Russian message, never a 500.

use crate::support::app::{self, spawn, App, Client, Resp, PROGRAM};
use seminarflow::http::ui::page::encode;
use serde_json::{json, Value};

/// Partners and their seminars: (partner id, partner name, seminar, city, date).
const SEASON: &[(&str, &str, &str, &str, &str)] = &[
    ("ln", "Лента Софт", "l1", "Тула", "2017-03-30"),
    ("lm", "Морион", "l2", "Нижний Новгород", "2017-03-28"),
    ("la", "Альфа", "l3", "Омск", "2017-04-06"),
    ("lb", "Бета", "l4", "Тверь", "2017-04-04"),
    ("lc", "Цифра", "l5", "Тула", "2017-04-05"),
];

async fn season(app: &App) -> Client {
    let admin = app.admin().await;
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    for (pid, name, sid, city, date) in SEASON {
        app.partner(pid, name, false, None).await;
        admin
            .post(
                &format!("/api/programs/{PROGRAM}/applications"),
                json!({"partner": pid, "seminar": sid, "city": city, "date": date}),
            )
            .await
            .expect(201);
    }
    admin
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {page}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// A 4xx in the API's error shape naming `field`, with a Russian message.
#[track_caller]
fn refused(r: Resp, status: u16, field: &str) -> String {
    let body = r.expect(status).json();
    assert_eq!(body["error"]["field"], field, "{body}");
    let msg = body["error"]["message"].as_str().unwrap().to_string();
    assert!(
        msg.chars().any(|c| ('а'..='я').contains(&c)),
        "a Russian message: {msg}"
    );
    msg
}

#[tokio::test]
async fn the_seminar_api_searches_sorts_and_pages_in_sql_with_the_total() {
    let app = spawn().await;
    let admin = season(&app).await;

    // Search: the city in any case, a partner's name, the seminar id.
    for q in ["тула", "ТУЛА", "Тул"] {
        let p = admin
            .get(&format!("/api/seminars?q={}&sort=date", encode(q)))
            .await
            .expect(200)
            .json();
        assert_eq!(ids(&p), ["l1", "l5"], "{q}: {p}");
        assert_eq!(p["total"], 2);
    }
    let p = admin
        .get(&format!("/api/seminars?q={}", encode("нижний новгород")))
        .await
        .expect(200)
        .json();
    assert_eq!(ids(&p), ["l2"], "{p}");
    let p = admin
        .get(&format!("/api/seminars?q={}", encode("морион")))
        .await
        .expect(200)
        .json();
    assert_eq!(ids(&p), ["l2"], "{p}");
    let p = admin.get("/api/seminars?q=100%25").await.expect(200).json();
    assert_eq!(p["total"], 0, "a wildcard is taken literally: {p}");

    // Sort by a whitelisted column, either way.
    let p = admin
        .get("/api/seminars?sort=date")
        .await
        .expect(200)
        .json();
    assert_eq!(ids(&p), ["l2", "l1", "l4", "l5", "l3"]);
    let p = admin
        .get("/api/seminars?sort=-date")
        .await
        .expect(200)
        .json();
    assert_eq!(ids(&p), ["l3", "l5", "l4", "l1", "l2"]);
    let p = admin
        .get("/api/seminars?sort=partner")
        .await
        .expect(200)
        .json();
    assert_eq!(
        ids(&p),
        ["l3", "l4", "l1", "l2", "l5"],
        "by the partner's name: {p}"
    );

    // Pages of a sorted list, with the total and the number of pages.
    let p = admin
        .get("/api/seminars?sort=city&per_page=2&page=2")
        .await
        .expect(200)
        .json();
    assert_eq!(
        ids(&p),
        ["l4", "l1"],
        "Нижний Новгород, Омск | Тверь, Тула | Тула"
    );
    assert_eq!(
        (p["total"].clone(), p["pages"].clone()),
        (json!(5), json!(3))
    );

    // Mistakes are 4xx naming the parameter.
    let m = refused(admin.get("/api/seminars?sort=price").await, 422, "sort");
    assert!(m.contains("date") && m.contains("city"), "{m}");
    refused(admin.get("/api/seminars?page=0").await, 422, "page");
    refused(admin.get("/api/seminars?per_page=0").await, 422, "per_page");
    refused(
        admin.get("/api/seminars?per_page=5000").await,
        422,
        "per_page",
    );
    refused(
        admin.get("/api/seminars?sort=date&cursor=3").await,
        422,
        "cursor",
    );
    let long = "я".repeat(101);
    refused(
        admin
            .get(&format!("/api/seminars?q={}", encode(&long)))
            .await,
        422,
        "q",
    );
    let r = admin.get("/api/seminars?page=abc").await.expect(400).json();
    let m = r["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("page") && !m.contains("Failed") && !m.contains("invalid digit"),
        "{m}"
    );
}

#[tokio::test]
async fn penalties_and_partners_search_sort_and_page_too() {
    let app = spawn().await;
    let admin = season(&app).await;
    app.set_clock("2017-02-06T10:00:00+03:00").await;
    admin
        .post_empty(&format!("/api/programs/{PROGRAM}/review"))
        .await
        .expect(200);
    app.set_clock("2017-03-01T10:00:00+03:00").await;

    // Penalties: the total in a header; search by the partner's name; a sorted page.
    let r = admin.get("/api/penalties?per_page=2").await.expect(200);
    let total: usize = r.headers["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total >= 5, "every seminar missed a deadline: {total}");
    let r = admin
        .get(&format!("/api/penalties?q={}", encode("цифра")))
        .await
        .expect(200);
    let found = r.json();
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["seminar"] == "l5"),
        "{found}"
    );
    assert!(!found.as_array().unwrap().is_empty());
    let r = admin
        .get("/api/penalties?sort=seminar&per_page=2&page=1")
        .await
        .expect(200);
    assert!(
        r.headers.get("x-next-cursor").is_none(),
        "a sorted list pages by number"
    );
    let first = r.json();
    assert_eq!(first[0]["seminar"], "l1", "{first}");
    refused(admin.get("/api/penalties?sort=amount").await, 422, "sort");
    refused(admin.get("/api/penalties?limit=0").await, 422, "per_page");

    // Partners: by name either way, a page by number.
    let r = admin
        .get("/api/partners?sort=-name&per_page=2&page=1")
        .await
        .expect(200);
    assert_eq!(r.headers["x-total-count"], "5");
    let names: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Цифра", "Морион"]);
    refused(admin.get("/api/partners?sort=bonus").await, 422, "sort");
    refused(admin.get("/api/partners?sort=-rating").await, 422, "sort");
    refused(
        admin.get("/api/partners?page=2&offset=4").await,
        422,
        "offset",
    );
}

#[tokio::test]
async fn the_audit_log_searches_sorts_newest_first_and_counts() {
    let app = spawn().await;
    let admin = season(&app).await;
    let r = admin.get("/api/audit?q=l3&per_page=500").await.expect(200);
    let events = r.json();
    let n: usize = r.headers["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(events.as_array().unwrap().len(), n);
    assert!(n >= 1, "{events}");
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["seminar"] == "l3" || e.to_string().contains("l3")),
        "{events}"
    );
    let newest = admin
        .get("/api/audit?sort=-id&per_page=2")
        .await
        .expect(200)
        .json();
    let oldest = admin.get("/api/audit?per_page=2").await.expect(200).json();
    assert!(
        newest[0]["id"].as_i64() > newest[1]["id"].as_i64()
            && oldest[0]["id"].as_i64() < oldest[1]["id"].as_i64(),
        "{newest} {oldest}"
    );
    refused(admin.get("/api/audit?sort=kind").await, 422, "sort");
    refused(admin.get("/api/audit?per_page=501").await, 422, "per_page");
}

#[tokio::test]
async fn the_dashboard_list_searches_sorts_and_pages_with_its_state_in_the_address() {
    let app = spawn().await;
    let admin = season(&app).await;
    let path = format!("/programs/{PROGRAM}");

    let html = admin
        .get(&format!("{path}?q={}", encode("тула")))
        .await
        .expect(200)
        .text();
    let list = section(&html, "seminars");
    assert!(list.contains("Найдено: 2 семинара"), "{list}");
    assert!(list.contains("/seminars/l1") && list.contains("/seminars/l5"));
    assert!(!list.contains("/seminars/l2"), "{list}");
    // The headings sort, keeping the search; the date column is the default order.
    assert!(list.contains("aria-sort=\"ascending\""), "{list}");
    assert!(
        list.contains("href=\"/programs/bitrix24-seminars-2017-spring?q=%D1%82%D1%83%D0%BB%D0%B0&amp;sort=-date#seminars\""),
        "{list}"
    );
    assert!(list.contains("sort=city"), "{list}");
    assert!(list.contains("name=\"q\"") && list.contains("value=\"тула\""));

    // A sorted page of two, with numbered page links that keep the order.
    let html = admin
        .get(&format!("{path}?sort=-date&per_page=2&page=2"))
        .await
        .expect(200)
        .text();
    let list = section(&html, "seminars");
    let order: Vec<usize> = ["/seminars/l4\"", "/seminars/l1\""]
        .iter()
        .map(|id| list.find(id).unwrap_or_else(|| panic!("{id} in {list}")))
        .collect();
    assert!(order[0] < order[1], "{list}");
    assert!(!list.contains("/seminars/l3\""), "{list}");
    assert!(list.contains("страница 2 из 3"), "{list}");
    assert!(list.contains("aria-sort=\"descending\""), "{list}");
    assert!(
        list.contains("page=3&amp;per_page=2&amp;sort=-date#seminars"),
        "{list}"
    );

    // Nothing found is said so.
    let html = admin
        .get(&format!("{path}?q={}", encode("Владивосток")))
        .await
        .expect(200)
        .text();
    assert!(
        section(&html, "seminars").contains("По запросу «Владивосток» семинаров не найдено"),
        "{html}"
    );

    // A bad address is a Russian error page, not a 500 or axum's English text.
    for bad in ["page=0", "sort=price", "per_page=100000", "page=abc"] {
        let r = admin.get(&format!("{path}?{bad}")).await;
        assert_eq!(r.status.as_u16(), 400, "{bad}: {}", r.text());
        assert!(r.content_type().starts_with("text/html"), "{bad}");
        let t = r.text();
        assert!(
            t.contains("откройте") && !t.contains("Failed"),
            "{bad}: {t}"
        );
    }
}

#[tokio::test]
async fn my_penalties_are_searched_sorted_and_paged() {
    let app = spawn().await;
    let (admin, partner) = app::approved_seminar(&app).await;
    // Six manual violations on the partner's seminar, one a different code.
    for (code, note) in [
        ("mispositioning", "баннер 1"),
        ("mispositioning", "баннер 2"),
        ("mispositioning", "баннер 3"),
        ("mispositioning", "баннер 4"),
        ("mispositioning", "баннер 5"),
        ("program_changed_unapproved", "программа"),
    ] {
        admin
            .post(
                "/api/seminars/s1/violations",
                json!({"code": code, "note": note, "count": 1}),
            )
            .await
            .expect(200);
    }
    let html = partner
        .get("/my/penalties?per_page=4")
        .await
        .expect(200)
        .text();
    let list = section(&html, "list");
    assert!(list.contains("страница 1 из 2"), "{list}");
    assert_eq!(list.matches("data-label=\"Когда\"").count(), 4, "{list}");
    assert!(
        list.contains("aria-sort=\"descending\""),
        "newest first: {list}"
    );
    let html = partner
        .get(&format!("/my/penalties?q={}", encode("program_changed")))
        .await
        .expect(200)
        .text();
    let list = section(&html, "list");
    assert!(
        list.contains("Найдено") || html.contains("Найдено: 1 штраф"),
        "{html}"
    );
    assert_eq!(list.matches("data-label=\"Когда\"").count(), 1, "{list}");
    let html = partner
        .get("/my/penalties?q=nothing-like-it")
        .await
        .expect(200)
        .text();
    assert!(html.contains("штрафов не найдено"), "{html}");
    let r = partner.get("/my/penalties?sort=-money").await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text());
}

#[tokio::test]
async fn the_ledger_pages_in_sql_on_the_api_and_the_page() {
    let app = spawn().await;
    let (admin, partner) = app::approved_seminar(&app).await;
    for note in ["баннер 1", "баннер 2", "баннер 3"] {
        admin
            .post(
                "/api/seminars/s1/violations",
                json!({"code": "mispositioning", "note": note, "count": 1}),
            )
            .await
            .expect(200);
    }
    let all = partner
        .get("/api/partners/pa/ledger")
        .await
        .expect(200)
        .json();
    let n = all["points"].as_array().unwrap().len();
    assert!(n >= 3, "{all}");
    assert_eq!(all["points_total"], json!(n));
    let p2 = partner
        .get("/api/partners/pa/ledger?per_page=2&page=2")
        .await
        .expect(200)
        .json();
    assert_eq!(p2["points"].as_array().unwrap().len(), n - 2, "{p2}");
    assert_eq!(p2["points"][0], all["points"][2], "newest first, page 2");
    refused(
        partner.get("/api/partners/pa/ledger?per_page=0").await,
        422,
        "per_page",
    );

    let html = partner
        .get("/my/ledger?per_page=2")
        .await
        .expect(200)
        .text();
    let points = section(&html, "points");
    assert!(
        points.contains(&format!("страница 1 из {}", n.div_ceil(2))),
        "{points}"
    );
    assert!(
        points.contains("href=\"/my/ledger?page=2&amp;per_page=2#points\""),
        "{points}"
    );
    let r = partner.get("/my/ledger?page=0").await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text());
}

#[tokio::test]
async fn my_finished_seminars_sort_and_page() {
    let app = spawn().await;
    let (admin, partner) = app::approved_seminar(&app).await;
    for (sid, city, date) in [
        ("r1", "Омск", "2017-03-28"),
        ("r2", "Тверь", "2017-04-04"),
        ("r3", "Самара", "2017-04-06"),
    ] {
        partner
            .post(
                &format!("/api/programs/{PROGRAM}/applications"),
                json!({"seminar": sid, "city": city, "date": date}),
            )
            .await
            .expect(201);
        admin
            .post(
                &format!("/api/seminars/{sid}/reject-application"),
                json!({"comment": "город занят"}),
            )
            .await
            .expect(200);
    }
    let html = partner.get("/my?per_page=2").await.expect(200).text();
    let done = section(&html, "done");
    assert!(done.contains("страница 1 из 2"), "{done}");
    // Latest first by default: Самара (06.04), Тверь (04.04) | Омск.
    let (a, b) = (
        done.find("/seminars/r3\"").unwrap(),
        done.find("/seminars/r2\"").unwrap(),
    );
    assert!(a < b && !done.contains("/seminars/r1\""), "{done}");
    assert!(
        html.contains("/seminars/s1"),
        "the current seminar stays above"
    );
    let html = partner
        .get("/my?sort=city&per_page=2")
        .await
        .expect(200)
        .text();
    let done = section(&html, "done");
    let (a, b) = (
        done.find("/seminars/r1\"").unwrap(),
        done.find("/seminars/r3\"").unwrap(),
    );
    assert!(
        a < b && !done.contains("/seminars/r2\""),
        "Омск, Самара | Тверь: {done}"
    );
    assert!(done.contains("aria-sort=\"ascending\""), "{done}");
    let r = partner.get("/my?sort=price").await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text());
}

/// The `<section id="…">` of a page.
#[track_caller]
fn section(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section #{id}: {html}"));
    let end = html[start..].find("</section>").expect("closes") + start;
    // As a browser reads the attributes (handlebars escapes `=` in them).
    html[start..end].replace("&#x3D;", "=")
}

/// The store's search and orders, on both backends (neither folds Cyrillic case in LIKE).
async fn store_search_and_order(store: seminarflow::storage::DynStore) {
    use seminarflow::domain::{Command, Partner};
    use seminarflow::storage::{Order, PenaltyQuery, SeminarOrder, SeminarQuery};
    let prog = crate::support::catalog()
        .program(PROGRAM)
        .expect("the flagship program");
    let svc = seminarflow::service::Service::new(store.clone(), vec![prog.clone()]);
    let at = chrono::DateTime::parse_from_rfc3339("2017-01-24T10:00:00+03:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    for (pid, name, sid, city, date) in SEASON {
        store
            .put_partner(&Partner {
                id: pid.to_string(),
                name: name.to_string(),
                experienced: false,
                barred: false,
                late_withdrawal: false,
            })
            .await
            .unwrap();
        let cmd = Command::Apply {
            seminar: sid.to_string(),
            partner: pid.to_string(),
            city: city.to_string(),
            date: date.parse().unwrap(),
        };
        svc.execute(PROGRAM, &cmd, pid, at).await.unwrap();
    }
    let find = |search: &str, order: Option<Order<SeminarOrder>>| {
        let store = store.clone();
        let q = SeminarQuery {
            search: Some(search.to_string()),
            order,
            ..SeminarQuery::default()
        };
        async move {
            let n = store.count_seminars(&q).await.unwrap();
            let ids: Vec<String> = store
                .find_seminars(&q)
                .await
                .unwrap()
                .into_iter()
                .map(|(_, s)| s.id)
                .collect();
            assert_eq!(n as usize, ids.len());
            ids
        }
    };
    assert_eq!(find("ТУЛА", None).await, ["l1", "l5"]);
    assert_eq!(find("нижний новгород", None).await, ["l2"]);
    assert_eq!(find("морион", None).await, ["l2"]);
    assert_eq!(find("l3", None).await, ["l3"]);
    assert!(find("%", None).await.is_empty(), "a wildcard is literal");
    let by = |by, desc| Some(Order { by, desc });
    assert_eq!(
        find("", by(SeminarOrder::Date, true)).await,
        ["l3", "l5", "l4", "l1", "l2"]
    );
    assert_eq!(
        find("", by(SeminarOrder::Partner, false)).await,
        ["l3", "l4", "l1", "l2", "l5"]
    );
    assert_eq!(
        find("", by(SeminarOrder::City, false)).await,
        ["l2", "l3", "l4", "l1", "l5"]
    );
    for o in [
        SeminarOrder::State,
        SeminarOrder::Deadline,
        SeminarOrder::Created,
    ] {
        for desc in [false, true] {
            assert_eq!(find("", by(o, desc)).await.len(), 5, "{o:?} {desc}");
        }
    }
    let q = PenaltyQuery {
        search: Some("морион".into()),
        ..PenaltyQuery::default()
    };
    assert_eq!(store.count_penalties(&q).await.unwrap(), 0);
    assert_eq!(store.penalty_points(&q).await.unwrap(), 0);
}

#[tokio::test]
async fn the_store_searches_and_sorts_lists_on_sqlite() {
    store_search_and_order(seminarflow::storage::open("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
#[cfg_attr(
    sf_no_pg,
    ignore = "needs a PostgreSQL server (initdb, pg_ctl): apt-get install postgresql"
)]
async fn the_store_searches_and_sorts_lists_on_postgres() {
    let Some(pg) = crate::support::pg::PgCluster::start() else {
        return;
    };
    store_search_and_order(seminarflow::storage::open(&pg.url).await.unwrap()).await;
}

/// Sixty events on seminar l1, each by its own actor, a minute apart (`admin:h001@test` the
/// oldest).
async fn long_history(app: &App) {
    let t0: chrono::DateTime<chrono::Utc> = "2017-01-24T08:00:00Z".parse().unwrap();
    let events: Vec<seminarflow::domain::Event> = (1..=60)
        .map(|i| seminarflow::domain::Event {
            at: t0 + chrono::Duration::minutes(i),
            actor: format!("admin:h{i:03}@test"),
            kind: "note".into(),
            seminar: Some("l1".into()),
            data: json!({}),
        })
        .collect();
    app.state.service.store.apply(&[], &events).await.unwrap();
}

#[tokio::test]
async fn the_seminar_history_pages_newest_first_and_searches() {
    let app = spawn().await;
    let admin = season(&app).await;
    long_history(&app).await;

    // Page 1: the fifty newest (h060 … h011), with a pager to the older ones.
    let html = admin.get("/seminars/l1").await.expect(200).text();
    let hist = section(&html, "hist");
    assert!(
        hist.contains("h060@test") && hist.contains("h011@test"),
        "{hist}"
    );
    assert!(!hist.contains("h010@test"), "{hist}");
    assert!(
        hist.find("h060@test").unwrap() < hist.find("h011@test").unwrap(),
        "newest first: {hist}"
    );
    assert!(hist.contains("страница 1 из 2"), "{hist}");
    assert!(
        hist.contains("href=\"/seminars/l1?hpage=2#hist\""),
        "{hist}"
    );

    // Page 2: the 51st event and older, the application itself the last.
    let hist = section(
        &admin.get("/seminars/l1?hpage=2").await.expect(200).text(),
        "hist",
    );
    assert!(
        hist.contains("h010@test") && hist.contains("h001@test"),
        "{hist}"
    );
    assert!(!hist.contains("h011@test"), "{hist}");
    assert!(hist.contains("страница 2 из 2"), "{hist}");

    // A search narrows it (and its pager would keep it).
    let hist = section(
        &admin.get("/seminars/l1?hq=h04").await.expect(200).text(),
        "hist",
    );
    assert!(hist.contains("Найдено: 10 событий"), "{hist}");
    assert!(
        hist.contains("h045@test") && !hist.contains("h050@test"),
        "{hist}"
    );
    assert!(hist.contains("value=\"h04\""), "{hist}");
    let hist = section(
        &admin.get("/seminars/l1?hq=nobody").await.expect(200).text(),
        "hist",
    );
    assert!(hist.contains("нет событий по этому запросу"), "{hist}");

    // A bad page is a Russian 400 page.
    for bad in ["hpage=0", "hpage=abc"] {
        let r = admin.get(&format!("/seminars/l1?{bad}")).await;
        assert_eq!(r.status.as_u16(), 400, "{bad}: {}", r.text());
        assert!(r.text().contains("откройте"), "{bad}");
    }
}

#[tokio::test]
async fn a_search_narrows_the_review_queue_keeping_the_review_order() {
    let app = spawn().await;
    let admin = season(&app).await;
    let path = format!("/programs/{PROGRAM}");

    let all = section(&admin.get(&path).await.expect(200).text(), "queue");
    for id in ["l1", "l2", "l3", "l4", "l5"] {
        assert!(all.contains(&format!("/seminars/{id}\"")), "{id}: {all}");
    }
    let html = admin
        .get(&format!("{path}?rq={}", encode("тула")))
        .await
        .expect(200)
        .text();
    let queue = section(&html, "queue");
    assert!(
        queue.contains("/seminars/l1\"") && queue.contains("/seminars/l5\""),
        "{queue}"
    );
    for id in ["l2", "l3", "l4"] {
        assert!(
            !queue.contains(&format!("/seminars/{id}\"")),
            "{id}: {queue}"
        );
    }
    assert!(queue.contains("Найдено в очереди: 2 строки"), "{queue}");
    assert!(queue.contains("value=\"тула\""), "{queue}");
    // The seminar list below is not searched by it.
    assert!(section(&html, "seminars").contains("/seminars/l2"));

    // By partner name, any case; nothing found is said so.
    let queue = section(
        &admin
            .get(&format!("{path}?rq={}", encode("мОРИОН")))
            .await
            .expect(200)
            .text(),
        "queue",
    );
    assert!(queue.contains("/seminars/l2\"") && !queue.contains("/seminars/l1\""));
    let queue = section(
        &admin
            .get(&format!("{path}?rq={}", encode("Владивосток")))
            .await
            .expect(200)
            .text(),
        "queue",
    );
    assert!(
        queue.contains("Заявок по запросу «Владивосток» нет"),
        "{queue}"
    );
    // An empty search is the whole queue; a bad page is a Russian 400 page.
    admin.get(&format!("{path}?rq=")).await.expect(200);
    for bad in ["wpage=0", "wpage=x"] {
        let r = admin.get(&format!("{path}?{bad}")).await;
        assert_eq!(r.status.as_u16(), 400, "{bad}: {}", r.text());
        assert!(r.text().contains("откройте"), "{bad}");
    }
}

/// Six partners (`w1`…`w6`, each in its own city) with approved seminars whose five stages
/// before the seminar day are all sent: thirty submissions wait for review.
async fn thirty_waiting(app: &App) -> Client {
    let admin = app.admin().await;
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    let cities = ["Тула", "Омск", "Тверь", "Казань", "Пермь", "Самара"];
    let mut mains = vec![];
    for (i, city) in cities.iter().enumerate() {
        let (pid, sid) = (format!("w{}", i + 1), format!("ws{}", i + 1));
        app.partner(&pid, &format!("Партнёр {city}"), false, None)
            .await;
        let main = app
            .user(
                &admin,
                "partner",
                &format!("main@{pid}.example"),
                Some(&pid),
                Some("main"),
            )
            .await;
        main.post(
            &format!("/api/programs/{PROGRAM}/applications"),
            json!({"seminar": sid, "city": city, "date": "2017-03-29"}),
        )
        .await
        .expect(201);
        admin
            .post_empty(&format!("/api/seminars/{sid}/approve-application"))
            .await
            .expect(200);
        mains.push((sid, main));
    }
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    for (sid, main) in &mains {
        for stage in app::STAGES_BEFORE_SEMINAR {
            let mut body = json!({"comment": "готово"});
            if stage == "estimate" {
                body["estimate"] = app::estimate_lines();
            }
            main.post(
                &format!("/api/seminars/{sid}/stages/{stage}/versions"),
                body,
            )
            .await
            .expect(200);
        }
    }
    admin
}

#[tokio::test]
async fn the_waiting_submissions_page_and_search_on_the_dashboard() {
    let app = spawn().await;
    let admin = thirty_waiting(&app).await;
    let path = format!("/programs/{PROGRAM}");
    let rows = |html: &str| section(html, "queue").matches("Проверить</a>").count();

    let html = admin.get(&path).await.expect(200).text();
    assert_eq!(rows(&html), 25, "{}", section(&html, "queue"));
    let queue = section(&html, "queue");
    assert!(queue.contains("Материалы ждут проверки (30)"), "{queue}");
    assert!(queue.contains("страница 1 из 2"), "{queue}");
    assert!(
        queue.contains(&format!("href=\"{path}?wpage=2#waiting\"")),
        "{queue}"
    );

    let html = admin
        .get(&format!("{path}?wpage=2"))
        .await
        .expect(200)
        .text();
    assert_eq!(rows(&html), 5, "{}", section(&html, "queue"));
    assert!(section(&html, "queue").contains("страница 2 из 2"));

    // A search by city narrows the waiting list to that seminar's five stages.
    let html = admin
        .get(&format!("{path}?rq={}", encode("казань")))
        .await
        .expect(200)
        .text();
    let queue = section(&html, "queue");
    assert_eq!(rows(&html), 5, "{queue}");
    assert!(queue.contains("/seminars/ws4#") && !queue.contains("/seminars/ws1#"));
    assert!(!queue.contains("страница 1 из"), "{queue}");
}

#[tokio::test]
async fn the_dashboards_recent_penalties_are_paged_with_or_without_filters() {
    let app = spawn().await;
    let (admin, _) = app::approved_seminar(&app).await;
    for i in 1..=25 {
        admin
            .post(
                "/api/seminars/s1/violations",
                json!({"code": "mispositioning", "note": format!("баннер {i}"), "count": 1}),
            )
            .await
            .expect(200);
    }
    let path = format!("/programs/{PROGRAM}");
    let rows = |html: &str| {
        section(html, "penalties")
            .matches("data-label=\"Когда\"")
            .count()
    };
    // Unfiltered (paged in SQL) and filtered by city (paged after the filter): the same pages.
    for filter in ["", "city=%D0%A2%D1%83%D0%BB%D0%B0&"] {
        let html = admin
            .get(&format!("{path}?{filter}"))
            .await
            .expect(200)
            .text();
        let pen = section(&html, "penalties");
        assert_eq!(rows(&html), 20, "{filter}: {pen}");
        assert!(pen.contains("Штрафы за последние 30 дней (25)"), "{pen}");
        assert!(
            pen.contains("страница 1 из 2") && pen.contains("ppage=2"),
            "{pen}"
        );
        assert!(
            pen.contains("баннер 25") && !pen.contains("баннер 5<"),
            "{pen}"
        );
        let html = admin
            .get(&format!("{path}?{filter}ppage=2"))
            .await
            .expect(200)
            .text();
        let pen = section(&html, "penalties");
        assert_eq!(rows(&html), 5, "{filter}: {pen}");
        assert!(
            pen.contains("баннер 1") && !pen.contains("баннер 25"),
            "{pen}"
        );
    }
    let html = admin
        .get(&format!("{path}?city={}", encode("Омск")))
        .await
        .expect(200)
        .text();
    assert!(section(&html, "penalties").contains("штрафов не было"));
    let r = admin.get(&format!("{path}?ppage=0")).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text());
}
