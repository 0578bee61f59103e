//! Accounts: who may create whom, disabling, passwords, sessions and API tokens. Every change to
//! an account (not a sign-in) is written with its audit event in one transaction.

use super::audit::{user_data, Audit};
use super::{Service, ServiceError};
use crate::accounts::{
    check_password_strength, hash_password, new_id, random_password, random_token, token_hash,
    Rights, Role, User,
};
use crate::domain::EventKind;
use crate::storage::{Change, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    /// `admin`, `coordinator` or `partner`.
    pub role: String,
    /// For partner users: the partner id.
    pub partner: Option<String>,
    /// For partner users: `main`, `full` or `limited`.
    pub rights: Option<String>,
    /// Without it a one-time password is generated and returned.
    pub password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    #[schema(value_type = Object)]
    pub user: User,
    /// The generated one-time password, shown once.
    pub one_time_password: Option<String>,
}

/// A new browser session: the cookie's token (stored only as its hash) and the CSRF token.
pub struct Session {
    pub token: String,
    pub csrf: String,
}

/// A new API token, shown once.
pub struct NewApiToken {
    pub token: String,
    /// Its SHA-256: what listing and revocation name.
    pub id: String,
    pub expires: DateTime<Utc>,
}

/// An account's role, partner and rights as a request names them, checked.
struct Placement {
    role: Role,
    partner: Option<String>,
    rights: Option<Rights>,
}

impl Service {
    /// Validates and creates an account on behalf of `by`, with its audit event.
    ///
    /// # Errors
    /// `BadRequest`/`Field` for unusable values, `Forbidden` when `by` may not create such an
    /// account, `Conflict("email_taken")` when the e-mail is registered (nothing is written).
    pub async fn register_user(
        &self,
        by: &User,
        req: NewUser,
        now: DateTime<Utc>,
    ) -> Result<CreatedUser, ServiceError> {
        let name = crate::text::single_line(&req.name, 200)
            .map_err(|m| ServiceError::Field("name", m.to_string()))?;
        let email = crate::text::single_line(&req.email, 254)
            .map_err(|m| ServiceError::Field("email", m.to_string()))?
            .to_lowercase();
        if !email.contains('@') || email.len() < 3 || email.contains(char::is_whitespace) {
            return Err(ServiceError::Field(
                "email",
                format!("«{}» — не адрес электронной почты", req.email),
            ));
        }
        let place = self.placement(&req).await?;
        may_create(by, &place)?;
        let (password, one_time) = match req.password {
            Some(p) => {
                check_password_strength(&p)?;
                (p, None)
            }
            None => {
                let p = random_password();
                (p.clone(), Some(p))
            }
        };
        let user = User {
            id: new_id(),
            email,
            name,
            role: place.role,
            partner: place.partner,
            rights: place.rights,
            password_hash: hash_password(&password)?,
            must_change_password: one_time.is_some(),
            digest: place.role == Role::Coordinator,
            ics_token: Some(random_token()),
            phone: None,
            disabled: false,
        };
        let by = by.actor();
        self.add_user(
            Audit {
                actor: &by,
                at: now,
            },
            &user,
        )
        .await?;
        Ok(CreatedUser {
            user,
            one_time_password: one_time,
        })
    }

