//! Dossier imports through both storing paths: a SQLite file goes through its own
//! connection and thread, PostgreSQL and an
//! in-memory SQLite through the pool. All must store the same rows and the same rollups,
//! keep their indexes, and store nothing when an all-or-nothing import fails.

use std::io::Write as _;

use parindex_db::{
    Db, DossierFilter, ImportContext, ImportOutcome, ImportRequest, NewApology, StoreOptions,
    WriteAccess,
};
use parindex_domain::calendar::{Instant, SHIPPED, parse_calendar};
use parindex_domain::dossiers::{
    ColumnMap, SampleProcedure, parse_procedures_csv, write_sample_csv,
};
use parindex_domain::text::Date;
use parindex_domain::units::parse_units_csv;

use super::{NOW, UNITS};

/// Enough rows for the importer to expect a bulk load (about 75 bytes a row, from 50,000).
const ROWS: u64 = 60_000;

const PROCEDURES: &str = "code,name,unit_code,limit_days,internal_days\nKH-1,Đăng ký doanh nghiệp,SKHDT,3,2\nKH-2,Cấp giấy chứng nhận đầu tư,SKHDT,15,\nTC-1,Cấp mã số đơn vị,STC,2,1\nNV-1,Thẩm định tổ chức,SNV,3,2\n";

async fn prepare(db: &Db) {
    let units = parse_units_csv("u.csv", UNITS).unwrap();
    db.upsert_units(&units, "admin", NOW).await.unwrap();
    let procs = parse_procedures_csv("p.csv", PROCEDURES).unwrap();
    db.upsert_procedures(&procs, NOW).await.unwrap();
}

fn sample(path: &std::path::Path, seed: u64, late: u64) {
    let procs = [
        SampleProcedure {
            unit_code: "SKHDT",
            code: "KH-1",
            limit_days: 3,
        },
        SampleProcedure {
            unit_code: "SKHDT",
            code: "KH-2",
            limit_days: 15,
        },
        SampleProcedure {
            unit_code: "STC",
            code: "TC-1",
            limit_days: 2,
        },
    ];
    let f = std::fs::File::create(path).unwrap();
    write_sample_csv(std::io::BufWriter::new(f), seed, 2021, &procs, ROWS, late).unwrap();
}

async fn import(db: &Db, path: &std::path::Path) -> ImportOutcome {
    import_with(db, path, false, None).await
}

async fn import_with(
    db: &Db,
    path: &std::path::Path,
    skip_invalid: bool,
    rejected: Option<&mut Vec<u8>>,
) -> ImportOutcome {
    import_as(db, path, skip_invalid, rejected, WriteAccess::Shared)
        .await
        .unwrap()
}

async fn import_as(
    db: &Db,
    path: &std::path::Path,
    skip_invalid: bool,
    rejected: Option<&mut Vec<u8>>,
    access: WriteAccess,
) -> parindex_db::Result<ImportOutcome> {
    let cal = parse_calendar("lich.yaml", SHIPPED).unwrap();
    let ctx = ImportContext::load(db, cal).await.unwrap();
    let path = path.to_str().unwrap();
    let req = ImportRequest {
        path,
        file: "hoso.csv",
        columns: &ColumnMap::default(),
        skip_invalid,
        actor: "admin",
        now: NOW,
        as_of: Instant::parse("2022-01-01 00:00").unwrap(),
        access,
    };
    db.import_dossier_file(&ctx, &req, rejected, &mut |_| {})
        .await
}

/// Whether the SQLite file behind `url` is in WAL mode, as its header says (bytes 18 and
/// 19 are 2 in WAL mode, 1 with a rollback journal); `None` when `url` is not a file.
fn file_in_wal(url: &str) -> Option<bool> {
    let path = url.split("sqlite://").nth(1)?;
    let header = std::fs::read(path).ok()?;
    Some(header.get(18..20)? == [2, 2])
}

async fn figures(db: &Db) -> Vec<parindex_domain::dossiers::Figures> {
    let (from, to) = (
        Date::new(2021, 1, 1).unwrap(),
        Date::new(2021, 12, 31).unwrap(),
    );
    let as_of = Instant::parse("2022-01-01 00:00").unwrap();
    let mut out = Vec::new();
    for unit in [None, Some("SKHDT"), Some("STC"), Some("SNV")] {
        out.push(db.dossier_figures(unit, from, to, as_of).await.unwrap());
    }
    out
}

