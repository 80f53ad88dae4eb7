//! Tests that `parigot-host test` runs: plain functions that return [`TestResult`], checked
//! with [`check!`](crate::check) and [`check_eq!`](crate::check_eq) (which report both values
//! and where), registered with [`tests!`](crate::tests), which implements the
//! `parigot:test/tests` export of the crate's world.
//!
//! ```ignore
//! wit_bindgen::generate!({ path: "../wit", world: "pricing-tests", generate_all });
//!
//! fn quotes_a_line() -> parigot::test::TestResult {
//!     let quote = pricing::quote(&order()).map_err(|e| parigot::test::Failure::new(format!("{e:?}")))?;
//!     parigot::check_eq!(quote.total_cents, 750);
//!     Ok(())
//! }
//!
//! parigot::tests!(quotes_a_line);
//! ```
//!
//! A test that panics fails too (the host reports the trap and the panic message from the
//! captured log), and the others still run, each in fresh instances of the services.

/// Why a test failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    /// For a failed comparison: the value expected, and the one found (`Debug`-formatted).
    pub expected: Option<String>,
    pub actual: Option<String>,
    /// `file:line` of the failed check.
    pub location: Option<String>,
}

impl Failure {
    /// A failure with `message` alone.
    pub fn new(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), expected: None, actual: None, location: None }
    }
}

/// What a test returns.
pub type TestResult = Result<(), Failure>;

/// Fails the test unless `condition` holds, naming the condition and where it is.
#[macro_export]
macro_rules! check {
    ($condition:expr $(,)?) => {
        if !$condition {
            return ::core::result::Result::Err($crate::test::Failure {
                message: ::std::format!("check failed: {}", ::core::stringify!($condition)),
                expected: None,
                actual: None,
                location: Some(::std::format!("{}:{}", ::core::file!(), ::core::line!())),
            });
        }
    };
}

/// Fails the test unless `actual == expected`, showing both values and where.
#[macro_export]
macro_rules! check_eq {
    ($actual:expr, $expected:expr $(,)?) => {
        match (&$actual, &$expected) {
            (actual, expected) => {
                if actual != expected {
                    return ::core::result::Result::Err($crate::test::Failure {
                        message: ::std::format!("{} != {}", ::core::stringify!($actual), ::core::stringify!($expected)),
                        expected: Some(::std::format!("{expected:?}")),
                        actual: Some(::std::format!("{actual:?}")),
                        location: Some(::std::format!("{}:{}", ::core::file!(), ::core::line!())),
                    });
                }
            }
        }
    };
}

/// Registers the test functions (each `fn() -> TestResult`) as the crate's
/// `parigot:test/tests` export: the crate's `wit_bindgen::generate!` must export that
/// interface (its world includes `parigot:test/test-component@0.1.0`).
#[macro_export]
macro_rules! tests {
    ($($test:ident),+ $(,)?) => {
        struct ParigotTests;

        impl exports::parigot::test::tests::Guest for ParigotTests {
            fn names() -> ::std::vec::Vec<::std::string::String> {
                ::std::vec![$(::std::string::String::from(::core::stringify!($test))),+]
            }

            fn run(name: ::std::string::String) -> ::core::result::Result<(), exports::parigot::test::tests::Failure> {
                let outcome: $crate::test::TestResult = match name.as_str() {
                    $(::core::stringify!($test) => $test(),)+
                    other => ::core::result::Result::Err($crate::test::Failure::new(::std::format!("no test `{other}`"))),
                };
                outcome.map_err(|failure| exports::parigot::test::tests::Failure {
                    message: failure.message,
                    expected: failure.expected,
                    actual: failure.actual,
                    location: failure.location,
                })
            }
        }

        export!(ParigotTests);
    };
}
