//! The real application on a loopback port, for HTTP tests: a fresh temporary data folder
//! (SQLite), the shipped workflows, and — by default — a manual clock parked at the start of the
//! 2017 season, moved only by `POST /api/admin/clock` as an admin would. [`Client`] is a browser-like
//! caller: its own cookie jar, the CSRF token from the login answer sent on every unsafe request.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use seminarflow::clock::Clock;
use seminarflow::config::{ClockMode, Config};
use seminarflow::http::AppState;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Mutex;

/// The flagship program's id (its workflow file name).
pub const PROGRAM: &str = "bitrix24-seminars-2017-spring";

/// Partner `pa` with its main user `ivan@pa.example`, who applies for seminar `s1` (Тула,
/// 2017-03-29) on 2017-01-24, approved at once; the clock is left at 2017-01-24 10:00.
/// Returns (admin, the partner's main user).
pub async fn approved_seminar(app: &App) -> (Client, Client) {
    let admin = app.admin().await;
    app.partner("pa", "Альфа", false, None).await;
    let a = app
        .user(
            &admin,
            "partner",
            "ivan@pa.example",
            Some("pa"),
            Some("main"),
        )
        .await;
    app.set_clock("2017-01-24T10:00:00+03:00").await;
    a.post(
        &format!("/api/programs/{PROGRAM}/applications"),
        json!({"seminar": "s1", "city": "Тула", "date": "2017-03-29"}),
    )
    .await
    .expect(201);
    admin
        .post_empty("/api/seminars/s1/approve-application")
        .await
        .expect(200);
    (admin, a)
}

/// The flagship's stages due before the seminar day.
pub const STAGES_BEFORE_SEMINAR: [&str; 5] = [
    "program",
    "postal_address",
    "estimate",
    "landing",
    "announcement_plan",
];

/// The estimate the helpers send: 50 000 RUB of compensable lines (hall, coffee break, one
/// announcement channel) and 3 000 RUB of printing, which is not compensated.
pub fn estimate_lines() -> Value {
    json!([
        {"category": "hall", "description": "Конференц-зал на 4 часа", "amount": "20000"},
        {"category": "coffee_break", "description": "Кофе-брейк на 60 человек", "amount": 10000},
        {"category": "announcement", "description": "Рассылка по директорам предприятий города", "amount": "20000.00"},
        {"category": "printing", "description": "Печать программ", "amount": "3000"},
    ])
}

/// On 2017-02-10, `main` sends and `admin` approves every stage of `seminar` due before the
/// seminar day, so the seminar stays in the program up to its report (the estimate with
/// [`estimate_lines`]).
pub async fn approve_stages_before_seminar(
    app: &App,
    admin: &Client,
    main: &Client,
    seminar: &str,
) {
    app.set_clock("2017-02-10T10:00:00+03:00").await;
    for stage in STAGES_BEFORE_SEMINAR {
        let body = if stage == "estimate" {
            json!({"comment": "готово", "estimate": estimate_lines()})
        } else {
            json!({"comment": "готово"})
        };
        main.post(
            &format!("/api/seminars/{seminar}/stages/{stage}/versions"),
            body,
        )
        .await
        .expect(200);
        admin
            .post_empty(&format!("/api/seminars/{seminar}/stages/{stage}/approve"))
            .await
            .expect(200);
    }
}

/// The password the helper gives the first admin after the one-time one.
pub const ADMIN_PASSWORD: &str = "admin-password-2017";

/// A password for the accounts tests create.
pub const USER_PASSWORD: &str = "user-password-2017";

/// How the app is started.
pub struct Setup {
    pub clock: ClockMode,
    /// Where a manual clock starts (RFC 3339).
    pub start: &'static str,
    pub upload_limit_mb: u64,
    /// `metrics_token` of the configuration.
    pub metrics_token: Option<&'static str>,
    /// Connections served at once, and how long one may stay silent.
    pub max_connections: usize,
    pub idle: std::time::Duration,
    /// The workflows folder; `None`: the shipped `workflows/`.
    pub workflows: Option<std::path::PathBuf>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            clock: ClockMode::Manual,
            start: "2017-01-01T00:00:00+03:00",
            upload_limit_mb: 25,
            metrics_token: None,
            max_connections: seminarflow::http::listener::MAX_CONNECTIONS,
            idle: seminarflow::http::listener::IDLE,
            workflows: None,
        }
    }
}

