//! Administrative procedures and dossiers: storage and the figures of `dossiers stats`.

use std::collections::HashMap;

use parindex_domain::calendar::Instant;
use parindex_domain::dossiers::{Channel, DossierRow, Figures, Procedure, Status};
use parindex_domain::text::Date;
use rustc_hash::FxHashMap;

use crate::{BeginWrite, Db, DbError, Result, on_db};

/// A dossier ready to store: its due instant is known and it is classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierRecord {
    pub row: DossierRow,
    pub due_at: Instant,
    /// `Pending` for an unfinished dossier (overdue is a matter of the clock).
    pub status: Status,
    pub timely_apology: bool,
    /// Processing time of a finished dossier, thousandths of a working day.
    pub used_days_milli: Option<u64>,
}

/// What the import needs to know about a procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureBrief {
    pub unit_code: String,
    pub limit_days: u32,
    pub limit_unit: parindex_domain::calendar::LimitUnit,
}

/// The month (`2021-02`) of an instant column stored as a stamp (202102180915, see
/// `Instant::stamp`), in SQL both databases read alike.
macro_rules! month_of {
    ($col:literal) => {
        concat!(
            "(substr(CAST(",
            $col,
            " AS TEXT), 1, 4) || '-' || substr(CAST(",
            $col,
            " AS TEXT), 5, 2))"
        )
    };
}

/// The day (`2021-02-18`) of an instant column stored as a stamp: its month, then the day.
macro_rules! day_of {
    ($col:literal) => {
        concat!(
            "(",
            month_of!($col),
            " || '-' || substr(CAST(",
            $col,
            " AS TEXT), 7, 2))"
        )
    };
}

/// An instant read back from the database (see `Instant::stamp`), written out as the pages
/// and exports take it (`2021-02-18 09:15`).
fn iso(stamp: i64) -> String {
    Instant::from_stamp(stamp).map_or_else(|| stamp.to_string(), Instant::to_iso)
}

/// The day (`2021-02-18`) of an instant read back from the database.
fn day_iso(stamp: i64) -> String {
    iso(stamp).get(..10).unwrap_or_default().to_string()
}

/// The stamp of the first and last minute of a day, bounds of a period's receipts.
fn day_bounds(from: Date, to: Date) -> (i64, i64) {
    (
        Instant {
            date: from,
            minute: 0,
        }
        .stamp(),
        Instant {
            date: to,
            minute: 23 * 60 + 59,
        }
        .stamp(),
    )
}

/// A procedure's limit column `$col` (`p.limit_days`, `p.internal_days`) as whole working
/// days, by the procedure's `limit_unit` (`LimitUnit::in_working_days`, the same rounding).
macro_rules! limit_in_days {
    ($col:literal) => {
        concat!(
            "(CASE p.limit_unit WHEN 'working_hours' THEN (",
            $col,
            " + 7) / 8 WHEN 'calendar_days' THEN (",
            $col,
            " * 5 + 6) / 7 ELSE ",
            $col,
            " END)"
        )
    };
}

/// The rollups of one unit, recomputed from its dossiers.
pub(crate) const ROLLUP_REBUILD: &str = concat!(
    "INSERT INTO dossier_rollups (unit_code, procedure_code, day, received, finished, early, \
     on_time, late, late_no_apology, online, postal, timed, used_days_milli, limit_days, internal_days, internal_count, \
     withdrawn) \
     SELECT d.unit_code, d.procedure_code, ",
    day_of!("d.received_at"),
    ", COUNT(*), \
     SUM(CASE WHEN d.status IN ('early', 'on_time', 'late') THEN 1 ELSE 0 END), \
     SUM(CASE WHEN d.status = 'early' THEN 1 ELSE 0 END), \
     SUM(CASE WHEN d.status = 'on_time' THEN 1 ELSE 0 END), \
     SUM(CASE WHEN d.status = 'late' THEN 1 ELSE 0 END), \
     SUM(CASE WHEN d.status = 'late' AND NOT d.timely_apology THEN 1 ELSE 0 END), \
     SUM(CASE WHEN d.channel = 'online' THEN 1 ELSE 0 END), \
     SUM(CASE WHEN d.channel = 'postal' THEN 1 ELSE 0 END), \
     SUM(CASE WHEN d.used_days_milli IS NOT NULL THEN 1 ELSE 0 END), SUM(COALESCE(d.used_days_milli, 0)), \
     SUM(CASE WHEN d.used_days_milli IS NOT NULL THEN COALESCE(",
    limit_in_days!("p.limit_days"),
    ", 0) ELSE 0 END), \
     SUM(CASE WHEN d.used_days_milli IS NOT NULL THEN COALESCE(",
    limit_in_days!("p.internal_days"),
    ", 0) ELSE 0 END), \
     SUM(CASE WHEN d.used_days_milli IS NOT NULL AND p.internal_days IS NOT NULL THEN 1 ELSE 0 END), \
     SUM(CASE WHEN d.status = 'withdrawn' THEN 1 ELSE 0 END) \
     FROM dossiers d LEFT JOIN procedures p ON p.code = d.procedure_code \
     WHERE d.unit_code = $1 GROUP BY d.unit_code, d.procedure_code, ",
    day_of!("d.received_at")
);

/// The start of the statement storing dossiers (values follow), with the mark of the
/// import writing the row: the bulk path finds the rows a file holds twice with it, and
/// leaves it empty for units that had no dossier (their primary key finds them).
pub(crate) const DOSSIER_INSERT: &str = "INSERT INTO dossiers (unit_code, code, procedure_code, received_at, \
     due_at, finished_at, channel, apology_at, new_due_at, status, timely_apology, used_days_milli, import_mark, \
     outcome, paused_days, returned_at, return_channel) ";

/// A mark for the rows one import writes (nanoseconds since the epoch).
pub(crate) fn import_mark() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The condition on the unit of a query whose `$1` is the unit (`''` for all): two texts
/// rather than `($1 IS NULL OR unit_code = $1)`, which keeps the planner from using the
/// unit's index.
fn unit_condition(unit: Option<&str>) -> (&'static str, &str) {
    match unit {
        Some(u) => ("unit_code = $1", u),
        None => ("$1 = ''", ""),
    }
}

/// How a file's dossiers are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    pub access: WriteAccess,
    /// Whether the file has the columns of the result's return. A file without one (a list
    /// of dossiers received, exported apart from the returns) keeps what was stored in it
    /// before; a file with it sets it, an empty cell clearing.
    pub returned_at: bool,
    pub return_channel: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            access: WriteAccess::Shared,
            returned_at: true,
            return_channel: true,
        }
    }
}

/// The re-import clause `upsert` ([`DOSSIER_UPSERT`] or its PostgreSQL form) keeping the
/// stored value of each return column the file does not have (see [`StoreOptions`]).
pub(crate) fn upsert_keeping(upsert: &str, options: StoreOptions) -> std::borrow::Cow<'_, str> {
    let mut sql = std::borrow::Cow::Borrowed(upsert);
    for (given, column) in [
        (options.returned_at, "returned_at"),
        (options.return_channel, "return_channel"),
    ] {
        if !given {
            sql = std::borrow::Cow::Owned(sql.replace(
                &format!("{column} = excluded.{column}"),
                &format!("{column} = dossiers.{column}"),
            ));
        }
    }
    sql
}

/// Whether an import shares a SQLite database file while it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteAccess {
    /// Readers keep seeing the previous state until the commit (the write-ahead log, WAL):
    /// the web server's pages stay open during an upload.
    #[default]
    Shared,
    /// Nothing else has the file open: the rows go straight into the file (rollback
    /// journal) instead of into the WAL and then a second time into the file at the
    /// commit's checkpoint. Refused, before any row is stored, when another connection (the
    /// web server, another command) has the file open; the WAL is turned back on at the
    /// end, whatever the outcome. Only a SQLite file has this choice; elsewhere it is
    /// [`WriteAccess::Shared`].
    Exclusive,
}

/// What storing dossiers did.
#[derive(Debug, Default)]
pub struct Stored {
    pub stored: u64,
    /// Rows whose unit and code came earlier among the rows: not stored.
    pub duplicates: Vec<DossierRecord>,
}

