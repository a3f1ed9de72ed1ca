//! Passwords (argon2id) and random tokens (stored hashed): the web's sign-in and the
//! command line's `user add` share them.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use parindex_domain::access::Role;
use sha2::{Digest, Sha256};

/// An argon2id PHC string with a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("không băm được mật khẩu: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A PHC string of no real password: verifying against it costs as much as a real one,
/// so that a wrong username takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("không-phải-mật-khẩu-nào").unwrap_or_default())
}

/// 32 random bytes, hex.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    // The operating system's generator; failure here means no safe token can be made.
    if getrandom::fill(&mut b).is_err() {
        return String::new();
    }
    hex::encode(b)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks passwords on a few threads of its own (argon2id takes 19 MiB each time): a burst
/// of sign-ins queues here, and the memory the hashes use stays with those threads instead
/// of spreading over every thread of a pool.
#[derive(Clone)]
pub struct Verifier {
    jobs: std::sync::mpsc::Sender<Job>,
}

type Job = (String, String, tokio::sync::oneshot::Sender<bool>);

impl Verifier {
    /// Starts `workers` threads; they end when the last clone of the verifier is dropped.
    pub fn new(workers: usize) -> Verifier {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for _ in 0..workers.max(1) {
            let queue = queue.clone();
            std::thread::spawn(move || {
                loop {
                    let next = match queue.lock() {
                        Ok(q) => q.recv(),
                        Err(_) => return,
                    };
                    let Ok((password, hash, answer)) = next else {
                        return;
                    };
                    let _ = answer.send(verify_password(&password, &hash));
                }
            });
        }
        Verifier { jobs }
    }

    /// Whether `password` matches the PHC string `hash`; `None` if the workers are gone.
    pub async fn verify(&self, password: String, hash: String) -> Option<bool> {
        let (answer, reply) = tokio::sync::oneshot::channel();
        self.jobs.send((password, hash, answer)).ok()?;
        reply.await.ok()
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Checks a new account's fields; the message is in Vietnamese.
pub fn validate_new_user(
    username: &str,
    role: &str,
    unit: Option<&str>,
    password: &str,
) -> Result<Role, String> {
    if username.len() < 3
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
    {
        return Err(
            "Tên đăng nhập gồm 3–64 ký tự: chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới, @."
                .into(),
        );
    }
    let role = Role::parse(role).ok_or_else(|| format!("Vai trò `{role}` không hợp lệ."))?;
    if role.needs_unit() && unit.is_none() {
        return Err(format!("Vai trò “{}” cần chọn đơn vị.", role.label_vi()));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự."));
    }
    Ok(role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_verifier_checks_on_its_own_threads() {
        let v = Verifier::new(2);
        let h = hash_password("mật khẩu đủ dài").unwrap_or_default();
        assert_eq!(
            v.verify("mật khẩu đủ dài".into(), h.clone()).await,
            Some(true)
        );
        assert_eq!(v.verify("sai".into(), h).await, Some(false));
    }

    #[test]
    fn passwords_verify_and_tokens_are_random() {
        let h = hash_password("mật khẩu đủ dài").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu đủ dài", &h));
        assert!(!verify_password("mật khẩu sai", &h));
        assert!(!verify_password("x", "not a hash"));
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
    }
}
