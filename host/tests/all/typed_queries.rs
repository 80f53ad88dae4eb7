//! Typed queries (sqlc-style) from every guest language: the tagged-notes services of
//! guests/tagged-notes call the functions the host generates from their queries file through
//! their ordinary bindings; a stale generated WIT, or a service built against another one, is
//! refused at start-up with the command that fixes it.

use crate::support::{Wos, host, load_app, repo, string, text};
use parigot_host::runtime::{App, Running, StartOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::component::Val;

const TAGGED_NOTES: &str = "parigot:tagged-notes/tagged-notes@0.1.0";
const SERVICES: [&str; 4] = ["notes-rust", "notes-go", "notes-python", "notes-ts"];

fn example() -> PathBuf {
    repo().join("guests/tagged-notes")
}

/// A built service of guests/tagged-notes (`make guests` builds them).
fn built(service: &str) -> PathBuf {
    let path = example().join(".parigot/build").join(format!("{service}.wasm"));
    assert!(path.exists(), "{} is missing: run `make guests` (or `make test`) first", path.display());
    path
}

fn load(wos: &Path) -> wasmtime::Result<Arc<App>> {
    load_app(wos)
}

/// The services of guests/tagged-notes, running on databases in `data`.
struct Notes {
    rt: tokio::runtime::Runtime,
    running: Running,
}

impl Notes {
    fn start(data: &Path) -> Notes {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let app = load(&example().join("wos.toml")).unwrap();
        let options = StartOptions { data_dir: Some(data.to_owned()), ..StartOptions::default() };
        let running = rt.block_on(app.start(options)).unwrap();
        Notes { rt, running }
    }

    fn call(&self, service: &str, function: &str, params: &[Val]) -> wasmtime::Result<Val> {
        let mut results = [Val::Bool(false)];
        let count = if function == "add-then-crash" { 0 } else { 1 };
        self.rt.block_on(self.running.call(service, TAGGED_NOTES, function, params, &mut results[..count]))?;
        Ok(results[0].clone())
    }

    /// Calls a function that returns `result<T, string>`.
    fn ok(&self, service: &str, function: &str, params: &[Val]) -> Result<Val, String> {
        match self.call(service, function, params).unwrap() {
            Val::Result(Ok(value)) => Ok(value.map_or(Val::Bool(false), |v| *v)),
            Val::Result(Err(Some(error))) => match *error {
                Val::String(message) => Err(message),
                other => panic!("{other:?}"),
            },
            other => panic!("{service}: {function}: {other:?}"),
        }
    }

    fn add(&self, service: &str, title: &str, body: Option<&str>, tags: &[&str]) -> Result<i64, String> {
        let body = Val::Option(body.map(|b| Box::new(text(b))));
        let tags = Val::List(tags.iter().map(|t| text(t)).collect());
        self.ok(service, "add", &[text(title), body, tags]).map(|id| match id {
            Val::S64(id) => id,
            other => panic!("{other:?}"),
        })
    }

    fn get(&self, service: &str, id: i64) -> Option<Note> {
        match self.ok(service, "get", &[Val::S64(id)]).unwrap() {
            Val::Option(found) => found.map(|note| Note::of(*note)),
            other => panic!("{other:?}"),
        }
    }

    fn tagged(&self, service: &str, tag: &str) -> Vec<Note> {
        match self.ok(service, "tagged", &[text(tag)]).unwrap() {
            Val::List(notes) => notes.into_iter().map(Note::of).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn tag_counts(&self, service: &str) -> Vec<(String, i64)> {
        match self.ok(service, "tag-counts", &[]).unwrap() {
            Val::List(counts) => counts
                .into_iter()
                .map(|count| match fields(count).as_slice() {
                    [Val::String(tag), Val::S64(notes)] => (tag.clone(), *notes),
                    other => panic!("{other:?}"),
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    fn remove(&self, service: &str, id: i64) -> bool {
        self.ok(service, "remove", &[Val::S64(id)]).unwrap() == Val::Bool(true)
    }
}

/// A `note` record of parigot:tagged-notes.
#[derive(Debug, PartialEq)]
struct Note {
    id: i64,
    title: String,
    body: Option<String>,
    tags: Vec<String>,
}

impl Note {
    fn of(value: Val) -> Note {
        match fields(value).as_slice() {
            [Val::S64(id), Val::String(title), Val::Option(body), Val::List(tags)] => Note {
                id: *id,
                title: title.clone(),
                body: body.as_deref().map(string),
                tags: tags.iter().map(string).collect(),
            },
            other => panic!("{other:?}"),
        }
    }

    fn new(id: i64, title: &str, body: Option<&str>, tags: &[&str]) -> Note {
        Note { id, title: title.into(), body: body.map(Into::into), tags: tags.iter().map(|t| t.to_string()).collect() }
    }
}

fn fields(value: Val) -> Vec<Val> {
    match value {
        Val::Record(fields) => fields.into_iter().map(|(_, v)| v).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_language_keeps_notes_with_tags_through_its_typed_queries() {
    let data = tempfile::tempdir().unwrap();
    let notes = Notes::start(data.path());
    for service in SERVICES {
        let first = notes.add(service, "Groceries", Some("eggs, milk"), &["home", "todo"]).unwrap();
        let second = notes.add(service, "Call Vinny", None, &["todo"]).unwrap();
        let third = notes.add(service, "No tags", None, &[]).unwrap();
        assert_eq!(
            notes.get(service, first),
            Some(Note::new(first, "Groceries", Some("eggs, milk"), &["home", "todo"]))
        );
        assert_eq!(notes.get(service, third), Some(Note::new(third, "No tags", None, &[])), "{service}");
        assert_eq!(notes.get(service, 9999), None, "{service}");
        assert_eq!(
            notes.tagged(service, "todo"),
            [
                Note::new(first, "Groceries", Some("eggs, milk"), &["home", "todo"]),
                Note::new(second, "Call Vinny", None, &["todo"])
            ],
            "{service}"
        );
        assert_eq!(notes.tagged(service, "nobody uses this"), [], "{service}");
        assert_eq!(notes.tag_counts(service), [("todo".to_owned(), 2), ("home".to_owned(), 1)], "{service}");

        // `:execrows`, and ON DELETE CASCADE (foreign keys are on) removing the tags.
        assert!(notes.remove(service, first), "{service}");
        assert!(!notes.remove(service, first), "{service}");
        assert_eq!(notes.tag_counts(service), [("todo".to_owned(), 1)], "{service}");
    }
}

#[test]
fn a_failing_query_is_a_typed_error_and_its_transaction_is_rolled_back_in_every_language() {
    let data = tempfile::tempdir().unwrap();
    let notes = Notes::start(data.path());
    for service in SERVICES {
        // The second `home` breaks the tags' primary key: the note itself is rolled back.
        let error = notes.add(service, "Twice", None, &["home", "home"]).unwrap_err();
        assert_eq!(error, "constraint: UNIQUE constraint failed: tags.note_id, tags.tag", "{service}");
        assert_eq!(notes.tag_counts(service), [], "{service}");
        // A guest that fails with its transaction open: the host rolls it back.
        let crash = notes.call(service, "add-then-crash", &[text("lost")]).unwrap_err();
        assert!(format!("{crash:#}").contains(service), "{service}: {crash:#}");
        let kept = notes.add(service, "Kept", None, &[]).unwrap();
        assert_eq!(kept, 1, "{service}: only `Kept` was ever committed");
        assert_eq!(notes.get(service, kept).map(|n| n.title), Some("Kept".to_owned()), "{service}");
    }
    // What each service committed is in its own file.
    for service in SERVICES {
        let file = rusqlite::Connection::open(data.path().join(format!("{service}.sqlite3"))).unwrap();
        let titles: Vec<String> = file
            .prepare("SELECT title FROM notes ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(titles, ["Kept"], "{service}");
    }
}

/// A wos in a temporary folder with a copy of guests/tagged-notes's db/ folder and, for each
/// `(name, built)`, a service `name` that runs the built component of the example's service
/// `built` with the example's database grant; `top` goes before the services.
pub fn tagged_notes_wos(top: &str, services: &[(&str, &str)]) -> Wos {
    let mut text = format!("manifest-version = 1\n{top}\n");
    for (name, service) in services {
        let wasm = built(service).display().to_string();
        text += &format!(
            "[services.{name}]\ncomponent = {wasm:?}\n\
             sqlite = {{ migrations = \"db/migrations\", queries = \"db/queries.sql\", package = \"notes:db\" }}\n"
        );
    }
    let wos = Wos::new(&text);
    let folder = wos.path().parent().unwrap().to_owned();
    std::fs::create_dir_all(folder.join("db/migrations")).unwrap();
    for file in ["db/queries.sql", "db/queries.wit", "db/migrations/0001_notes.sql"] {
        std::fs::copy(example().join(file), folder.join(file)).unwrap();
    }
    wos
}

/// [`tagged_notes_wos`] with the example's three services.
fn copied_wos() -> Wos {
    tagged_notes_wos("", &SERVICES.map(|s| (s, s)))
}

#[test]
fn the_checked_in_generated_wit_is_current() {
    let wos = example().join("wos.toml");
    let run = host(&["queries", wos.to_str().unwrap(), "--check"]).expect_code(0);
    let wit = example().join("db/queries.wit").display().to_string();
    assert_eq!(run.stdout, format!("{wit}: up to date\n"), "one line per file, though three services share it");
}

#[test]
fn a_stale_generated_wit_stops_the_start_and_says_how_to_regenerate() {
    let wos = copied_wos();
    let folder = wos.path().parent().unwrap().to_owned();
    let queries = folder.join("db/queries.sql");
    let edited = std::fs::read_to_string(&queries).unwrap()
        + "\n-- name: CountNotes :one\nSELECT count(*) AS notes FROM notes;\n";
    std::fs::write(&queries, edited).unwrap();
    let wos_path = wos.path().display().to_string();
    let error = format!("{:#}", load(&wos.path()).err().expect("refused"));
    assert_eq!(
        error,
        format!(
            "cannot load the typed queries of service `notes-go`: {} is stale: its queries or migrations changed \
             since it was generated; run `parigot-host queries {wos_path}` and rebuild the service",
            folder.join("db/queries.wit").display()
        )
    );
    // `--check` says so and fails; without it the file is rewritten, once.
    let check = host(&["queries", &wos_path, "--check"]).expect_code(78);
    assert!(check.stdout.contains("db/queries.wit: stale"), "{}", check.stdout);
    assert!(check.stderr.contains("stale generated queries WIT"), "{}", check.stderr);
    let wrote = host(&["queries", &wos_path, "--service", "notes-rust"]).expect_code(0);
    assert!(
        wrote.stdout.ends_with("wrote 8 queries of service `notes-rust` as `notes:db/queries`\n"),
        "{}",
        wrote.stdout
    );
    host(&["queries", &wos_path, "--check"]).expect_code(0);

    // The WIT is current now, but the components were built against the old one: the added
    // query is harmless (they do not import it); a changed one is refused by the linker.
    load(&wos.path()).expect("an added query does not break the built services");
    let changed = std::fs::read_to_string(&queries)
        .unwrap()
        .replace("FROM notes WHERE id = @id;\n\n-- name: TagsOf", "FROM notes WHERE title = @id;\n\n-- name: TagsOf");
    std::fs::write(&queries, changed).unwrap();
    host(&["queries", &wos_path]).expect_code(0);
    let error = format!("{:#}", load(&wos.path()).err().expect("refused"));
    assert!(
        error.contains(
            "service `notes-go` imports `notes:db/queries#get-note`, which its queries do not define as it expects \
             (parameter `id` > expected s64, found string)"
        ),
        "{error}"
    );
    assert!(error.contains("rebuild it (`parigot-host build`)"), "{error}");
}

#[test]
fn a_missing_generated_wit_stops_the_start() {
    let wos = copied_wos();
    let wit = wos.path().parent().unwrap().join("db/queries.wit");
    std::fs::remove_file(&wit).unwrap();
    let error = format!("{:#}", load(&wos.path()).err().expect("refused"));
    assert!(error.contains(&format!("{} has not been generated; run `parigot-host queries", wit.display())), "{error}");
}

#[test]
fn a_query_whose_types_cannot_be_inferred_is_refused_with_the_fix() {
    let wos = copied_wos();
    let folder = wos.path().parent().unwrap().to_owned();
    std::fs::write(
        folder.join("db/queries.sql"),
        "-- name: Shout :one\nSELECT upper(title) || @suffix AS shout FROM notes;\n",
    )
    .unwrap();
    let run = host(&["queries", wos.path().to_str().unwrap()]).expect_code(78);
    assert!(run.stderr.contains("cannot generate the typed queries of service `notes-go`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("query `Shout` (queries.sql:1): cannot tell the type of parameter `@suffix`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("write it as `CAST(@suffix AS INTEGER)`"), "{}", run.stderr);
}

#[test]
fn services_that_share_a_queries_file_must_generate_the_same_wit_from_it() {
    let wos = copied_wos();
    let text = std::fs::read_to_string(wos.path()).unwrap();
    let (head, python) = text.split_at(text.find("[services.notes-python]").unwrap());
    std::fs::write(wos.path(), format!("{head}{}", python.replace("notes:db", "other:db"))).unwrap();
    let run = host(&["queries", wos.path().to_str().unwrap()]).expect_code(78);
    assert!(
        run.stderr.contains("services `notes-go` and `notes-python` share the queries file of")
            && run.stderr.contains("generate different WIT from it"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_typed_query_whose_rows_pass_the_memory_left_fails_with_limit_in_every_language() {
    // 150 notes of 1 MiB each, tagged `big`, against services of 128 MiB: the host stops
    // collecting the rows at what the instance has left, and the query fails `limit`.
    let db = example().join("db");
    let mut manifest = "manifest-version = 1\n[limits]\nmemory-mib = 128\n".to_owned();
    for service in SERVICES {
        manifest += &format!(
            "[services.{service}]\ncomponent = {:?}\n\
             sqlite = {{ migrations = {:?}, queries = {:?}, package = \"notes:db\" }}\n",
            built(service).display().to_string(),
            db.join("migrations").display().to_string(),
            db.join("queries.sql").display().to_string(),
        );
    }
    let wos = Wos::new(&manifest);
    let data = wos.path().with_file_name("data");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let start = || {
        let options = StartOptions { data_dir: Some(data.clone()), ..StartOptions::default() };
        rt.block_on(load(&wos.path()).unwrap().start(options)).unwrap()
    };
    // The first start migrates the databases; the big notes go in behind the services' backs.
    rt.block_on(start().shutdown());
    let body = "x".repeat(1 << 20);
    for service in SERVICES {
        let file = rusqlite::Connection::open(data.join(format!("{service}.sqlite3"))).unwrap();
        file.execute_batch("BEGIN").unwrap();
        for n in 0..150 {
            file.execute("INSERT INTO notes (id, title, body) VALUES (?1, 'big', ?2)", rusqlite::params![n, body])
                .unwrap();
            file.execute("INSERT INTO tags (note_id, tag) VALUES (?1, 'big')", [n]).unwrap();
        }
        file.execute_batch("COMMIT").unwrap();
    }
    let running = start();
    for service in SERVICES {
        let mut results = [Val::Bool(false)];
        rt.block_on(running.call(service, TAGGED_NOTES, "tagged", &[text("big")], &mut results)).unwrap();
        let Val::Result(Err(Some(error))) = &results[0] else { panic!("{service}: {:?}", results[0]) };
        let message = string(error);
        assert!(message.starts_with("limit: the rows of this query need more than the "), "{service}: {message}");
        assert!(message.contains("`memory-mib`"), "{service}: {message}");
    }
}

#[test]
fn every_column_type_present_or_absent_crosses_as_parameters_and_rows() {
    let data = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let app = load(&repo().join("guests/bench-queries/wos.toml")).unwrap();
    let options = StartOptions { data_dir: Some(data.path().to_owned()), ..StartOptions::default() };
    let running = rt.block_on(app.start(options)).unwrap();
    let mut results = [Val::Bool(false)];
    let bench = "parigot:bench-queries/bench@0.1.0";
    rt.block_on(running.call("items", bench, "kinds", &[], &mut results)).unwrap();
    let full = r#"1 1.5 true [0, 1, 255] Some("é") Some(-2.25) Some(false) Some([7]) a bb ccc dddd eeeee"#;
    let empty = "2 0 false [] None None None None     ";
    // `add-kinds` passes 24 flat values, so its parameters cross in memory; `get-kinds` of a
    // missing id answers `none`; `maybe-texts` is a list of one nullable column.
    let expected = [full, "None", full, empty, r#"[Some("é"), None]"#].join("\n");
    assert_eq!(string(&results[0]), expected);
    rt.block_on(running.shutdown());
}
