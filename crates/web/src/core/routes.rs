//! The route table: every route with its method and the access it requires. The router is
//! built from it, and tests and `docs/security.md` read it (not the source text).

use std::fmt::Write as _;

use axum::Router;
use axum::routing::MethodRouter;
use parindex_domain::policy::Action;

use crate::core::state::AppState;

/// What a route requires before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Anybody (the handler may still show less to a visitor).
    Public,
    /// The policy's decision for this action, on the route's unit and phase.
    Policy(Action),
}

impl Guard {
    pub fn describe(self) -> &'static str {
        match self {
            Guard::Public => "public",
            Guard::Policy(a) => a.as_str(),
        }
    }
}

/// One route of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub guard: Guard,
}

/// The router under construction and its table.
pub struct Routes {
    pub router: Router<AppState>,
    pub table: Vec<Route>,
}

impl Routes {
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// Adds `method path`, guarded by `guard`, served by `handler` (a method router of that
    /// one method, possibly with layers).
    #[must_use]
    pub fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        guard: Guard,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.table.push(Route {
            method,
            path,
            guard,
        });
        self.router = self.router.route(path, handler);
        self
    }
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

/// The table as Markdown (method, path, access), for `docs/security.md`.
pub fn table_markdown(table: &[Route]) -> String {
    let mut out = String::from("| method | path | access |\n|---|---|---|\n");
    for r in table {
        let _ = writeln!(
            out,
            "| {} | `{}` | `{}` |",
            r.method,
            r.path,
            r.guard.describe()
        );
    }
    out
}
