//! Dossiers into PostgreSQL at provincial scale, into `dossiers` partitioned by the year of
//! receipt (migration 0033, ADR 4). The checked rows stream through `COPY`: into a table
//! of their own when the file starts with a year not stored yet (indexed once loaded, then
//! attached as the year's partition when the file holds that year alone and none of its
//! codes is stored in another year), otherwise into a temporary staging table; from a
//! staging table one `INSERT … SELECT` moves them into `dossiers`. Rows twice in the file are found by
//! the database: the key (or the insert, which cannot touch a row twice) refuses them, and
//! only then are they looked for (a grouping over the loaded rows) and reported by line.
//! Memory stays flat in the number of rows: a buffer of about a megabyte and the rollup
//! sums (per unit, procedure and day).

use std::collections::HashMap;

use parindex_domain::calendar::Instant;
use parindex_domain::dossiers::{Channel, DossierRow, Outcome, Status};
use sqlx::Row as _;

use crate::dossiers::{
    AFTER_ROLLUPS, DOSSIER_UPSERT_BY_YEAR, ROLLUP_DELETE, ROLLUP_INSERT, ROLLUP_REBUILD,
    RollupTally, Stored, UNIT_HAS_DOSSIERS, UnitsMet, import_mark, upsert_keeping,
};
use crate::{DossierRecord, Result};

/// The staging table, dropped at the end of the transaction.
const STAGE: &str = "CREATE TEMPORARY TABLE dossier_stage (line BIGINT NOT NULL, unit_code TEXT NOT NULL, \
     code TEXT NOT NULL, procedure_code TEXT NOT NULL, received_at BIGINT NOT NULL, due_at BIGINT NOT NULL, \
     finished_at BIGINT, channel TEXT NOT NULL, apology_at BIGINT, new_due_at BIGINT, status TEXT NOT NULL, \
     timely_apology BOOLEAN NOT NULL, used_days_milli BIGINT, outcome TEXT, paused_days INTEGER NOT NULL, \
     returned_at BIGINT, return_channel TEXT, file_due_at BIGINT, received_year INTEGER NOT NULL) ON COMMIT DROP";

/// The staging table's columns after `line`, in the order of [`INSERT`] without the import
/// mark.
const COLUMNS: &str = "unit_code, code, procedure_code, received_at, due_at, finished_at, channel, \
     apology_at, new_due_at, status, timely_apology, used_days_milli";
const LATER_COLUMNS: &str = "outcome, paused_days, returned_at, return_channel";

/// The insert into the partitioned `dossiers` (migration 0033): the columns of the staging
/// table, the import mark, the later columns and the year of receipt.
const INSERT: &str = "INSERT INTO dossiers (unit_code, code, procedure_code, received_at, due_at, finished_at, \
     channel, apology_at, new_due_at, status, timely_apology, used_days_milli, import_mark, outcome, paused_days, \
     returned_at, return_channel, received_year) ";

/// A dossier re-imported with another year of receipt is moved to that year's partition
/// (by updating its key) before the upsert, which then finds it: a code stays one dossier.
fn move_year(table: &str) -> String {
    format!(
        "UPDATE dossiers d SET received_year = s.received_year, received_at = s.received_at \
         FROM {table} s WHERE d.unit_code = s.unit_code AND d.code = s.code \
         AND d.received_year <> s.received_year"
    )
}

