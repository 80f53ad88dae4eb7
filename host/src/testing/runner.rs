//! The test runner (`parigot-host test`): runs the tests of a wos's test components
//! (`[tests.NAME]`, components that export `parigot:test/tests`), each test in fresh instances
//! of every service, with a fresh temporary database per service (its migrations applied, then
//! its `[fixtures]`),
//! virtual clocks, seeded randomness and its log captured, so that no test depends on another
//! or on time. A test that traps, loops past its deadline or exceeds its memory fails with the
//! cause; the others go on.

use super::sim::{SimFailure, Simulation};
use crate::caps::log::{LogCapture, render::LogFormat};
use crate::kernel::ServiceFailure;
use crate::names::ServiceName;
use crate::runtime::{App, Determinism, Running, StartOptions};
use crate::sim::Faults;
use std::sync::Arc;
use wasmtime::component::Val;

/// The interface a test component exports.
pub const TESTS_INTERFACE: &str = "parigot:test/tests@0.1.0";

/// What to run, and how.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Only tests whose full name (`component::test`) contains this.
    pub filter: Option<String>,
    /// The seed of every test's randomness (with `sim`, of the first run's).
    pub seed: u64,
    /// Run each test under simulated faults (`--sim`), as many times as this says (`--runs`)
    /// or the wos's `[sim] runs`.
    pub sim: Option<Option<u64>>,
}

/// How one test went.
#[derive(Debug)]
pub struct TestOutcome {
    /// `component::test`.
    pub name: String,
    /// None when it passed.
    pub failure: Option<Failure>,
    /// What the services (and the test) logged, stdout and stderr included.
    pub log: Vec<String>,
    /// How many times it ran: 1, or under `--sim` its runs up to the first that failed.
    pub runs: u64,
    /// Under `--sim`, the failing run: its seed, faults, replay and shrunk faults.
    pub sim: Option<SimFailure>,
}

/// Why a test failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// A check of the test failed.
    Check { message: String, expected: Option<String>, actual: Option<String>, location: Option<String> },
    /// The test component, or a service it called, failed: a trap, a deadline, memory.
    Crashed(String),
}

/// Runs the tests of `tests` (test components of `app`, loaded with
/// [`crate::manifest::Manifest::with_tests`]).
pub async fn run_tests(
    app: &Arc<App>,
    tests: &[ServiceName],
    options: &TestOptions,
) -> wasmtime::Result<Vec<TestOutcome>> {
    let simulation = options.sim.map(|runs| Simulation::of(app, runs)).transpose()?;
    let mut outcomes = Vec::new();
    for component in tests {
        let names = {
            let (running, _data, _log) = fresh(app, options.seed, None).await?;
            let names = test_names(&running, component).await;
            running.shutdown().await;
            names?
        };
        for test in names {
            let name = format!("{component}::{test}");
            if options.filter.as_deref().is_some_and(|filter| !name.contains(filter)) {
                continue;
            }
            let outcome = match &simulation {
                None => {
                    let (failure, log) = run_fresh(app, component, &test, options.seed, None).await?;
                    TestOutcome { name, failure, log, runs: 1, sim: None }
                }
                Some(simulation) => simulation.run(app, component, &test, name, options.seed).await?,
            };
            outcomes.push(outcome);
        }
    }
    Ok(outcomes)
}

/// Runs `test` of `component` in the wos started afresh, with randomness from `seed` and the
/// simulation's `faults` if given: how it failed, if it did, and what was logged.
pub(super) async fn run_fresh(
    app: &Arc<App>,
    component: &ServiceName,
    test: &str,
    seed: u64,
    faults: Option<Arc<Faults>>,
) -> wasmtime::Result<(Option<Failure>, Vec<String>)> {
    let (running, _data, log) = fresh(app, seed, faults).await?;
    let failure = run_one(&running, component, test).await;
    running.shutdown().await;
    let log = log.lines().iter().map(|line| format!("{} | {}", line.service, line.message)).collect();
    Ok((failure, log))
}

