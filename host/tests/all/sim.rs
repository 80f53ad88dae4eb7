//! `parigot-host test --sim`: the notes tests run many times under SQLite faults and restarts,
//! a failing run printed with its seed and faults, replayed by its seed and shrunk; tests in
//! every language that catch failed calls; Vinny's store's invariants under faults, and a
//! planted bug caught; and the mistakes a `[sim]` table or the command line can make.

use crate::support::{Wos, component, host, repo};
use parigot_host::manifest::Manifest;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{App, BuildPolicy, LoadOptions, Running, StartOptions};
use parigot_host::sim::{Boundary, FaultKind, Faults, Place, Schedule};
use parigot_host::wire::remote::GrpcRemotes;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use wasmtime::component::Val;

/// The notes service and its Rust tests (tests/notes), with `sim` as the wos's `[sim]` table.
fn notes(sim: &str) -> Wos {
    let notes = repo().join("tests/notes");
    let at = |path: &str| notes.join(path).display().to_string();
    Wos::new(&format!(
        "manifest-version = 1\nname = \"notes-sim\"\n[services.notes]\ncomponent = {:?}\n\
         sqlite = {{ migrations = {:?} }}\n[fixtures]\nnotes = {:?}\n\
         [tests.notes-rust]\nsource = {:?}\ncomponent = {:?}\n{sim}",
        component("notes-rust").display().to_string(),
        at("db/migrations"),
        at("db/fixture.sql"),
        at("rust"),
        at(".parigot/build/notes-rust.wasm"),
    ))
}

/// The block of the report about `test`: from its `---- test ----` line to the next blank one.
fn failure_block<'a>(report: &'a str, test: &str) -> &'a str {
    let start = report.find(&format!("---- {test} ----")).unwrap_or_else(|| panic!("no {test} in\n{report}"));
    let block = &report[start..];
    &block[..block.find("\n\n").unwrap_or(block.len())]
}

#[test]
fn a_failing_run_is_printed_with_its_seed_and_faults_replayed_by_its_seed_and_shrunk() {
    let wos = notes("[sim]\nruns = 30\n[sim.faults]\nsqlite-busy = 0.2\nrestart = 0.3\n");
    let path = wos.path();
    let path = path.to_str().unwrap();
    let report = host(&["test", path, "--sim"]).expect_code(1).stdout;
    let test = "notes-rust::adds_a_note";
    let verdict = report.lines().find(|line| line.starts_with(&format!("test {test} ..."))).unwrap();
    let seed = verdict.split("seed ").nth(1).and_then(|rest| rest.strip_suffix(')')).unwrap_or_else(|| {
        panic!("a sqlite-busy at a fifth of the statements fails the test within 30 runs:\n{report}")
    });
    let block = failure_block(&report, test);
    for part in [
        "busy: a fault the simulation injected (sqlite-busy)",
        "faults injected (",
        "sqlite-busy in `notes` at `",
        &format!("replayed with `--seed {seed} --runs 1`: the same failure, faults and log"),
    ] {
        assert!(block.contains(part), "no {part:?} in\n{block}");
    }
    // The faults it needs: a busy statement, never a restart alone (the notes live in the
    // database, which a restart keeps).
    let needed: Vec<&str> = match block.split_once("shrunk to ") {
        Some((_, shrunk)) => shrunk.lines().skip(1).take_while(|line| line.starts_with("  step")).collect(),
        None => block.lines().filter(|line| line.starts_with("  step")).collect(),
    };
    assert!(!needed.is_empty() && needed.iter().all(|line| line.contains("sqlite-busy")), "{block}");
    // Faults go into the wos's services, never into the test component.
    assert!(!report.contains("in `notes-rust`"), "{report}");
    // Replayed by hand, the seed fails the same way, with the same faults.
    let again = host(&["test", path, "--sim", "--seed", seed, "--runs", "1", "--filter", test]).expect_code(1).stdout;
    assert!(again.contains(&format!("test {test} ... FAILED (run 1, seed {seed})")), "{again}");
    assert_eq!(failure_block(&again, test), block);
}

