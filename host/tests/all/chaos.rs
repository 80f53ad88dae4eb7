//! Hostile guests, in Rust, Go and Python, against a served host (`make chaos` prints the
//! table): each attack fails only its own call, with the error that names its budget; the
//! host serves on, a stateful neighbour keeps its state, the next call of the same service
//! works, and the host holds no more descriptors than before the attack.

use crate::support::served::Served;
use crate::support::{LANGUAGES, Wos, component};
use serde_json::{Value, json};
use std::time::Duration;

const NOTES: &str = "/parigot.notes.notes.v0_1_0.Notes";
const FAULTS: &str = "/parigot.testing.faults.v0_1_0.Faults";

/// A wos of the notes service and the faulty service in `language`, both served, each with
/// tight budgets: a database of at most 1 MiB, 128 MiB of memory, 3 s per call, 100 lines a
/// second, and a writable folder for the faulty service. (No restart back-off: each attack
/// is judged on its own, not on the failures before it.)
fn chaos_wos(language: &str) -> Wos {
    let notes = component(&format!("notes-{language}")).display().to_string();
    let faulty = component(&format!("faulty-{language}")).display().to_string();
    let wos = Wos::new(&format!(
        "manifest-version = 1\n\
         [limits]\nmemory-mib = 128\ndeadline-ms = 3000\nrestart-backoff-ms = 0\n\
         [log]\nmax-lines-per-second = 100\n\
         [services.notes]\ncomponent = {notes:?}\n\
         sqlite = {{ migrations = \"migrations\", max-size-mib = 1 }}\n\
         [services.faulty]\ncomponent = {faulty:?}\n\
         [services.faulty.files]\n\"/scratch\" = {{ host = \"scratch\", write = true }}\n"
    ));
    wos.file("migrations/0001_notes.sql", b"CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);\n");
    wos
}

/// A Connect call with a JSON body (from a file: a statement bomb is longer than a command
/// line may be): the HTTP status and the answer.
fn call(served: &Served, path: &str, body: &Value) -> (u16, Value) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), body.to_string()).unwrap();
    let data = format!("@{}", file.path().display());
    let (status, text) = served.curl(path, &["-H", "Content-Type: application/json", "--data-binary", &data]);
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The descriptors the host process holds.
fn descriptors(served: &Served) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", served.pid())).map_or(0, |entries| entries.count())
}

/// One attack: its name, the service it goes through, the call, and how its outcome reads.
struct Attack {
    name: &'static str,
    path: String,
    body: Value,
    /// The outcome in a few words, or why it is not the expected one.
    outcome: fn(u16, &Value) -> Result<String, String>,
}

fn result_text(answer: &Value) -> String {
    answer["result"].as_str().unwrap_or_default().to_owned()
}

