//! Imports bound to another parigot host: the consumer's calls become gRPC calls to the host
//! that serves the interface, with the same protobuf mapping the server uses.
//!
//! A remote call is an async host function: while it waits for the answer, the guest's fiber
//! is suspended and its thread serves other work. Each call has a time budget: the link's
//! `timeout-ms`, cut to what is left of the caller's deadline. Within it, a remote that cannot
//! be reached or answers `UNAVAILABLE` is tried again after a back-off (50 ms, doubling), up to
//! `retries` times. The connection is made on first use, so a wos starts even while its remotes are down;
//! before the first call goes through, the remote's server reflection must show that it serves
//! the interface as the consumer's WIT describes it ([`agreement`]).

use super::agreement::{self, Served};
use super::codec::DynamicCodec;
use super::schema::{Schema, TypedRpc};
use super::{InterfaceSide, interface_protos};
use crate::graph::RemoteLink;
use crate::kernel::{FailureKind, ServiceFailure};
use crate::runtime::shape::PlainValue;
use crate::runtime::{CallContext, LoadedService, RemoteBinder, RemoteImport};
use crate::telemetry::{Records, lent};
use crate::users::{PROOF_HEADER, PeerClaim, PeerSecret, USER_HEADER, encode_user, unix_now};
use http::uri::PathAndQuery;
use prost_reflect::ServiceDescriptor;
use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Status};
use wasmtime::Result;
use wasmtime::component::Val;
use wasmtime::error::Context;

/// The first pause before trying a remote again.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// How long connecting may take, at most, within a call's budget.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Binds imports to remote parigot hosts over gRPC: what [`crate::runtime::LoadOptions`]
/// needs for a wos with `remote` links.
pub struct GrpcRemotes {
    /// The deployment's secret, with which a chain's user is sent along (without it, remote
    /// calls run logged out).
    peer: Option<PeerSecret>,
}

impl GrpcRemotes {
    /// The binder, as load options take it; `peer` is the deployment's secret, if it has one.
    pub fn binder(peer: Option<PeerSecret>) -> Arc<dyn RemoteBinder> {
        Arc::new(GrpcRemotes { peer })
    }
}

impl RemoteBinder for GrpcRemotes {
    fn bind(&self, consumer: &LoadedService, links: &[&RemoteLink]) -> Result<Vec<Arc<dyn RemoteImport>>> {
        let remotes = RemoteInterface::for_consumer(consumer, links, &self.peer)?;
        Ok(remotes.into_iter().map(|remote| Arc::new(remote) as Arc<dyn RemoteImport>).collect())
    }
}

impl RemoteImport for RemoteInterface {
    fn import(&self) -> &crate::names::InterfaceName {
        &self.link.import
    }

    fn functions(&self) -> Vec<String> {
        self.rpcs.keys().cloned().collect()
    }

    fn url(&self) -> &str {
        &self.link.remote.url
    }

    fn timeout(&self) -> Duration {
        self.link.remote.timeout
    }

    fn call<'a>(
        &'a self,
        function: &'a str,
        params: &'a [Val],
        results: &'a mut [Val],
        context: &'a CallContext,
        records: Option<&'a Records>,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>> {
        Box::pin(self.invoke(function, params, results, context, records))
    }

    fn call_plain<'a>(
        &'a self,
        function: &'a str,
        args: Vec<PlainValue>,
        context: &'a CallContext,
        records: Option<&'a Records>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<PlainValue>>> + Send + 'a>> {
        Box::pin(self.invoke_plain(function, args, context, records))
    }
}

/// The headers that carry a call of `method` on the host at `authority` to it: the call's per-
/// call context as W3C `traceparent` and `baggage` plus `x-request-id` (the deadline travels
/// as `grpc-timeout`, set per attempt) and, with the deployment's secret `peer`, its chain and
/// user with the proof of them ([`crate::users::PeerSecret`]); without a secret, neither.
fn context_headers(
    context: &CallContext,
    peer: Option<&PeerSecret>,
    method: &str,
    authority: &str,
) -> tonic::metadata::MetadataMap {
    let mut headers = tonic::metadata::MetadataMap::new();
    let mut put = |name: &'static str, value: String| match tonic::metadata::MetadataValue::try_from(value) {
        Ok(value) => {
            headers.insert(name, value);
        }
        Err(_) => tracing::debug!("not sending header `{name}`: its value is not a valid header value"),
    };
    let pctx = &context.pctx;
    put("traceparent", pctx.traceparent(pctx.span));
    put("x-request-id", pctx.trace.request_id.to_string());
    if let Some(baggage) = pctx.trace.baggage.header() {
        put("baggage", baggage);
    }
    if let Some(peer) = peer {
        let (chain, user) = (context.chain.header(), pctx.trace.user.as_deref());
        put(super::CHAIN_HEADER, chain.clone());
        if let Some(user) = user {
            put(USER_HEADER, encode_user(user));
        }
        let claim = PeerClaim { user, chain: &chain, method, authority };
        put(PROOF_HEADER, peer.prove(&claim, unix_now()));
    }
    headers
}

