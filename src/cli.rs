//! The `seminarflow` command line. `main.rs` only calls [`run`].

use crate::catalog::{self, Catalog, CatalogError};
use crate::config::Config;
use crate::simulate::{self, SimulateError};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod accounts;

#[derive(Parser, Debug)]
#[command(
    name = "seminarflow",
    version,
    about = "Движок партнёрских программ семинаров: этапы, сроки, штрафы, баллы и компенсации"
)]
pub struct Cli {
    /// Folder with workflow files and `calendars/` (default: ./workflows).
    #[arg(long, global = true, env = "SEMINARFLOW_WORKFLOWS")]
    pub workflows: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Runs the server: JSON API, scheduler and notifier (defaults: 127.0.0.1:8080, ./data, SQLite).
    Serve(ServeArgs),
    /// Accounts.
    User {
        #[command(subcommand)]
        action: UserCmd,
    },
    /// Workflow files: validation.
    Workflow {
        #[command(subcommand)]
        action: WorkflowCmd,
    },
    /// Working-day calendars.
    Calendar {
        #[command(subcommand)]
        action: CalendarCmd,
    },
    /// Runs a scenario file through the engine with a simulated clock.
    Simulate {
        scenario: PathBuf,
        /// Print the machine-readable report (SCENARIOS.md) instead of the timeline.
        #[arg(long)]
        json: bool,
        /// Also write every notification of the season as a rendered e-mail (`.eml`) into DIR.
        #[arg(long, value_name = "DIR")]
        mail_dir: Option<PathBuf>,
    },
    /// Benchmarks of issue 9 (builds its own data; prints figures against the targets).
    Bench(BenchArgs),
}

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Run one benchmark: simulate, burst, tick, commands or http.
    #[arg(long)]
    pub only: Option<String>,
    /// Multiply every size by F (e.g. 0.01 for a smoke run); ratios are still measured.
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub size_factor: f64,
    /// A smoke run: sizes × 0.01 and 2-second HTTP runs.
    #[arg(long)]
    pub quick: bool,
    /// Print the figures as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Folder with tools/bigseason.py (default: ../shared).
    #[arg(long, env = "SEMINARFLOW_SHARED", value_name = "DIR")]
    pub shared: Option<PathBuf>,
    /// PostgreSQL database for the burst (empty, disposable) instead of a throwaway cluster.
    #[arg(long, value_name = "URL")]
    pub pg: Option<String>,
    /// Longest wait for one measured part, in seconds (longer ones are reported as "> N s").
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub timeout: u64,
    /// Seconds of each HTTP read run.
    #[arg(long, value_name = "SECS")]
    pub http_seconds: Option<f64>,
    /// Requests per second of each HTTP read run.
    #[arg(long, value_name = "N", default_value_t = 500.0)]
    pub http_rate: f64,
    /// How the HTTP season gets into the store: `synthetic` (its applications written in
    /// end-of-season states; fast) or `play` (every step through the engine, as `simulate`).
    #[arg(long, value_parser = ["synthetic", "play"], default_value = "synthetic")]
    pub http_season: String,
}

#[derive(clap::Args, Debug, Default)]
pub struct ServeArgs {
    /// Configuration file (default: <data dir>/seminarflow.toml when present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub listen: Option<String>,
    /// Data folder (default ./data; with --demo ./data-demo).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: postgres://… for PostgreSQL (default: SQLite in the data folder).
    #[arg(long)]
    pub database: Option<String>,
    /// Load a demo season of the flagship program, with a manual clock set mid-season.
    #[arg(long)]
    pub demo: bool,
    /// `manual`: time moves only by POST /api/admin/clock.
    #[arg(long, value_parser = ["system", "manual"])]
    pub clock: Option<String>,
    /// Logs as JSON lines.
    #[arg(long)]
    pub log_json: bool,
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Creates an account; the password is read from standard input.
    Add {
        #[arg(long, value_parser = ["admin", "coordinator", "partner"])]
        role: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// The partner id (for partner users).
        #[arg(long)]
        partner: Option<String>,
        /// Partner user's rights: main, full or limited.
        #[arg(long, value_parser = ["main", "full", "limited"])]
        rights: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
        /// Configuration file, as for `serve`.
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        database: Option<String>,
    },
    /// Disables an account: it can no longer sign in, its sessions end.
    Disable(accounts::UserRef),
    /// Enables a disabled account again.
    Enable(accounts::UserRef),
    /// Prints a new temporary password; the owner must change it at the next sign-in.
    ResetPassword(accounts::UserRef),
}

