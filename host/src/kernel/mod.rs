//! The kernel: what keeps a wos healthy while it runs.
//!
//! - [`Limits`]: per-service call deadline, memory limit and restart policy (from the wos).
//! - [`pulse`]: the one engine-wide epoch ticker that turns deadlines into interrupts.
//! - [`ServiceState`] and the failure kinds ([`ServiceFailure`]) that supervision reports.
//! - [`blocking`]: the bounded pool that blocking work done for guests runs on.
//! - [`descriptors`]: the descriptor limit, and what one instance may hold open.
//! - [`console`]: the one thread that writes the host's stdout and stderr.
//! - [`queue`]: the bounded count of calls or logins waiting their turn.
//! - [`stop_work_under_way`]: the host is stopping; work under way gives up at its next check.
//!
//! The call path that applies all of this (lease an instance of the service, arm its
//! deadline, call, drop the instance and apply the restart policy if it fails) is in
//! [`crate::runtime`], which owns the Stores.

pub mod blocking;
pub mod console;
pub mod descriptors;
pub mod pulse;
pub mod queue;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Locks `mutex`, even if a thread panicked while holding it: every critical section of the
/// host is a few assignments that leave the data consistent, so a panic elsewhere must not
/// make the lock (and whatever needs it) unusable.
pub fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Set once the host process is stopping for good (its shutdown grace period is over).
static STOPPING: AtomicBool = AtomicBool::new(false);

/// The host is stopping for good: the host's own work under way for guests (a SQLite
/// statement) is interrupted at its next check, so that nothing holds the process up.
pub fn stop_work_under_way() {
    STOPPING.store(true, Ordering::Release);
}

/// Whether [`stop_work_under_way`] was called.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::Acquire)
}

/// Limits applied to every call into a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How long one call into the service may run; `None` means no deadline.
    pub deadline: Option<Duration>,
    /// The most linear memory the service may hold, in bytes.
    pub memory: u64,
    /// What happens after the service fails.
    pub restart: RestartPolicy,
}

/// Defaults for services that set nothing.
impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Some(Duration::from_secs(30)),
            memory: 1 << 30,
            restart: RestartPolicy::OnFailure { max: 5, backoff: Duration::from_millis(100) },
        }
    }
}

/// What happens when an instance of a server fails (traps, runs past its deadline or out of
/// memory). The failed instance is always dropped; the policy decides whether the service
/// gets fresh instances. Failures that only passed through a service (a service it called
/// failed) are not its own: its instance is replaced without counting against the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    /// The first failure of its own fails the service for good: calls to it fail at once.
    Never,
    /// A failed instance is replaced by a fresh one when the next call needs it: at once after
    /// a single failure, after `backoff` (doubled each time, up to 30 s) when failures come in
    /// a row; after more than `max` failures in a row (no call succeeding in between) the
    /// service has failed for good.
    OnFailure { max: u32, backoff: Duration },
}

/// Where a service is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceState {
    /// Being instantiated.
    Starting,
    /// Instantiated and callable.
    Ready,
    /// A call into it trapped; its instance is gone and what it held was released.
    Failed,
    /// A program whose `run` has returned.
    Exited,
}

impl fmt::Display for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServiceState::Starting => "starting",
            ServiceState::Ready => "ready",
            ServiceState::Failed => "failed",
            ServiceState::Exited => "exited",
        })
    }
}

