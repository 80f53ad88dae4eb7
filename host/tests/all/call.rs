//! Ad-hoc calls: `parigot-host call WOS 'ns:pkg/iface.func(args)'`, arguments and results in
//! WAVE, against real services; errors point at what is wrong.

use crate::support::{LANGUAGES, Wos, component, host, host_with_input};

fn wos() -> Wos {
    Wos::new(&format!(
        "manifest-version = 1\n[services.pricing]\ncomponent = {:?}\n[services.faulty]\ncomponent = {:?}\n",
        component("pricing").display().to_string(),
        component("faulty-go").display().to_string()
    ))
}

fn call(wos: &Wos, expression: &str, extra: &[&str]) -> crate::support::Run {
    host(&[&["call", wos.path().to_str().unwrap(), expression][..], extra].concat())
}

#[test]
fn a_call_takes_and_prints_wave_values() {
    let wos = wos();
    let run = call(&wos, "parigot:testing/pricing.initial(\"Zoë\")", &[]).expect_code(0);
    assert_eq!(run.stdout, "some('Z')\n");
    // The version either after the interface or, as WAVE writes it, after the function.
    for name in ["parigot:testing/faults@0.1.0.ping", "parigot:testing/faults.ping@0.1.0"] {
        assert_eq!(call(&wos, &format!("{name}()"), &[]).expect_code(0).stdout, "1\n", "{name}");
    }
    let order = "parigot:testing/pricing.quote({customer: \"ada\", currency: usd, \
                 lines: [{sku: \"tea\", quantity: 3, unit-cents: 250}], coupon: some(\"HALF\"), extras: {gift-wrap}})";
    let quoted = call(&wos, order, &[]).expect_code(0).stdout;
    assert!(quoted.starts_with("ok({total-cents: "), "{quoted}");
    assert!(quoted.contains("currency: usd"), "{quoted}");
    let empty = "parigot:testing/pricing.quote({customer: \"ada\", currency: eur, lines: [], extras: {}})";
    assert_eq!(call(&wos, empty, &[]).expect_code(0).stdout, "err(empty-order)\n", "a trailing option may be left out");
}

#[test]
fn a_call_runs_as_the_user_given() {
    let wos = wos();
    host_with_input(&["user", "add", wos.path().to_str().unwrap(), "ada"], "lovelace\n").expect_code(0);
    assert_eq!(
        call(&wos, "parigot:testing/users.whoami()", &["--user", "ada"]).expect_code(0).stdout,
        "some(\"ada\")\n"
    );
    assert_eq!(call(&wos, "parigot:testing/users.whoami()", &[]).expect_code(0).stdout, "none\n");
}

#[test]
fn bad_calls_are_errors_that_say_what_and_where() {
    let wos = wos();
    let cases = [
        (
            "parigot:testing/pricing.initial(42)",
            "argument 1 (`name`) must be a WAVE value of type `string`, for example `\"text\"`: invalid value type, \
             at column 33:\n  parigot:testing/pricing.initial(42)\n                                  ^",
        ),
        ("parigot:testing/pricing.initial(\"a\"", "at column 36"),
        (
            "parigot:testing/pricing.initial(\"a\", \"b\")",
            "`initial` takes (name: string), for example `initial(\"text\")`, at column",
        ),
        (
            "parigot:testing/pricing.quote({customer: 1})",
            "argument 1 (`order`) must be a WAVE value of type `record { customer: string, currency: enum { eur, usd, \
             gbp }",
        ),
        (
            "parigot:testing/pricing.nothing()",
            "`parigot:testing/pricing@0.1.0` has no function `nothing`; it has `quote`, `initial`",
        ),
        ("example:none/here.f()", "no service of wos `"),
        ("ping()", "expected `namespace:package/interface.function` before the arguments"),
        ("parigot:testing/faults.ping", "is not a call"),
    ];
    for (expression, expected) in cases {
        let run = call(&wos, expression, &[]).expect_code(78);
        assert!(run.stderr.contains(expected), "{expression}:\n{}", run.stderr);
    }
    // A guest that fails exits as a failed program does, naming the service and function.
    call(&wos, "parigot:testing/faults.crash(\"on purpose\")", &[])
        .expect_code(70)
        .expect_stderr(&["service `faulty`", "parigot:testing/faults@0.1.0#crash"]);
}

/// The diamond's top service with its `right` mocked: `answers` are the mock's queue.
fn mocked_diamond(answers: &str) -> Wos {
    Wos::new(&format!(
        "manifest-version = 1\n[services.top]\ncomponent = {:?}\nlinks = {{ \"parigot:testing/left\" = \"b\" }}\n\
         [services.b]\ncomponent = {:?}\n[services.d]\ncomponent = {:?}\n\
         [mocks.\"parigot:testing/right\"]\nvia-right = {answers}\n",
        component("diamond-top").display().to_string(),
        component("diamond-side").display().to_string(),
        component("faulty-rust").display().to_string()
    ))
}

#[test]
fn a_mocked_interface_answers_from_the_wos_and_an_unexpected_call_names_its_arguments() {
    // left is real (b asks d for its first ping: 1), right answers 40.
    assert_eq!(call(&mocked_diamond("[\"40\"]"), "parigot:testing/top.both()", &[]).expect_code(0).stdout, "41\n");
    call(&mocked_diamond("[]"), "parigot:testing/top.both()", &[])
        .expect_code(70)
        .expect_stderr(&["unexpected call of the mock `parigot:testing/right#via-right()`: it has no answer left"]);
    call(&mocked_diamond("[\"\\\"forty\\\"\"]"), "parigot:testing/top.both()", &[])
        .expect_code(70)
        .expect_stderr(&["the mock's answer `\"forty\"` for `parigot:testing/right#via-right` is not its result type"]);
}

/// A linked import of plain values (`echo-text`, a string in and out) is forwarded with typed
/// values and one of a record (`describe`) with dynamic ones; both reach a callee in each
/// language and answer what it returned.
#[test]
fn linked_calls_of_plain_and_record_signatures_reach_every_language() {
    for language in LANGUAGES {
        let wos = Wos::new(&format!(
            "manifest-version = 1\n[services.driver]\ncomponent = {:?}\n[services.echo]\ncomponent = {:?}\n",
            component("bench-driver").display().to_string(),
            component(&format!("bench-echo-{language}")).display().to_string(),
        ));
        let text = call(&wos, "parigot:bench/driver.run-text(3)", &[]).expect_code(0);
        assert_eq!(text.stdout, "\"text\"\n", "{language}");
        let record = call(&wos, "parigot:bench/driver.run-labelled(2, \"q\")", &[]).expect_code(0);
        assert_eq!(record.stdout, "\"q (1, -1)\"\n", "{language}");
    }
}
