//! The one access policy: every page, API call and form of parindex is decided by
//! [`decide`] from who asks ([`Actor`]), what they want ([`Action`]) and the state of what
//! it touches ([`Target`]: its unit, the criteria set's phase, a submission, a closed
//! window). The rules are data ([`rule`]); `docs/security.md` prints them as a table
//! ([`table_markdown`]) and a test keeps the two equal.
//!
//! Unit scope is explicit. A unit role (leader, focal point, division member, viewer) acts
//! for its own unit; a province-wide role (administrator, secretariat, appraiser) for every
//! unit where its rule says so. A division member reaches its department (the parent unit)
//! only for the actions whose rule lists it under `parent`; a department's leader or focal
//! point reaches its divisions (child units) only where `child` lists it. Nothing else
//! crosses units: a department is not its province's committee, nor the other way round.

use std::fmt::Write as _;

use crate::access::Role;
use crate::cycle::Phase;

/// Who asks: a role and the unit it belongs to, with that unit's parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    pub role: Role,
    pub unit: Option<&'a str>,
    pub unit_parent: Option<&'a str>,
}

/// What the action touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Target<'a> {
    /// The unit whose data it is (`None`: province-wide data).
    pub unit: Option<&'a str>,
    /// That unit's parent, if any.
    pub unit_parent: Option<&'a str>,
    /// The criteria set's phase, where a set is concerned (`None`: no cycle, or no set).
    pub phase: Option<Phase>,
    /// The unit's self-assessment has been submitted.
    pub submitted: bool,
    /// The phase's window has closed for the unit (no extension).
    pub closed: bool,
}

impl<'a> Target<'a> {
    pub fn unit(unit: &'a str, unit_parent: Option<&'a str>) -> Self {
        Target {
            unit: Some(unit),
            unit_parent,
            ..Target::default()
        }
    }

    #[must_use]
    pub fn in_phase(self, phase: Option<Phase>) -> Self {
        Target { phase, ..self }
    }
}

/// How the target's unit stands to the actor's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Own,
    /// The target is the actor's parent unit (a division looking at its department).
    Parent,
    /// The target is a child of the actor's unit (a department looking at a division).
    Child,
    Other,
}

pub fn relation(actor: &Actor<'_>, target: &Target<'_>) -> Relation {
    match (actor.unit, target.unit) {
        (Some(a), Some(t)) if a == t => Relation::Own,
        (Some(_), Some(t)) if actor.unit_parent == Some(t) => Relation::Parent,
        (Some(a), Some(_)) if target.unit_parent == Some(a) => Relation::Child,
        _ => Relation::Other,
    }
}

macro_rules! actions {
    ($($(#[doc = $doc:literal])* $name:ident => $key:literal,)*) => {
        /// Everything a request may want to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[doc = $doc])* $name,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];

            /// A stable name (routes table, docs, logs).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Action::$name => $key,)*
                }
            }
        }
    };
}

