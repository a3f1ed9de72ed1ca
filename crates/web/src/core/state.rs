//! Shared state: the database and caches that can be dropped at any time (each entry is
//! checked against the set's version in the database, so several instances stay correct).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use parindex_db::Db;
use parindex_domain::{CriteriaSet, UnitResult, UnitScores, rank_units};

use crate::core::error::AppError;
use crate::core::i18n::Lang;

/// A set with every unit's scores and ranks, as of one version.
#[derive(Debug)]
pub struct Computed {
    pub version: (i64, String),
    pub set: CriteriaSet,
    /// `None`: no cycle opened yet (a draft).
    pub phase: Option<parindex_domain::cycle::Phase>,
    /// By unit code.
    pub scores: Vec<UnitScores>,
    /// By group, rank, unit code.
    pub results: Vec<UnitResult>,
}

impl Computed {
    pub fn groups(&self) -> Vec<String> {
        let mut g: Vec<String> = self.results.iter().map(|r| r.group.clone()).collect();
        g.dedup();
        g
    }

    pub fn result(&self, unit: &str) -> Option<&UnitResult> {
        self.results.iter().find(|r| r.unit_code == unit)
    }

    pub fn scores_of(&self, unit: &str) -> Option<&UnitScores> {
        self.scores.iter().find(|s| s.unit_code == unit)
    }
}

type PageKey = (String, String, Lang);
type Version = (i64, String);

/// How long a set's version read from the database is trusted before it is read again.
/// Another instance's (or the CLI's) change shows within this delay.
const VERSION_TTL: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    computed: Arc<RwLock<HashMap<String, Arc<Computed>>>>,
    pages: Arc<RwLock<HashMap<PageKey, (Version, axum::body::Bytes)>>>,
    versions: Arc<RwLock<HashMap<String, (Instant, Option<Version>)>>>,
    /// Shifts the clock (tests move time forward without sleeping).
    pub clock_offset_secs: i64,
    /// Started with `--demo`: the demo's published passwords may stay as they are.
    pub demo: bool,
    /// Marks the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Where evidence files are kept (outside the web root).
    pub files: Arc<parindex_services::files::FileStore>,
    /// Largest evidence file accepted, in bytes.
    pub upload_limit: u64,
    /// Largest dossier file accepted on the import page, in bytes.
    pub dossier_upload_limit: u64,
    /// The governing body and place that head an apology slip (the province's).
    pub slip_governing_body: String,
    pub slip_place: String,
    /// Held by the dossier import that is writing: uploads wait their turn here instead of
    /// failing on the database's write lock.
    pub import_turn: Arc<tokio::sync::Mutex<()>>,
    /// Proxies whose `X-Forwarded-For` names the client (`serve --trusted-proxy`); from any
    /// other peer the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Password hashes run on a thread per core of their own (argon2id takes 19 MiB
    /// each): a burst of sign-ins waits its turn instead of exhausting memory.
    pub passwords: parindex_services::passwords::Verifier,
    /// Dossier imports started from the web, by job id (kept while the process runs).
    pub imports: Arc<
        std::sync::Mutex<
            HashMap<String, Arc<std::sync::Mutex<crate::dossiers::imports::ImportJob>>>,
        >,
    >,
}

impl AppState {
    pub fn new(db: Db) -> Self {
        AppState {
            db,
            computed: Arc::default(),
            pages: Arc::default(),
            versions: Arc::default(),
            clock_offset_secs: 0,
            demo: false,
            secure_cookies: false,
            files: Arc::new(parindex_services::files::FileStore::new("parindex-files")),
            upload_limit: 20 * 1024 * 1024,
            dossier_upload_limit: 512 * 1024 * 1024,
            slip_governing_body: parindex_reports::apology::DEMO_GOVERNING_BODY.to_string(),
            slip_place: parindex_reports::apology::DEMO_PLACE.to_string(),
            import_turn: Arc::default(),
            trusted_proxies: Vec::new(),
            passwords: parindex_services::passwords::Verifier::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
            imports: Arc::default(),
        }
    }

    /// Now, as stored in the database (RFC 3339, UTC).
    pub fn now(&self) -> String {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        parindex_domain::text::rfc3339_utc(secs + self.clock_offset_secs)
    }

    /// How a document issued now is headed: the configured governing body and place, and
    /// today's date in Việt Nam.
    pub fn issue(&self) -> parindex_services::documents::Issue {
        parindex_services::documents::Issue {
            governing_body: self.slip_governing_body.clone(),
            place: self.slip_place.clone(),
            date: self.local_instant().date,
        }
    }

    /// Now on the wall clock of Việt Nam (UTC+7), as a dossier instant.
    pub fn local_instant(&self) -> parindex_domain::calendar::Instant {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
            + self.clock_offset_secs
            + 7 * 3600;
        parindex_domain::calendar::Instant {
            date: parindex_domain::schedule::from_days(secs.div_euclid(86_400)),
            minute: u16::try_from(secs.rem_euclid(86_400) / 60).unwrap_or(0),
        }
    }

