//! The kernel: deadlines stop CPU-bound loops and waits, memory limits stop memory bombs, a
//! failed instance is dropped and (by policy) replaced while every other service keeps its
//! memory, shutdown runs in reverse start-up order, and exit codes say how a run ended.

use crate::support::{LANGUAGES, Run, WitSource, Wos, component, repo, trapping_component};
use parigot_host::kernel::{FailureKind, ServiceFailure, ServiceState};
use parigot_host::manifest::Manifest;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{App, BuildPolicy, Caller, LoadOptions, Running};
use parigot_host::wire::remote::GrpcRemotes;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::Val;

const FAULTS: &str = "parigot:testing/faults@0.1.0";

/// The faults driver program calling the faulty service in `language` with `args`, with
/// `limits` lines in the faulty service's `[limits]` table.
fn driver_wos(language: &str, args: &[&str], limits: &str) -> Wos {
    Wos::new(&format!(
        "manifest-version = 1\n[services.driver]\ncomponent = {:?}\nargs = {args:?}\n\
         [services.faulty]\ncomponent = {:?}\n[services.faulty.limits]\n{limits}\n",
        component("faults-driver").display().to_string(),
        component(&format!("faulty-{language}")).display().to_string(),
    ))
}

#[test]
fn an_infinite_loop_is_interrupted_at_its_deadline_in_every_language() {
    for language in LANGUAGES {
        let run = driver_wos(language, &["ping", "spin"], "deadline-ms = 200").run();
        let run = run.expect_code(70).expect_stderr(&[
            "error: service `faulty` ran past its deadline of 200 ms in `parigot:testing/faults@0.1.0#spin` \
             and was interrupted",
            "(called by program `driver`)",
        ]);
        assert!(run.stdout.contains("driver | ping -> 1"), "{language}: {}", run.stdout);
    }
}

#[test]
fn a_memory_bomb_stops_at_the_memory_limit_in_every_language() {
    for language in LANGUAGES {
        let run = driver_wos(language, &["hog:16", "hog:400"], "memory-mib = 128").run();
        let run = run
            .expect_code(70)
            .expect_stderr(&["error: service `faulty` tried to use more than its memory limit of 128 MiB in \
             `parigot:testing/faults@0.1.0#hog`"]);
        assert!(run.stdout.contains("hog:16 -> 16777216"), "{language}: {}", run.stdout);
    }
}

#[test]
fn a_crash_names_the_service_and_function_in_every_language() {
    for language in LANGUAGES {
        driver_wos(language, &["crash:boom"], "")
            .run()
            .expect_code(70)
            .expect_stderr(&["error: service `faulty` trapped in `parigot:testing/faults@0.1.0#crash`"]);
    }
}

#[test]
fn exit_codes_say_how_the_run_ended() {
    driver_wos("rust", &["ping"], "").run().expect_code(0);
    // The driver calls exit(2) on a command it does not know; WASI 0.2 carries only failure.
    driver_wos("rust", &["bogus"], "")
        .run()
        .expect_code(1)
        .expect_stderr(&["unknown command `bogus`", "program `driver` exited with status 1"]);
}

#[test]
fn shutdown_runs_in_reverse_start_up_order() {
    let wos = repo().join("examples/hello/wos.toml");
    let run = crate::support::host(&["run", wos.to_str().unwrap()]).expect_code(0);
    let stopped: Vec<&str> = names_after(&run, "stopping service `");
    assert_eq!(stopped, ["entry", "greeter", "decorator", "quoter", "signer"], "{}", run.stderr);
    assert!(run.stderr.contains("stopping service `entry` (exited)"), "{}", run.stderr);
    assert!(run.stderr.contains("stopping service `signer` (ready)"), "{}", run.stderr);
}

fn names_after<'a>(run: &'a Run, marker: &str) -> Vec<&'a str> {
    run.stderr.lines().filter_map(|l| l.split(marker).nth(1)).filter_map(|r| r.split('`').next()).collect()
}

/// The compile cache the tests share.
fn test_cache() -> ComponentCache {
    ComponentCache::open(repo().join("target/parigot-test-cache")).unwrap()
}

/// Loads the wos `text` on an engine with a 10 ms pulse (deadlines enforced).
fn load(text: &str) -> (Arc<App>, Wos) {
    let wos = Wos::new(text);
    (load_wos(&wos), wos)
}

