//! Where the runtime injects a simulation's faults ([`crate::sim`]): into linked calls and
//! calls to remote hosts that services make (which then fail as the fault says: before they
//! reach the callee, or, for a late answer, after it has done the work), and into the lease of
//! an instance (whose service then starts the call on a fresh one, or before which the run's
//! virtual time jumps).

use super::RemoteImport;
use super::context::CallContext;
use super::running::Services;
use super::state::ServiceId;
use crate::kernel::{FailureKind, ServiceFailure};
use crate::sim::{Boundary, Crossing, FaultKind, InjectedFault};
use std::time::Duration;

/// The deadline an injected timeout names when the service has none of its own.
const NO_DEADLINE: Duration = Duration::from_secs(30);

/// A fault injected into a call, and when the call fails with it.
pub(super) enum Injection {
    /// Instead of the call: the callee never sees it.
    Instead(wasmtime::Error),
    /// After the call: the callee does the work, and its answer comes too late.
    After(wasmtime::Error),
}

impl Injection {
    /// The outcome of `call` with this injection, if any: the call made or not, and the
    /// failure in its place (a call that fails by itself fails as it did).
    pub(super) async fn around<T>(
        injection: Option<Injection>,
        call: impl Future<Output = wasmtime::Result<T>>,
    ) -> wasmtime::Result<T> {
        match injection {
            None => call.await,
            Some(Injection::Instead(error)) => Err(error),
            Some(Injection::After(error)) => {
                call.await?;
                Err(error)
            }
        }
    }
}

impl Services {
    /// The fault the simulation injects into `consumer`'s linked call to `label` of service
    /// `id`, if it injects one there. A test's own calls never get one: faults go into the wos
    /// under test, not into the test that drives and watches it.
    pub(super) fn linked_call_fault(
        &self,
        consumer: &str,
        id: ServiceId,
        label: &str,
        context: &CallContext,
    ) -> Option<Injection> {
        if self.is_test(consumer) {
            return None;
        }
        let pool = &self.pools[id];
        let fault = self.fault_at(Boundary::LinkedCall, &pool.spec.name, label, context)?;
        let deadline = FailureKind::Deadline(pool.spec.limits.deadline.unwrap_or(NO_DEADLINE));
        let failure = |kind| injected(ServiceFailure::new(&pool.spec.name, label, kind), fault);
        Some(match fault {
            FaultKind::CallTimeout => Injection::Instead(failure(deadline)),
            FaultKind::CallLate => Injection::After(failure(deadline)),
            FaultKind::CallUnavailable => Injection::Instead(failure(FailureKind::Unavailable {
                reason: "the simulation made it unavailable".into(),
            })),
            _ => Injection::Instead(failure(FailureKind::Trap)),
        })
    }

    /// The fault the simulation injects into `consumer`'s call to `function` of `remote`, if it
    /// injects one there (never into a test's own calls).
    pub(super) fn remote_call_fault(
        &self,
        consumer: &str,
        remote: &dyn RemoteImport,
        function: &str,
        context: &CallContext,
    ) -> Option<Injection> {
        if self.is_test(consumer) {
            return None;
        }
        let label = format!("{}#{function}", remote.import());
        let fault = self.fault_at(Boundary::RemoteCall, consumer, &label, context)?;
        let failure = |kind| injected(ServiceFailure::remote(remote.url(), &label, kind), fault);
        Some(match fault {
            // The remote host did the work; its answer came after the link's timeout.
            FaultKind::RemoteSlow => Injection::After(failure(FailureKind::RemoteTimeout(remote.timeout()))),
            _ => {
                Injection::Instead(failure(FailureKind::Remote { reason: "the simulation made the call fail".into() }))
            }
        })
    }

    /// What the simulation does before an instance of service `id` is leased for a call to
    /// `label`: drop its idle instances, so that the call runs on a fresh one (`restart`), or
    /// make the run's virtual time jump forward (`clock-jump`).
    pub(super) fn before_lease(&self, id: ServiceId, label: &str, context: &CallContext) {
        match self.fault_at(Boundary::Lease, &self.pools[id].spec.name, label, context) {
            Some(FaultKind::Restart) => self.pools[id].forget_idle(),
            Some(FaultKind::ClockJump) => {
                self.jumps.jump(self.faults.as_ref().map_or(Duration::ZERO, |faults| faults.clock_jump()));
            }
            _ => {}
        }
    }

    /// Whether `service` is a test component, whose own calls get no faults.
    fn is_test(&self, service: &str) -> bool {
        self.faults.is_some() && self.app.manifest.tests.keys().any(|test| test.as_str() == service)
    }

    fn fault_at(&self, boundary: Boundary, service: &str, what: &str, context: &CallContext) -> Option<FaultKind> {
        let crossing = Crossing { boundary, service, what, trace: context.pctx.trace.id.0 };
        self.faults.as_ref()?.at(crossing)
    }
}

/// `failure`, caused by the injected `fault`.
fn injected(failure: ServiceFailure, fault: FaultKind) -> wasmtime::Error {
    failure.caused_by(InjectedFault(fault)).into()
}
