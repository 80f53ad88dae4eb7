//! The one path every call into a service takes, whether it comes from another service (a
//! linked import), from the host (a program's `run`, a test, the wire layer):
//!
//! 1. the deadline: the tighter of the caller's and the service's own;
//! 2. lease an instance of the service (waiting, within the deadline, while all are busy; a
//!    fresh one replaces an instance that failed, as the restart policy allows);
//! 3. call it in its own Store, bounded by the deadline whether the guest computes (the pulse
//!    interrupts it) or waits (a sleep, `poll`, a linked or remote call: the wait is cut);
//! 4. on success the instance goes back to the pool; on failure it is dropped, the restart
//!    policy is applied, and the caller gets a [`ServiceFailure`] that names the service.
//!
//! Calls are asynchronous: guest code runs on a wasmtime fiber, so a guest waiting on the host
//! gives its thread back to the async runtime. A linked import is a host function of the
//! caller's Store that awaits a call into the provider's Store.

use super::pool::{Lease, ServicePool};
use super::running::Services;
use super::shape::PlainList;
use super::state::{InstanceState, ServiceId};
use crate::caps::context::{IdSource, Pctx};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};
use wasmtime::component::{Func, Val};
use wasmtime::{Result, Store, StoreContextMut, Trap, UpdateDeadline};

/// Which function of the service to call.
pub enum Target<'a> {
    /// A function the service provides to a consumer's linked import, by slot (the fast path).
    Slot(usize),
    /// An export looked up by name.
    Export { interface: &'a str, function: &'a str },
}

/// Identifies one chain of calls, from the request or program run that started it, through
/// every service and every host it reaches (a remote call carries it in the `parigot-chain`
/// header). A call that would wait for an instance its own chain holds is refused at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainId(u64);

impl ChainId {
    /// A chain id no other chain of this host or another has (a random base per process,
    /// plus a counter).
    pub fn fresh() -> ChainId {
        static BASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let base = *BASE.get_or_init(crate::caps::context::random_u64);
        let id = base.wrapping_add(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        ChainId(if id == 0 { 1 } else { id })
    }

    /// Reads the form [`ChainId::header`] writes: 16 hex digits, not all zero.
    pub fn parse(text: &str) -> Option<ChainId> {
        if text.len() != 16 {
            return None;
        }
        let id = crate::encoding::hex_value(text)?;
        u64::try_from(id).ok().filter(|&id| id != 0).map(ChainId)
    }

    /// The id as the `parigot-chain` header carries it.
    pub fn header(self) -> String {
        format!("{:016x}", self.0)
    }

    pub(super) fn raw(self) -> u64 {
        self.0
    }
}

/// What a call carries from its caller: the chain it belongs to, its deadline, the per-call
/// context the guest sees and, for a call from a client outside the wos, whether the client
/// is still there.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub chain: ChainId,
    pub deadline: Option<Deadline>,
    pub pctx: Pctx,
    pub client: Option<ClientPresence>,
}

impl CallContext {
    /// The context of a call this one makes to another service: the same chain and deadline,
    /// a new span of the same trace. (Once a call has begun, it runs to its end or its
    /// deadline, whether its client stays or not: a guest is never stopped halfway for it.)
    pub fn for_callee(&self, ids: &IdSource) -> CallContext {
        CallContext { chain: self.chain, deadline: self.deadline, pctx: self.pctx.child(ids), client: None }
    }
}

/// Tells whether the client of a call from outside the wos is still there: a call that waits
/// for an instance is dropped when its client leaves. Made with [`ClientPresence::new`],
/// whose guard the request's handler holds.
#[derive(Debug, Clone)]
pub struct ClientPresence(tokio::sync::watch::Receiver<()>);

/// Held while the client of a call is there; dropped (with the request's handler) when the
/// client leaves.
#[derive(Debug)]
pub struct ClientHere {
    _here: tokio::sync::watch::Sender<()>,
}

impl ClientPresence {
    /// A presence, and the guard whose drop says the client left.
    pub fn new() -> (ClientHere, ClientPresence) {
        let (here, presence) = tokio::sync::watch::channel(());
        (ClientHere { _here: here }, ClientPresence(presence))
    }

    /// Waits until the client has left.
    pub async fn left(mut self) {
        while self.0.changed().await.is_ok() {}
    }
}

/// When a call must have finished.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: Instant,
    /// The budget it was set from, for messages.
    pub budget: Duration,
    /// Whether the caller from outside the wos set it (a client's `grpc-timeout`), rather than
    /// a service's `deadline-ms`.
    pub set_by_caller: bool,
}

impl Deadline {
    /// A deadline `budget` from now.
    pub fn after(budget: Duration, set_by_caller: bool) -> Deadline {
        let now = Instant::now();
        // A budget too long to add is as good as none: a century.
        let at = now.checked_add(budget).unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
        Deadline { at, budget, set_by_caller }
    }

