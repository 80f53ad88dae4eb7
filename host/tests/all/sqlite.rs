//! A SQLite database per service, from every guest language: granted or refused, migrated,
//! transactions rolled back when a call ends without commit, and nothing a statement does
//! reaching another file or another service's data.

use crate::support::{LANGUAGES, Wos, component, load_app, text};
use parigot_host::runtime::{App, Running, StartOptions};
use std::sync::Arc;
use wasmtime::component::Val;

const NOTES: &str = "parigot:notes/notes@0.1.0";
const CREATE: &str = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);\n";

/// A wos of services `(name, language)`, each granted a database migrated from the wos's
/// `migrations` folder, which holds `0001_notes.sql` with `CREATE`.
fn notes_wos(services: &[(&str, &str)]) -> Wos {
    let mut text = "manifest-version = 1\n".to_owned();
    for (name, language) in services {
        let wasm = component(&format!("notes-{language}")).display().to_string();
        text += &format!("[services.{name}]\ncomponent = {wasm:?}\nsqlite = {{ migrations = \"migrations\" }}\n");
    }
    let wos = Wos::new(&text);
    std::fs::create_dir_all(wos.path().parent().unwrap().join("migrations")).unwrap();
    wos.file("migrations/0001_notes.sql", CREATE.as_bytes());
    wos
}

