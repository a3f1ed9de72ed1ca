//! parindex-web: the axum application — server-rendered pages (no JavaScript needed),
//! the JSON API under `/api/v1`, downloads, and the security middleware.
//!
//! Organised by capability around one access policy (`parindex_domain::policy`): `core`
//! (state, error, layout, languages, security headers, route table), `extract` (the
//! signed-in user, `Access<Action>`, CSRF-checked forms), then one module per capability.

pub mod accounts;
pub mod assessment;
pub mod calendar;
pub mod core;
pub mod dossiers;
pub mod extract;
pub mod home;
pub mod indicators;
pub mod ranking;
pub mod tasks;
pub mod units;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use parindex_domain::policy::Action as A;
use tower_http::set_header::SetResponseHeaderLayer;

pub use crate::core::i18n;
pub use crate::core::routes::{Guard, Route};
pub use crate::core::state::AppState;
pub use parindex_services::files;

use crate::accounts::account;
use crate::assessment::{assess, cycle, evidence};
use crate::core::routes::Routes;
use crate::dossiers::imports;
use crate::ranking::{api, pages};

pub const STYLE_CSS: &str = include_str!("../static/style.css");

fn limit(bytes: u64) -> DefaultBodyLimit {
    DefaultBodyLimit::max(
        usize::try_from(bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(64 * 1024),
    )
}

/// Every route, its guard and its handler.
fn routes(upload_limit: u64, dossier_limit: u64) -> Routes {
    use Guard::{Policy, Public};
    let upload = || limit(upload_limit);
    Routes::new()
        .add("GET", "/", Public, get(home::show_home))
        .add("GET", "/login", Public, get(account::show_login))
        .add("POST", "/login", Public, post(account::submit_login))
        .add("POST", "/logout", Public, post(account::submit_logout))
        .add(
            "GET",
            "/account/password",
            Policy(A::OwnAccount),
            get(account::show_password),
        )
        .add(
            "POST",
            "/account/password",
            Policy(A::OwnAccount),
            post(account::submit_password),
        )
        .add(
            "GET",
            "/admin/users",
            Policy(A::ManageAccounts),
            get(account::show_users),
        )
        .add(
            "POST",
            "/admin/users",
            Policy(A::ManageAccounts),
            post(account::submit_user),
        )
        .add(
            "POST",
            "/admin/users/scopes",
            Policy(A::ManageAccounts),
            post(account::submit_scopes),
        )
        .add("GET", "/sets", Public, get(pages::list_sets))
        .add("GET", "/sets/{set_id}", Public, get(pages::show_criteria))
        .add(
            "GET",
            "/sets/{set_id}/ranking",
            Policy(A::ReadRanking),
            get(pages::show_ranking),
        )
        .add(
            "GET",
            "/sets/{set_id}/units/{unit_code}",
            Policy(A::ReadScoreCard),
            get(pages::show_score_card),
        )
        .add(
            "GET",
            "/sets/{set_id}/units/{unit_code}/whatif",
            Policy(A::ReadScoreCard),
            get(crate::ranking::whatif::show_whatif),
        )
        .add(
            "GET",
            "/sets/{set_id}/units/{unit_code}/years",
            Policy(A::ReadScoreCard),
            get(crate::ranking::years::show_years),
        )
        .add(
            "GET",
            "/sets/{set_id}/heatmap",
            Policy(A::ReadRanking),
            get(crate::ranking::years::show_heatmap),
        )
        .add(
            "GET",
            "/sets/{set_id}/cycle",
            Policy(A::ReadCycle),
            get(cycle::show_cycle),
        )
        .add(
            "POST",
            "/sets/{set_id}/cycle",
            Policy(A::ManageCycle),
            post(cycle::update_cycle),
        )
        .add(
            "GET",
            "/sets/{set_id}/units/{unit_code}/assess",
            Policy(A::ReadAssessment),
            get(assess::show_assessment),
        )
        .add(
            "POST",
            "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}",
            Policy(A::EditAssessment),
            post(assess::save_leaf),
        )
        .add(
            "POST",
            "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/applicability",
            Policy(A::MarkNotApplicable),
            post(assess::mark_applicability),
        )
        .add(
            "POST",
            "/sets/{set_id}/units/{unit_code}/prefill",
            Policy(A::Prefill),
            post(crate::assessment::prefill::prefill),
        )
        .add(
            "GET",
            "/indicators",
            Policy(A::ReadProvinceIndicators),
            get(crate::indicators::show_list),
        )
        .add(
            "GET",
            "/indicators/{code}",
            Policy(A::ReadProvinceIndicators),
            get(crate::indicators::show_one),
        )
        .add(
            "POST",
            "/indicators/import/definitions",
            Policy(A::ManageIndicators),
            post(crate::indicators::manage::import_definitions)
                .layer(limit(crate::extract::upload::TABLE_LIMIT)),
        )
        .add(
            "POST",
            "/indicators/import/values",
            Policy(A::ManageIndicators),
            post(crate::indicators::manage::import_values)
                .layer(limit(crate::extract::upload::TABLE_LIMIT)),
        )
        .add(
            "POST",
            "/indicators/{code}/definition",
            Policy(A::ManageIndicators),
            post(crate::indicators::manage::edit_definition),
        )
        .add(
            "GET",
            "/units/{unit_code}/indicators",
            Policy(A::ReadIndicators),
            get(crate::indicators::show_unit),
        )
        .add(
            "POST",
            "/units/{unit_code}/indicators",
            Policy(A::EnterIndicators),
            post(crate::indicators::save_unit),
        )
        .add(
            "GET",
            "/units",
            Policy(A::ReorganiseUnits),
            get(crate::units::show_units),
        )
        .add(
            "POST",
            "/units",
            Policy(A::ReorganiseUnits),
            post(crate::units::upload_changes).layer(limit(crate::extract::upload::TABLE_LIMIT)),
        )
        .add(
            "GET",
            "/sets/{set_id}/mapping",
            Policy(A::MapCriteria),
            get(crate::ranking::mapping::show_mapping),
        )
        .add(
            "POST",
            "/sets/{set_id}/mapping",
            Policy(A::MapCriteria),
            post(crate::ranking::mapping::save_mapping),
        )
        .add(
            "POST",
            "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/delegate",
            Policy(A::Delegate),
            post(assess::delegate_leaf),
        )
        .add(
            "POST",
            "/sets/{set_id}/units/{unit_code}/submit",
            Policy(A::Submit),
            post(assess::submit_assessment),
        )
        .add(
            "POST",
            "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/evidence",
            Policy(A::EditAssessment),
            post(evidence::upload_evidence).layer(upload()),
        )
        .add(
            "POST",
            "/sets/{set_id}/units/{unit_code}/leaves/{leaf_code}/link",
            Policy(A::EditAssessment),
            post(evidence::link_evidence),
        )
        .add(
            "POST",
            "/evidence/{evidence_id}/files",
            Policy(A::EditAssessment),
            post(evidence::upload_revision).layer(upload()),
        )
        .add(
            "GET",
            "/evidence/files/{file_id}",
            Policy(A::ReadAssessment),
            get(evidence::show_file),
        )
        .add(
            "GET",
            "/units/{unit_code}/tasks",
            Policy(A::ReadTasks),
            get(tasks::show_board),
        )
        .add(
            "GET",
            "/units/{unit_code}/violations",
            Policy(A::ReadTasks),
            get(tasks::show_violations),
        )
        .add(
            "GET",
            "/units/{unit_code}/brief",
            Policy(A::ReadBrief),
            get(tasks::show_brief),
        )
        .add(
            "GET",
            "/units/{unit_code}/report",
            Policy(A::ReadBrief),
            get(tasks::unit_report),
        )
        .add(
            "POST",
            "/units/{unit_code}/report",
            Policy(A::RunTasks),
            post(tasks::save_unit_report),
        )
        .add(
            "GET",
            "/units/{unit_code}/sets/{set_id}/lost",
            Policy(A::ReadLost),
            get(tasks::show_lost),
        )
        .add(
            "POST",
            "/units/{unit_code}/sets/{set_id}/lost",
            Policy(A::ReadLost),
            post(tasks::create_from_lost),
        )
        .add(
            "GET",
            "/units/{unit_code}/directives/new",
            Policy(A::RunTasks),
            get(tasks::new_directive),
        )
        .add(
            "POST",
            "/units/{unit_code}/directives/new",
            Policy(A::RunTasks),
            post(tasks::post_directive).layer(limit(tasks::MAX_DIRECTIVE_FORM)),
        )
        .add(
            "GET",
            "/tasks/{task_id}",
            Policy(A::ReadTasks),
            get(tasks::show_task),
        )
        .add(
            "GET",
            "/directives/{directive_id}",
            Policy(A::ReadTasks),
            get(tasks::show_directive),
        )
        .add(
            "GET",
            "/directives/{directive_id}/file",
            Policy(A::ReadTasks),
            get(tasks::directive_file),
        )
        .add(
            "POST",
            "/tasks/{task_id}/comments",
            Policy(A::CommentTask),
            post(tasks::add_comment),
        )
        .add(
            "POST",
            "/tasks/{task_id}/cancel",
            Policy(A::RunTasks),
            post(tasks::cancel_task),
        )
        .add(
            "POST",
            "/occurrences/{occurrence_id}/start",
            Policy(A::ReportTask),
            post(tasks::start_occurrence),
        )
        .add(
            "POST",
            "/occurrences/{occurrence_id}/report",
            Policy(A::ReportTask),
            post(tasks::report_occurrence).layer(upload()),
        )
        .add(
            "POST",
            "/violations/{violation_id}",
            Policy(A::RunTasks),
            post(tasks::decide_violation),
        )
        .add(
            "GET",
            "/units/{unit_code}/calendar",
            Policy(A::ReadTasks),
            get(tasks::show_calendar),
        )
        .add(
            "GET",
            "/units/{unit_code}/overdue",
            Policy(A::ReadTasks),
            get(tasks::show_overdue),
        )
        .add(
            "GET",
            "/notifications",
            Policy(A::OwnAccount),
            get(tasks::show_notifications),
        )
        .add(
            "POST",
            "/notifications/{notification_id}/ack",
            Policy(A::OwnAccount),
            post(tasks::acknowledge_notification),
        )
        .add(
            "GET",
            "/dossiers",
            Policy(A::ReadProvinceDossiers),
            get(dossiers::show_province),
        )
        .add(
            "GET",
            "/dossiers/report",
            Policy(A::ReadProvinceDossiers),
            get(dossiers::period::show_province_report),
        )
        .add(
            "GET",
            "/dossiers/report/list",
            Policy(A::ReadProvinceDossiers),
            get(dossiers::period::show_province_report_list),
        )
        .add(
            "GET",
            "/units/{unit_code}/dossiers",
            Policy(A::ReadDossiers),
            get(dossiers::show_stats),
        )
        .add(
            "GET",
            "/procedures",
            Policy(A::ReadProvinceDossiers),
            get(dossiers::procedures::show_province_catalogue),
        )
        .add(
            "GET",
            "/units/{unit_code}/procedures",
            Policy(A::ReadDossiers),
            get(dossiers::procedures::show_catalogue),
        )
        .add(
            "GET",
            "/units/{unit_code}/dossiers/report",
            Policy(A::ReadDossiers),
            get(dossiers::period::show_unit_report),
        )
        .add(
            "GET",
            "/units/{unit_code}/dossiers/report/list",
            Policy(A::ReadDossiers),
            get(dossiers::period::show_unit_report_list),
        )
        .add(
            "GET",
            "/units/{unit_code}/dossiers/list",
            Policy(A::ReadDossiers),
            get(dossiers::show_list),
        )
        .add(
            "GET",
            "/units/{unit_code}/dossiers/due-soon",
            Policy(A::ReadDossiers),
            get(dossiers::show_due_soon),
        )
        .add(
            "GET",
            "/units/{unit_code}/dossiers/import",
            Policy(A::ImportDossiers),
            get(imports::show_form),
        )
        .add(
            "POST",
            "/units/{unit_code}/dossiers/import",
            Policy(A::ImportDossiers),
            post(imports::start_import).layer(limit(dossier_limit)),
        )
        .add(
            "GET",
            "/units/{unit_code}/dossiers/imports/{job_id}",
            Policy(A::ImportDossiers),
            get(imports::show_job),
        )
        .add(
            "GET",
            "/units/{unit_code}/dossiers/imports/{job_id}/rejected.csv",
            Policy(A::ImportDossiers),
            get(imports::download_rejected),
        )
        .add(
            "GET",
            "/units/{unit_code}/dossiers/{dossier_code}/apology",
            Policy(A::ReadDossiers),
            get(dossiers::show_apology),
        )
        .add(
            "POST",
            "/units/{unit_code}/dossiers/{dossier_code}/apology",
            Policy(A::IssueApology),
            post(dossiers::submit_apology),
        )
        .add(
            "GET",
            "/calendar",
            Policy(A::ReadCalendar),
            get(calendar::show_calendar),
        )
        .add(
            "POST",
            "/calendar",
            Policy(A::EditCalendar),
            post(calendar::save_calendar),
        )
        .add("GET", "/static/style.css", Public, get(style_css))
        .add("GET", "/health", Public, get(|| async { "ok" }))
        .add("GET", "/api/v1/openapi.json", Public, get(api::openapi))
        .add("GET", "/api/v1/sets", Public, get(api::list_sets))
        .add("GET", "/api/v1/sets/{set_id}", Public, get(api::show_set))
        .add(
            "GET",
            "/api/v1/sets/{set_id}/ranking",
            Policy(A::ReadRanking),
            get(api::show_ranking),
        )
        .add(
            "GET",
            "/api/v1/sets/{set_id}/units/{unit_code}",
            Policy(A::ReadScoreCard),
            get(api::show_unit),
        )
}

/// The route table (method, path, guard) of the application.
pub fn route_table() -> Vec<Route> {
    routes(0, 0).table
}

/// The whole application.
pub fn router(state: AppState) -> axum::Router {
    let hsts = state.secure_cookies;
    let mut app = routes(state.upload_limit, state.dossier_upload_limit)
        .router
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::core::error::render_errors,
        ))
        .layer(middleware::from_fn(crate::core::flash::show_flash))
        .layer(middleware::from_fn(crate::core::security::remember_lang))
        .layer(middleware::from_fn(
            crate::core::security::refuse_cross_site_writes,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::core::security::CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ));
    if hsts {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(crate::core::security::HSTS),
        ));
    }
    app.with_state(state)
}

