//! Headless Chromium through chromedriver (fantoccini): start, navigate, fill, click, screenshot.

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::json;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// One browser at a time: the machine is small, and the screenshots are easier to follow.
static BROWSER_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ui-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

pub struct Browser {
    client: Client,
    driver: Child,
    base: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Our own chromedriver, by its handle; it takes its browser with it.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; `None` (after a loud message) when they are
    /// not installed and the browser is not required.
    pub async fn start(base: &str) -> Option<Browser> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if !missing.is_empty() {
            let msg = format!(
                "browser tests need {}: apt-get install chromium chromium-driver",
                missing.join(" and ")
            );
            if std::env::var("SEMINARFLOW_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!("SEMINARFLOW_REQUIRE_BROWSER=1 but {msg}");
            }
            eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
            eprintln!("!!! SKIPPED browser test: {msg}");
            eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
            return None;
        }
        let profile = tempfile::tempdir().expect("browser profile dir");
        let port = free_port();
        let log = std::fs::File::create(profile.path().join("chromedriver.log")).expect("log");
        let driver = Process::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            // The browser inherits the language: Russian date fields and file pickers.
            .env("LANGUAGE", "ru")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("chromedriver starts");
        let mut ready = false;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not listen on port {port}");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=ru-RU",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().join("profile").display()),
                ],
                "prefs": { "intl.accept_languages": "ru-RU,ru" },
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a chromedriver session");
        Some(Browser {
            client,
            driver,
            base: base.to_string(),
            _profile: profile,
        })
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("no «{css}» on {}: {e}", self.url().await),
        }
    }

    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    pub async fn text(&self) -> String {
        self.wait_for("main").await.text().await.unwrap_or_default()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.wait_for(css).await;
        e.clear().await.ok();
        e.send_keys(value)
            .await
            .unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    /// Sets a field's value by script (date inputs take keystrokes in the browser's locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.wait_for(css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("set {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks a button that posts a form and waits for the flash message of the next page.
    pub async fn submit_and_expect(&self, css: &str, flash: &str) {
        self.click(css).await;
        let f = self.wait_for(".flash").await;
        let text = f.text().await.unwrap_or_default();
        assert!(
            text.contains(flash),
            "expected «{flash}», got «{text}» on {}",
            self.url().await
        );
    }

    pub async fn login(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("main form button[type=submit]").await;
        self.wait_for(".who-name").await;
    }

    pub async fn logout(&self) {
        self.click("form[action='/logout'] button").await;
        self.wait_for("#login-h").await;
    }

    /// A full-page screenshot into `target/ui-screenshots/<name>.png`.
    pub async fn shot(&self, name: &str) {
        self.shot_at(name, 1280).await;
    }

    /// A full-page screenshot with the window `width` pixels wide (390: a phone).
    pub async fn shot_at(&self, name: &str, width: u32) {
        self.client.set_window_size(width, 900).await.ok();
        let height = self
            .client
            .execute(
                "return Math.ceil(document.documentElement.scrollHeight);",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(900)
            .clamp(600, 7000) as u32;
        self.client.set_window_size(width, height + 100).await.ok();
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(screenshots_dir().join(format!("{name}.png")), png)
            .expect("save screenshot");
        self.client.set_window_size(1280, 900).await.ok();
    }

    /// Sets the window `width` pixels wide (390: a phone), 900 high.
    pub async fn set_width(&self, width: u32) {
        self.client.set_window_size(width, 900).await.ok();
    }

    /// Runs a script in the page and returns what it returns.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        match self.client.execute(script, vec![]).await {
            Ok(v) => v,
            Err(e) => panic!("script on {}: {e}", self.url().await),
        }
    }

    /// Ends the WebDriver session (the browser quits); dropping stops chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Runs `body` with a browser (or skips), closing the browser whatever happens.
pub async fn with_browser(base: &str, body: impl AsyncFnOnce(&Browser)) {
    let _one_at_a_time = BROWSER_LOCK.lock().await;
    let Some(browser) = Browser::start(base).await else {
        return;
    };
    let outcome = AssertUnwindSafe(body(&browser)).catch_unwind().await;
    browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
