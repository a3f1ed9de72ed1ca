//! parindex-db: storage on SQLite (default) or PostgreSQL, chosen by URL.
//!
//! Both backends run the same SQL text (`$1` placeholders work on both) through the
//! `on_db!` macro, which expands one body per pool type; migrations are embedded and
//! carry the same file names on both sides.

mod accounts;
mod assess;
mod calendars;
mod cycle;
mod dossier_bulk;
mod dossier_copy;
mod dossier_import;
mod dossiers;
mod evidence;
mod import_reports;
mod indicators;
mod mappings;
mod narratives;
mod repo;
mod tasks;

pub use accounts::{AuditCheck, AuditRecord, NewUser, SessionUser, User};
pub use assess::{LeafChange, SaveOutcome, StoredLeaf};
pub use calendars::StoredCalendar;
pub use cycle::{Extension, PhaseWindow, Progress};
pub use dossier_import::{
    ImportContext, ImportOutcome, ImportRequest, ImportStage, csv_cell as csv_field,
};
pub use dossiers::{
    Breakdown, CatalogueEntry, DossierDetail, DossierFilter, DossierLine, DossierRecord, DueSoon,
    FigureChange, NewApology, PERIOD_COUNTS, PERIOD_TOTALS, PeriodRows, ProcedureBrief,
    StoreOptions, WriteAccess, period_condition,
};
pub use evidence::{Evidence, EvidenceFile, EvidenceMeta, NewFile};
pub use import_reports::ImportReport;
pub use repo::*;
pub use tasks::{
    NewTask, Notification, Occurrence, Recipient, StoredDirective, TaskSummary, Violation,
};

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// A transaction that will write. SQLite takes the write lock at `BEGIN IMMEDIATE`, so a
/// transaction that reads first never fails to upgrade with `SQLITE_BUSY` under load
/// (it waits on the busy timeout instead); PostgreSQL begins as usual.
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = std::result::Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>,
    > + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>,
    > + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>,
    > + Send {
        self.begin()
    }
}

/// Runs the same body against whichever pool the database uses.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("địa chỉ cơ sở dữ liệu không được hỗ trợ: {0} (dùng sqlite://… hoặc postgres://…)")]
    UnsupportedUrl(String),
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("lỗi chuyển đổi cơ sở dữ liệu: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("không tìm thấy bộ chỉ số `{0}`")]
    UnknownSet(String),
    #[error("bộ chỉ số `{0}` đã có điểm của đơn vị; hãy dùng mã (id) mới cho phiên bản mới")]
    SetInUse(String),
    #[error("đơn vị chưa có trong danh sách: {}", .0.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", "))]
    UnknownUnits(Vec<(String, usize)>),
    #[error("{0}")]
    Conflict(String),
    #[error("dữ liệu đã lưu bị hỏng: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unsupported(&'static str),
}

pub type Result<T> = std::result::Result<T, DbError>;

/// The database: one pool of either kind.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Connects by URL (`sqlite://file.db`, `sqlite::memory:`, `postgres://…`) and migrates.
    pub async fn connect(url: &str) -> Result<Db> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                // 32 MiB of page cache per connection (the default 2 MiB makes a large
                // import re-read index pages from the file for every batch).
                .pragma("cache_size", "-32768")
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            Db::Postgres(Self::pg_pool(opts).await?)
        } else {
            return Err(DbError::UnsupportedUrl(url.to_string()));
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Connects to PostgreSQL inside `schema` (created if missing): one schema per test.
    pub async fn connect_postgres_schema(url: &str, schema: &str) -> Result<Db> {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(PgConnectOptions::from_str(url)?)
            .await?;
        if !schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(DbError::UnsupportedUrl(format!("schema {schema}")));
        }
        // The name was checked above: lower-case letters, digits and `_` only.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .execute(&admin)
        .await?;
        admin.close().await;
        let opts = PgConnectOptions::from_str(url)?.options([("search_path", schema)]);
        let db = Db::Postgres(Self::pg_pool(opts).await?);
        db.migrate().await?;
        Ok(db)
    }

    async fn pg_pool(opts: PgConnectOptions) -> Result<PgPool> {
        Ok(PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?)
    }

    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// The file of a SQLite database kept on disk (`None` for PostgreSQL and in-memory
    /// databases), for the bulk path that writes it through its own connection.
    pub(crate) fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        let Db::Sqlite(pool) = self else { return None };
        let path = pool.connect_options().get_filename().to_path_buf();
        path.is_file().then_some(path)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        on_db!(self, p => p.close().await);
    }

    /// A consistent copy of the database into `path` (SQLite only).
    pub async fn backup(&self, path: &str) -> Result<()> {
        match self {
            Db::Sqlite(p) => {
                sqlx::query("VACUUM INTO $1").bind(path).execute(p).await?;
                Ok(())
            }
            Db::Postgres(_) => Err(DbError::Unsupported(
                "với PostgreSQL, hãy sao lưu bằng pg_dump (ví dụ: pg_dump -Fc -f parindex.dump URL)",
            )),
        }
    }
}

#[cfg(feature = "testkit")]
pub mod testkit;
