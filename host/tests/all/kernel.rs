//! The kernel: deadlines stop CPU-bound loops, memory limits stop memory bombs, a failed
//! service is released and (by policy) restarted while the rest of the wos keeps serving,
//! shutdown runs in reverse start-up order, and exit codes say how a run ended.

use crate::support::{Run, Wos, component, repo};
use parigot_host::kernel::{FailureKind, ServiceFailure, ServiceState};
use parigot_host::manifest::Manifest;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{App, BuildPolicy, LoadOptions, Running};
use std::time::Duration;
use wasmtime::component::Val;

const FAULTS: &str = "parigot:testing/faults@0.1.0";
const LANGUAGES: [&str; 3] = ["rust", "go", "python"];

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
    assert_eq!(stopped, ["entry", "greeter", "decorator", "signer"], "{}", run.stderr);
    assert!(run.stderr.contains("stopping service `entry` (exited)"), "{}", run.stderr);
    assert!(run.stderr.contains("stopping service `signer` (ready)"), "{}", run.stderr);
}

fn names_after<'a>(run: &'a Run, marker: &str) -> Vec<&'a str> {
    run.stderr.lines().filter_map(|l| l.split(marker).nth(1)).filter_map(|r| r.split('`').next()).collect()
}

/// A wos of the three faulty services, called from the host through the library, the way the
/// wire layer calls a wos.
struct Supervised {
    app: std::sync::Arc<App>,
    _wos: Wos,
}

impl Supervised {
    /// With `pulse`, deadlines are enforced and housekeeping restarts failed services; without,
    /// restarts happen only when a failed service is called (so the test controls them).
    fn new(pulse: Option<Duration>) -> Supervised {
        let service = |language: &str, limits: &str| {
            format!(
                "[services.faulty-{language}]\ncomponent = {:?}\n[services.faulty-{language}.limits]\n{limits}\n",
                component(&format!("faulty-{language}")).display().to_string()
            )
        };
        let text = format!(
            "manifest-version = 1\n{}{}{}",
            service("go", "restart = \"on-failure\"\nrestart-backoff-ms = 0"),
            service("python", "restart = \"on-failure\"\nmax-restarts = 1\nrestart-backoff-ms = 0"),
            service("rust", "restart = \"never\"")
        );
        let wos = Wos::new(&text);
        let engine = HostEngine::new(pulse).unwrap();
        let options = LoadOptions {
            cache: ComponentCache::new(repo().join("target/parigot-test-cache")),
            build: BuildPolicy::IfMissing,
        };
        let app = App::load(Manifest::load(&wos.path()).unwrap(), &engine, &options).unwrap();
        Supervised { app, _wos: wos }
    }
}

async fn ping(running: &mut Running, service: &str) -> Result<u32, wasmtime::Error> {
    let mut results = [Val::U32(0)];
    running.call(service, FAULTS, "ping", &[], &mut results).await?;
    match results[0] {
        Val::U32(count) => Ok(count),
        ref other => panic!("ping returned {other:?}"),
    }
}

async fn crash(running: &mut Running, service: &str) -> ServiceFailure {
    let mut results = [Val::Bool(false)];
    let error = running.call(service, FAULTS, "crash", &[Val::String("test".into())], &mut results).await.unwrap_err();
    error.downcast::<ServiceFailure>().expect("a crash is a service failure")
}