/// How a call into a service failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The guest trapped: a panic, an uncaught exception, `unreachable`...
    Trap,
    /// The call ran past its deadline and was interrupted.
    Deadline(Duration),
    /// The call ran past the deadline its caller from outside the wos set (a client's
    /// `grpc-timeout`) and was interrupted.
    CallerDeadline(Duration),
    /// Every instance of the service stayed busy until the call's deadline.
    Busy { instances: usize },
    /// As many calls as the service's `queue` allows were already waiting for an instance:
    /// the call was refused at once.
    Overloaded { queue: usize },
    /// The client that made the call went away while it waited for an instance: it was
    /// dropped before it began.
    Abandoned,
    /// Every instance of the service is held by the call's own chain (across hosts, the links
    /// make a loop): the call would wait for itself.
    Reentry { instances: usize },
    /// A fresh instance of the service could not be started.
    Start,
    /// The guest tried to grow its memory past its limit.
    Memory { limit: u64 },
    /// The guest tried to hold more host resources at once (open files, streams...) than an
    /// instance may.
    Resources { limit: usize },
    /// The service cannot take calls: it failed for good, waits for its restart back-off, or
    /// is a program that has finished.
    Unavailable { reason: String },
    /// A remote host (serving an import over gRPC) could not be reached or answered with an
    /// error; `service` is its address.
    Remote { reason: String },
    /// A remote host did not answer within the call's budget: the link's `timeout-ms`, or what
    /// was left of the caller's deadline if that was less.
    RemoteTimeout(Duration),
}

impl FailureKind {
    /// Every name [`FailureKind::metric_name`] gives.
    pub const METRIC_NAMES: &'static [&'static str] = &[
        "trap",
        "deadline",
        "caller-deadline",
        "busy",
        "overloaded",
        "abandoned",
        "reentry",
        "start",
        "memory",
        "resources",
        "unavailable",
        "remote",
        "remote-timeout",
    ];

    /// Its name in the metrics (`parigot_failures_total{kind=...}`).
    pub fn metric_name(&self) -> &'static str {
        match self {
            FailureKind::Trap => "trap",
            FailureKind::Deadline(_) => "deadline",
            FailureKind::CallerDeadline(_) => "caller-deadline",
            FailureKind::Busy { .. } => "busy",
            FailureKind::Overloaded { .. } => "overloaded",
            FailureKind::Abandoned => "abandoned",
            FailureKind::Reentry { .. } => "reentry",
            FailureKind::Start => "start",
            FailureKind::Memory { .. } => "memory",
            FailureKind::Resources { .. } => "resources",
            FailureKind::Unavailable { .. } => "unavailable",
            FailureKind::Remote { .. } => "remote",
            FailureKind::RemoteTimeout(_) => "remote-timeout",
        }
    }
}

/// A failed call into a service: which service, which function, and how. Callers further up
/// the chain pass it on as it is, so the error a program ends with names the service that
/// actually failed.
#[derive(Debug)]
pub struct ServiceFailure {
    pub service: String,
    pub function: String,
    pub kind: FailureKind,
    pub(crate) source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Display for ServiceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (service, function) = (&self.service, &self.function);
        match &self.kind {
            FailureKind::Trap => write!(f, "service `{service}` trapped in `{function}`"),
            FailureKind::Deadline(deadline) => write!(
                f,
                "service `{service}` ran past its deadline of {} in `{function}` and was interrupted; \
                 if the work is legitimate, raise its `deadline-ms` in the wos",
                describe_duration(*deadline)
            ),
            FailureKind::CallerDeadline(deadline) => write!(
                f,
                "the caller's deadline of {} passed while service `{service}` ran `{function}`; it was interrupted",
                describe_duration(*deadline)
            ),
            FailureKind::Busy { instances } => write!(
                f,
                "service `{service}` had no free instance for `{function}` before the call's deadline (all \
                 {instances} were busy); raise its `instances` in the wos, or its callers' `deadline-ms`"
            ),
            FailureKind::Overloaded { queue } => write!(
                f,
                "service `{service}` already has {queue} calls waiting for a free instance, as many as its \
                 `queue` allows, so `{function}` is refused; try again shortly, or raise its `instances` or \
                 `queue` in the wos"
            ),
            FailureKind::Abandoned => {
                write!(f, "the client of `{function}` left while it waited for an instance of service `{service}`")
            }
            FailureKind::Reentry { instances } => write!(
                f,
                "service `{service}` cannot take `{function}`: this call's own chain already holds its \
                 {instances} instance(s), so the call would wait for itself; the remote links between hosts \
                 make a loop back to it: break the loop, or raise its `instances`"
            ),
            FailureKind::Start => write!(f, "service `{service}` could not start a fresh instance for `{function}`"),
            FailureKind::Memory { limit } => write!(
                f,
                "service `{service}` tried to use more than its memory limit of {} MiB in `{function}`; \
                 raise its `memory-mib` in the wos if it needs more",
                limit >> 20
            ),
            FailureKind::Resources { limit } => write!(
                f,
                "service `{service}` tried to hold more than the {limit} host resources (open files, streams...) \
                 an instance may hold at once in `{function}`; close what it no longer needs (the limit is an \
                 eighth of the host's descriptor limit)"
            ),
            FailureKind::Unavailable { reason } => {
                write!(f, "service `{service}` cannot take the call to `{function}`: {reason}")
            }
            FailureKind::Remote { reason } => write!(f, "the remote host {service} failed `{function}`: {reason}"),
            FailureKind::RemoteTimeout(budget) => write!(
                f,
                "the remote host {service} did not answer `{function}` within {}; if it needs longer, \
                 raise the link's `timeout-ms` (a caller's own deadline also caps it)",
                describe_duration(*budget)
            ),
        }
    }
}

