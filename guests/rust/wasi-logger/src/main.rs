//! Logs one line at every level of `wasi:logging`, with the level's name as the context, so a
//! test can check how parigot renders each.

wit_bindgen::generate!({
    path: "../../wit/wasi-logger",
    world: "wasi-logger",
    generate_all,
});

use wasi::logging::logging::{Level, log};

fn main() {
    for (level, name) in [
        (Level::Trace, "trace"),
        (Level::Debug, "debug"),
        (Level::Info, "info"),
        (Level::Warn, "warn"),
        (Level::Error, "error"),
        (Level::Critical, "critical"),
    ] {
        log(level, name, &format!("a {name} line"));
    }
}