/// TLS for an `https://` remote: its certificate must chain to `ca` (a PEM file), or without
/// one to a root the system trusts.
fn client_tls(ca: Option<&std::path::Path>) -> Result<ClientTlsConfig> {
    Ok(match ca {
        Some(ca) => {
            let pem = std::fs::read(ca)
                .with_context(|| format!("cannot read the certificate authority {} (the link's `ca`)", ca.display()))?;
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem))
        }
        None => ClientTlsConfig::new().with_native_roots(),
    })
}

/// One imported interface, served by a remote host.
pub struct RemoteInterface {
    link: RemoteLink,
    /// The gRPC service (full name) the interface maps to.
    service: String,
    endpoint: Endpoint,
    /// The connection, made by the first call (on the async runtime that makes it).
    channel: OnceLock<Channel>,
    /// Set once the remote is known to serve the interface as the consumer's WIT says.
    agreed: OnceLock<()>,
    /// The rpc of each imported function.
    rpcs: BTreeMap<String, TypedRpc>,
    /// The deployment's secret, to send the chain's user with.
    peer: Option<PeerSecret>,
}

impl RemoteInterface {
    /// Prepares the clients for `links`, all of them imports of `consumer` (no connection is
    /// made yet).
    fn for_consumer(
        consumer: &LoadedService,
        links: &[&RemoteLink],
        peer: &Option<PeerSecret>,
    ) -> Result<Vec<RemoteInterface>> {
        if links.is_empty() {
            return Ok(Vec::new());
        }
        let imports: Vec<_> = links.iter().map(|link| (consumer, &link.import)).collect();
        let files = interface_protos(&imports, InterfaceSide::Import)?;
        let schema = Schema::compile(&files)?;
        links.iter().zip(&files).map(|(link, file)| RemoteInterface::new(link, &schema, &file.service, peer)).collect()
    }

    /// The client for `link`, whose interface is the gRPC service `service` of `schema`.
    fn new(link: &RemoteLink, schema: &Schema, service: &str, peer: &Option<PeerSecret>) -> Result<RemoteInterface> {
        if let Some(authority) = link.remote.url.strip_prefix("http://")
            && peer.is_some()
            && !crate::users::is_loopback(authority.trim_end_matches('/'))
        {
            wasmtime::bail!(
                "service `{}` links `{}` to {} over plain HTTP, which would carry the deployment's peer proof (and \
                 its users) in clear text across the network; use `https://` (with `ca` for a private authority), \
                 or a loopback address",
                link.consumer,
                link.import,
                link.remote.url
            );
        }
        let rpcs = link
            .functions
            .iter()
            .map(|(function, sig)| {
                Ok((function.clone(), TypedRpc { rpc: schema.rpc(service, function)?, sig: sig.clone() }))
            })
            .collect::<Result<_>>()?;
        let mut endpoint = Endpoint::from_shared(link.remote.url.clone())
            .with_context(|| format!("`{}` is not a valid remote address", link.remote.url))?
            .connect_timeout(CONNECT_TIMEOUT)
            .http2_max_header_list_size(lent::HEADER_ROOM);
        if link.remote.url.starts_with("https://") {
            endpoint = endpoint.tls_config(client_tls(link.remote.ca.as_deref())?).with_context(|| {
                format!("cannot set up TLS for the remote {} of `{}`", link.remote.url, link.import)
            })?;
        }
        tracing::info!("linking `{}`: `{}` -> remote host {}", link.consumer, link.import, link.remote.url);
        Ok(RemoteInterface {
            link: link.clone(),
            service: service.to_owned(),
            endpoint,
            channel: OnceLock::new(),
            agreed: OnceLock::new(),
            rpcs,
            peer: peer.clone(),
        })
    }

