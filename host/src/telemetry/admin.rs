//! The admin listener: what the host serves about a running wos, apart from its interfaces
//! (`GET /metrics`, for Prometheus). It shows the wos's inner workings without a login, so it
//! listens on loopback addresses only.

use super::metrics::CONTENT_TYPE;
use crate::runtime::Running;
use std::future::Future;
use std::net::SocketAddr;
use wasmtime::error::Context as _;
use wasmtime::{Result, bail};

/// A listening admin server.
pub struct Admin {
    /// Where it listens.
    pub addr: SocketAddr,
}

/// Binds `listen` (a loopback address) and serves the metrics of `running` until `shutdown`
/// completes. Must be called within a tokio runtime.
pub async fn start(
    listen: SocketAddr,
    running: Running,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Admin> {
    if !listen.ip().is_loopback() {
        bail!(
            "the admin listener ({listen}) shows the wos's metrics without a login: give it a loopback address \
             (127.0.0.1:PORT), and let a scraper on another machine reach it through one of its own"
        );
    }
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen} for the admin listener; choose another port (0 picks one)")
    })?;
    let addr = listener.local_addr()?;
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let running = running.clone();
            async move { ([(http::header::CONTENT_TYPE, CONTENT_TYPE)], running.metrics_now().encode()) }
        }),
    );
    serve_in_background(listener, router, shutdown, "the admin listener");
    tracing::info!("admin listening on http://{addr} (metrics at /metrics)");
    Ok(Admin { addr })
}

/// Serves `router` (HTTP/1 and HTTP/2) on `listener` in a task of its own until `shutdown`
/// completes; a failure is logged as `what`'s. Must be called within a tokio runtime.
pub fn serve_in_background(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    what: &'static str,
) {
    let server = tonic::transport::Server::builder()
        .accept_http1(true)
        .add_routes(tonic::service::Routes::from(router))
        .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), shutdown);
    tokio::spawn(async move {
        if let Err(error) = server.await {
            tracing::warn!("{what} stopped: {error}");
        }
    });
}
