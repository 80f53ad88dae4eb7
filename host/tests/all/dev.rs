//! `parigot-host dev`: a running wos whose Go, Python and Rust services are edited in turn;
//! each change is rebuilt and swapped in and shows in the next call, the neighbour's in-memory
//! state survives every swap, and a change that does not build leaves the old version answering.

use crate::support::served::Served;
use crate::support::{repo, tool_path};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const GREETER: &str = "/example.hello.greeter.v0_1_0.Greeter/Greet";
const PING: &str = "/parigot.testing.faults.v0_1_0.Faults/Ping";

/// Copies `from` to `to`, following symbolic links (the examples link parigot's WIT).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The hello example's greeter (Go), decorator (Python), quoter (JavaScript) and signer (Rust,
/// as a crate of its own) built from sources in `dir`, beside the faulty Rust service, whose `ping` counts in
/// memory with one shared instance.
fn wos(dir: &Path) -> std::path::PathBuf {
    let hello = repo().join("examples/hello");
    for part in ["wit", "greeter", "decorator", "quoter", "signer/src"] {
        copy_tree(&hello.join(part), &dir.join(part));
    }
    // The decorator's own copy of the WIT, to change the interface it exports.
    copy_tree(&hello.join("wit"), &dir.join("decorator-wit"));
    let wit_bindgen = "0.61";
    std::fs::write(
        dir.join("signer/Cargo.toml"),
        format!(
            "[package]\nname = \"hello-signer\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n\
             [dependencies]\nwit-bindgen = \"{wit_bindgen}\"\nparigot = {{ path = {:?} }}\n\n[workspace]\n",
            repo().join("guests/rust/parigot").display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(repo().join("Cargo.lock"), dir.join("signer/Cargo.lock")).unwrap();
    let faulty = repo().join("target/wasm/faulty-rust.wasm");
    let text = format!(
        "manifest-version = 1\nname = \"dev\"\nexports = [\"example:hello/greeter\", \"parigot:testing/faults\"]\n\
         [services.greeter]\nsource = \"greeter\"\nworld = \"greeter-service\"\n\
         [services.decorator]\nsource = \"decorator\"\nworld = \"decorator-service\"\nwit = \"decorator-wit\"\n\
         [services.quoter]\nsource = \"quoter\"\nworld = \"quoter-service\"\n\
         [services.signer]\nsource = \"signer\"\n\
         [services.faults]\ncomponent = {:?}\ninstances = 1\n",
        faulty.display().to_string()
    );
    std::fs::write(dir.join("wos.toml"), text).unwrap();
    dir.join("wos.toml")
}

fn connect(served: &Served, path: &str, body: Value) -> Value {
    let body = body.to_string();
    let (status, text) = served.curl(path, &["-H", "Content-Type: application/json", "-d", &body]);
    assert_eq!(status, 200, "{path}: {text}\n{}", served.log());
    serde_json::from_str(&text).unwrap()
}

fn greeting(served: &Served) -> String {
    connect(served, GREETER, json!({"req": {"name": "ada", "excitement": 1}}))["result"]["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ping(served: &Served) -> u64 {
    connect(served, PING, json!({}))["result"].as_u64().unwrap()
}

/// Replaces `from` with `to` in the file at `path`.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Waits until the log shows `text` for the `nth` time (builds take seconds; a first Rust
/// build of the signer's own crate, minutes).
fn wait_for(served: &Served, text: &str, nth: usize) {
    let until = std::time::Instant::now() + Duration::from_secs(300);
    while served.log().matches(text).count() < nth {
        assert!(std::time::Instant::now() < until, "no {nth} × {text:?} in:\n{}", served.log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn each_language_s_change_is_swapped_in_while_the_neighbour_keeps_its_state() {
    let _heavy = crate::support::heavy_or_timed();
    let dir = tempfile::tempdir().unwrap();
    let wos = wos(dir.path());
    // The signer's crate builds in a target folder the test runs share.
    let target = repo().join("target/dev-test-cargo");
    let env = [("CARGO_TARGET_DIR", target.display().to_string()), ("PATH", tool_path())];
    let served = Served::start_command("dev", &wos, "127.0.0.1:0", &[], &env);
    assert!(
        served.log_shows("watching the sources of `decorator`, `greeter`, `quoter`, `signer` for changes"),
        "{}",
        served.log()
    );
    let first = greeting(&served);
    assert!(first.contains("Hello, Ada! ~” [signed "), "{first}");
    assert_eq!((ping(&served), ping(&served)), (1, 2));

    // Go.
    edit(&dir.path().join("greeter/export_example_hello_greeter/greeter.go"), "\"Hello, \"", "\"Howdy, \"");
    wait_for(&served, "reloaded service `greeter`", 1);
    assert!(greeting(&served).contains("Howdy, Ada! ~” [signed "), "{}", served.log());
    assert_eq!(ping(&served), 3, "the neighbour kept its count");

    // Python.
    edit(&dir.path().join("decorator/app.py"), "marks = \"!\"", "marks = \"?\"");
    wait_for(&served, "reloaded service `decorator`", 1);
    assert!(greeting(&served).contains("Howdy, Ada? ~” [signed "), "{}", served.log());
    assert_eq!(ping(&served), 4);

    // JavaScript.
    edit(&dir.path().join("quoter/app.js"), "`“${text}”`", "`«${text}»`");
    wait_for(&served, "reloaded service `quoter`", 1);
    assert!(greeting(&served).contains("«~ Howdy, Ada? ~» [signed "), "{}", served.log());
    assert_eq!(ping(&served), 5);

    // Rust.
    edit(&dir.path().join("signer/src/lib.rs"), "[signed {digest:08x}]", "[sealed {digest:08x}]");
    wait_for(&served, "reloaded service `signer`", 1);
    assert!(greeting(&served).contains("Howdy, Ada? ~» [sealed "), "{}", served.log());
    assert_eq!(ping(&served), 6);

    // A change that does not build: the error is shown and the old version answers.
    edit(&dir.path().join("greeter/export_example_hello_greeter/greeter.go"), "\"Howdy, \"", "\"Hi, \" +");
    wait_for(&served, "service `greeter` keeps running its previous build", 1);
    assert!(greeting(&served).contains("Howdy, Ada? ~» [sealed "), "{}", served.log());
    assert_eq!(ping(&served), 7);

    // A new build whose export no longer fits its consumer (the greeter calls `decorate` with
    // two arguments) is refused with the resolver's error, and the old version answers.
    edit(
        &dir.path().join("decorator-wit/hello.wit"),
        "excitement: u8) -> stamped",
        "excitement: u8, extra: u8) -> stamped",
    );
    wait_for(&served, "cannot swap in the new build of service `decorator`", 1);
    assert!(served.log().contains("does not fit the wos"), "{}", served.log());
    assert!(greeting(&served).contains("Howdy, Ada? ~» [sealed "), "{}", served.log());
    assert_eq!(ping(&served), 8);
    let (code, _, log) = served.terminate();
    assert_eq!(code, Some(0), "{log}");
}
