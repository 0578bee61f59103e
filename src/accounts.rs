//! Accounts and roles (DOMAIN.md §1): admins, coordinators, and partner users with main, full or
//! limited rights; password hashing (Argon2id) and random tokens. No I/O here.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Coordinator,
    Partner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Partner => "partner",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "coordinator" => Role::Coordinator,
            "partner" => Role::Partner,
            _ => return None,
        })
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "администратор",
            Role::Coordinator => "координатор",
            Role::Partner => "партнёр",
        }
    }
}

/// Rights of a partner's user (002 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rights {
    /// Adds users of any rights.
    Main,
    /// Everything but adding full-rights users.
    Full,
    /// Read and upload; no financial views.
    Limited,
}

impl Rights {
    pub fn as_str(self) -> &'static str {
        match self {
            Rights::Main => "main",
            Rights::Full => "full",
            Rights::Limited => "limited",
        }
    }
    pub fn parse(s: &str) -> Option<Rights> {
        Some(match s {
            "main" => Rights::Main,
            "full" => Rights::Full,
            "limited" => Rights::Limited,
            _ => return None,
        })
    }
    pub fn label(self) -> &'static str {
        match self {
            Rights::Main => "основной пользователь",
            Rights::Full => "полные права",
            Rights::Limited => "ограниченные права",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The partner company of a partner user.
    pub partner: Option<String>,
    pub rights: Option<Rights>,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub must_change_password: bool,
    /// Non-critical notifications in a daily digest instead of at once.
    pub digest: bool,
    #[serde(skip_serializing)]
    pub ics_token: Option<String>,
    /// A contact phone, as typed; shown in e-mails to the partners a coordinator looks after.
    #[serde(default)]
    pub phone: Option<String>,
    pub disabled: bool,
}

impl User {
    /// May see money: everyone but partner users with limited rights.
    pub fn sees_money(&self) -> bool {
        !(self.role == Role::Partner && self.rights == Some(Rights::Limited))
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Coordinator)
    }

    /// Whether this user may act for / read partner `partner`'s things.
    pub fn can_access_partner(&self, partner: &str) -> bool {
        self.is_staff() || self.partner.as_deref() == Some(partner)
    }
}

/// What can go wrong with a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short or too simple; the message says why, in Russian.
    #[error("{0}")]
    Weak(&'static str),
    /// Hashing failed (the system's random source or the hasher).
    #[error("не удалось вычислить хеш пароля: {0}")]
    Hash(String),
}

impl User {
    /// This user as the audit log names an actor: `<role>:<e-mail>`.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role.as_str(), self.email)
    }
}

/// Hashes a password with Argon2id and a random salt.
///
/// # Errors
/// [`PasswordError::Hash`] when the hasher fails.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Checks a password against a stored hash (constant-time inside argon2).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Whether `password` signs `user` in. Costs one Argon2 verification whether or not the account
/// exists or is disabled (against a real hash made once), so the answer's timing does not tell
/// which e-mails are registered.
pub fn check_login(user: Option<&User>, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match user {
        Some(u) if !u.disabled => verify_password(password, &u.password_hash),
        _ => {
            let dummy = DUMMY.get_or_init(|| hash_password("not-a-password").unwrap_or_default());
            let _ = verify_password(password, dummy);
            false
        }
    }
}

/// A random URL-safe token of 32 bytes.
pub fn random_token() -> String {
    use argon2::password_hash::rand_core::RngCore;
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A short random password for first start and resets (readable, 16 characters).
pub fn random_password() -> String {
    use argon2::password_hash::rand_core::RngCore;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b.iter()
        .map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char)
        .collect()
}

/// Tokens are stored only as their SHA-256.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|x| format!("{x:02x}")).collect()
}

/// A new random user id.
pub fn new_id() -> String {
    random_token()[..20].to_string()
}

/// Minimum password rules, with a Russian reason when not met.
///
/// # Errors
/// [`PasswordError::Weak`] with the reason.
pub fn check_password_strength(p: &str) -> Result<(), PasswordError> {
    if p.chars().count() < 10 {
        return Err(PasswordError::Weak(
            "пароль должен быть не короче 10 символов",
        ));
    }
    if is_trivial(p) {
        return Err(PasswordError::Weak(
            "пароль слишком простой (повтор, ряд клавиш или цифр, известный пароль); придумайте другой",
        ));
    }
    Ok(())
}

/// Too few distinct characters, a keyboard or digit run, or a well-known password.
fn is_trivial(p: &str) -> bool {
    let lower = p.to_lowercase();
    let distinct: std::collections::BTreeSet<char> = lower.chars().collect();
    if distinct.len() < 4 {
        return true;
    }
    const RUNS: [&str; 6] = [
        "1234567890",
        "0987654321",
        "qwertyuiop",
        "asdfghjkl",
        "йцукенгшщзх",
        "abcdefghijklmnopqrstuvwxyz",
    ];
    let core: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    if core.chars().count() >= 6 && RUNS.iter().any(|r| r.contains(core.as_str())) {
        return true;
    }
    const KNOWN: [&str; 12] = [
        "password",
        "password1",
        "password12",
        "password123",
        "qwerty123",
        "1q2w3e4r5t",
        "1q2w3e4r",
        "пароль",
        "пароль123",
        "iloveyou",
        "admin12345",
        "qwerty12345",
    ];
    KNOWN.contains(&lower.as_str()) || KNOWN.contains(&core.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn limited_partner_users_do_not_see_money() {
        let mut u = User {
            id: "u".into(),
            email: "a@b".into(),
            name: "A".into(),
            role: Role::Partner,
            partner: Some("p1".into()),
            rights: Some(Rights::Limited),
            password_hash: String::new(),
            must_change_password: false,
            digest: false,
            ics_token: None,
            phone: None,
            disabled: false,
        };
        assert!(!u.sees_money());
        u.rights = Some(Rights::Full);
        assert!(u.sees_money());
        assert!(u.can_access_partner("p1") && !u.can_access_partner("p2"));
    }
}
