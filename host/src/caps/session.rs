//! The test session (`parigot:test/session`): a test component says which user its calls run
//! as, as if it had logged in at a served port. It lets its caller act as any user, so only
//! test components (`[tests.NAME]`) may import it; the linker refuses it to any other service.

use super::{ServicePlan, Start, Unit, View, WosPlan};
use wasmtime::Result;
use wasmtime::component::Linker;

/// The session's interface.
pub const INTERFACE: &str = "parigot:test/session@0.1.0";

/// The capability: test components may act as any user.
pub struct Session;

impl Unit for Session {
    const ABOUT: super::Capability =
        super::Capability { name: "the test session", interfaces: &[INTERFACE], grant_key: None, test_only: true };
    type Service = ();
    type Instance = ();

    fn prepare(wos: &WosPlan<'_>, _start: &Start<'_>) -> Result<Vec<()>> {
        Ok(vec![(); wos.services.len()])
    }

    /// Links the session for a test component that imports it; a service that is not a test
    /// component is refused, even under `parigot-host test`.
    fn link<T: Send + 'static>(
        linker: &mut Linker<T>,
        _wos: &WosPlan<'_>,
        service: &ServicePlan<'_>,
        view: fn(&mut T) -> View<'_, Self>,
    ) -> Result<()> {
        if !service.imports_test_only(INTERFACE, "which lets its caller act as any user")? {
            return Ok(());
        }
        linker.instance(INTERFACE)?.func_wrap("log-in-as", move |mut store, (user,): (Option<String>,)| {
            let mut view = view(store.data_mut());
            let pctx = view.pctx(INTERFACE, "log-in-as")?;
            pctx.trace_mut().user = user.map(Into::into);
            Ok(())
        })
    }
}
