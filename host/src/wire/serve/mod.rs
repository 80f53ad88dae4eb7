//! Serving a wos's public interfaces over gRPC and Connect, on one port, HTTP/1.1 and HTTP/2.
//!
//! Everything is built from the WIT at start-up: the `.proto` files of the mapping are
//! compiled into descriptors, which drive decoding, the conversion to WIT values, the standard
//! reflection service (v1 and v1alpha) and the health service. Each request is a supervised
//! call into an instance of the service that provides its function (see [`crate::runtime`]:
//! each service has its own pool of instances). The health service follows the wos: the
//! interfaces that depend on a service that has failed for good turn `NOT_SERVING`. Shutdown
//! is graceful: the listener closes and the calls under way finish.

mod auth;
mod connect;
mod connect_stream;
mod grpc;
mod incoming;
pub mod status;
mod timeouts;
mod typed;

use super::schema::{Schema, TypedRpc};
use super::{InterfaceSide, interface_protos, public_interfaces};
use crate::caps::context::EdgeHeaders;
use crate::names::ServiceName;
use crate::runtime::{App, Caller, ClientPresence, Running};
use axum::body::Body;
use http::{Request, Response};
use prost_reflect::DynamicMessage;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tonic::Status;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use wasmtime::Result;
use wasmtime::component::Val;
use wasmtime::error::Context;

/// The most requests one HTTP/2 connection may have under way at once (further streams are
/// refused by HTTP/2 itself, and the client waits).
const MAX_STREAMS_PER_CONNECTION: u32 = 256;

/// The most bytes of headers one request may send.
const MAX_HEADER_BYTES: u32 = 64 << 10;

/// How often an idle connection is checked, and how long its peer has to answer, before the
/// connection is closed: a client that vanished does not hold one for ever.
const KEEPALIVE: Duration = Duration::from_secs(30);

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// The largest request message accepted, in bytes.
    pub max_message_bytes: usize,
    /// The wos's users, whom requests log in as (`Authorization: Basic`); with none, every
    /// login fails and what `[auth] require-login` names cannot be called.
    pub users: Option<Arc<crate::users::Authenticator>>,
    /// The deployment's secret (`[auth] peer-secret-file`): with it, the user another host of
    /// the deployment sends along is accepted.
    pub peer: Option<crate::users::PeerSecret>,
}

/// One exposed function: who provides it, and its rpc.
struct Endpoint {
    provider: ServiceName,
    /// The interface as the provider exports it.
    interface: String,
    function: String,
    rpc: TypedRpc,
    /// How to call it with typed values, if its signature is one of plain values.
    typed: Option<Arc<dyn typed::TypedCall>>,
    /// Whether `[auth] require-login` names it.
    needs_login: bool,
}

/// How a login ended, as the metrics name it.
fn login_outcome(user: &Result<Option<String>, Status>) -> &'static str {
    match user {
        Ok(_) => "ok",
        Err(status) if status.code() == tonic::Code::ResourceExhausted => "throttled",
        Err(status) if status.code() == tonic::Code::Unavailable => "unavailable",
        Err(_) => "refused",
    }
}

/// Routes requests to exposed functions and calls them in the running wos.
struct Gateway {
    /// By gRPC path, `/package.Service/Method`.
    endpoints: BTreeMap<String, Arc<Endpoint>>,
    running: Running,
    max_message_bytes: usize,
    auth: auth::EdgeAuth,
}

