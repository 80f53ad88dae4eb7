//! Integration tests of `parigot-host`: real components built from guests/ and examples/ by
//! `make guests`, a real wasmtime, the real binary. One test binary, a module per topic.

mod bad_input;
mod budgets;
mod build;
mod call;
mod chaos;
mod compile_cache;
mod compose;
mod context_log;
mod dashboard;
mod deploy;
mod determinism;
mod dev;
mod durability;
mod files;
mod hello;
mod javascript;
mod kernel;
mod new;
mod otlp;
mod serve;
mod sim;
mod split;

mod sqlite;
mod support;
mod telemetry;
mod test_runner;
mod typed_queries;
mod users;
mod vvv;
mod wire;
