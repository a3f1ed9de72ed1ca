//! The site's layout: the interface language of a request and the chrome around every
//! page (title, menu, the signed-in user's name and form token).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::core::i18n::Lang;

/// The interface language: `?lang=`, else the `lang` cookie, else Vietnamese.
pub struct LangPref(pub Lang);

/// The language of a request: `?lang=`, else the `lang` cookie, else Vietnamese.
pub fn lang_of(headers: &axum::http::HeaderMap, uri: &axum::http::Uri) -> Lang {
    let from_query = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")));
    let from_cookie = || {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("lang="))
    };
    match from_query.or_else(from_cookie) {
        Some("en") => Lang::En,
        _ => Lang::Vi,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LangPref {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(LangPref(lang_of(&parts.headers, &parts.uri)))
    }
}

/// What every page's frame shows: language, title, sample banner, the signed-in user,
/// the form token and whether the accounts link shows.
pub struct Chrome {
    pub lang: &'static str,
    pub title: String,
    pub sample: bool,
    pub who: String,
    pub csrf: String,
    pub admin: bool,
    /// A province-wide role (the province's dossier figures are in the menu).
    pub sees_all: bool,
    /// The signed-in user's own work: (link, label), each allowed by the policy.
    pub menu: Vec<(String, &'static str)>,
    /// The pages between the home and this one: (link, label).
    pub crumbs: Vec<(String, String)>,
}

impl Chrome {
    pub fn new(
        lang: Lang,
        title: impl Into<String>,
        sample: bool,
        user: Option<&parindex_db::SessionUser>,
    ) -> Chrome {
        Chrome {
            lang: lang.code(),
            title: title.into(),
            sample,
            who: user
                .map(|u| u.user.display_name.clone())
                .unwrap_or_default(),
            csrf: user.map(|u| u.csrf_token.clone()).unwrap_or_default(),
            admin: user.is_some_and(|u| u.user.role == parindex_domain::access::Role::Admin),
            sees_all: parindex_domain::policy::province_wide(
                user.map(crate::extract::user::actor).as_ref(),
            ),
            menu: user.map(|u| menu(lang, u)).unwrap_or_default(),
            crumbs: Vec::new(),
        }
    }

    /// Adds a page between the home and this one to the breadcrumbs.
    #[must_use]
    pub fn crumb(mut self, href: impl Into<String>, label: impl Into<String>) -> Chrome {
        self.crumbs.push((href.into(), label.into()));
        self
    }
}

/// The pages of a user's own unit that the policy lets them open: the tasks, dossiers and
/// brief of their unit (a division's, of its department), and the province's dossiers for
/// province-wide roles.
fn menu(lang: Lang, user: &parindex_db::SessionUser) -> Vec<(String, &'static str)> {
    use parindex_domain::policy::{Action, Target};
    let t = lang.tr();
    let mut out = Vec::new();
    if crate::extract::may(user, Action::ReadProvinceDossiers, &Target::default()) {
        out.push(("/dossiers".to_string(), t.menu_dossiers));
    }
    if crate::extract::may(user, Action::ReadProvinceIndicators, &Target::default()) {
        out.push(("/indicators".to_string(), t.indicators));
    }
    if crate::extract::may(user, Action::ReorganiseUnits, &Target::default()) {
        out.push(("/units".to_string(), t.menu_units));
    }
    // A division works on its department's tasks and dossiers.
    let unit = match user.user.role {
        parindex_domain::access::Role::Division => user.unit_parent.as_deref(),
        _ => user.user.unit_code.as_deref(),
    };
    let Some(unit) = unit else { return out };
    let target = Target::unit(unit, None);
    for (action, page, label) in [
        (Action::ReadTasks, "tasks", t.tasks),
        (Action::ReadDossiers, "dossiers", t.menu_dossiers),
        (Action::ReadIndicators, "indicators", t.indicators),
        (Action::ReadBrief, "brief", t.brief),
    ] {
        if crate::extract::may(user, action, &target) {
            out.push((format!("/units/{unit}/{page}"), label));
        }
    }
    out
}