fn attacks() -> Vec<Attack> {
    let notes = |f: &str| format!("{NOTES}/{f}");
    let faults = |f: &str| format!("{FAULTS}/{f}");
    vec![
        Attack {
            name: "statement bomb (450 KB)",
            path: notes("Attempt"),
            body: json!({ "statement": "SELECT 1;".repeat(50_000) }),
            outcome: |status, answer| {
                let text = result_text(answer);
                (status == 200 && text.contains("more than one statement"))
                    .then(|| "refused: one statement per call".to_owned())
                    .ok_or(format!("{status} {answer}"))
            },
        },
        Attack {
            name: "endless recursive query",
            path: notes("AttemptQuery"),
            body: json!({ "statement": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c" }),
            outcome: |status, answer| {
                let message = answer["message"].as_str().unwrap_or_default();
                (status == 504 && message.contains("ran past its deadline of 3 s"))
                    .then(|| "interrupted at its deadline-ms".to_owned())
                    .ok_or(format!("{status} {answer}"))
            },
        },
        Attack {
            name: "huge result (400 x 1 MiB)",
            path: notes("AttemptQuery"),
            body: json!({ "statement": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400) SELECT zeroblob(1048576) FROM c" }),
            outcome: |status, answer| {
                let text = result_text(answer);
                (status == 200 && text.starts_with("limit: ") && text.contains("`memory-mib`"))
                    .then(|| "limit: memory-mib".to_owned())
                    .ok_or(format!("{status} {answer}"))
            },
        },
        Attack {
            name: "fill the disk",
            path: notes("Attempt"),
            body: json!({ "statement": "INSERT INTO notes (text) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40) SELECT hex(zeroblob(50000)) FROM c" }),
            outcome: |status, answer| {
                let text = result_text(answer);
                (status == 200 && text.starts_with("full: ") && text.contains("`max-size-mib` of 1"))
                    .then(|| "full: max-size-mib".to_owned())
                    .ok_or(format!("{status} {answer}"))
            },
        },
        Attack {
            name: "stdout flood (20,000 lines)",
            path: faults("Flood"),
            body: json!({ "lines": 20_000 }),
            outcome: |status, answer| {
                (status == 200 && answer["result"] == 20_000)
                    .then(|| "answered, the host responsive".to_owned())
                    .ok_or(format!("{status} {answer}"))
            },
        },
        Attack {
            name: "open files until refused",
            path: faults("OpenFiles"),
            body: json!({ "folder": "/scratch", "count": 100_000 }),
            // Refused by the language's own table, or by the instance's share of the host's
            // descriptors, or stopped at its memory (a file object costs memory too).
            outcome: |status, answer| {
                let message = answer["message"].as_str().unwrap_or_default();
                match answer["result"].as_u64() {
                    Some(opened) if status == 200 && opened < 100_000 => Ok(format!("refused after {opened} files")),
                    _ if status == 429 && message.contains("host resources (open files, streams...)") => {
                        Ok("stopped at its share of descriptors".to_owned())
                    }
                    _ if status == 429 && message.contains("memory limit of 128 MiB") => {
                        Ok("stopped at memory-mib".to_owned())
                    }
                    _ => Err(format!("{status} {answer}")),
                }
            },
        },
        Attack {
            name: "deep recursion",
            path: faults("Recurse"),
            body: json!({ "depth": 10_000_000 }),
            outcome: |status, answer| {
                let message = answer["message"].as_str().unwrap_or_default();
                (status == 500 && message.contains("service `faulty` trapped"))
                    .then(|| "trapped (stack overflow)".to_owned())
                    .ok_or(format!("{status} {answer}"))
            },
        },
        Attack {
            name: "memory bomb (400 MiB)",
            path: faults("Hog"),
            body: json!({ "mib": 400 }),
            outcome: |status, answer| {
                let message = answer["message"].as_str().unwrap_or_default();
                (status == 429 && message.contains("memory limit of 128 MiB"))
                    .then(|| "stopped at memory-mib".to_owned())
                    .ok_or(format!("{status} {answer}"))
            },
        },
        Attack {
            name: "sleep past the deadline",
            path: faults("Sleep"),
            body: json!({ "ms": 10_000 }),
            outcome: |status, answer| {
                let message = answer["message"].as_str().unwrap_or_default();
                (status == 504 && message.contains("ran past its deadline of 3 s"))
                    .then(|| "cut at its deadline-ms".to_owned())
                    .ok_or(format!("{status} {answer}"))
            },
        },
    ]
}

/// The neighbour of an attack on `path`'s service is the other service; checks that it kept
/// its state and that the attacked service takes its next call.
fn both_carry_on(served: &Served, path: &str, pings: &mut u64) -> Result<(), String> {
    let (status, answer) = call(served, &format!("{FAULTS}/Ping"), &json!({}));
    let ping = answer["result"].as_u64().unwrap_or_default();
    if status != 200 || (path.starts_with(NOTES) && ping != *pings + 1) {
        return Err(format!("the faulty service lost its count of pings: {status} {answer} after {pings}"));
    }
    *pings = ping;
    let (status, answer) = call(served, &format!("{NOTES}/All"), &json!({}));
    let kept = answer["ok"]["value"].as_array().map_or(0, Vec::len);
    if status != 200 || kept != 1 {
        return Err(format!("the notes service lost its note: {status} {answer}"));
    }
    Ok(())
}

#[test]
fn hostile_guests_cost_only_their_own_calls_in_every_language() {
    let mut table = vec![
        format!("| attack | {} |", LANGUAGES.join(" | ")),
        format!("|---{}", "|---".repeat(LANGUAGES.len()) + "|"),
    ];
    let mut rows: Vec<Vec<String>> = attacks().iter().map(|attack| vec![attack.name.to_owned()]).collect();
    let mut failures = Vec::new();
    for language in LANGUAGES {
        let wos = chaos_wos(language);
        // 2048 descriptors: an instance may hold 256 resources at once.
        let served = Served::start_with_descriptors(&wos.path(), 2048);
        let (status, answer) = call(&served, &format!("{NOTES}/Add"), &json!({ "text": "kept" }));
        assert_eq!(status, 200, "{language}: {answer}");
        let mut pings = call(&served, &format!("{FAULTS}/Ping"), &json!({})).1["result"].as_u64().unwrap();
        let before = descriptors(&served);
        for (attack, row) in attacks().iter().zip(&mut rows) {
            let (status, answer) = call(&served, &attack.path, &attack.body);
            let outcome = (attack.outcome)(status, &answer)
                .and_then(|outcome| both_carry_on(&served, &attack.path, &mut pings).map(|()| outcome))
                .and_then(|outcome| no_more_descriptors(&served, before).map(|()| outcome));
            row.push(match outcome {
                Ok(outcome) => outcome,
                Err(why) => {
                    failures.push(format!("{language}, {}: {why}", attack.name));
                    "FAILED".to_owned()
                }
            });
        }
    }
    table.extend(rows.iter().map(|row| format!("| {} |", row.join(" | "))));
    eprintln!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}\n{}", failures.join("\n"), table.join("\n"));
}

/// The host holds no more descriptors than `before` (closing those of a replaced instance may
/// take a moment).
fn no_more_descriptors(served: &Served, before: usize) -> Result<(), String> {
    for _ in 0..50 {
        if descriptors(served) <= before {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("the host holds {} descriptors, {before} before the attack", descriptors(served)))
}
