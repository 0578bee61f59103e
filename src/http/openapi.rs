//! The OpenAPI 3 document, generated from the handlers' annotations, at `/api/openapi.json`, and
//! a self-contained page to browse it at `/api/docs` (no CDN: it works offline).

use super::api::{
    admin, events, export, partners, programs, seminars, session, standings, support, users,
};
use super::metrics;
use super::AppState;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("sf_session"))),
        );
        // Handlers in different modules share names (`list`, `get_one`): operation ids must be
        // unique, so each is prefixed with its tag (`programs_list`, `seminars_get_one`).
        for item in api.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let tag = op
                    .tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .cloned()
                    .unwrap_or_default();
                if let Some(id) = &op.operation_id {
                    if !tag.is_empty() && !id.starts_with(&format!("{tag}_")) {
                        op.operation_id = Some(format!("{tag}_{id}"));
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "seminarflow API", description = "Партнёрские программы семинаров: заявки, этапы, сроки, штрафы, баллы и компенсации. Ошибки: `{\"error\": {\"code\", \"message\"}}`. Браузерная сессия (cookie) требует заголовок X-CSRF-Token для изменяющих запросов; скрипты используют `Authorization: Bearer`."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    paths(
        session::login, session::logout, session::me, session::change_password, session::create_token,
        session::list_tokens, session::revoke_token,
        users::create_user, users::list_users, users::disable_user, users::enable_user, users::reset_password,
        partners::list, partners::create, partners::get_one, partners::ledger, support::suspend, support::resume,
        programs::list, programs::get_one, programs::slots, programs::review_queue, programs::review_applications, programs::apply,
        seminars::list, seminars::get_one, seminars::approve_application, seminars::reject_application, seminars::submit,
        seminars::return_stage, seminars::approve_stage, seminars::change_venue, seminars::violation, seminars::withdraw,
        seminars::accept_report, seminars::events, seminars::download, seminars::penalties,
        export::seminars_xlsx, export::penalties_xlsx, export::ledger_xlsx, export::review_queue_xlsx,
        admin::get_clock, admin::set_clock, admin::outbox, admin::retry_one, admin::retry_failed, admin::audit,
        events::announce, events::get_one, events::approve, events::reject, events::queue, events::calendar,
        standings::get_standings, standings::at_risk, standings::step,
        metrics::healthz, metrics::metrics,
    )
)]
pub struct ApiDoc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/openapi.json",
            get(|| async { Json(ApiDoc::openapi()) }),
        )
        .route("/api/docs", get(docs))
}

async fn docs() -> Html<&'static str> {
    Html(include_str!("../../templates/api-docs.html"))
}