impl ServiceFailure {
    /// A failure of `service` in `function`.
    pub fn new(service: &str, function: &str, kind: FailureKind) -> ServiceFailure {
        ServiceFailure { service: service.to_owned(), function: function.to_owned(), kind, source: None }
    }

    /// A failed call to the remote host at `url`.
    pub fn remote(url: &str, function: &str, kind: FailureKind) -> ServiceFailure {
        ServiceFailure::new(url, function, kind)
    }

    /// The service failure where `error` began: the deepest in its chain (a failure down a
    /// chain of calls unwinds through every caller, each adding its own).
    pub fn origin(error: &wasmtime::Error) -> Option<&ServiceFailure> {
        error.chain().filter_map(|cause| cause.downcast_ref::<ServiceFailure>()).last()
    }

    /// This failure, caused by `cause`.
    pub fn caused_by(self, cause: impl std::error::Error + Send + Sync + 'static) -> ServiceFailure {
        ServiceFailure { source: Some(Box::new(cause)), ..self }
    }
}

impl std::error::Error for ServiceFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The error the memory limiter raises inside a guest; turned into a [`ServiceFailure`].
#[derive(Debug)]
pub struct MemoryLimitHit {
    pub limit: u64,
}

impl fmt::Display for MemoryLimitHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "memory limit of {} MiB reached", self.limit >> 20)
    }
}

impl std::error::Error for MemoryLimitHit {}

/// `1.5 s`, `200 ms`: how durations appear in messages.
pub fn describe_duration(duration: Duration) -> String {
    if duration >= Duration::from_secs(1) && duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else if duration >= Duration::from_secs(1) {
        format!("{:.1} s", duration.as_secs_f64())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::FailureKind;
    use std::time::Duration;

    #[test]
    fn every_failure_kinds_metric_name_is_listed_once() {
        let second = Duration::from_secs(1);
        let reason = || "down".to_owned();
        let kinds = [
            FailureKind::Trap,
            FailureKind::Deadline(second),
            FailureKind::CallerDeadline(second),
            FailureKind::Busy { instances: 1 },
            FailureKind::Overloaded { queue: 1 },
            FailureKind::Abandoned,
            FailureKind::Reentry { instances: 1 },
            FailureKind::Start,
            FailureKind::Memory { limit: 1 },
            FailureKind::Resources { limit: 1 },
            FailureKind::Unavailable { reason: reason() },
            FailureKind::Remote { reason: reason() },
            FailureKind::RemoteTimeout(second),
        ];
        let names: Vec<&str> = kinds.iter().map(FailureKind::metric_name).collect();
        assert_eq!(names, FailureKind::METRIC_NAMES, "METRIC_NAMES lists each kind's name, in declaration order");
    }
}
