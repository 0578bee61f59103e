//! `seminarflow serve`: opens the store, creates the first admin on an empty database, runs the
//! scheduler (a cron schedule plus a wake-up at the next due instant) and, when present, the
//! notifier, and serves HTTP until Ctrl-C or SIGTERM.

use crate::accounts::{hash_password, new_id, random_password, random_token, Rights, Role, User};
use crate::catalog::{self, Catalog};
use crate::clock::Clock;
use crate::config::{ClockMode, Config};
use crate::http::{self, AppState};
use crate::service::{Audit, Service, ServiceError};
use crate::storage::{self, StoreError};
use chrono::{DateTime, Utc};
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why the server (or a command that opens its database) could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Config(String),
    #[error("папка данных {0} недоступна ({1}): нужна папка, в которую этой учётной записи разрешено писать; дайте права или укажите другую: --data-dir ПАПКА")]
    DataDir(String, std::io::Error),
    #[error("папка программ {0}: {1}")]
    Catalog(String, String),
    #[error("в {0} нет ни одной программы (*.toml)")]
    NoPrograms(String),
    #[error("база данных {0}: {1}")]
    Database(String, StoreError),
    #[error("заполнение списочных полей семинаров: {0}")]
    Backfill(ServiceError),
    #[error("демо: {0}")]
    Demo(#[from] crate::demo::DemoError),
    #[error("listen: «{0}» — не адрес")]
    Listen(String),
    #[error("не удалось открыть {addr}: {advice}", addr = .0, advice = bind_advice(*.0, .1))]
    Bind(SocketAddr, std::io::Error),
    #[error("в папке данных {0} рабочие данные ({1}): демо в неё не загружается. Запустите демо в отдельной папке: seminarflow serve --demo (без --data-dir демо живёт в ./{demo}) или seminarflow serve --demo --data-dir ПУСТАЯ_ПАПКА", demo = crate::config::DEMO_DATA_DIR)]
    RealData(String, String),
    #[error("почта: {0}")]
    Mail(#[from] crate::notifier::NotifierError),
    #[error("HTTP-сервер остановился с ошибкой: {0}")]
    Http(std::io::Error),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to do about an address the server could not listen on.
fn bind_advice(addr: SocketAddr, e: &std::io::Error) -> String {
    let other = SocketAddr::new(addr.ip(), addr.port().wrapping_add(1).max(1024));
    match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "порт {} занят другим процессом: остановите его или укажите другой адрес: --listen {other}",
            addr.port()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "нет прав на порт {} (порты до 1024 — только для администратора системы): укажите другой адрес: --listen {other}",
            addr.port()
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "адреса {} нет у этого компьютера: укажите его собственный адрес, например --listen 127.0.0.1:{}",
            addr.ip(),
            addr.port()
        ),
        _ => format!("{e}: укажите другой адрес: --listen {other}"),
    }
}