/// Two independent 64-bit hashes of a unit and a dossier code.
fn fingerprint(unit: &str, code: &str) -> u128 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let half = |seed: u64| {
        let mut h =
            std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
                .build_hasher();
        h.write_u64(seed);
        h.write(unit.as_bytes());
        h.write_u8(0xff);
        h.write(code.as_bytes());
        h.finish()
    };
    (u128::from(half(0x5eed_0001)) << 64) | u128::from(half(0x5eed_0002))
}

/// The columns a re-import updates (see [`DOSSIER_UPSERT`]).
macro_rules! upsert_set {
    () => {
        " DO UPDATE SET procedure_code = excluded.procedure_code, \
     received_at = excluded.received_at, due_at = excluded.due_at, finished_at = excluded.finished_at, \
     channel = excluded.channel, status = excluded.status, used_days_milli = excluded.used_days_milli, \
     apology_at = COALESCE(excluded.apology_at, dossiers.apology_at), \
     new_due_at = CASE WHEN excluded.apology_at IS NULL THEN dossiers.new_due_at ELSE excluded.new_due_at END, \
     timely_apology = CASE WHEN excluded.apology_at IS NULL AND dossiers.apology_at IS NOT NULL \
     THEN dossiers.timely_apology ELSE excluded.timely_apology END, import_mark = excluded.import_mark, \
     outcome = excluded.outcome, paused_days = excluded.paused_days, returned_at = excluded.returned_at, \
     return_channel = excluded.return_channel"
    };
}

/// A re-imported dossier is updated by unit and code; a slip recorded in parindex survives
/// a re-import whose file has none.
pub(crate) const DOSSIER_UPSERT: &str = concat!(" ON CONFLICT (unit_code, code)", upsert_set!());

/// The same on PostgreSQL, whose dossiers are partitioned by year: the partition key is part
/// of every unique key (migration 0033; the import moves a dossier whose year changed first).
pub(crate) const DOSSIER_UPSERT_BY_YEAR: &str = concat!(
    " ON CONFLICT (unit_code, code, received_year)",
    upsert_set!()
);

/// The start of the statement storing rollup rows gathered by [`RollupTally`].
pub(crate) const ROLLUP_INSERT: &str = "INSERT INTO dossier_rollups (unit_code, procedure_code, day, received, finished, \
     early, on_time, late, late_no_apology, online, postal, timed, used_days_milli, limit_days, internal_days, \
     internal_count, withdrawn) ";

/// A unit's rollups, removed before they are summed again (`$1` the unit).
pub(crate) const ROLLUP_DELETE: &str = "DELETE FROM dossier_rollups WHERE unit_code = $1";

/// A unit's monthly sums, from its daily rollups (run after those changed; `$1` the unit).
const ROLLUP_MONTHS_DELETE: &str = "DELETE FROM dossier_rollup_months WHERE unit_code = $1";
const ROLLUP_MONTHS_REBUILD: &str = "INSERT INTO dossier_rollup_months (unit_code, month, received, \
     finished, early, on_time, late, late_no_apology, online, postal, timed, used_days_milli, limit_days, \
     internal_days, internal_count, withdrawn) \
     SELECT unit_code, substr(day, 1, 7), SUM(received), SUM(finished), SUM(early), SUM(on_time), SUM(late), \
     SUM(late_no_apology), SUM(online), SUM(postal), SUM(timed), SUM(used_days_milli), SUM(limit_days), \
     SUM(internal_days), SUM(internal_count), SUM(withdrawn) \
     FROM dossier_rollups WHERE unit_code = $1 GROUP BY unit_code, substr(day, 1, 7)";

/// A unit's dossiers in process per procedure, day of receipt and day due, from the
/// partial index alone (`$1` the unit; run after [`PENDING_DAYS_DELETE`]).
const PENDING_DAYS_DELETE: &str = "DELETE FROM dossier_pending_days WHERE unit_code = $1";
const PENDING_DAYS_REBUILD: &str = concat!(
    "INSERT INTO dossier_pending_days (unit_code, procedure_code, day, due_day, pending, no_apology) \
     SELECT unit_code, procedure_code, ",
    day_of!("received_at"),
    ", ",
    day_of!("due_at"),
    ", COUNT(*), SUM(CASE WHEN timely_apology THEN 0 ELSE 1 END) FROM dossiers \
     WHERE unit_code = $1 AND status = 'pending' GROUP BY unit_code, procedure_code, ",
    day_of!("received_at"),
    ", ",
    day_of!("due_at")
);

/// What an import makes again, in this order, for each unit it touched once the unit's
/// daily rollups are right (`$1` the unit): the monthly sums and the dossiers in process
/// per day due.
pub(crate) const AFTER_ROLLUPS: [&str; 4] = [
    ROLLUP_MONTHS_DELETE,
    ROLLUP_MONTHS_REBUILD,
    PENDING_DAYS_DELETE,
    PENDING_DAYS_REBUILD,
];

/// Whether a unit has dossiers (before an import adds some).
pub(crate) const UNIT_HAS_DOSSIERS: &str =
    "SELECT COUNT(*) FROM (SELECT 1 FROM dossiers WHERE unit_code = $1 LIMIT 1) t";

/// The sums of [`ROLLUP_REBUILD`], gathered in memory as the rows are stored: for each
/// unit, procedure and day of receipt, `received, finished, early, on_time, late,
/// late_no_apology, online, postal, timed, used_days_milli, limit_days, internal_days,
/// internal_count`. They are complete for a unit that had no dossier before the import.
#[derive(Default)]
pub(crate) struct RollupTally {
    units: Vec<String>,
    unit_index: FxHashMap<String, usize>,
    procedures: Vec<String>,
    procedure_index: FxHashMap<String, usize>,
    /// Each procedure's legal and internal limits, by its index in `procedures`.
    procedure_limits: Vec<(i64, Option<i64>)>,
    // Hashed millions of times by small integer keys: Fx, not SipHash.
    sums: FxHashMap<(usize, usize, Date), [i64; 14]>,
}

/// A row of `dossier_rollups` from a tally: unit, procedure, day, the sums.
pub(crate) type TallyRow<'a> = (&'a str, &'a str, Date, [i64; 14]);

/// Each unit an import met, with whether it had no dossier before (then its rollups are
/// the import's sums; otherwise they are rebuilt from its dossiers).
#[derive(Default)]
pub(crate) struct UnitsMet(FxHashMap<String, bool>);

impl UnitsMet {
    /// Whether `unit` had no dossier, once it was met.
    pub(crate) fn fresh(&self, unit: &str) -> Option<bool> {
        self.0.get(unit).copied()
    }

    pub(crate) fn meet(&mut self, unit: &str, fresh: bool) {
        self.0.insert(unit.to_string(), fresh);
    }

    /// Each unit met, with whether it had no dossier.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, bool)> {
        self.0.iter().map(|(u, f)| (u.as_str(), *f))
    }
}

fn intern(names: &mut Vec<String>, index: &mut FxHashMap<String, usize>, name: &str) -> usize {
    if let Some(&i) = index.get(name) {
        return i;
    }
    names.push(name.to_string());
    index.insert(name.to_string(), names.len() - 1);
    names.len() - 1
}

impl RollupTally {
    /// The units met, in the order first met.
    pub(crate) fn units(&self) -> &[String] {
        &self.units
    }

    /// Counts a dossier.
    pub(crate) fn add(&mut self, d: &DossierRecord, limits: &HashMap<String, (i64, Option<i64>)>) {
        self.count(d, limits, 1);
    }

    /// Takes back a dossier counted but not stored.
    pub(crate) fn remove(
        &mut self,
        d: &DossierRecord,
        limits: &HashMap<String, (i64, Option<i64>)>,
    ) {
        self.count(d, limits, -1);
    }

    fn count(
        &mut self,
        d: &DossierRecord,
        limits: &HashMap<String, (i64, Option<i64>)>,
        sign: i64,
    ) {
        let u = intern(&mut self.units, &mut self.unit_index, &d.row.unit_code);
        let p = intern(
            &mut self.procedures,
            &mut self.procedure_index,
            &d.row.procedure_code,
        );
        if p == self.procedure_limits.len() {
            let l = limits.get(&d.row.procedure_code).copied();
            self.procedure_limits.push(l.unwrap_or((0, None)));
        }
        let one = |b: bool| i64::from(b);
        let (limit, internal) = self.procedure_limits[p];
        let timed = d.used_days_milli.is_some();
        let v = self.sums.entry((u, p, d.row.received_at.date)).or_default();
        let add = [
            1,
            one(matches!(
                d.status,
                Status::Early | Status::OnTime | Status::Late
            )),
            one(d.status == Status::Early),
            one(d.status == Status::OnTime),
            one(d.status == Status::Late),
            one(d.status == Status::Late && !d.timely_apology),
            one(d.row.channel == Channel::Online),
            one(d.row.channel == Channel::Postal),
            one(timed),
            d.used_days_milli
                .map_or(0, |m| i64::try_from(m).unwrap_or(i64::MAX)),
            if timed { limit } else { 0 },
            if timed { internal.unwrap_or(0) } else { 0 },
            one(timed && internal.is_some()),
            one(d.status == Status::Withdrawn),
        ];
        for (x, a) in v.iter_mut().zip(add) {
            *x = x.saturating_add(sign * a);
        }
    }