/// Loads `wos` on an engine with a 10 ms pulse (deadlines enforced).
fn load_wos(wos: &Wos) -> Arc<App> {
    let engine = HostEngine::new(Some(Duration::from_millis(10))).unwrap();
    let options =
        LoadOptions { cache: test_cache(), build: BuildPolicy::IfMissing, remotes: Some(GrpcRemotes::binder(None)) };
    App::load(Manifest::load(&wos.path()).unwrap(), &engine, &options).unwrap()
}

/// A wos of the three faulty services, each with `limits` lines in its `[limits]` table
/// (the policy under test), called from the host through the library, the way the wire
/// layer calls a wos.
fn faulty_trio(limits: &[(&str, &str)]) -> (Arc<App>, Wos) {
    let mut text = "manifest-version = 1\n".to_owned();
    for language in LANGUAGES {
        let own = limits.iter().find(|(l, _)| *l == language).map_or("", |(_, lines)| lines);
        text += &format!(
            "[services.faulty-{language}]\ncomponent = {:?}\n[services.faulty-{language}.limits]\n{own}\n",
            component(&format!("faulty-{language}")).display().to_string()
        );
    }
    load(&text)
}

async fn ping(running: &Running, service: &str) -> Result<u32, wasmtime::Error> {
    let mut results = [Val::U32(0)];
    running.call(service, FAULTS, "ping", &[], &mut results).await?;
    match results[0] {
        Val::U32(count) => Ok(count),
        ref other => panic!("ping returned {other:?}"),
    }
}

async fn crash(running: &Running, service: &str) -> ServiceFailure {
    let mut results = [Val::Bool(false)];
    let error = running.call(service, FAULTS, "crash", &[Val::String("test".into())], &mut results).await.unwrap_err();
    error.downcast::<ServiceFailure>().expect("a crash is a service failure")
}

#[tokio::test]
async fn a_crash_costs_only_the_service_that_crashed_in_every_language() {
    let (app, _wos) = faulty_trio(&[]);
    let running = app.instantiate(None).await.unwrap();
    let services = ["faulty-go", "faulty-python", "faulty-rust"];
    // What each service's `ping` should answer next: its in-memory count, plus one.
    let mut next: std::collections::BTreeMap<&str, u32> = services.iter().map(|s| (*s, 1)).collect();
    for service in services {
        for _ in 0..2 {
            assert_eq!(ping(&running, service).await.unwrap(), next[service]);
            *next.get_mut(service).unwrap() += 1;
        }
    }
    for crashing in services {
        let failure = crash(&running, crashing).await;
        assert_eq!((failure.service.as_str(), failure.kind.clone()), (crashing, FailureKind::Trap));
        assert_eq!(failure.function, "parigot:testing/faults@0.1.0#crash");
        // The crashed service starts again from zero, in a fresh instance (the default policy
        // replaces a failed instance at once); the others keep counting where they were.
        next.insert(crashing, 1);
        for service in services {
            assert_eq!(ping(&running, service).await.unwrap(), next[service], "{service} after {crashing} crashed");
            *next.get_mut(service).unwrap() += 1;
        }
        assert_eq!(running.state(crashing).unwrap(), ServiceState::Ready);
    }
}

#[tokio::test]
async fn restart_policies_decide_when_a_service_has_failed_for_good() {
    let (app, _wos) = faulty_trio(&[
        ("go", "restart = \"on-failure\"\nmax-restarts = 1\nrestart-backoff-ms = 0"),
        ("rust", "restart = \"never\""),
    ]);
    let running = app.instantiate(None).await.unwrap();
    let failed = running.failed_services();

    // on-failure with `max-restarts = 1`: failures with a success in between never add up...
    for _ in 0..3 {
        crash(&running, "faulty-go").await;
        assert_eq!(ping(&running, "faulty-go").await.unwrap(), 1);
    }
    // ...two in a row are one more than it allows.
    crash(&running, "faulty-go").await;
    crash(&running, "faulty-go").await;
    let refused = ping(&running, "faulty-go").await.unwrap_err().to_string();
    assert!(refused.contains("service `faulty-go` cannot take the call to `parigot:testing/faults@0.1.0#ping`"));
    assert!(refused.contains("it failed 2 times in a row, more than its `max-restarts` of 1"), "{refused}");
    assert_eq!(running.state("faulty-go").unwrap(), ServiceState::Failed);

    // never: the first failure is final; the rest serves on.
    crash(&running, "faulty-rust").await;
    let refused = ping(&running, "faulty-rust").await.unwrap_err().to_string();
    assert!(refused.contains("its restart policy is `never`"), "{refused}");
    assert_eq!(running.state("faulty-rust").unwrap(), ServiceState::Failed);
    assert_eq!(ping(&running, "faulty-python").await.unwrap(), 1);
    let failed: Vec<String> = failed.borrow().iter().map(ToString::to_string).collect();
    assert_eq!(failed, ["faulty-go", "faulty-rust"]);
}

