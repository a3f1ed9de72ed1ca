//! The second step of a consequential action (submit, change a phase, cancel, delete):
//! a page that says what will happen and posts the same form again with `confirm=yes`.
//! It works without JavaScript.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::core::error::AppError;
use crate::core::i18n::{Lang, Tr};
use crate::core::layout::Chrome;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub t: &'static Tr,
    pub chrome: Chrome,
    pub heading: String,
    pub text: String,
    /// What the action touches, one line each.
    pub items: Vec<String>,
    /// Where the form posts (the same action as the first step).
    pub action: String,
    /// The first step's fields, posted again (the token included).
    pub fields: Vec<(String, String)>,
    pub confirm_label: String,
    /// A destructive action (the button looks so).
    pub danger: bool,
    /// Where "go back" leads.
    pub back: String,
}

/// Whether a form carries the second step's `confirm=yes`.
pub fn confirmed(value: &str) -> bool {
    value == "yes"
}

/// Builds and renders the confirmation step.
#[allow(clippy::too_many_arguments)]
pub fn ask(
    lang: Lang,
    user: &parindex_db::SessionUser,
    heading: String,
    text: String,
    items: Vec<String>,
    action: String,
    mut fields: Vec<(String, String)>,
    danger: bool,
    back: String,
) -> Result<Response, AppError> {
    let t = lang.tr();
    fields.retain(|(k, _)| k != "confirm" && k != "csrf");
    fields.push(("csrf".into(), user.csrf_token.clone()));
    fields.push(("confirm".into(), "yes".into()));
    let page = ConfirmPage {
        t,
        chrome: Chrome::new(lang, heading.clone(), false, Some(user)),
        heading,
        text,
        items,
        action,
        fields,
        confirm_label: t.confirm.to_string(),
        danger,
        back,
    };
    Ok(Html(page.render()?).into_response())
}
