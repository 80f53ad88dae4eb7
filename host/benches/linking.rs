//! The cost of a call from one service to another through the host's linking, next to the
//! same call made directly from the host into the callee (the floor).
//!
//! A Rust driver service calls `parigot:bench/echo.describe` (a small record in, a string out)
//! `n` times from inside the guest, with its import linked to an echo service written in Rust,
//! Go or Python. The floor is the host calling that echo service's export `n` times itself.
//! Run with `make bench`; components come from `make guests`.

use criterion::{Criterion, criterion_group, criterion_main};
use parigot_host::manifest::Manifest;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::{App, BuildPolicy, LoadOptions, engine};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wasmtime::component::{ComponentType, Lower};

const ECHO: &str = "parigot:bench/echo@0.1.0";
const DRIVER: &str = "parigot:bench/driver@0.1.0";

/// The Rust side of `parigot:bench/echo.point`.
#[derive(ComponentType, Lower, Clone)]
#[component(record)]
struct Point {
    x: i32,
    y: i32,
    label: String,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Loads a wos of the Rust driver linked to the echo service in `language`.
fn load(language: &str, dir: &Path) -> App {
    let wasm = |name: &str| repo().join("target/wasm").join(format!("{name}.wasm"));
    let text = format!(
        "manifest-version = 1\n[services.driver]\ncomponent = {:?}\n[services.echo]\ncomponent = {:?}\n",
        wasm("bench-driver").display().to_string(),
        wasm(&format!("bench-echo-{language}")).display().to_string(),
    );
    let path = dir.join(format!("{language}.toml"));
    std::fs::write(&path, text).unwrap();
    let options = LoadOptions {
        cache: ComponentCache::new(repo().join("target/parigot-bench-cache")),
        build: BuildPolicy::IfMissing,
    };
    let engine = engine::new_engine().unwrap();
    App::load(Manifest::load(&path).unwrap(), &engine, &options).unwrap()
}

fn linking(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("call");
    group.measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    for language in ["rust", "go", "python"] {
        let app = load(language, dir.path());
        let mut running = app.instantiate(None).unwrap();

        let (echo, describe) = running.export_func("echo", ECHO, "describe").unwrap();
        let describe = describe.typed::<(Point,), (String,)>(running.store()).unwrap();
        let point = Point { x: 3, y: -4, label: "p".into() };
        group.bench_function(format!("host->{language} (direct)"), |b| {
            running.enter(echo);
            b.iter(|| describe.call(running.store(), (point.clone(),)).unwrap())
        });

        let (driver, run) = running.export_func("driver", DRIVER, "run").unwrap();
        let run = run.typed::<(u32,), (String,)>(running.store()).unwrap();
        group.bench_function(format!("rust->{language} (linked)"), |b| {
            running.enter(driver);
            b.iter_custom(|iters| {
                let started = Instant::now();
                run.call(running.store(), (u32::try_from(iters).unwrap(),)).unwrap();
                started.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, linking);
criterion_main!(benches);
