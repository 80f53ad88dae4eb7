//! Fuzz targets: each feeds arbitrary bytes to one parser of what a wos author, a client or a
//! guest controls (wos.toml, WIT, a Connect JSON or protobuf request, `Authorization: Basic`,
//! `traceparent` and `baggage`, a queries file, the SQL guard). None may panic, hang, or
//! recurse without bound; errors are the expected answer to most inputs.
//!
//! `make fuzz` runs them under libFuzzer (`host/fuzz`, one binary per target, corpus kept in
//! `host/fuzz/corpus/TARGET`); `cargo test` replays that corpus and a bounded number of seeded
//! mutations of it and of each target's seeds ([`TARGETS`]), so CI runs every target briefly.

use crate::surface::{FuncSig, ValType};
use crate::wire::proto::interface_proto;
use crate::wire::schema::Schema;
use prost_reflect::{DynamicMessage, MessageDescriptor};
use std::sync::OnceLock;

/// A fuzz target: its name, the function that takes one input, and inputs to start from.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    pub seeds: &'static [&'static [u8]],
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "manifest",
        run: manifest,
        seeds: &[
            b"manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\n[services.a.limits]\ndeadline-ms = 5\n",
            b"manifest-version = 1\n[serve]\npool = 4\n[services.b]\nsource = \"b\"\nsqlite = { migrations = \"m\", max-size-mib = 2 }\n[services.b.files]\n\"/d\" = { host = \"d\", write = true }\n",
            b"manifest-version = 1\n[auth]\nrequire-login = [\"a:b/c#d\"]\n[services.x]\ncomponent = \"x.wasm\"\nlinks = { \"a:b/c\" = { remote = \"http://127.0.0.1:1\" } }\n",
        ],
    },
    Target { name: "wit-to-proto", run: wit_to_proto, seeds: &[ORDERS_WIT.as_bytes()] },
    Target {
        name: "connect-json",
        run: connect_json,
        seeds: &[
            br#"{"order": {"id": 7, "lines": [{"f0": "tea", "f1": 3}], "note": "x", "status": "STATUS_SHIPPED", "perks": {"express": true}, "payment": {"card": "42"}, "tags": [{"value": ["a"]}], "initial": "e"}, "dryRun": true}"#,
        ],
    },
    Target { name: "protobuf", run: protobuf, seeds: &[b"\x0a\x06\x08\x07\x12\x02\x0a\x00\x10\x01"] },
    Target {
        name: "basic-header",
        run: basic_header,
        seeds: &[b"Basic YWRhOmxvdmVsYWNl", b"Basic Og==", b"basic  YTpi"],
    },
    Target {
        name: "trace-context",
        run: trace_context,
        seeds: &[b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\nk=v;prop,k2=v%202\nreq-1"],
    },
    Target {
        name: "queries",
        run: queries,
        seeds: &[
            b"-- name: GetNote :one\nSELECT id, title FROM notes WHERE id = @id;\n-- name: Titles :many\nSELECT title FROM notes;\n",
            b"-- name: AddNote :execlastid\nINSERT INTO notes (title, body) VALUES (@title, sqlc.narg(body));\n",
        ],
    },
    Target {
        name: "sql-guard",
        run: sql_guard,
        seeds: &[b"  -- a\n /* b */ VACUUM INTO 'x'", b"SELECT 1; SELECT 2", b"PRAGMA table_info(notes)"],
    },
];

/// wos.toml.
pub fn manifest(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::manifest::Manifest::parse(text, std::path::Path::new("/fuzz/wos.toml"));
    }
}

/// WIT text, and the protobuf mapping of each of its interfaces.
pub fn wit_to_proto(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // wit-parser panics on an empty `/**/` doc comment (the host catches it where it reads a
    // WIT folder, `build::parse_wit`; libFuzzer aborts on any panic): left out here, so that
    // fuzzing goes on to find what else there is.
    if text.contains("/**/") {
        return;
    }
    let mut resolve = wit_parser::Resolve::default();
    let Ok(package) = resolve.push_str("fuzz.wit", text) else { return };
    let interfaces: Vec<_> = resolve.packages[package].interfaces.values().copied().collect();
    for id in interfaces {
        let _ = interface_proto(&resolve, id);
    }
}

