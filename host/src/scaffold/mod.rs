//! `parigot-host new`: a project that builds, runs, serves and passes its tests at once, from
//! any folder, with nothing from parigot's repository ([`new_project`]); and a service added to
//! one ([`new_service`]).
//!
//! A project is a wos (`wos.toml`), one WIT package (`wit/`, a file per service with its
//! interface, the world it is built from and the world of its tests), a folder per service
//! (`services/NAME`) and per test component (`tests/NAME`), in Rust, Go, Python, JavaScript or
//! TypeScript. parigot's
//! WIT packages (and WASI's) go in `wit/deps/`, the Rust SDK in `.parigot/sdk/rust`
//! ([`crate::build::sdk`]); the Rust crates of a project are one cargo workspace, so they share
//! one build folder.

mod templates;

use crate::build::Language;
use crate::build::codegen::queries::GeneratedQueries;
use crate::build::codegen::wit_text::is_keyword;
use crate::build::sdk::{
    JS_SDK_FOLDER, RUST_SDK_FOLDER, write_js_sdk, write_rust_sdk, write_wit_packages, write_wit_types,
};
use crate::caps::sqlite::SqliteTable;
use crate::manifest::Manifest;
use std::path::{Path, PathBuf};
use templates::{Kind, fill};
use wasmtime::{Result, bail, format_err};

/// A service to add.
#[derive(Debug, Clone)]
pub struct NewService {
    /// Its name: lowercase words joined by `-` (`order-book`).
    pub name: String,
    pub language: Language,
    /// Whether it gets a database, with a migration and typed queries.
    pub sqlite: bool,
    /// Whether it is a program (`wasi:cli/run`) rather than a server.
    pub program: bool,
}

impl NewService {
    fn kind(&self) -> Result<Kind> {
        match (self.program, self.sqlite) {
            (true, true) => bail!("a program has no database of its own here: choose `--program` or `--sqlite`"),
            (true, false) => Ok(Kind::Program),
            (false, true) => Ok(Kind::Database),
            (false, false) => Ok(Kind::Server),
        }
    }
}

/// Creates the project `folder` (its name is the project's) with `first` as its first service;
/// returns the files written.
pub fn new_project(folder: &Path, first: &NewService) -> Result<Vec<PathBuf>> {
    let project = folder
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| format_err!("{} does not end in a folder name to name the project after", folder.display()))?;
    check_name("project", project)?;
    if std::fs::read_dir(folder).is_ok_and(|mut entries| entries.next().is_some()) {
        bail!("{} already exists and is not empty; choose a new folder for the project", folder.display());
    }
    let names = Names::new(project, &first.name)?;
    let values = names.values();
    let mut written = Vec::new();
    for (path, template) in
        [("wos.toml", templates::WOS), ("README.md", templates::README), (".gitignore", templates::GITIGNORE)]
    {
        written.push(write_new(&folder.join(path), &fill(template, &values))?);
    }
    written.extend(add_service(&folder.join("wos.toml"), project, first)?);
    Ok(written)
}

/// Adds `service` to the project whose wos is `wos`: its WIT, its sources and its tests, its
/// tables in the wos; returns the files written or changed.
pub fn new_service(wos: &Path, service: &NewService) -> Result<Vec<PathBuf>> {
    let manifest = Manifest::load(wos)?;
    let tests = format!("{}-tests", service.name);
    let mut names = manifest.services.keys().chain(manifest.tests.keys());
    if names.any(|name| name.as_str() == service.name || name.as_str() == tests) {
        bail!("wos `{}` already has a service or test named `{}`; choose another name", manifest.name, service.name);
    }
    add_service(wos, &project_of(&folder_of(wos), &manifest), service)
}

