//! A pool of started copies of the wos, so concurrent requests run in parallel rather than
//! one after another through a single Store.
//!
//! Each instance is a whole wos in a Store of its own ([`App::instantiate`]): its services
//! keep their own memory, so nothing a guest holds in memory is shared between instances.
//! A request takes an idle instance, runs on a blocking thread (guest code is synchronous),
//! and gives the instance back; when every instance is busy it waits for one.

use crate::runtime::{App, Determinism, Running};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use wasmtime::Result;
use wasmtime::error::Context;

/// Started copies of one wos.
pub struct InstancePool {
    idle: Mutex<Vec<Running>>,
    /// One permit per idle instance.
    permits: Arc<Semaphore>,
    size: u32,
}

impl InstancePool {
    /// Starts `size` instances of `app`.
    pub fn start(app: &Arc<App>, size: usize, determinism: Option<Determinism>) -> Result<Arc<InstancePool>> {
        let instances = (0..size)
            .map(|i| {
                app.instantiate(determinism).with_context(|| format!("cannot start instance {} of the pool", i + 1))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(InstancePool {
            idle: Mutex::new(instances),
            permits: Arc::new(Semaphore::new(size)),
            size: size as u32,
        }))
    }

    /// Runs `work` on an idle instance on a blocking thread, waiting for one if all are busy.
    /// The instance goes back to the pool when `work` returns, even if the caller stopped
    /// waiting for it.
    pub async fn run<R: Send + 'static>(self: &Arc<Self>, work: impl FnOnce(&mut Running) -> R + Send + 'static) -> R {
        let permit = self.permits.clone().acquire_owned().await.expect("the pool's semaphore is never closed");
        let pool = self.clone();
        let task = tokio::task::spawn_blocking(move || {
            let mut instance = pool.idle.lock().expect("pool lock").pop().expect("a permit means an idle instance");
            let result = work(&mut instance);
            pool.idle.lock().expect("pool lock").push(instance);
            drop(permit);
            result
        });
        task.await.expect("calls into the wos do not panic")
    }

    /// Stops every instance, once no request holds one.
    pub async fn shutdown(self: Arc<Self>) {
        let _all = self.permits.acquire_many(self.size).await;
        let instances = std::mem::take(&mut *self.idle.lock().expect("pool lock"));
        for instance in instances {
            instance.shutdown();
        }
    }
}
