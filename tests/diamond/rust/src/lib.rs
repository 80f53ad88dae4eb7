//! Tests of the diamond's top service in Rust: `left` is real, `right` a mock whose answers
//! each test queues, and whose calls it checks afterwards.

wit_bindgen::generate!({
    path: "../wit",
    world: "parigot:diamond-tests/diamond-tests",
    generate_all,
});

use crate::parigot::test::mocks;
use crate::parigot::testing::top;
use ::parigot::check_eq;
use ::parigot::test::{Failure, TestResult};

const RIGHT: &str = "parigot:testing/right";

fn both_adds_the_real_left_and_the_mocked_right() -> TestResult {
    mocks::answer(RIGHT, "via-right", "40").map_err(Failure::new)?;
    // left: b asks d, a fresh instance, for its first ping.
    check_eq!(top::both(), 41);
    check_eq!(mocks::calls(RIGHT, "via-right"), vec!["()".to_owned()]);
    Ok(())
}

fn every_test_starts_with_no_answers_and_no_calls() -> TestResult {
    check_eq!(mocks::calls(RIGHT, "via-right"), Vec::<String>::new());
    Ok(())
}

::parigot::tests!(both_adds_the_real_left_and_the_mocked_right, every_test_starts_with_no_answers_and_no_calls);
