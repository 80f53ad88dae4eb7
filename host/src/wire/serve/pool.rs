//! A pool of started copies of the wos, so concurrent requests run in parallel rather than
//! one after another through a single Store.
//!
//! Each instance is a whole wos in a Store of its own ([`App::instantiate`]): its services keep
//! their own memory, so nothing a guest holds in memory is shared between instances. A request
//! leases the first free instance (waiting while all are busy) and runs the guest on the async
//! runtime's own worker; the lease gives the instance back when it ends.

use crate::runtime::{App, Determinism, Running};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::Result;
use wasmtime::error::Context;

/// Started copies of one wos.
pub struct InstancePool {
    /// The instances no request holds; the most recently used is taken first.
    free: Mutex<Vec<Running>>,
    /// One permit per free instance.
    available: Arc<Semaphore>,
    size: u32,
}

impl InstancePool {
    /// Starts `size` instances of `app`.
    pub async fn start(app: &Arc<App>, size: usize, determinism: Option<Determinism>) -> Result<Arc<InstancePool>> {
        let mut free = Vec::with_capacity(size);
        for index in 0..size {
            let instance = app
                .instantiate(determinism)
                .await
                .with_context(|| format!("cannot start instance {} of the pool", index + 1))?;
            free.push(instance);
        }
        let size = u32::try_from(size).context("the pool is too large")?;
        Ok(Arc::new(InstancePool { free: Mutex::new(free), available: Arc::new(Semaphore::new(size as usize)), size }))
    }

    /// Waits for a free instance and leases it. A caller that stops waiting takes nothing.
    pub async fn lease(self: &Arc<Self>) -> Lease {
        let permit = self.available.clone().acquire_owned().await.expect("the pool's semaphore is never closed");
        let instance = self.free.lock().expect("pool lock").pop().expect("a permit stands for a free instance");
        Lease { pool: self.clone(), instance: Some(instance), _permit: permit }
    }

    /// Stops every instance, once the calls under way have given theirs back.
    pub async fn shutdown(&self) {
        let _all = self.available.acquire_many(self.size).await.expect("the pool's semaphore is never closed");
        let instances = std::mem::take(&mut *self.free.lock().expect("pool lock"));
        for instance in instances.into_iter().rev() {
            instance.shutdown();
        }
    }
}

/// An instance leased from the pool, given back when dropped.
pub struct Lease {
    pool: Arc<InstancePool>,
    instance: Option<Running>,
    /// Released after the instance is back (fields drop after `Drop::drop`).
    _permit: OwnedSemaphorePermit,
}

impl Deref for Lease {
    type Target = Running;
    fn deref(&self) -> &Running {
        self.instance.as_ref().expect("a lease holds its instance until dropped")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut Running {
        self.instance.as_mut().expect("a lease holds its instance until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(instance) = self.instance.take() {
            self.pool.free.lock().expect("pool lock").push(instance);
        }
    }
}