    /// The sums of the units `met` found without dossiers, as rows of `dossier_rollups`.
    pub(crate) fn fresh_rows(&self, met: &UnitsMet) -> Vec<TallyRow<'_>> {
        let mut out: Vec<_> = self
            .sums
            .iter()
            .filter(|((u, _, _), _)| met.fresh(&self.units[*u]) == Some(true))
            .map(|((u, p, day), v)| {
                (
                    self.units[*u].as_str(),
                    self.procedures[*p].as_str(),
                    *day,
                    *v,
                )
            })
            .collect();
        out.sort_by(|a, b| (a.0, a.2, a.1).cmp(&(b.0, b.2, b.1)));
        out
    }
}

/// The sums of the rollups' columns, as [`Sums`].
const SUMS: &str = "CAST(COALESCE(SUM(received), 0) AS BIGINT), CAST(COALESCE(SUM(finished), 0) AS BIGINT), \
     CAST(COALESCE(SUM(early), 0) AS BIGINT), CAST(COALESCE(SUM(on_time), 0) AS BIGINT), \
     CAST(COALESCE(SUM(late), 0) AS BIGINT), CAST(COALESCE(SUM(late_no_apology), 0) AS BIGINT), \
     CAST(COALESCE(SUM(online), 0) AS BIGINT), CAST(COALESCE(SUM(postal), 0) AS BIGINT), \
     CAST(COALESCE(SUM(timed), 0) AS BIGINT), CAST(COALESCE(SUM(used_days_milli), 0) AS BIGINT), \
     CAST(COALESCE(SUM(limit_days), 0) AS BIGINT), CAST(COALESCE(SUM(internal_days), 0) AS BIGINT), \
     CAST(COALESCE(SUM(internal_count), 0) AS BIGINT), CAST(COALESCE(SUM(withdrawn), 0) AS BIGINT)";

/// The columns [`SUMS`] adds up, in both rollup tables.
const SUMMED: &str = "unit_code, received, finished, early, on_time, late, late_no_apology, online, postal, \
     timed, used_days_milli, limit_days, internal_days, internal_count, withdrawn";

/// The sums of no dossier.
const NO_SUMS: Sums = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