    /// Calls `function` on the remote host in `context`: within the link's timeout and what is
    /// left of the context's deadline, as part of its chain, carrying its per-call context.
    /// Failures come back as a [`ServiceFailure`] that names the remote host.
    async fn invoke(
        &self,
        function: &str,
        params: &[Val],
        results: &mut [Val],
        context: &CallContext,
        records: Option<&Records>,
    ) -> Result<()> {
        let rpc = &self.rpcs[function];
        let request = super::convert::request_from_params(&rpc.rpc.input, &rpc.sig, params);
        let response = self.exchange(function, request, context, records).await?;
        let values =
            super::convert::results_from_response(&response, &rpc.sig).map_err(|e| self.unfit_answer(function, &e))?;
        for (slot, value) in results.iter_mut().zip(values) {
            *slot = value;
        }
        Ok(())
    }

    /// [`RemoteInterface::invoke`] for a signature of plain values ([`crate::runtime::shape`]):
    /// bytes travel as one buffer each way.
    async fn invoke_plain(
        &self,
        function: &str,
        args: Vec<PlainValue>,
        context: &CallContext,
        records: Option<&Records>,
    ) -> Result<Vec<PlainValue>> {
        let rpc = &self.rpcs[function];
        let request = super::convert::request_from_plain_params(&rpc.rpc.input, args);
        let response = self.exchange(function, request, context, records).await?;
        super::convert::plain_results_from_response(response, &rpc.sig).map_err(|e| self.unfit_answer(function, &e))
    }

