//! A started wos: one Store holding an instance of every service; calls from the host into
//! it, its programs' runs, recovery after a trap, housekeeping, and shutdown.

use super::call::{self, Target, call_service};
use super::state::{HostState, ServiceId};
use super::{App, new_store};
use crate::graph::RUN_INTERFACE;
use crate::kernel::{RestartPolicy, ServiceState};
use crate::manifest::ServiceName;
use std::sync::Arc;
use wasmtime::component::{Func, Val};
use wasmtime::error::Context;
use wasmtime::{AsContextMut, Result, Store};

/// A started wos: one Store holding an instance of every service.
pub struct Running {
    pub(super) app: Arc<App>,
    pub(super) store: Store<HostState>,
    /// The pulse beat at which housekeeping last ran.
    pub(super) last_housekeeping: u64,
}

/// Housekeeping runs at most once per this many pulse beats.
const HOUSEKEEPING_BEATS: u64 = 10;

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

impl Running {
    /// Instantiates, in start-up order, every service that is waiting to start.
    pub(super) async fn start_all(&mut self) -> Result<()> {
        for (id, service) in self.app.services.iter().enumerate() {
            if self.store.data().services[id].state == ServiceState::Starting {
                let kind = if service.is_program() { "program" } else { "server" };
                tracing::info!("starting service `{}` ({kind})", service.name);
                call::instantiate_service(self.store.as_context_mut(), id)
                    .await
                    .with_context(|| format!("cannot start service `{}`", service.name))?;
            }
        }
        Ok(())
    }

    /// After a guest trapped, wasmtime refuses every call into the Store it trapped in, so the
    /// services move to a fresh Store (so they do after a call abandoned halfway, which leaves
    /// a guest where it stopped): the failed ones stay failed (until their restart policy
    /// starts them again), the others start again from their pre-linked form, losing the
    /// state they held in memory. The old Store, with all its memory, is dropped.
    async fn recover(&mut self) -> Result<()> {
        let data = self.store.data();
        if !data.poisoned && !data.call_under_way {
            return Ok(());
        }
        let reason = if data.poisoned {
            "a guest trapped, which ends its Store"
        } else {
            "the last call into the wos was abandoned halfway, with its guest suspended"
        };
        let state = self.store.data_mut().take_for_new_store();
        self.store = new_store(&self.app.engine, state);
        let failed: Vec<_> = self
            .store
            .data()
            .states()
            .filter(|(_, s)| *s == ServiceState::Failed)
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        tracing::info!("{reason}: moving the wos to a fresh Store without {}", failed.join(", "));
        self.start_all().await
    }

    /// Work the pulse schedules, done when the host is about to call into the wos (the only
    /// time the Store is free): failed services whose restart policy and back-off allow it are
    /// started again, so they are ready before anyone calls them.
    async fn housekeeping(&mut self) {
        let Some(clock) = &self.app.clock else { return };
        let now = clock.now();
        if now < self.last_housekeeping + HOUSEKEEPING_BEATS {
            return;
        }
        self.last_housekeeping = now;
        let restartable: Vec<ServiceId> = (0..self.app.services.len())
            .filter(|&id| {
                let service = &self.store.data().services[id];
                service.state == ServiceState::Failed
                    && matches!(service.limits.restart, RestartPolicy::OnFailure { .. })
            })
            .collect();
        for id in restartable {
            // Not due yet, or out of restarts: the next call says so; nothing to do now.
            let _ = call::ensure_ready(&mut self.store.as_context_mut(), id, "housekeeping").await;
        }
    }

    /// Calls `interface#function` of `service` from the host, under the same supervision as a
    /// call from another service (deadline, memory limit, failure and restart).
    pub async fn call(
        &mut self,
        service: &str,
        interface: &str,
        function: &str,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        self.call_within(service, interface, function, params, results, None).await
    }