type Sums = (
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

/// The figures from the rollups' sums and the count of overdue dossiers in process (and of
/// those of them without a timely slip).
fn figures_of(sums: &Sums, overdue: (u64, u64)) -> Figures {
    Figures {
        received: count(sums.0),
        finished: count(sums.1),
        early: count(sums.2),
        on_time: count(sums.3),
        late: count(sums.4),
        // Withdrawn dossiers are neither finished nor pending.
        pending: count(sums.0 - sums.1 - sums.13),
        pending_overdue: overdue.0,
        late_without_apology: count(sums.5) + overdue.1,
        online: count(sums.6),
        postal: count(sums.7),
        timed: count(sums.8),
        used_days_milli: count(sums.9),
        limit_days: count(sums.10),
        internal_days: count(sums.11),
        internal_count: count(sums.12),
    }
}

/// Whole months of a period are read from the monthly sums, the days before the first and
/// after the last whole month from the daily ones, as two ranges of the day index: the
/// first and last whole month (`YYYY-MM`), the end (excluded) of the days before, the start
/// (excluded) of the days after. Without a whole month, the days before are the period.
fn period_bounds(from: Date, to: Date) -> (String, String, String, String) {
    match full_months(from, to) {
        Some((first, last)) => (
            first.to_iso()[..7].to_string(),
            last.to_iso()[..7].to_string(),
            first.to_iso(),
            last.to_iso(),
        ),
        None => period_bounds_without_months(to),
    }
}

/// [`period_bounds`] reading every day of the period from the daily sums.
fn period_bounds_without_months(to: Date) -> (String, String, String, String) {
    (
        "9999-12".to_string(),
        "0000-01".to_string(),
        parindex_domain::schedule::from_days(to.days_since_epoch() + 1).to_iso(),
        to.to_iso(),
    )
}

/// The first day of the first whole month in `[from, to]` and the last day of the last one.
fn full_months(from: Date, to: Date) -> Option<(Date, Date)> {
    use parindex_domain::schedule::from_days;
    let first = if from.day == 1 {
        from
    } else if from.month == 12 {
        Date::new(from.year + 1, 1, 1)?
    } else {
        Date::new(from.year, from.month + 1, 1)?
    };
    let last = if from_days(to.days_since_epoch() + 1).day == 1 {
        to
    } else {
        from_days(Date::new(to.year, to.month, 1)?.days_since_epoch() - 1)
    };
    (first <= last).then_some((first, last))
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Db {
    /// Inserts or updates procedures by code, all or nothing; every unit must exist.
    pub async fn upsert_procedures(&self, rows: &[Procedure], now: &str) -> Result<usize> {
        let known: std::collections::HashSet<String> = self
            .list_units()
            .await?
            .into_iter()
            .map(|u| u.code)
            .collect();
        let missing: Vec<(String, usize)> = rows
            .iter()
            .filter(|p| !known.contains(&p.unit_code))
            .map(|p| (p.unit_code.clone(), p.line))
            .collect();
        if !missing.is_empty() {
            return Err(DbError::UnknownUnits(missing));
        }
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for p in rows {
                sqlx::query(
                    "INSERT INTO procedures (code, name, unit_code, limit_days, internal_days, online_level, postal, updated_at, field, limit_unit) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit_code = excluded.unit_code, \
                     limit_days = excluded.limit_days, internal_days = excluded.internal_days, \
                     online_level = excluded.online_level, postal = excluded.postal, updated_at = excluded.updated_at, \
                     field = excluded.field, limit_unit = excluded.limit_unit",
                )
                .bind(&p.code)
                .bind(&p.name)
                .bind(&p.unit_code)
                .bind(i64::from(p.limit_days))
                .bind(p.internal_days.map(i64::from))
                .bind(p.online_level.map(parindex_domain::dossiers::OnlineLevel::as_str))
                .bind(p.postal)
                .bind(now)
                .bind(p.field.as_deref())
                .bind(p.limit_unit.as_str())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(rows.len())
        })
    }

    /// Every procedure's unit and legal limit, by code.
    pub async fn procedure_briefs(&self) -> Result<HashMap<String, ProcedureBrief>> {
        let sql = "SELECT code, unit_code, CAST(limit_days AS BIGINT), limit_unit FROM procedures";
        let rows: Vec<(String, String, i64, Option<String>)> =
            on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(code, unit_code, limit, unit)| {
                let limit_days = u32::try_from(limit).unwrap_or(1);
                (
                    code,
                    ProcedureBrief {
                        unit_code,
                        limit_days,
                        limit_unit: unit
                            .as_deref()
                            .and_then(parindex_domain::calendar::LimitUnit::parse)
                            .unwrap_or_default(),
                    },
                )
            })
            .collect())
    }

    /// Stores dossiers in one transaction, updating those already known by unit and code; a
    /// row whose unit and code came earlier among `rows` is not stored (the count says how
    /// many were). `progress` is called with the number stored so far about every 10,000
    /// rows.
    pub async fn store_dossiers<I>(&self, rows: I, progress: impl FnMut(u64)) -> Result<u64>
    where
        I: IntoIterator<Item = DossierRecord>,
    {
        Ok(self
            .store_dossiers_if(rows, StoreOptions::default(), progress, |_| true)
            .await?
            .stored)
    }

    /// Like [`Db::store_dossiers`], but once every row has been read `keep` decides, seeing
    /// the rows found twice: on `false` nothing is stored (the transaction is rolled back)
    /// and 0 is returned. The importer checks and stores in a single pass this way, all or
    /// nothing.
    ///
    /// A SQLite database on disk is written through a connection of its own on a thread of
    /// its own while this thread reads and checks the rows (see `dossier_bulk`); PostgreSQL
    /// takes them through `COPY` into a staging table and one `INSERT … SELECT`
    /// (`dossier_copy`). Both find rows twice in the database, so memory does not grow with
    /// the file. An in-memory SQLite database (tests) takes 500 rows per statement and finds
    /// rows twice by fingerprints kept in memory (16 bytes a row).
    ///
    /// The rollups of a unit that had no dossier before are summed here as the rows go by;
    /// those of a unit that had some are rebuilt from its dossiers (re-imported dossiers may
    /// have moved between days, procedures or outcomes).
    pub async fn store_dossiers_if<I>(
        &self,
        rows: I,
        options: StoreOptions,
        mut progress: impl FnMut(u64),
        keep: impl FnOnce(&[DossierRecord]) -> bool,
    ) -> Result<Stored>
    where
        I: IntoIterator<Item = DossierRecord>,
    {
        const BATCH: usize = 500;
        let access = options.access;
        let limits = self.procedure_limits().await?;
        if let Some(path) = self.sqlite_file() {
            if access == WriteAccess::Exclusive
                && let Db::Sqlite(pool) = self
            {
                // This process's own connections would keep the file shared: each is closed
                // once back in the pool (a connection just used comes back a moment later).
                let waiting = std::time::Instant::now();
                while pool.size() > 0 && waiting.elapsed() < std::time::Duration::from_secs(2) {
                    match pool.try_acquire() {
                        Some(c) => c.close().await?,
                        None => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
                    }
                }
            }
            return crate::dossier_bulk::store(&path, rows, &limits, options, progress, keep);
        }
        if let Db::Postgres(pool) = self {
            return crate::dossier_copy::store(pool, rows, &limits, options, progress, keep).await;
        }
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mark = import_mark();
            let mut tally = RollupTally::default();
            let mut met = UnitsMet::default();
            let mut seen: std::collections::HashSet<u128> = std::collections::HashSet::new();
            let mut duplicates = Vec::new();
            let mut n = 0u64;
            let mut rows = rows.into_iter();
            let mut next: Vec<DossierRecord> = rows.by_ref().take(BATCH).collect();
            while !next.is_empty() {
                let (batch, twice): (Vec<DossierRecord>, Vec<DossierRecord>) =
                    std::mem::replace(&mut next, Vec::with_capacity(BATCH))
                        .into_iter()
                        .partition(|d| seen.insert(fingerprint(&d.row.unit_code, &d.row.code)));
                duplicates.extend(twice);
                if batch.is_empty() {
                    next.extend(rows.by_ref().take(BATCH));
                    continue;
                }
                for d in &batch {
                    if met.fresh(&d.row.unit_code).is_none() {
                        let (had,): (i64,) = sqlx::query_as(UNIT_HAS_DOSSIERS)
                            .bind(&d.row.unit_code)
                            .fetch_one(&mut *tx)
                            .await?;
                        met.meet(&d.row.unit_code, had == 0);
                    }
                    tally.add(d, &limits);
                }
                let mut q = sqlx::QueryBuilder::new(DOSSIER_INSERT);
                q.push_values(batch.iter(), |mut b, d| {
                    let r = &d.row;
                    b.push_bind(&r.unit_code)
                        .push_bind(&r.code)
                        .push_bind(&r.procedure_code)
                        .push_bind(r.received_at.stamp())
                        .push_bind(d.due_at.stamp())
                        .push_bind(r.finished_at.map(Instant::stamp))
                        .push_bind(r.channel.as_str())
                        .push_bind(r.apology_at.map(Instant::stamp))
                        .push_bind(r.new_due_at.map(Instant::stamp))
                        .push_bind(d.status.as_str())
                        .push_bind(d.timely_apology)
                        .push_bind(d.used_days_milli.map(|m| i64::try_from(m).unwrap_or(i64::MAX)))
                        .push_bind(mark)
                        .push_bind(r.outcome.map(parindex_domain::dossiers::Outcome::as_str))
                        .push_bind(i64::from(r.paused_days))
                        .push_bind(r.returned_at.map(Instant::stamp))
                        .push_bind(r.return_channel.map(parindex_domain::dossiers::Channel::as_str));
                });
                q.push(upsert_keeping(DOSSIER_UPSERT, options));
                // The database stores this batch while the next one is read and checked
                // (the statement is handed over on the first poll; reading never awaits).
                let (stored, ()) = tokio::join!(
                    q.build().persistent(true).execute(&mut *tx),
                    async { next.extend(rows.by_ref().take(BATCH)) }
                );
                stored?;
                let before = n;
                n += batch.len() as u64;
                if before / 10_000 != n / 10_000 {
                    progress(n);
                }
            }
            if !keep(&duplicates) {
                tx.rollback().await?;
                return Ok(Stored { stored: 0, duplicates });
            }
            for (unit, fresh) in met.iter() {
                sqlx::query(ROLLUP_DELETE)
                    .bind(unit)
                    .execute(&mut *tx)
                    .await?;
                if !fresh {
                    sqlx::query(ROLLUP_REBUILD).bind(unit).execute(&mut *tx).await?;
                }
            }
            let sums = tally.fresh_rows(&met);
            for chunk in sums.chunks(BATCH) {
                let mut q = sqlx::QueryBuilder::new(ROLLUP_INSERT);
                q.push_values(chunk.iter(), |mut b, (unit, procedure, day, v)| {
                    b.push_bind(*unit).push_bind(*procedure).push_bind(day.to_iso());
                    for x in v {
                        b.push_bind(*x);
                    }
                });
                q.build().execute(&mut *tx).await?;
            }
            for sql in AFTER_ROLLUPS {
                for (unit, _) in met.iter() {
                    sqlx::query(sql).bind(unit).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            progress(n);
            Ok(Stored { stored: n, duplicates })
        })
    }

    /// Every procedure's legal and internal limits as whole working days (for the
    /// rollups' sums, see `LimitUnit::in_working_days`), by code.
    async fn procedure_limits(&self) -> Result<HashMap<String, (i64, Option<i64>)>> {
        let sql = "SELECT code, CAST(limit_days AS BIGINT), CAST(internal_days AS BIGINT), limit_unit \
                   FROM procedures";
        let rows: Vec<(String, i64, Option<i64>, Option<String>)> =
            on_db!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(c, l, i, unit)| {
                let unit = unit
                    .as_deref()
                    .and_then(parindex_domain::calendar::LimitUnit::parse)
                    .unwrap_or_default();
                (
                    c,
                    (unit.in_working_days(l), i.map(|i| unit.in_working_days(i))),
                )
            })
            .collect())
    }

    /// The figures of the dossiers received in `[from, to]` by one unit or all, with
    /// pending dossiers judged overdue against `as_of`.
    ///
    /// All read from the rollups: the sums from the daily and monthly ones, the overdue
    /// count from `dossier_pending_days` (see `overdue_by`).
    pub async fn dossier_figures(
        &self,
        unit: Option<&str>,
        from: Date,
        to: Date,
        as_of: Instant,
    ) -> Result<Figures> {
        let sums = self
            .rollup_sums(unit, from, to, None)
            .await?
            .pop()
            .map_or(NO_SUMS, |(_, sums)| sums);
        let overdue = self
            .overdue_by(unit, from, to, as_of, None)
            .await?
            .remove("")
            .unwrap_or_default();
        Ok(figures_of(&sums, overdue))
    }

    /// The dossiers in process received in `[from, to]` by one unit or all that are
    /// overdue at `as_of`, and how many of them have no timely apology slip, per key of
    /// `by` (one key, `""`, without a breakdown): those due on an earlier day from
    /// `dossier_pending_days`, those due earlier on `as_of`'s own day from the dossiers.
    async fn overdue_by(
        &self,
        unit: Option<&str>,
        from: Date,
        to: Date,
        as_of: Instant,
        by: Option<Breakdown>,
    ) -> Result<HashMap<String, (u64, u64)>> {
        let (days_key, dossier_key) = match by {
            None => ("''", "''"),
            Some(Breakdown::Procedure) => ("procedure_code", "procedure_code"),
            Some(Breakdown::Month) => ("substr(day, 1, 7)", month_of!("received_at")),
            Some(Breakdown::Unit) => ("unit_code", "unit_code"),
        };
        let (unit_cond, unit_bind) = unit_condition(unit);
        let sql = format!(
            "SELECT k, CAST(SUM(n) AS BIGINT), CAST(SUM(m) AS BIGINT) FROM (\
             SELECT {days_key} AS k, pending AS n, no_apology AS m FROM dossier_pending_days \
             WHERE {unit_cond} AND day >= $2 AND day <= $3 AND due_day < $4 \
             UNION ALL SELECT {dossier_key}, 1, CASE WHEN timely_apology THEN 0 ELSE 1 END FROM dossiers \
             WHERE status = 'pending' AND {unit_cond} AND received_at >= $5 AND received_at <= $6 \
             AND due_at >= $7 AND due_at < $8) t GROUP BY k"
        );
        let (first, last) = day_bounds(from, to);
        let day_start = Instant {
            date: as_of.date,
            minute: 0,
        }
        .stamp();
        let rows: Vec<(String, i64, i64)> = on_db!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(unit_bind)
            .bind(from.to_iso())
            .bind(to.to_iso())
            .bind(as_of.date.to_iso())
            .bind(first)
            .bind(last)
            .bind(day_start)
            .bind(as_of.stamp())
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|(k, a, b)| (k, (count(a), count(b))))
            .collect())
    }

    /// The rollups' sums over the dossiers received in `[from, to]`, per key of `by` (one
    /// key, `""`, without a breakdown): whole months from the monthly sums, the days around
    /// them from the daily ones. Per procedure, every day from the daily ones (the monthly
    /// sums are per unit).
    async fn rollup_sums(
        &self,
        unit: Option<&str>,
        from: Date,
        to: Date,
        by: Option<Breakdown>,
    ) -> Result<Vec<(String, Sums)>> {
        let (month_key, day_key) = match by {
            None => ("''", "''"),
            // The monthly sums have no procedure: none of them is read (see below).
            Some(Breakdown::Procedure) => ("''", "procedure_code"),
            Some(Breakdown::Month) => ("month", "substr(day, 1, 7)"),
            Some(Breakdown::Unit) => ("unit_code", "unit_code"),
        };
        let (month_from, month_to, days_before, days_after) = if by == Some(Breakdown::Procedure) {
            period_bounds_without_months(to)
        } else {
            period_bounds(from, to)
        };
        let (unit_cond, unit_bind) = unit_condition(unit);
        let sums_sql = format!(
            "SELECT k, {SUMS} FROM (SELECT {month_key} AS k, {SUMMED} FROM dossier_rollup_months \
             WHERE {unit_cond} AND month >= $4 AND month <= $5 \
             UNION ALL SELECT {day_key}, {SUMMED} FROM dossier_rollups WHERE {unit_cond} AND day >= $2 AND day < $6 \
             UNION ALL SELECT {day_key}, {SUMMED} FROM dossier_rollups WHERE {unit_cond} AND day > $7 AND day <= $3) t \
             GROUP BY k ORDER BY k"
        );
        type Row = (
            String,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
            i64,
        );
        let rows: Vec<Row> = on_db!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sums_sql.as_str()))
            .bind(unit_bind)
            .bind(from.to_iso())
            .bind(to.to_iso())
            .bind(&month_from)
            .bind(&month_to)
            .bind(&days_before)
            .bind(&days_after)
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|r| {
                let sums = (
                    r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13, r.14,
                );
                (r.0, sums)
            })
            .collect())
    }
}

