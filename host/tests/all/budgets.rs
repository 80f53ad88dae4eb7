//! Budgets: what a guest asks of the host's SQLite is bounded, in every guest language. A
//! statement bomb, an endless recursive query, a huge result and a database filled to its
//! limit each fail only the call that sent them, with an error that names the budget and its
//! wos key; the host, a stateful neighbour and the next call of the same service carry on. A
//! client's own short deadline is never charged to the service.

use crate::support::served::{Served, curl};
use crate::support::{LANGUAGES, Wos, component, text};
use parigot_host::kernel::{FailureKind, ServiceFailure, ServiceState};
use parigot_host::manifest::Manifest;
use parigot_host::runtime::cache::ComponentCache;
use parigot_host::runtime::engine::HostEngine;
use parigot_host::runtime::{App, BuildPolicy, Caller, LoadOptions, Running, StartOptions};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::Val;

const NOTES: &str = "parigot:notes/notes@0.1.0";

/// A query that never ends on its own.
const ENDLESS: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

/// A wos of the notes service in `language` (`notes`, with `grant` in its database grant and
/// `limits` in its limits) beside a Rust notes service (`neighbour`) with its own database.
fn attack_wos(language: &str, grant: &str, limits: &str) -> Wos {
    attack_wos_with(language, "", grant, limits)
}

/// [`attack_wos`] with `settings` (lines) in the table of service `notes`.
fn attack_wos_with(language: &str, settings: &str, grant: &str, limits: &str) -> Wos {
    let notes = component(&format!("notes-{language}")).display().to_string();
    let neighbour = component("notes-rust").display().to_string();
    let wos = Wos::new(&format!(
        "manifest-version = 1\n\
         [services.notes]\ncomponent = {notes:?}\n{settings}\nsqlite = {{ migrations = \"migrations\"{grant} }}\n\
         [services.notes.limits]\n{limits}\n\
         [services.neighbour]\ncomponent = {neighbour:?}\nsqlite = {{ migrations = \"migrations\" }}\n"
    ));
    wos.file("migrations/0001_notes.sql", b"CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);\n");
    wos
}

/// Starts `wos` on an engine with a 10 ms pulse (deadlines enforced).
async fn start(wos: &Wos) -> Running {
    let engine = HostEngine::new(Some(Duration::from_millis(10))).unwrap();
    let cache = ComponentCache::open(crate::support::repo().join("target/parigot-test-cache")).unwrap();
    let options = LoadOptions { cache, build: BuildPolicy::Never, remotes: None };
    let app: Arc<App> = App::load(Manifest::load(&wos.path()).unwrap(), &engine, &options).unwrap();
    app.start(StartOptions::default()).await.unwrap()
}

async fn call(running: &Running, service: &str, function: &str, argument: &str) -> wasmtime::Result<Val> {
    let mut results = [Val::Bool(false)];
    running.call(service, NOTES, function, &[text(argument)], &mut results).await?;
    Ok(results.into_iter().next().unwrap())
}

/// What `attempt` or `attempt-query` answered.
async fn attempt(running: &Running, function: &str, statement: &str) -> String {
    match call(running, "notes", function, statement).await.unwrap() {
        Val::String(answer) => answer,
        other => panic!("{other:?}"),
    }
}

/// Adds a note to `service`, which must work.
async fn add(running: &Running, service: &str, note: &str) {
    let added = call(running, service, "add", note).await.unwrap();
    assert!(matches!(added, Val::Result(Ok(_))), "{service}: {added:?}");
}

/// The notes of `service`.
async fn notes(running: &Running, service: &str) -> Vec<String> {
    let mut results = [Val::Bool(false)];
    running.call(service, NOTES, "all", &[], &mut results).await.unwrap();
    let Val::Result(Ok(Some(list))) = &results[0] else { panic!("{:?}", results[0]) };
    let Val::List(items) = list.as_ref() else { panic!("{list:?}") };
    items.iter().map(|item| if let Val::String(s) = item { s.clone() } else { panic!("{item:?}") }).collect()
}