async fn sqlite_indexes(db: &Db) -> Vec<String> {
    let Db::Sqlite(pool) = db else {
        return Vec::new();
    };
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'dossiers' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_storing_path_stores_the_same_dossiers_and_rollups() {
    let dir = std::env::temp_dir().join(format!("parindex-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.csv");
    sample(&good, 7, 6);
    // The same file with one bad row at its end.
    let bad = dir.join("bad.csv");
    std::fs::copy(&good, &bad).unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(&bad).unwrap();
    writeln!(f, "X-1,SKHDT,KH-1,2021-13-01 08:00,,direct,").unwrap();
    drop(f);
    // A re-export: the same dossiers, other outcomes (another seed, more late).
    let again = dir.join("again.csv");
    sample(&again, 7, 30);

    let mut dbs = parindex_db::testkit::each_db().await;
    dbs.push((
        Db::connect("sqlite::memory:").await.unwrap(),
        "memory".into(),
    ));
    // A SQLite file imported into with nothing else reading it (`--exclusive`).
    let (db, url) = parindex_db::testkit::sqlite().await;
    dbs.push((db, format!("exclusive {url}")));
    let mut first: Option<Vec<_>> = None;
    for (db, url) in &dbs {
        let access = if url.starts_with("exclusive") {
            WriteAccess::Exclusive
        } else {
            WriteAccess::Shared
        };
        let import = async |db: &Db, path: &std::path::Path| {
            let out = import_as(db, path, false, None, access).await.unwrap();
            // Whatever the access, the file is left in the mode the server reads it in.
            assert_ne!(file_in_wal(url), Some(false), "{url}");
            out
        };
        prepare(db).await;
        let indexes = sqlite_indexes(db).await;

        let refused = import(db, &bad).await;
        assert!(refused.refused, "{url}");
        assert_eq!((refused.stored, refused.rejected), (0, 1), "{url}");
        assert!(
            refused.problems[0].contains(&format!("hoso.csv:{}:", ROWS + 2)),
            "{url}: {:?}",
            refused.problems
        );
        assert_eq!(figures(db).await[0].received, 0, "{url}: nothing stored");
        assert_eq!(sqlite_indexes(db).await, indexes, "{url}: indexes kept");

        let stored = import(db, &good).await;
        assert!(
            !stored.refused && stored.problems.is_empty(),
            "{url}: {:?}",
            stored.problems
        );
        assert_eq!(stored.stored, ROWS, "{url}");
        assert_eq!(
            sqlite_indexes(db).await,
            indexes,
            "{url}: indexes as before"
        );
        let after_first = figures(db).await;
        assert_eq!(after_first[0].received, ROWS, "{url}");
        assert_eq!(
            after_first[1].received + after_first[2].received,
            ROWS,
            "{url}: every dossier in its unit"
        );
        assert!(after_first[0].late > 0 && after_first[0].timed > 0, "{url}");
        assert_eq!(
            after_first[3],
            parindex_domain::dossiers::Figures::default(),
            "{url}"
        );
        // The province by unit: the same figures as each unit's own.
        let by_unit = db
            .dossier_figures_by(
                None,
                Date::new(2021, 1, 1).unwrap(),
                Date::new(2021, 12, 31).unwrap(),
                Instant::parse("2022-01-01 00:00").unwrap(),
                parindex_db::Breakdown::Unit,
            )
            .await
            .unwrap();
        assert_eq!(
            by_unit,
            vec![
                ("SKHDT".to_string(), after_first[1]),
                ("STC".to_string(), after_first[2])
            ],
            "{url}"
        );
        match &first {
            None => first = Some(after_first.clone()),
            Some(f) => assert_eq!(&after_first, f, "{url}: same figures on every path"),
        }

        // Importing the same file again goes through the update path and rebuilds the
        // rollups from the dossiers: the sums gathered on the way in were the same.
        let same = import(db, &good).await;
        assert_eq!(same.stored, ROWS, "{url}");
        assert_eq!(
            figures(db).await,
            after_first,
            "{url}: rebuilt rollups agree"
        );

        // A re-export with other outcomes updates the dossiers by code.
        let updated = import(db, &again).await;
        assert_eq!(updated.stored, ROWS, "{url}");
        let after = figures(db).await;
        assert_eq!(after[0].received, ROWS, "{url}: updated, not added");
        assert!(after[0].late > after_first[0].late, "{url}");

        // A period that starts and ends inside months reads whole months from the monthly
        // sums and the days around them from the daily ones: the same as the days alone.
        let as_of = Instant::parse("2022-01-01 00:00").unwrap();
        for (a, b) in [
            ((1, 15), (3, 10)),
            ((2, 3), (2, 20)),
            ((4, 1), (6, 30)),
            ((11, 30), (12, 1)),
        ] {
            let (from, to) = (
                Date::new(2021, a.0, a.1).unwrap(),
                Date::new(2021, b.0, b.1).unwrap(),
            );
            let whole = db
                .dossier_figures(Some("SKHDT"), from, to, as_of)
                .await
                .unwrap();
            // Per procedure: the days alone; per month: whole months and days again.
            for by in [
                parindex_db::Breakdown::Procedure,
                parindex_db::Breakdown::Month,
            ] {
                let parts = db
                    .dossier_figures_by(Some("SKHDT"), from, to, as_of, by)
                    .await
                    .unwrap();
                let sum = |f: fn(&parindex_domain::dossiers::Figures) -> u64| {
                    parts.iter().map(|(_, x)| f(x)).sum::<u64>()
                };
                assert!(whole.received > 0, "{url} {from:?}");
                let what = format!("{url} {from:?}..{to:?} {by:?}");
                assert_eq!(whole.received, sum(|x| x.received), "{what}");
                assert_eq!(whole.late, sum(|x| x.late), "{what}");
                assert_eq!(whole.used_days_milli, sum(|x| x.used_days_milli), "{what}");
                assert_eq!(whole.pending_overdue, sum(|x| x.pending_overdue), "{what}");
            }
        }

        // Overdue dossiers in process: those due on an earlier day than the instant from
        // `dossier_pending_days`, those due earlier that same day from the dossiers.
        // Against a count of the dossiers.
        let mut straddled = false;
        for as_of in [
            "2021-01-01 00:00",
            "2021-06-30 10:00",
            "2021-12-20 08:00",
            "2022-03-01 00:00",
        ] {
            let at = Instant::parse(as_of).unwrap();
            for (from, to) in [((1, 1), (12, 31)), ((3, 15), (9, 20))] {
                let (from, to) = (
                    Date::new(2021, from.0, from.1).unwrap(),
                    Date::new(2021, to.0, to.1).unwrap(),
                );
                for unit in [None, Some("SKHDT")] {
                    let f = db.dossier_figures(unit, from, to, at).await.unwrap();
                    let (overdue, late_without) = direct_overdue(db, unit, from, to, as_of).await;
                    assert_eq!(
                        f.pending_overdue, overdue,
                        "{url} {unit:?} {from:?}..{to:?} as of {as_of}"
                    );
                    assert_eq!(
                        f.late_without_apology, late_without,
                        "{url} {unit:?} {from:?}..{to:?} as of {as_of}"
                    );
                    straddled |= overdue > 0 && overdue < f.pending;
                }
            }
        }
        assert!(
            straddled,
            "{url}: some period holds dossiers both overdue and not yet due"
        );

        // A timely apology slip, for a late dossier and for one in process and overdue,
        // adjusts the day's and the month's rollups: the year's figure (months) and the
        // sum of its procedures (days) still equal a count of the dossiers.
        let (year_from, year_to) = (
            Date::new(2021, 1, 1).unwrap(),
            Date::new(2021, 12, 31).unwrap(),
        );
        let late_of = "2022-03-01 00:00";
        let at = Instant::parse(late_of).unwrap();
        let before = db
            .dossier_figures(Some("SKHDT"), year_from, year_to, at)
            .await
            .unwrap();
        for filter in [DossierFilter::Late, DossierFilter::PendingOverdue] {
            let (_, lines) = db
                .dossier_list("SKHDT", year_from, year_to, at, None, filter, 1)
                .await
                .unwrap();
            let line = &lines[0];
            assert!(!line.timely_apology && line.apology_at.is_none(), "{url}");
            let slip = NewApology {
                at: Instant::parse("2021-01-01 08:00").unwrap(),
                new_due: Instant::parse("2023-06-01 08:00").unwrap(),
                reason: "thiếu hồ sơ".into(),
                applicant: "Nguyễn Văn A".into(),
                by: "vp.skhdt".into(),
                timely: true,
            };
            db.record_apology("SKHDT", &line.code, &slip)
                .await
                .unwrap()
                .unwrap();
        }
        let after_slips = db
            .dossier_figures(Some("SKHDT"), year_from, year_to, at)
            .await
            .unwrap();
        assert_eq!(
            after_slips.late_without_apology + 2,
            before.late_without_apology,
            "{url}"
        );
        let (_, late_without) =
            direct_overdue(db, Some("SKHDT"), year_from, year_to, late_of).await;
        assert_eq!(after_slips.late_without_apology, late_without, "{url}");
        // Per procedure, every day is read from the daily rollups.
        let procedures = db
            .dossier_figures_by(
                Some("SKHDT"),
                year_from,
                year_to,
                at,
                parindex_db::Breakdown::Procedure,
            )
            .await
            .unwrap();
        assert_eq!(
            procedures
                .iter()
                .map(|(_, f)| f.late_without_apology)
                .sum::<u64>(),
            late_without,
            "{url}: the days' rollups"
        );

        let after = figures(db).await;

        // A file holding a dossier twice, for a unit with dossiers and one without.
        let twice = dir.join("twice.csv");
        std::fs::write(
            &twice,
            "code,unit_code,procedure_code,received_at,finished_at,channel\n\
             N-1,SNV,NV-1,2021-03-01 08:00,,direct\n\
             N-1,SNV,NV-1,2021-03-02 08:00,,direct\n\
             X-2,SKHDT,KH-1,2021-03-01 08:00,,online\n\
             X-2,SKHDT,KH-1,2021-03-01 09:00,,online\n",
        )
        .unwrap();
        let refused = import(db, &twice).await;
        assert!(refused.refused, "{url}");
        assert_eq!(refused.rejected, 2, "{url}: {:?}", refused.problems);
        assert!(
            refused.problems[0].starts_with("hoso.csv:3: code:")
                && refused.problems[0].contains("N-1"),
            "{url}: {:?}",
            refused.problems
        );
        assert!(
            refused.problems[1].starts_with("hoso.csv:5: code:")
                && refused.problems[1].contains("X-2"),
            "{url}: {:?}",
            refused.problems
        );
        assert_eq!(figures(db).await, after, "{url}: nothing stored");
        let mut rejected = Vec::new();
        let kept = import_with(db, &twice, true, Some(&mut rejected)).await;
        assert_eq!((kept.stored, kept.rejected), (2, 2), "{url}");
        let rejected = String::from_utf8(rejected).unwrap();
        let lines: Vec<&str> = rejected.lines().collect();
        assert_eq!(lines.len(), 3, "{url}: {rejected}");
        assert!(
            lines[1].starts_with("N-1,SNV,NV-1,2021-03-02 08:00,,direct,"),
            "{url}: {rejected}"
        );
        assert!(lines[2].contains("dòng 5: code:"), "{url}: {rejected}");
        let now = figures(db).await;
        assert_eq!(now[3].received, 1, "{url}: the first N-1 stored");
        assert_eq!(now[0].received, ROWS + 2, "{url}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Overdue dossiers in process and late-or-overdue ones without a timely slip, counted on
/// the dossiers themselves.
async fn direct_overdue(
    db: &Db,
    unit: Option<&str>,
    from: Date,
    to: Date,
    as_of: &str,
) -> (u64, u64) {
    let sql = "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'pending' AND due_at < $4 THEN 1 ELSE 0 END), 0) AS BIGINT), \
               CAST(COALESCE(SUM(CASE WHEN (status = 'late' OR (status = 'pending' AND due_at < $4)) AND NOT timely_apology \
               THEN 1 ELSE 0 END), 0) AS BIGINT) \
               FROM dossiers WHERE ($1 = '' OR unit_code = $1) AND received_at >= $2 AND received_at <= $3";
    // Instants are stored as stamps (`Instant::stamp`).
    let (a, b) = (
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
    );
    let as_of = Instant::parse(as_of).unwrap().stamp();
    let u = unit.unwrap_or("");
    let (x, y): (i64, i64) = match db {
        Db::Sqlite(p) => sqlx::query_as(sql)
            .bind(u)
            .bind(a)
            .bind(b)
            .bind(as_of)
            .fetch_one(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_as(sql)
            .bind(u)
            .bind(a)
            .bind(b)
            .bind(as_of)
            .fetch_one(p)
            .await
            .unwrap(),
    };
    (u64::try_from(x).unwrap(), u64::try_from(y).unwrap())
}

/// An import that meets another write holding the SQLite file waits for it, then says so
/// in Vietnamese and stores nothing (not SQLite's "database is locked").
#[tokio::test]
async fn an_import_behind_another_write_says_so_and_stores_nothing() {
    let dir = std::env::temp_dir().join(format!("parindex-busy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hoso.csv");
    std::fs::write(
        &file,
        "code,unit_code,procedure_code,received_at,finished_at,channel\n\
         B-1,SKHDT,KH-1,2021-03-01 08:00,,direct\n",
    )
    .unwrap();
    let (db, url) = parindex_db::testkit::each_db().await.remove(0);
    let Db::Sqlite(pool) = &db else {
        panic!("the first test database is a SQLite file: {url}");
    };
    prepare(&db).await;
    // Another writer: a transaction that holds the write lock.
    let mut other = pool.acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *other)
        .await
        .unwrap();
    let cal = parse_calendar("lich.yaml", SHIPPED).unwrap();
    let ctx = ImportContext::load(&db, cal).await.unwrap();
    let req = ImportRequest {
        path: file.to_str().unwrap(),
        file: "hoso.csv",
        columns: &ColumnMap::default(),
        skip_invalid: false,
        actor: "admin",
        now: NOW,
        as_of: Instant::parse("2022-01-01 00:00").unwrap(),
        access: WriteAccess::Shared,
    };
    let err = db
        .import_dossier_file(&ctx, &req, None::<&mut Vec<u8>>, &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("một lần nhập khác"), "{err}");
    assert!(!err.contains("locked"), "{err}");
    sqlx::query("ROLLBACK").execute(&mut *other).await.unwrap();
    drop(other);
    assert_eq!(figures(&db).await[1].received, 0, "nothing stored");
    // Once the other write is over, the same import goes through.
    assert_eq!(import(&db, &file).await.stored, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An exclusive import refuses, in Vietnamese and before storing anything, a file that
/// another connection (here a second pool, as the web server would hold) has open; the
/// file stays in WAL mode. Once the other connection is closed, the import goes through,
/// closing its own process's idle connections first.
#[tokio::test]
async fn an_exclusive_import_refuses_a_file_open_elsewhere() {
    let dir = std::env::temp_dir().join(format!("parindex-alone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hoso.csv");
    std::fs::write(
        &file,
        "code,unit_code,procedure_code,received_at,finished_at,channel\n\
         E-1,SKHDT,KH-1,2021-03-01 08:00,2021-03-02 08:00,direct\n",
    )
    .unwrap();
    let (db, url) = parindex_db::testkit::sqlite().await;
    prepare(&db).await;
    let server = Db::connect(&url).await.unwrap();
    assert_eq!(figures(&server).await[1].received, 0);
    let err = import_as(&db, &file, false, None, WriteAccess::Exclusive)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("đang được mở ở nơi khác"), "{err}");
    assert!(!err.contains("locked"), "{err}");
    assert_eq!(figures(&db).await[1].received, 0, "nothing stored");
    assert_eq!(file_in_wal(&url), Some(true));
    let Db::Sqlite(pool) = server else {
        panic!("a SQLite file: {url}")
    };
    pool.close().await;
    // The test's own pool holds idle connections too: the import closes them. (A connection
    // just used comes back to the pool a moment later: wait for it, bounded.)
    let Db::Sqlite(own) = &db else {
        panic!("a SQLite file: {url}")
    };
    drop(own.acquire().await.unwrap());
    for _ in 0..200 {
        if own.num_idle() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(own.num_idle() > 0);
    let out = import_as(&db, &file, false, None, WriteAccess::Exclusive)
        .await
        .unwrap();
    assert_eq!(out.stored, 1, "{:?}", out.problems);
    assert_eq!(file_in_wal(&url), Some(true));
    let f = &figures(&db).await[1];
    assert_eq!((f.received, f.finished), (1, 1), "{f:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A dossier whose unit is not stored is refused on every storing path, and nothing of its
/// batch is stored. The SQLite writer and the PostgreSQL COPY path check each unit once;
/// the in-memory database relies on the foreign key of every row.
#[tokio::test]
async fn a_dossier_of_an_unknown_unit_is_refused_on_every_path() {
    use parindex_domain::dossiers::{Channel, DossierRow, Status};
    let mut dbs = parindex_db::testkit::each_db().await;
    dbs.push((
        Db::connect("sqlite::memory:").await.unwrap(),
        "memory".into(),
    ));
    let record = |code: &str, unit: &str, line: usize| parindex_db::DossierRecord {
        row: DossierRow {
            code: code.into(),
            unit_code: unit.into(),
            procedure_code: "KH-1".into(),
            received_at: Instant::parse("2021-03-01 08:00").unwrap(),
            due_at: None,
            finished_at: None,
            channel: Channel::Direct,
            apology_at: None,
            new_due_at: None,
            outcome: None,
            paused_days: 0,
            returned_at: None,
            return_channel: None,
            line,
        },
        due_at: Instant::parse("2021-03-04 08:00").unwrap(),
        status: Status::Pending,
        timely_apology: false,
        used_days_milli: None,
    };
    for (db, url) in &dbs {
        prepare(db).await;
        let rows = vec![record("U-1", "SKHDT", 2), record("U-2", "SXX", 3)];
        let err = db.store_dossiers(rows, |_| {}).await.unwrap_err();
        if !url.starts_with("memory") {
            assert!(err.to_string().contains("SXX"), "{url}: {err}");
        }
        assert_eq!(figures(db).await[0].received, 0, "{url}: nothing stored");
        // The known unit alone goes through.
        let stored = db
            .store_dossiers(vec![record("U-1", "SKHDT", 2)], |_| {})
            .await
            .unwrap();
        assert_eq!(stored, 1, "{url}");
    }
}

/// The migrations of `kind` (`sqlite`, `postgres`) numbered below `upto`, copied into
/// `dir/migrations`: a database as an older parindex left it.
fn migrations_before(dir: &std::path::Path, kind: &str, upto: &str) -> std::path::PathBuf {
    let before = dir.join("migrations");
    std::fs::create_dir_all(&before).unwrap();
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("migrations/{kind}"));
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < upto {
            std::fs::copy(&path, before.join(&name)).unwrap();
        }
    }
    before
}

/// A SQLite file `dir/old.db` migrated up to (not including) `upto`, with `inserts` run.
async fn older_sqlite(dir: &std::path::Path, upto: &str, inserts: &[&str]) -> String {
    let before = migrations_before(dir, "sqlite", upto);
    let file = dir.join("old.db");
    let _ = std::fs::remove_file(&file);
    let url = format!("sqlite://{}", file.display());
    let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
        .unwrap()
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
    sqlx::migrate::Migrator::new(before.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    for sql in inserts {
        sqlx::query(sqlx::AssertSqlSafe(*sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    url
}

/// A database written before instants were stamps (migrations up to 0019, instants as
/// text) reads the same dossiers after the upgrade.
#[tokio::test]
async fn text_instants_become_stamps_on_upgrade() {
    let dir = std::env::temp_dir().join(format!("parindex-upgrade-{}", std::process::id()));
    let url = older_sqlite(
        &dir,
        "0020",
        &[
        "INSERT INTO units (code, name, search_text, updated_at) VALUES ('SKHDT', 'Sở Kế hoạch và Đầu tư', 'so ke hoach', '2021-01-01T00:00:00Z')",
        "INSERT INTO dossiers (unit_code, code, procedure_code, received_at, due_at, finished_at, channel, \
         apology_at, new_due_at, status, timely_apology) VALUES ('SKHDT', 'T-1', 'KH-1', '2021-03-01 08:00', \
         '2021-03-04 08:00', '2021-03-05 09:30', 'direct', '2021-03-02 10:00', '2021-03-08 16:00', 'late', 1)",
],
    )
    .await;
    let db = Db::connect(&url).await.unwrap();
    let (total, lines) = db
        .dossier_list(
            "SKHDT",
            Date::new(2021, 3, 1).unwrap(),
            Date::new(2021, 3, 1).unwrap(),
            Instant::parse("2021-04-01 00:00").unwrap(),
            None,
            DossierFilter::Late,
            10,
        )
        .await
        .unwrap();
    assert_eq!(total, 1);
    let l = &lines[0];
    assert_eq!(
        (
            l.received_at.as_str(),
            l.due_at.as_str(),
            l.finished_at.as_deref(),
            l.apology_at.as_deref(),
            l.new_due_at.as_deref()
        ),
        (
            "2021-03-01 08:00",
            "2021-03-04 08:00",
            Some("2021-03-05 09:30"),
            Some("2021-03-02 10:00"),
            Some("2021-03-08 16:00")
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn rejected_rows_do_not_carry_formulas() {
    let (db, _) = parindex_db::testkit::sqlite().await;
    prepare(&db).await;
    let dir = std::env::temp_dir().join(format!("parindex-formula-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hoso.csv");
    std::fs::write(
        &file,
        "code,unit_code,procedure_code,received_at,finished_at,channel\n\
         \"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",SKHDT,KH-9,2021-03-01 08:00,,direct\n\
         @SUM(A1),SKHDT,KH-1,2021-02-30 08:00,,direct\n\
         -5,SKHDT,KH-1,2021-02-30 08:00,,+cmd\n",
    )
    .unwrap();
    let mut rejected = Vec::new();
    let kept = import_with(&db, &file, true, Some(&mut rejected)).await;
    assert_eq!(kept.rejected, 3, "{:?}", kept.problems);
    let rejected = String::from_utf8(rejected).unwrap();
    let lines: Vec<&str> = rejected.lines().collect();
    assert!(
        lines[1].starts_with("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",SKHDT,KH-9,"),
        "{rejected}"
    );
    assert!(lines[2].starts_with("'@SUM(A1),SKHDT,"), "{rejected}");
    assert!(
        lines[3].starts_with("-5,SKHDT,KH-1,2021-02-30 08:00,,'+cmd,"),
        "a number stays a number: {rejected}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pending dossier of `SKHDT` for KH-1, received at `received`, due in 2023.
fn dated(code: &str, received: &str, line: usize) -> parindex_db::DossierRecord {
    use parindex_domain::dossiers::{Channel, DossierRow, Status};
    let at = Instant::parse(received).unwrap();
    let due = Instant::parse("2023-06-01 08:00").unwrap();
    parindex_db::DossierRecord {
        row: DossierRow {
            code: code.into(),
            unit_code: "SKHDT".into(),
            procedure_code: "KH-1".into(),
            received_at: at,
            due_at: None,
            finished_at: None,
            channel: Channel::Direct,
            apology_at: None,
            new_due_at: None,
            outcome: None,
            paused_days: 0,
            returned_at: None,
            return_channel: None,
            line,
        },
        due_at: due,
        status: Status::Pending,
        timely_apology: false,
        used_days_milli: None,
    }
}

async fn received_in(db: &Db, year: i32) -> u64 {
    let f = db
        .dossier_figures(
            Some("SKHDT"),
            Date::new(year, 1, 1).unwrap(),
            Date::new(year, 12, 31).unwrap(),
            Instant::parse("2023-01-01 00:00").unwrap(),
        )
        .await
        .unwrap();
    f.received
}

/// Stores `rows`, keeping them when `keep`: the rows stored and the lines found twice.
async fn store_naming_twice(
    db: &Db,
    rows: Vec<parindex_db::DossierRecord>,
    keep: bool,
) -> (u64, Vec<usize>) {
    let mut named = Vec::new();
    let stored = db
        .store_dossiers_if(
            rows,
            StoreOptions::default(),
            |_| {},
            |d| {
                named = d.iter().map(|r| r.row.line).collect();
                keep
            },
        )
        .await
        .unwrap();
    (stored.stored, named)
}

/// The partitions of `dossiers` in the test's schema.
async fn partitions(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::TEXT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'dossiers'::regclass ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// On PostgreSQL each year of receipt is a partition of `dossiers` (migration 0033), created
/// by the import that first holds the year. On every path a code stays one dossier: one
/// re-imported with another year of receipt is moved, and a file holding a code in two
/// years names the second line, as for a code twice within a year.
#[tokio::test]
async fn a_code_stays_one_dossier_across_years_and_partitions() {
    let mut dbs = parindex_db::testkit::each_db().await;
    dbs.push((
        Db::connect("sqlite::memory:").await.unwrap(),
        "memory".into(),
    ));
    for (db, url) in &dbs {
        prepare(db).await;
        // The first file, of one year: a code twice is named by its second line (on
        // PostgreSQL, by the key built over the loaded year), and nothing is stored.
        let twice_2020 = vec![
            dated("Z-1", "2020-05-04 08:00", 2),
            dated("Z-1", "2020-06-01 08:00", 3),
        ];
        assert_eq!(
            store_naming_twice(db, twice_2020.clone(), false).await,
            (0, vec![3]),
            "{url}"
        );
        assert_eq!(received_in(db, 2020).await, 0, "{url}");
        // Kept when the import keeps the first of a code (`--skip-invalid`).
        assert_eq!(
            db.store_dossiers(twice_2020, |_| {}).await.unwrap(),
            1,
            "{url}"
        );
        assert_eq!(received_in(db, 2020).await, 1, "{url}");
        let rows = vec![
            dated("Y-1", "2021-12-30 08:00", 2),
            dated("Y-2", "2022-01-04 08:00", 3),
        ];
        assert_eq!(db.store_dossiers(rows, |_| {}).await.unwrap(), 2, "{url}");
        if let Db::Postgres(pool) = db {
            let parts = partitions(pool).await;
            assert_eq!(
                parts,
                ["dossiers_y2020", "dossiers_y2021", "dossiers_y2022"]
            );
        }
        assert_eq!(
            (received_in(db, 2021).await, received_in(db, 2022).await),
            (1, 1),
            "{url}"
        );
        // The receipt of Y-1 corrected into 2022: moved, not doubled.
        let moved = vec![dated("Y-1", "2022-01-03 08:00", 2)];
        assert_eq!(db.store_dossiers(moved, |_| {}).await.unwrap(), 1, "{url}");
        assert_eq!(
            (received_in(db, 2021).await, received_in(db, 2022).await),
            (0, 2),
            "{url}"
        );
        let (total, lines) = db
            .dossier_list(
                "SKHDT",
                Date::new(2021, 1, 1).unwrap(),
                Date::new(2022, 12, 31).unwrap(),
                Instant::parse("2023-01-01 00:00").unwrap(),
                None,
                DossierFilter::Received,
                10,
            )
            .await
            .unwrap();
        assert_eq!(total, 2, "{url}");
        assert_eq!(lines[0].received_at, "2022-01-03 08:00", "{url}");
        // One file, Y-3 in 2021 on line 2 and in 2022 on line 4: the second is named.
        let twice = vec![
            dated("Y-3", "2021-06-01 08:00", 2),
            dated("Y-4", "2021-06-02 08:00", 3),
            dated("Y-3", "2022-06-01 08:00", 4),
        ];
        assert_eq!(
            store_naming_twice(db, twice, false).await,
            (0, vec![4]),
            "{url}"
        );
        assert_eq!(
            (received_in(db, 2021).await, received_in(db, 2022).await),
            (0, 2),
            "{url}"
        );
        // Y-2 moved into a year not stored yet: through the staging path, not doubled.
        let later = vec![dated("Y-2", "2023-01-03 08:00", 2)];
        assert_eq!(db.store_dossiers(later, |_| {}).await.unwrap(), 1, "{url}");
        // A new year of new codes for a unit that has dossiers: attached as loaded, the
        // unit's rollups rebuilt with it.
        let fresh_year = vec![
            dated("N-1", "2024-02-01 08:00", 2),
            dated("N-2", "2024-02-02 08:00", 3),
        ];
        assert_eq!(
            db.store_dossiers(fresh_year, |_| {}).await.unwrap(),
            2,
            "{url}"
        );
        let years = received_by_year(db, &[2020, 2021, 2022, 2023, 2024]).await;
        assert_eq!(years, [1, 0, 1, 1, 2], "{url}");
        // A stored year again: an unchanged dossier is left as it is, a new one is added,
        // and an unchanged code twice is still named (the upsert skips unchanged rows, so
        // it would not meet the second one).
        let again = vec![
            dated("N-1", "2024-02-01 08:00", 2),
            dated("N-1", "2024-02-01 08:00", 3),
            dated("N-3", "2024-03-01 08:00", 4),
        ];
        assert_eq!(
            store_naming_twice(db, again, true).await,
            (2, vec![3]),
            "{url}"
        );
        assert_eq!(received_in(db, 2024).await, 3, "{url}");
        if let Db::Postgres(pool) = db {
            let parts = partitions(pool).await;
            assert_eq!(parts.len(), 5, "{parts:?}");
            // No loading table is left behind.
            let (left,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM pg_class WHERE relname LIKE 'dossier_load_%' \
                 AND relnamespace = current_schema()::regnamespace",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            assert_eq!(left, 0);
        }
    }
}

/// The dossiers received in each of `years` by SKHDT.
async fn received_by_year(db: &Db, years: &[i32]) -> Vec<u64> {
    let mut out = Vec::new();
    for &y in years {
        out.push(received_in(db, y).await);
    }
    out
}

/// A PostgreSQL database written before the partitions (migrations up to 0032) keeps its
/// dossiers, each in its year's partition, after the upgrade.
#[tokio::test]
async fn dossiers_of_an_older_database_move_into_their_years() {
    let Some((probe, _)) = parindex_db::testkit::postgres().await else {
        return;
    };
    probe.close().await;
    let dir = std::env::temp_dir().join(format!("parindex-pg-upgrade-{}", std::process::id()));
    let before = migrations_before(&dir, "postgres", "0033");
    let base = parindex_db::testkit::postgres_url();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("up_{}_{nanos}", std::process::id());
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&admin)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(before.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    for sql in [
        "INSERT INTO units (code, name, search_text, updated_at) VALUES ('SKHDT', 'Sở Kế hoạch và Đầu tư', 'so ke hoach', '2021-01-01T00:00:00Z')",
        "INSERT INTO dossiers (unit_code, code, procedure_code, received_at, due_at, finished_at, channel, \
         status, timely_apology) VALUES \
         ('SKHDT', 'T-1', 'KH-1', 202103010800, 202103040800, 202103050930, 'direct', 'late', false), \
         ('SKHDT', 'T-2', 'KH-1', 202201030800, 202201060800, NULL, 'online', 'pending', false)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let db = Db::connect(&url).await.unwrap();
    let Db::Postgres(pg) = &db else {
        unreachable!("a PostgreSQL address");
    };
    let per_year: Vec<(String, i64)> = sqlx::query_as(
        "SELECT tableoid::regclass::TEXT, COUNT(*) FROM dossiers GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(pg)
    .await
    .unwrap();
    assert_eq!(
        per_year,
        [
            ("dossiers_y2021".to_string(), 1),
            ("dossiers_y2022".to_string(), 1)
        ]
    );
    let (total, lines) = db
        .dossier_list(
            "SKHDT",
            Date::new(2021, 1, 1).unwrap(),
            Date::new(2022, 12, 31).unwrap(),
            Instant::parse("2023-01-01 00:00").unwrap(),
            None,
            DossierFilter::Received,
            10,
        )
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        (lines[0].code.as_str(), lines[0].finished_at.as_deref()),
        ("T-1", Some("2021-03-05 09:30"))
    );
    db.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file without the return's columns (a list of dossiers received, exported apart from
/// the returns) keeps the returns stored before; a file with them sets them, an empty cell
/// clearing. On every storing path.
#[tokio::test]
async fn a_re_import_without_returns_keeps_them() {
    let mut dbs = parindex_db::testkit::each_db().await;
    dbs.push((
        Db::connect("sqlite::memory:").await.unwrap(),
        "memory".into(),
    ));
    let dir = std::env::temp_dir().join(format!("parindex-returns-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let with = dir.join("with.csv");
    let without = dir.join("without.csv");
    let cleared = dir.join("cleared.csv");
    let only_at = dir.join("only-at.csv");
    // The instant alone: the channel stored stays (postal).
    std::fs::write(
        &only_at,
        "code,unit_code,procedure_code,received_at,finished_at,channel,returned_at\n\
         R-1,SKHDT,KH-1,2021-03-01 08:00,2021-03-02 11:00,direct,2021-03-04 09:00\n",
    )
    .unwrap();
    std::fs::write(
        &with,
        "code,unit_code,procedure_code,received_at,finished_at,channel,returned_at,return_channel\r\n\
         R-1,SKHDT,KH-1,2021-03-01 08:00,2021-03-02 10:00,direct,2021-03-03 09:00,postal\r\n",
    )
    .unwrap();
    std::fs::write(
        &without,
        "code,unit_code,procedure_code,received_at,finished_at,channel\n\
         R-1,SKHDT,KH-1,2021-03-01 08:00,2021-03-02 11:00,direct\n",
    )
    .unwrap();
    std::fs::write(
        &cleared,
        "code,unit_code,procedure_code,received_at,finished_at,channel,returned_at,return_channel\n\
         R-1,SKHDT,KH-1,2021-03-01 08:00,2021-03-02 11:00,direct,,\n",
    )
    .unwrap();
    let march = |db: &Db| {
        let db = db.clone();
        async move {
            db.period_figures(
                Some("SKHDT"),
                Date::new(2021, 3, 1).unwrap(),
                Date::new(2021, 3, 31).unwrap(),
            )
            .await
            .unwrap()
            .returned_postal
        }
    };
    for (db, url) in &dbs {
        prepare(db).await;
        for (file, postal) in [(&with, 1), (&without, 1), (&only_at, 1), (&cleared, 0)] {
            let out = import(db, file).await;
            assert!(!out.refused, "{url}: {:?}", out.problems);
            assert_eq!(march(db).await, postal, "{url}: after {}", file.display());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Rollups stored before limits were summed as working days (migration 0034): an 8-hour
/// procedure's limit counted as 8 days; after the upgrade it counts as one, in the daily
/// rollups and in the unit's months, and a working-day procedure is left as it was.
#[tokio::test]
async fn stored_limits_in_hours_become_working_days_on_upgrade() {
    let dir = std::env::temp_dir().join(format!("parindex-limits-{}", std::process::id()));
    let url = older_sqlite(
        &dir,
        "0034",
        &[
        "INSERT INTO units (code, name, search_text, updated_at) VALUES ('KBNN', 'Kho bạc', 'kho bac', '2021-01-01T00:00:00Z')",
        "INSERT INTO procedures (code, name, unit_code, limit_days, internal_days, limit_unit, updated_at) VALUES \
         ('H8', 'Kiểm soát chi', 'KBNN', 8, 4, 'working_hours', '2021-01-01T00:00:00Z'), \
         ('W2', 'Cấp mã', 'KBNN', 2, NULL, NULL, '2021-01-01T00:00:00Z')",
        "INSERT INTO dossier_rollups (unit_code, procedure_code, day, received, finished, early, on_time, late, \
         late_no_apology, online, postal, timed, used_days_milli, limit_days, internal_days, internal_count) VALUES \
         ('KBNN', 'H8', '2021-03-01', 2, 2, 0, 2, 0, 0, 0, 0, 2, 1500, 16, 8, 2), \
         ('KBNN', 'W2', '2021-03-02', 1, 1, 0, 1, 0, 0, 0, 0, 1, 2000, 2, 0, 0)",
        "INSERT INTO dossier_rollup_months (unit_code, month, received, finished, early, on_time, late, \
         late_no_apology, online, postal, timed, used_days_milli, limit_days, internal_days, internal_count) VALUES \
         ('KBNN', '2021-03', 3, 3, 0, 3, 0, 0, 0, 0, 3, 3500, 18, 8, 2)",
],
    )
    .await;
    let db = Db::connect(&url).await.unwrap();
    let Db::Sqlite(pool) = &db else {
        unreachable!("a SQLite address");
    };
    let days: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT procedure_code, limit_days, internal_days FROM dossier_rollups ORDER BY procedure_code",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        days,
        [("H8".to_string(), 2, 2), ("W2".to_string(), 2, 0)],
        "two dossiers of 8 hours (one day each), 4 hours inside (rounded up to a day)"
    );
    let month: (i64, i64) =
        sqlx::query_as("SELECT limit_days, internal_days FROM dossier_rollup_months")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(month, (4, 2));
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
