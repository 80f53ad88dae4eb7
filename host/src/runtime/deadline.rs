//! When a call must have finished, and how a wait is cut there. A leaf.

use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};
use wasmtime::{Result, Trap};

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
