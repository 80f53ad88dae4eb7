//! Benchmarks of the host's call path, in one run:
//!
//! - `call`: a call from one service to another through the host's linking (each service in a
//!   Store of its own), next to the same call made directly from the host into the callee (the
//!   floor). A Rust driver calls `parigot:bench/echo.describe` (a small record in, a string
//!   out) `n` times from inside the guest, its import linked to an echo service in Rust, Go,
//!   Python or JavaScript; the floor is a plain wasmtime Store holding the echo component, with nothing of
//!   parigot's around it, calling its typed export `n` times. `call-text` is the same pair for
//!   `echo.echo-text` (a string in and out), a signature of plain values that the host forwards
//!   with typed values instead of dynamic ones (`runtime::shape`).
//! - `pulse`: the linked Rust->Rust call with deadlines enforced (epoch checks in compiled code,
//!   a deadline armed per call) and without.
//! - `fused`: the same linked call in a wos fused into one component (`compose --emit`), next to
//!   the dynamically linked wos.
//! - `deadline`: how long a call that loops forever takes to be stopped, with a 50 ms deadline
//!   and a 10 ms pulse (the overshoot is the time past 50 ms).
//!
//! Run with `make bench`; components come from `make guests`.

#[path = "support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use parigot_host::manifest::Manifest;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{App, Running};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Plain, bench_cache, load, load_manifest, wasm};
use wasmtime::Store;
use wasmtime::component::{ComponentType, Linker, Lower, TypedFunc, Val};

const ECHO: &str = "parigot:bench/echo@0.1.0";
const DRIVER: &str = "parigot:bench/driver@0.1.0";
const FAULTS: &str = "parigot:testing/faults@0.1.0";
const PULSE: Duration = Duration::from_millis(10);

/// The Rust side of `parigot:bench/echo.point`.
#[derive(ComponentType, Lower, Clone)]
#[component(record)]
struct Point {
    x: i32,
    y: i32,
    label: String,
}

/// The Rust driver linked to the echo service in `language`.
fn echo_wos(engine: &HostEngine, dir: &Path, language: &str) -> Arc<App> {
    let text = format!(
        "manifest-version = 1\nexports = [\"parigot:bench/driver\"]\n[services.driver]\ncomponent = {:?}\n\
         [services.echo]\ncomponent = {:?}\n",
        wasm("bench-driver"),
        wasm(&format!("bench-echo-{language}")),
    );
    load(engine, dir, language, &text)
}

/// `echo_wos` fused into one component, loaded as a one-service wos named `unit`.
fn fused_echo_wos(engine: &HostEngine, dir: &Path, language: &str) -> Arc<App> {
    let unit = dir.join(format!("fused-{language}.wasm"));
    std::fs::write(&unit, parigot_host::compose::fuse(&echo_wos(engine, dir, language)).unwrap()).unwrap();
    load_manifest(engine, Manifest::single("unit".to_owned().try_into().unwrap(), &unit))
}

/// The async runtime the benchmarks drive their calls with (guest code runs on fibers).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn instantiate(rt: &tokio::runtime::Runtime, app: &Arc<App>) -> Running {
    rt.block_on(app.instantiate(None)).unwrap()
}

/// Benchmarks `n` linked calls made by the driver from inside the guest (one supervised call
/// of its `run_function`, `run` or `run-text`, per batch); the driver is service
/// `driver_service` of the wos.
fn bench_driver(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: String,
    rt: &tokio::runtime::Runtime,
    running: &Running,
    (driver_service, run_function): (&str, &str),
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut results = [Val::Bool(false)];
            let n = [Val::U32(u32::try_from(iters).unwrap())];
            let started = Instant::now();
            rt.block_on(running.call(driver_service, DRIVER, run_function, &n, &mut results)).unwrap();
            started.elapsed()
        })
    });
}

/// The echo component in `language` in a plain wasmtime Store, and its typed export
/// `function` with parameters `P` and results `R`.
fn plain_echo<P, R>(
    rt: &tokio::runtime::Runtime,
    engine: &HostEngine,
    language: &str,
    function: &str,
) -> (Store<Plain>, TypedFunc<P, R>)
where
    P: wasmtime::component::ComponentNamedList + Lower + Send + Sync,
    R: wasmtime::component::ComponentNamedList + wasmtime::component::Lift + Send + Sync,
{
    let engine = engine.engine();
    let cache = bench_cache();
    let bytes = std::fs::read(wasm(&format!("bench-echo-{language}"))).unwrap();
    let entry = cache.entry_path(engine, &blake3::hash(&bytes));
    let component =
        cache.load(engine, &entry).unwrap_or_else(|| cache.compile_and_store(engine, &bytes, &entry).unwrap());
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    let mut store = Store::new(engine, Plain::new());
    let instance = rt.block_on(linker.instantiate_async(&mut store, &component)).unwrap();
    let interface = instance.get_export_index(&mut store, None, ECHO).unwrap();
    let function = instance.get_export_index(&mut store, Some(&interface), function).unwrap();
    let function = instance.get_typed_func::<P, R>(&mut store, &function).unwrap();
    (store, function)
}

