//! Benchmark callee in Rust: `describe` formats a small record into a short string.

wit_bindgen::generate!({
    path: "../../wit/bench",
    world: "echo-service",
});

use exports::parigot::bench::echo::{Guest, Point};

struct Echo;

impl Guest for Echo {
    fn describe(p: Point) -> String {
        format!("{} ({}, {})", p.label, p.x, p.y)
    }

    fn echo_text(text: String) -> String {
        text
    }
}

export!(Echo);
