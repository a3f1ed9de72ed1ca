//! Storing a large dossier file into a SQLite database on disk.
//!
//! Going through the pool costs more per value than SQLite itself spends storing it. This
//! path opens one connection of its own to the same file and runs the whole transaction on
//! a thread of its own, with one prepared statement bound row by row, while the calling
//! thread reads and checks the rows and hands them over in batches. The table is stored in
//! its primary key's order (unit, code) and has no full secondary index, only partial ones
//! that few rows enter, so each row is written into one B-tree. Rows a file holds twice
//! are found by the database (the primary key, or the import's own mark on a row it
//! already wrote), so memory does not grow with the file. Readers keep seeing the previous
//! state until the commit (WAL), unless the import was asked to be exclusive: then nothing
//! else has the file open, and the rows go into it through a rollback journal.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use parindex_domain::calendar::Instant;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

use crate::dossiers::{
    AFTER_ROLLUPS, DOSSIER_INSERT, DOSSIER_UPSERT, ROLLUP_DELETE, ROLLUP_INSERT, ROLLUP_REBUILD,
    RollupTally, Stored, UNIT_HAS_DOSSIERS, UnitsMet, import_mark, upsert_keeping,
};
use crate::{DossierRecord, Result, StoreOptions, WriteAccess};

/// How long an import waits for another write to the database to finish.
const WAIT: Duration = Duration::from_secs(10);

/// What an exclusive import says when the file is open elsewhere.
const IN_USE: &str = "tệp cơ sở dữ liệu đang được mở ở nơi khác (máy chủ web hoặc một lệnh \
     khác) nên không nhập riêng được; chưa hồ sơ nào được lưu: dừng nơi đó rồi nhập lại, hoặc \
     nhập không kèm --exclusive";

/// What an import that could not start writing says.
const BUSY: &str = "cơ sở dữ liệu đang được ghi bởi một lần nhập khác; chưa hồ sơ nào được lưu, \
     hãy nhập lại tệp khi lần nhập kia xong";

/// Rows per batch handed to the writing thread.
const BATCH: usize = 1_000;

/// Checked dossiers handed to the writer.
struct Batch {
    rows: Vec<DossierRecord>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            rows: Vec::with_capacity(BATCH),
        }
    }

    fn push(&mut self, record: DossierRecord) {
        self.rows.push(record);
    }

    /// Binds row `i`'s values to the 17 parameters of `statement` (instants as stamps,
    /// see `Instant::stamp`).
    fn bind(
        &self,
        statement: &mut rusqlite::Statement<'_>,
        i: usize,
        mark: Option<i64>,
    ) -> rusqlite::Result<()> {
        let (d, r) = (&self.rows[i], &self.rows[i].row);
        statement.raw_bind_parameter(1, r.unit_code.as_str())?;
        statement.raw_bind_parameter(2, r.code.as_str())?;
        statement.raw_bind_parameter(3, r.procedure_code.as_str())?;
        statement.raw_bind_parameter(4, r.received_at.stamp())?;
        statement.raw_bind_parameter(5, d.due_at.stamp())?;
        statement.raw_bind_parameter(6, r.finished_at.map(Instant::stamp))?;
        statement.raw_bind_parameter(7, r.channel.as_str())?;
        statement.raw_bind_parameter(8, r.apology_at.map(Instant::stamp))?;
        statement.raw_bind_parameter(9, r.new_due_at.map(Instant::stamp))?;
        statement.raw_bind_parameter(10, d.status.as_str())?;
        statement.raw_bind_parameter(11, d.timely_apology)?;
        statement.raw_bind_parameter(
            12,
            d.used_days_milli
                .map(|m| i64::try_from(m).unwrap_or(i64::MAX)),
        )?;
        statement.raw_bind_parameter(13, mark)?;
        statement.raw_bind_parameter(
            14,
            r.outcome.map(parindex_domain::dossiers::Outcome::as_str),
        )?;
        statement.raw_bind_parameter(15, i64::from(r.paused_days))?;
        statement.raw_bind_parameter(16, r.returned_at.map(Instant::stamp))?;
        statement.raw_bind_parameter(
            17,
            r.return_channel
                .map(parindex_domain::dossiers::Channel::as_str),
        )
    }
}

enum Message {
    Rows(Batch),
    /// Every row was sent: the writer answers with the rows it found twice.
    Finish,
    /// Commit with these rollup sums, or roll back.
    Decide(Option<RollupTally>),
}

