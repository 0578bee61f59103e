//! accounts

use super::*;

impl This {
    pub(super) async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::user_from_row).transpose()
    }

    pub(super) async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::user_from_row).transpose()
    }

    pub(super) async fn user_by_ics_token(&self, token: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE ics_token = $1 AND disabled = FALSE")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Self::user_from_row).transpose()
    }

    pub(super) async fn users(&self, partner: Option<&str>) -> Result<Vec<User>, StoreError> {
        let rows = match partner {
            Some(p) => {
                sqlx::query("SELECT * FROM users WHERE partner = $1 ORDER BY email")
                    .bind(p)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM users ORDER BY email")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(decode_each("user", &rows, Self::user_from_row))
    }

    pub(super) async fn users_by_roles(&self, roles: &[&str]) -> Result<Vec<User>, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT * FROM users WHERE role IN (");
        let mut sep = qb.separated(", ");
        for r in roles {
            sep.push_bind(r.to_string());
        }
        qb.push(") ORDER BY email");
        let rows = if roles.is_empty() {
            Vec::new()
        } else {
            qb.build().fetch_all(&self.pool).await?
        };
        rows.iter().map(Self::user_from_row).collect()
    }

    pub(super) async fn create_session(
        &self,
        token_hash: &str,
        user: &str,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query("DELETE FROM sessions WHERE expires_us <= $1")
            .bind(to_us(now))
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_us, expires_us)
                VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user)
        .bind(csrf)
        .bind(to_us(now))
        .bind(to_us(expires))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT u.*, s.csrf AS session_csrf FROM sessions s JOIN users u ON u.id
                = s.user_id WHERE s.token_hash = $1 AND s.expires_us > $2 AND u.disabled
                = FALSE",
        )
        .bind(token_hash)
        .bind(to_us(now))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((Self::user_from_row(&r)?, r.try_get("session_csrf")?))),
            None => Ok(None),
        }
    }

    pub(super) async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let _w = self.writer().await;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn api_token_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, StoreError> {
        let legacy = LEGACY_TOKEN_DAYS * 86_400 * 1_000_000;
        let row = sqlx::query(
            "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE
                t.token_hash = $1 AND u.disabled = FALSE AND COALESCE(t.expires_us,
                t.created_us + $3) > $2",
        )
        .bind(token_hash)
        .bind(to_us(now))
        .bind(legacy)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(Self::user_from_row).transpose()
    }

    pub(super) async fn api_tokens(&self, user: &str) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT token_hash, name, created_us, expires_us FROM api_tokens WHERE
                user_id = $1 ORDER BY created_us DESC, token_hash",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_each("api token", &rows, |r| {
            let created: i64 = r.try_get("created_us")?;
            let expires: Option<i64> = r.try_get("expires_us")?;
            Ok(ApiToken {
                id: r.try_get("token_hash")?,
                name: r.try_get("name")?,
                created: from_us(created)?,
                expires: from_us(
                    expires.unwrap_or(created + LEGACY_TOKEN_DAYS * 86_400 * 1_000_000),
                )?,
            })
        }))
    }

    pub(super) async fn purge_expired_sessions(
        &self,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let _w = self.writer().await;
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_us <= $1")
            .bind(to_us(now))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
