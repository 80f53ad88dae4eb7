//! Test service in Rust: exports `parigot:testing/faults` and `users` and passes every call on
//! to its import of the same interface (on another host, in the tests: two relays linked to each
//! other make a loop).

wit_bindgen::generate!({
    path: "../../wit/testing",
    world: "faults-relay",
});

use parigot::testing::{faults, users};

struct Relay;

impl exports::parigot::testing::faults::Guest for Relay {
    fn ping() -> u32 {
        faults::ping()
    }

    fn spin() -> u64 {
        faults::spin()
    }

    fn hog(mib: u32) -> u64 {
        faults::hog(mib)
    }

    fn crash(message: String) -> String {
        faults::crash(&message)
    }

    fn sleep(ms: u32) -> u32 {
        faults::sleep(ms)
    }

    fn weigh(data: Vec<u8>) -> u64 {
        faults::weigh(&data)
    }

    fn flood(lines: u32) -> u32 {
        faults::flood(lines)
    }

    fn recurse(depth: u32) -> u32 {
        faults::recurse(depth)
    }

    fn open_files(folder: String, count: u32) -> u32 {
        faults::open_files(&folder, count)
    }
}

impl exports::parigot::testing::users::Guest for Relay {
    fn whoami() -> Option<String> {
        users::whoami()
    }

    fn members_only() -> Result<String, String> {
        users::members_only()
    }
}

export!(Relay);