/// A server that is bound and serving.
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Whether it serves over TLS (`[serve] tls`).
    pub tls: bool,
    /// The gRPC services it exposes (full names), besides reflection and health.
    pub services: Vec<String>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl Server {
    /// Binds `options.listen` and serves the public interfaces of the `running` wos until
    /// `shutdown` completes. Must be called within a multi-threaded tokio runtime.
    pub async fn start(
        running: &Running,
        options: &ServeOptions,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Server> {
        let app = running.app();
        let Exposed { auth, schema, endpoints, tls } = Server::expose(app, options)?;
        let services: Vec<String> = schema.pool.services().map(|s| s.full_name().to_owned()).collect();
        let dependencies = dependencies_of_services(app, &endpoints);
        let gateway = Arc::new(Gateway {
            endpoints,
            running: running.clone(),
            max_message_bytes: options.max_message_bytes,
            auth,
        });
        let listener = tokio::net::TcpListener::bind(options.listen).await.with_context(|| {
            format!(
                "cannot listen on {}; if another process holds that port, choose another with `--listen` \
                     (port 0 picks a free one)",
                options.listen
            )
        })?;
        let addr = listener.local_addr()?;
        let (health, health_service) = tonic_health::server::health_reporter();
        set_health(&health, &services, tonic_health::ServingStatus::Serving).await;
        tokio::spawn(follow_failures(health.clone(), running.failed_services(), dependencies));
        let readiness = follow_readiness(health.clone(), running.clone());
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_file_descriptor_set(schema.files.clone())
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        };
        let reflection_v1 = reflection().build_v1().context("cannot build the reflection service")?;
        let reflection_v1alpha = reflection().build_v1alpha().context("cannot build the reflection service")?;
        // Health and reflection also answer Connect streams; the gateway (the fallback, added
        // after the layer so that it goes without) serves the wos's own functions.
        let router = Routes::new(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .into_axum_router()
            .layer(axum::middleware::from_fn(connect_stream::bridge))
            .fallback(move |request: Request<Body>| {
                let gateway = gateway.clone();
                async move { gateway.handle(request).await }
            });
        let health_services = services.clone();
        let mut builder = tonic::transport::Server::builder()
            .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
            .http2_max_header_list_size(MAX_HEADER_BYTES)
            .http2_keepalive_interval(Some(KEEPALIVE))
            .http2_keepalive_timeout(Some(KEEPALIVE))
            .tcp_keepalive(Some(KEEPALIVE));
        let served_over_tls = tls.is_some();
        if let Some(tls) = tls {
            builder = builder.tls_config(tls).context("cannot serve over TLS")?;
        }
        let server = builder.accept_http1(true).add_routes(Routes::from(router)).serve_with_incoming_shutdown(
            incoming::LimitedIncoming::new(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                app.manifest.serve.max_connections,
            ),
            async move {
                shutdown.await;
                tracing::info!("shutting down: no new connections; finishing the calls under way");
                set_health(&health, &health_services, tonic_health::ServingStatus::NotServing).await;
            },
        );
        // Readiness is followed for as long as the server serves, and no longer.
        let task = tokio::spawn(async move {
            tokio::select! {
                served = server => served.context("the server failed"),
                never = readiness => match never {},
            }
        });
        Ok(Server { addr, tls: served_over_tls, services, task })
    }

    /// Checks everything serving `app` with `options` needs but the address: what it exposes,
    /// the login rules against it, the TLS files. `run` does the same before it listens.
    pub fn check(app: &App, options: &ServeOptions) -> Result<()> {
        Server::expose(app, options).map(drop)
    }

    /// What serving `app` with `options` exposes, checked.
    fn expose(app: &App, options: &ServeOptions) -> Result<Exposed> {
        let auth = auth::EdgeAuth::new(&app.manifest.auth, options.users.clone(), options.peer.clone())?;
        let (schema, endpoints) = exposed_endpoints(app, &auth)?;
        if endpoints.is_empty() {
            wasmtime::bail!(
                "wos `{}` has nothing to serve: none of its services exports an interface (WASI's aside); \
                 serving exposes the interfaces its services export (or those listed in `exports`)",
                app.manifest.name
            );
        }
        let tls = app.manifest.serve.tls.as_ref().map(server_tls).transpose()?;
        Ok(Exposed { auth, schema, endpoints, tls })
    }

    /// Waits until the server has shut down and the calls under way have finished.
    pub async fn finished(self) -> Result<()> {
        self.task.await.context("the server task failed")?
    }
}

/// What a server exposes: its login rules, the schema and an endpoint per function, and TLS.
struct Exposed {
    auth: auth::EdgeAuth,
    schema: Schema,
    endpoints: BTreeMap<String, Arc<Endpoint>>,
    tls: Option<tonic::transport::ServerTlsConfig>,
}

/// TLS for serving, with the certificate and key of `[serve] tls`.
fn server_tls(files: &crate::manifest::TlsFiles) -> Result<tonic::transport::ServerTlsConfig> {
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read(path).with_context(|| format!("cannot read the {what} {} (`[serve] tls`)", path.display()))
    };
    let identity = tonic::transport::Identity::from_pem(read(&files.cert, "certificate")?, read(&files.key, "key")?);
    Ok(tonic::transport::ServerTlsConfig::new().identity(identity))
}