/// How figures are broken down on the statistics pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    Procedure,
    /// `YYYY-MM` of the receipt.
    Month,
    Unit,
}

/// Which dossiers a drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DossierFilter {
    Received,
    Finished,
    Early,
    OnTime,
    Late,
    Pending,
    PendingOverdue,
    LateWithoutApology,
    Online,
    Postal,
}

impl DossierFilter {
    pub const ALL: [DossierFilter; 10] = [
        DossierFilter::Received,
        DossierFilter::Finished,
        DossierFilter::Early,
        DossierFilter::OnTime,
        DossierFilter::Late,
        DossierFilter::Pending,
        DossierFilter::PendingOverdue,
        DossierFilter::LateWithoutApology,
        DossierFilter::Online,
        DossierFilter::Postal,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DossierFilter::Received => "received",
            DossierFilter::Finished => "finished",
            DossierFilter::Early => "early",
            DossierFilter::OnTime => "on_time",
            DossierFilter::Late => "late",
            DossierFilter::Pending => "pending",
            DossierFilter::PendingOverdue => "pending_overdue",
            DossierFilter::LateWithoutApology => "late_without_apology",
            DossierFilter::Online => "online",
            DossierFilter::Postal => "postal",
        }
    }

    pub fn parse(s: &str) -> Option<DossierFilter> {
        DossierFilter::ALL.into_iter().find(|f| f.key() == s)
    }

    /// The SQL condition (`$4` is the as-of instant).
    fn condition(self) -> &'static str {
        match self {
            DossierFilter::Received => "1 = 1",
            DossierFilter::Finished => "status IN ('early', 'on_time', 'late')",
            DossierFilter::Early => "status = 'early'",
            DossierFilter::OnTime => "status = 'on_time'",
            DossierFilter::Late => "status = 'late'",
            DossierFilter::Pending => "status = 'pending'",
            DossierFilter::PendingOverdue => "status = 'pending' AND due_at < $4",
            DossierFilter::LateWithoutApology => {
                "((status = 'late') OR (status = 'pending' AND due_at < $4)) AND NOT timely_apology"
            }
            DossierFilter::Online => "channel = 'online'",
            DossierFilter::Postal => "channel = 'postal'",
        }
    }
}

/// What the lists select for a [`LineRow`].
const LINE_COLUMNS: &str = "code, procedure_code, received_at, due_at, finished_at, channel, status, \
     apology_at, new_due_at, timely_apology, unit_code";

/// The columns of a [`DossierLine`], in the order the queries select them.
type LineRow = (
    String,
    String,
    i64,
    i64,
    Option<i64>,
    String,
    String,
    Option<i64>,
    Option<i64>,
    bool,
    String,
);

fn line_of(r: LineRow) -> DossierLine {
    DossierLine {
        code: r.0,
        procedure_code: r.1,
        received_at: iso(r.2),
        due_at: iso(r.3),
        finished_at: r.4.map(iso),
        channel: r.5,
        status: r.6,
        apology_at: r.7.map(iso),
        new_due_at: r.8.map(iso),
        timely_apology: r.9,
        unit_code: r.10,
    }
}

/// One dossier in a drill-down list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierLine {
    /// The unit that processes it (codes are unique per unit only).
    pub unit_code: String,
    pub code: String,
    pub procedure_code: String,
    pub received_at: String,
    pub due_at: String,
    pub finished_at: Option<String>,
    pub channel: String,
    pub status: String,
    pub apology_at: Option<String>,
    pub new_due_at: Option<String>,
    pub timely_apology: bool,
}

impl Db {
    /// The figures of the dossiers received in `[from, to]` by one unit or all, per
    /// procedure, month or unit, read from the rollups like [`Db::dossier_figures`].
    pub async fn dossier_figures_by(
        &self,
        unit: Option<&str>,
        from: Date,
        to: Date,
        as_of: Instant,
        by: Breakdown,
    ) -> Result<Vec<(String, Figures)>> {
        let rows = self.rollup_sums(unit, from, to, Some(by)).await?;
        let overdue = self.overdue_by(unit, from, to, as_of, Some(by)).await?;
        Ok(rows
            .into_iter()
            .map(|(k, sums)| {
                let o = overdue.get(&k).copied().unwrap_or_default();
                let f = figures_of(&sums, o);
                (k, f)
            })
            .collect())
    }

