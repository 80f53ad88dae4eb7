//! A started wos: a pool of instances per service, each instance in a Store of its own; calls
//! from the host into it, its programs' runs, and shutdown.
//!
//! A failure costs only the call chain it happened on: the instance that failed is dropped
//! (wasmtime poisons the Store of a trap), and so are the instances of its callers up the
//! chain, which the error unwound through; every other instance keeps its memory.

use super::App;
use super::call::{Target, call_service, call_service_typed};
use super::context::{CallContext, ChainId, ClientPresence};
use super::deadline::Deadline;
use super::pool::ServicePool;
use super::shape::PlainList;
use super::state::ServiceId;
use crate::caps::context::{EdgeHeaders, IdSource, Pctx};
use crate::kernel::{FailureKind, ServiceState};
use crate::names::ServiceName;
use crate::sim::Faults;
use crate::surface::RUN_INTERFACE;
use crate::telemetry::Telemetry;
use crate::telemetry::metrics::Metrics;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use wasmtime::component::Val;
use wasmtime::error::Context;
use wasmtime::{Engine, Result};

/// How long a stopping wos waits for its last spans and log records to be exported.
const EXPORT_FLUSH_BUDGET: Duration = Duration::from_secs(5);

/// A started wos. Cheap to clone: clones share the same services and instances, and calls
/// may be made from many tasks at once.
#[derive(Clone)]
pub struct Running {
    pub(super) services: Arc<Services>,
}

/// The services of a started wos, shared by its [`Running`] handles and (weakly) by its
/// instances' linked imports.
pub(super) struct Services {
    pub(super) app: Arc<App>,
    /// One pool per service, in start-up order.
    pub(super) pools: Vec<ServicePool>,
    /// The services that have failed for good, in start-up order.
    failed: watch::Sender<Vec<ServiceName>>,
    /// Where the per-call contexts' ids come from.
    pub(super) ids: IdSource,
    /// Its metrics (for the admin listener) and, when export is on, its spans.
    pub(super) telemetry: Telemetry,
    /// The faults of a simulation run, injected at its boundaries.
    pub(super) faults: Option<Arc<Faults>>,
    /// How far the run's virtual clocks have jumped (a simulation's `clock-jump`).
    pub(super) jumps: super::TimeJumps,
}

/// One service of a running wos as it is now ([`Running::services_now`]).
#[derive(Debug, Clone)]
pub struct ServiceNow {
    pub name: Arc<str>,
    pub state: ServiceState,
    /// Its instances in a call.
    pub busy: usize,
    /// Its instances waiting for one.
    pub idle: usize,
    /// The most instances it may have.
    pub most: usize,
    /// What its instances hold (linear memories and tables), in bytes.
    pub memory: u64,
    /// Its failed instances so far (a caller's own deadline not counted).
    pub failures: u64,
    /// Fresh instances started after a failure.
    pub restarts: u64,
}

/// What a caller from outside the wos brings to a call.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// Its deadline.
    pub deadline: Option<Duration>,
    /// The call chain it belongs to, when it comes from another host; a fresh one otherwise.
    pub chain: Option<ChainId>,
    /// Its per-call context (made at the edge from its headers: [`Running::context_at_edge`]);
    /// a fresh one otherwise.
    pub pctx: Option<Pctx>,
    /// Whether it is still there: a call that waits for an instance is dropped when it leaves.
    pub client: Option<ClientPresence>,
}

impl Caller {
    /// The context of a call from this caller.
    fn context(self, ids: &IdSource) -> CallContext {
        CallContext {
            chain: self.chain.unwrap_or_else(ChainId::fresh),
            deadline: self.deadline.map(|budget| Deadline::after(budget, true)),
            pctx: self.pctx.unwrap_or_else(|| Pctx::fresh(ids)),
            client: self.client,
        }
    }
}

/// How one program's run ended.
#[derive(Debug)]
pub enum ProgramOutcome {
    /// `run` returned `ok`.
    Succeeded,
    /// `run` returned `err` (the guest's way of saying it failed).
    ReturnedError,
    /// The guest called `exit` with this non-zero code.
    Exited(i32),
    /// The program, or a service it called, failed: trapped, ran past its deadline or out of
    /// memory. The error holds a [`crate::kernel::ServiceFailure`] naming the service.
    Failed(wasmtime::Error),
}

