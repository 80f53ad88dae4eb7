//! Benchmark callee in Rust: `describe` as the plain echo does, plus, by the point's label,
//! reading the call's context (`ctx`) or logging one structured line (`log`) through the SDK,
//! so a benchmark measures what observing a call costs.

wit_bindgen::generate!({
    path: "../../wit/bench",
    world: "echo-service",
});

use exports::parigot::bench::echo::{Guest, Point};

struct Observed;

impl Guest for Observed {
    fn describe(p: Point) -> String {
        match p.label.as_str() {
            "ctx" => {
                let ctx = parigot::context::current();
                format!("{} ({}, {}) in {}", p.label, p.x, p.y, ctx.span_id)
            }
            "log" => {
                parigot::info!("described a point"; "x" => p.x, "y" => p.y);
                format!("{} ({}, {})", p.label, p.x, p.y)
            }
            _ => format!("{} ({}, {})", p.label, p.x, p.y),
        }
    }

    fn echo_text(text: String) -> String {
        text
    }
}

export!(Observed);
