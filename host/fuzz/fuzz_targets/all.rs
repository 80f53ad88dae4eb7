//! Runs the fuzz target named by `PARIGOT_FUZZ_TARGET` (one of
//! `parigot_host::fuzzing::TARGETS`) under libFuzzer.

#![no_main]

use parigot_host::fuzzing::{TARGETS, Target};
use std::sync::OnceLock;

fn target() -> &'static Target {
    static TARGET: OnceLock<&'static Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let name = std::env::var("PARIGOT_FUZZ_TARGET").unwrap_or_default();
        TARGETS.iter().find(|target| target.name == name).unwrap_or_else(|| {
            let names: Vec<&str> = TARGETS.iter().map(|target| target.name).collect();
            eprintln!("set PARIGOT_FUZZ_TARGET to one of: {}", names.join(", "));
            std::process::exit(2)
        })
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| (target().run)(data));
