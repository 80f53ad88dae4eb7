//! Benchmarks of the host's call path, in one run:
//!
//! - `call`: a call from one service to another through the host's linking, next to the same
//!   call made directly from the host into the callee (the floor). A Rust driver calls
//!   `parigot:bench/echo.describe` (a small record in, a string out) `n` times from inside the
//!   guest, its import linked to an echo service in Rust, Go or Python; the floor is the host
//!   calling that echo service's export `n` times itself.
//! - `pulse`: the linked Rust->Rust call with deadlines enforced (epoch checks in compiled code,
//!   a deadline armed per call) and without.
//! - `fused`: the same linked call in a wos fused into one component (`compose --emit`), next to
//!   the dynamically linked wos.
//! - `deadline`: how long a call that loops forever takes to be stopped, with a 50 ms deadline
//!   and a 10 ms pulse (the overshoot is the time past 50 ms).
//!
//! Run with `make bench`; components come from `make guests`.

use criterion::{Criterion, criterion_group, criterion_main};
use parigot_host::manifest::Manifest;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{App, BuildPolicy, LoadOptions, Running};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{ComponentType, Lower, Val};

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

fn wasm(name: &str) -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    repo.join("target/wasm").join(format!("{name}.wasm")).display().to_string()
}

/// Loads the wos `text` (written to `dir/name.toml`) on `engine`.
fn load(engine: &HostEngine, dir: &Path, name: &str, text: &str) -> Arc<App> {
    let path: PathBuf = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let options = LoadOptions {
        cache: ComponentCache::new(repo.join("target/parigot-bench-cache")),
        build: BuildPolicy::IfMissing,
    };
    App::load(Manifest::load(&path).unwrap(), engine, &options).unwrap()
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
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let options = LoadOptions {
        cache: ComponentCache::new(repo.join("target/parigot-bench-cache")),
        build: BuildPolicy::IfMissing,
    };
    let manifest = Manifest::single("unit".to_owned().try_into().unwrap(), &unit);
    App::load(manifest, engine, &options).unwrap()
}

/// Benchmarks `n` linked calls made by the driver from inside the guest; the driver is
/// service `driver_service` of the wos.
/// The async runtime the benchmarks drive their calls with (guest code runs on fibers).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn instantiate(rt: &tokio::runtime::Runtime, app: &Arc<App>) -> Running {
    rt.block_on(app.instantiate(None)).unwrap()
}

fn bench_driver(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: String,
    rt: &tokio::runtime::Runtime,
    running: &mut Running,
    driver_service: &str,
) {
    let (driver, run) = running.export_func(driver_service, DRIVER, "run").unwrap();
    let run = run.typed::<(u32,), (String,)>(running.store()).unwrap();
    running.enter(driver);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            rt.block_on(run.call_async(running.store(), (u32::try_from(iters).unwrap(),))).unwrap();
            started.elapsed()
        })
    });
}

fn call(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = HostEngine::new(None).unwrap();
    let rt = runtime();
    let mut group = c.benchmark_group("call");
    group.measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for language in ["rust", "go", "python"] {
        let app = echo_wos(&engine, dir.path(), language);
        let mut running = instantiate(&rt, &app);
        let (echo, describe) = running.export_func("echo", ECHO, "describe").unwrap();
        let describe = describe.typed::<(Point,), (String,)>(running.store()).unwrap();
        let point = Point { x: 3, y: -4, label: "p".into() };
        running.enter(echo);
        group.bench_function(format!("host->{language} (direct)"), |b| {
            b.iter_custom(|iters| {
                let started = Instant::now();
                rt.block_on(async {
                    for _ in 0..iters {
                        describe.call_async(running.store(), (point.clone(),)).await.unwrap();
                    }
                });
                started.elapsed()
            })
        });
        bench_driver(&mut group, format!("rust->{language} (linked)"), &rt, &mut running, "driver");
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
        let mut running = instantiate(&rt, &app);
        bench_driver(&mut group, format!("rust->rust (linked, deadlines {label})"), &rt, &mut running, "driver");
    }
    group.finish();
}

fn fused(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = HostEngine::new(None).unwrap();
    let rt = runtime();
    let mut group = c.benchmark_group("fused");
    group.measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for language in ["rust", "go", "python"] {
        let linked = echo_wos(&engine, dir.path(), language);
        let mut running = instantiate(&rt, &linked);
        bench_driver(&mut group, format!("rust->{language} (linked)"), &rt, &mut running, "driver");
        let fused = fused_echo_wos(&engine, dir.path(), language);
        let mut running = instantiate(&rt, &fused);
        bench_driver(&mut group, format!("rust->{language} (fused)"), &rt, &mut running, "unit");
    }
    group.finish();
}

fn deadline(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = HostEngine::new(Some(PULSE)).unwrap();
    let rt = runtime();
    let mut group = c.benchmark_group("deadline");
    group.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(200));
    for language in ["rust", "go", "python"] {
        let text = format!(
            "manifest-version = 1\n[services.faulty]\ncomponent = {:?}\n[services.faulty.limits]\n\
             deadline-ms = 50\nrestart = \"on-failure\"\nmax-restarts = 1000000\nrestart-backoff-ms = 0\n",
            wasm(&format!("faulty-{language}")),
        );
        let app = load(&engine, dir.path(), &format!("faulty-{language}"), &text);
        let mut running = instantiate(&rt, &app);
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