fn load(wos: &Wos) -> wasmtime::Result<Arc<App>> {
    load_app(&wos.path())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn start(rt: &tokio::runtime::Runtime, app: &Arc<App>) -> wasmtime::Result<Running> {
    rt.block_on(app.start(StartOptions::default()))
}

fn call(rt: &tokio::runtime::Runtime, running: &Running, service: &str, function: &str, params: &[Val]) -> Val {
    let mut results = [Val::Bool(false)];
    rt.block_on(running.call(service, NOTES, function, params, &mut results)).unwrap();
    results[0].clone()
}

fn notes(rt: &tokio::runtime::Runtime, running: &Running, service: &str) -> Vec<String> {
    match call(rt, running, service, "all", &[]) {
        Val::Result(Ok(Some(list))) => match *list {
            Val::List(items) => {
                items.into_iter().map(|v| if let Val::String(s) = v { s } else { panic!("{v:?}") }).collect()
            }
            other => panic!("{other:?}"),
        },
        other => panic!("all failed: {other:?}"),
    }
}

fn attempt(rt: &tokio::runtime::Runtime, running: &Running, service: &str, statement: &str) -> String {
    match call(rt, running, service, "attempt", &[text(statement)]) {
        Val::String(answer) => answer,
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_language_keeps_its_notes_and_an_uncommitted_transaction_is_rolled_back() {
    for language in LANGUAGES {
        let wos = notes_wos(&[("notes", language)]);
        let rt = runtime();
        let app = load(&wos).unwrap();
        let running = start(&rt, &app).unwrap();
        assert!(matches!(call(&rt, &running, "notes", "add", &[text("one")]), Val::Result(Ok(_))), "{language}");
        call(&rt, &running, "notes", "add-in-transaction", &[text("two"), Val::Bool(true)]);
        call(&rt, &running, "notes", "add-in-transaction", &[text("abandoned"), Val::Bool(false)]);
        call(&rt, &running, "notes", "add", &[text("three")]);
        assert_eq!(notes(&rt, &running, "notes"), ["one", "two", "three"], "{language}");
        rt.block_on(running.shutdown());
        // The file outlives the run; the migration is not applied twice.
        let running = start(&rt, &load(&wos).unwrap()).unwrap();
        assert_eq!(notes(&rt, &running, "notes"), ["one", "two", "three"], "{language}");
        let file = wos.path().parent().unwrap().join(".parigot/data/notes.sqlite3");
        assert!(file.is_file(), "{}", file.display());
    }
}

#[test]
fn statements_that_reach_past_the_services_own_file_are_refused_in_every_language() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere.db").display().to_string();
    for language in LANGUAGES {
        let wos = notes_wos(&[("notes", language)]);
        let rt = runtime();
        let running = start(&rt, &load(&wos).unwrap()).unwrap();
        for statement in [
            format!("ATTACH DATABASE '{elsewhere}' AS other"),
            format!("VACUUM INTO '{elsewhere}'"),
            "PRAGMA journal_mode = DELETE".to_owned(),
            "PRAGMA synchronous = OFF".to_owned(),
            "PRAGMA writable_schema = ON".to_owned(),
            "SELECT load_extension('/tmp/evil')".to_owned(),
        ] {
            let answer = attempt(&rt, &running, "notes", &statement);
            assert!(answer.starts_with("not-allowed: "), "{language}: {statement}: {answer}");
        }
        assert!(!std::path::Path::new(&elsewhere).exists(), "{language}: a statement wrote {elsewhere}");
        let bad = attempt(&rt, &running, "notes", "INSERT INTO nowhere VALUES (1)");
        assert!(bad.starts_with("sql: no such table: nowhere"), "{language}: {bad}");
        assert_eq!(
            attempt(&rt, &running, "notes", "PRAGMA table_info(notes)"),
            "sql: the statement returns rows: run it with `query`"
        );
        // The service's data is intact.
        call(&rt, &running, "notes", "add", &[text("still here")]);
        assert_eq!(notes(&rt, &running, "notes"), ["still here"], "{language}");
    }
}

#[test]
fn services_have_databases_of_their_own() {
    let wos = notes_wos(&[("alpha", "rust"), ("beta", "go"), ("gamma", "python"), ("delta", "js")]);
    let rt = runtime();
    let running = start(&rt, &load(&wos).unwrap()).unwrap();
    call(&rt, &running, "alpha", "add", &[text("alpha's")]);
    call(&rt, &running, "gamma", "add", &[text("gamma's")]);
    assert_eq!(notes(&rt, &running, "alpha"), ["alpha's"]);
    assert!(notes(&rt, &running, "beta").is_empty());
    assert_eq!(notes(&rt, &running, "gamma"), ["gamma's"]);
    assert!(notes(&rt, &running, "delta").is_empty());
}

#[test]
fn a_service_that_imports_sqlite_without_the_grant_is_refused_in_every_language() {
    for language in LANGUAGES {
        let wasm = component(&format!("notes-{language}")).display().to_string();
        let wos = Wos::new(&format!("manifest-version = 1\n[services.notes]\ncomponent = {wasm:?}\n"));
        let error = load(&wos).err().expect("refused").to_string();
        assert_eq!(
            error,
            "service `notes` imports `parigot:sqlite/sqlite@0.1.0` (a SQLite database), which the wos does not \
             grant it; grant it with `sqlite` in `[services.notes]`, or remove the import",
            "{language}"
        );
    }
}

#[test]
fn a_changed_or_failing_migration_stops_the_start_and_names_the_file() {
    let wos = notes_wos(&[("notes", "rust")]);
    let rt = runtime();
    rt.block_on(start(&rt, &load(&wos).unwrap()).unwrap().shutdown());
    wos.file("migrations/0001_notes.sql", format!("{CREATE}-- edited\n").as_bytes());
    let error = format!("{:#}", start(&rt, &load(&wos).unwrap()).err().expect("refused"));
    assert!(error.contains("cannot start service `notes`: its database: migration `0001_notes.sql`"), "{error}");
    assert!(error.contains("changed after it was applied"), "{error}");

    let wos = notes_wos(&[("notes", "rust")]);
    wos.file("migrations/0002_broken.sql", b"CREATE TABLE tags (name TEXT);\nINSERT INTO missing VALUES (1);\n");
    let error = format!("{:#}", start(&rt, &load(&wos).unwrap()).err().expect("refused"));
    assert!(error.contains("migration `0002_broken.sql`"), "{error}");
    assert!(error.contains("no such table: missing"), "{error}");
    assert!(error.contains("INSERT INTO missing VALUES (1)"), "{error}");
    // Rolled back whole: the first statement's table is not there, the first migration is.
    wos.file("migrations/0002_broken.sql", b"CREATE TABLE tags (name TEXT);\n");
    let running = start(&rt, &load(&wos).unwrap()).unwrap();
    assert!(notes(&rt, &running, "notes").is_empty());
}

#[test]
fn a_missing_migrations_folder_stops_the_start_and_names_it() {
    let wos = notes_wos(&[("notes", "go")]);
    let folder = wos.path().parent().unwrap().join("migrations");
    std::fs::remove_dir_all(&folder).unwrap();
    let rt = runtime();
    let error = format!("{:#}", start(&rt, &load(&wos).unwrap()).err().expect("refused"));
    assert!(error.contains("cannot start service `notes`: its database: cannot read the migrations folder"), "{error}");
    assert!(error.contains(&folder.display().to_string()), "{error}");
}
