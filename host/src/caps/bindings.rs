//! The host's bindings of parigot's WIT packages (`wit/` at the repository root): one
//! `bindgen!` for every capability, whose implementations live in each capability's folder.

wasmtime::component::bindgen!({
    path: ["../wit/context", "../wit/log", "../wit/wasi-logging", "../wit/sqlite"],
    inline: "
        package parigot:host;

        /// Everything the host implements for guests.
        world host {
            import parigot:context/pctx@0.1.0;
            import parigot:log/log@0.1.0;
            import wasi:logging/logging@0.1.0-draft;
            import parigot:sqlite/sqlite@0.1.0;
        }
    ",
    // Reading the context outside a call is a host bug, not a guest mistake: it traps. A
    // statement runs on the host's SQLite threads while its guest waits, and one interrupted
    // at the call's deadline traps as guest code does.
    imports: { "parigot:context/pctx": trappable, "parigot:sqlite/sqlite": async | trappable },
});

pub use parigot::context::pctx as context;
pub use parigot::log::log;
pub use parigot::sqlite::sqlite;
pub use wasi::logging::logging as wasi_logging;
