//! Whether attackers cost healthy calls anything, in one run: Vinny's store served on
//! loopback, 64 healthy calls in flight (the catalog's `browse`, a typed `:many` query on its
//! database), first alone, then while one client sends endless recursive queries through a
//! service of the same wos (each cut at its own 1 s deadline) and another floods the store's
//! `sell` with wrong passwords.
//!
//! Prints, for both phases, the healthy calls' p50 and p99 and their throughput, with the
//! ratios of the attacked phase to the quiet one, and the host's resident memory after each
//! phase (and halfway through the attacked one: flat means no growth in its second half).
//! Targets: p99 within 2x, throughput at least 0.7x, memory flat. `make bench` runs it.

#[path = "support/mod.rs"]
mod support;

use http::uri::PathAndQuery;
use parigot_host::users::{Authenticator, UserStore};
use parigot_host::wire::serve::{ServeOptions, Server};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::{load, percentile, repo, wasm};
use tonic::transport::Channel;
use tonic_prost::ProstCodec;

const BROWSE: &str = "/vvv.shop.catalog.v0_1_0.Catalog/Browse";
const SELL: &str = "/vvv.shop.store.v0_1_0.Store/Sell";
const ATTEMPT_QUERY: &str = "/parigot.notes.notes.v0_1_0.Notes/AttemptQuery";
const ENDLESS: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
const IN_FLIGHT: usize = 64;
const PHASE: Duration = Duration::from_secs(10);

/// `browse` with no filter: every item.
#[derive(Clone, PartialEq, prost::Message)]
struct BrowseRequest {}

/// Any answer (its fields are skipped: only its arrival counts).
#[derive(Clone, PartialEq, prost::Message)]
struct Answer {}

