//! Test service in Rust: loops, hogs memory or panics when asked to (parigot:testing/faults),
//! and tells who calls it (parigot:testing/users, through the SDK's context).

wit_bindgen::generate!({
    path: "../../wit/testing",
    world: "faulty",
    // The SDK's imports (parigot:sdk/imports) too; the service reads its context through the SDK.
    generate_all,
});

use exports::parigot::testing::faults::Guest;
use std::sync::atomic::{AtomicU32, Ordering};

/// Calls of `ping` since this instance started.
static PINGS: AtomicU32 = AtomicU32::new(0);

struct Faulty;

impl Guest for Faulty {
    fn ping() -> u32 {
        PINGS.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn spin() -> u64 {
        let mut turns: u64 = 0;
        loop {
            turns = std::hint::black_box(turns.wrapping_add(1));
        }
    }

    fn hog(mib: u32) -> u64 {
        let mut kept: Vec<Vec<u8>> = Vec::new();
        for _ in 0..mib {
            kept.push(vec![1u8; 1 << 20]); // non-zero, so every page is written
        }
        std::hint::black_box(&kept);
        kept.iter().map(|chunk| chunk.len() as u64).sum()
    }

    fn crash(message: String) -> String {
        panic!("asked to crash: {message}")
    }

    fn weigh(data: Vec<u8>) -> u64 {
        data.iter().map(|&b| u64::from(b)).sum()
    }

    fn sleep(ms: u32) -> u32 {
        std::thread::sleep(std::time::Duration::from_millis(ms.into()));
        ms
    }

    fn flood(lines: u32) -> u32 {
        for n in 0..lines {
            println!("flood line {n}");
        }
        lines
    }

    fn recurse(depth: u32) -> u32 {
        deeper(depth, [0u8; 256])
    }

    fn open_files(folder: String, count: u32) -> u32 {
        let mut open = Vec::new();
        for n in 0..count {
            match std::fs::File::create(format!("{folder}/f{n}")) {
                Ok(file) => open.push(file),
                Err(_) => break,
            }
        }
        open.len() as u32
    }
}

/// One frame of `recurse`, with a buffer the compiler cannot drop.
fn deeper(depth: u32, frame: [u8; 256]) -> u32 {
    let frame = std::hint::black_box(frame);
    if depth == 0 { u32::from(frame[0]) } else { deeper(depth - 1, frame) + 1 }
}

impl exports::parigot::testing::users::Guest for Faulty {
    fn whoami() -> Option<String> {
        ::parigot::context::current().user
    }

    fn members_only() -> Result<String, String> {
        ::parigot::context::require_user().map_err(|refused| refused.to_string())
    }
}

export!(Faulty);