    /// The earlier of two deadlines (the first on a tie).
    pub fn tighter(a: Option<Deadline>, b: Option<Deadline>) -> Option<Deadline> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.at < a.at { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// How long until the deadline (zero once it has passed).
    pub fn left(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }
}

/// Calls `target` of service `id` with `params`, filling `results`, in the caller's chain and
/// under the tighter of its deadline and the service's own. `label` names the function in
/// errors (`interface#function`).
pub(super) async fn call_service(
    services: &Arc<Services>,
    id: ServiceId,
    target: Target<'_>,
    label: &str,
    params: &[Val],
    results: &mut [Val],
    caller: CallContext,
) -> Result<()> {
    let mut call = Call::begin(services, id, target, label, caller).await?;
    let (store, func, deadline) = call.parts();
    let outcome = within(deadline, func.call_async(store, params, results)).await;
    call.end(outcome)
}

/// [`call_service`] with typed values, for signatures of plain values: a `list<u8>` is one
/// `Vec<u8>` instead of a [`Val`] (32 bytes) per byte.
pub(super) async fn call_service_typed<P, R>(
    services: &Arc<Services>,
    id: ServiceId,
    target: Target<'_>,
    label: &str,
    params: P,
    caller: CallContext,
) -> Result<R>
where
    P: PlainList,
    R: PlainList,
{
    let mut call = Call::begin(services, id, target, label, caller).await?;
    let (store, func, deadline) = call.parts();
    let outcome = within(deadline, async { func.typed::<P, R>(&*store)?.call_async(store, params).await }).await;
    call.end(outcome)
}

/// A supervised call under way: the leased instance, the function, and the deadline.
struct Call<'a> {
    services: &'a Arc<Services>,
    pool: &'a ServicePool,
    lease: Lease<'a>,
    func: Func,
    label: &'a str,
    deadline: Option<Deadline>,
}

impl<'a> Call<'a> {
    /// Leases an instance of service `id` for a call to `target` and arms the deadline.
    async fn begin(
        services: &'a Arc<Services>,
        id: ServiceId,
        target: Target<'_>,
        label: &'a str,
        caller: CallContext,
    ) -> Result<Call<'a>> {
        let pool = &services.pools[id];
        let deadline = services.deadline_for(id, caller.deadline);
        let context = CallContext { deadline, ..caller };
        let mut lease = pool.lease(services, label, &context).await?;
        let instance = lease.instance();
        let func = match target {
            Target::Slot(slot) => instance.provided[slot],
            Target::Export { interface, function } => pool.export(instance, interface, function)?,
        };
        instance.store.data_mut().context = Some(context);
        // The next pulse beat, not one long past while the instance sat idle: a call does not
        // start by yielding (or, with a deadline already passed, by trapping) on a stale one.
        instance.store.set_epoch_deadline(1);
        lease.in_call = true;
        Ok(Call { services, pool, lease, func, label, deadline })
    }

    /// What the call needs: the instance's Store, the function, and the deadline (a guest that
    /// waits is not in wasm code, where the pulse would interrupt it: the wait itself is cut at
    /// the deadline, and the instance, stopped halfway, is dropped).
    fn parts(&mut self) -> (&mut Store<InstanceState>, Func, Option<Deadline>) {
        (&mut self.lease.instance().store, self.func, self.deadline)
    }

    /// Gives the instance back, or drops it and applies the restart policy if the call failed.
    fn end<T>(mut self, outcome: Result<T>) -> Result<T> {
        self.lease.in_call = false;
        match outcome {
            Ok(output) => {
                self.lease.instance().store.data_mut().end_call();
                self.pool.succeeded();
                Ok(output)
            }
            Err(error) => Err(self.pool.failed(self.services, self.lease, self.label, self.deadline, error)),
        }
    }
}

/// Runs `work` until `deadline`, failing with an interrupt after it. The timer is armed only
/// if `work` has to wait: a call that finishes in its first poll (most calls) costs no timer.
pub(super) async fn within<T>(deadline: Option<Deadline>, work: impl Future<Output = Result<T>>) -> Result<T> {
    let Some(deadline) = deadline else { return work.await };
    let mut work = std::pin::pin!(work);
    let mut timer: Option<Pin<Box<tokio::time::Sleep>>> = None;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(outcome) = work.as_mut().poll(cx) {
            return Poll::Ready(outcome);
        }
        let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.at.into())));
        timer.as_mut().poll(cx).map(|()| Err(Trap::Interrupt.into()))
    })
    .await
}

/// What a Store does on each pulse beat that finds its guest running: interrupt the call if
/// its deadline has passed, else give the thread back to the async runtime for a moment, so
/// one long call does not hold up the other calls that share its thread.
pub(super) fn on_pulse(store: StoreContextMut<'_, InstanceState>) -> Result<UpdateDeadline> {
    let deadline = store.data().context.as_ref().and_then(|context| context.deadline);
    let passed = deadline.is_some_and(|deadline| Instant::now() >= deadline.at);
    if passed { Err(Trap::Interrupt.into()) } else { Ok(UpdateDeadline::Yield(1)) }
}
