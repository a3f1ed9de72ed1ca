//! The yearly assessment: self-assessment, evidence, appraisal, explanation, the cycle.

pub mod assess;
pub mod cycle;
pub mod evidence;
pub mod prefill;