/// The condition of the upsert: only a dossier that changes is written again (no new
/// row version, no index entries). The return's columns the file lacks are kept, so they
/// are not compared.
fn unless_unchanged(options: crate::StoreOptions) -> String {
    let mut columns = vec![
        "procedure_code",
        "received_at",
        "due_at",
        "finished_at",
        "channel",
        "status",
        "used_days_milli",
        "apology_at",
        "new_due_at",
        "timely_apology",
        "outcome",
        "paused_days",
    ];
    if options.returned_at {
        columns.push("returned_at");
    }
    if options.return_channel {
        columns.push("return_channel");
    }
    let side = |t: &str| {
        columns
            .iter()
            .map(|c| format!("{t}.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        " WHERE ({}) IS DISTINCT FROM ({})",
        side("dossiers"),
        side("excluded")
    )
}

/// Moves the dossiers whose year of receipt changed (units that had dossiers), then stores
/// the staged rows; `true` when a code comes twice (the statement refused, nothing stored).
async fn move_and_insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    table: &str,
    insert: &str,
    mark: i64,
    all_fresh: bool,
) -> Result<bool> {
    if !all_fresh {
        sqlx::query(sqlx::AssertSqlSafe(move_year(table)))
            .execute(&mut **tx)
            .await?;
    }
    match sqlx::query(sqlx::AssertSqlSafe(insert))
        .bind(mark)
        .execute(&mut **tx)
        .await
    {
        Ok(_) => Ok(false),
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("21000" | "23505")) => {
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// About this many bytes are sent to the server at a time.
const CHUNK: usize = 1 << 20;

/// A text of COPY's text format: backslash, tab and line ends escaped.
fn push_text(buf: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

fn push_int(buf: &mut Vec<u8>, v: Option<i64>) {
    use std::io::Write as _;
    match v {
        Some(v) => {
            let _ = write!(buf, "{v}");
        }
        None => buf.extend_from_slice(b"\\N"),
    }
}

fn push_opt_text(buf: &mut Vec<u8>, v: Option<&str>) {
    match v {
        Some(s) => push_text(buf, s),
        None => buf.extend_from_slice(b"\\N"),
    }
}

/// One staging row, tab-separated, ending its line; `year` is the year of receipt.
fn push_row(buf: &mut Vec<u8>, d: &DossierRecord, year: i64) {
    let r = &d.row;
    push_int(buf, Some(i64::try_from(r.line).unwrap_or(i64::MAX)));
    buf.push(b'\t');
    push_text(buf, &r.unit_code);
    buf.push(b'\t');
    push_text(buf, &r.code);
    buf.push(b'\t');
    push_text(buf, &r.procedure_code);
    buf.push(b'\t');
    push_int(buf, Some(r.received_at.stamp()));
    buf.push(b'\t');
    push_int(buf, Some(d.due_at.stamp()));
    buf.push(b'\t');
    push_int(buf, r.finished_at.map(Instant::stamp));
    buf.push(b'\t');
    push_text(buf, r.channel.as_str());
    buf.push(b'\t');
    push_int(buf, r.apology_at.map(Instant::stamp));
    buf.push(b'\t');
    push_int(buf, r.new_due_at.map(Instant::stamp));
    buf.push(b'\t');
    push_text(buf, d.status.as_str());
    buf.push(b'\t');
    buf.extend_from_slice(if d.timely_apology { b"t" } else { b"f" });
    buf.push(b'\t');
    push_int(
        buf,
        d.used_days_milli
            .map(|m| i64::try_from(m).unwrap_or(i64::MAX)),
    );
    buf.push(b'\t');
    push_opt_text(buf, r.outcome.map(Outcome::as_str));
    buf.push(b'\t');
    push_int(buf, Some(i64::from(r.paused_days)));
    buf.push(b'\t');
    push_int(buf, r.returned_at.map(Instant::stamp));
    buf.push(b'\t');
    push_opt_text(buf, r.return_channel.map(Channel::as_str));
    buf.push(b'\t');
    // The appointment as the file gave it (for the rejected-rows file).
    push_int(buf, r.due_at.map(Instant::stamp));
    buf.push(b'\t');
    push_int(buf, Some(year));
    buf.push(b'\n');
}

fn status_of(s: &str) -> Status {
    match s {
        "early" => Status::Early,
        "on_time" => Status::OnTime,
        "late" => Status::Late,
        "withdrawn" => Status::Withdrawn,
        "pending_overdue" => Status::PendingOverdue,
        _ => Status::Pending,
    }
}

/// A staged row read back (for the rows found twice).
fn record_of(row: &sqlx::postgres::PgRow) -> std::result::Result<DossierRecord, sqlx::Error> {
    let at = |i: usize| -> std::result::Result<Option<Instant>, sqlx::Error> {
        Ok(row
            .try_get::<Option<i64>, _>(i)?
            .and_then(Instant::from_stamp))
    };
    let received: i64 = row.try_get(4)?;
    let due: i64 = row.try_get(5)?;
    let fallback = Instant::from_stamp(received).unwrap_or(Instant {
        date: parindex_domain::text::Date {
            year: 1970,
            month: 1,
            day: 1,
        },
        minute: 0,
    });
    Ok(DossierRecord {
        row: DossierRow {
            code: row.try_get(2)?,
            unit_code: row.try_get(1)?,
            procedure_code: row.try_get(3)?,
            received_at: fallback,
            due_at: at(17)?,
            finished_at: at(6)?,
            channel: Channel::parse(row.try_get::<&str, _>(7)?).unwrap_or(Channel::Direct),
            apology_at: at(8)?,
            new_due_at: at(9)?,
            outcome: row.try_get::<Option<&str>, _>(13)?.and_then(Outcome::parse),
            paused_days: u32::try_from(row.try_get::<i32, _>(14)?).unwrap_or(0),
            returned_at: at(15)?,
            return_channel: row.try_get::<Option<&str>, _>(16)?.and_then(Channel::parse),
            line: usize::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0),
        },
        due_at: Instant::from_stamp(due).unwrap_or(fallback),
        status: status_of(row.try_get::<&str, _>(10)?),
        timely_apology: row.try_get(11)?,
        used_days_milli: row
            .try_get::<Option<i64>, _>(12)?
            .and_then(|m| u64::try_from(m).ok()),
    })
}

/// Whether the partition of `year` exists.
async fn year_stored(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, year: i64) -> Result<bool> {
    let (stored,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'dossiers'::regclass \
         AND inhrelid = to_regclass($1))",
    )
    .bind(format!("dossiers_y{year}"))
    .fetch_one(&mut **tx)
    .await?;
    Ok(stored)
}

/// Whoever adds a year's partition holds this lock until its transaction ends; it lets
/// reading and writing `dossiers` go on (unlike `CREATE TABLE … PARTITION OF`).
const YEAR_LOCK: &str = "LOCK TABLE ONLY dossiers IN SHARE UPDATE EXCLUSIVE MODE";

/// Creates the partition of each year the file holds that has none yet.
async fn ensure_years(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, years: &[i64]) -> Result<()> {
    for &y in years {
        if year_stored(tx, y).await? {
            continue;
        }
        sqlx::query(YEAR_LOCK).execute(&mut **tx).await?;
        if year_stored(tx, y).await? {
            continue;
        }
        // `y` is a number (`RECEIVED_YEARS`).
        for sql in [
            format!(
                "CREATE TABLE dossiers_y{y} (LIKE dossiers INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            ),
            format!(
                "ALTER TABLE dossiers ATTACH PARTITION dossiers_y{y} FOR VALUES FROM ({y}) TO ({})",
                y + 1
            ),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Moves the rows of `table` whose code comes again (every occurrence after the first, by
/// line) into `duplicates`.
async fn take_duplicates(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    table: &str,
    duplicates: &mut Vec<DossierRecord>,
) -> Result<()> {
    let twice = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT line, unit_code, code, procedure_code, received_at, due_at, finished_at, channel, \
         apology_at, new_due_at, status, timely_apology, used_days_milli, outcome, paused_days, \
         returned_at, return_channel, file_due_at FROM (SELECT s.*, row_number() OVER \
         (PARTITION BY unit_code, code ORDER BY line) AS nth FROM {table} s \
         WHERE (unit_code, code) IN (SELECT unit_code, code FROM {table} \
         GROUP BY unit_code, code HAVING COUNT(*) > 1)) t WHERE nth > 1 ORDER BY line"
    )))
    .fetch_all(&mut **tx)
    .await?;
    for row in &twice {
        duplicates.push(record_of(row)?);
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM {table} s USING (SELECT line, row_number() OVER \
         (PARTITION BY unit_code, code ORDER BY line) AS nth FROM {table} \
         WHERE (unit_code, code) IN (SELECT unit_code, code FROM {table} \
         GROUP BY unit_code, code HAVING COUNT(*) > 1)) t WHERE s.line = t.line AND t.nth > 1"
    )))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether a code of the loaded table `name` is stored (in another year: the table's own
/// year has no partition yet).
async fn codes_elsewhere(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    name: &str,
) -> Result<bool> {
    // The planner needs to know the table's size to join it well.
    sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {name}")))
        .execute(&mut **tx)
        .await?;
    let (found,): (bool,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT EXISTS (SELECT 1 FROM {name} l JOIN dossiers d ON d.unit_code = l.unit_code \
         AND d.code = l.code)"
    )))
    .fetch_one(&mut **tx)
    .await?;
    Ok(found)
}

/// Indexes the loaded table `name` (a code twice is found by the key, then taken out into
/// `duplicates`) and attaches it as the partition of `year`. `false` when another import
/// added the year meanwhile: the rows are then inserted as from a staging table.
async fn attach(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    name: &str,
    year: i64,
    duplicates: &mut Vec<DossierRecord>,
) -> Result<bool> {
    sqlx::query(YEAR_LOCK).execute(&mut **tx).await?;
    if year_stored(tx, year).await? {
        return Ok(false);
    }
    // The key is sorted in memory up to this size (the default, 64 MB, spills to disk from
    // about a million dossiers).
    sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
        .execute(&mut **tx)
        .await?;
    let key = format!(
        "ALTER TABLE {name} ADD CONSTRAINT dossiers_y{year}_pkey PRIMARY KEY (unit_code, code, received_year)"
    );
    sqlx::query("SAVEPOINT before_key")
        .execute(&mut **tx)
        .await?;
    match sqlx::query(sqlx::AssertSqlSafe(key.as_str()))
        .execute(&mut **tx)
        .await
    {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
            sqlx::query("ROLLBACK TO SAVEPOINT before_key")
                .execute(&mut **tx)
                .await?;
            take_duplicates(tx, name, duplicates).await?;
            sqlx::query(sqlx::AssertSqlSafe(key))
                .execute(&mut **tx)
                .await?;
        }
        Err(e) => return Err(e.into()),
    }
    for sql in [
        format!(
            "ALTER TABLE {name} DROP COLUMN line, DROP COLUMN file_due_at, ALTER COLUMN import_mark DROP DEFAULT"
        ),
        format!("ALTER TABLE {name} RENAME TO dossiers_y{year}"),
        format!(
            "ALTER TABLE dossiers ATTACH PARTITION dossiers_y{year} FOR VALUES FROM ({year}) TO ({})",
            year + 1
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut **tx)
            .await?;
    }
    Ok(true)
}

/// Stores `rows` into PostgreSQL (see the module's text); `keep` decides once every row has
/// been read and the rows twice are known.
///
/// A file whose first dossier falls in a year not stored yet (a province's first export of
/// the year, the bulk load) is copied into a table of its own, shaped as a partition, which
/// is indexed once loaded and attached as the year's partition: the rows are written once
/// and the key is built by sorting rather than row by row. When the file turns out to hold
/// several years, or a code already stored in another year, that table serves as the
/// staging table. Imports of the same units wait for each other (a lock per unit).
pub(crate) async fn store<I>(
    pool: &sqlx::PgPool,
    rows: I,
    limits: &HashMap<String, (i64, Option<i64>)>,
    options: crate::StoreOptions,
    mut progress: impl FnMut(u64),
    keep: impl FnOnce(&[DossierRecord]) -> bool,
) -> Result<Stored>
where
    I: IntoIterator<Item = DossierRecord>,
{
    let mut rows = rows.into_iter().peekable();
    let mut tx = pool.begin().await?;
    let mark = import_mark();
    let first_year = rows.peek().map(|d| i64::from(d.row.received_at.date.year));
    let load = match first_year {
        Some(y) if !year_stored(&mut tx, y).await? => Some(format!("dossier_load_{mark}")),
        _ => None,
    };
    let table = match &load {
        Some(name) => {
            for sql in [
                format!(
                    "CREATE TABLE {name} (LIKE dossiers INCLUDING DEFAULTS INCLUDING CONSTRAINTS, \
                     line BIGINT NOT NULL, file_due_at BIGINT)"
                ),
                format!("ALTER TABLE {name} ALTER COLUMN import_mark SET DEFAULT {mark}"),
            ] {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *tx)
                    .await?;
            }
            name.as_str()
        }
        None => {
            sqlx::query(STAGE).execute(&mut *tx).await?;
            "dossier_stage"
        }
    };
    let mut tally = RollupTally::default();
    let mut n = 0u64;
    // The years of receipt met (a file holds one or two, at most `RECEIVED_YEARS`' length).
    let mut years: Vec<i64> = Vec::new();
    {
        let mut copy = tx
            .copy_in_raw(&format!(
                "COPY {table} (line, {COLUMNS}, {LATER_COLUMNS}, file_due_at, received_year) FROM STDIN"
            ))
            .await?;
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
        for d in rows {
            tally.add(&d, limits);
            let year = i64::from(d.row.received_at.date.year);
            if years.last() != Some(&year) && !years.contains(&year) {
                years.push(year);
            }
            push_row(&mut buf, &d, year);
            n += 1;
            if buf.len() >= CHUNK {
                if let Err(e) = copy.send(std::mem::take(&mut buf)).await {
                    let _ = copy.abort("import failed").await;
                    return Err(e.into());
                }
                buf.reserve(CHUNK + 4096);
            }
            if n.is_multiple_of(10_000) {
                progress(n);
            }
        }
        if !buf.is_empty()
            && let Err(e) = copy.send(buf).await
        {
            let _ = copy.abort("import failed").await;
            return Err(e.into());
        }
        copy.finish().await?;
    }
    // One import at a time per unit, from here to the commit: whether a unit had dossiers,
    // the years its codes are in and its rollups stay as read. Taken in one order (of the
    // keys), so that two imports sharing units wait rather than deadlock.
    let units: Vec<&str> = tally.units().iter().map(String::as_str).collect();
    sqlx::query(
        "SELECT pg_advisory_xact_lock(1414, k) FROM (SELECT DISTINCT hashtext(u) AS k \
         FROM unnest($1::TEXT[]) AS u ORDER BY k) t",
    )
    .bind(&units)
    .execute(&mut *tx)
    .await?;
    // The units met, and whether each had no dossier before.
    let mut met = UnitsMet::default();
    for unit in tally.units() {
        // Each unit is checked once here, not by a foreign key on every row.
        let (known,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM units WHERE code = $1")
            .bind(unit)
            .fetch_one(&mut *tx)
            .await?;
        if known == 0 {
            let (line,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT MIN(line) FROM {table} WHERE unit_code = $1"
            )))
            .bind(unit)
            .fetch_one(&mut *tx)
            .await?;
            tx.rollback().await?;
            return Err(crate::DbError::UnknownUnits(vec![(
                unit.clone(),
                usize::try_from(line).unwrap_or(0),
            )]));
        }
        let (had,): (i64,) = sqlx::query_as(UNIT_HAS_DOSSIERS)
            .bind(unit)
            .fetch_one(&mut *tx)
            .await?;
        met.meet(unit, had == 0);
    }
    // Units without dossiers cannot conflict: a plain insert, which is about twice as fast.
    let all_fresh = met.iter().all(|(_, fresh)| fresh);
    let mut duplicates = Vec::new();
    // A file of one new year is attached as it is unless one of its codes is stored in
    // another year (it is then moved through the staging path).
    let attached = match (&load, years.as_slice()) {
        (Some(name), [year]) if all_fresh || !codes_elsewhere(&mut tx, name).await? => {
            attach(&mut tx, name, *year, &mut duplicates).await?
        }
        _ => false,
    };
    if !attached {
        ensure_years(&mut tx, &years).await?;
        let insert = if all_fresh {
            format!("{INSERT} SELECT {COLUMNS}, $1, {LATER_COLUMNS}, received_year FROM {table}")
        } else {
            format!(
                "{INSERT} SELECT {COLUMNS}, $1, {LATER_COLUMNS}, received_year FROM {table} WHERE true{}{}",
                upsert_keeping(DOSSIER_UPSERT_BY_YEAR, options),
                unless_unchanged(options)
            )
        };
        // A code twice: the plain insert of fresh units refuses it (a duplicate key). The
        // upsert leaves a dossier that did not change as it is (a month's re-export of the
        // year repeats most of them), so it would not meet a row twice: the codes are
        // grouped first, as they are when the file spans years (two years are two keys).
        sqlx::query("SAVEPOINT before_insert")
            .execute(&mut *tx)
            .await?;
        let twice_grouped = (years.len() > 1 || !all_fresh)
            && sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT 1 FROM {table} GROUP BY unit_code, code HAVING COUNT(*) > 1 LIMIT 1"
            )))
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        let twice =
            twice_grouped || move_and_insert(&mut tx, table, &insert, mark, all_fresh).await?;
        if twice {
            sqlx::query("ROLLBACK TO SAVEPOINT before_insert")
                .execute(&mut *tx)
                .await?;
            take_duplicates(&mut tx, table, &mut duplicates).await?;
            if move_and_insert(&mut tx, table, &insert, mark, all_fresh).await? {
                return Err(crate::DbError::Conflict(
                    "hồ sơ trùng mã vẫn còn sau khi bỏ các dòng lặp".into(),
                ));
            }
        }
        if let Some(name) = &load {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {name}")))
                .execute(&mut *tx)
                .await?;
        }
    }
    if !keep(&duplicates) {
        tx.rollback().await?;
        return Ok(Stored {
            stored: 0,
            duplicates,
        });
    }
    for d in &duplicates {
        tally.remove(d, limits);
    }
    let stored = n - duplicates.len() as u64;
    for (unit, fresh) in met.iter() {
        sqlx::query(ROLLUP_DELETE)
            .bind(unit)
            .execute(&mut *tx)
            .await?;
        if !fresh {
            sqlx::query(ROLLUP_REBUILD)
                .bind(unit)
                .execute(&mut *tx)
                .await?;
        }
    }
    let sums = tally.fresh_rows(&met);
    for chunk in sums.chunks(500) {
        let mut q = sqlx::QueryBuilder::new(ROLLUP_INSERT);
        q.push_values(chunk.iter(), |mut b, (unit, procedure, day, v)| {
            b.push_bind(*unit)
                .push_bind(*procedure)
                .push_bind(day.to_iso());
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
    progress(stored);
    Ok(Stored { stored, duplicates })
}