    /// The dossiers behind a figure: one unit's, received in `[from, to]`, of one procedure
    /// or all, matching `filter`, in receipt order; at most `limit` of them, with how many
    /// match in all.
    #[expect(clippy::too_many_arguments, reason = "one query's parameters")]
    pub async fn dossier_list(
        &self,
        unit: &str,
        from: Date,
        to: Date,
        as_of: Instant,
        procedure: Option<&str>,
        filter: DossierFilter,
        limit: i64,
    ) -> Result<(i64, Vec<DossierLine>)> {
        let cond = filter.condition();
        let procedure_cond = if procedure.is_some() {
            "AND procedure_code = $5"
        } else {
            "AND $5 IS NULL"
        };
        let base = format!(
            "FROM dossiers WHERE unit_code = $1 AND received_at >= $2 AND received_at <= $3 \
             AND {cond} {procedure_cond}"
        );
        let (from, to) = day_bounds(from, to);
        let as_of = as_of.stamp();
        let (total,): (i64,) = on_db!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {base}")))
            .bind(unit)
            .bind(from)
            .bind(to)
            .bind(as_of)
            .bind(procedure)
            .fetch_one(pool)
            .await?);
        let sql = format!("SELECT {LINE_COLUMNS} {base} ORDER BY received_at, code LIMIT $6");
        let rows: Vec<LineRow> = on_db!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(unit)
            .bind(from)
            .bind(to)
            .bind(as_of)
            .bind(procedure)
            .bind(limit)
            .fetch_all(pool)
            .await?);
        Ok((total, rows.into_iter().map(line_of).collect()))
    }

    /// Names and legal limits of procedures by code.
    pub async fn procedure_names(&self) -> Result<HashMap<String, (String, i64, Option<i64>)>> {
        let rows: Vec<(String, String, i64, Option<i64>)> = on_db!(self, pool => sqlx::query_as(
            "SELECT code, name, CAST(limit_days AS BIGINT), CAST(internal_days AS BIGINT) FROM procedures",
        )
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().map(|r| (r.0, (r.1, r.2, r.3))).collect())
    }
}

/// A dossier with what its apology slip needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierDetail {
    pub line: DossierLine,
    pub procedure_name: String,
    pub unit_name: String,
    pub apology_reason: Option<String>,
    pub apology_applicant: Option<String>,
    pub apology_by: Option<String>,
}

/// An apology slip to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApology {
    pub at: Instant,
    pub new_due: Instant,
    pub reason: String,
    pub applicant: String,
    pub by: String,
    /// Issued at least one working day before the due instant (Nghị định 61/2018).
    pub timely: bool,
}

impl Db {
    /// One dossier with its procedure's and unit's names.
    pub async fn dossier(&self, unit: &str, code: &str) -> Result<Option<DossierDetail>> {
        type Row = (
            String,
            String,
            i64,
            i64,
            Option<i64>,
            String,
            String,
            Option<i64>,
            Option<i64>,
            bool,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let row: Option<Row> = on_db!(self, pool => sqlx::query_as(
            "SELECT d.code, d.procedure_code, d.received_at, d.due_at, d.finished_at, d.channel, d.status, \
             d.apology_at, d.new_due_at, d.timely_apology, p.name, u.name, d.apology_reason, d.apology_applicant, d.apology_by \
             FROM dossiers d JOIN units u ON u.code = d.unit_code LEFT JOIN procedures p ON p.code = d.procedure_code \
             WHERE d.unit_code = $1 AND d.code = $2",
        )
        .bind(unit)
        .bind(code)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|r| DossierDetail {
            line: line_of((
                r.0,
                r.1,
                r.2,
                r.3,
                r.4,
                r.5,
                r.6,
                r.7,
                r.8,
                r.9,
                unit.to_string(),
            )),
            procedure_name: r.10.unwrap_or_default(),
            unit_name: r.11,
            apology_reason: r.12,
            apology_applicant: r.13,
            apology_by: r.14,
        }))
    }

    /// Records a dossier's apology slip and its single new date; refuses a second one
    /// (`Conflict`) and a dossier finished in time. Rebuilds the unit's rollups. `None`
    /// when there is no such dossier.
    pub async fn record_apology(
        &self,
        unit: &str,
        code: &str,
        a: &NewApology,
    ) -> Result<Option<()>> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<(String, i64, Option<i64>, String, i64, bool)> = sqlx::query_as(
                "SELECT status, due_at, apology_at, procedure_code, received_at, timely_apology \
                 FROM dossiers WHERE unit_code = $1 AND code = $2",
            )
            .bind(unit)
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((status, due_at, apology_at, procedure, received_at, was_timely)) = row else {
                return Ok(None);
            };
            if let Some(at) = apology_at {
                return Err(DbError::Conflict(format!(
                    "hồ sơ {code} đã có phiếu xin lỗi ({}); chỉ được hẹn lại một lần",
                    iso(at)
                )));
            }
            if status == "early" || status == "on_time" {
                return Err(DbError::Conflict(format!(
                    "hồ sơ {code} đã giải quyết đúng hạn, không cần phiếu xin lỗi"
                )));
            }
            if status == "withdrawn" {
                return Err(DbError::Conflict(format!(
                    "hồ sơ {code} đã được công dân rút, không cần phiếu xin lỗi"
                )));
            }
            if a.new_due.stamp() <= due_at {
                return Err(DbError::Conflict(format!(
                    "ngày hẹn lại phải sau hạn cũ ({})",
                    iso(due_at)
                )));
            }
            sqlx::query(
                "UPDATE dossiers SET apology_at = $3, new_due_at = $4, timely_apology = $5, apology_reason = $6, \
                 apology_applicant = $7, apology_by = $8 WHERE unit_code = $1 AND code = $2",
            )
            .bind(unit)
            .bind(code)
            .bind(a.at.stamp())
            .bind(a.new_due.stamp())
            .bind(a.timely)
            .bind(&a.reason)
            .bind(&a.applicant)
            .bind(&a.by)
            .execute(&mut *tx)
            .await?;
            // A timely slip takes a late dossier out of "late without a timely slip": its
            // day's and month's rollup rows lose one. One in process leaves those in process
            // without a slip: its row of `dossier_pending_days` loses one. Nothing is
            // rebuilt from the unit's dossiers.
            if a.timely && !was_timely {
                let day = day_iso(received_at);
                if status == "late" {
                    sqlx::query(
                        "UPDATE dossier_rollups SET late_no_apology = late_no_apology - 1 \
                         WHERE unit_code = $1 AND day = $2 AND procedure_code = $3",
                    )
                    .bind(unit)
                    .bind(&day)
                    .bind(&procedure)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE dossier_rollup_months SET late_no_apology = late_no_apology - 1 \
                         WHERE unit_code = $1 AND month = $2",
                    )
                    .bind(unit)
                    .bind(day.get(..7).unwrap_or_default())
                    .execute(&mut *tx)
                    .await?;
                } else {
                    sqlx::query(
                        "UPDATE dossier_pending_days SET no_apology = no_apology - 1 \
                         WHERE unit_code = $1 AND day = $2 AND procedure_code = $3 AND due_day = $4",
                    )
                    .bind(unit)
                    .bind(&day)
                    .bind(&procedure)
                    .bind(day_iso(due_at))
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let e = parindex_domain::access::AuditEntry {
                at: a.at.to_iso(),
                actor: a.by.clone(),
                action: "dossier.apology".into(),
                entity: format!("dossier/{unit}/{code}"),
                old_value: Some(iso(due_at)),
                new_value: Some(format!(
                    "{}{}",
                    a.new_due.to_iso(),
                    if a.timely { "" } else { " (không kịp thời)" }
                )),
                reason: Some(a.reason.clone()),
            };
            crate::accounts::audit_append!(tx, &e);
            tx.commit().await?;
            Ok(Some(()))
        })
    }
}

/// An unfinished dossier without an apology slip, for the "due soon" list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueSoon {
    pub unit_code: String,
    pub code: String,
    pub procedure_code: String,
    pub received_at: String,
    pub due_at: String,
}

impl Db {
    /// How many unfinished dossiers without an apology slip are already overdue at `now`,
    /// and how many more fall due by `until` (counted in the database: a home page does not
    /// load a province's backlog to count it).
    pub async fn count_due_without_slip(
        &self,
        unit: Option<&str>,
        now: Instant,
        until: Instant,
    ) -> Result<(u64, u64)> {
        let sql = "SELECT COALESCE(SUM(CASE WHEN due_at < $2 THEN 1 ELSE 0 END), 0), \
                       COALESCE(SUM(CASE WHEN due_at >= $2 THEN 1 ELSE 0 END), 0) FROM dossiers \
                       WHERE status = 'pending' AND apology_at IS NULL AND ($1 IS NULL OR unit_code = $1) \
                       AND due_at <= $3";
        let (overdue, soon): (i64, i64) = on_db!(self, pool => sqlx::query_as(sql)
                .bind(unit)
                .bind(now.stamp())
                .bind(until.stamp())
                .fetch_one(pool)
                .await?);
        Ok((
            u64::try_from(overdue).unwrap_or(0),
            u64::try_from(soon).unwrap_or(0),
        ))
    }

