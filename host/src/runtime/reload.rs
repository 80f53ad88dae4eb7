//! Replacing one service of a running wos with a new build of it (`parigot-host dev`): the
//! others keep running, and keep their state.
//!
//! The new component is checked as a start would check it: its imports must be the ones the
//! running service has (the links are made once, at the start), and every service that uses
//! it must still find what it calls, with the same types (the resolver's usual errors). Then it
//! is linked like the old one and its pool makes new instances from it: idle instances of the
//! old version are dropped at once, busy ones when their calls end.

use super::{LinkContext, LoadedService, Running, Version, export_indices, link_service, load};
use crate::graph;
use crate::names::ServiceName;
use crate::runtime::cache::ComponentCache;
use crate::surface::Surface;
use std::collections::BTreeMap;
use wasmtime::Result;
use wasmtime::error::Context as _;

impl Running {
    /// Replaces service `name` with the component now in its file (compiled through `cache`).
    /// On an error the old version keeps running.
    pub fn reload(&self, name: &ServiceName, cache: &ComponentCache) -> Result<()> {
        let app = &self.services.app;
        let Some(id) = app.services.iter().position(|service| service.name == *name) else {
            wasmtime::bail!("wos `{}` has no service `{name}`", app.manifest.name);
        };
        let old = &app.services[id];
        let load::Compiled { component, digest, .. } =
            load::load_component(&app.engine, cache, name, &old.spec.component)?;
        let surface = Surface::of(&component, &app.engine);
        if surface.imports != old.surface.imports {
            wasmtime::bail!(
                "the new build of service `{name}` imports other interfaces or functions than the running one; \
                 links are made at the start: restart to use them"
            );
        }
        let mut surfaces: BTreeMap<ServiceName, Surface> =
            app.services.iter().map(|service| (service.name.clone(), service.surface.clone())).collect();
        surfaces.insert(name.clone(), surface.clone());
        graph::resolve(&app.manifest, &surfaces, &app.own)
            .with_context(|| format!("the new build of service `{name}` does not fit the wos"))?;
        let exports = export_indices(&component, &surface);
        let service = LoadedService {
            name: name.clone(),
            spec: old.spec.clone(),
            component,
            surface,
            wit: std::sync::OnceLock::new(),
            queries: old.queries.clone(),
            digest,
            cache: cache.clone(),
        };
        let context = LinkContext::new(
            &app.engine,
            &app.plan,
            &app.manifest,
            &app.host_interfaces,
            &app.services,
            app.remotes.as_deref(),
        );
        // The imports are the old ones, so what it needs of its providers is what they give.
        let mut provides = vec![Vec::new(); app.services.len()];
        let pre = link_service(&context, &service, &mut provides)?;
        self.services.pools[id].swap(Version { pre, exports });
        Ok(())
    }
}
