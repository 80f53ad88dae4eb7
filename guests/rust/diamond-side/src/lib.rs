//! Test service in Rust: a side of the diamond test, passing calls on to `faults` below.

wit_bindgen::generate!({
    path: "../../wit/testing",
    world: "diamond-side",
});

use parigot::testing::faults;

struct Side;

impl exports::parigot::testing::left::Guest for Side {
    fn via_left() -> u32 {
        faults::ping()
    }
}

impl exports::parigot::testing::right::Guest for Side {
    fn via_right() -> u32 {
        faults::ping()
    }
}

export!(Side);
