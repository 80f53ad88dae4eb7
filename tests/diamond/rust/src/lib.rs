//! Tests of the diamond's top service in Rust: `left` is real, `right` a mock whose answers
//! each test queues, and whose calls it checks afterwards; the mocked `pricing` answers by
//! arguments and records typed calls.

wit_bindgen::generate!({
    path: "../wit",
    world: "parigot:diamond-tests/diamond-tests",
    additional_derives: [PartialEq],
    generate_all,
});

use crate::parigot::mock::parigot_testing_pricing as pricing_mock;
use crate::parigot::mock::parigot_testing_right as right_mock;
use crate::parigot::test::{mocks, session};
use crate::parigot::testing::pricing::{self, Currency, Extras, Order, Quotation, QuoteError};
use crate::parigot::testing::{faults, top, users};
use ::parigot::check_eq;
use ::parigot::test::{Failure, TestResult};

const RIGHT: &str = "parigot:testing/right";

fn both_adds_the_real_left_and_the_mocked_right() -> TestResult {
    right_mock::when_via_right(40);
    // left: b asks d, a fresh instance, for its first ping.
    check_eq!(top::both(), 41);
    check_eq!(right_mock::via_right_calls(), 1);
    Ok(())
}

fn every_test_starts_with_no_answers_and_no_calls() -> TestResult {
    check_eq!(right_mock::via_right_calls(), 0);
    check_eq!(pricing_mock::quote_calls().len(), 0);
    Ok(())
}

fn wave_answers_and_calls_steer_the_same_mock() -> TestResult {
    mocks::answer(RIGHT, "via-right", "2").map_err(Failure::new)?;
    check_eq!(top::both(), 3);
    check_eq!(mocks::calls(RIGHT, "via-right"), vec!["()".to_owned()]);
    check_eq!(right_mock::via_right_calls(), 1);
    Ok(())
}

fn order(customer: &str) -> Order {
    Order {
        customer: customer.into(),
        currency: Currency::Eur,
        lines: Vec::new(),
        coupon: None,
        extras: Extras::empty(),
    }
}

fn a_typed_mock_answers_by_arguments_then_in_order() -> TestResult {
    let quotation =
        Quotation { total_cents: 1250, currency: Currency::Eur, notes: vec!["mocked".into()], reference: vec![1, 2] };
    pricing_mock::when_quote_with(&order("vinny"), Err(&QuoteError::UnknownCoupon("NOPE".into())));
    pricing_mock::when_quote(Ok(&quotation));
    check_eq!(pricing::quote(&order("ada")), Ok(quotation.clone()));
    check_eq!(pricing::quote(&order("vinny")), Err(QuoteError::UnknownCoupon("NOPE".into())));
    check_eq!(pricing::quote(&order("vinny")), Err(QuoteError::UnknownCoupon("NOPE".into())));
    pricing_mock::when_initial_with("zoë", Some('Z'));
    check_eq!(pricing::initial("zoë"), Some('Z'));
    Ok(())
}

fn a_typed_mock_records_each_call_with_its_arguments() -> TestResult {
    pricing_mock::when_quote(Err(&QuoteError::EmptyOrder));
    pricing_mock::when_quote(Err(&QuoteError::TooLarge(7)));
    let _ = pricing::quote(&order("ada"));
    let _ = pricing::quote(&order("bob"));
    let customers: Vec<String> = pricing_mock::quote_calls().into_iter().map(|call| call.order.customer).collect();
    check_eq!(customers, vec!["ada".to_owned(), "bob".to_owned()]);
    Ok(())
}

fn calls_run_as_the_user_the_test_logs_in_as() -> TestResult {
    check_eq!(users::whoami(), None);
    session::log_in_as(Some("vinny"));
    check_eq!(users::whoami(), Some("vinny".to_owned()));
    check_eq!(users::members_only(), Ok("vinny".to_owned()));
    session::log_in_as(None);
    check_eq!(users::whoami(), None);
    Ok(())
}

fn a_failed_call_is_caught_and_the_calls_after_it_are_not_made() -> TestResult {
    let caught = ::parigot::sim::attempt(|| {
        faults::crash("on purpose");
        top::both()
    });
    let Err(failure) = caught else { return Err(Failure::new("the crash was not caught")) };
    check_eq!(
        (failure.service.as_str(), failure.function.as_str(), failure.kind.as_str()),
        ("d", "parigot:testing/faults@0.1.0#crash", "trap")
    );
    // `both` was not called: it would have asked the mocked right.
    check_eq!(right_mock::via_right_calls(), 0);
    // The test goes on, and d answers again, from a fresh instance.
    check_eq!(::parigot::sim::attempt(faults::ping).map_err(|failure| Failure::new(failure.message))?, 1);
    check_eq!(::parigot::sim::injected().len(), 0);
    Ok(())
}

fn faults_the_simulation_injects_are_caught_and_named() -> TestResult {
    // Under `--sim` (the wos's `[sim]` traps calls into d: b's, on the way left), some of
    // these calls fail.
    for _ in 0..8 {
        right_mock::when_via_right(1);
        if let Err(failure) = ::parigot::sim::attempt(top::both) {
            let injected = ::parigot::sim::injected();
            let last = injected.last().ok_or_else(|| Failure::new(format!("{failure}, with no fault injected")))?;
            check_eq!((last.kind.as_str(), last.service.as_str()), ("call-trap", "d"));
            check_eq!((failure.kind.as_str(), failure.service.as_str()), ("trap", "d"));
        }
    }
    Ok(())
}

::parigot::tests!(
    both_adds_the_real_left_and_the_mocked_right,
    every_test_starts_with_no_answers_and_no_calls,
    wave_answers_and_calls_steer_the_same_mock,
    a_typed_mock_answers_by_arguments_then_in_order,
    a_typed_mock_records_each_call_with_its_arguments,
    calls_run_as_the_user_the_test_logs_in_as,
    a_failed_call_is_caught_and_the_calls_after_it_are_not_made,
    faults_the_simulation_injects_are_caught_and_named
);
