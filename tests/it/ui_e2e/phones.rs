//! Lists on a phone (issue 13 item 8): below 640 px the review queue, the city grid, the seminar
//! list and the penalties table stack each row as a card, every cell labelled with its column,
//! so no key column hides behind a horizontal scroll.

use super::browser::with_browser;
use super::{demo_app, password_of};
use crate::support::app::PROGRAM;

/// For every `table.stack` on the page: cells that stick out of the viewport, and cells whose
/// column heading is not shown next to them.
const CHECK: &str = r#"
const w = document.documentElement.clientWidth;
const bad = [];
let cells = 0;
const tables = document.querySelectorAll('table.stack');
for (const t of tables) {
  const head = t.querySelector('thead');
  if (head && head.getBoundingClientRect().height > 1) bad.push('heading row still shown');
  for (const c of t.querySelectorAll('td[data-label]')) {
    const r = c.getBoundingClientRect();
    if (r.width === 0) continue;
    cells++;
    if (r.right > w + 1 || r.left < -1) bad.push(`${c.dataset.label}: ${Math.round(r.left)}..${Math.round(r.right)} of ${w}`);
    const before = getComputedStyle(c, '::before').content;
    if (c.dataset.label && before !== JSON.stringify(c.dataset.label)) bad.push(`no label «${c.dataset.label}»: ${before}`);
  }
}
return { tables: tables.length, cells, bad, scroll: document.documentElement.scrollWidth, width: w };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    sf_no_browser,
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver"
)]
async fn on_a_phone_the_lists_stack_their_rows_as_labelled_cards() {
    let (app, creds) = demo_app().await;
    let app = &app;
    let creds = &creds;
    with_browser(&app.base.clone(), async |b| {
        b.login(
            "coordinator@demo.local",
            &password_of(creds, "coordinator@demo.local"),
        )
        .await;
        b.goto(&format!("/programs/{PROGRAM}")).await;
        b.wait_for("#grid-h").await;
        b.set_width(390).await;
        let r = b.eval(CHECK).await;
        // City grid, seminar list and recent penalties at least (the demo's queue may be empty).
        assert!(r["tables"].as_u64().unwrap() >= 3, "{r}");
        assert!(r["cells"].as_u64().unwrap() > 20, "{r}");
        assert_eq!(r["bad"], serde_json::json!([]), "{r}");
        assert!(
            r["scroll"].as_u64() <= r["width"].as_u64(),
            "the page scrolls sideways: {r}"
        );
        b.shot_at("page-coordinator-dashboard-phone", 390).await;

        b.set_width(1366).await;
        let wide = b.eval(CHECK).await;
        assert!(
            wide["bad"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == "heading row still shown"),
            "on a wide screen the tables keep their heading row: {wide}"
        );
        b.logout().await;

        b.login("p03@demo.local", &password_of(creds, "p03@demo.local"))
            .await;
        b.goto("/my/penalties").await;
        b.set_width(390).await;
        let r = b.eval(CHECK).await;
        assert!(r["tables"].as_u64().unwrap() >= 1, "{r}");
        assert_eq!(r["bad"], serde_json::json!([]), "{r}");
        b.shot_at("page-partner-penalties-phone", 390).await;
    })
    .await;
}
