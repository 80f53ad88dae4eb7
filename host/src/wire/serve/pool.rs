//! A pool of started copies of the wos, so concurrent requests run in parallel rather than
//! one after another through a single Store.
//!
//! Each instance is a whole wos in a Store of its own ([`App::instantiate`]), owned by a thread
//! of its own: its services keep their own memory, so nothing a guest holds in memory is shared
//! between instances. Guest code is synchronous and runs outside the async runtime (where
//! WASI's blocking calls are allowed); requests queue for whichever instance is free first.

use crate::runtime::{App, Determinism, Running};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use wasmtime::Result;
use wasmtime::error::Context;

/// A call waiting for an instance.
type Job = Box<dyn FnOnce(&mut Running) + Send>;

/// Started copies of one wos, each on its own thread.
pub struct InstancePool {
    jobs: Mutex<Option<Sender<Job>>>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl InstancePool {
    /// Starts `size` instances of `app`, each on a thread of its own.
    pub fn start(app: &Arc<App>, size: usize, determinism: Option<Determinism>) -> Result<Arc<InstancePool>> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut threads = Vec::with_capacity(size);
        for index in 0..size {
            let instance = app
                .instantiate(determinism)
                .with_context(|| format!("cannot start instance {} of the pool", index + 1))?;
            let queue = queue.clone();
            let thread = std::thread::Builder::new()
                .name(format!("parigot-instance-{}", index + 1))
                .spawn(move || serve_jobs(instance, &queue))
                .context("cannot start a thread for the instance pool")?;
            threads.push(thread);
        }
        Ok(Arc::new(InstancePool { jobs: Mutex::new(Some(jobs)), threads: Mutex::new(threads) }))
    }

    /// Runs `work` on the first free instance and returns what it returns. A caller that stops
    /// waiting before an instance picked the call up cancels it.
    pub async fn run<R: Send + 'static>(&self, work: impl FnOnce(&mut Running) -> R + Send + 'static) -> R {
        let (done, outcome) = oneshot::channel();
        let job: Job = Box::new(move |instance| {
            if !done.is_closed() {
                let _ = done.send(work(instance));
            }
        });
        let jobs = self.jobs.lock().expect("pool lock").clone().expect("the pool serves until it is shut down");
        jobs.send(job).expect("instance threads run until the pool is shut down");
        outcome.await.expect("an instance thread answers every call it takes")
    }

    /// Stops every instance once the calls already queued are done.
    pub async fn shutdown(self: Arc<Self>) {
        self.jobs.lock().expect("pool lock").take(); // the threads end when the queue is empty
        let threads = std::mem::take(&mut *self.threads.lock().expect("pool lock"));
        let joined = tokio::task::spawn_blocking(move || threads.into_iter().try_for_each(|t| t.join()));
        joined.await.expect("joining does not panic").expect("instance threads do not panic");
    }
}

/// An instance thread: takes calls from the shared queue until it closes, then stops the wos.
fn serve_jobs(mut instance: Running, queue: &Mutex<Receiver<Job>>) {
    loop {
        let next = queue.lock().expect("queue lock").recv();
        match next {
            Ok(job) => job(&mut instance),
            Err(_) => break,
        }
    }
    instance.shutdown();
}
