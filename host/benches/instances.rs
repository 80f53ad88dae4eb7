//! Many instances of one service in one host: the Rust `faulty` service with `instances =
//! 1000`, and 1000 concurrent calls that each sleep 2 s inside the guest, so the pool grows to
//! 1000 instances, each in a Store of its own.
//!
//! Prints how long the 1000 calls took beyond their 2 s of sleep (the time to start 999 fresh
//! instances, on the async runtime's workers), and the host's resident memory before and after,
//! per instance. `make bench` runs it.

#[path = "support/mod.rs"]
mod support;

use parigot_host::runtime::engine::HostEngine;
use std::time::{Duration, Instant};
use support::{load, wasm};
use wasmtime::component::Val;

const INSTANCES: usize = 1000;
const SLEEP: Duration = Duration::from_secs(2);
const FAULTS: &str = "parigot:testing/faults@0.1.0";

/// The host's resident memory, in KiB.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "manifest-version = 1\n[services.faulty]\ncomponent = {:?}\ninstances = {INSTANCES}\n",
        wasm("faulty-rust")
    );
    let engine = HostEngine::new(Some(parigot_host::kernel::pulse::DEFAULT_INTERVAL)).unwrap();
    let app = load(&engine, dir.path(), "instances", &text);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let running = app.instantiate(None).await.unwrap();
        let before = resident_kib();
        let started = Instant::now();
        let calls: Vec<_> = (0..INSTANCES)
            .map(|_| {
                let running = running.clone();
                tokio::spawn(async move {
                    let ms = [Val::U32(SLEEP.as_millis() as u32)];
                    let mut results = [Val::U32(0)];
                    running.call("faulty", FAULTS, "sleep", &ms, &mut results).await.unwrap();
                })
            })
            .collect();
        for call in calls {
            call.await.unwrap();
        }
        let took = started.elapsed();
        let after = resident_kib();
        println!("{INSTANCES} instances of the Rust faulty service, each in a Store of its own:");
        println!(
            "  {INSTANCES} concurrent calls sleeping {} s took {:.0} ms beyond the sleep ({:.0} µs per fresh instance)",
            SLEEP.as_secs(),
            (took - SLEEP).as_secs_f64() * 1e3,
            (took - SLEEP).as_secs_f64() * 1e6 / (INSTANCES - 1) as f64
        );
        println!(
            "  resident memory {} MiB with one instance, {} MiB with {INSTANCES}: {:.0} KiB per instance",
            before / 1024,
            after / 1024,
            after.saturating_sub(before) as f64 / (INSTANCES - 1) as f64
        );
        running.shutdown().await;
    });
}