impl Services {
    pub(super) fn new(
        app: Arc<App>,
        pools: Vec<ServicePool>,
        ids: IdSource,
        telemetry: Telemetry,
        (faults, jumps): (Option<Arc<Faults>>, super::TimeJumps),
    ) -> Services {
        Services { app, pools, failed: watch::Sender::new(Vec::new()), ids, telemetry, faults, jumps }
    }

    pub(super) fn engine(&self) -> &Engine {
        &self.app.engine
    }

    /// The deadline of a call into `id`: the tighter of the caller's and the service's own;
    /// none when deadlines are not enforced (no pulse).
    pub(super) fn deadline_for(&self, id: ServiceId, caller: Option<Deadline>) -> Option<Deadline> {
        self.app.clock.as_ref()?;
        let own = self.pools[id].spec.limits.deadline.map(|budget| Deadline::after(budget, false));
        Deadline::tighter(caller, own)
    }

    /// Records that service `id` has failed for good.
    pub(super) fn failed_for_good(&self, id: ServiceId) {
        let name = self.app.services[id].name.clone();
        self.failed.send_modify(|failed| {
            if !failed.contains(&name) {
                failed.push(name);
            }
        });
    }
}

impl Running {
    /// Starts every service in start-up order: one instance each.
    pub(super) async fn start_all(&self) -> Result<()> {
        for (service, pool) in self.services.app.services.iter().zip(&self.services.pools) {
            let kind = if service.is_program() { "program" } else { "server" };
            tracing::info!("starting service `{}` ({kind})", service.name);
            pool.start(&self.services).await.with_context(|| format!("cannot start service `{}`", service.name))?;
        }
        Ok(())
    }

    /// The wos this runs.
    pub fn app(&self) -> &Arc<App> {
        &self.services.app
    }

