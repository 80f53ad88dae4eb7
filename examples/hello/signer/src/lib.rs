//! The signer service of the hello example: appends a 32-bit FNV-1a digest of the text it is
//! given, so the output shows that the text really passed through Rust code.

wit_bindgen::generate!({
    path: "../wit",
    world: "signer-service",
});

use example::hello::types::Stamped;
use exports::example::hello::signer::Guest;

struct Signer;

impl Guest for Signer {
    fn sign(text: String) -> Stamped {
        let digest = fnv1a(text.as_bytes());
        let ctx = parigot::context::current();
        let greeted = ctx.baggage("greeted").unwrap_or_default();
        parigot::info!("signed {} byte(s)", text.len();
            "digest" => format!("{digest:08x}"), "greeted" => greeted,
            "span" => ctx.span_id.as_str(), "parent" => ctx.parent_span_id.as_deref().unwrap_or_default());
        Stamped { text: format!("{text} [signed {digest:08x}]"), trail: vec!["signer (rust)".to_string()] }
    }
}

/// The 32-bit FNV-1a hash: tiny, deterministic, and good enough to show a text was read.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, &b| (hash ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

export!(Signer);