    /// Forgets the memo of a set's version after this instance changed the set, so that
    /// its own next page shows the change at once.
    pub fn invalidate(&self, set_id: &str) {
        if let Ok(mut memo) = self.versions.write() {
            memo.remove(set_id);
        }
    }

    /// Forgets the memo of every set's version (after a change that touches them all, such
    /// as a reorganisation of units).
    pub fn invalidate_all(&self) {
        if let Ok(mut memo) = self.versions.write() {
            memo.clear();
        }
    }

    /// The set's version, from a memo younger than `VERSION_TTL`, else from the database.
    async fn version(&self, set_id: &str) -> Result<Option<Version>, AppError> {
        if let Ok(memo) = self.versions.read()
            && let Some((at, v)) = memo.get(set_id)
            && at.elapsed() < VERSION_TTL
        {
            return Ok(v.clone());
        }
        let v = self.db.set_version(set_id).await?;
        if let Ok(mut memo) = self.versions.write() {
            if memo.len() > 1000 {
                memo.clear();
            }
            memo.insert(set_id.to_string(), (Instant::now(), v.clone()));
        }
        Ok(v)
    }

    /// The set's current computation, recomputed only when its version changed.
    pub async fn computed(&self, set_id: &str) -> Result<Arc<Computed>, AppError> {
        let version = self.version(set_id).await?.ok_or(AppError::NotFound)?;
        if let Ok(cache) = self.computed.read()
            && let Some(c) = cache.get(set_id)
            && c.version == version
        {
            return Ok(c.clone());
        }
        let held = self
            .computed
            .read()
            .ok()
            .and_then(|cache| cache.get(set_id).cloned());
        if let Some(c) = held
            && let Some(next) = self.recompute_changed(&c, &version).await?
        {
            let next = Arc::new(next);
            if let Ok(mut cache) = self.computed.write() {
                cache.insert(set_id.to_string(), next.clone());
            }
            return Ok(next);
        }
        let set = self.db.load_set(set_id).await?.ok_or(AppError::NotFound)?;
        let scores = self.db.load_scores(&set).await?;
        let results = self.rank(&set, &scores).await?;
        let phase = self.db.phase(set_id).await?;
        let c = Arc::new(Computed {
            version,
            set,
            phase,
            scores,
            results,
        });
        if let Ok(mut cache) = self.computed.write() {
            cache.insert(set_id.to_string(), c.clone());
        }
        Ok(c)
    }

    /// The ranking of a set among the units that exist at its year's end: a unit merged or
    /// split before then keeps its score card, not a rank.
    async fn rank(
        &self,
        set: &CriteriaSet,
        scores: &[UnitScores],
    ) -> Result<Vec<UnitResult>, AppError> {
        let outside = self.db.units_outside_year(set.year).await?;
        if outside.is_empty() {
            return Ok(rank_units(set, scores));
        }
        let kept: Vec<UnitScores> = scores
            .iter()
            .filter(|s| !outside.contains(&s.unit_code))
            .cloned()
            .collect();
        Ok(rank_units(set, &kept))
    }

    /// The computation after a change of a few units' points: those units are read again,
    /// every other one is kept, and the ranking is redone (a province's 1,000 units × 150
    /// leaves read again in full take most of a second). `None` when the tree changed or too
    /// many units did: then everything is read again.
    async fn recompute_changed(
        &self,
        held: &Computed,
        version: &Version,
    ) -> Result<Option<Computed>, AppError> {
        /// Beyond this many changed units, one full read is cheaper than many small ones.
        const MAX_CHANGED: usize = 32;
        let (Ok(since), true) = (held.version.1.parse::<i64>(), held.version.0 == version.0) else {
            return Ok(None);
        };
        let changed = self.db.units_changed_since(&held.set.id, since).await?;
        if changed.len() > MAX_CHANGED {
            return Ok(None);
        }
        let mut scores = held.scores.clone();
        for unit in &changed {
            let fresh = self.db.load_unit_scores(&held.set, unit).await?;
            match (scores.iter().position(|s| &s.unit_code == unit), fresh) {
                (Some(i), Some(f)) => scores[i] = f,
                (None, Some(f)) => scores.push(f),
                (Some(i), None) => {
                    scores.remove(i);
                }
                (None, None) => {}
            }
        }
        // The order a full read gives (by unit code), so that ties rank the same way.
        scores.sort_by(|a, b| a.unit_code.cmp(&b.unit_code));
        let results = self.rank(&held.set, &scores).await?;
        let phase = self.db.phase(&held.set.id).await?;
        Ok(Some(Computed {
            version: version.clone(),
            set: held.set.clone(),
            phase,
            scores,
            results,
        }))
    }

    /// A rendered page for this version, if cached.
    pub fn cached_page(&self, key: &PageKey, version: &Version) -> Option<axum::body::Bytes> {
        let cache = self.pages.read().ok()?;
        let (v, html) = cache.get(key)?;
        (v == version).then(|| html.clone())
    }

    pub fn store_page(&self, key: PageKey, version: Version, html: axum::body::Bytes) {
        if let Ok(mut cache) = self.pages.write() {
            if cache.len() > 1000 {
                cache.clear();
            }
            cache.insert(key, (version, html));
        }
    }
}
