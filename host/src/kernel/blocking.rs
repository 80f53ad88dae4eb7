//! A bounded pool for the blocking work the host does for guests (SQLite statements): at most
//! `threads` jobs run at once, each on a thread of its own that no async worker waits on, and
//! at most `queue` more wait for a thread. A job offered to a full pool is refused at once.
//! Each service takes its jobs through a [`PoolShare`], which never holds every thread: one
//! service's flood of slow work queues behind itself, never in front of the work of others,
//! and never grows without bound.
//!
//! A job runs to its end even if the call that offered it has gone (its deadline passed): it
//! keeps its thread until then, so the pool's count of busy threads is always the truth. The
//! work itself must therefore be bounded (SQLite's progress handler stops a statement at its
//! call's deadline).

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A bounded pool of threads for blocking work, with a bounded queue.
#[derive(Debug, Clone)]
pub struct BlockingPool {
    /// A permit per thread.
    running: Arc<Semaphore>,
    /// A permit per job admitted: running or waiting for a thread.
    admitted: Arc<Semaphore>,
    threads: usize,
    queue: usize,
}

/// The pool had no thread free and its queue was full.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("all {threads} of the host's threads for {what} are busy and {queue} more calls wait for one")]
pub struct Saturated {
    pub what: &'static str,
    pub threads: usize,
    pub queue: usize,
}

impl BlockingPool {
    /// A pool of `threads` threads (at least one) and a queue of `queue` waiting jobs.
    pub fn new(threads: usize, queue: usize) -> BlockingPool {
        let threads = threads.max(1);
        BlockingPool {
            running: Arc::new(Semaphore::new(threads)),
            admitted: Arc::new(Semaphore::new(threads + queue)),
            threads,
            queue,
        }
    }

    /// A pool sized from the machine: two threads per CPU (blocking work mostly waits on the
    /// disk), and a queue eight times that.
    pub fn for_this_machine() -> BlockingPool {
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        BlockingPool::new(2 * cpus, 16 * cpus)
    }

    /// A share of the pool for one service: its jobs never hold more than all the threads but
    /// one (at least one).
    pub fn share(&self) -> PoolShare {
        PoolShare { pool: self.clone(), own: Arc::new(Semaphore::new((self.threads - 1).max(1))) }
    }

    /// Admits one job, or refuses it with [`Saturated`] (naming the work as `what`) when every
    /// thread is busy and the queue is full. Admission comes first so that a caller can keep
    /// what the job would have taken (a connection) when it is refused.
    pub fn admit(&self, what: &'static str) -> Result<Admitted, Saturated> {
        let admission = self.admitted.clone().try_acquire_owned().map_err(|_| Saturated {
            what,
            threads: self.threads,
            queue: self.queue,
        })?;
        Ok(Admitted { running: self.running.clone(), own: None, admission })
    }
}

/// One service's share of a [`BlockingPool`].
#[derive(Debug, Clone)]
pub struct PoolShare {
    pool: BlockingPool,
    /// A permit per thread the service's jobs may hold at once.
    own: Arc<Semaphore>,
}

impl PoolShare {
    /// Admits one job of the service, as [`BlockingPool::admit`] does.
    pub fn admit(&self, what: &'static str) -> Result<Admitted, Saturated> {
        Ok(Admitted { own: Some(self.own.clone()), ..self.pool.admit(what)? })
    }
}

/// A job's place in a [`BlockingPool`]: running, or in its queue.
#[derive(Debug)]
pub struct Admitted {
    running: Arc<Semaphore>,
    /// The share of the service whose job this is, if it came through one.
    own: Option<Arc<Semaphore>>,
    admission: OwnedSemaphorePermit,
}

impl Admitted {
    /// Runs `job` on a thread of the pool once one is free, and returns its output.
    pub async fn run<T: Send + 'static>(self, job: impl FnOnce() -> T + Send + 'static) -> T {
        let closed = "a blocking pool's semaphores are never closed";
        let own = match self.own {
            Some(own) => Some(own.acquire_owned().await.expect(closed)),
            None => None,
        };
        let thread = self.running.acquire_owned().await.expect(closed);
        let admission = self.admission;
        let handle = tokio::task::spawn_blocking(move || {
            let output = job();
            drop((own, thread, admission));
            output
        });
        // A job that panicked is a host bug: pass the panic on, as if the job had run here.
        handle.await.unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_pool_refuses_at_once_and_takes_work_again_when_a_thread_is_free() {
        let pool = BlockingPool::new(1, 1);
        let (release, hold) = mpsc::channel::<()>();
        let busy = tokio::spawn({
            let pool = pool.clone();
            async move { pool.admit("tests").unwrap().run(move || hold.recv().unwrap()).await }
        });
        while pool.running.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.admit("tests").unwrap().run(|| 7).await }
        });
        while pool.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = pool.admit("tests").unwrap_err();
        assert_eq!(refused.to_string(), "all 1 of the host's threads for tests are busy and 1 more calls wait for one");
        release.send(()).unwrap();
        busy.await.unwrap();
        assert_eq!(waiting.await.unwrap(), 7);
        assert_eq!(pool.admit("tests").unwrap().run(|| 8).await, 8);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_share_never_holds_every_thread() {
        let pool = BlockingPool::new(2, 8);
        let greedy = pool.share();
        let (release, hold) = mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        let mut jobs = Vec::new();
        for _ in 0..3 {
            let (greedy, hold) = (greedy.clone(), hold.clone());
            jobs.push(tokio::spawn(async move {
                greedy.admit("tests").unwrap().run(move || hold.lock().unwrap().recv().unwrap()).await
            }));
        }
        while greedy.own.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // The greedy service holds one thread and queues two jobs behind itself; another
        // service's job runs on the thread left.
        assert_eq!(pool.share().admit("tests").unwrap().run(|| 9).await, 9);
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        for job in jobs {
            job.await.unwrap();
        }
    }
}