/// Sets the health of the server as a whole (`""`) and of each of `services`.
async fn set_health(
    health: &tonic_health::server::HealthReporter,
    services: &[String],
    status: tonic_health::ServingStatus,
) {
    health.set_service_status("", status).await;
    for service in services {
        health.set_service_status(service, status).await;
    }
}

/// For each served gRPC service, the services of the wos it depends on: its provider and,
/// transitively, every service that one imports from.
fn dependencies_of_services(
    app: &App,
    endpoints: &BTreeMap<String, Arc<Endpoint>>,
) -> BTreeMap<String, BTreeSet<ServiceName>> {
    let mut dependencies = BTreeMap::new();
    for (path, endpoint) in endpoints {
        let service = path.trim_start_matches('/').split('/').next().unwrap_or_default().to_owned();
        let mut reached = BTreeSet::new();
        let mut next = vec![endpoint.provider.clone()];
        while let Some(name) = next.pop() {
            if reached.insert(name.clone()) {
                next.extend(app.plan.links.iter().filter(|l| l.consumer == name).map(|l| l.provider.clone()));
            }
        }
        dependencies.entry(service).or_insert_with(BTreeSet::new).extend(reached);
    }
    dependencies
}

/// Turns the gRPC services that depend on a service that has failed for good `NOT_SERVING`,
/// and the server as a whole (`""`, what the liveness probes of `deploy k8s` ask for), with a
/// log line, as such failures come: a host with a service that will never recover should be
/// restarted.
async fn follow_failures(
    health: tonic_health::server::HealthReporter,
    mut failed: tokio::sync::watch::Receiver<Vec<ServiceName>>,
    dependencies: BTreeMap<String, BTreeSet<ServiceName>>,
) {
    let mut down = BTreeSet::new();
    loop {
        let failed_now: Vec<ServiceName> = failed.borrow_and_update().clone();
        if let Some(first) = failed_now.first()
            && down.insert(String::new())
        {
            tracing::error!("the server is NOT_SERVING: service `{first}` has failed for good");
            health.set_service_status("", tonic_health::ServingStatus::NotServing).await;
        }
        for (service, needs) in &dependencies {
            if let Some(culprit) = failed_now.iter().find(|f| needs.contains(*f))
                && down.insert(service.clone())
            {
                tracing::error!(
                    "`{service}` is NOT_SERVING: service `{culprit}`, which it depends on, has failed for good"
                );
                health.set_service_status(service, tonic_health::ServingStatus::NotServing).await;
            }
        }
        if failed.changed().await.is_err() {
            return; // the wos has stopped
        }
    }
}

/// The address of the client that sent a request, as the server recorded it.
fn client_address(extensions: &http::Extensions) -> Option<std::net::IpAddr> {
    use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
    let plain = extensions.get::<TcpConnectInfo>();
    let tls = || extensions.get::<TlsConnectInfo<TcpConnectInfo>>().map(TlsConnectInfo::get_ref);
    plain.or_else(tls).and_then(TcpConnectInfo::remote_addr).map(|addr| addr.ip())
}

/// The health service name that says whether the server is ready for traffic: `NOT_SERVING`
/// while one of its services waits for its restart back-off or has failed for good (the
/// readiness probe of `deploy k8s` asks it; liveness asks `""`).
pub const READINESS: &str = "parigot.readiness";

/// How often readiness is looked at.
const READINESS_EVERY: Duration = Duration::from_millis(500);

/// Keeps [`READINESS`] up to date, with a log line at each change; never ends by itself.
async fn follow_readiness(health: tonic_health::server::HealthReporter, running: Running) -> std::convert::Infallible {
    let mut ready = None;
    loop {
        let refusing = running.refusing_services();
        let now = refusing.is_empty();
        if ready != Some(now) {
            let status = if now {
                if ready.is_some() {
                    tracing::info!("the server is ready again");
                }
                tonic_health::ServingStatus::Serving
            } else {
                let names: Vec<&str> = refusing.iter().map(ServiceName::as_str).collect();
                tracing::warn!("the server is not ready: service(s) {} refuse calls for now", names.join(", "));
                tonic_health::ServingStatus::NotServing
            };
            health.set_service_status(READINESS, status).await;
            ready = Some(now);
        }
        tokio::time::sleep(READINESS_EVERY).await;
    }
}

