//! The dashboard: one page, served by the host itself (nothing from a CDN), that shows a running
//! wos while it runs: the wos as a picture, each service's state, each function's rate and
//! latency, the latest traces as waterfalls, the log tail, a form that calls any exported
//! function, and (in `dev`) each service's SQLite tables, read only.
//!
//! It shows the wos's inner workings and calls its functions without a login, so it listens on
//! loopback addresses only, answers only requests whose `Host` is a loopback name (a page on
//! another site cannot reach it through DNS rebinding), and takes calls only as JSON (which a
//! page on another site cannot post without the browser asking first, and nothing here
//! answers that question).

mod api;
mod json_call;
mod tables;

use crate::runtime::Running;
use crate::telemetry::recent::Recent;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::error::Context as _;
use wasmtime::{Result, bail};

/// How the dashboard is served.
pub struct DashboardOptions {
    /// Where it listens: a loopback address.
    pub listen: SocketAddr,
    /// Where the services' databases are, when their tables may be shown (`dev`).
    pub tables: Option<PathBuf>,
}

/// What the handlers share.
#[derive(Clone)]
struct Shared {
    running: Running,
    recent: Arc<Recent>,
    tables: Option<PathBuf>,
}

/// Binds `options.listen` and serves the dashboard of `running` (its spans and log lines from
/// `recent`) until `shutdown` completes; returns where it listens. Must be called within a
/// tokio runtime.
pub async fn start(
    options: DashboardOptions,
    running: Running,
    recent: Arc<Recent>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<SocketAddr> {
    let listen = options.listen;
    if !listen.ip().is_loopback() {
        bail!(
            "the dashboard ({listen}) shows the wos and calls its functions without a login: give it a loopback \
             address (127.0.0.1:PORT), and reach it from another machine through an SSH tunnel"
        );
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} for the dashboard; choose another port (0 picks one)"))?;
    let addr = listener.local_addr()?;
    let shared = Shared { running, recent, tables: options.tables };
    let router = axum::Router::new()
        .route("/", get(|| async { page("text/html; charset=utf-8", include_str!("page/index.html")) }))
        .route(
            "/dashboard.js",
            get(|| async { page("text/javascript; charset=utf-8", include_str!("page/dashboard.js")) }),
        )
        .route("/dashboard.css", get(|| async { page("text/css; charset=utf-8", include_str!("page/dashboard.css")) }))
        .route("/api/wos", get(|State(shared): State<Shared>| async move { json(api::wos(&shared.running)) }))
        .route(
            "/api/state",
            get(|State(shared): State<Shared>| async move { json(api::state(&shared.running, &shared.recent)) }),
        )
        .route("/api/traces", get(|State(shared): State<Shared>| async move { json(api::traces(&shared.recent)) }))
        .route(
            "/api/logs",
            get(|State(shared): State<Shared>, Query(filter): Query<api::LogFilter>| async move {
                json(api::logs(&shared.recent, &filter))
            }),
        )
        .route("/api/tables", get(|State(shared): State<Shared>| async move { tables_view(&shared).await }))
        .route("/api/call", post(call))
        .layer(axum::middleware::from_fn(loopback_host_only))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CALL_BYTES))
        .with_state(shared);
    crate::telemetry::admin::serve_in_background(listener, router, shutdown, "the dashboard");
    tracing::info!("dashboard on http://{addr}/");
    Ok(addr)
}

/// The largest call the form may send.
const MAX_CALL_BYTES: usize = 1 << 20;

fn page(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

fn json(value: serde_json::Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(value)).into_response()
}

/// Refuses a request whose `Host` is not a loopback name or address.
async fn loopback_host_only(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let host = request.headers().get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("");
    if !is_loopback_host(host) {
        return (StatusCode::FORBIDDEN, "the dashboard answers only to a loopback host name").into_response();
    }
    next.run(request).await
}

/// Whether `host` (a `Host` header: a name or address, and maybe a port) is loopback.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `POST /api/call` with `{"call": "ns:pkg/iface.function(args in WAVE)"}` or `{"interface",
/// "function", "json": request message}`: the results in WAVE (or the response message), or
/// why the call could not be made.
async fn call(State(shared): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the call as application/json").into_response();
    }
    let outcome = api::call(&shared.running, &body).await;
    let status = if outcome.get("error").is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    (status, axum::Json(outcome)).into_response()
}

/// `GET /api/tables`: the services' tables, when the dashboard may show them.
async fn tables_view(shared: &Shared) -> Response {
    let Some(data) = shared.tables.clone() else {
        return json(serde_json::json!({ "shown": false }));
    };
    let app = shared.running.app().clone();
    let view = tokio::task::spawn_blocking(move || tables::all(&app, &data)).await;
    json(view.unwrap_or_else(|_| serde_json::json!({ "shown": false })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_hosts_are_answered() {
        for host in ["127.0.0.1:9400", "localhost:1", "LOCALHOST", "[::1]:80", "127.1.2.3"] {
            assert!(super::is_loopback_host(host), "{host}");
        }
        for host in ["evil.example:9400", "10.0.0.1", "", "[fe80::1]:80", "localhost.evil.example"] {
            assert!(!super::is_loopback_host(host), "{host}");
        }
    }
}