/// A Connect request body in JSON, decoded against the rpc of `place` and converted to the
/// function's parameters.
pub fn connect_json(data: &[u8]) {
    let (input, sig) = place_rpc();
    let mut json = serde_json::Deserializer::from_slice(data);
    if let Ok(message) = DynamicMessage::deserialize(input.clone(), &mut json) {
        let _ = crate::wire::convert::params_from_request(&message, sig);
    }
}

/// A protobuf request message (gRPC's, or Connect's `application/proto`), decoded and
/// converted likewise.
pub fn protobuf(data: &[u8]) {
    let (input, sig) = place_rpc();
    if let Ok(message) = DynamicMessage::decode(input.clone(), data) {
        let _ = crate::wire::convert::params_from_request(&message, sig);
        let _ = crate::wire::convert::plain_params_from_request(message, sig);
    }
}

/// An `Authorization` header.
pub fn basic_header(data: &[u8]) {
    let _ = crate::users::parse_basic(data);
}

/// The edge's context headers: `traceparent`, `baggage` and `x-request-id`, one a line.
pub fn trace_context(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.splitn(3, '\n');
    let headers = crate::caps::context::EdgeHeaders {
        traceparent: lines.next(),
        baggage: lines.next(),
        request_id: lines.next(),
    };
    let pctx = crate::caps::context::Pctx::at_edge(headers, None, &crate::caps::context::IdSource::seeded(1));
    let _ = pctx.trace.baggage.header();
}

/// A queries file, parsed and typed against a small schema.
pub fn queries(data: &[u8]) {
    static SCHEMA: &str = "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, \
                           pinned BOOLEAN NOT NULL DEFAULT 0);\n\
                           CREATE TABLE tags (note_id INTEGER NOT NULL REFERENCES notes(id), tag TEXT NOT NULL);";
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(connection) = rusqlite::Connection::open_in_memory() else { return };
    if connection.execute_batch(SCHEMA).is_err() {
        return;
    }
    let _ = crate::caps::sqlite::guard::install(&connection, 64 << 20);
    let _ = crate::caps::sqlite::queries::typed_queries(&connection, text, "fuzz.sql");
}

/// What the SQL guard looks at before a statement is prepared.
pub fn sql_guard(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::caps::sqlite::guard::refused_statement(text);
        let _ = crate::caps::sqlite::guard::too_long(text);
    }
}

/// A WIT interface with every kind of type, nested: what the request targets decode against.
pub(crate) const ORDERS_WIT: &str = r#"
    package example:shop@1.2.0;

    interface orders {
        enum status { open, shipped }
        flags perks { gift-wrap, express }
        variant payment { card(string), cash, voucher(list<u8>) }
        record order {
            id: u8,
            lines: list<tuple<string, u16>>,
            note: option<string>,
            status: status,
            perks: perks,
            payment: payment,
            tags: list<list<string>>,
            initial: char,
        }
        place: func(order: order, dry-run: bool) -> result<u64, string>;
        find: func(id: u32) -> option<order>;
    }
"#;

/// The type of `order` in [`ORDERS_WIT`].
pub(crate) fn order_type() -> ValType {
    let s = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    ValType::Record(vec![
        ("id".into(), ValType::U8),
        ("lines".into(), ValType::List(Box::new(ValType::Tuple(vec![ValType::String, ValType::U16])))),
        ("note".into(), ValType::Option(Box::new(ValType::String))),
        ("status".into(), ValType::Enum(s(&["open", "shipped"]))),
        ("perks".into(), ValType::Flags(s(&["gift-wrap", "express"]))),
        (
            "payment".into(),
            ValType::Variant(vec![
                ("card".into(), Some(ValType::String)),
                ("cash".into(), None),
                ("voucher".into(), Some(ValType::List(Box::new(ValType::U8)))),
            ]),
        ),
        ("tags".into(), ValType::List(Box::new(ValType::List(Box::new(ValType::String))))),
        ("initial".into(), ValType::Char),
    ])
}

