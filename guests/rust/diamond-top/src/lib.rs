//! Test service in Rust: the top of the diamond test, calling `left` and `right`.

wit_bindgen::generate!({
    path: "../../wit/testing",
    world: "diamond-top",
});

use parigot::testing::{left, right};

struct Top;

impl exports::parigot::testing::top::Guest for Top {
    fn both() -> u32 {
        left::via_left() + right::via_right()
    }
}

export!(Top);