pub struct App {
    /// `http://127.0.0.1:<port>`
    pub base: String,
    #[allow(dead_code)] // for tests that look inside the running app
    pub state: AppState,
    pub config: Config,
    pub admin_email: String,
    /// What `ensure_admin` returned (what `serve` prints once).
    pub admin_one_time_password: String,
    admin_password: Mutex<String>,
    admin: tokio::sync::OnceCell<Client>,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts the app with the defaults (manual clock at 2017-01-01, 25 MB uploads).
pub async fn spawn() -> App {
    spawn_with(Setup::default()).await
}

pub async fn spawn_with(setup: Setup) -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().join("data"),
        database: None,
        workflows: Some(
            setup
                .workflows
                .clone()
                .unwrap_or_else(|| super::root().join("workflows")),
        ),
        clock: setup.clock,
        upload_limit_mb: setup.upload_limit_mb,
        metrics_token: setup.metrics_token.map(String::from),
        ..Config::default()
    };
    let mut state = seminarflow::server::build(&config)
        .await
        .expect("the app builds on an empty data dir");
    if state.clock.is_manual() {
        // A manual clock starts at the real now and never goes back; a training season of the
        // 2017 program starts it in 2017.
        let start = chrono::DateTime::parse_from_rfc3339(setup.start)
            .expect("Setup::start is RFC 3339")
            .with_timezone(&chrono::Utc);
        state.clock = Clock::manual(start);
    }
    let (admin_email, otp) = seminarflow::server::ensure_admin(&state)
        .await
        .expect("ensure_admin")
        .expect("an empty database gets a first admin");
    let app = seminarflow::http::router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local addr");
    let server = tokio::spawn(async move {
        axum::serve(
            seminarflow::http::listener::guarded(listener, setup.max_connections, setup.idle),
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("server runs");
    });
    App {
        base: format!("http://{addr}"),
        state,
        config,
        admin_email,
        admin_password: Mutex::new(otp.clone()),
        admin_one_time_password: otp,
        admin: tokio::sync::OnceCell::new(),
        server,
        _dir: dir,
    }
}

impl App {
    /// A caller without a session.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base)
    }

    /// `POST /api/login` from a fresh cookie jar, whatever the answer.
    pub async fn try_login(&self, email: &str, password: &str) -> (Client, Resp) {
        self.try_login_from("127.0.0.1", email, password).await
    }

    /// [`App::try_login`] from another loopback address (`127.0.0.2`, …): another client IP.
    pub async fn try_login_from(&self, ip: &str, email: &str, password: &str) -> (Client, Resp) {
        let mut c = Client::from_ip(&self.base, ip);
        let r = c
            .post("/api/login", json!({"email": email, "password": password}))
            .await;
        if r.status == StatusCode::OK {
            let body = r.json();
            c.csrf = body["csrf_token"].as_str().map(String::from);
            c.me = body["user"].clone();
        }
        (c, r)
    }

    /// Signs in; panics unless the login succeeds.
    pub async fn login(&self, email: &str, password: &str) -> Client {
        let (c, r) = self.try_login(email, password).await;
        r.expect(200);
        assert!(c.csrf.is_some(), "login answers the session's CSRF token");
        c
    }

    /// The first admin, signed in, with the one-time password already changed (done once).
    pub async fn admin(&self) -> Client {
        self.admin
            .get_or_init(|| async {
                let current = self.admin_password.lock().unwrap().clone();
                let c = self.login(&self.admin_email, &current).await;
                if c.me["must_change_password"] == json!(true) {
                    c.post(
                        "/api/me/password",
                        json!({"current": current, "new": ADMIN_PASSWORD}),
                    )
                    .await
                    .expect(204);
                    *self.admin_password.lock().unwrap() = ADMIN_PASSWORD.into();
                }
                c
            })
            .await
            .clone()
    }

    /// Moves the manual clock (as the admin); returns the answer's JSON.
    pub async fn set_clock(&self, now: &str) -> Value {
        self.admin()
            .await
            .post("/api/admin/clock", json!({ "now": now }))
            .await
            .expect(200)
            .json()
    }

    /// Creates an account as `by` with a known password and signs it in.
    pub async fn user(
        &self,
        by: &Client,
        role: &str,
        email: &str,
        partner: Option<&str>,
        rights: Option<&str>,
    ) -> Client {
        let r = by
            .post(
                "/api/users",
                json!({
                    "email": email, "name": email, "role": role,
                    "partner": partner, "rights": rights, "password": USER_PASSWORD,
                }),
            )
            .await
            .expect(201);
        assert_eq!(r.json()["one_time_password"], Value::Null);
        self.login(email, USER_PASSWORD).await
    }

    /// Registers a partner company as the admin.
    pub async fn partner(
        &self,
        id: &str,
        name: &str,
        experienced: bool,
        coordinator: Option<&str>,
    ) {
        self.admin()
            .await
            .post(
                "/api/partners",
                json!({"id": id, "name": name, "experienced": experienced, "coordinator": coordinator}),
            )
            .await
            .expect(201);
    }
}