actions! {
    /// The published ranking of a set (and drafts, for province-wide roles).
    ReadRanking => "ranking.read",
    /// A unit's score card.
    ReadScoreCard => "scorecard.read",
    /// A unit's assessment page: points, notes, evidence, history.
    ReadAssessment => "assessment.read",
    /// Self-assessment: a leaf's points, figure or option, note; evidence added, linked or
    /// revised. A division member only on the leaves its department gave it (checked leaf by
    /// leaf on top of this rule).
    SelfAssess => "assessment.self",
    /// Any change to a leaf or its evidence (a self-assessment, an appraisal, an explanation
    /// or an answer): which one the leaf allows now is decided leaf by leaf with the four
    /// actions above and below.
    EditAssessment => "assessment.edit",
    /// Marks a leaf not applicable to a unit (with the reason), or applicable again: the
    /// secretariat, until the results are published.
    MarkNotApplicable => "assessment.applicability",
    /// Fills the unit's empty leaves from last year's self-assessment (through the mapping),
    /// as a draft to check.
    Prefill => "assessment.prefill",
    /// Hands a leaf to a division.
    Delegate => "assessment.delegate",
    /// Submits the self-assessment.
    Submit => "assessment.submit",
    /// Appraisal of a leaf (appraisers within their assigned fields).
    Appraise => "assessment.appraise",
    /// Contests a cut during the explanation phase.
    Explain => "assessment.explain",
    /// Answers an explanation.
    Answer => "assessment.answer",
    /// The cycle page: phases, deadlines, every unit's progress.
    ReadCycle => "cycle.read",
    /// Moves the cycle forward, sets deadlines, grants extensions.
    ManageCycle => "cycle.manage",
    /// Matches last year's criteria to this year's (the mapping behind comparisons and the
    /// prefilled self-assessment).
    MapCriteria => "criteria.map",
    /// Moves the cycle backwards or reopens a published set (with a reason).
    ReopenCycle => "cycle.reopen",
    /// A unit's tasks, directives, calendar, overdue list and violations.
    ReadTasks => "tasks.read",
    /// Creates tasks (directives, points lost), cancels them, decides violations.
    RunTasks => "tasks.run",
    /// Reports progress on a task's occurrence or starts it.
    ReportTask => "tasks.report",
    /// Comments on a task.
    CommentTask => "tasks.comment",
    /// The director's weekly brief.
    ReadBrief => "tasks.brief",
    /// The points a unit lost, once the appraisal is released, to turn into tasks.
    ReadLost => "tasks.lost",
    /// A unit's dossier figures, lists and due-soon page.
    ReadDossiers => "dossiers.read",
    /// The province's dossier figures, every unit side by side.
    ReadProvinceDossiers => "dossiers.province",
    /// Imports a unit's dossiers (and reads the import's report).
    ImportDossiers => "dossiers.import",
    /// Records an apology slip for a unit's dossier.
    IssueApology => "dossiers.apology",
    /// A unit's indicators (values per period, targets, trend).
    ReadIndicators => "indicators.read",
    /// Enters a unit's indicator values (with evidence).
    EnterIndicators => "indicators.enter",
    /// The registry's list and each indicator with every unit side by side.
    ReadProvinceIndicators => "indicators.province",
    /// Imports definitions and values of indicators for every unit (CSV or XLSX files).
    ManageIndicators => "indicators.manage",
    /// The units' list and their reorganisations (a unit-change file: merge, split, rename).
    ReorganiseUnits => "units.reorganise",
    /// The working-day calendar.
    ReadCalendar => "calendar.read",
    /// Edits the working-day calendar.
    EditCalendar => "calendar.edit",
    /// One's own notifications, password and account.
    OwnAccount => "account.own",
    /// Every account: creation, roles, appraisers' fields.
    ManageAccounts => "accounts.manage",
}

/// Who may take an action, over which units, in which phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Anybody, signed in or not, once the set is published.
    pub public_when_published: bool,
    /// Anybody signed in (no unit involved).
    pub signed_in: bool,
    /// Roles that act on every unit.
    pub province: &'static [Role],
    /// Roles that act on their own unit.
    pub own: &'static [Role],
    /// Roles that act on their unit's parent.
    pub parent: &'static [Role],
    /// Roles that act on their unit's children.
    pub child: &'static [Role],
    /// Phases in which the action is open (`None`: any, also without a cycle).
    pub phases: Option<&'static [Phase]>,
    /// Refused once the unit's self-assessment is submitted.
    pub unsubmitted: bool,
    /// Refused once the phase's window has closed for the unit (no extension).
    pub in_window: bool,
    /// Only once the appraisal is released to the unit (explanation onwards) — for unit roles.
    pub released_to_unit: bool,
}

const NONE: &[Role] = &[];
const PROVINCE: &[Role] = &[Role::Admin, Role::Secretariat, Role::Appraiser];
const UNIT_ALL: &[Role] = &[Role::Leader, Role::Focal, Role::Division, Role::Viewer];
const UNIT_RUN: &[Role] = &[Role::Leader, Role::Focal];
const UNIT_WORK: &[Role] = &[Role::Leader, Role::Focal, Role::Division];
const DIVISION: &[Role] = &[Role::Division];
const SECRETARIAT: &[Role] = &[Role::Admin, Role::Secretariat];
const APPRAISERS: &[Role] = &[Role::Secretariat, Role::Appraiser];
const ADMIN: &[Role] = &[Role::Admin];