    /// Unfinished dossiers with no apology slip whose due instant is at or before `until`
    /// (already overdue ones first), of one unit or all.
    pub async fn dossiers_due_without_slip(
        &self,
        unit: Option<&str>,
        until: Instant,
    ) -> Result<Vec<DueSoon>> {
        let sql = "SELECT unit_code, code, procedure_code, received_at, due_at FROM dossiers \
                   WHERE status = 'pending' AND apology_at IS NULL AND ($1 IS NULL OR unit_code = $1) \
                   AND due_at <= $2 ORDER BY due_at, unit_code, code";
        let rows: Vec<(String, String, String, i64, i64)> = on_db!(self, pool => sqlx::query_as(sql)
            .bind(unit)
            .bind(until.stamp())
            .fetch_all(pool)
            .await?);
        Ok(rows
            .into_iter()
            .map(|r| DueSoon {
                unit_code: r.0,
                code: r.1,
                procedure_code: r.2,
                received_at: iso(r.3),
                due_at: iso(r.4),
            })
            .collect())
    }
}

/// One leaf whose points were recomputed from a dossier figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureChange {
    pub set_id: String,
    pub unit_code: String,
    pub criterion: String,
    pub input: String,
}

/// A leaf scored from a computed input (a dossier figure, an indicator's value): the
/// computed points stand as the unit's self-assessment, an appraiser's or the final layer
/// still wins over them, the note stays. `None` when nothing changes: the same input, or a
/// leaf that does not apply to the unit (it stays as the secretariat marked it).
pub(crate) fn computed_leaf(
    set: &parindex_domain::CriteriaSet,
    leaf: usize,
    old: Option<parindex_domain::LeafScore>,
    value: &str,
) -> Result<Option<parindex_domain::LeafScore>> {
    if old.as_ref().is_some_and(|l| l.not_applicable.is_some())
        || old.as_ref().and_then(|l| l.input.as_deref()) == Some(value)
    {
        return Ok(None);
    }
    let node = &set.nodes[leaf];
    let computed = node
        .rule
        .as_ref()
        .map(|r| r.points_from_input(node.max, value))
        .transpose()
        .map_err(|e| DbError::Conflict(format!("{}: {e}", node.code)))?;
    let layers = [
        computed,
        old.as_ref().and_then(|l| l.appraised),
        old.as_ref().and_then(|l| l.final_points),
    ];
    let mut score = parindex_domain::LeafScore::new(set, leaf, layers, Some(value.to_string()))
        .map_err(|e| DbError::Conflict(format!("{}: {e}", node.code)))?;
    score.note = old.and_then(|l| l.note);
    Ok(Some(score))
}

impl Db {
    /// Recomputes every leaf that takes its input from a dossier figure
    /// (`rule.input: dossiers.on_time_rate`…), for every unit assessed against a set that is
    /// not yet published, from the unit's dossiers received in the set's year; stores the
    /// changes (audited, the set's version bumped) and returns them. The computed points are
    /// the leaf's self-assessment layer. A published set keeps
    /// its points; a unit without dossiers in that year keeps what it had.
    pub async fn refresh_figure_leaves(
        &self,
        as_of: Instant,
        actor: &str,
        now: &str,
    ) -> Result<Vec<FigureChange>> {
        let mut changes = Vec::new();
        for summary in self.list_sets().await? {
            let Some(set) = self.load_set(&summary.id).await? else {
                continue;
            };
            type Key<'a> = (Option<&'a str>, parindex_domain::FigureWindow);
            let figure_leaves: Vec<(usize, parindex_domain::dossiers::Figure, Key<'_>)> = set
                .leaves()
                .filter_map(|(i, n)| {
                    n.figure
                        .map(|f| (i, f, (n.figure_field.as_deref(), n.figure_window)))
                })
                .collect();
            if figure_leaves.is_empty()
                || self.phase(&set.id).await? == Some(parindex_domain::cycle::Phase::Published)
            {
                continue;
            }
            let mut updates = Vec::new();
            for mut unit in self.load_scores(&set).await? {
                // The unit's figures of each field and window a leaf names.
                let mut by_key: HashMap<Key<'_>, Figures> = HashMap::new();
                for &(_, _, key) in &figure_leaves {
                    if let std::collections::hash_map::Entry::Vacant(e) = by_key.entry(key) {
                        let (from, to) = key.1.range(set.year);
                        e.insert(
                            self.dossier_figures_in(Some(&unit.unit_code), from, to, as_of, key.0)
                                .await?,
                        );
                    }
                }
                let mut changed = std::collections::HashMap::new();
                for &(leaf, figure, key) in &figure_leaves {
                    let Some(value) = by_key.get(&key).and_then(|f| figure.value(f)) else {
                        continue;
                    };
                    let old = unit.leaves.remove(&leaf);
                    let Some(score) = computed_leaf(&set, leaf, old, &value)? else {
                        continue;
                    };
                    changes.push(FigureChange {
                        set_id: set.id.clone(),
                        unit_code: unit.unit_code.clone(),
                        criterion: set.nodes[leaf].code.to_string(),
                        input: value,
                    });
                    changed.insert(leaf, score);
                }
                if !changed.is_empty() {
                    unit.leaves = changed;
                    updates.push(unit);
                }
            }
            if !updates.is_empty() {
                self.import_scores(&set, &updates, actor, now).await?;
            }
        }
        Ok(changes)
    }
}

/// What each count of a period table counts (`shared/spec/dossiers.md`, "Period reports"),
/// in the contract's order, over the dossiers of [`PERIOD_BASE`]; `$1` is the period's first
/// instant, `$2` the first instant after it. The table's sums and its drill-down lists read
/// the same conditions.
pub const PERIOD_COUNTS: [(&str, &str); 15] = [
    (
        "carried_over",
        "received_at < $1 AND (finished_at IS NULL OR finished_at >= $1)",
    ),
    (
        "received_online",
        "received_at >= $1 AND channel = 'online'",
    ),
    (
        "received_direct",
        "received_at >= $1 AND channel = 'direct'",
    ),
    (
        "received_postal",
        "received_at >= $1 AND channel = 'postal'",
    ),
    (
        "resolved_early",
        "finished_at >= $1 AND finished_at < $2 AND finished_at / 10000 < due_at / 10000 AND NOT_WITHDRAWN",
    ),
    (
        "resolved_on_time",
        "finished_at >= $1 AND finished_at < $2 AND finished_at / 10000 >= due_at / 10000 AND finished_at <= due_at AND NOT_WITHDRAWN",
    ),
    (
        "resolved_late",
        "finished_at >= $1 AND finished_at < $2 AND finished_at > due_at AND NOT_WITHDRAWN",
    ),
    (
        "pending_in_time",
        "(finished_at IS NULL OR finished_at >= $2) AND received_at < $2 AND due_at >= $2",
    ),
    (
        "pending_overdue",
        "(finished_at IS NULL OR finished_at >= $2) AND received_at < $2 AND due_at < $2",
    ),
    (
        "withdrawn",
        "finished_at >= $1 AND finished_at < $2 AND outcome = 'withdrawn'",
    ),
    (
        "refused",
        "finished_at >= $1 AND finished_at < $2 AND outcome = 'refused'",
    ),
    (
        "returned_online",
        "returned_at >= $1 AND returned_at < $2 AND return_channel = 'online'",
    ),
    (
        "returned_direct",
        "returned_at >= $1 AND returned_at < $2 AND return_channel = 'direct'",
    ),
    (
        "returned_postal",
        "returned_at >= $1 AND returned_at < $2 AND return_channel = 'postal'",
    ),
    (
        "missed_new_due",
        "new_due_at >= $1 AND new_due_at < $2 AND (finished_at IS NULL OR finished_at > new_due_at) AND NOT_WITHDRAWN",
    ),
];

/// The sums of a period table: the received and resolved totals, besides the nine counts.
pub const PERIOD_TOTALS: [(&str, &str); 3] = [
    (
        "received_total",
        "received_at < $2 AND (finished_at IS NULL OR finished_at >= $1)",
    ),
    (
        "resolved_total",
        "finished_at >= $1 AND finished_at < $2 AND NOT_WITHDRAWN",
    ),
    (
        "pending_total",
        "(finished_at IS NULL OR finished_at >= $2) AND received_at < $2",
    ),
];