/// Benchmarks `n` direct calls of `function` with `params` from the host into a plain Store.
fn bench_direct<P, R>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: String,
    rt: &tokio::runtime::Runtime,
    (mut store, function): (Store<Plain>, TypedFunc<P, R>),
    params: P,
) where
    P: wasmtime::component::ComponentNamedList + Lower + Clone + Send + Sync + 'static,
    R: wasmtime::component::ComponentNamedList + wasmtime::component::Lift + Send + Sync + 'static,
{
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            rt.block_on(async {
                for _ in 0..iters {
                    function.call_async(&mut store, params.clone()).await.unwrap();
                }
            });
            started.elapsed()
        })
    });
}

fn call(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = HostEngine::new(None).unwrap();
    let rt = runtime();
    let point = Point { x: 3, y: -4, label: "p".into() };
    call_group(c, &rt, &engine, dir.path(), ("call", "run"), |group, language, name| {
        let describe = plain_echo::<_, (String,)>(&rt, &engine, language, "describe");
        bench_direct(group, name, &rt, describe, (point.clone(),));
    });
    call_group(c, &rt, &engine, dir.path(), ("call-text", "run-text"), |group, language, name| {
        let echo_text = plain_echo::<_, (String,)>(&rt, &engine, language, "echo-text");
        bench_direct(group, name, &rt, echo_text, (String::from("text"),));
    });
}

/// The group `group_name`: for each echo language, the direct call that `direct` benchmarks
/// (under the name it is given) next to the driver's linked calls from `run_function`.
fn call_group(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    engine: &HostEngine,
    dir: &Path,
    (group_name, run_function): (&str, &str),
    mut direct: impl FnMut(&mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, &str, String),
) {
    let mut group = c.benchmark_group(group_name);
    group.measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for language in ["rust", "go", "python", "js"] {
        direct(&mut group, language, format!("host->{language} (direct)"));
        let running = instantiate(rt, &echo_wos(engine, dir, language));
        bench_driver(&mut group, format!("rust->{language} (linked)"), rt, &running, ("driver", run_function));
    }
    group.finish();
}

fn pulse(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let mut group = c.benchmark_group("pulse");
    group.measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for (label, pulse) in [("off", None), ("on", Some(PULSE))] {
        let engine = HostEngine::new(pulse).unwrap();
        let app = echo_wos(&engine, dir.path(), "rust");
        let running = instantiate(&rt, &app);
        bench_driver(&mut group, format!("rust->rust (linked, deadlines {label})"), &rt, &running, ("driver", "run"));
    }
    group.finish();
}

fn fused(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = HostEngine::new(None).unwrap();
    let rt = runtime();
    let mut group = c.benchmark_group("fused");
    group.measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for language in ["rust", "go", "python", "js"] {
        let linked = echo_wos(&engine, dir.path(), language);
        let running = instantiate(&rt, &linked);
        bench_driver(&mut group, format!("rust->{language} (linked)"), &rt, &running, ("driver", "run"));
        let fused = fused_echo_wos(&engine, dir.path(), language);
        let running = instantiate(&rt, &fused);
        bench_driver(&mut group, format!("rust->{language} (fused)"), &rt, &running, ("unit", "run"));
    }
    group.finish();
}

fn deadline(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = HostEngine::new(Some(PULSE)).unwrap();
    let rt = runtime();
    let mut group = c.benchmark_group("deadline");
    group.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(200));
    for language in ["rust", "go", "python", "js"] {
        let text = format!(
            "manifest-version = 1\n[services.faulty]\ncomponent = {:?}\n[services.faulty.limits]\n\
             deadline-ms = 50\nrestart = \"on-failure\"\nmax-restarts = 1000000\nrestart-backoff-ms = 0\n",
            wasm(&format!("faulty-{language}")),
        );
        let app = load(&engine, dir.path(), &format!("faulty-{language}"), &text);
        let running = instantiate(&rt, &app);
        group.bench_function(format!("spin stopped after 50 ms ({language})"), |b| {
            b.iter(|| {
                let mut results = [Val::U64(0)];
                assert!(rt.block_on(running.call("faulty", FAULTS, "spin", &[], &mut results)).is_err());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, call, pulse, fused, deadline);
criterion_main!(benches);