#[derive(Subcommand, Debug)]
pub enum WorkflowCmd {
    /// Validates workflow files (all of the workflows folder without arguments).
    Check { files: Vec<PathBuf> },
}

#[derive(Subcommand, Debug)]
pub enum CalendarCmd {
    /// Prints every non-working date of a year, one ISO date per line with its reason.
    Show { id: String, year: i32 },
}

pub fn run(cli: Cli) -> ExitCode {
    let dir = cli.workflows.clone().unwrap_or_else(catalog::default_dir);
    match cli.command {
        Cmd::Serve(args) => serve_cmd(cli.workflows.clone(), args),
        Cmd::User {
            action:
                UserCmd::Add {
                    role,
                    email,
                    name,
                    partner,
                    rights,
                    password_stdin,
                    config,
                    data_dir,
                    database,
                },
        } => user_add(
            cli.workflows.clone(),
            UserAdd {
                role,
                email,
                name,
                partner,
                rights,
                password_stdin,
                config,
                data_dir,
                database,
            },
        ),
        Cmd::User {
            action: UserCmd::Disable(r),
        } => accounts::user_care(cli.workflows.clone(), r, accounts::Care::Disable),
        Cmd::User {
            action: UserCmd::Enable(r),
        } => accounts::user_care(cli.workflows.clone(), r, accounts::Care::Enable),
        Cmd::User {
            action: UserCmd::ResetPassword(r),
        } => accounts::user_care(cli.workflows.clone(), r, accounts::Care::ResetPassword),
        Cmd::Workflow {
            action: WorkflowCmd::Check { files },
        } => workflow_check(&dir, files),
        Cmd::Calendar {
            action: CalendarCmd::Show { id, year },
        } => calendar_show(&dir, &id, year),
        Cmd::Simulate {
            scenario,
            json,
            mail_dir,
        } => {
            let code = simulate_cmd(&dir, &scenario, json, mail_dir.as_deref());
            crate::bench::sys::report_peak_rss_if_asked();
            code
        }
        Cmd::Bench(args) => bench_cmd(dir, args),
    }
}