    /// Sends `request` for `function` and returns the answer, within the call's budget, after
    /// checking once that the remote serves the interface as the consumer's WIT describes it.
    async fn exchange(
        &self,
        function: &str,
        request: prost_reflect::DynamicMessage,
        context: &CallContext,
        records: Option<&Records>,
    ) -> Result<prost_reflect::DynamicMessage> {
        let rpc = &self.rpcs[function];
        let caller_deadline = context.deadline.map(|deadline| deadline.left());
        let budget = caller_deadline.map_or(self.link.remote.timeout, |left| left.min(self.link.remote.timeout));
        let started = Instant::now();
        self.agree(budget).await.map_err(|reason| self.failure(function, FailureKind::Remote { reason }))?;
        let response = self.send(rpc, request, budget.saturating_sub(started.elapsed()), context, records).await;
        response.map_err(|status| {
            if status.code() == Code::Unauthenticated {
                // The remote refused the chain for want of a login: so does this host's edge.
                context.pctx.login_refused.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            self.failure(
                function,
                match status.code() {
                    Code::DeadlineExceeded => FailureKind::RemoteTimeout(budget),
                    _ => FailureKind::Remote { reason: format!("{:?}: {}", status.code(), status.message()) },
                },
            )
            .into()
        })
    }

    /// The remote's `host:port`, as its URL names it (and the requests' `:authority` carries).
    fn authority(&self) -> &str {
        let url = &self.link.remote.url;
        url.split_once("://").map_or(url.as_str(), |(_, rest)| rest).trim_end_matches('/')
    }

    /// A failed call of `function` on the remote host.
    fn failure(&self, function: &str, kind: FailureKind) -> ServiceFailure {
        ServiceFailure::remote(&self.link.remote.url, &format!("{}#{function}", self.link.import), kind)
    }

    /// The error of an answer to `function` that does not fit its WIT.
    fn unfit_answer(&self, function: &str, error: &super::convert::ConvertError) -> wasmtime::Error {
        let reason = format!("its answer does not fit the WIT of `{}`: {error}", self.link.import);
        self.failure(function, FailureKind::Remote { reason }).into()
    }

    /// The connection to the remote, made on first use.
    fn channel(&self) -> &Channel {
        self.channel.get_or_init(|| self.endpoint.connect_lazy())
    }

    /// Makes sure, once, that the remote serves the interface as the consumer's WIT describes
    /// it ([`agreement`]). Only a difference seen is an error: a remote that cannot be asked
    /// now is asked again on the next call (the call itself reports why it cannot reach it),
    /// and one without server reflection (not a parigot host) is taken on trust.
    async fn agree(&self, budget: Duration) -> Result<(), String> {
        if self.agreed.get().is_some() {
            return Ok(());
        }
        let asked = tokio::time::timeout(budget, agreement::ask_remote(self.channel().clone(), &self.service)).await;
        let served = match asked {
            Ok(Ok(served)) => served,
            Ok(Err(status)) if status.code() == Code::Unimplemented => {
                tracing::debug!("remote {} has no server reflection: its schema is not checked", self.link.remote.url);
                let _ = self.agreed.set(());
                return Ok(());
            }
            Ok(Err(_)) | Err(_) => return Ok(()),
        };
        match served {
            Served::Service(pool) => self.compare(pool.get_service_by_name(&self.service).as_ref())?,
            Served::Missing { serves } => {
                return Err(format!(
                    "it does not serve `{}` (the gRPC service of `{}`), only {}; is it built from another \
                     version of the WIT package?",
                    self.service,
                    self.link.import,
                    serves.join(", ")
                ));
            }
        }
        let _ = self.agreed.set(());
        Ok(())
    }

    /// Compares every imported function with its rpc in `service` as the remote describes it;
    /// the error names the first difference.
    fn compare(&self, service: Option<&ServiceDescriptor>) -> Result<(), String> {
        let mismatch = |what: String| {
            format!(
                "it serves `{}` from a different WIT: {what}; build both sides from the same WIT package",
                self.link.import
            )
        };
        for rpc in self.rpcs.values() {
            let method_name = rpc.rpc.path.rsplit('/').next().unwrap_or_default();
            let method = service.and_then(|s| s.methods().find(|m| m.name() == method_name));
            let Some(method) = method else {
                return Err(mismatch(format!("it has no rpc `{method_name}`")));
            };
            let sides = [("request", &rpc.rpc.input, method.input()), ("answer", &rpc.rpc.output, method.output())];
            for (side, ours, theirs) in sides {
                if let Some(difference) = agreement::message_difference(ours, &theirs, "") {
                    return Err(mismatch(format!("in the {side} of `{method_name}`, {difference}")));
                }
            }
        }
        Ok(())
    }

    /// Sends `request` in the call `context`, trying again while the remote is unavailable
    /// and time is left. A peer of the deployment is asked for the call's spans when
    /// `records` keeps them.
    async fn send(
        &self,
        rpc: &TypedRpc,
        request: prost_reflect::DynamicMessage,
        budget: Duration,
        context: &CallContext,
        records: Option<&Records>,
    ) -> Result<prost_reflect::DynamicMessage, Status> {
        let trace = context.pctx.trace.id.0;
        let lent_to = records.filter(|records| self.peer.is_some() && records.keeps_lent_spans_of(trace));
        let deadline = Instant::now() + budget;
        let path = PathAndQuery::try_from(rpc.rpc.path.as_str()).expect("rpc paths are valid");
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut grpc = tonic::client::Grpc::new(self.channel().clone());
            let mut call = tonic::Request::new(request.clone());
            // Made afresh for every attempt: a peer accepts each proof once.
            *call.metadata_mut() = context_headers(context, self.peer.as_ref(), &rpc.rpc.path, self.authority());
            if lent_to.is_some() {
                call.metadata_mut().insert(lent::WANT_HEADER, tonic::metadata::MetadataValue::from_static("1"));
            }
            call.set_timeout(left);
            let codec = DynamicCodec::new(rpc.rpc.output.clone());
            let outcome = tokio::time::timeout(left, async {
                grpc.ready().await.map_err(|e| Status::unavailable(format!("cannot reach the remote host: {e}")))?;
                grpc.unary(call, path.clone(), codec).await
            })
            .await
            .unwrap_or_else(|_| {
                Err(Status::deadline_exceeded(format!("no answer within {}", crate::kernel::describe_duration(budget))))
            });
            if let Some(records) = lent_to {
                let answer = outcome.as_ref().map_or_else(Status::metadata, tonic::Response::metadata);
                self.keep_lent_spans(answer, records, trace);
            }
            match outcome {
                // Whichever timer fired first (ours, tonic's, the remote's), the budget is spent.
                Err(_) if Instant::now() >= deadline => {
                    return Err(Status::deadline_exceeded(format!(
                        "no answer within {}",
                        crate::kernel::describe_duration(budget)
                    )));
                }
                Err(status) if status.code() == Code::Unavailable && attempt < self.link.remote.retries => {
                    if Instant::now() + backoff >= deadline {
                        return Err(status);
                    }
                    attempt += 1;
                    tracing::debug!(
                        "remote {} unavailable ({}); retry {attempt}",
                        self.link.remote.url,
                        status.message()
                    );
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                outcome => return outcome.map(tonic::Response::into_inner),
            }
        }
    }

    /// Keeps the spans the remote lent with its answer (`answer`'s headers) in `records`.
    fn keep_lent_spans(&self, answer: &tonic::metadata::MetadataMap, records: &Records, trace: u128) {
        let Some(value) = answer.get_bin(lent::SPANS_HEADER) else { return };
        let url = &self.link.remote.url;
        let spans = value.to_bytes().map_err(|e| e.to_string()).and_then(|bytes| lent::decode(&bytes, trace, url));
        match spans {
            Ok(spans) => records.lent(spans),
            Err(why) => tracing::debug!("ignored the spans {url} lent: {why}"),
        }
    }
}
