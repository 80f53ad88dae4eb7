//! Benchmark driver: `run(n)` calls the imported `parigot:bench/echo.describe` `n` times (and
//! `run-text(n)` its `echo-text`), so a benchmark measures `n` linked calls with a single entry
//! from the host.

wit_bindgen::generate!({
    path: "../../wit/bench",
    world: "driver-service",
});

use exports::parigot::bench::driver::Guest;
use parigot::bench::echo::{Point, describe, echo_text};

struct Driver;

impl Guest for Driver {
    fn run(n: u32) -> String {
        Self::run_labelled(n, "p".to_string())
    }

    fn run_labelled(n: u32, label: String) -> String {
        let mut last = String::new();
        for i in 0..n {
            let point = Point { x: i as i32, y: -(i as i32), label: label.clone() };
            last = describe(&point);
        }
        last
    }

    fn run_text(n: u32) -> String {
        let mut last = String::new();
        for _ in 0..n {
            last = echo_text("text");
        }
        last
    }
}

export!(Driver);
