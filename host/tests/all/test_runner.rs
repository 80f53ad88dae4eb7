//! `parigot-host test`: test components written in guest languages, each test in fresh
//! instances, reported like `cargo test`, failures with both values and the captured log; a
//! test that traps or loops fails with its cause and the others go on.

use crate::support::{WitSource, Wos, component, host, repo, trapping_component};

/// The pricing service with a broken test component (`broken-tests`, `broken-tests-go`...),
/// whose tests stop at 300 ms and 32 MiB.
fn broken(tests: &str) -> Wos {
    Wos::new(&format!(
        "manifest-version = 1\nname = \"broken\"\n[services.pricing]\ncomponent = {:?}\n\
         [tests.broken]\ncomponent = {:?}\n[tests.broken.limits]\ndeadline-ms = 300\nmemory-mib = 32\n",
        component("pricing").display().to_string(),
        component(tests).display().to_string()
    ))
}

#[test]
fn the_repositorys_guest_tests_pass() {
    let wos = repo().join("tests/pricing/wos.toml");
    let run = host(&["test", wos.to_str().unwrap()]).expect_code(0);
    for language in ["go", "js", "python", "rust"] {
        assert!(run.stdout.contains(&format!("test pricing-{language}::")), "{language}: {}", run.stdout);
    }
    assert!(!run.stdout.contains("FAILED"), "{}", run.stdout);
    assert!(run.stdout.ends_with(" failed\n") && run.stdout.contains(" passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn failures_show_both_values_the_cause_and_the_captured_log() {
    let wos = broken("broken-tests");
    let run = host(&["test", wos.path().to_str().unwrap()]).expect_code(1);
    let out = &run.stdout;
    for line in [
        "test broken::passes ... ok\n",
        "test broken::compares_wrongly ... FAILED\n",
        "test broken::panics ... FAILED\n",
        "test broken::loops ... FAILED\n",
        "test broken::eats_memory ... FAILED\n",
        "test broken::passes_after_the_others ... ok\n",
        "---- broken::compares_wrongly ----\npricing::initial(\"Vinny\") != Some('W') (at guests/rust/broken-tests/src/lib.rs:",
        "  expected: Some('W')\n  actual:   Some('V')\n",
        "  broken | about to compare\n",
        "test result: FAILED. 2 passed, 4 failed\n",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    let panics = &out[out.find("---- broken::panics ----").unwrap()..];
    assert!(panics.contains("crashed: service `broken` trapped"), "{panics}");
    assert!(panics.contains("a test that panics"), "the panic message is in the captured log: {panics}");
    let loops = &out[out.find("---- broken::loops ----").unwrap()..];
    assert!(loops.contains("deadline"), "{loops}");
    let eats = &out[out.find("---- broken::eats_memory ----").unwrap()..];
    assert!(eats.contains("more than its memory limit of 32 MiB"), "{eats}");
}

#[test]
fn go_tests_fail_with_both_values_with_fatalf_and_with_a_panic() {
    let wos = broken("broken-tests-go");
    let out = host(&["test", wos.path().to_str().unwrap()]).expect_code(1).stdout;
    for line in [
        "test broken::TestPasses ... ok\n",
        "---- broken::TestComparesWrongly ----\ngot 86, want 87 (at wit_component/export_parigot_test_tests/broken.go:",
        "  expected: 87\n  actual:   86\n",
        "---- broken::TestGivesUp ----\ngiving up after 3 tries (at ",
        "---- broken::TestPanics ----\ncrashed: service `broken` trapped",
        "index out of range [3] with length 0",
        "test result: FAILED. 1 passed, 3 failed\n",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    assert!(!out.contains("never reached"), "Fatalf ends the test: {out}");
}

#[test]
fn python_tests_fail_with_the_assertion_and_its_values() {
    let wos = broken("broken-tests-python");
    let out = host(&["test", wos.path().to_str().unwrap()]).expect_code(1).stdout;
    for line in [
        "test broken::test_passes ... ok\n",
        "---- broken::test_compares_wrongly ----\nassert initial == 'W' (at app.py:15)\n  expected: 'W'\n  actual:   'V'\n",
        "captured log:\n  broken | about to compare\n",
        "assert pricing.initial('') is not None: an empty name has no initial (at app.py:19)\n  actual:   None\n",
        "---- broken::test_raises ----\nraised KeyError: 'no such record' (at app.py:23)\n",
        "test result: FAILED. 1 passed, 3 failed\n",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
}

#[test]
fn javascript_tests_fail_with_both_values_where_the_check_is() {
    let wos = broken("broken-tests-js");
    let out = host(&["test", wos.path().to_str().unwrap()]).expect_code(1).stdout;
    for line in [
        "test broken::passes ... ok\n",
        "---- broken::compares wrongly ----\nvalues differ (at app.js:15)\n  expected: \"W\"\n  actual:   \"V\"\n",
        "captured log:\n  broken | about to compare\n",
        "---- broken::checks with a note ----\nexpected a true value: an empty name has no initial (at app.js:19)\n",
        "---- broken::throws ----\nthrew SyntaxError: JSON.parse: expected property name",
        "(at app.js:23)\n",
        "test result: FAILED. 1 passed, 3 failed\n",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
}

#[test]
fn a_filter_picks_tests_and_junit_writes_them_down() {
    let wos = broken("broken-tests");
    let junit = wos.path().with_file_name("junit.xml");
    let run = host(&[
        "test",
        wos.path().to_str().unwrap(),
        "--filter",
        "passes",
        "--junit",
        junit.to_str().unwrap(),
        "--seed",
        "7",
    ])
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

#[test]
fn the_typed_mock_control_is_generated_checked_and_named_when_it_cannot_be() {
    let mocks = "[mocks.\"parigot:testing/right\"]\n[mocks.\"parigot:testing/pricing\"]\n";
    let wos = Wos::new(&format!(
        "manifest-version = 1\nname = \"typed\"\n[services.top]\ncomponent = {:?}\n{mocks}[tests.t]\nsource = \"t\"\n",
        component("diamond-top").display().to_string()
    ));
    let folder = wos.path().parent().unwrap().to_owned();
    std::fs::create_dir_all(folder.join("t")).unwrap();
    std::fs::create_dir_all(folder.join("wit/deps/parigot-testing")).unwrap();
    std::fs::copy(repo().join("guests/wit/testing/testing.wit"), folder.join("wit/deps/parigot-testing/testing.wit"))
        .unwrap();
    let path = wos.path();
    let path = path.to_str().unwrap();
    host(&["mocks", path, "--check"]).expect_code(78).expect_stderr(&["stale generated mock control WIT", "mocks"]);
    let wrote = host(&["mocks", path]).expect_code(0);
    assert!(wrote.stdout.contains("wrote the control of 2 mocked interfaces"), "{}", wrote.stdout);
    let generated = std::fs::read_to_string(folder.join("wit/deps/parigot-mock/mock.wit")).unwrap();
    for expected in [
        "interface parigot-testing-right {",
        "when-via-right: func(answer: u32);",
        "when-quote-with: func(order: order, answer: result<quotation, quote-error>);",
        "quote-calls: func() -> list<quote-call>;",
    ] {
        assert!(generated.contains(expected), "no {expected:?} in\n{generated}");
    }
    let checked = host(&["mocks", path, "--check"]).expect_code(0);
    assert!(checked.stdout.contains("mock.wit: up to date"), "{}", checked.stdout);

    // A mocked interface whose WIT the test's folder lacks is named, with what to do.
    let text = std::fs::read_to_string(wos.path()).unwrap().replace("testing/pricing", "testing/till");
    std::fs::write(wos.path(), text).unwrap();
    host(&["mocks", path]).expect_code(78).expect_stderr(&[
        "cannot generate the mock control WIT of test `t`: the WIT of the mocked `parigot:testing/till` is not in \
         the test's WIT folder; add its package to the folder's `deps/`",
    ]);
}

/// A test component that imports `parigot:mock/parigot-testing-right` with `functions`.
fn steering(functions: &str) -> Vec<u8> {
    let wit = format!(
        "package fixture:steering;\n\
         package parigot:mock@0.1.0 {{ interface parigot-testing-right {{ {functions} }} }}\n\
         world w {{ import parigot:mock/parigot-testing-right@0.1.0; }}\n"
    );
    trapping_component(WitSource::Text(&wit), "fixture:steering/w")
}

#[test]
fn a_test_built_against_a_stale_mock_control_is_refused_when_linked() {
    let wos = |services: &str| {
        let wos = Wos::new(&format!(
            "manifest-version = 1\nname = \"stale\"\n{services}[mocks.\"parigot:testing/right\"]\n\
             [mocks.\"parigot:testing/left\"]\n\
             [tests.t]\ncomponent = \"t.wasm\"\n"
        ));
        (wos.path(), wos)
    };
    let top = format!("[services.top]\ncomponent = {:?}\n", component("diamond-top").display().to_string());
    let (path, stale) = wos(&top);
    stale.file("t.wasm", &steering("when-via-left: func(answer: u32);"));
    host(&["test", path.to_str().unwrap()]).expect_code(78).expect_stderr(&[
        "`parigot:mock/parigot-testing-right@0.1.0#when-via-left` does not steer the mock of `parigot:testing/right` \
         as the wos has it (stale generated WIT?); run `parigot-host mocks` on the wos and rebuild the test",
    ]);
    // Steering a mock that no service uses is named too.
    let (path, unused) =
        wos(&format!("[services.pricing]\ncomponent = {:?}\n", component("pricing").display().to_string()));
    unused.file("t.wasm", &steering("when-via-right: func(answer: u32);"));
    host(&["test", path.to_str().unwrap()])
        .expect_code(78)
        .expect_stderr(&["service `t` imports `parigot:mock/parigot-testing-right@0.1.0`, which steers the mock of \
         `parigot:testing/right`, but no service of the wos imports `parigot:testing/right`"]);
}

#[test]
fn only_test_components_may_act_as_a_user() {
    let wit = "package fixture:impostor;\n\
               package parigot:test@0.1.0 { interface session { log-in-as: func(user: option<string>); } }\n\
               world w { import parigot:test/session@0.1.0; }\n";
    let wos = Wos::new("manifest-version = 1\nname = \"impostor\"\n[services.impostor]\ncomponent = \"i.wasm\"\n");
    wos.file("i.wasm", &trapping_component(WitSource::Text(wit), "fixture:impostor/w"));
    // Outside tests, the session does not exist at all.
    host(&["check", wos.path().to_str().unwrap()]).expect_code(78).expect_stderr(&[
        "service `impostor` imports `parigot:test/session@0.1.0` (the test session), which only tests may use: it \
         exists under `parigot-host test` and `parigot-host call`, never in a wos that runs or serves",
    ]);
    // Under `test`, only the test components themselves may have it, not a service.
    let pricing = repo().join("tests/pricing");
    std::fs::write(
        wos.path(),
        format!(
            "manifest-version = 1\nname = \"impostor\"\n[services.impostor]\ncomponent = \"i.wasm\"\n\
             [services.pricing]\ncomponent = {:?}\n[tests.pricing-rust]\ncomponent = {:?}\n",
            component("pricing").display().to_string(),
            pricing.join(".parigot/build/pricing-rust.wasm").display().to_string()
        ),
    )
    .unwrap();
    host(&["test", wos.path().to_str().unwrap()]).expect_code(78).expect_stderr(&[
        "service `impostor` imports `parigot:test/session@0.1.0`, which lets its caller act as any user: only test \
         components (`[tests.NAME]`) may import it",
    ]);
}

#[test]
fn mocks_and_their_controls_exist_only_under_test() {
    // A served service that imports the mock controls would read the arguments of other
    // services' calls and steer their answers: refused before anything starts.
    let wit = "package fixture:spy;\n\
               package parigot:test@0.1.0 { interface mocks { calls: func(%interface: string, function: string) -> list<string>; } }\n\
               world w { import parigot:test/mocks@0.1.0; }\n";
    let wos = Wos::new("manifest-version = 1\nname = \"spy\"\n[services.spy]\ncomponent = \"s.wasm\"\n");
    wos.file("s.wasm", &trapping_component(WitSource::Text(wit), "fixture:spy/w"));
    for command in ["check", "run"] {
        host(&[command, wos.path().to_str().unwrap()]).expect_code(78).expect_stderr(&[
            "service `spy` imports `parigot:test/mocks@0.1.0` (the mocks of the wos), which only tests may use",
        ]);
    }
    // `[mocks]` answers imports only for tests.
    let mocked = Wos::new(&format!(
        "manifest-version = 1\nname = \"mocked\"\n[services.top]\ncomponent = {:?}\n\
         [mocks.\"parigot:testing/right\"]\nvia-right = [\"1\"]\n[mocks.\"parigot:testing/left\"]\nvia-left = [\"1\"]\n",
        component("diamond-top").display().to_string()
    ));
    host(&["check", mocked.path().to_str().unwrap()]).expect_code(78).expect_stderr(&[
        "wos `mocked` has `[mocks]`, which only tests use (`parigot-host test` and `parigot-host call`)",
    ]);
}

#[test]
fn several_wos_and_folders_are_one_run() {
    let (pricing, notes) = (repo().join("tests/pricing/wos.toml"), repo().join("tests/notes/wos.toml"));
    let both = host(&["test", pricing.to_str().unwrap(), notes.to_str().unwrap()]).expect_code(0).stdout;
    assert!(both.contains("test pricing-tests/pricing-rust::") && both.contains("test notes-tests/"), "{both}");
    let below = host(&["test", repo().join("tests").to_str().unwrap()]).expect_code(0).stdout;
    for wos in ["pricing-tests/", "notes-tests/", "diamond"] {
        assert!(below.contains(&format!("test {wos}")), "{wos} in\n{below}");
    }
    let summary = |out: &str| out.lines().last().unwrap_or_default().to_owned();
    assert!(summary(&below).starts_with("test result: ok."), "{below}");
}

#[test]
fn a_filter_is_a_flag_and_must_match() {
    let pricing = repo().join("tests/pricing/wos.toml");
    host(&["test", pricing.to_str().unwrap(), "lines"])
        .expect_code(78)
        .expect_stderr(&["lines is neither a wos file nor a folder; to run only some tests, use `--filter TEXT`"]);
    host(&["test", pricing.to_str().unwrap(), "--filter", "no-such-test"])
        .expect_code(78)
        .expect_stderr(&["no test's name contains `no-such-test`"]);
    let some = host(&["test", pricing.to_str().unwrap(), "--filter", "LinesAddUp"]).expect_code(0).stdout;
    assert!(some.starts_with("running 1 tests\n"), "{some}");
}

#[test]
fn a_folder_without_tested_wos_is_an_error() {
    let empty = tempfile::tempdir().unwrap();
    host(&["test", empty.path().to_str().unwrap()])
        .expect_code(78)
        .expect_stderr(&["no wos.toml with tests (`[tests.NAME]`) below"]);
}