/// Stores `rows` into the database at `path` in one transaction (see the module's text);
/// blocks the calling thread until the commit or the rollback. A row whose unit and code
/// came earlier in `rows` is not stored and is returned; then `keep` decides.
pub(crate) fn store<I>(
    path: &Path,
    rows: I,
    limits: &HashMap<String, (i64, Option<i64>)>,
    options: StoreOptions,
    progress: impl FnMut(u64),
    keep: impl FnOnce(&[DossierRecord]) -> bool,
) -> Result<Stored>
where
    I: IntoIterator<Item = DossierRecord>,
{
    let run = || {
        std::thread::scope(|s| {
            let (send, receive) = sync_channel::<Message>(4);
            let (reply, replies) = sync_channel::<Vec<DossierRecord>>(1);
            let writer = s.spawn(move || write(path, options, &receive, &reply));
            let mut progress = progress;
            let mut rows = rows.into_iter();
            let mut tally = RollupTally::default();
            let mut sent = 0_u64;
            loop {
                let mut batch = Batch::new();
                for d in rows.by_ref().take(BATCH) {
                    tally.add(&d, limits);
                    batch.push(d);
                }
                if batch.rows.is_empty() {
                    break;
                }
                let before = sent;
                sent += batch.rows.len() as u64;
                if send.send(Message::Rows(batch)).is_err() {
                    // The writer stopped on an error: its result says which.
                    break;
                }
                if before / 10_000 != sent / 10_000 {
                    progress(sent);
                }
            }
            // A writer that stopped has rolled back; its error is what matters (join below).
            let duplicates = if send.send(Message::Finish).is_ok() {
                replies.recv().ok()
            } else {
                None
            };
            if let Some(duplicates) = duplicates.as_ref() {
                for d in duplicates {
                    tally.remove(d, limits);
                }
                let decision = keep(duplicates).then_some(tally);
                let _ = send.send(Message::Decide(decision));
            }
            drop(send);
            let stored = writer.join().unwrap_or(Err(crate::DbError::Unsupported(
                "luồng ghi hồ sơ dừng bất thường; không hồ sơ nào được lưu",
            )))?;
            progress(stored);
            Ok(Stored {
                stored,
                duplicates: duplicates.unwrap_or_default(),
            })
        })
    };
    // Blocking a worker of a multi-threaded runtime is announced to it (the web server's
    // other requests move to other workers); a single-threaded runtime just waits.
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(run)
        }
        _ => run(),
    }
}

/// Whether an insert failed because the unit and code are stored already.
fn is_duplicate(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

/// The writing thread: one transaction, committed on `Decide(Some(..))` only. An exclusive
/// import leaves the write-ahead log for the file's rollback journal first, and turns the
/// log back on once the transaction is over, committed or not.
fn write(
    path: &Path,
    options: StoreOptions,
    receive: &Receiver<Message>,
    reply: &SyncSender<Vec<DossierRecord>>,
) -> Result<u64> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The unit a row references is checked once per unit as the rows go by (`KNOWN_UNIT`),
    // not by the foreign key on every row (a lookup in `units` per row, 4–5 % of the time).
    conn.pragma_update(None, "foreign_keys", false)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -32_768)?;
    let access = options.access;
    if access == WriteAccess::Exclusive {
        // Leaving the log needs every other connection closed, which waiting will not bring.
        conn.busy_timeout(Duration::from_secs(1))?;
        let mode = conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| {
                r.get::<_, String>(0)
            })
            .map_err(|e| busy_as(e, IN_USE))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(crate::DbError::Conflict(IN_USE.to_string()));
        }
        // With a rollback journal, NORMAL leaves a small chance that a power cut at the
        // wrong moment corrupts the file; FULL costs a few more syncs of a small journal.
        conn.pragma_update(None, "synchronous", "FULL")?;
        let written = write_rows(&mut conn, options, receive, reply);
        let back = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
        let n = written?;
        back?;
        return Ok(n);
    }
    let n = write_rows(&mut conn, options, receive, reply)?;
    // The commit's checkpoint copied the import into the database file; the write-ahead
    // log (as large as the import) is emptied rather than left on disk for the next
    // connection to open. When a reader holds it, it is left for a later checkpoint.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(n)
}

/// `e`, or `busy` in the user's words when it is SQLite's "database is locked".
fn busy_as(e: rusqlite::Error, busy: &str) -> crate::DbError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
        crate::DbError::Conflict(busy.to_string())
    } else {
        e.into()
    }
}