#[test]
fn runs_without_faults_all_pass_and_runs_is_a_flag_or_the_tables() {
    let wos = notes("[sim]\nruns = 4\n[sim.faults]\nsqlite-busy = 0.0\n");
    let path = wos.path();
    let path = path.to_str().unwrap();
    let report = host(&["test", path, "--sim"]).expect_code(0).stdout;
    assert!(report.contains("test notes-rust::adds_a_note ... ok (4 runs)"), "{report}");
    let report = host(&["test", path, "--sim", "--runs", "2"]).expect_code(0).stdout;
    assert!(report.contains("test notes-rust::adds_a_note ... ok (2 runs)"), "{report}");
    // Without `--sim`, the table changes nothing.
    let report = host(&["test", path]).expect_code(0).stdout;
    assert!(report.contains("test notes-rust::adds_a_note ... ok\n"), "{report}");
}

#[test]
fn a_missing_or_wrong_sim_table_and_flags_out_of_place_are_named() {
    let bare = notes("");
    host(&["test", bare.path().to_str().unwrap(), "--sim"]).expect_stderr(&[
        "wos `notes-sim` has no `[sim]` table, which says which faults `--sim` injects",
        "[sim.faults]",
    ]);
    host(&["test", bare.path().to_str().unwrap(), "--runs", "3"]).expect_code(2).expect_stderr(&["--sim"]);
    for (table, why) in [
        ("[sim.faults]\ncall-crash = 0.1\n", "`[sim.faults]` has no fault `call-crash`; the faults are call-trap"),
        ("[sim.faults]\nrestart = 2\n", "`[sim.faults]` `restart` = 2: a rate is a chance, from 0 to 1"),
        ("[sim]\nservices = [\"inventory\"]\n", "`[sim] services` names `inventory`, which is no service of the wos"),
    ] {
        let wos = notes(table);
        let run = host(&["test", wos.path().to_str().unwrap(), "--sim"]);
        assert_ne!(run.code, Some(0));
        assert!(run.stderr.contains(why), "{table}: {}", run.stderr);
    }
    let wos = notes("[sim]\nruns = 2\n");
    host(&["test", wos.path().to_str().unwrap(), "--sim", "--runs", "0"])
        .expect_stderr(&["`--runs 0`: a simulation makes at least one run"]);
}

#[test]
fn tests_in_every_language_catch_the_faults_injected_and_name_them() {
    // tests/diamond's `[sim]` traps a third of b's calls into d; each language's test catches
    // them with its SDK's `attempt` and checks them against `injected()`, every run.
    let wos = repo().join("tests/diamond/wos.toml");
    let report = host(&["test", wos.to_str().unwrap(), "--sim", "--filter", "njects"]).expect_code(0).stdout;
    for test in [
        "diamond-go::TestFaultsTheSimulationInjectsAreCaughtAndNamed",
        "diamond-js::faults the simulation injects are caught and named",
        "diamond-python::test_faults_the_simulation_injects_are_caught_and_named",
        "diamond-rust::faults_the_simulation_injects_are_caught_and_named",
    ] {
        assert!(report.contains(&format!("test {test} ... ok (20 runs)")), "{test}:\n{report}");
    }
}