/// The neighbour kept its note, and `notes` takes the next call.
async fn both_carry_on(running: &Running, language: &str) {
    assert_eq!(notes(running, "neighbour").await, ["before"], "{language}");
    add(running, "notes", "after").await;
    assert_eq!(running.state("notes").unwrap(), ServiceState::Ready, "{language}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_bomb_is_refused_without_recursion_in_every_language() {
    for language in LANGUAGES {
        let wos = attack_wos(language, "", "");
        let running = start(&wos).await;
        add(&running, "neighbour", "before").await;
        // 450 KB of statements: prepared one at a time, the second refused.
        let bomb = "SELECT 1;".repeat(50_000);
        assert_eq!(
            attempt(&running, "attempt", &bomb).await,
            "sql: the text holds more than one statement; run one statement per call",
            "{language}"
        );
        // Past the length the host prepares at all.
        let long = format!("SELECT '{}'", "x".repeat(2 << 20));
        let answer = attempt(&running, "attempt-query", &long).await;
        assert!(answer.starts_with("limit: the statement is 2049 KiB, more than the 1024 KiB"), "{language}: {answer}");
        // An expression nested far deeper than the host's limit: an error, not a crash.
        let deep = format!("SELECT {}1{}", "1 + (".repeat(5000), ")".repeat(5000));
        let answer = attempt(&running, "attempt-query", &deep).await;
        assert!(answer.starts_with("sql: Expression tree is too large (maximum depth 200)"), "{language}: {answer}");
        both_carry_on(&running, language).await;
        running.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_query_stops_at_the_deadline_in_every_language() {
    for language in LANGUAGES {
        let wos = attack_wos(language, "", "deadline-ms = 500");
        let running = start(&wos).await;
        add(&running, "neighbour", "before").await;
        let error = call(&running, "notes", "attempt-query", ENDLESS).await.expect_err("interrupted");
        let failure = error.downcast::<ServiceFailure>().expect("a service failure");
        assert_eq!(failure.kind, FailureKind::Deadline(Duration::from_millis(500)), "{language}: {failure}");
        assert!(failure.to_string().contains("raise its `deadline-ms` in the wos"), "{failure}");
        both_carry_on(&running, language).await;
        running.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_result_stops_at_the_memory_budget_in_every_language() {
    for language in LANGUAGES {
        let wos = attack_wos(language, "", "memory-mib = 128");
        let running = start(&wos).await;
        add(&running, "neighbour", "before").await;
        // 400 rows of 1 MiB, more than the whole memory of the service.
        let huge = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400) \
                    SELECT zeroblob(1048576) FROM c";
        let answer = attempt(&running, "attempt-query", huge).await;
        assert!(answer.starts_with("limit: the rows of this query need more than the "), "{language}: {answer}");
        assert!(answer.contains("that service `notes` has left of its memory (`memory-mib`"), "{language}: {answer}");
        // What does fit is handed over.
        let small = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) \
                     SELECT zeroblob(1024) FROM c";
        assert_eq!(attempt(&running, "attempt-query", small).await, "3 row(s)", "{language}");
        both_carry_on(&running, language).await;
        running.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filling_the_disk_stops_at_the_size_limit_in_every_language() {
    for language in LANGUAGES {
        let wos = attack_wos(language, ", max-size-mib = 1", "");
        let running = start(&wos).await;
        add(&running, "neighbour", "before").await;
        // 4 MB of text into a database of at most 1 MiB.
        let fill = "INSERT INTO notes (text) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                    WHERE x < 40) SELECT hex(zeroblob(50000)) FROM c";
        let answer = attempt(&running, "attempt", fill).await;
        assert!(
            answer.starts_with(
                "full: the database of service `notes` is full: it may not grow past its `max-size-mib` of 1 \
                 (`[services.notes.sqlite]`)"
            ),
            "{language}: {answer}"
        );
        // The failed statement left nothing behind, and small writes still fit.
        both_carry_on(&running, language).await;
        assert_eq!(notes(&running, "notes").await, ["after"], "{language}");
        running.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_short_deadline_is_not_charged_to_the_service() {
    // With `restart = "never"`, one failure of the service's own fails it for good: a call cut
    // at its caller's deadline must not count as one.
    let wos = attack_wos("rust", "", "restart = \"never\"");
    let running = start(&wos).await;
    add(&running, "neighbour", "before").await;
    for _ in 0..3 {
        let caller = Caller { deadline: Some(Duration::from_millis(100)), ..Caller::default() };
        let mut results = [Val::Bool(false)];
        let error = running
            .call_as(caller, "notes", NOTES, "attempt-query", &[text(ENDLESS)], &mut results)
            .await
            .expect_err("cut at the caller's deadline");
        let failure = error.downcast::<ServiceFailure>().expect("a service failure");
        assert_eq!(failure.kind, FailureKind::CallerDeadline(Duration::from_millis(100)), "{failure}");
    }
    both_carry_on(&running, "rust").await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_queries_of_one_service_do_not_hold_up_another() {
    // Eight endless queries at once (each cut at its 2 s deadline) while the neighbour is
    // called: the neighbour answers while they still run.
    let wos = attack_wos_with("rust", "instances = 8", "", "deadline-ms = 2000");
    let running = start(&wos).await;
    add(&running, "neighbour", "before").await;
    let attacks: Vec<_> = (0..8)
        .map(|_| {
            let running = running.clone();
            tokio::spawn(async move { call(&running, "notes", "attempt-query", ENDLESS).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    add(&running, "neighbour", "during").await;
    assert_eq!(notes(&running, "neighbour").await, ["before", "during"]);
    assert!(attacks.iter().any(|attack| !attack.is_finished()), "the neighbour answered while the queries ran");
    for attack in attacks {
        let failure = attack.await.unwrap().expect_err("interrupted").downcast::<ServiceFailure>().unwrap();
        assert!(matches!(failure.kind, FailureKind::Deadline(_) | FailureKind::Unavailable { .. }), "{failure}");
    }
    running.shutdown().await;
}

const FAULTS: &str = "/parigot.testing.faults.v0_1_0.Faults";

/// Calls `function` of the faulty service served at `addr` over Connect with JSON `body`.
fn connect_call(addr: &str, function: &str, body: &str, extra: &[&str]) -> (u16, String) {
    let args = [&["-H", "Content-Type: application/json", "-d", body][..], extra].concat();
    curl(addr, &format!("{FAULTS}/{function}"), &args)
}

#[test]
fn a_full_queue_refuses_at_once_and_a_waiting_call_goes_with_its_client() {
    let faulty = component("faulty-rust").display().to_string();
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[services.faulty]\ncomponent = {faulty:?}\ninstances = 1\nqueue = 1\n"
    ));
    let served = Served::start(&wos.path(), &[]);
    // One call holds the only instance for 3 s.
    let addr = served.addr.clone();
    let sleeper = std::thread::spawn(move || connect_call(&addr, "Sleep", r#"{"ms": 3000}"#, &[]));
    std::thread::sleep(Duration::from_millis(500));
    // A client that gives up while its call waits: the call goes with it, long before the
    // instance is free (or the service's 30 s deadline).
    let (status, _) = connect_call(&served.addr, "Ping", "{}", &["--max-time", "0.5"]);
    assert_eq!(status, 0, "curl gave up");
    assert!(
        served.log_shows_within("was dropped: its client left while it waited", Duration::from_secs(2)),
        "{}",
        served.log()
    );
    // One call may wait (`queue = 1`); the next is refused at once.
    let addr = served.addr.clone();
    let waiting = std::thread::spawn(move || connect_call(&addr, "Ping", "{}", &[]));
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = connect_call(&served.addr, "Ping", "{}", &[]);
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("already has 1 calls waiting for a free instance, as many as its `queue` allows"), "{body}");
    assert!(body.contains("\"code\":\"resource_exhausted\""), "{body}");
    // The sleeper and the one that waited are answered.
    assert_eq!(sleeper.join().unwrap().0, 200);
    assert_eq!(waiting.join().unwrap().0, 200);
}