const BASE: Rule = Rule {
    public_when_published: false,
    signed_in: false,
    province: NONE,
    own: NONE,
    parent: NONE,
    child: NONE,
    phases: None,
    unsubmitted: false,
    in_window: false,
    released_to_unit: false,
};

/// The rule of an action: the whole policy, one arm per action.
#[expect(
    clippy::match_same_arms,
    reason = "one arm per action reads as the policy's table"
)]
pub fn rule(action: Action) -> Rule {
    use Action as A;
    match action {
        A::ReadRanking => Rule {
            public_when_published: true,
            province: PROVINCE,
            ..BASE
        },
        A::ReadScoreCard => Rule {
            public_when_published: true,
            province: PROVINCE,
            own: UNIT_ALL,
            parent: DIVISION,
            ..BASE
        },
        A::ReadAssessment => Rule {
            province: PROVINCE,
            own: UNIT_ALL,
            parent: DIVISION,
            child: UNIT_RUN,
            ..BASE
        },
        A::SelfAssess => Rule {
            own: UNIT_RUN,
            parent: DIVISION,
            phases: Some(&[Phase::SelfAssessment]),
            unsubmitted: true,
            in_window: true,
            ..BASE
        },
        // Who may change anything of a leaf at all; the phase and the leaf's state decide
        // which step (an evidence revision has no set in its path).
        A::EditAssessment => Rule {
            province: APPRAISERS,
            own: UNIT_RUN,
            parent: DIVISION,
            ..BASE
        },
        A::MarkNotApplicable => Rule {
            province: SECRETARIAT,
            phases: Some(&[
                Phase::SelfAssessment,
                Phase::Appraisal,
                Phase::Explanation,
                Phase::FinalAppraisal,
            ]),
            ..BASE
        },
        A::Prefill => Rule {
            own: UNIT_RUN,
            phases: Some(&[Phase::SelfAssessment]),
            unsubmitted: true,
            in_window: true,
            ..BASE
        },
        A::Delegate => Rule {
            own: UNIT_RUN,
            phases: Some(&[Phase::SelfAssessment]),
            unsubmitted: true,
            in_window: true,
            ..BASE
        },
        A::Submit => Rule {
            own: &[Role::Leader],
            phases: Some(&[Phase::SelfAssessment]),
            unsubmitted: true,
            in_window: true,
            ..BASE
        },
        A::Appraise => Rule {
            province: APPRAISERS,
            phases: Some(&[Phase::Appraisal]),
            in_window: true,
            ..BASE
        },
        A::Explain => Rule {
            own: UNIT_RUN,
            phases: Some(&[Phase::Explanation]),
            in_window: true,
            ..BASE
        },
        A::Answer => Rule {
            province: APPRAISERS,
            phases: Some(&[Phase::FinalAppraisal]),
            in_window: true,
            ..BASE
        },
        A::ReadCycle => Rule {
            province: PROVINCE,
            ..BASE
        },
        A::ManageCycle => Rule {
            province: SECRETARIAT,
            ..BASE
        },
        A::MapCriteria => Rule {
            province: SECRETARIAT,
            ..BASE
        },
        A::ReopenCycle => Rule {
            province: &[Role::Secretariat],
            ..BASE
        },
        A::ReadTasks => Rule {
            province: ADMIN,
            own: UNIT_ALL,
            parent: DIVISION,
            child: UNIT_RUN,
            ..BASE
        },
        A::RunTasks => Rule {
            own: UNIT_RUN,
            ..BASE
        },
        A::ReportTask => Rule {
            own: UNIT_WORK,
            parent: DIVISION,
            ..BASE
        },
        A::CommentTask => Rule {
            province: ADMIN,
            own: UNIT_WORK,
            parent: DIVISION,
            ..BASE
        },
        A::ReadBrief => Rule {
            province: ADMIN,
            own: UNIT_RUN,
            ..BASE
        },
        A::ReadLost => Rule {
            own: UNIT_RUN,
            released_to_unit: true,
            ..BASE
        },
        A::ReadIndicators => Rule {
            province: PROVINCE,
            own: UNIT_ALL,
            parent: DIVISION,
            child: UNIT_RUN,
            ..BASE
        },
        A::EnterIndicators => Rule {
            province: SECRETARIAT,
            own: UNIT_RUN,
            ..BASE
        },
        A::ReadProvinceIndicators => Rule {
            province: PROVINCE,
            ..BASE
        },
        A::ManageIndicators | A::ReorganiseUnits => Rule {
            province: SECRETARIAT,
            ..BASE
        },
        A::ReadDossiers => Rule {
            province: PROVINCE,
            own: UNIT_ALL,
            parent: DIVISION,
            child: UNIT_RUN,
            ..BASE
        },
        A::ReadProvinceDossiers => Rule {
            province: PROVINCE,
            ..BASE
        },
        A::ImportDossiers => Rule {
            province: SECRETARIAT,
            own: UNIT_RUN,
            ..BASE
        },
        A::IssueApology => Rule {
            own: UNIT_RUN,
            ..BASE
        },
        A::ReadCalendar | A::OwnAccount => Rule {
            signed_in: true,
            ..BASE
        },
        A::EditCalendar => Rule {
            province: SECRETARIAT,
            ..BASE
        },
        A::ManageAccounts => Rule {
            province: ADMIN,
            ..BASE
        },
    }
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Nobody is signed in.
    SignIn,
    /// The role never takes this action.
    Role,
    /// The role takes it, but not on this unit.
    Unit,
    /// Not in the set's current phase.
    Phase,
    /// The self-assessment was submitted.
    Submitted,
    /// The phase's window has closed for the unit.
    Closed,
    /// The appraisal is not yet released to the unit.
    NotReleased,
}

