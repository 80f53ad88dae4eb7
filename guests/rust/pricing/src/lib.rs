//! Test service in Rust: prices an order (parigot:testing/pricing), for the gRPC/Connect tests.
//!
//! `quote` rules, applied in this order:
//! - no lines: `empty-order`;
//! - subtotal = sum of quantity * unit-cents; on overflow `too-large(u64::MAX)`;
//! - coupon `HALF` halves the subtotal (integer division); any other code: `unknown-coupon`;
//! - extras: gift wrap +250, then express +900;
//! - a total above 100 000 000 cents: `too-large(total)`.
//!
//! The quote's reference is the FNV-1a 64 hash of the customer's name, big-endian.

wit_bindgen::generate!({
    path: "../../wit/testing",
    world: "pricing-service",
});

use exports::parigot::testing::pricing::{Extras, Guest, Order, Quotation, QuoteError};

/// The largest total `quote` accepts, in cents.
const MAX_TOTAL: u64 = 100_000_000;

struct Pricing;

impl Guest for Pricing {
    fn quote(order: Order) -> Result<Quotation, QuoteError> {
        if order.lines.is_empty() {
            return Err(QuoteError::EmptyOrder);
        }
        let overflow = || QuoteError::TooLarge(u64::MAX);
        let mut total = order.lines.iter().try_fold(0u64, |sum, line| {
            u64::from(line.quantity)
                .checked_mul(line.unit_cents)
                .and_then(|cost| sum.checked_add(cost))
                .ok_or_else(overflow)
        })?;
        let mut notes = Vec::new();
        match order.coupon.as_deref() {
            None => {}
            Some("HALF") => {
                total /= 2;
                notes.push("coupon HALF: -50%".to_string());
            }
            Some(code) => return Err(QuoteError::UnknownCoupon(code.to_string())),
        }
        for (extra, cents, note) in
            [(Extras::GIFT_WRAP, 250, "gift wrap: +250"), (Extras::EXPRESS, 900, "express: +900")]
        {
            if order.extras.contains(extra) {
                total = total.checked_add(cents).ok_or_else(overflow)?;
                notes.push(note.to_string());
            }
        }
        if total > MAX_TOTAL {
            return Err(QuoteError::TooLarge(total));
        }
        Ok(Quotation {
            total_cents: total,
            currency: order.currency,
            notes,
            reference: fnv1a64(order.customer.as_bytes()).to_be_bytes().to_vec(),
        })
    }

    fn initial(name: String) -> Option<char> {
        name.chars().next()
    }
}

/// The 64-bit FNV-1a hash of `bytes`.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
}

export!(Pricing);
