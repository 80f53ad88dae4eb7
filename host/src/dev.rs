//! The edit-save-see loop (`parigot-host dev`): while a wos runs, every service built from
//! sources is watched (its source folder, its WIT folder, its generated WIT); a change is
//! rebuilt and swapped in while the other services keep running and keep their state.
//!
//! Changes are polled; a burst of writes (an editor saving several files) is one rebuild, once
//! the files have been quiet for [`QUIET`]. A build or link error is shown and the previous
//! build keeps running.

use crate::manifest::ServiceSpec;

use crate::names::ServiceName;
use crate::runtime::Running;
use crate::runtime::cache::ComponentCache;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, watch};

/// How often the sources are looked at.
pub const POLL: Duration = Duration::from_millis(250);
/// How long the sources must stay unchanged before a rebuild.
pub const QUIET: Duration = Duration::from_millis(300);

/// One watched service: when its sources last changed, as last seen.
struct Watched {
    name: ServiceName,
    spec: ServiceSpec,
    seen: Option<SystemTime>,
}

impl Watched {
    fn changed_at(&self, manifest: &crate::manifest::Manifest) -> Option<SystemTime> {
        crate::runtime::recipe(manifest, &self.name, &self.spec).and_then(|recipe| recipe.changed_at())
    }
}

/// When a source of any service or test of `manifest` built from sources last changed.
pub fn sources_changed_at(manifest: &crate::manifest::Manifest) -> Option<SystemTime> {
    let services = manifest.services.iter().chain(manifest.tests.iter());
    services.filter_map(|(name, spec)| crate::runtime::recipe(manifest, name, spec)?.changed_at()).max()
}

/// Watches the services of `running` built from sources until `stop` turns true; sends the
/// name of each service it swapped in on `reloaded`.
pub async fn watch(
    running: Running,
    cache: ComponentCache,
    mut stop: watch::Receiver<bool>,
    reloaded: mpsc::UnboundedSender<ServiceName>,
) {
    let manifest = running.app().manifest.clone();
    let mut watched: Vec<Watched> = manifest
        .services
        .iter()
        .filter(|(_, spec)| spec.source.is_some())
        .map(|(name, spec)| Watched { name: name.clone(), spec: spec.clone(), seen: None })
        .collect();
    // The sources as the running build was made from them: an edit made since (while the wos
    // was starting) is a change too.
    for service in &mut watched {
        let built = std::fs::metadata(&service.spec.component).and_then(|file| file.modified()).ok();
        service.seen = built.min(service.changed_at(&manifest)).or(built);
    }
    let names: Vec<String> = watched.iter().map(|w| format!("`{}`", w.name)).collect();
    tracing::info!(
        "watching the sources of {} for changes",
        if names.is_empty() { "no service".into() } else { names.join(", ") }
    );
    loop {
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        let changed: Vec<usize> =
            (0..watched.len()).filter(|&i| watched[i].changed_at(&manifest) > watched[i].seen).collect();
        for i in changed {
            // Wait for the burst of writes to end.
            let mut last = watched[i].changed_at(&manifest);
            loop {
                tokio::time::sleep(QUIET).await;
                let now = watched[i].changed_at(&manifest);
                if now == last {
                    break;
                }
                last = now;
            }
            watched[i].seen = last;
            let (name, spec) = (watched[i].name.clone(), watched[i].spec.clone());
            let swapped = rebuild_and_swap(&running, &cache, &manifest, &name, &spec, &mut stop).await;
            // What the build itself wrote in the sources is not a change.
            watched[i].seen = watched[i].seen.max(watched[i].changed_at(&manifest));
            match swapped {
                Swap::Done => {
                    let _ = reloaded.send(name);
                }
                Swap::Failed => {}
                Swap::Stopping => return,
            }
        }
    }
}

/// How a rebuild ended.
enum Swap {
    /// The new build runs.
    Done,
    /// It failed; the previous build keeps running.
    Failed,
    /// The host is stopping: the rebuild was abandoned (its toolchain stopped), nothing swapped.
    Stopping,
}

/// Rebuilds service `name` and swaps it into `running`, saying how long each took, or why the
/// previous build keeps running. The host stopping (`stop`) abandons both at once: the
/// toolchain is stopped, and nothing is swapped in.
async fn rebuild_and_swap(
    running: &Running,
    cache: &ComponentCache,
    manifest: &crate::manifest::Manifest,
    name: &ServiceName,
    spec: &ServiceSpec,
    stop: &mut watch::Receiver<bool>,
) -> Swap {
    tracing::info!("the sources of service `{name}` changed: rebuilding");
    let started = Instant::now();
    let (manifest, build_name, build_spec) = (manifest.clone(), name.clone(), spec.clone());
    let build =
        tokio::task::spawn_blocking(move || crate::runtime::build_service(&manifest, &build_name, &build_spec, true));
    let built = tokio::select! {
        built = build => built,
        _ = stop.wait_for(|stopped| *stopped) => {
            crate::build::messages::stop_toolchains();
            tracing::info!("stopping: the rebuild of service `{name}` is abandoned");
            return Swap::Stopping;
        }
    };
    match built {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::error!("{error:#}\nservice `{name}` keeps running its previous build");
            return Swap::Failed;
        }
        Err(panicked) => {
            tracing::error!(
                "the build of service `{name}` failed: {panicked}\nservice `{name}` keeps running its previous build"
            );
            return Swap::Failed;
        }
    }
    let built = started.elapsed();
    let swapping = Instant::now();
    let (swap_running, swap_cache, swap_name) = (running.clone(), cache.clone(), name.clone());
    let swap = tokio::task::spawn_blocking(move || swap_running.reload(&swap_name, &swap_cache));
    let swapped = tokio::select! {
        swapped = swap => swapped,
        _ = stop.wait_for(|stopped| *stopped) => {
            tracing::info!("stopping without waiting for the new build of service `{name}` to be compiled");
            return Swap::Stopping;
        }
    };
    if let Err(error) = swapped.map_err(wasmtime::Error::from).and_then(|swapped| swapped) {
        tracing::error!(
            "cannot swap in the new build of service `{name}`: {error:#}\nservice `{name}` keeps running its previous build"
        );
        return Swap::Failed;
    }
    tracing::info!(
        "reloaded service `{name}`: built in {:.1} s, compiled and swapped in {} ms",
        built.as_secs_f64(),
        swapping.elapsed().as_millis()
    );
    Swap::Done
}
