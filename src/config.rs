//! Configuration, in one place: built-in defaults, then a TOML file (`--config`,
//! `$SEMINARFLOW_CONFIG`, or `<data dir>/seminarflow.toml` when present), then environment
//! variables (`SEMINARFLOW_*`, `DATABASE_URL`), then command-line flags. See docs/configuration.md.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The data folder of `serve --demo` when none is given: the demo never writes into `./data`.
pub const DEMO_DATA_DIR: &str = "data-demo";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    /// The real clock.
    #[default]
    System,
    /// Time moves only when an admin sets it (training, demos).
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP upgraded with STARTTLS (port 587).
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
    /// No encryption: only for a relay on loopback.
    Plain,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default = "default_security")]
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The From address, e.g. `Семинары Битрикс24 <seminars@example.ru>`.
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_security() -> SmtpSecurity {
    SmtpSecurity::Starttls
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// Where mail goes as `.eml` files when no SMTP server is configured (default `<data>/mail`).
    pub dir: Option<PathBuf>,
    /// A folder overriding `templates/email/<kind>/…` files.
    pub templates: Option<PathBuf>,
    /// Hour (deadline zone) at which coordinators' and digest users' daily digest goes out.
    pub digest_hour: u32,
    /// From address used for `.eml` files when SMTP is not configured.
    pub from: String,
    /// The program's coordinator address, `Name <address>`: Reply-To and contact in e-mails
    /// about partners no coordinator is assigned to.
    pub coordinator: Option<String>,
    /// The phone shown with `coordinator`.
    pub coordinator_phone: Option<String>,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            dir: None,
            templates: None,
            digest_hour: 8,
            from: "seminarflow <noreply@seminarflow.local>".into(),
            coordinator: None,
            coordinator_phone: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Data folder: the SQLite database, uploaded files, mail files.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; default SQLite in the data folder.
    pub database: Option<String>,
    /// Folder with workflow files (default `./workflows`).
    pub workflows: Option<PathBuf>,
    /// Public address used in links in e-mails and calendar feeds.
    pub base_url: Option<String>,
    pub clock: ClockMode,
    /// Load the demo season (implies the manual clock).
    pub demo: bool,
    /// When the scheduler ticks (cron with seconds); it also wakes at the next due instant.
    pub scheduler_cron: String,
    /// Largest upload, in megabytes.
    pub upload_limit_mb: u64,
    /// Mark cookies `Secure` (default: when `base_url` is https).
    pub secure_cookies: Option<bool>,
    /// Logs as JSON lines.
    pub log_json: bool,
    pub smtp: Option<SmtpConfig>,
    pub mail: MailConfig,
    /// When set, `/metrics` answers only `Authorization: Bearer <metrics_token>`; when not,
    /// only callers on the loopback interface.
    pub metrics_token: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database: None,
            workflows: None,
            base_url: None,
            clock: ClockMode::System,
            demo: false,
            scheduler_cron: "0 * * * * *".into(),
            upload_limit_mb: 25,
            secure_cookies: None,
            log_json: false,
            smtp: None,
            mail: MailConfig::default(),
            metrics_token: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Parse(PathBuf, String),
    #[error("переменная окружения {0}: {1}")]
    Env(String, String),
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Reads a config file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_path_buf(), e))?;
        toml::from_str(&text)
            .map_err(|e| ConfigError::Parse(path.to_path_buf(), e.message().to_string()))
    }

    /// Defaults ← file ← environment (`env` is passed in for testability).
    pub fn load(
        file: Option<&Path>,
        data_dir_hint: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env("SEMINARFLOW_CONFIG").map(PathBuf::from))
            .or_else(|| {
                let dir = data_dir_hint
                    .map(Path::to_path_buf)
                    .or_else(|| env("SEMINARFLOW_DATA_DIR").map(PathBuf::from))
                    .unwrap_or_else(|| PathBuf::from("data"));
                let p = dir.join("seminarflow.toml");
                p.is_file().then_some(p)
            });
        let mut c = match file {
            Some(f) => Config::from_file(&f)?,
            None => Config::default(),
        };
        if let Some(v) = env("SEMINARFLOW_LISTEN") {
            c.listen = v;
        }
        if let Some(v) = env("SEMINARFLOW_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("DATABASE_URL").or_else(|| env("SEMINARFLOW_DATABASE")) {
            c.database = Some(v);
        }
        if let Some(v) = env("SEMINARFLOW_WORKFLOWS") {
            c.workflows = Some(PathBuf::from(v));
        }
        if let Some(v) = env("SEMINARFLOW_METRICS_TOKEN") {
            c.metrics_token = Some(v);
        }
        if let Some(v) = env("SEMINARFLOW_BASE_URL") {
            c.base_url = Some(v);
        }
        if let Some(v) = env("SEMINARFLOW_LOG_JSON") {
            c.log_json = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(host) = env("SEMINARFLOW_SMTP_HOST") {
            let port = match env("SEMINARFLOW_SMTP_PORT") {
                Some(p) => p.parse().map_err(|_| {
                    ConfigError::Env(
                        "SEMINARFLOW_SMTP_PORT".into(),
                        format!("«{p}» — не номер порта"),
                    )
                })?,
                None => default_smtp_port(),
            };
            let security = match env("SEMINARFLOW_SMTP_SECURITY").as_deref() {
                None | Some("starttls") => SmtpSecurity::Starttls,
                Some("tls") => SmtpSecurity::Tls,
                Some("plain") => SmtpSecurity::Plain,
                Some(o) => {
                    return Err(ConfigError::Env(
                        "SEMINARFLOW_SMTP_SECURITY".into(),
                        format!("«{o}»: допустимо starttls, tls или plain"),
                    ))
                }
            };
            c.smtp = Some(SmtpConfig {
                host,
                port,
                security,
                username: env("SEMINARFLOW_SMTP_USERNAME"),
                password: env("SEMINARFLOW_SMTP_PASSWORD"),
                from: env("SEMINARFLOW_SMTP_FROM").unwrap_or_else(|| c.mail.from.clone()),
            });
        }
        Ok(c)
    }

    /// The database URL: the configured one, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        self.database.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.join("seminarflow.db").display()
            )
        })
    }

    pub fn base_url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }

    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| self.base_url().starts_with("https://"))
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.mail
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("mail"))
    }

    pub fn files_dir(&self) -> PathBuf {
        self.data_dir.join("files")
    }

    /// Checks values that serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "listen: «{}» — не адрес вида 127.0.0.1:8080",
                self.listen
            )));
        }
        if self.upload_limit_mb == 0 {
            return Err(ConfigError::Invalid(
                "upload_limit_mb: должно быть больше 0".into(),
            ));
        }
        if self.mail.digest_hour > 23 {
            return Err(ConfigError::Invalid(
                "mail.digest_hour: час от 0 до 23".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_file_and_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "listen = \"127.0.0.1:9000\"\nupload_limit_mb = 5\n").unwrap();
        let env = |k: &str| match k {
            "DATABASE_URL" => Some("postgres://x@127.0.0.1/db".to_string()),
            "SEMINARFLOW_LISTEN" => Some("127.0.0.1:9100".to_string()),
            _ => None,
        };
        let c = Config::load(Some(&f), None, &env).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9100");
        assert_eq!(c.upload_limit_mb, 5);
        assert_eq!(c.database_url(), "postgres://x@127.0.0.1/db");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.toml");
        std::fs::write(&f, "lisen = \"x\"\n").unwrap();
        let e = Config::load(Some(&f), None, &|_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml") && e.contains("lisen"), "{e}");
    }
}