#[test]
fn vinnys_store_keeps_its_invariants_under_faults_and_a_planted_bug_is_caught_replayed_and_shrunk() {
    let sim = repo().join("examples/vvv/tests/sim");
    let test = "sim-python::test_sales_keep_the_books_and_the_shelves_straight";
    // The real store: every invariant holds in every run, whatever fails under it.
    let good = sim.join("wos.toml");
    let report = host(&["test", good.to_str().unwrap(), "--sim", "--runs", "40"]).expect_code(0).stdout;
    assert!(report.contains(&format!("test {test} ... ok (40 runs)")), "{report}");
    // The planted bug (a sale recorded before its reservation is confirmed) is caught within
    // 10 runs (from 20 starting seeds, it took 1 to 3), its run replays, and it shrinks to the one
    // failed reservation.
    let bad = sim.join("planted-bug.toml");
    let report = host(&["test", bad.to_str().unwrap(), "--sim", "--runs", "10"]).expect_code(1).stdout;
    let verdict = report.lines().find(|line| line.starts_with(&format!("test {test} ... FAILED (run "))).unwrap();
    let seed = verdict.split("seed ").nth(1).and_then(|rest| rest.strip_suffix(')')).unwrap();
    let block = failure_block(&report, test);
    for part in [
        "the revenue is not the sum of the sales that went through",
        &format!("replayed with `--seed {seed} --runs 1`: the same failure, faults and log"),
    ] {
        assert!(block.contains(part), "no {part:?} in\n{block}");
    }
    let (_, shrunk) =
        block.split_once("shrunk to 1 fault(s) that still fail it:\n").unwrap_or_else(|| panic!("{block}"));
    let fault = shrunk.lines().next().unwrap();
    assert!(
        fault.contains("in `inventory` at `vvv:shop/inventory@0.1.0#reserve`")
            && (fault.contains("call-trap") || fault.contains("call-unavailable")),
        "{block}"
    );
}

/// The relay of `wos` (a wos whose `relay` calls `faults`), loaded as the host loads it, with
/// remote links bound over gRPC.
fn relay_app(wos: &Wos) -> Arc<App> {
    let engine = HostEngine::new(Some(std::time::Duration::from_millis(10))).unwrap();
    let cache = parigot_host::runtime::cache::ComponentCache::open(repo().join("target/parigot-test-cache")).unwrap();
    let options = LoadOptions { cache, build: BuildPolicy::Never, remotes: Some(GrpcRemotes::binder(None)) };
    App::load(Manifest::load(&wos.path()).unwrap(), &engine, &options).unwrap()
}

/// The faults of exactly one `fault`, at the first crossing of `boundary` into `service` at
/// the relay's `ping`.
fn one_fault(boundary: Boundary, service: &str, fault: FaultKind) -> Arc<Faults> {
    let what = PING.to_owned();
    let place = Place { boundary, service: service.into(), what, before: 0 };
    Arc::new(Faults::new(Schedule::Exactly(BTreeMap::from([(place, fault)])), BTreeSet::from([service.to_owned()])))
}

/// What `ping` through the relay answers.
async fn ping(running: &Running) -> wasmtime::Result<Val> {
    let mut results = [Val::Bool(false)];
    running.call("relay", "parigot:testing/faults@0.1.0", "ping", &[], &mut results).await?;
    Ok(results[0].clone())
}

/// The async runtime the tests start their apps on.
fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

/// `ping`'s function, as the faults name it.
const PING: &str = "parigot:testing/faults@0.1.0#ping";

/// Runs `check` on `app` started with `faults` on `runtime`, then stops it. (One runtime for
/// all of an app's starts: its remote links connect on the runtime of their first call.)
fn with_faults<F: Future<Output = ()>>(
    runtime: &tokio::runtime::Runtime,
    app: &Arc<App>,
    faults: &Arc<Faults>,
    check: impl FnOnce(Running) -> F,
) {
    runtime.block_on(async {
        let running =
            app.start(StartOptions { faults: Some(faults.clone()), ..StartOptions::default() }).await.unwrap();
        check(running.clone()).await;
        running.shutdown().await;
    });
}