/// Fails when the data folder cannot be created or written to: found at start-up, not at the
/// first upload or the first write of the database.
fn writable_data_dir(dir: &std::path::Path) -> Result<(), ServerError> {
    let shown = || dir.display().to_string();
    std::fs::create_dir_all(dir).map_err(|e| ServerError::DataDir(shown(), e))?;
    let probe = dir.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| ServerError::DataDir(shown(), e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Opens the store and the catalog's programs: the service a command line tool works with.
///
/// # Errors
/// No data folder, no programs, or no database.
pub async fn open_service(config: &Config) -> Result<(Service, Catalog), ServerError> {
    writable_data_dir(&config.data_dir)?;
    let dir = config
        .workflows
        .clone()
        .unwrap_or_else(catalog::default_dir);
    let shown = dir.display().to_string();
    let cat =
        Catalog::open(&dir).map_err(|e| ServerError::Catalog(shown.clone(), e.to_string()))?;
    let mut programs = cat
        .programs()
        .map_err(|e| ServerError::Config(e.to_string()))?;
    if programs.is_empty() {
        return Err(ServerError::NoPrograms(shown));
    }
    // Partner programs run beside the item programs (issue 11 item 5).
    programs.extend(
        cat.partner_programs()
            .map_err(|e| ServerError::Config(e.to_string()))?,
    );
    private(&config.data_dir, 0o700);
    let store = storage::open(&config.database_url())
        .await
        .map_err(|e| ServerError::Database(redact(&config.database_url()), e))?;
    if config.database.is_none() {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = config.data_dir.join("seminarflow.db").into_os_string();
            name.push(suffix);
            private(std::path::Path::new(&name), 0o600);
        }
    }
    let service = Service::new(store, programs);
    let filled = service
        .backfill_attention()
        .await
        .map_err(ServerError::Backfill)?;
    if filled > 0 {
        tracing::info!(
            seminars = filled,
            "list columns filled for seminars of an earlier version"
        );
    }
    Ok((service, cat))
}

/// Builds the application (store, programs, clock) from a configuration.
///
/// # Errors
/// As [`open_service`]; a demo without a readable season.
pub async fn build(config: &Config) -> Result<AppState, ServerError> {
    let (service, cat) = open_service(config).await?;
    // A manual clock resumes where it was last moved to (kept in the database).
    let saved = if config.demo || config.clock == ClockMode::Manual {
        stored_clock(&service).await
    } else {
        None
    };
    let clock = if config.demo {
        let (_, season) = crate::demo::season(&cat)?;
        Clock::manual(saved.map_or(season.until, |s| s.max(season.until)))
    } else if config.clock == ClockMode::Manual {
        Clock::manual(saved.unwrap_or_else(Utc::now))
    } else {
        Clock::System
    };
    Ok(AppState::new(service, config.clone(), clock))
}

/// Makes `path` readable by this account only (the database and uploads hold personal data).
/// A failure is logged: the server still runs, as it did before.
pub fn private(path: &std::path::Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if path.exists() {
            if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
                tracing::warn!(path = %path.display(), error = %e, "permissions not narrowed");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// Housekeeping the scheduler loop does besides ticking: expired sessions are deleted, and
/// uploads nothing names are removed after a day.
pub async fn housekeeping(state: &AppState) {
    // The uploads folder is walked at most once an hour.
    static LAST_GC: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let now_s = Utc::now().timestamp();
    let last = LAST_GC.load(std::sync::atomic::Ordering::Relaxed);
    if now_s - last >= 3600
        && LAST_GC
            .compare_exchange(
                last,
                now_s,
                std::sync::atomic::Ordering::Relaxed,
                std::sync::atomic::Ordering::Relaxed,
            )
            .is_ok()
    {
        let n = http::api::files::collect_orphans(state, Duration::from_secs(24 * 3600)).await;
        if n > 0 {
            tracing::info!(files = n, "orphaned uploads removed");
        }
    }
    match state.service.expire_sessions(Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "expired sessions purged"),
        Err(e) => tracing::warn!(error = %e, "expired sessions not purged"),
    }
}

/// Moves a manual clock forward to the instant kept in the database (set by an earlier run or
/// by another process on the same database). A store failure is logged, not fatal: the clock
/// then keeps its own time.
pub async fn sync_clock(state: &AppState) {
    if !state.clock.is_manual() {
        return;
    }
    if let Some(t) = stored_clock(&state.service).await {
        state.clock.advance_to(t);
    }
}

async fn stored_clock(service: &Service) -> Option<DateTime<Utc>> {
    match service.store.setting(crate::clock::SETTING).await {
        Ok(Some(v)) => match DateTime::parse_from_rfc3339(&v) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(e) => {
                tracing::error!(value = %v, error = %e, "stored manual clock unreadable");
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "stored manual clock not read");
            None
        }
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}

/// Creates the first admin on an empty database; returns the one-time password to print.
///
/// # Errors
/// Hashing or store failures.
pub async fn ensure_admin(state: &AppState) -> Result<Option<(String, String)>, ServerError> {
    Ok(state.service.ensure_first_admin(Utc::now()).await?)
}

/// Refuses to load the demo into a database that holds real data: accounts other than the
/// demo's and the first admin, or partners the demo season does not name. A database the demo
/// was loaded into (its marker set) is the demo's own.
///
/// # Errors
/// [`ServerError::RealData`] naming what was found; store failures.
pub async fn refuse_real_data(state: &AppState) -> Result<(), ServerError> {
    let service = &state.service;
    if service.demo_loaded().await? {
        return Ok(());
    }
    let users = service.store.users(None).await?;
    let people: Vec<&str> = users
        .iter()
        .map(|u| u.email.as_str())
        .filter(|e| !e.ends_with(DEMO_ACCOUNTS) && *e != crate::service::accounts::FIRST_ADMIN)
        .collect();
    let dir = state
        .config
        .workflows
        .clone()
        .unwrap_or_else(catalog::default_dir);
    let cat = Catalog::open(&dir)
        .map_err(|e| ServerError::Catalog(dir.display().to_string(), e.to_string()))?;
    let (_, season) = crate::demo::season(&cat)?;
    let partners: Vec<String> = service
        .store
        .partners()
        .await?
        .into_iter()
        .filter(|p| !season.partners.iter().any(|s| s.id == p.id))
        .map(|p| p.name)
        .collect();
    let mut found = vec![];
    if !people.is_empty() {
        found.push(format!("пользователи: {}", sample(&people)));
    }
    if !partners.is_empty() {
        let names: Vec<&str> = partners.iter().map(String::as_str).collect();
        found.push(format!("партнёры: {}", sample(&names)));
    }
    if found.is_empty() {
        return Ok(());
    }
    let place = match &state.config.database {
        Some(url) => redact(url),
        None => state.config.data_dir.display().to_string(),
    };
    Err(ServerError::RealData(place, found.join("; ")))
}

/// The e-mail domain of the demo's accounts.
const DEMO_ACCOUNTS: &str = "@demo.local";

/// Up to three names, and how many more.
fn sample(names: &[&str]) -> String {
    let shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        format!("{shown} и ещё {}", names.len() - 3)
    } else {
        shown
    }
}

/// Loads the demo season into an empty database, with demo accounts; returns their credentials.
///
/// The load is many commits; a marker setting written after the last one says it is complete.
/// A database with seminars but no marker is a load a crash cut short: it is wiped and loaded
/// again (a demo database holds nothing else worth keeping).
///
/// # Errors
/// No readable season, or store failures.
pub async fn load_demo(state: &AppState) -> Result<Vec<(String, String)>, ServerError> {
    let service = &state.service;
    if service.demo_loaded().await? {
        return Ok(vec![]);
    }
    // Only the marker, written last, says the demo is complete: a start killed while the
    // accounts were being created leaves seminars and some accounts, and is loaded again.
    if service.store.count_seminars(&Default::default()).await? > 0 {
        tracing::warn!(
            "the demo season was loaded only in part (interrupted start); loading it again"
        );
        service.wipe_demo(DEMO_ACCOUNTS).await?;
    }
    let dir = state
        .config
        .workflows
        .clone()
        .unwrap_or_else(catalog::default_dir);
    let cat = Catalog::open(&dir)
        .map_err(|e| ServerError::Catalog(dir.display().to_string(), e.to_string()))?;
    let (path, season) = crate::demo::season(&cat)?;
    tracing::info!(file = %path.display(), "loading the demo season");
    let refused = crate::demo::load(service, &season).await?;
    if !refused.is_empty() {
        tracing::warn!(?refused, "demo season had refusals");
    }
    let creds = demo_accounts(service, &season.partners).await?;
    service.mark_demo_loaded(Utc::now()).await?;
    Ok(creds)
}

/// The demo's accounts come from the season's partners, not from Rust: a user for every partner
/// (main rights; limited for the third, or last, one), plus one coordinator assigned to every
/// partner. Returns (e-mail, password) pairs.
async fn demo_accounts(
    service: &Service,
    partners: &[crate::simulate::scenario::ScenarioPartner],
) -> Result<Vec<(String, String)>, ServerError> {
    let mut accounts = vec![(
        format!("coordinator{DEMO_ACCOUNTS}"),
        "Анна Координатор".to_string(),
        Role::Coordinator,
        None,
        None,
    )];
    // Every partner gets a user, so the demo's mail reaches someone; the third (or last) one's
    // has limited rights, to show what such a user sees.
    let limited = partners.get(2).or(partners.last()).map(|p| p.id.clone());
    for p in partners {
        let rights = if Some(&p.id) == limited.as_ref() && partners.len() > 1 {
            Rights::Limited
        } else {
            Rights::Main
        };
        accounts.push((
            format!("{}{DEMO_ACCOUNTS}", p.id),
            format!("Сотрудник «{}»", p.name),
            Role::Partner,
            Some(p.id.clone()),
            Some(rights),
        ));
    }
    accounts.dedup_by(|a, b| a.0 == b.0);
    let by = Audit::now("system");
    let mut creds = vec![];
    let mut coordinator_id = None;
    for (email, name, role, partner, rights) in accounts {
        let password = random_password();
        let user = User {
            id: new_id(),
            email: email.clone(),
            name,
            role,
            partner,
            rights,
            password_hash: hash_password(&password).map_err(ServiceError::from)?,
            must_change_password: false,
            digest: role == Role::Coordinator,
            ics_token: Some(random_token()),
            phone: None,
            disabled: false,
        };
        service.add_user(by, &user).await?;
        if role == Role::Coordinator {
            coordinator_id = Some(user.id);
        }
        creds.push((email, password));
    }
    for p in partners {
        service
            .assign_coordinator(by, &p.id, coordinator_id.as_deref())
            .await?;
    }
    Ok(creds)
}

/// The scheduler loop: ticks on the cron schedule, at the next due instant, and when woken.
pub async fn scheduler_loop(state: AppState, shutdown: CancellationToken) {
    let guard = state.health.guard("scheduler");
    let schedule = match cron::Schedule::from_str(&state.config.scheduler_cron) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, cron = %state.config.scheduler_cron, "bad scheduler_cron; using every minute");
            cron::Schedule::from_str("0 * * * * *").expect("literal cron expression")
        }
    };
    loop {
        sync_clock(&state).await;
        housekeeping(&state).await;
        let now = state.clock.now();
        match state.service.scheduler.tick(now).await {
            Ok(_) => {
                state.health.ok("scheduler");
                state.metrics.scheduler_ticked(Utc::now());
            }
            Err(e) => {
                tracing::error!(error = %e, "scheduler tick failed");
                state.health.failing("scheduler", e.to_string());
            }
        }
        let wall = Utc::now();
        let mut wait = schedule
            .after(&wall)
            .next()
            .map(|n| (n - wall).to_std().unwrap_or(Duration::from_secs(60)))
            .unwrap_or(Duration::from_secs(60));
        if !state.clock.is_manual() {
            if let Ok(Some(next)) = state.service.store.next_due().await {
                let until = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                wait = wait.min(until.max(Duration::from_millis(200)));
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.wake.notified() => {}
            _ = shutdown.cancelled() => {
                guard.finish();
                return;
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Runs the server until a shutdown signal.
///
/// # Errors
/// A configuration, database or address the server cannot start with; a failing HTTP server.
pub async fn serve(config: Config) -> Result<(), ServerError> {
    config
        .validate()
        .map_err(|e| ServerError::Config(e.to_string()))?;
    let state = build(&config).await?;
    let addr: SocketAddr = config
        .listen
        .parse()
        .map_err(|_| ServerError::Listen(config.listen.clone()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServerError::Bind(addr, e))?;
    if config.demo {
        refuse_real_data(&state).await?;
    }
    if let Some((email, password)) = ensure_admin(&state).await? {
        println!("Создан администратор: {email}\nОдноразовый пароль (показывается один раз, при первом входе его нужно сменить): {password}");
    }
    if config.demo {
        for (email, password) in load_demo(&state).await? {
            println!("Демо-доступ: {email} / {password}");
        }
    }
    // A token, not a Notify: a worker busy when the signal comes still sees it afterwards.
    let shutdown = CancellationToken::new();
    let sched = tokio::spawn(scheduler_loop(state.clone(), shutdown.clone()));
    let extra = crate::background::spawn(&state, shutdown.clone())?;
    println!(
        "seminarflow слушает {} (данные: {}, часы: {})",
        config.base_url(),
        config.data_dir.display(),
        if state.clock.is_manual() {
            "ручные"
        } else {
            "системные"
        }
    );
    let app = http::router(state.clone());
    axum::serve(
        http::listener::guarded(
            listener,
            http::listener::MAX_CONNECTIONS,
            http::listener::IDLE,
        ),
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(ServerError::Http)?;
    shutdown.cancel();
    let _ = sched.await;
    for h in extra {
        let _ = h.await;
    }
    println!("seminarflow остановлен");
    Ok(())
}