    /// Its metrics: the calls into its services and their failures.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.services.telemetry.metrics
    }

    /// A tap on the spans of `trace`, for a peer host whose call asked for them; `None` when
    /// the wos lends none ([`super::StartOptions::lend_spans`]).
    pub fn tap_spans(&self, trace: u128) -> Option<crate::telemetry::lent::Tap> {
        self.services.telemetry.records.as_ref()?.tap(trace)
    }

    /// Its metrics, with each service's instances (busy and idle) and memory as they are now.
    pub fn metrics_now(&self) -> &Arc<Metrics> {
        for pool in &self.services.pools {
            let (busy, idle) = pool.instance_counts();
            self.services.telemetry.metrics.set_instances(&pool.spec.name, busy, idle);
            self.services.telemetry.metrics.set_memory(&pool.spec.name, pool.memory_held());
        }
        &self.services.telemetry.metrics
    }

    /// Calls `interface#function` of `service` from the host, under the same supervision as a
    /// call from another service (deadline, memory limit, failure and restart).
    pub async fn call(
        &self,
        service: &str,
        interface: &str,
        function: &str,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        self.call_as(Caller::default(), service, interface, function, params, results).await
    }

    /// [`Running::call`] for a caller from outside the wos with a deadline of its own (a
    /// client's `grpc-timeout`, say: the call runs under the tighter of it and the service's
    /// own) or a call chain it belongs to (a call from another host).
    pub async fn call_as(
        &self,
        caller: Caller,
        service: &str,
        interface: &str,
        function: &str,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let id = self.service_id(service)?;
        let label = format!("{interface}#{function}");
        let target = Target::Export { interface, function };
        call_service(&self.services, id, target, &label, params, results, caller.context(&self.services.ids)).await
    }

    /// [`Running::call_as`] with typed values, for a function whose signature is one of plain
    /// values ([`super::shape`]): a `list<u8>` travels as one buffer.
    pub async fn call_typed<P: PlainList, R: PlainList>(
        &self,
        caller: Caller,
        service: &str,
        interface: &str,
        function: &str,
        params: P,
    ) -> Result<R> {
        let id = self.service_id(service)?;
        let label = format!("{interface}#{function}");
        let context = caller.context(&self.services.ids);
        let target = Target::Export { interface, function };
        call_service_typed(&self.services, id, target, &label, params, context).await
    }

    /// The per-call context of a request that arrived at the edge with `headers`.
    pub fn context_at_edge(&self, headers: EdgeHeaders<'_>, user: Option<&str>) -> Pctx {
        Pctx::at_edge(headers, user, &self.services.ids)
    }

    /// The life-cycle state of `service`.
    pub fn state(&self, service: &str) -> Result<ServiceState> {
        Ok(self.services.pools[self.service_id(service)?].state())
    }

    /// Every service as it is now, in start-up order: its state, instances and memory, and
    /// its failures and restarts so far.
    pub fn services_now(&self) -> Vec<ServiceNow> {
        let metrics = &self.services.telemetry.metrics;
        self.services
            .pools
            .iter()
            .map(|pool| {
                let (busy, idle) = pool.instance_counts();
                let name = &pool.spec.name;
                ServiceNow {
                    name: name.clone(),
                    state: pool.state(),
                    busy,
                    idle,
                    most: pool.spec.size,
                    memory: pool.memory_held(),
                    failures: metrics.failures_of(name, FailureKind::METRIC_NAMES),
                    restarts: metrics.restarts_of(name),
                }
            })
            .collect()
    }

    /// The servers that would refuse a call needing a fresh instance now: waiting for their
    /// restart back-off, or failed for good (what a readiness check asks).
    pub fn refusing_services(&self) -> Vec<ServiceName> {
        let app = &self.services.app;
        app.services
            .iter()
            .zip(&self.services.pools)
            .filter(|(service, pool)| !service.is_program() && pool.refusing())
            .map(|(service, _)| service.name.clone())
            .collect()
    }

    /// Follows the services that have failed for good (their restart policy gave up on them),
    /// in the order they failed.
    pub fn failed_services(&self) -> watch::Receiver<Vec<ServiceName>> {
        self.services.failed.subscribe()
    }

    /// Runs every program of the wos to completion, one after another in start-up order, as
    /// `user` (the user in their calls' context; none: logged out).
    pub async fn run_programs(&self, user: Option<&str>) -> Vec<(ServiceName, ProgramOutcome)> {
        let app = &self.services.app;
        let programs: Vec<ServiceId> =
            app.services.iter().enumerate().filter(|(_, s)| s.is_program()).map(|(id, _)| id).collect();
        if programs.is_empty() {
            tracing::info!("wos `{}` has no programs: its servers started and nothing calls them", app.manifest.name);
        }
        let mut outcomes = Vec::with_capacity(programs.len());
        for id in programs {
            let name = app.services[id].name.clone();
            tracing::info!("running program `{name}`");
            outcomes.push((name, self.run_program(id, user).await));
        }
        outcomes
    }

    /// Runs every program again, as [`Running::run_programs`] did the first time.
    pub async fn run_programs_again(&self, user: Option<&str>) -> Vec<(ServiceName, ProgramOutcome)> {
        for (service, pool) in self.services.app.services.iter().zip(&self.services.pools) {
            if service.is_program() {
                pool.rearm();
            }
        }
        self.run_programs(user).await
    }

    async fn run_program(&self, id: ServiceId, user: Option<&str>) -> ProgramOutcome {
        let service = &self.services.app.services[id];
        let run =
            service.surface.exports.keys().find(|name| name.path() == RUN_INTERFACE).expect("programs export run");
        let run = run.to_string();
        let mut results = [Val::Bool(false)];
        let target = Target::Export { interface: &run, function: "run" };
        let label = format!("{run}#run");
        let pctx = Pctx::fresh(&self.services.ids);
        let pctx = match user {
            Some(user) => pctx.as_user(user),
            None => pctx,
        };
        let context = CallContext { chain: ChainId::fresh(), deadline: None, pctx, client: None };
        let outcome = call_service(&self.services, id, target, &label, &[], &mut results, context).await;
        self.services.pools[id].exited(); // a program runs once
        match outcome {
            Ok(()) if matches!(results[0], Val::Result(Ok(_))) => ProgramOutcome::Succeeded,
            Ok(()) => ProgramOutcome::ReturnedError,
            Err(error) => match error.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(wasmtime_wasi::I32Exit(0)) => ProgramOutcome::Succeeded,
                Some(wasmtime_wasi::I32Exit(code)) => ProgramOutcome::Exited(*code),
                None => ProgramOutcome::Failed(error),
            },
        }
    }

    /// Stops the wos once the calls under way have ended: every service's instances are
    /// dropped, with everything they held, in reverse start-up order.
    pub async fn shutdown(&self) {
        for pool in self.services.pools.iter().rev() {
            pool.stop().await;
        }
        if let Some(records) = &self.services.telemetry.records {
            records.flush(EXPORT_FLUSH_BUDGET).await;
        }
    }

    fn service_id(&self, service: &str) -> Result<ServiceId> {
        let app = &self.services.app;
        app.services
            .iter()
            .position(|s| s.name.as_str() == service)
            .with_context(|| format!("wos `{}` has no service `{service}`", app.manifest.name))
    }
}
