//! The yearly cycle: phases and who may see what in each.

use crate::access::Role;

/// Phases of a criteria set's year, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    SelfAssessment,
    Appraisal,
    Explanation,
    FinalAppraisal,
    Published,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::SelfAssessment,
        Phase::Appraisal,
        Phase::Explanation,
        Phase::FinalAppraisal,
        Phase::Published,
    ];

    pub fn parse(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::SelfAssessment => "self_assessment",
            Phase::Appraisal => "appraisal",
            Phase::Explanation => "explanation",
            Phase::FinalAppraisal => "final_appraisal",
            Phase::Published => "published",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Phase::SelfAssessment => "Tự đánh giá",
            Phase::Appraisal => "Thẩm định",
            Phase::Explanation => "Giải trình",
            Phase::FinalAppraisal => "Thẩm định sau giải trình",
            Phase::Published => "Đã công bố",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Phase::SelfAssessment => "Self-assessment",
            Phase::Appraisal => "Appraisal",
            Phase::Explanation => "Explanation",
            Phase::FinalAppraisal => "Final appraisal",
            Phase::Published => "Published",
        }
    }

    pub fn next(self) -> Option<Phase> {
        let i = Phase::ALL.iter().position(|p| *p == self)?;
        Phase::ALL.get(i + 1).copied()
    }
}

/// Who is looking: a role and the unit it belongs to (with that unit's parent, so that a
/// division's member belongs to its department).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer<'a> {
    pub role: Role,
    pub unit: Option<&'a str>,
    pub unit_parent: Option<&'a str>,
}

impl Viewer<'_> {
    /// Province-wide roles see every unit at every phase.
    pub fn sees_all(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Secretariat | Role::Appraiser)
    }

    pub fn belongs_to(&self, unit: &str) -> bool {
        self.unit == Some(unit) || self.unit_parent == Some(unit)
    }
}

/// The ranking of a set: public once published, else province-wide roles only.
/// A set without a cycle (`None`) is a draft.
pub fn can_see_ranking(phase: Option<Phase>, viewer: Option<&Viewer<'_>>) -> bool {
    phase == Some(Phase::Published) || viewer.is_some_and(Viewer::sees_all)
}

/// A unit's score card: public once published; before, its own people and province-wide roles.
pub fn can_see_unit(phase: Option<Phase>, viewer: Option<&Viewer<'_>>, unit: &str) -> bool {
    phase == Some(Phase::Published) || viewer.is_some_and(|v| v.sees_all() || v.belongs_to(unit))
}

/// Whether the unit may already see what the appraisers decided (released at explanation).
pub fn appraisal_released(phase: Option<Phase>) -> bool {
    phase.is_some_and(|p| p >= Phase::Explanation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_by_phase_and_unit() {
        let focal = Viewer {
            role: Role::Focal,
            unit: Some("SKHDT"),
            unit_parent: None,
        };
        let division = Viewer {
            role: Role::Division,
            unit: Some("SKHDT-VP"),
            unit_parent: Some("SKHDT"),
        };
        let appraiser = Viewer {
            role: Role::Appraiser,
            unit: None,
            unit_parent: None,
        };
        let draft = Some(Phase::Appraisal);
        assert!(!can_see_ranking(draft, None));
        assert!(!can_see_ranking(draft, Some(&focal)));
        assert!(can_see_ranking(draft, Some(&appraiser)));
        assert!(can_see_ranking(Some(Phase::Published), None));
        assert!(can_see_unit(draft, Some(&focal), "SKHDT"));
        assert!(can_see_unit(draft, Some(&division), "SKHDT"));
        assert!(!can_see_unit(draft, Some(&focal), "STC"));
        assert!(!can_see_unit(None, None, "STC"));
        assert!(can_see_unit(Some(Phase::Published), None, "STC"));
        assert_eq!(Phase::Explanation.next(), Some(Phase::FinalAppraisal));
        assert!(appraisal_released(Some(Phase::Explanation)) && !appraisal_released(draft));
    }
}