#[test]
fn a_remote_call_fails_or_is_too_slow_where_the_schedule_says() {
    let back = Wos::new(&format!(
        "manifest-version = 1\n[services.faulty]\ncomponent = {:?}\n",
        component("faulty-rust").display().to_string()
    ));
    let back = crate::support::served::Served::start(&back.path(), &[]);
    // A timeout a slow machine's real call stays well within: the slow answer is the fault's.
    let remote = format!("{{ remote = \"http://{}\", timeout-ms = 5000 }}", back.addr);
    let front = Wos::new(&format!(
        "manifest-version = 1\n[services.relay]\ncomponent = {:?}\n\
         links = {{ \"parigot:testing/users\" = {remote}, \"parigot:testing/faults\" = {remote} }}\n",
        component("faults-relay").display().to_string()
    ));
    let (app, runtime) = (relay_app(&front), tokio_runtime());
    for (fault, says) in [
        (FaultKind::RemoteFail, "failed `parigot:testing/faults@0.1.0#ping`: the simulation made the call fail"),
        (FaultKind::RemoteSlow, "did not answer `parigot:testing/faults@0.1.0#ping` within 5 s"),
    ] {
        // The relay's first call of `ping` on the remote host (step 2: step 1 leases its instance).
        let faults = one_fault(Boundary::RemoteCall, "relay", fault);
        with_faults(&runtime, &app, &faults, |running| async move {
            let error = format!("{:#}", ping(&running).await.unwrap_err());
            let key = fault.key();
            assert!(
                error.contains(says) && error.contains(&format!("a fault the simulation injected ({key})")),
                "{error}"
            );
            // The next call reaches the remote host.
            assert!(matches!(ping(&running).await.unwrap(), Val::U32(_)));
        });
        let injected = faults.injected();
        assert_eq!(injected.len(), 1, "{injected:?}");
        assert_eq!((injected[0].step, injected[0].service.as_str()), (2, "relay"));
    }
}

#[test]
fn a_late_answer_comes_after_the_callee_did_the_work_and_a_timeout_before() {
    // The relay's `faults` is the faulty service of the same wos, whose `ping` answers how many
    // pings its instance has had.
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[services.relay]\ncomponent = {:?}\n\
         links = {{ \"parigot:testing/users\" = \"faulty\", \"parigot:testing/faults\" = \"faulty\" }}\n\
         [services.faulty]\ncomponent = {:?}\n",
        component("faults-relay").display().to_string(),
        component("faulty-rust").display().to_string()
    ));
    let (app, runtime) = (relay_app(&wos), tokio_runtime());
    for (fault, pings_after) in [(FaultKind::CallTimeout, 1), (FaultKind::CallLate, 2)] {
        with_faults(&runtime, &app, &one_fault(Boundary::LinkedCall, "faulty", fault), |running| async move {
            let error = format!("{:#}", ping(&running).await.unwrap_err());
            assert!(error.contains("service `faulty` ran past its deadline"), "{error}");
            assert!(error.contains(&format!("a fault the simulation injected ({})", fault.key())), "{error}");
            // A timeout never reached the callee; a late answer did, and its instance counted it.
            assert_eq!(ping(&running).await.unwrap(), Val::U32(pings_after), "{}", fault.key());
        });
    }
}

#[test]
fn a_clock_jump_moves_the_virtual_time_every_guest_reads() {
    use parigot_host::caps::log::LogCapture;
    use parigot_host::caps::log::render::LogFormat;
    use parigot_host::runtime::Determinism;
    use parigot_host::sim::SimSpec;
    // `dice` prints the wall clock it reads; virtual time starts at 2000-01-01 (946684800 s).
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[services.dice]\ncomponent = {:?}\n",
        component("dice").display().to_string()
    ));
    let app = relay_app(&wos);
    let spec = SimSpec {
        runs: 1,
        faults: BTreeMap::from([(FaultKind::ClockJump, 1.0)]),
        services: None,
        clock_jump: std::time::Duration::from_secs(90),
    };
    let jump = spec.clock_jump;
    let faults = Arc::new(
        Faults::new(Schedule::Seeded { seed: 0, spec }, BTreeSet::from(["dice".to_owned()])).with_clock_jump(jump),
    );
    let log = Arc::new(LogCapture::default());
    tokio_runtime().block_on(async {
        let options = StartOptions {
            determinism: Some(Determinism::default()),
            log_format: LogFormat::Json,
            log: Some(log.clone()),
            faults: Some(faults.clone()),
            ..StartOptions::default()
        };
        let running = app.start(options).await.unwrap();
        running.run_programs(None).await;
        running.shutdown().await;
    });
    let lines: Vec<String> = log.lines().iter().map(|line| line.message.clone()).collect();
    assert!(lines.iter().any(|line| line == "wall clock: 946684890 s since 1970"), "{lines:?}");
    assert_eq!(faults.injected().iter().map(|fault| fault.fault.key()).collect::<Vec<_>>(), ["clock-jump"]);
}