/// Whether a unit is stored (`$1` the unit): what the foreign key of `dossiers.unit_code`
/// would check on every row.
const KNOWN_UNIT: &str = "SELECT COUNT(*) FROM units WHERE code = ?1";

/// The transaction of [`write`].
fn write_rows(
    conn: &mut Connection,
    options: StoreOptions,
    receive: &Receiver<Message>,
    reply: &SyncSender<Vec<DossierRecord>>,
) -> Result<u64> {
    conn.busy_timeout(WAIT)?;
    // Another import (or any write) holding the database past the wait: said in the
    // user's words, not SQLite's "database is locked".
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| busy_as(e, BUSY))?;
    // Marks the rows this import writes: meeting the mark again means the file holds the
    // unit and code twice.
    let mark = import_mark();
    let mut met = UnitsMet::default();
    let mut n = 0_u64;
    let mut duplicates = Vec::new();
    {
        let mut has_dossiers = tx.prepare(UNIT_HAS_DOSSIERS)?;
        let mut known_unit = tx.prepare(KNOWN_UNIT)?;
        let values =
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
        // A unit without dossiers cannot hold one of the file's codes unless the file holds
        // it twice, which the primary key refuses: its rows are inserted without looking
        // for one to update, and without the import's mark (8 bytes a row saved).
        let mut insert = tx.prepare(&format!("{DOSSIER_INSERT} {values}"))?;
        let mut upsert = tx.prepare(&format!(
            "{DOSSIER_INSERT} {values}{} WHERE dossiers.import_mark IS NOT excluded.import_mark",
            upsert_keeping(DOSSIER_UPSERT, options)
        ))?;
        let mut twice: Vec<usize> = Vec::new();
        loop {
            let batch = match receive.recv() {
                Ok(Message::Rows(batch)) => batch,
                Ok(Message::Finish) => break,
                // The reading thread stopped without finishing: nothing is kept.
                Ok(Message::Decide(_)) | Err(_) => return Ok(0),
            };
            for i in 0..batch.rows.len() {
                let unit = &batch.rows[i].row.unit_code;
                let fresh = if let Some(f) = met.fresh(unit) {
                    f
                } else {
                    let known: i64 = known_unit.query_row([unit], |row| row.get(0))?;
                    if known == 0 {
                        return Err(crate::DbError::UnknownUnits(vec![(
                            unit.clone(),
                            batch.rows[i].row.line,
                        )]));
                    }
                    let had: i64 = has_dossiers.query_row([unit], |row| row.get(0))?;
                    met.meet(unit, had == 0);
                    had == 0
                };
                let done = if fresh {
                    batch.bind(&mut insert, i, None)?;
                    insert.raw_execute()
                } else {
                    batch.bind(&mut upsert, i, Some(mark))?;
                    upsert.raw_execute()
                };
                match done {
                    Ok(0) => twice.push(i),
                    Ok(_) => n += 1,
                    Err(e) if is_duplicate(&e) => twice.push(i),
                    Err(e) => return Err(e.into()),
                }
            }
            if !twice.is_empty() {
                duplicates.extend(
                    batch
                        .rows
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| twice.binary_search(i).is_ok())
                        .map(|(_, d)| d),
                );
                twice.clear();
            }
        }
    }
    if reply.send(duplicates).is_err() {
        return Ok(0);
    }
    let Ok(Message::Decide(Some(tally))) = receive.recv() else {
        tx.rollback()?;
        return Ok(0);
    };
    {
        let mut delete = tx.prepare(ROLLUP_DELETE)?;
        let mut rebuild = tx.prepare(ROLLUP_REBUILD)?;
        for (unit, fresh) in met.iter() {
            delete.execute([unit])?;
            if !fresh {
                rebuild.execute([unit])?;
            }
        }
        let mut insert = tx.prepare(&format!(
            "{ROLLUP_INSERT} VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
        ))?;
        for (unit, procedure, day, v) in tally.fresh_rows(&met) {
            insert.execute(params![
                unit,
                procedure,
                day.to_iso(),
                v[0],
                v[1],
                v[2],
                v[3],
                v[4],
                v[5],
                v[6],
                v[7],
                v[8],
                v[9],
                v[10],
                v[11],
                v[12],
                v[13],
            ])?;
        }
    }
    for sql in AFTER_ROLLUPS {
        let mut statement = tx.prepare(sql)?;
        for (unit, _) in met.iter() {
            statement.execute([unit])?;
        }
    }
    tx.commit()?;
    Ok(n)
}