/// An answer, kept whole so assertions can show it.
#[derive(Debug, Clone)]
pub struct Resp {
    /// `METHOD path` of the request, for messages.
    pub request: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "{} → {}: body is not JSON ({e}): {}",
                self.request,
                self.status,
                self.text()
            )
        })
    }

    /// Asserts the status; the message shows the request and the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{} → {} (expected {status}): {}",
            self.request,
            self.status,
            self.text()
        );
        self
    }

    /// Asserts the API's error shape `{"error": {"code", "message"}}` and returns the code.
    #[track_caller]
    pub fn error_code(&self) -> String {
        let v = self.json();
        let code = v["error"]["code"].as_str().unwrap_or_else(|| {
            panic!(
                "{} → {}: not the JSON error shape: {}",
                self.request,
                self.status,
                self.text()
            )
        });
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !message.trim().is_empty(),
            "{} → {}: error without a message: {}",
            self.request,
            self.status,
            self.text()
        );
        code.to_string()
    }

    /// Asserts status and error code together.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Resp {
        let r = self.expect(status);
        assert_eq!(r.error_code(), code, "{} → {}", r.request, r.text());
        r
    }

    pub fn content_type(&self) -> String {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

/// A browser-like caller: cookies, and the CSRF token of its session on unsafe requests.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    pub csrf: Option<String>,
    bearer: Option<String>,
    /// The signed-in user as login answered it (`Null` when anonymous).
    pub me: Value,
}

/// The value of the `_csrf` field of a page's form.
#[track_caller]
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no _csrf field in the page: {html}"))
        + marker.len();
    html[at..].split('"').next().unwrap_or_default().to_string()
}

impl Client {
    /// The session's CSRF token, from a page every signed-in user may open.
    pub async fn csrf(&self) -> String {
        csrf_of(&self.get("/account").await.expect(200).text())
    }

    fn new(base: &str) -> Client {
        Client::from_ip(base, "127.0.0.1")
    }

    /// A caller whose connections come from loopback address `ip`.
    pub fn from_ip(base: &str, ip: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .local_address(Some(ip.parse().expect("an IP address")))
                .build()
                .expect("reqwest client"),
            base: base.to_string(),
            csrf: None,
            bearer: None,
            me: Value::Null,
        }
    }

    /// A script's caller: `Authorization: Bearer`, no cookies, no CSRF token.
    pub fn bearer(base: &str, token: &str) -> Client {
        let mut c = Client::new(base);
        c.bearer = Some(token.to_string());
        c
    }

    /// The same session, but forgetting to send the CSRF token.
    pub fn without_csrf(&self) -> Client {
        let mut c = self.clone();
        c.csrf = None;
        c
    }

    pub fn id(&self) -> String {
        self.me["id"].as_str().unwrap_or_default().to_string()
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// A request with the session's credentials; finish it with [`Client::send`].
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let unsafe_method = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.bearer {
            rb = rb.bearer_auth(t);
        }
        if let (true, Some(t)) = (unsafe_method, &self.csrf) {
            rb = rb.header("X-CSRF-Token", t);
        }
        rb
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        let req = rb.build().expect("request builds");
        let request = format!("{} {}", req.method(), req.url().path());
        let request = match req.url().query() {
            Some(q) => format!("{request}?{q}"),
            None => request,
        };
        let r = self
            .http
            .execute(req)
            .await
            .unwrap_or_else(|e| panic!("{request}: no answer: {e}"));
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{request}: body not read: {e}"))
            .to_vec();
        Resp {
            request,
            status,
            headers,
            bytes,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }

    /// A POST without a body.
    pub async fn post_empty(&self, path: &str) -> Resp {
        self.send(self.request(Method::POST, path)).await
    }

    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Resp {
        self.send(self.request(Method::POST, path).multipart(form))
            .await
    }

    /// Any method with a JSON body (or none).
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let mut rb = self.request(method, path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        self.send(rb).await
    }
}

/// A small but well-formed one-page PDF (header `%PDF-1.4`, objects, xref table, trailer).
pub fn small_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = vec![];
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A multipart part holding a file.
pub fn file_part(name: &str, bytes: Vec<u8>, mime: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .expect("mime type")
}

/// SHA-256 in lowercase hex, as the API names stored files.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