#[tokio::test]
async fn failures_in_a_row_wait_for_the_back_off() {
    let (app, _wos) = faulty_trio(&[("rust", "restart-backoff-ms = 60000")]);
    let running = app.instantiate(None).await.unwrap();
    crash(&running, "faulty-rust").await;
    assert_eq!(ping(&running, "faulty-rust").await.unwrap(), 1, "one failure is replaced at once");
    crash(&running, "faulty-rust").await;
    crash(&running, "faulty-rust").await;
    let refused = ping(&running, "faulty-rust").await.unwrap_err().to_string();
    assert!(refused.contains("it failed 2 times in a row and gets a fresh instance in"), "{refused}");
    assert_eq!(running.state("faulty-rust").unwrap(), ServiceState::Ready, "it is not failed for good");
}

#[tokio::test]
async fn a_call_abandoned_halfway_costs_only_its_instance() {
    let (app, _wos) = faulty_trio(&[]);
    let running = app.instantiate(None).await.unwrap();
    assert_eq!(ping(&running, "faulty-go").await.unwrap(), 1);
    assert_eq!(ping(&running, "faulty-rust").await.unwrap(), 1);
    assert_eq!(ping(&running, "faulty-rust").await.unwrap(), 2);

    // A spinning guest gives its thread back at every pulse beat, so on this one-thread runtime
    // the timeout fires, and the call is dropped while the guest is suspended mid-loop.
    let mut results = [Val::U64(0)];
    let spin = running.call("faulty-rust", FAULTS, "spin", &[], &mut results);
    assert!(tokio::time::timeout(Duration::from_millis(50), spin).await.is_err(), "the spin was cut short");

    // Its instance, left halfway, is gone; a fresh one takes the next call. Go kept its count.
    assert_eq!(ping(&running, "faulty-rust").await.unwrap(), 1);
    assert_eq!(running.state("faulty-rust").unwrap(), ServiceState::Ready);
    assert_eq!(ping(&running, "faulty-go").await.unwrap(), 2);
}

#[test]
fn a_sleep_past_the_deadline_is_cut_at_the_deadline_in_every_language() {
    for language in LANGUAGES {
        // The driver waits on a linked call while the service sleeps through WASI's clocks.
        let run = driver_wos(language, &["sleep:10", "sleep:600000"], "deadline-ms = 300").run();
        let run = run.expect_code(70).expect_stderr(&[
            "error: service `faulty` ran past its deadline of 300 ms in `parigot:testing/faults@0.1.0#sleep`",
            "(called by program `driver`)",
        ]);
        assert!(run.stdout.contains("driver | sleep:10 -> 10"), "{language}: {}", run.stdout);
    }
}

#[test]
fn a_program_that_sleeps_past_its_deadline_is_cut_in_every_language() {
    // The Rust driver, and the Go, Python and JavaScript sleepers, each with the faulty service
    // of its language: what they run before the nap works, the nap itself is cut at the deadline.
    let programs =
        [("rust", "faults-driver"), ("go", "sleeper-go"), ("python", "sleeper-python"), ("js", "sleeper-js")];
    for (language, program) in programs {
        let text = format!(
            "manifest-version = 1\n[limits]\ndeadline-ms = 300\n[services.program]\ncomponent = {:?}\n\
             args = [\"sleep:10\", \"nap:10\", \"nap:600000\"]\n[services.faulty]\ncomponent = {:?}\n",
            component(program).display().to_string(),
            component(&format!("faulty-{language}")).display().to_string(),
        );
        let run = Wos::new(&text)
            .run()
            .expect_code(70)
            .expect_stderr(&["error: service `program` ran past its deadline of 300 ms in `wasi:cli/run@"]);
        for line in ["program | sleep:10 -> 10", "program | nap:10 -> 10"] {
            assert!(run.stdout.contains(line), "{language}: {}", run.stdout);
        }
    }
}