/// The dossiers a period table is about: received before its end, not finished before its
/// start or handed over in it; `$3` is the unit or NULL for all.
const PERIOD_BASE: &str = "FROM dossiers WHERE received_at < $2 \
     AND (finished_at IS NULL OR finished_at >= $1 OR returned_at >= $1 OR new_due_at >= $1) \
     AND (CAST($3 AS TEXT) IS NULL OR unit_code = $3)";

/// A withdrawn dossier is not resolved.
const NOT_WITHDRAWN: &str = "(outcome IS NULL OR outcome <> 'withdrawn')";

/// The condition of a period count or total by its key.
pub fn period_condition(key: &str) -> Option<String> {
    PERIOD_COUNTS
        .iter()
        .chain(PERIOD_TOTALS.iter())
        .find(|(k, _)| *k == key)
        .map(|(_, c)| c.replace("NOT_WITHDRAWN", NOT_WITHDRAWN))
}

/// How a period table is broken down into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodRows {
    Unit,
    Procedure,
}

fn period_stamps(from: Date, to: Date) -> (i64, i64) {
    let start = Instant {
        date: from,
        minute: 0,
    }
    .stamp();
    let end = Instant {
        date: parindex_domain::schedule::from_days(to.days_since_epoch() + 1),
        minute: 0,
    }
    .stamp();
    (start, end)
}

impl Db {
    /// The period table of `unit` (every unit when `None`) for the days `from` to `to`
    /// (`shared/spec/dossiers.md`, "Period reports"): counted in the database over the
    /// dossiers received before the period's end and not finished before its start.
    pub async fn period_figures(
        &self,
        unit: Option<&str>,
        from: Date,
        to: Date,
    ) -> Result<parindex_domain::period::PeriodFigures> {
        Ok(self
            .period_figures_by(unit, from, to, None)
            .await?
            .into_iter()
            .next()
            .map(|(_, f)| f)
            .unwrap_or_default())
    }

    /// The period table with one row per unit or per procedure (in code order; only rows
    /// with a dossier), or one row keyed "" when `rows` is `None`.
    pub async fn period_figures_by(
        &self,
        unit: Option<&str>,
        from: Date,
        to: Date,
        rows: Option<PeriodRows>,
    ) -> Result<Vec<(String, parindex_domain::period::PeriodFigures)>> {
        let (start, end) = period_stamps(from, to);
        let key = match rows {
            None => "''",
            Some(PeriodRows::Unit) => "unit_code",
            Some(PeriodRows::Procedure) => "procedure_code",
        };
        // Sums come back as BIGINT on both databases (CAST), NULL when no row matched.
        let sums: Vec<String> = PERIOD_COUNTS
            .iter()
            .map(|(_, c)| {
                let c = c.replace("NOT_WITHDRAWN", NOT_WITHDRAWN);
                format!("CAST(SUM(CASE WHEN {c} THEN 1 ELSE 0 END) AS BIGINT)")
            })
            .collect();
        let group = if rows.is_some() {
            format!(" GROUP BY {key} ORDER BY {key}")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT CAST({key} AS TEXT), {} {PERIOD_BASE}{group}",
            sums.join(", ")
        );
        type N = Option<i64>;
        type R = (String, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N);
        let found: Vec<R> = on_db!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(start).bind(end).bind(unit).fetch_all(pool).await?);
        let n = |x: N| u64::try_from(x.unwrap_or(0)).unwrap_or(0);
        Ok(found
            .into_iter()
            .map(|r| {
                let key = r.0.clone();
                let v = [
                    n(r.1),
                    n(r.2),
                    n(r.3),
                    n(r.4),
                    n(r.5),
                    n(r.6),
                    n(r.7),
                    n(r.8),
                    n(r.9),
                    n(r.10),
                    n(r.11),
                    n(r.12),
                    n(r.13),
                    n(r.14),
                    n(r.15),
                ];
                (
                    key,
                    parindex_domain::period::PeriodFigures {
                        carried_over: v[0],
                        received_online: v[1],
                        received_direct: v[2],
                        received_postal: v[3],
                        resolved_early: v[4],
                        resolved_on_time: v[5],
                        resolved_late: v[6],
                        pending_in_time: v[7],
                        pending_overdue: v[8],
                        withdrawn: v[9],
                        refused: v[10],
                        returned_online: v[11],
                        returned_direct: v[12],
                        returned_postal: v[13],
                        missed_new_due: v[14],
                    },
                )
            })
            .collect())
    }

    /// The dossiers behind one number of a period table (`key` of [`PERIOD_COUNTS`] or
    /// [`PERIOD_TOTALS`]): one unit's or all, of one procedure or all, in receipt order; at
    /// most `limit`, with how many match in all. `None` for an unknown key.
    pub async fn period_list(
        &self,
        unit: Option<&str>,
        from: Date,
        to: Date,
        key: &str,
        procedure: Option<&str>,
        limit: i64,
    ) -> Result<Option<(i64, Vec<DossierLine>)>> {
        let Some(cond) = period_condition(key) else {
            return Ok(None);
        };
        let (start, end) = period_stamps(from, to);
        let base = format!(
            "{PERIOD_BASE} AND {cond} AND (CAST($4 AS TEXT) IS NULL OR procedure_code = $4)"
        );
        let (total,): (i64,) = on_db!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {base}")))
            .bind(start)
            .bind(end)
            .bind(unit)
            .bind(procedure)
            .fetch_one(pool)
            .await?);
        let sql = format!("SELECT {LINE_COLUMNS} {base} ORDER BY received_at, code LIMIT $5");
        let rows: Vec<LineRow> = on_db!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(start)
            .bind(end)
            .bind(unit)
            .bind(procedure)
            .bind(limit)
            .fetch_all(pool)
            .await?);
        Ok(Some((total, rows.into_iter().map(line_of).collect())))
    }
}

/// A procedure of the catalogue as the province lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub code: String,
    pub name: String,
    pub unit_code: String,
    pub limit_days: i64,
    pub internal_days: Option<i64>,
    pub online_level: Option<parindex_domain::dossiers::OnlineLevel>,
    pub postal: Option<bool>,
    pub field: Option<String>,
    pub limit_unit: parindex_domain::calendar::LimitUnit,
}

impl Db {
    /// The procedures of one unit (every unit when `None`), by field then code.
    pub async fn procedure_catalogue(&self, unit: Option<&str>) -> Result<Vec<CatalogueEntry>> {
        type R = (
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<String>,
            Option<bool>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<R> = on_db!(self, pool => sqlx::query_as(
            "SELECT code, name, unit_code, CAST(limit_days AS BIGINT), CAST(internal_days AS BIGINT), \
             online_level, postal, field, limit_unit FROM procedures \
             WHERE CAST($1 AS TEXT) IS NULL OR unit_code = $1 ORDER BY COALESCE(field, ''), code",
        )
        .bind(unit)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|r| CatalogueEntry {
                code: r.0,
                name: r.1,
                unit_code: r.2,
                limit_days: r.3,
                internal_days: r.4,
                online_level: r
                    .5
                    .as_deref()
                    .and_then(parindex_domain::dossiers::OnlineLevel::parse),
                postal: r.6,
                field: r.7,
                limit_unit: r
                    .8
                    .as_deref()
                    .and_then(parindex_domain::calendar::LimitUnit::parse)
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// The figures of the dossiers received in `[from, to]` by one unit (or all) of the
    /// procedures whose field has the slug `field` (`parindex_domain::text::slug`); the
    /// unit's whole figures when `field` is `None`.
    pub async fn dossier_figures_in(
        &self,
        unit: Option<&str>,
        from: Date,
        to: Date,
        as_of: Instant,
        field: Option<&str>,
    ) -> Result<Figures> {
        let Some(field) = field else {
            return self.dossier_figures(unit, from, to, as_of).await;
        };
        let wanted: std::collections::HashSet<String> = self
            .procedure_catalogue(unit)
            .await?
            .into_iter()
            .filter(|p| {
                p.field
                    .as_deref()
                    .is_some_and(|f| parindex_domain::text::slug(f) == field)
            })
            .map(|p| p.code)
            .collect();
        let mut total = Figures::default();
        for (code, f) in self
            .dossier_figures_by(unit, from, to, as_of, Breakdown::Procedure)
            .await?
        {
            if wanted.contains(&code) {
                total.merge(&f);
            }
        }
        Ok(total)
    }
}
