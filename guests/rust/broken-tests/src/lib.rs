//! A test component (the pricing tests' world) whose tests fail in every way a test can: a
//! failed comparison, a panic, a loop past the deadline, memory past the limit; and one that
//! passes and logs.

wit_bindgen::generate!({
    path: "../../../tests/pricing/wit",
    world: "parigot:pricing-tests/pricing-tests",
    generate_all,
});

use crate::parigot::testing::pricing;
use ::parigot::test::TestResult;

fn passes() -> TestResult {
    ::parigot::info!("pricing an initial");
    ::parigot::check_eq!(pricing::initial("Vinny"), Some('V'));
    Ok(())
}

fn compares_wrongly() -> TestResult {
    println!("about to compare");
    ::parigot::check_eq!(pricing::initial("Vinny"), Some('W'));
    Ok(())
}

fn panics() -> TestResult {
    panic!("a test that panics");
}

fn loops() -> TestResult {
    let mut turns = 0u64;
    loop {
        turns = std::hint::black_box(turns + 1);
    }
}

fn eats_memory() -> TestResult {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1; 1 << 20]);
        std::hint::black_box(&hoard);
    }
}

fn passes_after_the_others() -> TestResult {
    ::parigot::check!(pricing::initial("").is_none());
    Ok(())
}

::parigot::tests!(passes, compares_wrongly, panics, loops, eats_memory, passes_after_the_others);
