//! What the benchmarks share: where the components are, how a wos is loaded, percentiles.

#![allow(dead_code, reason = "each benchmark uses a part")]

pub mod hello_chain;

use parigot_host::manifest::Manifest;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{App, BuildPolicy, LoadOptions, Running, StartOptions};
use parigot_host::wire::remote::GrpcRemotes;
use parigot_host::wire::serve::{ServeOptions, Server};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The path of a component built by `make guests`, as TOML wants it.
pub fn wasm(name: &str) -> String {
    // The hello example's services (`hello-NAME`) are built by its wos into its .parigot/build.
    let path = match name.strip_prefix("hello-") {
        Some(service) => repo().join("examples/hello/.parigot/build").join(format!("{service}.wasm")),
        None => repo().join("target/wasm").join(format!("{name}.wasm")),
    };
    assert!(path.exists(), "{} is missing: run `make guests` first", path.display());
    path.display().to_string()
}

/// The compile cache of the benchmarks.
pub fn bench_cache() -> ComponentCache {
    ComponentCache::open(repo().join("target/parigot-bench-cache")).unwrap()
}

/// Loads the wos `text`, written to `dir/name.toml`, on `engine`.
pub fn load(engine: &HostEngine, dir: &Path, name: &str, text: &str) -> Arc<App> {
    let path: PathBuf = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    load_manifest(engine, Manifest::load(&path).unwrap())
}

/// Loads `manifest` on `engine`.
pub fn load_manifest(engine: &HostEngine, manifest: Manifest) -> Arc<App> {
    let options =
        LoadOptions { cache: bench_cache(), build: BuildPolicy::IfMissing, remotes: Some(GrpcRemotes::binder(None)) };
    App::load(manifest, engine, &options).unwrap()
}

/// Serves `app`'s public interfaces on a free loopback port, for as long as the process lives:
/// the running wos (for calls made in the process too) and the address.
pub async fn serve(app: &Arc<App>) -> (Running, SocketAddr) {
    serve_with(app, StartOptions::default()).await
}

/// [`serve`], started with `start`.
pub async fn serve_with(app: &Arc<App>, start: StartOptions) -> (Running, SocketAddr) {
    let options =
        ServeOptions { listen: "127.0.0.1:0".parse().unwrap(), max_message_bytes: 4 << 20, users: None, peer: None };
    let running = app.start(start).await.unwrap();
    let addr = Server::start(&running, &options, std::future::pending()).await.unwrap().addr;
    (running, addr)
}

/// The `p` quantile of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// The data of a plain wasmtime Store, with WASI and nothing of parigot's: the floor the host's
/// own calls are measured against.
pub struct Plain {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl Plain {
    /// A Store's data with an empty WASI context.
    pub fn new() -> Plain {
        Plain { wasi: WasiCtx::builder().build(), table: ResourceTable::new() }
    }
}

impl WasiView for Plain {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