/// The media type a request's `Content-Type` names, lower-cased and without parameters
/// (`application/json` for `application/json; charset=utf-8`).
fn media_type(headers: &http::HeaderMap) -> Option<String> {
    let content_type = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    Some(content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

/// The answer to a path that is no exposed function, in either protocol.
fn unknown_method(path: &str) -> Status {
    Status::unimplemented(format!("no method `{path}` here; list the services with gRPC server reflection"))
}

/// The schema of the wos's public interfaces, and an endpoint per function; an error when
/// `[auth] require-login` names something not served.
fn exposed_endpoints(app: &App, auth: &auth::EdgeAuth) -> Result<(Schema, BTreeMap<String, Arc<Endpoint>>)> {
    let public = public_interfaces(app)?;
    let files = interface_protos(&public, InterfaceSide::Export)?;
    let schema = Schema::compile(&files)?;
    let mut endpoints = BTreeMap::new();
    for ((provider, interface), file) in public.iter().zip(&files) {
        for (function, sig) in &provider.surface.exports[*interface].functions {
            let rpc = schema.rpc(&file.service, function)?;
            let endpoint = Endpoint {
                provider: provider.name.clone(),
                interface: interface.to_string(),
                function: function.clone(),
                rpc: TypedRpc { rpc, sig: sig.clone() },
                typed: typed::typed_call(sig),
                needs_login: auth.requires_login(&interface.to_string(), function),
            };
            endpoints.insert(endpoint.rpc.rpc.path.clone(), Arc::new(endpoint));
        }
    }
    let unused = auth.unused_rules(endpoints.values().map(|e| (e.interface.as_str(), e.function.as_str())));
    if !unused.is_empty() {
        wasmtime::bail!(
            "`[auth]` `require-login` names what the wos does not serve: {}; name a served interface \
             (`namespace:package/interface`) or one of its functions (`...#function`)",
            unused.iter().map(|rule| format!("`{rule}`")).collect::<Vec<_>>().join(", ")
        );
    }
    Ok((schema, endpoints))
}

impl Gateway {
    /// The caller of a request for `endpoint` (its `parts`) with deadline `deadline`: its chain
    /// and user from a peer host of the deployment (its proof checked, [`auth::EdgeAuth::
    /// peer_call`]), else the user its `Authorization` logs in as and a chain of its own; and
    /// its per-call context from its `traceparent`, `baggage` and `x-request-id` headers (each
    /// ignored if malformed).
    async fn caller(
        &self,
        endpoint: &Endpoint,
        request: &http::request::Parts,
        deadline: Option<Duration>,
    ) -> Result<Caller, Status> {
        let headers = &request.headers;
        let path = &endpoint.rpc.rpc.path;
        let authority = request
            .uri
            .authority()
            .map(|authority| authority.as_str())
            .or_else(|| headers.get(http::header::HOST).and_then(|host| host.to_str().ok()))
            .unwrap_or_default();
        let peer = self.auth.peer_call(headers, path, authority)?;
        let client = client_address(&request.extensions);
        let user = self.auth.user(headers, peer.as_ref(), client, endpoint.needs_login, path).await;
        if peer.is_none() && headers.contains_key(http::header::AUTHORIZATION) {
            self.running.metrics().login(login_outcome(&user));
        }
        let user = user?;
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let edge = EdgeHeaders {
            traceparent: text("traceparent"),
            baggage: text("baggage"),
            request_id: text("x-request-id"),
        };
        let pctx = Some(self.running.context_at_edge(edge, user.as_deref()));
        Ok(Caller { deadline, chain: peer.map(|peer| peer.chain), pctx, client: None })
    }

    /// Counts a request for `endpoint` answered with `code`, whether its function was
    /// called or the request was refused before (a wrong login, a malformed body).
    fn answered(&self, endpoint: &Endpoint, code: tonic::Code) {
        let function = format!("{}#{}", endpoint.interface, endpoint.function);
        self.running.metrics().request_ended(&function, status::connect_code(code));
    }

    /// gRPC when the content type says so, Connect otherwise.
    async fn handle(self: Arc<Self>, request: Request<Body>) -> Response<Body> {
        let is_grpc = media_type(request.headers())
            .is_some_and(|t| t.starts_with("application/grpc") && !t.starts_with("application/grpc-web"));
        let endpoint = self.endpoints.get(request.uri().path()).cloned();
        if is_grpc {
            grpc::handle(self, endpoint, request).await
        } else {
            connect::handle(self, endpoint, request).await
        }
    }

    /// Calls the endpoint's function with `request`, as `caller` (its deadline, and its chain
    /// if it comes from another parigot host). A chain that a service refused for want of a
    /// login is answered `UNAUTHENTICATED`, whatever the service returned.
    async fn invoke(
        &self,
        endpoint: Arc<Endpoint>,
        request: DynamicMessage,
        mut caller: Caller,
    ) -> Result<DynamicMessage, Status> {
        // Dropped with this future when the client leaves (resets the stream, closes the
        // connection): a call still waiting for an instance is then dropped too.
        let (_client_here, presence) = ClientPresence::new();
        caller.client = Some(presence);
        let path = endpoint.rpc.rpc.path.clone();
        tracing::debug!("calling {path}");
        let chain = caller.pctx.clone();
        let chain_request_id = request_id(&caller);
        let invalid = |e: super::convert::ConvertError| Status::invalid_argument(e.to_string());
        let running = self.running.clone();
        // The call gets a task of its own, which runs to its end (or its deadline) even if the
        // client gives up: a guest is not abandoned halfway through a call. (Until it has an
        // instance, it is dropped when its client leaves.)
        let call = match endpoint.typed.clone() {
            Some(typed) => {
                let args = super::convert::plain_params_from_request(request, &endpoint.rpc.sig).map_err(invalid)?;
                tokio::spawn(async move {
                    let output = endpoint.rpc.rpc.output.clone();
                    let results = typed.call(running, caller, endpoint, args).await?;
                    Ok(super::convert::response_from_plain_results(&output, results))
                })
            }
            None => {
                let params = super::convert::params_from_request(&request, &endpoint.rpc.sig).map_err(invalid)?;
                tokio::spawn(async move {
                    let mut results = vec![Val::Bool(false); endpoint.rpc.sig.results.len()];
                    let (service, interface, function) =
                        (endpoint.provider.as_str(), &endpoint.interface, &endpoint.function);
                    running.call_as(caller, service, interface, function, &params, &mut results).await.map(|()| {
                        super::convert::response_from_results(&endpoint.rpc.rpc.output, &endpoint.rpc.sig, &results)
                    })
                })
            }
        };
        let outcome = call.await.unwrap_or_else(|panic| Err(wasmtime::format_err!("the call panicked: {panic}")));
        if chain.is_some_and(|pctx| pctx.was_refused_login()) {
            return Err(self.auth.unauthenticated(format!(
                "`{path}` needs a login (a service refused a caller who did not log in): send `Authorization: Basic` \
                 with a user name and password"
            )));
        }
        outcome.map_err(|error| {
            let request_id = chain_request_id.as_deref().unwrap_or("none");
            let status = status::from_call_error(&error, &path, request_id);
            // The whole story goes to the log; the client is told what failed, not how the
            // host is built inside.
            tracing::warn!("`{path}` failed ({:?}, request {request_id}): {error:#}", status.code());
            status
        })
    }
}

/// The request id of a call's context, which the response carries (`x-request-id`) so that
/// a client can find its call in the host's log.
fn request_id(caller: &Caller) -> Option<String> {
    caller.pctx.as_ref().map(|pctx| pctx.trace.request_id.to_string())
}

/// The header that carries a call's request id, both ways.
const REQUEST_ID_HEADER: &str = "x-request-id";

/// [`Gateway::invoke`], with the call's request id put on its status when it fails, and
/// returned beside its answer when it does not.
async fn invoke_with_request_id(
    gateway: &Gateway,
    endpoint: Arc<Endpoint>,
    request: DynamicMessage,
    caller: Caller,
) -> Result<(DynamicMessage, Option<String>), Status> {
    let id = request_id(&caller);
    match gateway.invoke(endpoint, request, caller).await {
        Ok(response) => Ok((response, id)),
        Err(mut status) => {
            if let Some(value) = id.and_then(|id| tonic::metadata::MetadataValue::try_from(id).ok()) {
                status.metadata_mut().insert(REQUEST_ID_HEADER, value);
            }
            Err(status)
        }
    }
}