fn bench_cmd(workflows: PathBuf, a: BenchArgs) -> ExitCode {
    use crate::bench::{self, season::Seeding, Options};
    let opts =
        Options {
            only: a.only,
            size_factor: if a.quick { 0.01 } else { a.size_factor },
            shared: a.shared,
            workflows,
            pg: a.pg,
            timeout: std::time::Duration::from_secs(a.timeout),
            http_duration: std::time::Duration::from_secs_f64(
                a.http_seconds.unwrap_or(if a.quick { 2.0 } else { 10.0 }),
            ),
            http_rate: a.http_rate,
            http_season: if a.http_season == "play" {
                Seeding::Play
            } else {
                Seeding::Synthetic
            },
            exe: None,
        };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    eprintln!("bench: {}", bench::sys::machine());
    let figures = rt.block_on(bench::run(&opts));
    if a.json {
        match serde_json::to_string_pretty(&figures) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("ошибка: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        println!("machine: {}", bench::sys::machine());
        print!("{}", bench::report::table(&figures));
    }
    if figures.iter().any(|f| f.name == "error") {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn open_catalog(dir: &std::path::Path) -> Result<Catalog, ExitCode> {
    Catalog::open(dir).map_err(|e| {
        eprintln!("ошибка: {e}");
        ExitCode::from(1)
    })
}

fn workflow_check(dir: &std::path::Path, files: Vec<PathBuf>) -> ExitCode {
    let cat = match open_catalog(dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let files = if files.is_empty() {
        match cat.workflow_files() {
            Ok(f) => f,
            Err(e) => {
                eprintln!("ошибка: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        files
    };
    if files.is_empty() {
        eprintln!("ошибка: в {} нет файлов программ (*.toml)", dir.display());
        return ExitCode::from(1);
    }
    let mut ok = true;
    let mut loaded = vec![];
    for f in &files {
        match cat.load_file(f) {
            Ok(p) => {
                println!(
                    "{}: ок — {}",
                    f.display(),
                    crate::catalog::checked_summary(&p.wf)
                );
                loaded.push((f.clone(), p));
            }
            Err(CatalogError::Invalid(problems)) => {
                ok = false;
                for p in problems {
                    eprintln!("{p}");
                }
            }
            Err(e) => {
                ok = false;
                eprintln!("{e}");
            }
        }
    }
    for p in crate::catalog::cross_file_problems(&loaded) {
        ok = false;
        eprintln!("{p}");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn calendar_show(dir: &std::path::Path, id: &str, year: i32) -> ExitCode {
    let cat = match open_catalog(dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(cal) = cat.calendars.get(id) else {
        eprintln!(
            "ошибка: календарь «{id}» не найден (есть: {})",
            cat.calendars.keys().cloned().collect::<Vec<_>>().join(", ")
        );
        return ExitCode::from(1);
    };
    match cal.non_working_days(year) {
        Ok(days) => {
            for (d, name) in days {
                println!("{d}\t{name}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ошибка: {e}");
            ExitCode::from(1)
        }
    }
}

fn simulate_cmd(
    dir: &std::path::Path,
    path: &std::path::Path,
    json: bool,
    mail_dir: Option<&std::path::Path>,
) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("ошибка: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let cat = match open_catalog(dir) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ошибка: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async {
        if simulate::partner::is_partner_scenario(&cat, &text) {
            // Partner programs (S§5): the JSON report (the timeline prints it too).
            return match simulate::partner::run_text(&cat, &text).await {
                Ok((service, report)) => {
                    let _ = json;
                    if let Some(mail_dir) = mail_dir {
                        if let Err(e) = preview_mail(&service, mail_dir).await {
                            return fail(path, SimulateError::Failed(e.to_string()));
                        }
                    }
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&report).unwrap_or_default()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(path, e),
            };
        }
        let (sc, prog) = match simulate::load(&cat, &text) {
            Ok(v) => v,
            Err(e) => return fail(path, e),
        };
        let (service, report) = match simulate::run(&sc, prog.clone()).await {
            Ok(v) => v,
            Err(e) => return fail(path, e),
        };
        if let Some(mail_dir) = mail_dir {
            if let Err(e) = preview_mail(&service, mail_dir).await {
                return fail(path, SimulateError::Failed(e.to_string()));
            }
        }
        if json {
            // Written straight to stdout: a large season's report is not built as one string.
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = serde_json::to_writer_pretty(&mut out, &report)
                .map_err(|e| e.to_string())
                .and_then(|()| writeln!(out).map_err(|e| e.to_string()))
                .and_then(|()| out.flush().map_err(|e| e.to_string()));
            if let Err(e) = written {
                return fail(path, SimulateError::Failed(e));
            }
        } else {
            match simulate::timeline(&service, &report, &prog).await {
                Ok(s) => print!("{s}"),
                Err(e) => return fail(path, SimulateError::Failed(e.to_string())),
            }
        }
        ExitCode::SUCCESS
    })
}

/// `simulate --mail-dir`: the season's mail as `.eml` files, rendered with the configured
/// templates (admin overrides included) and links to the configured `base_url`.
async fn preview_mail(
    service: &crate::service::Service,
    mail_dir: &std::path::Path,
) -> Result<(), PreviewError> {
    use crate::notifier::{preview, Templates};
    let config = Config::load(None, None, &|k| std::env::var(k).ok())?;
    let templates = Templates::load(config.mail.templates.as_deref())?;
    let from = config
        .smtp
        .as_ref()
        .map(|s| s.from.clone())
        .unwrap_or_else(|| config.mail.from.clone());
    let files =
        preview::write_mail(service, &templates, mail_dir, &config.base_url(), &from).await?;
    eprintln!("писем записано: {} в {}", files.len(), mail_dir.display());
    Ok(())
}

/// Why `simulate --mail-dir` wrote no mail.
#[derive(Debug, thiserror::Error)]
enum PreviewError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Templates(#[from] crate::notifier::TemplateError),
    #[error(transparent)]
    Write(#[from] crate::notifier::NotifierError),
}

fn fail(path: &std::path::Path, e: SimulateError) -> ExitCode {
    eprintln!("{}: {e}", path.display());
    match e {
        SimulateError::Malformed(_) => ExitCode::from(2),
        SimulateError::Failed(_) => ExitCode::from(1),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("ошибка: {e}");
            ExitCode::from(1)
        })
}

fn load_config(
    file: Option<&std::path::Path>,
    data_dir: Option<&std::path::Path>,
) -> Result<Config, ExitCode> {
    Config::load(file, data_dir, &|k| std::env::var(k).ok()).map_err(|e| {
        eprintln!("ошибка конфигурации: {e}");
        ExitCode::from(2)
    })
}

fn serve_cmd(workflows: Option<PathBuf>, a: ServeArgs) -> ExitCode {
    // The demo's own folder unless one is named (flag, environment or a config file's
    // `data_dir`): a demo season in ./data would later greet real work years overdue.
    let demo_dir = (a.demo
        && a.data_dir.is_none()
        && a.database.is_none()
        && std::env::var_os("SEMINARFLOW_DATA_DIR").is_none())
    .then(|| PathBuf::from(crate::config::DEMO_DATA_DIR));
    let hint = a.data_dir.clone().or_else(|| demo_dir.clone());
    let mut config = match load_config(a.config.as_deref(), hint.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(dir) = demo_dir {
        if config.data_dir == Config::default().data_dir {
            config.data_dir = dir;
        }
    }
    if let Some(v) = a.listen {
        config.listen = v;
    }
    if let Some(v) = a.data_dir {
        config.data_dir = v;
    }
    if let Some(v) = a.database {
        config.database = Some(v);
    }
    if workflows.is_some() {
        config.workflows = workflows;
    }
    if a.demo {
        config.demo = true;
    }
    if a.clock.as_deref() == Some("manual") {
        config.clock = crate::config::ClockMode::Manual;
    }
    if a.log_json {
        config.log_json = true;
    }
    crate::logging::init(config.log_json, "info,sqlx=warn");
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(crate::server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ошибка: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Why `user add` failed.
#[derive(Debug, thiserror::Error)]
enum UserAddError {
    #[error(transparent)]
    Open(#[from] crate::server::ServerError),
    #[error(transparent)]
    Refused(#[from] crate::service::ServiceError),
}

/// Creates an account through the service as the command line's own admin.
async fn create_user(
    config: &Config,
    req: crate::service::accounts::NewUser,
) -> Result<UserAdded, UserAddError> {
    let (service, _) = crate::server::open_service(config).await?;
    let admin = accounts::cli_admin();
    let created = service
        .register_user(&admin, req, chrono::Utc::now())
        .await?;
    // `serve` creates an admin only when none exists; so does `user add`, so that adding a
    // coordinator before the first start does not leave the install without one.
    let first_admin = service.ensure_first_admin(chrono::Utc::now()).await?;
    Ok(UserAdded {
        user: created.user,
        one_time_password: created.one_time_password,
        first_admin,
    })
}

/// What `user add` prints.
struct UserAdded {
    user: crate::accounts::User,
    one_time_password: Option<String>,
    first_admin: Option<(String, String)>,
}

struct UserAdd {
    role: String,
    email: String,
    name: String,
    partner: Option<String>,
    rights: Option<String>,
    password_stdin: bool,
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    database: Option<String>,
}

fn user_add(workflows: Option<PathBuf>, a: UserAdd) -> ExitCode {
    let mut config = match load_config(a.config.as_deref(), a.data_dir.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(v) = a.data_dir {
        config.data_dir = v;
    }
    if let Some(v) = a.database {
        config.database = Some(v);
    }
    if workflows.is_some() {
        config.workflows = workflows;
    }
    let password = if a.password_stdin {
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line).is_err() || line.trim().is_empty() {
            eprintln!("ошибка: пароль не прочитан со стандартного ввода");
            return ExitCode::from(2);
        }
        Some(line.trim_end_matches(['\n', '\r']).to_string())
    } else {
        None
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let name = if a.name.trim().is_empty() {
        a.email.clone()
    } else {
        a.name.clone()
    };
    let req = crate::service::accounts::NewUser {
        email: a.email,
        name,
        role: a.role,
        partner: a.partner,
        rights: a.rights,
        password,
    };
    let result = rt.block_on(create_user(&config, req));
    match result {
        Ok(created) => {
            println!(
                "Создан пользователь {} ({})",
                created.user.email,
                created.user.role.label()
            );
            if let Some(p) = created.one_time_password {
                println!("Одноразовый пароль: {p}");
            }
            if let Some((email, password)) = created.first_admin {
                println!("Администратора ещё не было — создан: {email}\nОдноразовый пароль (показывается один раз, при первом входе его нужно сменить): {password}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ошибка: {e:#}");
            ExitCode::from(1)
        }
    }
}
