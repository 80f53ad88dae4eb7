//! Served writes to a service's database under load: a host killed with SIGKILL in the middle
//! of many concurrent writes loses none it acknowledged, and many concurrent writers on a pool
//! of instances never see SQLITE_BUSY.

use crate::support::repo;
use crate::support::served::Served;
use crate::typed_queries::tagged_notes_wos;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ADD: &str = "parigot.tagged_notes.tagged_notes.v0_1_0.TaggedNotes/Add";
const GET: &str = "parigot.tagged_notes.tagged_notes.v0_1_0.TaggedNotes/Get";
/// A note numbered by the writing client.
const NOTE: &str = r#"{"title": "note {n}", "tags": ["load", "n{n}"]}"#;

/// A wos that serves the notes service (the example's service `built`) with a pool of 16.
fn served_notes(built: &str) -> crate::support::Wos {
    let top = "exports = [\"parigot:tagged-notes/tagged-notes@0.1.0\"]\n[serve]\npool = 16\n";
    tagged_notes_wos(top, &[("notes", built)])
}

/// Runs host/tests/clients/grpc_writes.py against `addr`; `extra` are its options.
fn writer(addr: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(repo().join(".tools/venv/bin/python"));
    command.arg(repo().join("host/tests/clients/grpc_writes.py")).args([addr, ADD, NOTE]).args(extra);
    command
}

fn summary(output: std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "grpc_writes.py failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("grpc_writes.py printed {stdout:?}: {e}"))
}

/// The notes in the database file at `path` by id, after checking the file's integrity.
fn notes_in(path: &Path) -> BTreeMap<i64, String> {
    let file = rusqlite::Connection::open(path).unwrap();
    let integrity: String = file.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(integrity, "ok", "{}", path.display());
    let mut query = file.prepare("SELECT id, title FROM notes").unwrap();
    query.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_host_killed_in_the_middle_of_concurrent_writes_keeps_every_acknowledged_one() {
    let _alone = crate::support::heavy_or_timed();
    let wos = served_notes("notes-rust");
    let served = Served::start(&wos.path(), &[]);
    let acks = wos.path().with_file_name("acknowledged.txt");
    let writing = writer(&served.addr, &["--workers", "16", "--acks", acks.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill the host once a few hundred writes are acknowledged, with sixteen more under way.
    let until = Instant::now() + Duration::from_secs(120);
    while std::fs::read_to_string(&acks).map_or(0, |text| text.lines().count()) < 300 {
        assert!(Instant::now() < until, "too few writes were acknowledged:\n{}", served.log());
        std::thread::sleep(Duration::from_millis(10));
    }
    served.kill();
    let written = summary(writing.wait_with_output().unwrap());
    let codes = written["codes"].as_object().unwrap();
    assert!(codes.keys().all(|code| code == "OK" || code == "UNAVAILABLE"), "{written}");
    assert_eq!(written["errors"], json!([]), "{written}");
    eprintln!("killed the host with writes under way: {written}");

    // Every acknowledged write: `N "ID"`, the note's number and the id the host gave it.
    let acknowledged: BTreeMap<i64, String> = std::fs::read_to_string(&acks)
        .unwrap()
        .lines()
        .map(|line| {
            let (n, id) = line.split_once(' ').unwrap();
            (serde_json::from_str::<String>(id).unwrap().parse().unwrap(), format!("note {n}"))
        })
        .collect();
    assert_eq!(acknowledged.len() as u64, written["acknowledged"].as_u64().unwrap());

    // A restarted host opens the database and serves what was acknowledged.
    let served = Served::start(&wos.path(), &[]);
    let (last, title) = acknowledged.last_key_value().unwrap();
    let got = served.python("grpc_call.py", &[GET, &json!({ "id": last.to_string() }).to_string()]);
    assert_eq!(got["ok"]["ok"]["value"]["title"], json!(title), "{got}");
    let (code, _, log) = served.terminate();
    assert_eq!(code, Some(0), "{log}");

    let stored = notes_in(&wos.path().with_file_name(".parigot/data/notes.sqlite3"));
    for (id, title) in &acknowledged {
        assert_eq!(stored.get(id), Some(title), "acknowledged note {id} ({title}) is lost");
    }
}

#[test]
fn sixteen_concurrent_served_writers_never_see_busy_in_any_language() {
    let _alone = crate::support::heavy_or_timed();
    for built in ["notes-rust", "notes-go", "notes-python"] {
        let wos = served_notes(built);
        let served = Served::start(&wos.path(), &[]);
        let written = summary(writer(&served.addr, &["--workers", "16", "--count", "320"]).output().unwrap());
        assert_eq!(written, json!({ "acknowledged": 320, "codes": { "OK": 320 }, "errors": [] }), "{built}");
        let (code, _, log) = served.terminate();
        assert_eq!(code, Some(0), "{built}: {log}");
        let stored = notes_in(&wos.path().with_file_name(".parigot/data/notes.sqlite3"));
        assert_eq!(stored.len(), 320, "{built}");
    }
}