/// The diamond `top` -> `left` (service `b`), `right` (service `c`) -> `faults` (service `d`,
/// one shared instance), with `extra` lines after `manifest-version`.
pub fn diamond(extra: &str) -> Wos {
    Wos::new(&format!(
        "manifest-version = 1\n{extra}\n[services.top]\ncomponent = {:?}\n[services.top.links]\n\
         \"parigot:testing/left\" = \"b\"\n\"parigot:testing/right\" = \"c\"\n\
         [services.b]\ncomponent = {side:?}\n[services.c]\ncomponent = {side:?}\n\
         [services.d]\ncomponent = {:?}\ninstances = 1\n",
        component("diamond-top").display().to_string(),
        component("faulty-rust").display().to_string(),
        side = component("diamond-side").display().to_string(),
    ))
}

const TOP: &str = "parigot:testing/top@0.1.0";

async fn both(running: &Running) -> Result<u32, wasmtime::Error> {
    let mut results = [Val::U32(0)];
    running.call("top", TOP, "both", &[], &mut results).await?;
    match results[0] {
        Val::U32(sum) => Ok(sum),
        ref other => panic!("both returned {other:?}"),
    }
}

#[tokio::test]
async fn a_failure_down_the_chain_costs_the_callers_instances_but_not_their_restarts() {
    let wos = diamond("[limits]\nrestart = \"never\"");
    let app = load_wos(&wos);
    let running = app.instantiate(None).await.unwrap();
    assert_eq!(both(&running).await.unwrap(), 1 + 2, "d's one instance counts both sides' pings");

    crash(&running, "d").await;
    for _ in 0..2 {
        let error = both(&running).await.unwrap_err();
        let failure = error.downcast_ref::<ServiceFailure>().expect("a service failure");
        assert_eq!(failure.service, "d", "the error names the service that failed: {failure}");
        assert!(matches!(failure.kind, FailureKind::Unavailable { .. }), "{failure}");
    }
    // `top` and `b` were on the chain and lost their instances, but the failure was not theirs:
    // with `restart = "never"` a charged failure would have ended them for good.
    for service in ["top", "b", "c"] {
        assert_eq!(running.state(service).unwrap(), ServiceState::Ready, "{service}");
    }
    assert_eq!(running.state("d").unwrap(), ServiceState::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_chains_over_a_diamond_with_one_shared_instance_below_all_finish() {
    let wos = diamond("");
    let app = load_wos(&wos);
    let running = app.instantiate(None).await.unwrap();
    let calls: Vec<_> = (0..64)
        .map(|_| {
            let running = running.clone();
            tokio::spawn(async move { both(&running).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(ping(&running, "d").await.unwrap(), 64 * 2 + 1, "every ping reached d's one instance");
}

#[test]
fn a_64_mib_list_of_bytes_crosses_a_linked_call_in_every_language() {
    // As dynamic values 64 MiB would be 2 GiB in the host, over the service's memory limit
    // (wasmtime's own default bound stops 4 MiB); a bytes-in signature is forwarded typed.
    for language in LANGUAGES {
        let run = driver_wos(language, &["weigh:64"], "").run().expect_code(0);
        assert!(run.stdout.contains("weigh:64 -> sum 67108864"), "{language}: {}", run.stdout);
    }
}

#[test]
fn a_stdout_flood_is_cut_at_the_services_rate_and_says_so_in_every_language() {
    for language in LANGUAGES {
        let wos = Wos::new(&format!(
            "manifest-version = 1\n[services.driver]\ncomponent = {:?}\nargs = [\"flood:20000\", \"ping\"]\n\
             [services.faulty]\ncomponent = {:?}\n[services.faulty.log]\nmax-lines-per-second = 50\n",
            component("faults-driver").display().to_string(),
            component(&format!("faulty-{language}")).display().to_string(),
        ));
        let run = wos.run().expect_code(0);
        let flooded = run.stdout.lines().filter(|line| line.contains("| flood line ")).count();
        assert!((50..1000).contains(&flooded), "{language}: {flooded} lines of 20000 written");
        assert!(
            run.stdout.contains("[dropped ") && run.stdout.contains("it wrote more than its `max-lines-per-second`]"),
            "{language}: {}",
            &run.stdout[run.stdout.len().saturating_sub(2000)..]
        );
        assert!(run.stdout.contains("driver | flood:20000 -> 20000"), "{language}");
        assert!(run.stdout.contains("driver | ping -> 1"), "{language}");
    }
}

#[test]
fn a_guest_cannot_open_a_socket_and_a_line_without_end_is_cut() {
    let run = driver_wos("rust", &["bind", "shout:200"], "").run().expect_code(0);
    assert!(run.stdout.contains("driver | bind -> refused:"), "{}", run.stdout);
    let pieces: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("driver | x")).collect();
    assert_eq!(pieces.len(), 4, "200 KiB is three pieces of 64 KiB and the rest");
    for piece in &pieces[..3] {
        assert_eq!(piece.len(), "driver | ".len() + (64 << 10) + " [line cut at 64 KiB]".len());
        assert!(piece.ends_with("x [line cut at 64 KiB]"));
    }
    let xs: usize = pieces.iter().map(|p| p.matches('x').count()).sum();
    assert_eq!(xs, 200 << 10, "no byte is lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_finds_no_free_instance_before_its_deadline_says_so() {
    let (app, _wos) = load(&format!(
        "manifest-version = 1\n[services.faulty]\ncomponent = {:?}\ninstances = 1\n",
        component("faulty-rust").display().to_string()
    ));
    let running = app.instantiate(None).await.unwrap();
    let sleeper = running.clone();
    let sleeping = tokio::spawn(async move {
        let mut results = [Val::U32(0)];
        sleeper.call("faulty", FAULTS, "sleep", &[Val::U32(2000)], &mut results).await
    });
    // While the sleeping call holds the one instance, a caller that gives `ping` 50 ms gets a
    // clear refusal at its deadline (tried until the sleeper has the instance).
    let caller = Caller { deadline: Some(Duration::from_millis(50)), ..Caller::default() };
    // (Under a loaded test machine the sleeper may take a while to start: try for most of its
    // 2 s sleep.)
    let mut failure = None;
    let give_up = std::time::Instant::now() + Duration::from_millis(1500);
    while failure.is_none() && std::time::Instant::now() < give_up {
        if let Err(error) = running.call_as(caller.clone(), "faulty", FAULTS, "ping", &[], &mut [Val::U32(0)]).await {
            failure = Some(error.downcast::<ServiceFailure>().expect("a service failure"));
        }
        tokio::task::yield_now().await;
    }
    let failure = failure.expect("ping found the instance busy");
    assert_eq!(failure.kind, FailureKind::Busy { instances: 1 }, "{failure}");
    assert!(failure.to_string().contains("had no free instance"), "{failure}");
    assert_eq!(sleeping.await.unwrap().unwrap(), (), "the sleeping call was not disturbed");
}

#[test]
fn every_signature_forwarded_typed_links() {
    // The shapes the host forwards with typed values instead of dynamic ones: a consumer that
    // imports each of them links (wasmtime checks the host functions' types against the
    // import), so no service with one of these signatures is refused.
    let wit = "package test:shapes;\n\
        interface bytes {\n\
          a: func(d: list<u8>);\n  b: func(d: list<u8>) -> list<u8>;\n  c: func(d: list<u8>) -> string;\n\
          d: func(d: list<u8>) -> u32;\n  e: func(d: list<u8>) -> u64;\n  f: func(d: list<u8>) -> bool;\n\
          g: func() -> list<u8>;\n  h: func(n: string) -> list<u8>;\n  i: func(n: u32) -> list<u8>;\n\
          j: func(n: u64) -> list<u8>;\n  k: func(n: string, d: list<u8>);\n  l: func(n: string, d: list<u8>) -> bool;\n\
          m: func(n: string, d: list<u8>) -> list<u8>;\n  n: func(a: list<u8>, b: list<u8>) -> list<u8>;\n\
          o: func(n: s32, d: list<u8>) -> list<u8>;\n\
        }\n\
        world provider { export bytes; }\nworld consumer { import bytes; export run: func(); }";
    let wos = Wos::new("");
    let provider = wos.file("provider.wasm", &trapping_component(WitSource::Text(wit), "provider"));
    let consumer = wos.file("consumer.wasm", &trapping_component(WitSource::Text(wit), "consumer"));
    let text = crate::support::manifest_text("", &[("provider", provider), ("consumer", consumer)]);
    std::fs::write(wos.path(), text).unwrap();
    let app = load_wos(&wos);
    assert_eq!(app.services.len(), 2, "both services linked");
}