async fn style_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
}

#[cfg(test)]
mod tests {
    /// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`.
    fn with_section(doc: &str, name: &str, body: &str) -> Option<String> {
        let begin = format!("<!-- {name}:begin -->\n");
        let end = format!("<!-- {name}:end -->");
        let a = doc.find(&begin)? + begin.len();
        let b = doc.find(&end)?;
        Some(format!("{}{body}{}", &doc[..a], &doc[b..]))
    }

    #[test]
    fn docs_security_md_is_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/security.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        let want = with_section(&doc, "policy", &parindex_domain::policy::table_markdown())
            .and_then(|d| {
                with_section(
                    &d,
                    "routes",
                    &crate::core::routes::table_markdown(&crate::route_table()),
                )
            })
            .unwrap_or_default();
        if std::env::var_os("PARINDEX_WRITE_DOCS").is_some() {
            assert!(std::fs::write(path, &want).is_ok());
        }
        assert!(!want.is_empty(), "docs/security.md lacks its table markers");
        assert!(
            doc == want,
            "docs/security.md differs from the code: PARINDEX_WRITE_DOCS=1 cargo test -p parindex-web docs_security"
        );
    }

    #[test]
    fn every_route_is_in_the_table_once() {
        let table = crate::route_table();
        let mut seen = std::collections::HashSet::new();
        for r in &table {
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
        }
        assert!(table.len() >= 60);
    }
}
