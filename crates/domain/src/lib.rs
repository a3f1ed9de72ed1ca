//! parindex-domain: the pure core — points, criteria sets, rules, scoring and ranking,
//! Vietnamese text. No IO, no clock, no async.

pub mod access;
pub mod calendar;
pub mod code;
pub mod criteria;
pub mod cycle;
pub mod directive;
pub mod dossiers;
pub mod followup;
pub mod indicators;
pub mod mapping;
pub mod period;
pub mod points;
pub mod policy;
pub mod problem;
pub mod projection;
pub mod reorg;
pub mod schedule;
pub mod scores;
pub mod scoring;
pub mod tasks;
pub mod text;
pub mod units;
pub mod whatif;
pub mod yaml;

pub use code::{Code, compare_codes};
pub use criteria::{
    CriteriaSet, Criterion, FigureWindow, Level, NodeKind, RankBy, Rule, criteria_from_tree,
    parse_criteria_yaml,
};
pub use points::Points;
pub use problem::{Problem, Problems};
pub use scores::{LeafScore, UnitScores, parse_scores_csv};
pub use scoring::{RankingReport, UnitResult, rank_units};
