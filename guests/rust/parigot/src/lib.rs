//! The Rust SDK of parigot services.
//!
//! Add it as a dependency of a service crate (built for `wasm32-wasip2`) and use:
//!
//! - [`context::current`]: the per-call context of the call under way (request id, W3C trace
//!   context, time left, user, baggage), and [`context::set_baggage`] to hand baggage to the
//!   calls the service makes;
//! - the log macros [`trace!`], [`debug!`], [`info!`], [`warn!`], [`error!`] (a message in
//!   `format!` syntax, then structured fields after a `;`), or [`log::install`] to send the
//!   `log` crate's macros to the host.
//!
//! ```ignore
//! let ctx = parigot::context::current();
//! parigot::info!("greeting {name}"; "name" => name.as_str(), "trace" => ctx.trace_id.as_str());
//! ```
//!
//! - [`test`]: tests that `parigot-host test` runs ([`tests!`], [`check_eq!`]), and [`sim`]:
//!   operations that may fail under a simulation's faults ([`sim::attempt`]), and the faults
//!   injected ([`sim::injected`]).
//!
//! The service's own world needs nothing for this: the SDK brings its imports
//! (`parigot:sdk/imports`) with its own bindings.

mod bindings {
    wit_bindgen::generate!({
        path: [
            "../../../wit/context",
            "../../../wit/log",
            "../../../wit/sqlite",
            "../../../wit/sdk",
            "../../../wit/test",
        ],
        // Every capability the SDK wraps; a service imports only those it calls, so one that
        // never touches `sqlite` needs no grant (and only a test calls `sim`).
        inline: "
            package parigot:rust-sdk;
            world all {
                include parigot:sdk/imports@0.1.0;
                import parigot:sqlite/sqlite@0.1.0;
                import parigot:test/sim@0.1.0;
            }
        ",
        world: "parigot:rust-sdk/all",
        // The world is in another package than its interfaces: generate them all here.
        generate_all,
    });
}

/// Implements `From<$ty> for $target` as `$target::$case($convert(value))`, one line a type.
macro_rules! value_from {
    ($target:ident: $($ty:ty => $case:ident($convert:expr)),* $(,)?) => {
        $(impl From<$ty> for $target {
            fn from(value: $ty) -> $target {
                $target::$case($convert(value))
            }
        })*
    };
}

pub mod context;
pub mod log;
pub mod sim;
pub mod sqlite;
pub mod test;