    /// [`Running::call`] for a caller with a deadline of its own (a client's `grpc-timeout`,
    /// say): the call runs under the tighter of `deadline` and the service's own.
    pub async fn call_within(
        &mut self,
        service: &str,
        interface: &str,
        function: &str,
        params: &[Val],
        results: &mut [Val],
        deadline: Option<std::time::Duration>,
    ) -> Result<()> {
        let id = self.service_id(service)?;
        self.recover().await?;
        self.housekeeping().await;
        let label = format!("{interface}#{function}");
        let data = self.store.data_mut();
        data.deadline = deadline.and_then(|budget| Some((data.clock.as_ref()?.deadline_beat(budget), budget)));
        let target = Target::Export { interface, function };
        data.call_under_way = true;
        let outcome = call_service(self.store.as_context_mut(), id, target, &label, params, results).await;
        let data = self.store.data_mut();
        data.deadline = None;
        data.call_under_way = false;
        outcome
    }

    /// The life-cycle state of `service`.
    pub fn state(&self, service: &str) -> Result<ServiceState> {
        let id = self.service_id(service)?;
        Ok(self.store.data().services[id].state)
    }

    /// Finds the function `function` of interface `interface` exported by service `service`,
    /// for callers that call it directly (benchmarks: this skips supervision). Call
    /// [`Running::enter`] with the returned id before calling the function.
    pub fn export_func(&mut self, service: &str, interface: &str, function: &str) -> Result<(ServiceId, Func)> {
        let id = self.service_id(service)?;
        let instance =
            self.store.data().services[id].instance.with_context(|| format!("service `{service}` is not running"))?;
        let func = call::exported_func(&mut self.store, &instance, interface, function)
            .with_context(|| format!("service `{service}`"))?;
        Ok((id, func))
    }

    /// Makes `service` the executing one, before the host calls into it directly.
    pub fn enter(&mut self, service: ServiceId) {
        self.store.data_mut().enter(service);
    }

    /// The Store all services live in.
    pub fn store(&mut self) -> &mut Store<HostState> {
        &mut self.store
    }

    /// Runs every program of the wos to completion, one after another in start-up order.
    pub async fn run_programs(&mut self) -> Vec<(ServiceName, ProgramOutcome)> {
        let programs: Vec<ServiceId> =
            self.app.services.iter().enumerate().filter(|(_, s)| s.is_program()).map(|(id, _)| id).collect();
        if programs.is_empty() {
            tracing::info!(
                "wos `{}` has no programs: its servers started and nothing calls them",
                self.app.manifest.name
            );
        }
        let mut outcomes = Vec::with_capacity(programs.len());
        for id in programs {
            let name = self.app.services[id].name.clone();
            tracing::info!("running program `{name}`");
            let outcome = self.run_program(id).await;
            self.store.data().flush_output();
            outcomes.push((name, outcome));
        }
        outcomes
    }

    async fn run_program(&mut self, id: ServiceId) -> ProgramOutcome {
        if let Err(error) = self.recover().await {
            return ProgramOutcome::Failed(error);
        }
        self.housekeeping().await;
        let service = &self.app.services[id];
        let run =
            service.surface.exports.keys().find(|name| name.path() == RUN_INTERFACE).expect("programs export run");
        let run = run.to_string();
        let mut results = [Val::Bool(false)];
        let target = Target::Export { interface: &run, function: "run" };
        let label = format!("{run}#run");
        self.store.data_mut().call_under_way = true;
        let outcome = call_service(self.store.as_context_mut(), id, target, &label, &[], &mut results).await;
        self.store.data_mut().call_under_way = false;
        if outcome.is_ok() {
            self.store.data_mut().services[id].state = ServiceState::Exited;
        }
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

    /// Stops the wos: releases every service's instance and resources in reverse start-up
    /// order, and writes out any unfinished output.
    pub fn shutdown(mut self) {
        for service in self.store.data_mut().services.iter_mut().rev() {
            tracing::info!("stopping service `{}` ({})", service.name, service.state);
            service.release();
        }
    }

    fn service_id(&self, service: &str) -> Result<ServiceId> {
        self.app
            .services
            .iter()
            .position(|s| s.name.as_str() == service)
            .with_context(|| format!("wos `{}` has no service `{service}`", self.app.manifest.name))
    }
}