#[derive(Clone, PartialEq, prost::Message)]
struct SellRequest {
    #[prost(uint64, tag = "1")]
    item: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct AttemptRequest {
    #[prost(string, tag = "1")]
    statement: String,
}

/// One unary call of `path` with `request`, `headers` added: its status code.
async fn call<M: prost::Message + Default + Send + Sync + 'static>(
    channel: &Channel,
    path: &'static str,
    message: M,
    headers: &[(&'static str, &str)],
) -> tonic::Code {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    if grpc.ready().await.is_err() {
        return tonic::Code::Unavailable;
    }
    let mut request = tonic::Request::new(message);
    for (name, value) in headers {
        request.metadata_mut().insert(*name, value.parse().unwrap());
    }
    let codec = ProstCodec::<M, Answer>::default();
    match grpc.unary(request, PathAndQuery::from_static(path), codec).await {
        Ok(_) => tonic::Code::Ok,
        Err(status) => status.code(),
    }
}

/// The healthy load: `IN_FLIGHT` clients calling `browse` back to back for `PHASE`; the sorted
/// latencies, and the calls per second.
async fn healthy_load(channel: &Channel) -> (Vec<Duration>, f64) {
    let until = Instant::now() + PHASE;
    let clients: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let channel = channel.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < until {
                    let started = Instant::now();
                    let code = call(&channel, BROWSE, BrowseRequest {}, &[]).await;
                    assert_eq!(code, tonic::Code::Ok, "a healthy call failed");
                    latencies.push(started.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for client in clients {
        all.extend(client.await.unwrap());
    }
    all.sort();
    let rate = all.len() as f64 / PHASE.as_secs_f64();
    (all, rate)
}

/// The host's resident memory now, in MiB (this process: the host and its clients).
fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// The wos: Vinny's three services as `examples/vvv` builds them, and a notes service through
/// which an attacker sends its own SQL.
fn wos_text(dir: &std::path::Path) -> String {
    let vvv = repo().join("examples/vvv");
    let built = |service: &str| vvv.join(".parigot/build").join(format!("{service}.wasm")).display().to_string();
    let db = |service: &str, file: &str| vvv.join(service).join("db").join(file).display().to_string();
    std::fs::create_dir_all(dir.join("notes-migrations")).unwrap();
    std::fs::write(dir.join("notes-migrations/0001.sql"), "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);")
        .unwrap();
    let mut text = "manifest-version = 1\nname = \"vvv\"\n\
                    exports = [\"vvv:shop/catalog\", \"vvv:shop/store\", \"parigot:notes/notes\"]\n\
                    [serve]\npool = 16\n[auth]\nrequire-login = [\"vvv:shop/store#sell\"]\n"
        .to_owned();
    for service in ["catalog", "inventory", "store"] {
        text += &format!(
            "[services.{service}]\ncomponent = {:?}\nsqlite = {{ migrations = {:?}, queries = {:?}, package = \"vvv:{service}-db\" }}\n",
            built(service),
            db(service, "migrations"),
            db(service, "queries.sql"),
        );
    }
    text += &format!(
        "[services.notes]\ncomponent = {:?}\nsqlite = {{ migrations = {:?} }}\n",
        wasm("notes-rust"),
        dir.join("notes-migrations").display().to_string()
    );
    text
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = UserStore::new(&dir.path().join("data"));
    store.add("vinny", "spin").unwrap();
    let engine =
        parigot_host::runtime::engine::HostEngine::new(Some(parigot_host::kernel::pulse::DEFAULT_INTERVAL)).unwrap();
    let app = load(&engine, dir.path(), "vvv", &wos_text(dir.path()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let options = ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            max_message_bytes: 4 << 20,
            users: Some(Arc::new(Authenticator::new(store).unwrap())),
            peer: None,
        };
        let start =
            parigot_host::runtime::StartOptions { data_dir: Some(dir.path().join("data")), ..Default::default() };
        let running = app.start(start).await.unwrap();
        let server = Server::start(&running, &options, std::future::pending()).await.unwrap();
        let connect =
            || async { Channel::from_shared(format!("http://{}", server.addr)).unwrap().connect().await.unwrap() };
        let (healthy, attacker) = (connect().await, connect().await);
        // Warm up: instances of every service, connections.
        for _ in 0..200 {
            assert_eq!(call(&healthy, BROWSE, BrowseRequest {}, &[]).await, tonic::Code::Ok);
        }

        let quiet_start = resident_mib();
        let (quiet, quiet_rate) = healthy_load(&healthy).await;
        let quiet_end = resident_mib();

        let attacking = Arc::new(AtomicBool::new(true));
        let (queries_sent, logins_sent) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let endless = tokio::spawn({
            let (channel, attacking, sent) = (attacker.clone(), attacking.clone(), queries_sent.clone());
            async move {
                while attacking.load(Ordering::Relaxed) {
                    let request = AttemptRequest { statement: ENDLESS.to_owned() };
                    let code = call(&channel, ATTEMPT_QUERY, request, &[("grpc-timeout", "1S")]).await;
                    // Cut at the client's deadline, by the host's call path or by tonic's own
                    // timeout (which answers CANCELLED).
                    let cut = matches!(code, tonic::Code::DeadlineExceeded | tonic::Code::Cancelled);
                    assert!(cut, "the endless query ended otherwise: {code:?}");
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let wrong_passwords = tokio::spawn({
            let (channel, attacking, sent) = (attacker.clone(), attacking.clone(), logins_sent.clone());
            async move {
                // `vinny:guess`
                let wrong = "Basic dmlubnk6Z3Vlc3M=";
                while attacking.load(Ordering::Relaxed) {
                    let code = call(&channel, SELL, SellRequest { item: 2 }, &[("authorization", wrong)]).await;
                    assert!(matches!(code, tonic::Code::Unauthenticated | tonic::Code::ResourceExhausted), "{code:?}");
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let halfway = tokio::spawn(async {
            tokio::time::sleep(PHASE / 2).await;
            resident_mib()
        });
        let (attacked, attacked_rate) = healthy_load(&healthy).await;
        let attacked_end = resident_mib();
        let attacked_half = halfway.await.unwrap();
        attacking.store(false, Ordering::Relaxed);
        endless.await.unwrap();
        wrong_passwords.await.unwrap();

        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "Vinny's catalog `browse`, {IN_FLIGHT} in flight over gRPC on loopback, {} s a phase:",
            PHASE.as_secs()
        );
        for (what, sorted, rate) in [("quiet", &quiet, quiet_rate), ("under attack", &attacked, attacked_rate)] {
            println!(
                "  {what}: p50 {:.2} ms, p99 {:.2} ms, {rate:.0} calls/s",
                ms(percentile(sorted, 0.5)),
                ms(percentile(sorted, 0.99))
            );
        }
        println!(
            "  under attack / quiet: p99 {:.2}x, throughput {:.2}x ({} endless queries, {} wrong passwords sent)",
            ms(percentile(&attacked, 0.99)) / ms(percentile(&quiet, 0.99)),
            attacked_rate / quiet_rate,
            queries_sent.load(Ordering::Relaxed),
            logins_sent.load(Ordering::Relaxed)
        );
        println!(
            "  resident memory: {quiet_start:.0} MiB before, {quiet_end:.0} MiB after the quiet phase, \
             {attacked_half:.0} MiB halfway through the attacked one, {attacked_end:.0} MiB at its end"
        );
    });
}
