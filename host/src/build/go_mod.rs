//! The Go module around generated bindings: where the bindings' runtime package comes from and
//! how the generated `go.mod` is adjusted to use it offline.
//!
//! Bindings from `wit-bindgen-go` import `go.bytecodealliance.org/pkg`, which the Go module
//! proxy serves but a machine without network access cannot fetch. The same package ships
//! inside the `wit-bindgen-go` crate (at `src/pkg`); the host embeds it ([`super::assets`]),
//! writes it next to the generated module and points a `replace` directive at the copy.

use std::cmp::Ordering;
use std::path::Path;

use wasmtime::Result;
use wasmtime::error::Context as _;

/// A Go module on disk.
#[derive(Debug)]
pub struct GoModule {
    /// The module path declared by its `go.mod`.
    pub path: String,
    /// The Go version its `go.mod` requires (the `go` directive), if any.
    pub go_version: Option<String>,
}

impl GoModule {
    /// Reads the module whose `go.mod` is in `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let go_mod_path = dir.join("go.mod");
        let go_mod =
            std::fs::read_to_string(&go_mod_path).with_context(|| format!("cannot read {}", go_mod_path.display()))?;
        let path = directive(&go_mod, "module")
            .with_context(|| format!("{} has no module directive", go_mod_path.display()))?;
        Ok(Self { path: path.to_owned(), go_version: directive(&go_mod, "go").map(str::to_owned) })
    }
}

/// The module path of the bindings' runtime package, as the generated `go.mod` requires it.
pub fn bindings_runtime_module_path() -> String {
    // `remote_pkg_version` reads "<module path> <version>".
    let requirement = wit_bindgen_go::remote_pkg_version();
    match requirement.split_once(' ') {
        Some((path, _version)) => path.to_owned(),
        None => requirement,
    }
}

/// Rewrites the `go.mod` generated with the bindings so that it builds offline:
///
/// - a `replace` directive points `dependency.path` at `replacement` (a path relative to the
///   module, without the leading `./`);
/// - the `go` directive is raised to the version `dependency` requires, which Go would
///   otherwise insist on changing itself.
pub fn rewrite_go_mod(generated: &str, dependency: &GoModule, replacement: &str) -> String {
    let mut lines: Vec<String> = generated.lines().map(str::to_owned).collect();
    if let Some(required) = &dependency.go_version {
        let go_line = format!("go {required}");
        match lines.iter().position(|l| directive(l, "go").is_some()) {
            Some(index) => {
                let current = directive(&lines[index], "go").unwrap_or_default();
                if compare_go_versions(current, required) == Ordering::Less {
                    lines[index] = go_line;
                }
            }
            None => lines.push(go_line),
        }
    }
    lines.push(String::new());
    lines.push(format!("replace {} => ./{replacement}", dependency.path));
    lines.push(String::new());
    lines.join("\n")
}

/// The argument of the first `keyword` directive in `go_mod` (single-line form only, which is
/// the only form `module` and `go` take).
fn directive<'a>(go_mod: &'a str, keyword: &str) -> Option<&'a str> {
    go_mod.lines().find_map(|line| {
        let line = line.split("//").next().unwrap_or_default().trim();
        let rest = line.strip_prefix(keyword)?;
        rest.starts_with([' ', '\t']).then(|| rest.trim().trim_matches('"'))
    })
}

/// Compares two Go versions such as `1.25` and `1.27.1` numerically, part by part (a missing
/// part counts as 0; pre-release suffixes such as `rc1` are ignored).
fn compare_go_versions(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<u64> {
        v.split('.')
            .map(|part| {
                let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().unwrap_or(0)
            })
            .collect()
    };
    let (a, b) = (parts(a), parts(b));
    let len = a.len().max(b.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    (0..len).map(|i| at(&a, i).cmp(&at(&b, i))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = "module wit_component

go 1.25

require (
    go.bytecodealliance.org/pkg v0.4.0
)
";

    fn runtime(go_version: Option<&str>) -> GoModule {
        GoModule { path: "go.bytecodealliance.org/pkg".into(), go_version: go_version.map(str::to_owned) }
    }

    #[test]
    fn rewrite_adds_replace_and_raises_go_version() {
        let rewritten = rewrite_go_mod(GENERATED, &runtime(Some("1.27.1")), "_deps/pkg");
        assert_eq!(
            rewritten,
            "module wit_component

go 1.27.1

require (
    go.bytecodealliance.org/pkg v0.4.0
)

replace go.bytecodealliance.org/pkg => ./_deps/pkg
"
        );
    }

    #[test]
    fn rewrite_keeps_a_newer_go_version() {
        let rewritten = rewrite_go_mod(GENERATED, &runtime(Some("1.24")), "p");
        assert!(rewritten.contains("\ngo 1.25\n"), "{rewritten}");
        let rewritten = rewrite_go_mod(GENERATED, &runtime(None), "p");
        assert!(rewritten.contains("\ngo 1.25\n"), "{rewritten}");
    }

    #[test]
    fn rewrite_adds_a_missing_go_directive() {
        let rewritten = rewrite_go_mod("module m\n", &runtime(Some("1.27.1")), "p");
        assert_eq!(rewritten, "module m\ngo 1.27.1\n\nreplace go.bytecodealliance.org/pkg => ./p\n");
    }

    #[test]
    fn directives_are_found_and_not_confused_with_longer_words() {
        let go_mod = "// comment\nmodule \"example.com/m\" // trailing\ngopher 1\ngo\t1.27.1\n";
        assert_eq!(directive(go_mod, "module"), Some("example.com/m"));
        assert_eq!(directive(go_mod, "go"), Some("1.27.1"));
        assert_eq!(directive(go_mod, "toolchain"), None);
    }

    #[test]
    fn go_versions_compare_numerically() {
        assert_eq!(compare_go_versions("1.25", "1.27.1"), Ordering::Less);
        assert_eq!(compare_go_versions("1.27.1", "1.27"), Ordering::Greater);
        assert_eq!(compare_go_versions("1.27.0", "1.27"), Ordering::Equal);
        assert_eq!(compare_go_versions("1.100", "1.27"), Ordering::Greater);
        assert_eq!(compare_go_versions("1.28rc1", "1.27.3"), Ordering::Greater);
    }

    #[test]
    fn bindings_runtime_module_path_has_no_version() {
        assert_eq!(bindings_runtime_module_path(), "go.bytecodealliance.org/pkg");
    }
}
