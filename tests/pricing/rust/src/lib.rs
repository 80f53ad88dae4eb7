//! Tests of the pricing service in Rust: each runs in fresh instances, through the service's
//! WIT interface, checked with the SDK's `check_eq!`.

wit_bindgen::generate!({
    path: "../wit",
    world: "parigot:pricing-tests/pricing-tests",
    generate_all,
    additional_derives: [PartialEq],
});

// `::parigot` is the SDK; `crate::parigot` the bindings of the `parigot:` packages.
use crate::parigot::testing::pricing::{self, Currency, Extras, Line, Order, QuoteError};
use ::parigot::check_eq;
use ::parigot::test::{Failure, TestResult};

fn order(lines: Vec<Line>, coupon: Option<&str>, extras: Extras) -> Order {
    Order { customer: "ada".into(), currency: Currency::Usd, lines, coupon: coupon.map(Into::into), extras }
}

fn tea(quantity: u32) -> Line {
    Line { sku: "tea".into(), quantity, unit_cents: 250 }
}

fn quoted(order: &Order) -> Result<pricing::Quotation, Failure> {
    pricing::quote(order).map_err(|error| Failure::new(format!("the quote failed: {error:?}")))
}

fn lines_add_up() -> TestResult {
    let quote =
        quoted(&order(vec![tea(3), Line { sku: "cake".into(), quantity: 1, unit_cents: 400 }], None, Extras::empty()))?;
    check_eq!(quote.total_cents, 1150);
    check_eq!(quote.currency, Currency::Usd);
    Ok(())
}

fn half_coupon_halves() -> TestResult {
    let quote = quoted(&order(vec![tea(4)], Some("HALF"), Extras::empty()))?;
    check_eq!(quote.total_cents, 500);
    Ok(())
}

fn unknown_coupon_is_refused() -> TestResult {
    let refused = pricing::quote(&order(vec![tea(1)], Some("FREE"), Extras::empty()));
    check_eq!(refused.err(), Some(QuoteError::UnknownCoupon("FREE".into())));
    Ok(())
}

fn empty_order_is_refused() -> TestResult {
    check_eq!(pricing::quote(&order(vec![], None, Extras::empty())).err(), Some(QuoteError::EmptyOrder));
    Ok(())
}

fn initial_is_the_first_character() -> TestResult {
    check_eq!(pricing::initial("Zoë"), Some('Z'));
    check_eq!(pricing::initial(""), None);
    Ok(())
}

::parigot::tests!(
    lines_add_up,
    half_coupon_halves,
    unknown_coupon_is_refused,
    empty_order_is_refused,
    initial_is_the_first_character
);
