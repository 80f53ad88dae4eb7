//! `parigot-host test`: test components written in guest languages, each test in fresh
//! instances, reported like `cargo test`, failures with both values and the captured log; a
//! test that traps or loops fails with its cause and the others go on.

use crate::support::{Wos, component, host, repo};

/// The pricing service with the broken test component, whose tests stop at 300 ms.
fn broken() -> Wos {
    Wos::new(&format!(
        "manifest-version = 1\nname = \"broken\"\n[services.pricing]\ncomponent = {:?}\n\
         [tests.broken]\ncomponent = {:?}\n[tests.broken.limits]\ndeadline-ms = 300\n",
        component("pricing").display().to_string(),
        component("broken-tests").display().to_string()
    ))
}

#[test]
fn the_repositorys_guest_tests_pass() {
    let wos = repo().join("tests/pricing/wos.toml");
    let run = host(&["test", wos.to_str().unwrap()]).expect_code(0);
    assert!(run.stdout.starts_with("running 5 tests\ntest pricing-rust::lines_add_up ... ok\n"), "{}", run.stdout);
    assert!(run.stdout.ends_with("test result: ok. 5 passed, 0 failed\n"), "{}", run.stdout);
}

#[test]
fn failures_show_both_values_the_cause_and_the_captured_log() {
    let wos = broken();
    let run = host(&["test", wos.path().to_str().unwrap()]).expect_code(1);
    let out = &run.stdout;
    for line in [
        "test broken::passes ... ok\n",
        "test broken::compares_wrongly ... FAILED\n",
        "test broken::panics ... FAILED\n",
        "test broken::loops ... FAILED\n",
        "test broken::passes_after_the_others ... ok\n",
        "---- broken::compares_wrongly ----\npricing::initial(\"Vinny\") != Some('W') (at guests/rust/broken-tests/src/lib.rs:",
        "  expected: Some('W')\n  actual:   Some('V')\n",
        "  broken | about to compare\n",
        "test result: FAILED. 2 passed, 3 failed\n",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    let panics = &out[out.find("---- broken::panics ----").unwrap()..];
    assert!(panics.contains("crashed: service `broken` trapped"), "{panics}");
    assert!(panics.contains("a test that panics"), "the panic message is in the captured log: {panics}");
    let loops = &out[out.find("---- broken::loops ----").unwrap()..];
    assert!(loops.contains("deadline"), "{loops}");
}

#[test]
fn a_filter_picks_tests_and_junit_writes_them_down() {
    let wos = broken();
    let junit = wos.path().with_file_name("junit.xml");
    let run =
        host(&["test", wos.path().to_str().unwrap(), "passes", "--junit", junit.to_str().unwrap(), "--seed", "7"])
            .expect_code(0);
    assert!(run.stdout.starts_with("running 2 tests\n"), "{}", run.stdout);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite name=\"broken\" tests=\"2\" failures=\"0\">"), "{xml}");
    assert!(xml.contains("<testcase classname=\"broken\" name=\"passes_after_the_others\"/>"), "{xml}");
}

#[test]
fn a_wos_without_tests_is_an_error() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[services.pricing]\ncomponent = {:?}\n",
        component("pricing").display().to_string()
    ));
    host(&["test", wos.path().to_str().unwrap()])
        .expect_code(78)
        .expect_stderr(&["has no tests: add a `[tests.NAME]` table"]);
}