#[tokio::test]
async fn failed_services_are_released_and_restarted_while_the_rest_keeps_serving() {
    let supervised = Supervised::new(None);
    let mut running = supervised.app.instantiate(None).await.unwrap();
    for service in ["faulty-go", "faulty-python", "faulty-rust"] {
        assert_eq!(ping(&mut running, service).await.unwrap(), 1);
        assert_eq!(running.state(service).unwrap(), ServiceState::Ready);
    }

    // Kill the Go service mid-run: the others keep serving. (A trap ends the Store it happens
    // in, so they continue in a fresh one, their in-memory state reset.)
    let failure = crash(&mut running, "faulty-go").await;
    assert_eq!((failure.service.as_str(), failure.kind.clone()), ("faulty-go", FailureKind::Trap));
    assert_eq!(failure.function, "parigot:testing/faults@0.1.0#crash");
    assert_eq!(running.state("faulty-go").unwrap(), ServiceState::Failed);
    assert_eq!(ping(&mut running, "faulty-python").await.unwrap(), 1);
    assert_eq!(ping(&mut running, "faulty-rust").await.unwrap(), 1);
    assert_eq!(running.state("faulty-go").unwrap(), ServiceState::Failed);
    // on-failure: the next call restarts it.
    assert_eq!(ping(&mut running, "faulty-go").await.unwrap(), 1);
    assert_eq!(running.state("faulty-go").unwrap(), ServiceState::Ready);
    assert_eq!(ping(&mut running, "faulty-go").await.unwrap(), 2);

    // Kill the Python service twice: its one allowed restart is used up the second time.
    crash(&mut running, "faulty-python").await;
    assert_eq!(ping(&mut running, "faulty-python").await.unwrap(), 1);
    crash(&mut running, "faulty-python").await;
    let refused = ping(&mut running, "faulty-python").await.unwrap_err().to_string();
    assert!(refused.contains("it failed again after 1 restarts"), "{refused}");
    assert_eq!(ping(&mut running, "faulty-rust").await.unwrap(), 1);
    assert_eq!(ping(&mut running, "faulty-go").await.unwrap(), 1);

    // restart = "never": calls fail at once with a clear reason; the rest still serves.
    crash(&mut running, "faulty-rust").await;
    let refused = ping(&mut running, "faulty-rust").await.unwrap_err().to_string();
    assert!(
        refused.contains("service `faulty-rust` cannot take the call to `parigot:testing/faults@0.1.0#ping`"),
        "{refused}"
    );
    assert!(refused.contains("restart policy is `never`"), "{refused}");
    assert_eq!(running.state("faulty-rust").unwrap(), ServiceState::Failed);
    assert_eq!(ping(&mut running, "faulty-go").await.unwrap(), 1);
}

#[tokio::test]
async fn a_restart_waits_for_its_back_off() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[services.faulty]\ncomponent = {:?}\n[services.faulty.limits]\n\
         restart = \"on-failure\"\nrestart-backoff-ms = 60000\n",
        component("faulty-rust").display().to_string()
    ));
    let engine = HostEngine::new(None).unwrap();
    let options = LoadOptions {
        cache: ComponentCache::new(repo().join("target/parigot-test-cache")),
        build: BuildPolicy::IfMissing,
    };
    let app = App::load(Manifest::load(&wos.path()).unwrap(), &engine, &options).unwrap();
    let mut running = app.instantiate(None).await.unwrap();
    crash(&mut running, "faulty").await;
    let refused = ping(&mut running, "faulty").await.unwrap_err().to_string();
    assert!(refused.contains("it failed and restarts in"), "{refused}");
}

#[tokio::test]
async fn the_pulse_restarts_failed_services_before_they_are_called() {
    let supervised = Supervised::new(Some(Duration::from_millis(10)));
    let mut running = supervised.app.instantiate(None).await.unwrap();
    crash(&mut running, "faulty-go").await;
    // Housekeeping runs every 10 beats of the 10 ms pulse, at the host's next call into the wos.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(ping(&mut running, "faulty-python").await.unwrap(), 1);
    assert_eq!(running.state("faulty-go").unwrap(), ServiceState::Ready);
}

#[tokio::test]
async fn a_call_abandoned_halfway_moves_the_wos_to_a_fresh_store() {
    let supervised = Supervised::new(Some(Duration::from_millis(10)));
    let mut running = supervised.app.instantiate(None).await.unwrap();
    assert_eq!(ping(&mut running, "faulty-rust").await.unwrap(), 1);
    assert_eq!(ping(&mut running, "faulty-rust").await.unwrap(), 2);

    // A spinning guest gives its thread back at every pulse beat, so on this one-thread runtime
    // the timeout fires, and the call is dropped while the guest is suspended mid-loop.
    let mut results = [Val::U64(0)];
    let spin = running.call("faulty-rust", FAULTS, "spin", &[], &mut results);
    assert!(tokio::time::timeout(Duration::from_millis(50), spin).await.is_err(), "the spin was cut short");

    // The next call finds the Store as the guest left it, and starts the wos afresh.
    assert_eq!(ping(&mut running, "faulty-rust").await.unwrap(), 1);
    assert_eq!(running.state("faulty-rust").unwrap(), ServiceState::Ready);
    assert_eq!(ping(&mut running, "faulty-go").await.unwrap(), 1);
}
