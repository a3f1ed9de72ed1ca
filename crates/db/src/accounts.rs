//! Accounts, sessions, login failures and the audit trail.

use parindex_domain::access::{AuditEntry, GENESIS, Role, chain_hash};

use crate::{BeginWrite, Db, DbError, Result, on_db};

/// Appends one record to the hash chain inside an open transaction `$tx`.
/// The `UPDATE … RETURNING` on the single head row serialises concurrent appends.
macro_rules! audit_append {
    ($tx:expr, $entry:expr) => {{
        let entry: &parindex_domain::access::AuditEntry = $entry;
        let (prev,): (String,) =
            sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING hash")
                .fetch_one(&mut *$tx)
                .await?;
        let hash = parindex_domain::access::chain_hash(&prev, entry);
        sqlx::query(
            "INSERT INTO audit_log (happened_at, actor, action, entity, old_value, new_value, reason, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.entity)
        .bind(entry.old_value.as_deref())
        .bind(entry.new_value.as_deref())
        .bind(entry.reason.as_deref())
        .bind(&prev)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use audit_append;

/// Marks a set's pages as changed (inside the transaction that changes them).
macro_rules! bump_version {
    ($tx:expr, $set_id:expr) => {{
        sqlx::query("UPDATE criteria_sets SET data_version = data_version + 1 WHERE id = $1")
            .bind($set_id)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use bump_version;

/// Marks a set's pages as changed by one unit's change (inside the transaction that makes
/// it): the set's data version moves on and the unit's assessment records it, so that a
/// page holding an older version recomputes that unit only.
macro_rules! bump_unit_version {
    ($tx:expr, $set_id:expr, $unit:expr) => {{
        crate::accounts::bump_version!($tx, $set_id);
        sqlx::query(
            "UPDATE assessments SET changed_at_version = (SELECT data_version FROM criteria_sets WHERE id = $1) \
             WHERE set_id = $1 AND unit_code = $2",
        )
        .bind($set_id)
        .bind($unit)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use bump_unit_version;

/// Marks every unit of a set as changed (an import of points, a rule change).
macro_rules! bump_all_units_version {
    ($tx:expr, $set_id:expr) => {{
        crate::accounts::bump_version!($tx, $set_id);
        sqlx::query(
            "UPDATE assessments SET changed_at_version = (SELECT data_version FROM criteria_sets WHERE id = $1) \
             WHERE set_id = $1",
        )
        .bind($set_id)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use bump_all_units_version;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_code: Option<String>,
    pub active: bool,
}

/// A live session with its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user: User,
    pub csrf_token: String,
    /// The parent of the user's unit (a division's department).
    pub unit_parent: Option<String>,
    /// The name of the user's unit.
    pub unit_name: Option<String>,
    /// The password was set by someone else (the demo): it must be changed.
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub unit_code: Option<&'a str>,
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// Where the chain breaks, if it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCheck {
    Intact { records: i64 },
    Broken { record: i64, reason: String },
}

type UserRow = (i64, String, String, String, Option<String>, i64);

fn user_from(r: UserRow) -> Result<User> {
    Ok(User {
        id: r.0,
        username: r.1,
        display_name: r.2,
        role: Role::parse(&r.3)
            .ok_or_else(|| DbError::Corrupt(format!("vai trò `{}` không hợp lệ", r.3)))?,
        unit_code: r.4,
        active: r.5 != 0,
    })
}

impl Db {
    /// Creates an account (recorded in the audit trail). The username must be new.
    pub async fn create_user(&self, u: &NewUser<'_>, actor: &str, now: &str) -> Result<i64> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
                .bind(u.username)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                return Err(DbError::Conflict(format!("tên đăng nhập `{}` đã có", u.username)));
            }
            if let Some(unit) = u.unit_code {
                let found: Option<(String,)> = sqlx::query_as("SELECT code FROM units WHERE code = $1")
                    .bind(unit)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(DbError::UnknownUnits(vec![(unit.to_string(), 0)]));
                }
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO users (username, display_name, password_hash, role, unit_code, active, created_at, password_changed_at) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id",
            )
            .bind(u.username)
            .bind(u.display_name)
            .bind(u.password_hash)
            .bind(u.role.as_str())
            .bind(u.unit_code)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let entry = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "user.create".into(),
                entity: format!("user/{}", u.username),
                old_value: None,
                new_value: Some(format!("role={}; unit={}", u.role.as_str(), u.unit_code.unwrap_or("-"))),
                reason: None,
            };
            audit_append!(tx, &entry);
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        let sql = "SELECT id, username, display_name, role, unit_code, active FROM users ORDER BY username";
        let rows: Vec<UserRow> = on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        rows.into_iter().map(user_from).collect()
    }

    /// The password hash of an active account, for login.
    pub async fn login_record(&self, username: &str) -> Result<Option<(User, String)>> {
        let sql = "SELECT id, username, display_name, role, unit_code, active, password_hash FROM users WHERE username = $1 AND active = 1";
        let row: Option<(i64, String, String, String, Option<String>, i64, String)> =
            on_db!(self, pool => sqlx::query_as(sql).bind(username).fetch_optional(pool).await?);
        match row {
            None => Ok(None),
            Some(r) => {
                let hash = r.6.clone();
                Ok(Some((user_from((r.0, r.1, r.2, r.3, r.4, r.5))?, hash)))
            }
        }
    }

    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        actor: &str,
        now: &str,
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<(String,)> = sqlx::query_as("SELECT username FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((username,)) = row else {
                return Err(DbError::Conflict("tài khoản không còn tồn tại".into()));
            };
            sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = 0 WHERE id = $3")
                .bind(password_hash)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            // Every other session of this account ends with the old password.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry {
                at: now.to_string(),
                actor: actor.to_string(),
                action: "user.password".into(),
                entity: format!("user/{username}"),
                old_value: None,
                new_value: None,
                reason: None,
            };
            audit_append!(tx, &entry);
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        now: &str,
        expires: &str,
    ) -> Result<()> {
        let sql = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
        on_db!(self, pool => sqlx::query(sql).bind(token_hash).bind(user_id).bind(csrf).bind(now).bind(expires).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    pub async fn session(&self, token_hash: &str, now: &str) -> Result<Option<SessionUser>> {
        let sql = "SELECT u.id, u.username, u.display_name, u.role, u.unit_code, u.active, s.csrf_token, un.parent_code, un.name, u.must_change_password \
                   FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN units un ON un.code = u.unit_code \
                   WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1";
        let row: Option<(
            i64,
            String,
            String,
            String,
            Option<String>,
            i64,
            String,
            Option<String>,
            Option<String>,
            i64,
        )> = on_db!(self, pool => sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(pool).await?);
        match row {
            None => Ok(None),
            Some(r) => {
                let (csrf, unit_parent, unit_name) = (r.6.clone(), r.7.clone(), r.8.clone());
                Ok(Some(SessionUser {
                    user: user_from((r.0, r.1, r.2, r.3, r.4, r.5))?,
                    csrf_token: csrf,
                    unit_parent,
                    unit_name,
                    must_change_password: r.9 != 0,
                }))
            }
        }
    }

    /// Marks an account whose password someone else set (the demo's): its owner must change
    /// it at the first sign-in on a server not started with `--demo`.
    pub async fn require_password_change(&self, username: &str) -> Result<()> {
        on_db!(self, pool => sqlx::query("UPDATE users SET must_change_password = 1 WHERE username = $1")
            .bind(username).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Whether the account must change its password (see `require_password_change`).
    pub async fn must_change_password(&self, username: &str) -> Result<bool> {
        let row: Option<(i64,)> = on_db!(self, pool => sqlx::query_as("SELECT must_change_password FROM users WHERE username = $1")
            .bind(username).fetch_optional(pool).await?);
        Ok(row.is_some_and(|(n,)| n != 0))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_db!(self, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Records a failed login and returns how many failures `key` has since `since`.
    pub async fn record_login_failure(&self, key: &str, now: &str, since: &str) -> Result<i64> {
        on_db!(self, pool => {
            sqlx::query("DELETE FROM login_failures WHERE happened_at < $1").bind(since).execute(pool).await?;
            sqlx::query("INSERT INTO login_failures (attempt_key, happened_at) VALUES ($1, $2)")
                .bind(key).bind(now).execute(pool).await?;
        });
        self.login_failures(key, since).await
    }

    /// Counts one more sign-in attempt under each key, before its password is checked:
    /// returns each key's attempts within the window (this one included) and the id of the
    /// row recorded for it. A key already at its limit records nothing more (the count says
    /// limit + 1, the id is `None`). Concurrent attempts see each other's: SQLite writes one
    /// at a time, PostgreSQL takes a transaction lock first.
    pub async fn take_login_attempt(
        &self,
        keys: &[(String, i64)],
        now: &str,
        since: &str,
    ) -> Result<Vec<(i64, Option<i64>)>> {
        let postgres = matches!(self, Db::Postgres(_));
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock(727001)").execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM login_failures WHERE happened_at < $1").bind(since).execute(&mut *tx).await?;
            let mut out = Vec::with_capacity(keys.len());
            for (key, limit) in keys {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM login_failures WHERE attempt_key = $1 AND happened_at >= $2",
                )
                .bind(key).bind(since).fetch_one(&mut *tx).await?;
                if n >= *limit {
                    out.push((n + 1, None));
                    continue;
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO login_failures (attempt_key, happened_at) VALUES ($1, $2) RETURNING id",
                )
                .bind(key).bind(now).fetch_one(&mut *tx).await?;
                out.push((n + 1, Some(id)));
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Forgets the attempts a successful sign-in recorded (by their ids).
    pub async fn forget_login_attempts(&self, ids: &[i64]) -> Result<()> {
        for id in ids {
            on_db!(self, pool => sqlx::query("DELETE FROM login_failures WHERE id = $1")
                .bind(id).execute(pool).await.map(|_| ())?);
        }
        Ok(())
    }

    pub async fn login_failures(&self, key: &str, since: &str) -> Result<i64> {
        let sql =
            "SELECT COUNT(*) FROM login_failures WHERE attempt_key = $1 AND happened_at >= $2";
        let (n,): (i64,) =
            on_db!(self, pool => sqlx::query_as(sql).bind(key).bind(since).fetch_one(pool).await?);
        Ok(n)
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        on_db!(self, pool => sqlx::query("DELETE FROM login_failures WHERE attempt_key = $1").bind(key).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Appends one record on its own.
    pub async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            audit_append!(tx, entry);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records about one entity (or entities under a prefix), oldest first.
    pub async fn audit_history(&self, entity_prefix: &str) -> Result<Vec<AuditRecord>> {
        let sql = "SELECT id, happened_at, actor, action, entity, old_value, new_value, reason, prev_hash, hash \
                   FROM audit_log WHERE entity = $1 OR entity LIKE $2 ESCAPE '!' ORDER BY id";
        // `_` and `%` in a code (`website_posts`) match themselves, not any character.
        let escaped = entity_prefix
            .replace('!', "!!")
            .replace('%', "!%")
            .replace('_', "!_");
        let like = format!("{escaped}/%");
        let rows: Vec<AuditRow> = on_db!(self, pool => sqlx::query_as(sql).bind(entity_prefix).bind(like).fetch_all(pool).await?);
        Ok(rows.into_iter().map(audit_from).collect())
    }

    /// The trail's head: how many records it holds and the last one's hash. Kept outside
    /// the database (printed, mailed), it exposes a trail rewritten from that record back.
    pub async fn audit_head(&self) -> Result<(i64, String)> {
        Ok(
            on_db!(self, pool => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?),
        )
    }

    /// Recomputes the whole chain, then checks that record `n` (1 = the first) still has the
    /// hash of a head kept outside the database.
    pub async fn verify_audit_against(&self, head: (i64, &str)) -> Result<AuditCheck> {
        let check = self.verify_audit().await?;
        let AuditCheck::Intact { records } = check else {
            return Ok(check);
        };
        let (n, hash) = head;
        if n < 1 || n > records {
            return Ok(AuditCheck::Broken {
                record: n,
                reason: format!(
                    "nhật ký chỉ còn {records} bản ghi, ít hơn số bản ghi của mã đầu đã lưu"
                ),
            });
        }
        let row: Option<(String,)> = on_db!(self, pool =>
            sqlx::query_as("SELECT hash FROM audit_log ORDER BY id LIMIT 1 OFFSET $1")
                .bind(n - 1).fetch_optional(pool).await?);
        if row.is_none_or(|(h,)| h != hash) {
            return Ok(AuditCheck::Broken {
                record: n,
                reason: "mã băm khác với mã đầu đã lưu bên ngoài: nhật ký đã bị viết lại".into(),
            });
        }
        Ok(AuditCheck::Intact { records })
    }

    /// Recomputes the whole chain; the head must match the last record.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        let sql = "SELECT id, happened_at, actor, action, entity, old_value, new_value, reason, prev_hash, hash FROM audit_log ORDER BY id";
        let rows: Vec<AuditRow> = on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        let (seq, head): (i64, String) = on_db!(self, pool => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?);
        let mut prev = GENESIS.to_string();
        let mut count = 0i64;
        for r in rows.into_iter().map(audit_from) {
            if r.prev_hash != prev {
                return Ok(AuditCheck::Broken {
                    record: r.id,
                    reason: "liên kết với bản ghi trước bị đứt (có bản ghi bị xóa hoặc chèn)"
                        .into(),
                });
            }
            let expect = chain_hash(&prev, &r.entry);
            if expect != r.hash {
                return Ok(AuditCheck::Broken {
                    record: r.id,
                    reason: "nội dung bản ghi đã bị sửa".into(),
                });
            }
            prev = r.hash;
            count += 1;
        }
        if prev != head || count != seq {
            return Ok(AuditCheck::Broken {
                record: count + 1,
                reason: "các bản ghi cuối của nhật ký đã bị xóa".into(),
            });
        }
        Ok(AuditCheck::Intact { records: count })
    }
}

type AuditRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

fn audit_from(r: AuditRow) -> AuditRecord {
    AuditRecord {
        id: r.0,
        entry: AuditEntry {
            at: r.1,
            actor: r.2,
            action: r.3,
            entity: r.4,
            old_value: r.5,
            new_value: r.6,
            reason: r.7,
        },
        prev_hash: r.8,
        hash: r.9,
    }
}