impl Denied {
    pub fn message_vi(self) -> &'static str {
        match self {
            Denied::SignIn => "Vui lòng đăng nhập để tiếp tục.",
            Denied::Role => "Vai trò của bạn không được thực hiện việc này.",
            Denied::Unit => "Bạn chỉ làm việc được với dữ liệu của đơn vị mình.",
            Denied::Phase => {
                "Việc này không làm được trong giai đoạn hiện tại của chu kỳ đánh giá."
            }
            Denied::Submitted => "Đơn vị đã gửi bản tự đánh giá: không sửa được nữa.",
            Denied::Closed => "Đã hết hạn của giai đoạn này đối với đơn vị (không có gia hạn).",
            Denied::NotReleased => "Kết quả thẩm định chưa được gửi về đơn vị.",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            Denied::SignIn => "Please sign in to continue.",
            Denied::Role => "Your role may not do this.",
            Denied::Unit => "You may only work with your own unit's data.",
            Denied::Phase => "This cannot be done in the cycle's current phase.",
            Denied::Submitted => {
                "The unit has submitted its self-assessment: it can no longer change."
            }
            Denied::Closed => "This phase's deadline has passed for the unit (no extension).",
            Denied::NotReleased => "The appraisal has not been released to the unit yet.",
        }
    }
}

/// Whether `actor` (`None`: a visitor) may take `action` on `target`.
pub fn decide(
    actor: Option<&Actor<'_>>,
    action: Action,
    target: &Target<'_>,
) -> Result<(), Denied> {
    let r = rule(action);
    if r.public_when_published && target.phase == Some(Phase::Published) {
        return Ok(());
    }
    let actor = actor.ok_or(Denied::SignIn)?;
    let role = actor.role;
    let province_wide = r.province.contains(&role);
    if !r.signed_in && !province_wide {
        let scoped = [r.own, r.parent, r.child].iter().any(|l| l.contains(&role));
        if !scoped {
            return Err(Denied::Role);
        }
        if target.unit.is_none() {
            return Err(Denied::Role);
        }
        let ok = match relation(actor, target) {
            Relation::Own => r.own.contains(&role),
            Relation::Parent => r.parent.contains(&role),
            Relation::Child => r.child.contains(&role),
            Relation::Other => false,
        };
        if !ok {
            return Err(Denied::Unit);
        }
        if r.released_to_unit && !crate::cycle::appraisal_released(target.phase) {
            return Err(Denied::NotReleased);
        }
    }
    if let Some(phases) = r.phases
        && !target.phase.is_some_and(|p| phases.contains(&p))
    {
        return Err(Denied::Phase);
    }
    if r.unsubmitted && target.submitted {
        return Err(Denied::Submitted);
    }
    if r.in_window && target.closed {
        return Err(Denied::Closed);
    }
    Ok(())
}

