//! `user disable`, `user enable` and `user reset-password`: account care from the command line
//! (an admin locked out, a partner whose only user left), through the same service calls and
//! audit events as the pages, acting as the command line's own admin.

use super::{load_config, runtime};
use crate::accounts::{Role, User};
use crate::service::{Service, ServiceError};
use std::path::PathBuf;
use std::process::ExitCode;

/// Which account, and where its database is.
#[derive(clap::Args, Debug)]
pub struct UserRef {
    /// The account's e-mail.
    #[arg(long)]
    pub email: String,
    /// Configuration file, as for `serve`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    #[arg(long)]
    pub database: Option<String>,
}

/// What to do with the account.
#[derive(Debug, Clone, Copy)]
pub enum Care {
    Disable,
    Enable,
    ResetPassword,
}

/// The command line acting as an admin (audit actor `admin:cli@localhost`).
pub(super) fn cli_admin() -> User {
    User {
        id: "cli".into(),
        email: "cli@localhost".into(),
        name: "командная строка".into(),
        role: Role::Admin,
        partner: None,
        rights: None,
        password_hash: String::new(),
        must_change_password: false,
        digest: false,
        ics_token: None,
        phone: None,
        disabled: false,
    }
}

#[derive(Debug, thiserror::Error)]
enum CareError {
    #[error(transparent)]
    Open(#[from] crate::server::ServerError),
    #[error(transparent)]
    Refused(#[from] ServiceError),
    #[error("пользователя с адресом {0} нет")]
    NoUser(String),
}

async fn care_for(service: &Service, email: &str, what: Care) -> Result<String, CareError> {
    let email = email.trim().to_lowercase();
    let user = service
        .store
        .user_by_email(&email)
        .await
        .map_err(ServiceError::from)?
        .ok_or_else(|| CareError::NoUser(email.clone()))?;
    let admin = cli_admin();
    let now = chrono::Utc::now();
    Ok(match what {
        Care::Disable => {
            service
                .set_user_disabled(&admin, &user.id, true, now)
                .await?;
            format!("Учётная запись {email} отключена: войти с ней больше нельзя.")
        }
        Care::Enable => {
            service
                .set_user_disabled(&admin, &user.id, false, now)
                .await?;
            format!("Учётная запись {email} снова включена.")
        }
        Care::ResetPassword => {
            let (_, password) = service.reset_password(&admin, &user.id, now).await?;
            format!("Временный пароль для {email} (показывается один раз, при входе его нужно сменить): {password}")
        }
    })
}

/// Runs `user disable|enable|reset-password`.
pub fn user_care(workflows: Option<PathBuf>, r: UserRef, what: Care) -> ExitCode {
    let mut config = match load_config(r.config.as_deref(), r.data_dir.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(v) = r.data_dir {
        config.data_dir = v;
    }
    if let Some(v) = r.database {
        config.database = Some(v);
    }
    if workflows.is_some() {
        config.workflows = workflows;
    }
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = rt.block_on(async {
        let (service, _) = crate::server::open_service(&config).await?;
        care_for(&service, &r.email, what).await
    });
    match result {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ошибка: {e}");
            ExitCode::from(1)
        }
    }
}