/// Adds `service` to the project `project` whose wos is `wos`.
fn add_service(wos: &Path, project: &str, service: &NewService) -> Result<Vec<PathBuf>> {
    let folder = folder_of(wos);
    let kind = service.kind()?;
    let names = Names::new(project, &service.name)?;
    let mut written =
        vec![write_new(&folder.join("wit").join(format!("{}.wit", service.name)), &names.wit(service.language, kind))?];
    written.extend(write_wit_packages(&folder.join("wit/deps"))?);
    let values = names.values();
    for (path, template) in templates::service_files(service.language, kind) {
        let path = folder.join("services").join(&service.name).join(fill(path, &values));
        written.push(write_new(&path, &fill(template, &values))?);
    }
    if kind != Kind::Program {
        let values = names.test_values();
        for (path, template) in templates::test_files(service.language, kind) {
            let path = folder.join("tests").join(&service.name).join(fill(path, &values));
            written.push(write_new(&path, &fill(template, &values))?);
        }
    }
    if kind == Kind::Database {
        written.extend(write_database(&folder, &names)?);
    }
    if service.language == Language::Rust {
        written.extend(add_rust_crates(&folder, &names, kind)?);
    }
    written.push(add_to_wos(wos, &names, service.language, kind)?);
    if matches!(service.language, Language::JavaScript | Language::TypeScript) {
        written.extend(add_js_project_files(&folder, &names, service.language)?);
    }
    Ok(written)
}

/// What JavaScript and TypeScript services need in the project: `package.json` (the pinned
/// componentize-js that `npm install` brings) and for TypeScript `tsconfig.json`, written
/// once; for editors, the SDK in [`JS_SDK_FOLDER`] and the declarations of the WIT (with the
/// new service's interface) in [`crate::build::sdk::WIT_TYPES_FILE`].
fn add_js_project_files(folder: &Path, names: &Names, language: Language) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut once = |file: &str, template: &str| -> Result<()> {
        let path = folder.join(file);
        if !path.exists() {
            written.push(write_new(&path, &fill(template, &names.values()))?);
        }
        Ok(())
    };
    once("package.json", templates::PACKAGE_JSON)?;
    if language == Language::TypeScript {
        once("tsconfig.json", templates::TSCONFIG)?;
    }
    written.extend(write_js_sdk(&folder.join(JS_SDK_FOLDER))?);
    written.extend(write_wit_types(folder)?);
    Ok(written)
}

/// The folder of the wos `wos` (empty for a bare file name: the current folder).
fn folder_of(wos: &Path) -> PathBuf {
    wos.parent().unwrap_or(Path::new("")).to_owned()
}

/// The project in `folder`: the namespace of the WIT package its `wit/` files declare, else
/// the wos's name.
fn project_of(folder: &Path, manifest: &Manifest) -> String {
    let declared = std::fs::read_dir(folder.join("wit")).into_iter().flatten().flatten().find_map(|entry| {
        let text = std::fs::read_to_string(entry.path()).ok()?;
        text.lines().find_map(|line| line.trim().strip_prefix("package ")?.split(':').next().map(str::to_owned))
    });
    declared.unwrap_or_else(|| manifest.name.clone())
}

