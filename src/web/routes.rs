//! The router: every path, and the layers every response goes through (security headers,
//! compression, a request body limit, and the refusal of cross-site form posts).

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use super::{AppState, api, assets, attachments, overview, pages, runs, sign, training};

/// The largest request body accepted (bytes) but on the form that signs a step, whose files
/// are limited by `--max-upload` as they arrive ([`super::upload`]); its text is held to
/// this limit too.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Scripts and styles only from this server's own files: no inline script can run, so
/// markup that slipped into a page could not act. Forms post only here; no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// Every route of the server over its state.
pub fn router(state: Arc<AppState>) -> Router {
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    // The step form reads its body as it arrives and stops at the limits itself, so that
    // an oversize file is answered with its field named.
    let uploads = Router::new()
        .route(
            "/runs/{ref}/steps/{step}",
            get(sign::step_page).post(sign::sign),
        )
        .layer(DefaultBodyLimit::disable());
    // The API takes files in base64 (4 characters for 3 bytes) within its JSON body.
    let api_uploads = Router::new()
        .route("/api/runs/{ref}/steps/{step}", post(api::complete))
        .layer(RequestBodyLimitLayer::new(
            state.max_upload.saturating_mul(4) / 3 + BODY_LIMIT,
        ))
        .layer(DefaultBodyLimit::disable());
    let mut app = Router::new()
        .route("/", get(runs::home))
        .route("/runs", get(runs::list))
        .route("/runs/new", get(runs::new_run).post(runs::start))
        .route("/runs/{ref}", get(runs::show))
        .route(
            "/runs/{ref}/attachments/{sha256}",
            get(attachments::download),
        )
        .route("/runs/{ref}/flowchart.svg", get(runs::flowchart))
        .route("/runs/{ref}/record.pdf", get(runs::record_pdf))
        .route("/runs/{ref}/record.json", get(runs::record_json))
        .route("/sign-in", get(pages::sign_in_page).post(pages::sign_in))
        .route("/sign-out", post(pages::sign_out))
        .route("/setup", get(pages::setup_page).post(pages::setup))
        .route("/documents", get(pages::documents))
        .route("/documents/{doc}/{rev}/confirm", post(training::confirm))
        .route("/training", get(training::page))
        .route("/overview", get(overview::page))
        .route("/files/{*path}", get(pages::file))
        .route("/language", post(pages::language))
        .route("/static/{name}", get(assets::asset))
        .route("/health", get(pages::health))
        .route("/api/documents", get(api::documents))
        .route("/api/inbox", get(api::inbox))
        .route("/api/overview", get(overview::api))
        .route("/api/runs", post(api::start))
        .route("/api/runs/{ref}", get(api::show))
        .route("/api/runs/{ref}/record.pdf", get(api::record_pdf))
        .fallback(pages::not_found)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .merge(uploads)
        .merge(api_uploads)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            refuse_cross_site,
        ))
        .layer(CompressionLayer::new());
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    app.with_state(state)
}

/// Refuses a state-changing request that a browser sent from another site (a forged form
/// post). Browsers name the page a request comes from in `Origin`, or say in
/// `Sec-Fetch-Site` that it is cross-site; a client that sends neither is no browser and
/// holds no session cookie of a user's. The API takes bearer tokens only, so it is exempt.
async fn refuse_cross_site(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method();
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    if same_origin(&state, request.headers()) {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "refused: this form was sent from another site",
        )
            .into_response()
    }
}

fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let text = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let expected = match &state.public_origin {
        Some(origin) => Some(origin.clone()),
        None => text(header::HOST).map(|host| format!("http://{}", host.to_ascii_lowercase())),
    };
    if let Some(origin) = text(header::ORIGIN) {
        return expected.is_some_and(|e| origin.eq_ignore_ascii_case(&e));
    }
    if let Some(site) = text(HeaderName::from_static("sec-fetch-site")) {
        return matches!(site, "same-origin" | "none");
    }
    if let Some(referer) = text(header::REFERER) {
        return expected.is_some_and(|e| {
            referer
                .to_ascii_lowercase()
                .strip_prefix(&e)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
    }
    true
}
