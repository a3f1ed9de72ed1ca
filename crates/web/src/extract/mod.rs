//! What handlers state in their signatures: the signed-in user, access to a unit under the
//! one policy, a CSRF-checked form, the one bounded multipart reader.

pub mod access;
pub mod form;
pub mod upload;
pub mod user;

pub use access::{Access, act};
pub use form::{Checked, check_csrf};
pub use user::{MaybeUser, actor, may};
