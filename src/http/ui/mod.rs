//! Server-rendered HTML pages for coordinators, partners and the public (handlebars templates
//! in `templates/ui/`), and the personal ICS calendar feed.

use super::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