/// Whether `actor` sees every unit's data at every phase (the province-wide roles).
pub fn province_wide(actor: Option<&Actor<'_>>) -> bool {
    actor.is_some_and(|a| PROVINCE.contains(&a.role))
}

fn roles(list: &[Role]) -> String {
    if list.is_empty() {
        "—".to_string()
    } else {
        list.iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The policy as a Markdown table, one row per action (printed in `docs/security.md`).
pub fn table_markdown() -> String {
    let mut out = String::from(
        "| action | province-wide | own unit | parent unit | child unit | phases | other conditions |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for &a in Action::ALL {
        let r = rule(a);
        let phases = r.phases.map_or_else(
            || "any".to_string(),
            |p| p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "),
        );
        let mut other = Vec::new();
        if r.public_when_published {
            other.push("anyone once published");
        }
        if r.signed_in {
            other.push("anyone signed in");
        }
        if r.unsubmitted {
            other.push("not after the submission");
        }
        if r.in_window {
            other.push("not after the phase's deadline (unless extended)");
        }
        if r.released_to_unit {
            other.push("unit roles once the appraisal is released");
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            a.as_str(),
            roles(r.province),
            roles(r.own),
            roles(r.parent),
            roles(r.child),
            phases,
            if other.is_empty() {
                "—".to_string()
            } else {
                other.join("; ")
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STC_FOCAL: Actor<'static> = Actor {
        role: Role::Focal,
        unit: Some("STC"),
        unit_parent: Some("UBND-BRVT"),
    };
    const SKHDT_FOCAL: Actor<'static> = Actor {
        role: Role::Focal,
        unit: Some("SKHDT"),
        unit_parent: Some("UBND-BRVT"),
    };
    const DIVISION_DTPT: Actor<'static> = Actor {
        role: Role::Division,
        unit: Some("SKHDT-DTPT"),
        unit_parent: Some("SKHDT"),
    };
    const VIEWER: Actor<'static> = Actor {
        role: Role::Viewer,
        unit: Some("SKHDT"),
        unit_parent: Some("UBND-BRVT"),
    };

    fn skhdt(phase: Phase) -> Target<'static> {
        Target::unit("SKHDT", Some("UBND-BRVT")).in_phase(Some(phase))
    }

    #[test]
    fn a_department_is_not_its_province_committee() {
        // Finding 4: a department's user read and wrote UBND-BRVT's data through its parent.
        let committee = Target::unit("UBND-BRVT", None).in_phase(Some(Phase::SelfAssessment));
        for a in [
            Action::ReadTasks,
            Action::CommentTask,
            Action::ReadDossiers,
            Action::ReadAssessment,
            Action::ReadScoreCard,
            Action::SelfAssess,
            Action::ReportTask,
        ] {
            assert_eq!(
                decide(Some(&STC_FOCAL), a, &committee),
                Err(Denied::Unit),
                "{a:?}"
            );
        }
    }

    #[test]
    fn a_division_reaches_its_department_only_where_listed() {
        let t = skhdt(Phase::SelfAssessment);
        assert_eq!(decide(Some(&DIVISION_DTPT), Action::ReadTasks, &t), Ok(()));
        assert_eq!(decide(Some(&DIVISION_DTPT), Action::SelfAssess, &t), Ok(()));
        assert_eq!(
            decide(Some(&DIVISION_DTPT), Action::RunTasks, &t),
            Err(Denied::Role)
        );
        assert_eq!(
            decide(Some(&DIVISION_DTPT), Action::Submit, &t),
            Err(Denied::Role)
        );
        let stc = Target::unit("STC", Some("UBND-BRVT"));
        assert_eq!(
            decide(Some(&DIVISION_DTPT), Action::ReadTasks, &stc),
            Err(Denied::Unit)
        );
        // The department's focal point sees its division's tasks.
        let dtpt = Target::unit("SKHDT-DTPT", Some("SKHDT"));
        assert_eq!(decide(Some(&SKHDT_FOCAL), Action::ReadTasks, &dtpt), Ok(()));
        assert_eq!(
            decide(Some(&SKHDT_FOCAL), Action::RunTasks, &dtpt),
            Err(Denied::Unit)
        );
    }

    #[test]
    fn self_assessment_locks_with_submission_phase_and_window() {
        let open = skhdt(Phase::SelfAssessment);
        assert_eq!(
            decide(Some(&SKHDT_FOCAL), Action::SelfAssess, &open),
            Ok(())
        );
        let submitted = Target {
            submitted: true,
            ..open
        };
        // Finding 6: evidence (a SelfAssess action) after submission.
        assert_eq!(
            decide(Some(&DIVISION_DTPT), Action::SelfAssess, &submitted),
            Err(Denied::Submitted)
        );
        let closed = Target {
            closed: true,
            ..open
        };
        assert_eq!(
            decide(Some(&SKHDT_FOCAL), Action::SelfAssess, &closed),
            Err(Denied::Closed)
        );
        assert_eq!(
            decide(
                Some(&SKHDT_FOCAL),
                Action::SelfAssess,
                &skhdt(Phase::Appraisal)
            ),
            Err(Denied::Phase)
        );
    }

    #[test]
    fn viewers_only_read() {
        let t = skhdt(Phase::SelfAssessment);
        for &a in Action::ALL {
            let r = rule(a);
            let reads = a.as_str().split('.').nth(1) == Some("read")
                || matches!(a, Action::ReadBrief | Action::ReadLost | Action::OwnAccount);
            let writes = !reads && !r.signed_in;
            if writes {
                assert!(decide(Some(&VIEWER), a, &t).is_err(), "viewer may {a:?}");
            }
        }
        assert_eq!(
            decide(Some(&VIEWER), Action::CommentTask, &t),
            Err(Denied::Role)
        );
        assert_eq!(decide(Some(&VIEWER), Action::ReadTasks, &t), Ok(()));
    }

    #[test]
    fn drafts_are_private_and_published_sets_public() {
        let draft = skhdt(Phase::Appraisal);
        assert_eq!(
            decide(None, Action::ReadRanking, &draft),
            Err(Denied::SignIn)
        );
        assert_eq!(
            decide(Some(&SKHDT_FOCAL), Action::ReadRanking, &draft),
            Err(Denied::Role)
        );
        assert_eq!(
            decide(Some(&STC_FOCAL), Action::ReadScoreCard, &draft),
            Err(Denied::Unit)
        );
        let published = skhdt(Phase::Published);
        assert_eq!(decide(None, Action::ReadRanking, &published), Ok(()));
        assert_eq!(decide(None, Action::ReadScoreCard, &published), Ok(()));
        assert_eq!(
            decide(None, Action::ReadAssessment, &published),
            Err(Denied::SignIn)
        );
    }

    #[test]
    fn points_lost_wait_for_the_release() {
        assert_eq!(
            decide(
                Some(&SKHDT_FOCAL),
                Action::ReadLost,
                &skhdt(Phase::Appraisal)
            ),
            Err(Denied::NotReleased)
        );
        assert_eq!(
            decide(
                Some(&SKHDT_FOCAL),
                Action::ReadLost,
                &skhdt(Phase::Explanation)
            ),
            Ok(())
        );
    }

    #[test]
    fn only_the_secretariat_reopens() {
        let sec = Actor {
            role: Role::Secretariat,
            unit: None,
            unit_parent: None,
        };
        let admin = Actor {
            role: Role::Admin,
            ..sec
        };
        let t = Target::default().in_phase(Some(Phase::Published));
        assert_eq!(decide(Some(&sec), Action::ReopenCycle, &t), Ok(()));
        assert_eq!(
            decide(Some(&admin), Action::ReopenCycle, &t),
            Err(Denied::Role)
        );
    }

    #[test]
    fn the_table_has_a_row_per_action() {
        let t = table_markdown();
        for &a in Action::ALL {
            assert!(t.contains(&format!("`{}`", a.as_str())), "{a:?}");
        }
        assert_eq!(t.lines().count(), Action::ALL.len() + 2);
    }
}
