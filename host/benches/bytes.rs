//! A 64 MiB `list<u8>` through a linked call: the Rust faults driver (a program) sends 64 MiB
//! of bytes to the Rust faulty service's `weigh`, in one process.
//!
//! Prints the host's peak resident memory during the run, above what it held before, and the
//! host's own share of it: the peak less the two guests' copies of the payload (the driver's
//! buffer and the service's), as a multiple of the payload. `make bench` runs it.

#[path = "support/mod.rs"]
mod support;

use parigot_host::runtime::ProgramOutcome;
use parigot_host::runtime::engine::HostEngine;
use support::{load, wasm};

const MIB: u64 = 64;

/// A line of `/proc/self/status`, in KiB.
fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(key)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "manifest-version = 1\n[services.driver]\ncomponent = {:?}\nargs = [\"weigh:{MIB}\"]\n\
         [services.faulty]\ncomponent = {:?}\n",
        wasm("faults-driver"),
        wasm("faulty-rust")
    );
    let engine = HostEngine::new(Some(parigot_host::kernel::pulse::DEFAULT_INTERVAL)).unwrap();
    let app = load(&engine, dir.path(), "bytes", &text);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let running = app.instantiate(None).await.unwrap();
        std::fs::write("/proc/self/clear_refs", "5").unwrap(); // the peak starts again from here
        let before = status_kib("VmRSS:");
        let outcomes = running.run_programs().await;
        assert!(matches!(outcomes[0].1, ProgramOutcome::Succeeded), "{:?}", outcomes[0].1);
        let peak = status_kib("VmHWM:");
        let growth_mib = peak.saturating_sub(before) as f64 / 1024.0;
        let guests_mib = 2.0 * MIB as f64;
        println!("a {MIB} MiB list<u8> through a linked call (Rust -> Rust):");
        println!(
            "  peak resident memory {growth_mib:.0} MiB above the start: {guests_mib:.0} MiB in the two guests, \
             {:.0} MiB the host's own ({:.2}x the payload)",
            growth_mib - guests_mib,
            (growth_mib - guests_mib) / MIB as f64
        );
        running.shutdown().await;
    });
}
