//! The entry program of the hello example. For every name on its command line (or "world"),
//! it asks the greeter service for a greeting and prints the greeting, the route it took and
//! the trace id every hop of the call shares (read from parigot's per-call context).

wit_bindgen::generate!({
    path: "../wit",
    world: "entry",
});

use example::hello::greeter;
use example::hello::types::GreetingRequest;

/// Used when the wos passes no `EXCITEMENT` variable.
const DEFAULT_EXCITEMENT: u8 = 1;

fn main() {
    let excitement = std::env::var("EXCITEMENT").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_EXCITEMENT);
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names.push("world".to_string());
    }
    let ctx = parigot::context::current();
    parigot::info!("greeting {} name(s)", names.len(); "span" => ctx.span_id.as_str());
    for name in names {
        let greeting = greeter::greet(&GreetingRequest { name, excitement });
        let mut route = vec!["entry (rust)".to_string()];
        route.extend(greeting.trail);
        println!("{}", greeting.text);
        println!("  route: {}", route.join(" -> "));
        println!("  trace: {}", ctx.trace_id);
    }
}
