//! `Access<A, L>`: a handler that takes one has been allowed action `A` on the unit that
//! `L` finds for the request (in the path, or behind a task, evidence or directive id),
//! by the one policy of `parindex_domain::policy`. A refusal never reaches the handler:
//! a visitor is sent to sign in, anybody else gets the error page in their language.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use parindex_db::SessionUser;
use parindex_domain::cycle::Phase;
use parindex_domain::policy::{self, Action, Target};

use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::extract::user::{actor, back_to, session_user};

/// An action of the policy, as a type (`Access<act::ReadTasks>`).
pub trait Act: Send + Sync + 'static {
    const ACTION: Action;
}

/// The actions as types, one per `policy::Action`.
pub mod act {
    use super::{Act, Action};

    macro_rules! acts {
        ($($name:ident),* $(,)?) => {
            $(
                pub struct $name;
                impl Act for $name {
                    const ACTION: Action = Action::$name;
                }
            )*
        };
    }

    acts!(
        ReadRanking,
        ReadScoreCard,
        ReadAssessment,
        SelfAssess,
        EditAssessment,
        MarkNotApplicable,
        Prefill,
        Delegate,
        Submit,
        ReadCycle,
        ManageCycle,
        MapCriteria,
        ReadIndicators,
        EnterIndicators,
        ReadProvinceIndicators,
        ManageIndicators,
        ReorganiseUnits,
        ReadTasks,
        RunTasks,
        ReportTask,
        CommentTask,
        ReadBrief,
        ReadLost,
        ReadDossiers,
        ReadProvinceDossiers,
        ImportDossiers,
        IssueApology,
        ReadCalendar,
        EditCalendar,
        OwnAccount,
        ManageAccounts,
    );
}

/// The request's path parameters by name.
pub type Params = HashMap<String, String>;

/// Finds the unit whose data a request touches.
pub trait Locate: Send + Sync + 'static {
    fn locate<'a>(
        st: &'a AppState,
        params: &'a Params,
    ) -> impl Future<Output = Result<Option<String>, AppError>> + Send + 'a;
}

fn param<'a>(params: &'a Params, name: &str) -> Result<&'a str, AppError> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or(AppError::NotFound)
}

fn id(params: &Params, name: &str) -> Result<i64, AppError> {
    param(params, name)?.parse().map_err(|_| AppError::NotFound)
}

/// Province-wide data: no unit.
pub struct NoUnit;
/// The unit named by `{unit_code}` in the path.
pub struct PathUnit;
/// The unit owning the task `{task_id}`.
pub struct TaskUnit;
/// The unit owning the task of the occurrence `{occurrence_id}`.
pub struct OccurrenceUnit;
/// The unit of the violation `{violation_id}`.
pub struct ViolationUnit;
/// The unit the directive `{directive_id}` was read for.
pub struct DirectiveUnit;
/// The unit owning the evidence `{evidence_id}`.
pub struct EvidenceUnit;
/// The unit owning the evidence file `{file_id}`.
pub struct FileUnit;

impl Locate for NoUnit {
    async fn locate(_: &AppState, _: &Params) -> Result<Option<String>, AppError> {
        Ok(None)
    }
}

impl Locate for PathUnit {
    async fn locate(_: &AppState, params: &Params) -> Result<Option<String>, AppError> {
        Ok(Some(param(params, "unit_code")?.to_string()))
    }
}

impl Locate for TaskUnit {
    async fn locate(st: &AppState, params: &Params) -> Result<Option<String>, AppError> {
        let task = id(params, "task_id")?;
        let (unit, _) = st.db.task_owner(task).await?.ok_or(AppError::NotFound)?;
        Ok(Some(unit))
    }
}

impl Locate for OccurrenceUnit {
    async fn locate(st: &AppState, params: &Params) -> Result<Option<String>, AppError> {
        let occurrence = id(params, "occurrence_id")?;
        let task = st
            .db
            .occurrence_task(occurrence)
            .await?
            .ok_or(AppError::NotFound)?;
        let (unit, _) = st.db.task_owner(task).await?.ok_or(AppError::NotFound)?;
        Ok(Some(unit))
    }
}

impl Locate for ViolationUnit {
    async fn locate(st: &AppState, params: &Params) -> Result<Option<String>, AppError> {
        let v = id(params, "violation_id")?;
        Ok(Some(
            st.db.violation_unit(v).await?.ok_or(AppError::NotFound)?,
        ))
    }
}

