//! The test session (`parigot:test/session`): a test component says which user its calls run
//! as, as if it had logged in at a served port. It lets its caller act as any user, so only
//! test components (`[tests.NAME]`) may import it; the linker refuses it to any other service.

use super::View;
use wasmtime::component::Linker;
use wasmtime::{Result, format_err};

/// The interface, in the version this host implements.
pub const INTERFACE: &str = "parigot:test/session@0.1.0";

/// The capability: every test component has it (and nothing else, see [`add_to_linker`]).
pub const CAPABILITY: super::Capability =
    super::Capability { name: "the test session", interfaces: &[INTERFACE], grant_key: None, test_only: true };

/// Defines `parigot:test/session` in `linker`, for a test component.
pub fn add_to_linker<T: 'static>(linker: &mut Linker<T>, view: fn(&mut T) -> View<'_>) -> Result<()> {
    linker.instance(INTERFACE)?.func_wrap("log-in-as", move |mut store, (user,): (Option<String>,)| {
        let pctx = view(store.data_mut())
            .call
            .ok_or_else(|| format_err!("`{INTERFACE}#log-in-as` was called outside any call"))?;
        pctx.trace_mut().user = user.map(Into::into);
        Ok(())
    })
}