/// The wos started afresh: new instances, databases in a new temporary folder (kept while the
/// returned guard lives), a deterministic run from `seed` whose log goes into the returned
/// capture, with the simulation's `faults` if given.
async fn fresh(
    app: &Arc<App>,
    seed: u64,
    faults: Option<Arc<Faults>>,
) -> wasmtime::Result<(Running, tempfile::TempDir, Arc<LogCapture>)> {
    let data = tempfile::Builder::new().prefix("parigot-test-").tempdir()?;
    let log = Arc::new(LogCapture::default());
    let start = StartOptions {
        determinism: Some(Determinism { seed, ..Determinism::default() }),
        log_format: LogFormat::Json,
        log: Some(log.clone()),
        data_dir: Some(data.path().to_owned()),
        export: None,
        recent: None,
        lend_spans: false,
        faults,
    };
    let running = app.start(start).await?;
    for (service, file) in &app.manifest.fixtures {
        load_fixture(&data.path().join(format!("{service}.sqlite3")), file)
            .map_err(|why| wasmtime::format_err!("the fixture {} of service `{service}`: {why}", file.display()))?;
    }
    Ok((running, data, log))
}

/// Runs the SQL of `file` on the database at `database`, in one transaction.
fn load_fixture(database: &std::path::Path, file: &std::path::Path) -> Result<(), String> {
    let sql = std::fs::read_to_string(file).map_err(|e| format!("cannot read it: {e}"))?;
    let mut connection = rusqlite::Connection::open(database).map_err(|e| e.to_string())?;
    let transaction = connection.transaction().map_err(|e| e.to_string())?;
    transaction.execute_batch(&sql).map_err(|e| e.to_string())?;
    transaction.commit().map_err(|e| e.to_string())
}

async fn test_names(running: &Running, component: &ServiceName) -> wasmtime::Result<Vec<String>> {
    let mut results = [Val::Bool(false)];
    running.call(component.as_str(), TESTS_INTERFACE, "names", &[], &mut results).await?;
    match &results[0] {
        Val::List(names) => Ok(names.iter().filter_map(text).collect()),
        other => wasmtime::bail!("test component `{component}` listed its tests as {other:?}, not a list of strings"),
    }
}

async fn run_one(running: &Running, component: &ServiceName, test: &str) -> Option<Failure> {
    let mut results = [Val::Bool(false)];
    let params = [Val::String(test.into())];
    match running.call(component.as_str(), TESTS_INTERFACE, "run", &params, &mut results).await {
        Err(error) => Some(Failure::Crashed(crash_cause(&error))),
        Ok(()) => match &results[0] {
            Val::Result(Ok(_)) => None,
            Val::Result(Err(Some(failure))) => Some(check_failure(failure)),
            other => Some(Failure::Crashed(format!("the test answered {other:?}"))),
        },
    }
}