/// The signature of `place` in [`ORDERS_WIT`].
pub(crate) fn place_sig() -> FuncSig {
    FuncSig {
        params: vec![("order".into(), order_type()), ("dry-run".into(), ValType::Bool)],
        results: vec![ValType::Result { ok: Some(Box::new(ValType::U64)), err: Some(Box::new(ValType::String)) }],
    }
}

/// The protobuf schema of the interface `interface` of [`ORDERS_WIT`].
pub(crate) fn orders_schema(interface: &str) -> (Schema, String) {
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_str("orders.wit", ORDERS_WIT).expect("the fixture WIT parses");
    let file = interface_proto(&resolve, resolve.packages[package].interfaces[interface]).expect("it maps");
    let schema = Schema::compile(std::slice::from_ref(&file)).expect("it compiles");
    (schema, file.service)
}

/// The request message of `place`, and its signature, made once.
fn place_rpc() -> &'static (MessageDescriptor, FuncSig) {
    static RPC: OnceLock<(MessageDescriptor, FuncSig)> = OnceLock::new();
    RPC.get_or_init(|| {
        let (schema, service) = orders_schema("orders");
        (schema.rpc(&service, "place").expect("place is an rpc").input, place_sig())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeded mutations per target when CI replays the corpus.
    const MUTATIONS: usize = 20_000;

    /// A small seeded generator (xorshift64*): the same mutations on every run.
    struct Mutator(u64);

    impl Mutator {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }

        /// `input` with a few bytes flipped, inserted, removed or repeated, or spliced with
        /// `other`.
        fn mutate(&mut self, input: &[u8], other: &[u8]) -> Vec<u8> {
            let mut out = input.to_vec();
            for _ in 0..1 + self.below(4) {
                let at = self.below(out.len() + 1);
                match self.below(6) {
                    0 if !out.is_empty() => {
                        let (byte, bit) = (at.min(out.len() - 1), self.below(8));
                        out[byte] ^= 1 << bit;
                    }
                    1 => out.insert(at, self.next() as u8),
                    2 if at < out.len() => {
                        out.remove(at);
                    }
                    3 => {
                        let piece = out[at..].iter().take(1 + self.below(16)).copied().collect::<Vec<_>>();
                        for _ in 0..self.below(64) {
                            out.splice(at..at, piece.iter().copied());
                        }
                    }
                    4 => {
                        let from = self.below(other.len() + 1);
                        out.splice(at.., other[from..].iter().copied());
                    }
                    _ => out.insert(at, b"{}[]()\"'\\;,:=-%\n\0"[self.below(17)]),
                }
            }
            out
        }
    }

    /// The kept corpus of `target` (what `make fuzz` found worth keeping), with its seeds.
    fn corpus(target: &Target) -> Vec<Vec<u8>> {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target.name);
        let mut inputs: Vec<Vec<u8>> = target.seeds.iter().map(|seed| seed.to_vec()).collect();
        if let Ok(entries) = std::fs::read_dir(folder) {
            let mut files: Vec<_> = entries.filter_map(|entry| entry.ok().map(|e| e.path())).collect();
            files.sort();
            inputs.extend(files.iter().filter_map(|file| std::fs::read(file).ok()));
        }
        inputs
    }

    #[test]
    fn every_target_takes_its_corpus_and_seeded_mutations_of_it() {
        for target in TARGETS {
            let inputs = corpus(target);
            let mut mutator = Mutator(0x9e37_79b9_7f4a_7c15 ^ target.name.len() as u64);
            for input in &inputs {
                (target.run)(input);
            }
            for _ in 0..MUTATIONS {
                let input = &inputs[mutator.below(inputs.len())];
                let other = &inputs[mutator.below(inputs.len())];
                (target.run)(&mutator.mutate(input, other));
            }
        }
    }

    #[test]
    fn the_request_seeds_decode() {
        let (input, sig) = place_rpc();
        let mut json = serde_json::Deserializer::from_slice(TARGETS[2].seeds[0]);
        let message = DynamicMessage::deserialize(input.clone(), &mut json).expect("the JSON seed is a request");
        assert!(crate::wire::convert::params_from_request(&message, sig).is_ok());
    }
}
