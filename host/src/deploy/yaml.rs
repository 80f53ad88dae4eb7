//! A small YAML writer for Kubernetes manifests: JSON values as block YAML, keys in the map's
//! order, string values always quoted (so `"on"`, `"1.0"` or `"no"` stay strings), plain keys
//! bare, multi-line strings as literal blocks.

use serde_json::Value;
use std::fmt::Write as _;

/// `documents` as one YAML stream, each document after `---`.
pub fn stream(documents: &[Value]) -> String {
    let mut out = String::new();
    for document in documents {
        out.push_str("---\n");
        write_block(&mut out, document, 0);
    }
    out
}

fn write_block(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                write!(out, "{pad}{}:", key_text(key)).unwrap();
                write_after_key(out, item, indent);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                write!(out, "{pad}-").unwrap();
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        // The first key on the dash's line, the others below it.
                        let mut first = true;
                        for (key, inner) in map {
                            if first {
                                write!(out, " {}:", key_text(key)).unwrap();
                                first = false;
                            } else {
                                write!(out, "{pad}  {}:", key_text(key)).unwrap();
                            }
                            write_after_key(out, inner, indent + 2);
                        }
                    }
                    _ => write_after_key(out, item, indent),
                }
            }
        }
        scalar => writeln!(out, "{pad}{}", inline(scalar)).unwrap(),
    }
}

/// What follows `key:` (or `-`): a nested block on the next lines, or a scalar on this one.
fn write_after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_block(out, value, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_block(out, value, indent + 2);
        }
        Value::String(text) if text.contains('\n') => {
            out.push_str(" |\n");
            let pad = " ".repeat(indent + 2);
            for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    writeln!(out, "{pad}{line}").unwrap();
                }
            }
        }
        scalar => writeln!(out, " {}", inline(scalar)).unwrap(),
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        Value::String(text) => quoted(text),
        other => other.to_string(),
    }
}

/// A map key: bare when it is a plain name YAML reads as a string, else quoted.
fn key_text(key: &str) -> String {
    const WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c))
        && !WORDS.contains(&key.to_ascii_lowercase().as_str());
    if plain { key.to_owned() } else { quoted(key) }
}

/// A double-quoted YAML scalar (JSON's escapes are YAML's).
fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_maps_lists_and_literal_blocks() {
        // Keys in alphabetical order: the map's order whether or not serde_json keeps insertion order.
        let doc = json!({"args": ["run", "on"], "data": {"wos.toml": "a = 1\n\nb = \"x\"\n"}, "empty": {},
                         "kind": "ConfigMap", "none": [], "on": 1,
                         "ports": [{"name": "grpc", "port": 50051}, {"name": "x", "port": 1}]});
        let text = stream(&[doc]);
        let expected = "---\nargs:\n  - \"run\"\n  - \"on\"\ndata:\n  wos.toml: |\n    a = 1\n\n    b = \"x\"\n\
                        empty: {}\nkind: \"ConfigMap\"\nnone: []\n\"on\": 1\n\
                        ports:\n  - name: \"grpc\"\n    port: 50051\n  - name: \"x\"\n    port: 1\n";
        assert_eq!(text, expected);
    }
}