impl Locate for DirectiveUnit {
    async fn locate(st: &AppState, params: &Params) -> Result<Option<String>, AppError> {
        let d = id(params, "directive_id")?;
        let d = st.db.directive(d).await?.ok_or(AppError::NotFound)?;
        Ok(Some(d.unit_code))
    }
}

impl Locate for EvidenceUnit {
    async fn locate(st: &AppState, params: &Params) -> Result<Option<String>, AppError> {
        let e = id(params, "evidence_id")?;
        Ok(Some(
            st.db.evidence_unit(e).await?.ok_or(AppError::NotFound)?,
        ))
    }
}

impl Locate for FileUnit {
    async fn locate(st: &AppState, params: &Params) -> Result<Option<String>, AppError> {
        let f = id(params, "file_id")?;
        let (unit, _) = st.db.evidence_file(f).await?.ok_or(AppError::NotFound)?;
        Ok(Some(unit))
    }
}

/// The unit an allowed request works on.
#[derive(Debug, Clone)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

/// An allowed request: who, on which unit, in which phase of which set.
pub struct Access<A: Act, L: Locate = PathUnit> {
    pub user: SessionUser,
    pub unit: Option<UnitRef>,
    /// `{set_id}` of the path, if any.
    pub set_id: Option<String>,
    pub phase: Option<Phase>,
    pub params: Params,
    _action: PhantomData<fn() -> (A, L)>,
}

impl<A: Act, L: Locate> Access<A, L> {
    /// The unit's code (empty for province-wide data).
    pub fn unit_code(&self) -> &str {
        self.unit.as_ref().map_or("", |u| u.code.as_str())
    }

    pub fn unit_name(&self) -> &str {
        self.unit.as_ref().map_or("", |u| u.name.as_str())
    }

    /// A path parameter that the route declares.
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }
}

/// Whether the phase's window has closed for the unit (its deadline passed, no extension).
pub async fn window_closed(
    st: &AppState,
    set_id: &str,
    unit: &str,
    phase: Option<Phase>,
) -> Result<bool, AppError> {
    let Some(phase) = phase else { return Ok(false) };
    let today = st.now()[..10].to_string();
    let window = st
        .db
        .windows(set_id)
        .await?
        .into_iter()
        .find(|w| w.phase == phase);
    let Some(closes) = window.and_then(|w| w.closes_on) else {
        return Ok(false);
    };
    if today <= closes {
        return Ok(false);
    }
    let ext = st.db.extension(set_id, unit, phase).await?;
    Ok(ext.is_none_or(|x| today > x.until_on))
}

/// A refusal by the policy, as the error the site shows.
pub fn refusal(d: policy::Denied, back: String) -> AppError {
    match d {
        policy::Denied::SignIn => AppError::SignIn(back),
        other => AppError::Denied(other),
    }
}

impl<A: Act, L: Locate> FromRequestParts<AppState> for Access<A, L> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, AppError> {
        let back = back_to(parts);
        let user = session_user(parts, st)
            .await
            .ok_or_else(|| AppError::SignIn(back.clone()))?;
        // A password set by the demo is changed before anything else (outside `--demo`).
        if user.must_change_password && !st.demo && A::ACTION != Action::OwnAccount {
            return Err(AppError::PasswordChange);
        }
        let Path(params): Path<Params> = Path::from_request_parts(parts, st)
            .await
            .map_err(|_| AppError::NotFound)?;
        let unit = match L::locate(st, &params).await? {
            Some(code) => {
                let u = st.db.unit(&code).await?.ok_or(AppError::NotFound)?;
                Some(UnitRef {
                    code: u.code,
                    name: u.name,
                    parent: u.parent_code,
                })
            }
            None => None,
        };
        let set_id = params.get("set_id").cloned();
        let phase = match &set_id {
            Some(s) => st.db.phase(s).await?,
            None => None,
        };
        let rule = policy::rule(A::ACTION);
        let (mut submitted, mut closed) = (false, false);
        if (rule.unsubmitted || rule.in_window)
            && let (Some(s), Some(u)) = (&set_id, &unit)
        {
            submitted = st.db.submission(s, &u.code).await?.is_some();
            closed = window_closed(st, s, &u.code, phase).await?;
        }
        let target = Target {
            unit: unit.as_ref().map(|u| u.code.as_str()),
            unit_parent: unit.as_ref().and_then(|u| u.parent.as_deref()),
            phase,
            submitted,
            closed,
        };
        policy::decide(Some(&actor(&user)), A::ACTION, &target).map_err(|d| refusal(d, back))?;
        Ok(Access {
            user,
            unit,
            set_id,
            phase,
            params,
            _action: PhantomData,
        })
    }
}