/// Refuses a `what` name (project or service) that WIT, cargo, Go or Python could not use as it
/// is: lowercase words of letters and digits, each starting with a letter, joined by `-`.
fn check_name(what: &str, name: &str) -> Result<()> {
    let word_ok = |word: &str| {
        word.starts_with(|c: char| c.is_ascii_lowercase())
            && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    if name.is_empty() || name.len() > 40 || !name.split('-').all(word_ok) {
        bail!(
            "`{name}` cannot name a {what}: use lowercase words of letters and digits, each starting with a letter, \
             joined by `-` (for example `order-book`), at most 40 characters"
        );
    }
    if is_keyword(name) || matches!(name, "tests" | "parigot" | "wasi" | "queries") {
        bail!("`{name}` cannot name a {what}: WIT, or parigot's own packages, already use it; choose another");
    }
    Ok(())
}

/// The names of one service of a project, in each form a language or file needs.
struct Names {
    project: String,
    service: String,
}

impl Names {
    fn new(project: &str, service: &str) -> Result<Names> {
        check_name("project", project)?;
        check_name("service", service)?;
        Ok(Names { project: project.to_owned(), service: service.to_owned() })
    }

    /// The project's WIT package, `PROJECT:api`.
    fn package(&self) -> String {
        format!("{}:api", self.project)
    }

    /// The package of the service's typed queries, `PROJECT:SERVICE-db`.
    fn db_package(&self) -> String {
        format!("{}:{}-db", self.project, self.service)
    }

    fn tests(&self) -> String {
        format!("{}-tests", self.service)
    }

    fn values(&self) -> Vec<(&'static str, String)> {
        let (project, service) = (snake(&self.project), snake(&self.service));
        vec![
            ("project", self.project.clone()),
            ("package", self.package()),
            ("package_path", format!("{project}::api")),
            ("service", self.service.clone()),
            ("service_snake", service.clone()),
            ("Service", crate::wire::proto::rpc_name(&self.service)),
            ("crate", self.service.clone()),
            ("go_export", format!("export_{project}_api_{service}")),
            ("go_interface", format!("{project}_api_{service}")),
            ("go_db", format!("{project}_{service}_db")),
            ("js_export", crate::build::codegen::typescript::camel(&self.service)),
            ("db_package", self.db_package()),
            ("db_path", format!("{project}::{service}_db")),
            (
                "proto_service",
                format!("{project}.api.{service}.v0_1_0.{}", crate::wire::proto::rpc_name(&self.service)),
            ),
            ("wit_bindgen", crate::build::sdk::WIT_BINDGEN_VERSION.to_owned()),
            ("rust_sdk", RUST_SDK_FOLDER.to_owned()),
        ]
    }

    /// [`Names::values`] for the service's test component.
    fn test_values(&self) -> Vec<(&'static str, String)> {
        let mut values = self.values();
        values.iter_mut().filter(|(name, _)| *name == "crate").for_each(|(_, value)| *value = self.tests());
        values
    }

    /// The WIT file of the service: its interface and its worlds (a Rust world needs no
    /// `include` of parigot's imports: the Rust SDK brings its own bindings).
    fn wit(&self, language: Language, kind: Kind) -> String {
        let (package, service) = (self.package(), &self.service);
        let sdk = if language == Language::Rust { "" } else { "    include parigot:sdk/imports@0.1.0;\n" };
        let mut wit = format!("package {package}@0.1.0;\n\n");
        if kind == Kind::Program {
            wit += &format!(
                "/// The `{service}` program: run once, when the wos starts.\nworld {service}-program {{\n{sdk}    export wasi:cli/run@{};\n}}\n",
                wasi_cli_version()
            );
            return wit;
        }
        let (result, doc) = match kind {
            Kind::Database => ("result<string, string>", "Says hello to `name`, counting the visits of each name."),
            _ => ("string", "Says hello to `name`."),
        };
        wit += &format!(
            "/// The `{service}` service.\ninterface {service} {{\n    /// {doc}\n    hello: func(name: string) -> {result};\n}}\n\n"
        );
        let queries =
            if kind == Kind::Database { format!("    import {}/queries;\n", self.db_package()) } else { String::new() };
        wit += &format!(
            "/// What the `{service}` service is built from.\nworld {service}-service {{\n{sdk}{queries}    export {service};\n}}\n\n"
        );
        wit += &format!(
            "/// The tests of `{service}`: a component of their own, run by `parigot-host test`.\nworld {}-tests {{\n    \
             include parigot:test/test-component@0.1.0;\n    import {service};\n}}\n",
            service
        );
        wit
    }
}

/// The version of `wasi:cli` that the host's WASI packages have.
fn wasi_cli_version() -> String {
    crate::build::sdk::wasi_package_version("cli").unwrap_or_else(|| "0.2.0".into())
}

fn snake(name: &str) -> String {
    name.replace('-', "_")
}

/// Writes the service's first migration and its queries, and the queries' WIT into `wit/deps/`.
fn write_database(folder: &Path, names: &Names) -> Result<Vec<PathBuf>> {
    let values = names.values();
    let db = folder.join("services").join(&names.service).join("db");
    let migration = write_new(&db.join("migrations/001_visits.sql"), &fill(templates::MIGRATION, &values))?;
    let queries = write_new(&db.join("queries.sql"), &fill(templates::QUERIES, &values))?;
    let table = SqliteTable {
        migrations: Some(db.join("migrations")),
        queries: Some(db.join("queries.sql")),
        package: Some(names.db_package()),
        wit: Some(folder.join(db_wit(names))),
        ..SqliteTable::default()
    };
    let generated = GeneratedQueries::generate(&names.service, &table)
        .map_err(|why| format_err!("the template's queries do not type: {why}"))?
        .ok_or_else(|| format_err!("the template has no queries"))?;
    generated.write().map_err(|why| format_err!("{why}"))?;
    Ok(vec![migration, queries, generated.path])
}

/// Where a service's queries WIT goes, relative to the project: in `wit/deps/`, so every world
/// of the project's WIT folder resolves.
fn db_wit(names: &Names) -> String {
    format!("wit/deps/{}/queries.wit", names.db_package().replace(':', "-"))
}

/// Adds the service's crates (and its tests') to the project's cargo workspace, creating it if
/// it has none, and writes the Rust SDK where the workspace expects it.
fn add_rust_crates(folder: &Path, names: &Names, kind: Kind) -> Result<Vec<PathBuf>> {
    let path = folder.join("Cargo.toml");
    let mut members = vec![format!("services/{}", names.service)];
    if kind != Kind::Program {
        members.push(format!("tests/{}", names.service));
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => fill(templates::CARGO_WORKSPACE, &names.values()),
    };
    let Some(at) = text.find("members = [\n") else {
        bail!(
            "{} has no `members = [` line to add {} to; add them to its workspace yourself",
            path.display(),
            members.join(" and ")
        );
    };
    let at = at + "members = [\n".len();
    let added: String = members.iter().map(|member| format!("  \"{member}\",\n")).collect();
    std::fs::write(&path, format!("{}{added}{}", &text[..at], &text[at..]))
        .map_err(|e| format_err!("cannot write {}: {e}", path.display()))?;
    let mut written = vec![path];
    written.extend(write_rust_sdk(&folder.join(RUST_SDK_FOLDER))?);
    Ok(written)
}

/// Appends the service's tables to the wos (and its interface to `exports`, for a server),
/// keeping the rest of the file as it is.
fn add_to_wos(wos: &Path, names: &Names, language: Language, kind: Kind) -> Result<PathBuf> {
    let mut text = std::fs::read_to_string(wos).map_err(|e| format_err!("cannot read {}: {e}", wos.display()))?;
    let service = &names.service;
    if kind != Kind::Program {
        text = add_export(&text, &format!("{}/{service}", names.package())).ok_or_else(|| {
            format_err!("{} has no one-line `exports = [...]` to serve `{service}` from", wos.display())
        })?;
    }
    let world =
        |world: String| if language == Language::Rust { String::new() } else { format!("world = \"{world}\"\n") };
    let what = match kind {
        Kind::Program => "a program, run once at the start",
        Kind::Database => "says hello, counting visits in its database",
        Kind::Server => "says hello",
    };
    text += &format!(
        "\n[services.{service}]          # {language}: {what} (wit/{service}.wit)\nsource = \"services/{service}\"\nwit = \"wit\"\n{}",
        world(format!("{service}-{}", if kind == Kind::Program { "program" } else { "service" }))
    );
    if kind == Kind::Program {
        text += "args = [\"world\"]\n";
    }
    if kind == Kind::Database {
        text += &format!(
            "\n# Its database: the migrations, and the typed queries, whose WIT goes into wit/deps/.\n\
             [services.{service}.sqlite]\nmigrations = \"services/{service}/db/migrations\"\n\
             queries = \"services/{service}/db/queries.sql\"\npackage = \"{}\"\nwit = \"{}\"\n",
            names.db_package(),
            db_wit(names)
        );
    }
    if kind != Kind::Program {
        text += &format!(
            "\n[tests.{}]    # the tests of `{service}` ({language})\nsource = \"tests/{service}\"\nwit = \"wit\"\n{}",
            names.tests(),
            world(names.tests())
        );
    }
    std::fs::write(wos, text).map_err(|e| format_err!("cannot write {}: {e}", wos.display()))?;
    Ok(wos.to_owned())
}

/// `text` (a wos) with `interface` added to its one-line `exports = [...]`.
fn add_export(text: &str, interface: &str) -> Option<String> {
    let line = text.lines().find(|line| line.starts_with("exports = [") && line.trim_end().ends_with(']'))?;
    let inner = line.trim_end().strip_prefix("exports = [")?.strip_suffix(']')?.trim();
    let quoted = format!("\"{interface}\"");
    let listed = if inner.is_empty() { quoted } else { format!("{inner}, {quoted}") };
    Some(text.replacen(line, &format!("exports = [{listed}]"), 1))
}

/// Writes a new file, refusing to replace one.
fn write_new(path: &Path, text: &str) -> Result<PathBuf> {
    if path.exists() {
        bail!("{} already exists; `new` does not replace files", path.display());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format_err!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format_err!("cannot write {}: {e}", path.display()))?;
    Ok(path.to_owned())
}

#[cfg(test)]
mod tests;
