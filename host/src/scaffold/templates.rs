//! The files `parigot-host new` writes, as templates with `{{name}}` placeholders
//! (`host/templates/`), and how they are filled in.

use crate::build::Language;

/// A project's own files.
pub const WOS: &str = include_str!("../../templates/project/wos.toml");
pub const README: &str = include_str!("../../templates/project/README.md");
pub const GITIGNORE: &str = include_str!("../../templates/project/gitignore");
pub const CARGO_WORKSPACE: &str = include_str!("../../templates/project/Cargo.toml");
/// The npm packages a project with JavaScript or TypeScript services builds with.
pub const PACKAGE_JSON: &str = include_str!("../../templates/js/package.json");
/// TypeScript's settings, for editors and `tsc --noEmit` (the build strips types).
pub const TSCONFIG: &str = include_str!("../../templates/ts/tsconfig.json");

/// A database's first migration and its typed queries.
pub const MIGRATION: &str = include_str!("../../templates/sqlite/001_visits.sql");
pub const QUERIES: &str = include_str!("../../templates/sqlite/queries.sql");

/// What a service or program is, for its templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A server exporting its interface.
    Server,
    /// A server with a database and typed queries.
    Database,
    /// A program (`wasi:cli/run`), run once at the start.
    Program,
}

/// The source files of a service of `language` and `kind` (path in its folder, template).
pub fn service_files(language: Language, kind: Kind) -> Vec<(&'static str, &'static str)> {
    match (language, kind) {
        (Language::Rust, Kind::Server) => vec![
            ("Cargo.toml", include_str!("../../templates/rust/Cargo.toml")),
            ("src/lib.rs", include_str!("../../templates/rust/service.rs")),
        ],
        (Language::Rust, Kind::Database) => vec![
            ("Cargo.toml", include_str!("../../templates/rust/Cargo.toml")),
            ("src/lib.rs", include_str!("../../templates/rust/service_sqlite.rs")),
        ],
        (Language::Rust, Kind::Program) => vec![
            ("Cargo.toml", include_str!("../../templates/rust/program.Cargo.toml")),
            ("src/main.rs", include_str!("../../templates/rust/program.rs")),
        ],
        (Language::Go, Kind::Server) => {
            vec![("{{go_export}}/{{service_snake}}.go", include_str!("../../templates/go/service.go"))]
        }
        (Language::Go, Kind::Database) => {
            vec![("{{go_export}}/{{service_snake}}.go", include_str!("../../templates/go/service_sqlite.go"))]
        }
        (Language::Go, Kind::Program) => {
            vec![("export_wasi_cli_run/run.go", include_str!("../../templates/go/program.go"))]
        }
        (Language::Python, Kind::Server) => vec![("app.py", include_str!("../../templates/python/service.py"))],
        (Language::Python, Kind::Database) => {
            vec![("app.py", include_str!("../../templates/python/service_sqlite.py"))]
        }
        (Language::Python, Kind::Program) => vec![("app.py", include_str!("../../templates/python/program.py"))],
        (Language::JavaScript, Kind::Server) => vec![("app.js", include_str!("../../templates/js/service.js"))],
        (Language::JavaScript, Kind::Database) => {
            vec![("app.js", include_str!("../../templates/js/service_sqlite.js"))]
        }
        (Language::JavaScript, Kind::Program) => vec![("app.js", include_str!("../../templates/js/program.js"))],
        (Language::TypeScript, Kind::Server) => vec![("app.ts", include_str!("../../templates/ts/service.ts"))],
        (Language::TypeScript, Kind::Database) => {
            vec![("app.ts", include_str!("../../templates/ts/service_sqlite.ts"))]
        }
        (Language::TypeScript, Kind::Program) => vec![("app.ts", include_str!("../../templates/ts/program.ts"))],
    }
}

/// The source files of the tests of a service (a program has none).
pub fn test_files(language: Language, kind: Kind) -> Vec<(&'static str, &'static str)> {
    let database = kind == Kind::Database;
    match language {
        Language::Rust => vec![
            ("Cargo.toml", include_str!("../../templates/rust/Cargo.toml")),
            (
                "src/lib.rs",
                if database {
                    include_str!("../../templates/rust/tests_sqlite.rs")
                } else {
                    include_str!("../../templates/rust/tests.rs")
                },
            ),
        ],
        Language::Go => vec![(
            "export_parigot_test_tests/{{service_snake}}_tests.go",
            if database {
                include_str!("../../templates/go/tests_sqlite.go")
            } else {
                include_str!("../../templates/go/tests.go")
            },
        )],
        Language::JavaScript => vec![(
            "app.js",
            if database {
                include_str!("../../templates/js/tests_sqlite.js")
            } else {
                include_str!("../../templates/js/tests.js")
            },
        )],
        Language::TypeScript => vec![(
            "app.ts",
            if database {
                include_str!("../../templates/ts/tests_sqlite.ts")
            } else {
                include_str!("../../templates/ts/tests.ts")
            },
        )],
        Language::Python => vec![(
            "app.py",
            if database {
                include_str!("../../templates/python/tests_sqlite.py")
            } else {
                include_str!("../../templates/python/tests.py")
            },
        )],
    }
}

/// `template` with every `{{name}}` replaced by its value in `values`; a placeholder without a
/// value is a bug in the templates, caught by their tests.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    out
}