    /// Writes a complete new account with its audit event.
    ///
    /// # Errors
    /// `Conflict("email_taken")` when the e-mail is registered (nothing is written).
    pub async fn add_user(&self, by: Audit<'_>, user: &User) -> Result<(), ServiceError> {
        let change = Change::CreateUser {
            user: user.clone(),
            at: by.at,
        };
        let event = by.event(EventKind::UserCreated, user_data(user));
        match self.store.apply(&[change], &[event]).await {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict(_)) => Err(ServiceError::Conflict(
                "email_taken",
                format!("пользователь с адресом {} уже есть", user.email),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn placement(&self, req: &NewUser) -> Result<Placement, ServiceError> {
        let role = Role::parse(&req.role)
            .ok_or_else(|| ServiceError::bad("role: допустимо admin, coordinator или partner"))?;
        let rights = match (&role, req.rights.as_deref()) {
            (Role::Partner, Some(r)) => Some(
                Rights::parse(r)
                    .ok_or_else(|| ServiceError::bad("rights: допустимо main, full или limited"))?,
            ),
            (Role::Partner, None) => Some(Rights::Limited),
            (_, _) => None,
        };
        let partner = if role == Role::Partner {
            let p = req
                .partner
                .clone()
                .ok_or_else(|| ServiceError::bad("partner: укажите партнёра пользователя"))?;
            if self.store.partner(&p).await?.is_none() {
                return Err(ServiceError::bad(format!("партнёр «{p}» не найден")));
            }
            Some(p)
        } else {
            None
        };
        Ok(Placement {
            role,
            partner,
            rights,
        })
    }

    /// Disables an account (ending its sessions) or enables it again, with its audit event.
    /// Who may: see [`may_manage`]. Only an admin disables a company's last active user with
    /// main or full rights (nobody would be left to add colleagues; an admin may mean to shut a
    /// company out, e.g. after a leak): others add or enable another one first.
    ///
    /// # Errors
    /// `Forbidden`, `NotFound` (also for an account `by` may not see), `Field` for one's own or
    /// the company's last full-rights account.
    pub async fn set_user_disabled(
        &self,
        by: &User,
        id: &str,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<User, ServiceError> {
        let mut user = self.managed_user(by, id).await?;
        if user.id == by.id {
            return Err(ServiceError::Field(
                "id",
                "свою учётную запись отключить нельзя".into(),
            ));
        }
        if disabled && by.role != Role::Admin && self.is_last_full_user(&user).await? {
            return Err(ServiceError::Field(
                "id",
                "это последний активный пользователь компании с полными правами: сначала добавьте или включите другого"
                    .into(),
            ));
        }
        user.disabled = disabled;
        let mut changes = vec![Change::UpdateUser(user.clone())];
        if disabled {
            changes.push(Change::EndSessions {
                user: user.id.clone(),
                keep: None,
            });
        }
        let kind = if disabled {
            EventKind::UserDisabled
        } else {
            EventKind::UserEnabled
        };
        let actor = by.actor();
        let event = Audit {
            actor: &actor,
            at: now,
        }
        .event(kind, user_data(&user));
        self.store.apply(&changes, &[event]).await?;
        Ok(user)
    }

    /// Gives account `id` a new temporary password (returned, to be shown once): the owner
    /// must change it at the next sign-in, and every session of the account ends. With its
    /// audit event (which never holds the password).
    ///
    /// # Errors
    /// As [`Service::set_user_disabled`]; one's own password is changed in the profile.
    pub async fn reset_password(
        &self,
        by: &User,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(User, String), ServiceError> {
        let mut user = self.managed_user(by, id).await?;
        if user.id == by.id {
            return Err(ServiceError::Field(
                "id",
                "свой пароль меняйте в профиле".into(),
            ));
        }
        let password = random_password();
        user.password_hash = hash_password(&password)?;
        user.must_change_password = true;
        let actor = by.actor();
        let event = Audit {
            actor: &actor,
            at: now,
        }
        .event(EventKind::PasswordReset, user_data(&user));
        let changes = [
            Change::UpdateUser(user.clone()),
            Change::EndSessions {
                user: user.id.clone(),
                keep: None,
            },
        ];
        self.store.apply(&changes, &[event]).await?;
        Ok((user, password))
    }

    /// The accounts `by` may list and manage on the pages: everyone for admins, partner users
    /// for coordinators, the company's own users for a partner's user.
    ///
    /// # Errors
    /// Store failures.
    pub async fn manageable_users(&self, by: &User) -> Result<Vec<User>, ServiceError> {
        Ok(match by.role {
            Role::Admin => self.store.users(None).await?,
            Role::Coordinator => self.store.users_by_roles(&[Role::Partner.as_str()]).await?,
            Role::Partner => self.store.users(by.partner.as_deref()).await?,
        })
    }

    /// Account `id` if `by` may manage it; another company's account answers like one that
    /// does not exist.
    async fn managed_user(&self, by: &User, id: &str) -> Result<User, ServiceError> {
        if by.role == Role::Partner && by.rights == Some(Rights::Limited) {
            return Err(ServiceError::Forbidden(
                "пользователь с ограниченными правами не управляет учётными записями".into(),
            ));
        }
        let Some(user) = self.store.user(id).await?.filter(|u| visible_to(by, u)) else {
            return Err(ServiceError::NotFound("такой учётной записи нет".into()));
        };
        may_manage(by, &user)?;
        Ok(user)
    }

    /// Whether `user` is the last active main or full-rights user of its company.
    async fn is_last_full_user(&self, user: &User) -> Result<bool, ServiceError> {
        let full =
            |u: &User| !u.disabled && matches!(u.rights, Some(Rights::Main) | Some(Rights::Full));
        if user.role != Role::Partner || !full(user) {
            return Ok(false);
        }
        let others = self
            .store
            .users(user.partner.as_deref())
            .await?
            .into_iter()
            .filter(|u| u.id != user.id && full(u))
            .count();
        Ok(others == 0)
    }

    /// Sets or clears `user`'s own contact phone (`None` or blank clears it). The phone is
    /// what partners see in e-mails beside their coordinator's address.
    ///
    /// # Errors
    /// `Field("phone", …)` for something that is not a phone number; store failures.
    pub async fn set_phone(&self, user: &User, phone: Option<&str>) -> Result<User, ServiceError> {
        let phone = phone.map(str::trim).filter(|p| !p.is_empty());
        if let Some(p) = phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            let allowed = p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
            if !allowed || !(5..=15).contains(&digits) || p.chars().count() > 30 {
                return Err(ServiceError::Field(
                    "phone",
                    "укажите телефон цифрами, например +7 495 123-45-67".into(),
                ));
            }
        }
        let mut user = user.clone();
        user.phone = phone.map(String::from);
        self.store
            .apply(&[Change::UpdateUser(user.clone())], &[])
            .await?;
        Ok(user)
    }

    /// Sets `user`'s password (already checked by the caller's form) and signs out every other
    /// session than `keep`: whoever else knew the old password is out.
    ///
    /// # Errors
    /// Hashing or store failures.
    pub async fn set_password(
        &self,
        user: &User,
        new: &str,
        keep: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let mut user = user.clone();
        user.password_hash = hash_password(new)?;
        user.must_change_password = false;
        let actor = user.actor();
        let event = Audit {
            actor: &actor,
            at: now,
        }
        .event(EventKind::PasswordChanged, json!({ "user": user.id }));
        // The update goes first: it is the change the event describes.
        let changes = [
            Change::UpdateUser(user.clone()),
            Change::EndSessions {
                user: user.id.clone(),
                keep: keep.map(Into::into),
            },
        ];
        self.store.apply(&changes, &[event]).await?;
        Ok(())
    }

    /// Gives `user` a new calendar feed address: the old `/calendar/<token>.ics` stops working
    /// (for a leaked link). Returns the user with the new token.
    ///
    /// # Errors
    /// Store failures.
    pub async fn regenerate_ics_token(
        &self,
        user: &User,
        now: DateTime<Utc>,
    ) -> Result<User, ServiceError> {
        let mut user = user.clone();
        user.ics_token = Some(crate::accounts::random_token());
        let actor = user.actor();
        let event = Audit {
            actor: &actor,
            at: now,
        }
        .event(EventKind::CalendarLinkRenewed, json!({ "user": user.id }));
        self.store
            .apply(&[Change::UpdateUser(user.clone())], &[event])
            .await?;
        Ok(user)
    }

    /// Starts a browser session of `session_days` for a signed-in user.
    ///
    /// # Errors
    /// Store failures.
    pub async fn start_session(
        &self,
        user: &User,
        session_days: i64,
        now: DateTime<Utc>,
    ) -> Result<Session, ServiceError> {
        let token = random_token();
        let csrf = random_token();
        self.store
            .create_session(
                &token_hash(&token),
                &user.id,
                &csrf,
                now,
                now + Duration::days(session_days),
            )
            .await?;
        Ok(Session { token, csrf })
    }

    /// Ends the browser session with this token hash.
    ///
    /// # Errors
    /// Store failures.
    pub async fn end_session(&self, session_hash: &str) -> Result<(), ServiceError> {
        Ok(self.store.delete_session(session_hash).await?)
    }

    /// Deletes sessions expired at `now`; how many.
    ///
    /// # Errors
    /// Store failures.
    pub async fn expire_sessions(&self, now: DateTime<Utc>) -> Result<u64, ServiceError> {
        Ok(self.store.purge_expired_sessions(now).await?)
    }

    /// Creates a bearer API token for `user`, valid `days` days (1…365), with its audit event.
    ///
    /// # Errors
    /// `Field` for an unusable name or validity.
    pub async fn issue_api_token(
        &self,
        user: &User,
        name: &str,
        days: i64,
        now: DateTime<Utc>,
    ) -> Result<NewApiToken, ServiceError> {
        let name = crate::text::single_line(name, 200)
            .map_err(|m| ServiceError::Field("name", m.to_string()))?;
        if !(1..=365).contains(&days) {
            return Err(ServiceError::Field(
                "expires_in_days",
                "от 1 до 365 дней".into(),
            ));
        }
        let token = random_token();
        let expires = now + Duration::days(days);
        let actor = user.actor();
        let event = Audit {
            actor: &actor,
            at: now,
        }
        .event(
            EventKind::ApiTokenCreated,
            json!({ "user": user.id, "name": name, "expires": expires }),
        );
        let change = Change::CreateApiToken {
            token_hash: token_hash(&token),
            user: user.id.clone(),
            name,
            at: now,
            expires,
        };
        self.store.apply(&[change], &[event]).await?;
        Ok(NewApiToken {
            id: token_hash(&token),
            token,
            expires,
        })
    }

    /// Revokes `user`'s token `id` at once, with its audit event.
    ///
    /// # Errors
    /// `NotFound` when the user has no such token.
    pub async fn revoke_token(
        &self,
        user: &User,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let actor = user.actor();
        let event = Audit {
            actor: &actor,
            at: now,
        }
        .event(EventKind::ApiTokenRevoked, json!({ "user": user.id }));
        let change = Change::RevokeApiToken {
            user: user.id.clone(),
            id: id.into(),
        };
        if self.store.apply(&[change], &[event]).await?[0] == 0 {
            return Err(ServiceError::NotFound("такого токена нет".into()));
        }
        Ok(())
    }

    /// Creates an admin when no active admin exists (an empty database, or one where `user add`
    /// created only other accounts); returns the e-mail and the one-time password to print
    /// (`None` when an admin exists, or another node created it first).
    ///
    /// # Errors
    /// Hashing or store failures.
    pub async fn ensure_first_admin(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>, ServiceError> {
        // Whenever no admin can sign in: also after `user add` of a coordinator or partner user
        // before the first start (issue 13 item 17).
        let admins = self.store.users_by_roles(&[Role::Admin.as_str()]).await?;
        if admins.iter().any(|u| !u.disabled) {
            return Ok(None);
        }
        let password = random_password();
        let user = User {
            id: new_id(),
            email: FIRST_ADMIN.into(),
            name: "Администратор".into(),
            role: Role::Admin,
            partner: None,
            rights: None,
            password_hash: hash_password(&password)?,
            must_change_password: true,
            digest: false,
            ics_token: Some(random_token()),
            phone: None,
            disabled: false,
        };
        let by = Audit {
            actor: "system",
            at: now,
        };
        match self.add_user(by, &user).await {
            Ok(()) => Ok(Some((user.email, password))),
            // Another node starting on the same empty database created it first.
            Err(ServiceError::Conflict(..)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The e-mail of the admin created when none exists.
pub const FIRST_ADMIN: &str = "admin@seminarflow.local";

/// Who may create whom: admins anyone; coordinators partner users of any partner; a
/// partner's main user any user of the company; a full-rights user limited-rights users of the
/// company.
fn may_create(by: &User, place: &Placement) -> Result<(), ServiceError> {
    let forbidden = |m: &str| Err(ServiceError::Forbidden(m.into()));
    match by.role {
        Role::Admin => Ok(()),
        Role::Coordinator if place.role == Role::Partner => Ok(()),
        Role::Partner if place.role == Role::Partner && place.partner == by.partner => {
            match (by.rights, place.rights) {
                (Some(Rights::Main), _) | (Some(Rights::Full), Some(Rights::Limited)) => Ok(()),
                (Some(Rights::Full), _) => forbidden(
                    "пользователей с полными правами добавляет только основной пользователь",
                ),
                _ => forbidden(
                    "пользователь с ограниченными правами не может добавлять пользователей",
                ),
            }
        }
        _ => forbidden("недостаточно прав для создания такой учётной записи"),
    }
}

/// Whether `by` may disable, enable or reset the password of account `u` (never its own): what
/// the pages offer, decided by the same rules the service applies.
pub fn can_manage(by: &User, u: &User) -> bool {
    by.id != u.id
        && visible_to(by, u)
        && may_manage(by, u).is_ok()
        && !(by.role == Role::Partner && by.rights == Some(Rights::Limited))
}

/// Whether `by` sees account `u` at all (others answer 404): admins everyone, coordinators
/// partner users, partner users their own company's.
fn visible_to(by: &User, u: &User) -> bool {
    match by.role {
        Role::Admin => true,
        Role::Coordinator => u.role == Role::Partner,
        Role::Partner => u.role == Role::Partner && u.partner.is_some() && u.partner == by.partner,
    }
}

/// Who may disable, enable and reset the password of whom (among the accounts it sees):
/// admins and coordinators any; a partner's main user any of the company; a full-rights user
/// the company's users but its main user; limited-rights users nobody.
fn may_manage(by: &User, u: &User) -> Result<(), ServiceError> {
    match (by.role, by.rights) {
        (Role::Admin | Role::Coordinator, _) | (Role::Partner, Some(Rights::Main)) => Ok(()),
        (Role::Partner, Some(Rights::Full)) if u.rights != Some(Rights::Main) => Ok(()),
        (Role::Partner, Some(Rights::Full)) => Err(ServiceError::Forbidden(
            "учётной записью основного пользователя управляет только администратор или координатор"
                .into(),
        )),
        _ => Err(ServiceError::Forbidden(
            "недостаточно прав для управления учётными записями".into(),
        )),
    }
}
