//! A 64 MiB `list<u8>` into a service, two ways: through a linked call (the Rust faults driver,
//! a program, sends it to the Rust faulty service's `weigh`, in one process), and over gRPC (a
//! client process sends it to the same function, served with `max-message-bytes` raised).
//!
//! Prints the host's peak resident memory during each, above what it held before, and the
//! host's own share of it: the peak less the guests' copies of the payload, as a multiple of
//! the payload. `make bench` runs it.

#[path = "support/mod.rs"]
mod support;

use parigot_host::runtime::ProgramOutcome;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::wire::serve::{ServeOptions, Server};
use support::{load, wasm};

const MIB: u64 = 64;

/// A line of `/proc/self/status`, in KiB.
fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(key)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Resets the peak resident memory to the current one; returns the current one, in KiB.
fn reset_peak() -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    status_kib("VmRSS:")
}

/// Prints a line of the report: the peak above `before` (KiB), less `in_guests` MiB.
fn report(what: &str, before: u64, in_guests: f64) {
    let growth = status_kib("VmHWM:").saturating_sub(before) as f64 / 1024.0;
    println!(
        "  {what}: peak resident memory {growth:.0} MiB above the start, {in_guests:.0} MiB of it in the guests, \
         {:.0} MiB the host's own ({:.2}x the payload)",
        growth - in_guests,
        (growth - in_guests) / MIB as f64
    );
}

/// The client process: sends `weigh` a request of MIB MiB of ones, over gRPC, to `addr`.
async fn client(addr: &str) {
    use prost::Message;
    #[derive(Clone, PartialEq, prost::Message)]
    struct WeighRequest {
        #[prost(bytes = "vec", tag = "1")]
        data: Vec<u8>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    struct WeighResponse {
        #[prost(uint64, tag = "1")]
        result: u64,
    }
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut grpc = tonic::client::Grpc::new(channel).max_encoding_message_size(usize::MAX);
    grpc.ready().await.unwrap();
    let request = WeighRequest { data: vec![1u8; (MIB as usize) << 20] };
    assert_eq!(request.encoded_len() as u64 / (1 << 20), MIB);
    let path = http::uri::PathAndQuery::from_static("/parigot.testing.faults.v0_1_0.Faults/Weigh");
    let codec = tonic_prost::ProstCodec::<WeighRequest, WeighResponse>::default();
    let response = grpc.unary(tonic::Request::new(request), path, codec).await.unwrap();
    assert_eq!(response.into_inner().result, MIB << 20);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--client") {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        return runtime.block_on(client(&args[at + 1]));
    }
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
        println!("a {MIB} MiB list<u8> into the Rust faulty service:");
        let running = app.instantiate(None).await.unwrap();
        let before = reset_peak();
        let outcomes = running.run_programs(None).await;
        assert!(matches!(outcomes[0].1, ProgramOutcome::Succeeded), "{:?}", outcomes[0].1);
        report("through a linked call", before, 2.0 * MIB as f64); // the driver's and the service's
        running.shutdown().await;

        let served = load(
            &engine,
            dir.path(),
            "served",
            &format!("manifest-version = 1\n[services.faulty]\ncomponent = {:?}\n", wasm("faulty-rust")),
        );
        let running = served.instantiate(None).await.unwrap();
        let options = ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            max_message_bytes: (MIB as usize + 1) << 20,
            users: None,
            peer: None,
        };
        let server = Server::start(&running, &options, std::future::pending()).await.unwrap();
        let before = reset_peak();
        let addr = server.addr.to_string();
        let client = move || std::process::Command::new(std::env::current_exe()?).args(["--client", &addr]).status();
        let status = tokio::task::spawn_blocking(client).await.unwrap().unwrap();
        assert!(status.success(), "the client failed");
        report("over gRPC", before, MIB as f64); // the service's copy
    });
}