/// Why a test crashed: where the failure began (the deepest service that failed, and why),
/// ahead of the traps it unwound through; the whole error when no service failure is in it.
fn crash_cause(error: &wasmtime::Error) -> String {
    let Some(failure) = ServiceFailure::origin(error) else { return format!("{error:#}") };
    let mut text = failure.to_string();
    let mut source = std::error::Error::source(failure);
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

/// A `failure` record.
fn check_failure(value: &Val) -> Failure {
    let Val::Record(fields) = value else { return Failure::Crashed(format!("the test failed with {value:?}")) };
    let field = |name: &str| fields.iter().find(|(field, _)| field == name).map(|(_, value)| value);
    let optional = |name: &str| match field(name) {
        Some(Val::Option(Some(value))) => text(value),
        _ => None,
    };
    Failure::Check {
        message: field("message").and_then(text).unwrap_or_default(),
        expected: optional("expected"),
        actual: optional("actual"),
        location: optional("location"),
    }
}

fn text(value: &Val) -> Option<String> {
    match value {
        Val::String(text) => Some(text.clone()),
        _ => None,
    }
}

/// The report of `outcomes` as `cargo test` prints one: a line per test, the failures with
/// their values and captured log, and `N passed, N failed`.
pub fn report(outcomes: &[TestOutcome]) -> String {
    let mut out = format!("running {} tests\n", outcomes.len());
    for outcome in outcomes {
        let verdict = match (&outcome.failure, &outcome.sim) {
            (None, _) if outcome.runs > 1 => format!("ok ({} runs)", outcome.runs),
            (None, _) => "ok".to_owned(),
            (Some(_), Some(sim)) => format!("FAILED (run {}, seed {})", outcome.runs, sim.seed),
            (Some(_), None) => "FAILED".to_owned(),
        };
        out += &format!("test {} ... {verdict}\n", outcome.name);
    }
    let failed: Vec<&TestOutcome> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
    if !failed.is_empty() {
        out += "\nfailures:\n";
        for outcome in &failed {
            out += &format!("\n---- {} ----\n{}", outcome.name, describe(outcome.failure.as_ref().expect("failed")));
            if let Some(sim) = &outcome.sim {
                out += &sim.describe();
            }
            if !outcome.log.is_empty() {
                out += "captured log:\n";
                for line in &outcome.log {
                    out += &format!("  {line}\n");
                }
            }
        }
    }
    let passed = outcomes.len() - failed.len();
    out += &format!(
        "\ntest result: {}. {passed} passed, {} failed\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len()
    );
    out
}

/// A failure as the report shows it: the check's message, where, and both values; or the
/// cause of a crash.
pub(super) fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Crashed(cause) => format!("crashed: {cause}\n"),
        Failure::Check { message, expected, actual, location } => {
            let mut out = match location {
                Some(location) => format!("{message} (at {location})\n"),
                None => format!("{message}\n"),
            };
            if let Some(expected) = expected {
                out += &format!("  expected: {expected}\n");
            }
            if let Some(actual) = actual {
                out += &format!("  actual:   {actual}\n");
            }
            out
        }
    }
}

/// The outcomes as a JUnit XML report (one `testsuite`, a `testcase` per test).
pub fn junit(suite: &str, outcomes: &[TestOutcome]) -> String {
    let failures = outcomes.iter().filter(|o| o.failure.is_some()).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
        xml(suite),
        outcomes.len()
    );
    for outcome in outcomes {
        let (component, test) = outcome.name.split_once("::").unwrap_or(("", &outcome.name));
        out += &format!("    <testcase classname=\"{}\" name=\"{}\"", xml(component), xml(test));
        match &outcome.failure {
            None => out += "/>\n",
            Some(failure) => {
                let text = describe(failure);
                let message = text.lines().next().unwrap_or_default();
                out += &format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n      <system-out>{}</system-out>\n    </testcase>\n",
                    xml(message),
                    xml(&text),
                    xml(&outcome.log.join("\n"))
                );
            }
        }
    }
    out + "  </testsuite>\n</testsuites>\n"
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes() -> Vec<TestOutcome> {
        vec![
            TestOutcome { name: "t::passes".into(), failure: None, log: vec![], runs: 1, sim: None },
            TestOutcome {
                name: "t::compares".into(),
                failure: Some(Failure::Check {
                    message: "the totals differ".into(),
                    expected: Some("750".into()),
                    actual: Some("375".into()),
                    location: Some("src/lib.rs:12".into()),
                }),
                log: vec!["pricing | quoted".into()],
                runs: 1,
                sim: None,
            },
        ]
    }

    #[test]
    fn the_report_reads_like_cargo_tests() {
        let report = report(&outcomes());
        assert!(
            report.starts_with("running 2 tests\ntest t::passes ... ok\ntest t::compares ... FAILED\n"),
            "{report}"
        );
        assert!(report.contains(
            "---- t::compares ----\nthe totals differ (at src/lib.rs:12)\n  expected: 750\n  actual:   375\n"
        ));
        assert!(report.contains("captured log:\n  pricing | quoted\n"), "{report}");
        assert!(report.ends_with("test result: FAILED. 1 passed, 1 failed\n"), "{report}");
    }

    #[test]
    fn junit_has_a_testcase_per_test_and_escapes() {
        let xml = junit("shop <test>", &outcomes());
        assert!(xml.contains("<testsuite name=\"shop &lt;test&gt;\" tests=\"2\" failures=\"1\">"), "{xml}");
        assert!(xml.contains("<testcase classname=\"t\" name=\"passes\"/>"), "{xml}");
        assert!(xml.contains("<failure message=\"the totals differ (at src/lib.rs:12)\">"), "{xml}");
    }
}
