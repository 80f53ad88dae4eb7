//! Building services from their sources: `parigot-host build`, and `run` for a service whose
//! component is missing or older than its sources.
//!
//! A service names its folder (`source`) and, for every language but Rust, its world; the
//! language comes from the folder (`Cargo.toml`: Rust; `.go` files: Go; `app.py`: Python;
//! `app.js`, `app.ts`: JavaScript, TypeScript). Each language has its file: [`rust`] (cargo,
//! `wasm32-wasip2`), [`go`] (mainline Go and `wit-bindgen-go`), [`python`]
//! (componentize-py), [`javascript`] (tsc, rolldown and componentize-js). parigot's WIT packages and SDKs travel inside the host
//! ([`assets`]), so a service builds anywhere the language's toolchain is installed.

mod assets;
pub mod codegen;
mod fs_util;
mod go;
mod go_mod;
mod javascript;
pub mod messages;
mod python;
mod rust;
pub mod sdk;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wasmtime::error::Context as _;
use wasmtime::{Result, bail, format_err};

/// The language of a service's sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Rust,
    Go,
    Python,
    JavaScript,
    TypeScript,
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Language::Rust => "Rust",
            Language::Go => "Go",
            Language::Python => "Python",
            Language::JavaScript => "JavaScript",
            Language::TypeScript => "TypeScript",
        })
    }
}

impl Language {
    /// The language of the sources in `folder`: a `Cargo.toml` makes it Rust, `.go` files
    /// (in it or a sub-folder) Go, an `app.py` Python, an `app.js` JavaScript, an `app.ts`
    /// TypeScript.
    pub fn detect(folder: &Path) -> Result<Language> {
        if !folder.is_dir() {
            bail!("the source folder {} does not exist", folder.display());
        }
        if folder.join("Cargo.toml").is_file() {
            return Ok(Language::Rust);
        }
        let files = fs_util::list_files(folder)?;
        if files.iter().any(|file| file.extension().is_some_and(|ext| ext == "go")) {
            return Ok(Language::Go);
        }
        if folder.join("app.py").is_file() {
            return Ok(Language::Python);
        }
        if folder.join(javascript::JS_MODULE).is_file() {
            return Ok(Language::JavaScript);
        }
        if folder.join(javascript::TS_MODULE).is_file() {
            return Ok(Language::TypeScript);
        }
        bail!(
            "cannot tell the language of {}: a Rust service has a `Cargo.toml`, a Go service `.go` \
             files, a Python service an `app.py`, a JavaScript service an `app.js`, a TypeScript service \
             an `app.ts`",
            folder.display()
        )
    }
}

/// One component to build.
#[derive(Debug, Clone)]
pub struct Recipe {
    /// The service it is for (in messages).
    pub service: String,
    /// The folder of its sources.
    pub source: PathBuf,
    /// The WIT folder that defines its world (Go, Python, JavaScript and TypeScript; Rust's
    /// `wit-bindgen` reads its own).
    pub wit: Option<PathBuf>,
    /// The world it implements (all but Rust).
    pub world: Option<String>,
    /// Generated WIT packages its sources use (its typed queries), each one file, added to
    /// its WIT's `deps/` (all but Rust; a Rust service names the file in its `generate!`).
    pub packages: Vec<PathBuf>,
    /// Where the component goes.
    pub out: PathBuf,
}

impl Recipe {
    /// Builds the component, saying what it builds and how long it took; the file is replaced
    /// atomically, so a failed build leaves the previous component in place.
    pub fn build(&self) -> Result<Language> {
        let language = Language::detect(&self.source).map_err(|e| self.failed(e))?;
        tracing::info!("building service `{}` ({language}) from {}", self.service, self.source.display());
        let started = Instant::now();
        self.build_as(language).map_err(|e| self.failed(e))?;
        let size = std::fs::metadata(&self.out).map(|m| m.len()).unwrap_or(0);
        tracing::info!(
            "built service `{}` in {:.1} s: {} ({:.1} MiB)",
            self.service,
            started.elapsed().as_secs_f64(),
            self.out.display(),
            size as f64 / f64::from(1 << 20)
        );
        Ok(language)
    }

    fn build_as(&self, language: Language) -> Result<()> {
        let work = tempfile::Builder::new().prefix("parigot-build-").tempdir()?;
        let bytes = match language {
            Language::Rust => rust::build(&self.source).map_err(|error| self.with_queries_hint(error))?,
            Language::Go => {
                let wit = self.prepared_wit(work.path())?;
                let (resolve, world) = self.load_world(&wit, language)?;
                go::build(&self.source, &resolve, world, &work.path().join("module"))?
            }
            Language::Python => {
                let wit = self.checked_wit(work.path(), language)?;
                let out = work.path().join("component.wasm");
                python::build(&self.source, &wit, self.world_for(language)?, work.path(), &out)?;
                std::fs::read(&out).with_context(|| format!("componentize-py wrote no {}", out.display()))?
            }
            Language::JavaScript | Language::TypeScript => {
                self.refresh_editor_types();
                let wit = self.prepared_wit(work.path())?;
                let (resolve, world) = self.load_world(&wit, language)?;
                let service_world = javascript::service_world(&wit, self.world_for(language)?)?;
                javascript::build(&self.source, (&wit, (&resolve, world)), &service_world, work.path(), &self.out)?
            }
        };
        fs_util::write_atomically(&self.out, &bytes)?;
        std::fs::write(self.stamp(), assets::digest())
            .with_context(|| format!("cannot write {}", self.stamp().display()))
    }

    /// Writes again the TypeScript declarations of the project's WIT that editors read
    /// ([`sdk::WIT_TYPES_FILE`], beside the service's WIT folder), if the project has them: so
    /// they follow a change of the WIT. A failure only costs the editor its types: it is logged.
    fn refresh_editor_types(&self) {
        let Some(project) = self.wit.as_deref().and_then(Path::parent) else { return };
        if !project.join(sdk::WIT_TYPES_FILE).is_file() {
            return;
        }
        if let Err(error) = sdk::write_wit_types(project) {
            tracing::warn!("cannot update {}: {error:#}", project.join(sdk::WIT_TYPES_FILE).display());
        }
    }

    /// The prepared copy of the WIT folder in `work`, once its world has been checked (so a
    /// mistake is named before a componentize tool runs).
    fn checked_wit(&self, work: &Path, language: Language) -> Result<PathBuf> {
        let wit = self.prepared_wit(work)?;
        self.load_world(&wit, language)?;
        Ok(wit)
    }

    /// Beside the component: the digest of the SDKs and WIT packages it was built with.
    fn stamp(&self) -> PathBuf {
        let mut name = self.out.clone().into_os_string();
        name.push(".sdk");
        PathBuf::from(name)
    }

    /// Whether `parigot-host build` builds it without being forced: when it is stale, and
    /// always for Rust, whose cargo knows best what changed (dependencies included) and does
    /// nothing when nothing did.
    pub fn needs_building(&self) -> bool {
        self.is_stale() || Language::detect(&self.source).is_ok_and(|language| language == Language::Rust)
    }

    /// Parses the prepared copy `prepared` of the service's WIT folder and selects its world;
    /// the errors name the service's own folder, and a world it lacks comes with the worlds it has.
    fn load_world(
        &self,
        prepared: &Path,
        language: Language,
    ) -> Result<(wit_parser_go::Resolve, wit_parser_go::WorldId)> {
        let world = self.world_for(language)?;
        let shown = self.wit.as_deref().unwrap_or(prepared);
        let own_paths = |text: String| text.replace(&prepared.display().to_string(), &shown.display().to_string());
        let mut resolve = wit_parser_go::Resolve::default();
        let parsed = parse_wit(prepared, || {
            let pushed = resolve.push_dir(prepared);
            pushed.map_err(|error| resolve.render_error(&error))
        });
        let (package, _) = parsed.map_err(|why| format_err!("{}", own_paths(why)))?;
        if let Ok(id) = resolve.select_world(&[package], Some(world)) {
            return Ok((resolve, id));
        }
        let worlds: Vec<&str> = resolve.packages[package].worlds.keys().map(String::as_str).collect();
        let closest = worlds
            .iter()
            .min_by_key(|candidate| edit_distance(candidate, world))
            .filter(|c| edit_distance(c, world) <= 3);
        bail!(
            "the WIT folder {} has no world `{world}` (`world` of service `{}` in the wos); its package `{}` has {}{}",
            shown.display(),
            self.service,
            resolve.packages[package].name,
            if worlds.is_empty() {
                "no worlds".to_owned()
            } else {
                worlds.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ")
            },
            closest.map(|c| format!("; did you mean `{c}`?")).unwrap_or_default()
        )
    }

    /// `error` (a Rust build's), with what to do if it comes from typed queries that a world
    /// of the service's WIT folder imports but the folder does not hold: a Rust service's
    /// `generate!` reads the folder itself, not the copy the other languages build from.
    fn with_queries_hint(&self, error: wasmtime::Error) -> wasmtime::Error {
        let Some(wit) = &self.wit else { return error };
        let outside: Vec<String> =
            self.packages.iter().filter(|package| !package.starts_with(wit)).map(|p| p.display().to_string()).collect();
        if outside.is_empty() {
            return error;
        }
        format_err!(
            "{error:#}\nif wit-bindgen found no package of typed queries: the worlds of {} import the generated WIT \
             {}, which is outside the folder; name it in the crate's `generate!` paths, or set \
             `wit = \"{}/deps/NAME/queries.wit\"` in the grant (`[services.NAME.sqlite]`) so the folder holds it",
            wit.display(),
            outside.join(", "),
            wit.display()
        )
    }

    fn world_for(&self, language: Language) -> Result<&str> {
        self.world
            .as_deref()
            .ok_or_else(|| format_err!("a {language} service needs its `world` (the WIT world its sources implement)"))
    }

    /// The service's WIT folder copied below `work`, with parigot's own packages added to its
    /// `deps/` where it does not have them, so `include parigot:sdk/imports@0.1.0;` resolves.
    fn prepared_wit(&self, work: &Path) -> Result<PathBuf> {
        let wit = self.wit.as_deref().ok_or_else(|| format_err!("no WIT folder to build from"))?;
        if !wit.is_dir() {
            bail!("the WIT folder {} does not exist; set the service's `wit`", wit.display());
        }
        let prepared = work.join("wit");
        fs_util::copy_tree(wit, &prepared)?;
        add_parigot_packages(&prepared.join("deps"))?;
        // A generated package inside the WIT folder (its `deps/`) came with the copy.
        let outside = self.packages.iter().filter(|package| !package.starts_with(wit));
        for (index, package) in outside.enumerate() {
            let target = prepared.join("deps").join(format!("parigot-generated-{index}"));
            std::fs::create_dir_all(&target)?;
            let name = package.file_name().ok_or_else(|| format_err!("{} is not a file", package.display()))?;
            std::fs::copy(package, target.join(name))
                .with_context(|| format!("cannot copy the generated WIT {}", package.display()))?;
        }
        Ok(prepared)
    }

    fn failed(&self, error: wasmtime::Error) -> wasmtime::Error {
        error.context(format!("cannot build service `{}` from {}", self.service, self.source.display()))
    }

    /// Whether the component is missing, older than any file of its sources or WIT, or built
    /// with other SDKs than this host's (what `run` rebuilds; a change in a dependency
    /// elsewhere needs `parigot-host build`).
    pub fn is_stale(&self) -> bool {
        let Ok(built) = std::fs::metadata(&self.out).and_then(|m| m.modified()) else { return true };
        if std::fs::read_to_string(self.stamp()).ok().is_none_or(|stamp| stamp != assets::digest()) {
            return true;
        }
        self.changed_at().is_some_and(|changed| changed > built)
    }

    /// When a file of its sources, its WIT or its generated packages last changed.
    pub fn changed_at(&self) -> Option<std::time::SystemTime> {
        [Some(self.source.as_path()), self.wit.as_deref()]
            .into_iter()
            .flatten()
            .chain(self.packages.iter().map(PathBuf::as_path))
            .filter_map(fs_util::newest_change)
            .max()
    }
}

/// Writes the generated file `path` with `text` unless it holds it already (so its time
/// changes only with its contents); whether it wrote.
pub fn write_if_changed(path: &Path, text: &str) -> Result<bool, String> {
    if std::fs::read_to_string(path).is_ok_and(|on_disk| on_disk == text) {
        return Ok(false);
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(true)
}

/// parigot's own WIT packages written into the `deps` folder where it does not have them.
fn add_parigot_packages(deps: &Path) -> Result<()> {
    for (folder, files) in assets::wit_packages() {
        let target = deps.join(&folder);
        if !target.exists() {
            fs_util::write_tree(&files, &target)?;
        }
    }
    Ok(())
}

/// The dependencies of the WIT folder `wit` (its `deps/`, but for the entries `skip` names)
/// copied into `work/deps`, with parigot's own packages where it does not have them: what the
/// folder's packages can refer to, without its own package.
pub fn prepare_dependencies(wit: &Path, work: &Path, skip: &[&str]) -> Result<()> {
    let deps = work.join("deps");
    std::fs::create_dir_all(&deps).with_context(|| format!("cannot create {}", deps.display()))?;
    let source = wit.join("deps");
    if source.is_dir() {
        let entries = std::fs::read_dir(&source).with_context(|| format!("cannot read {}", source.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read {}", source.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if skip.iter().any(|skipped| Path::new(skipped).file_name().is_some_and(|s| *s == *name)) {
                continue;
            }
            if entry.path().is_dir() {
                fs_util::copy_tree(&entry.path(), &deps.join(&name))?;
            } else {
                std::fs::copy(entry.path(), deps.join(&name))
                    .with_context(|| format!("cannot copy {}", entry.path().display()))?;
            }
        }
    }
    add_parigot_packages(&deps)
}

/// How many single-character edits turn `a` into `b` (Levenshtein), for suggesting names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Runs `parse`, a call of the WIT parser on `what` (a folder or a file), turning a panic of
/// the parser into an error that names it: wit-parser (0.240 and 0.262) panics on some
/// malformed WIT, such as a doc comment `/**/`, and a WIT folder is a wos author's input, which
/// gets an error, never a crash.
pub fn parse_wit<T, E: std::fmt::Display>(what: &Path, parse: impl FnOnce() -> Result<T, E>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)) {
        Ok(Ok(parsed)) => Ok(parsed),
        Ok(Err(error)) => Err(format!("cannot read the WIT in {}: {error:#}", what.display())),
        Err(_) => Err(format!(
            "the WIT parser failed on {} (it stops at some malformed WIT, such as an empty `/**/` comment); check \
             its comments and syntax",
            what.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_of_the_wit_parser_is_an_error_naming_the_wit() {
        let mut resolve = wit_parser::Resolve::default();
        let error =
            parse_wit(Path::new("wit/app.wit"), || resolve.push_str("app.wit", "/**/\npackage a:b;\n")).unwrap_err();
        assert!(error.starts_with("the WIT parser failed on wit/app.wit"), "{error}");
        let mut resolve = wit_parser::Resolve::default();
        let error =
            parse_wit(Path::new("wit"), || resolve.push_str("app.wit", "package a:b; interface {")).unwrap_err();
        assert!(error.starts_with("cannot read the WIT in wit: "), "{error}");
    }

    #[test]
    fn the_language_comes_from_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = |name: &str, file: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.join("pkg")).unwrap();
            std::fs::write(path.join(file), "").unwrap();
            path
        };
        assert_eq!(Language::detect(&folder("r", "Cargo.toml")).unwrap(), Language::Rust);
        assert_eq!(Language::detect(&folder("g", "pkg/x.go")).unwrap(), Language::Go);
        assert_eq!(Language::detect(&folder("p", "app.py")).unwrap(), Language::Python);
        assert_eq!(Language::detect(&folder("j", "app.js")).unwrap(), Language::JavaScript);
        let unknown = Language::detect(&folder("u", "README")).unwrap_err().to_string();
        assert!(unknown.contains("cannot tell the language of"), "{unknown}");
        let missing = Language::detect(&dir.path().join("nowhere")).unwrap_err().to_string();
        assert!(missing.contains("does not exist"), "{missing}");
    }

    #[test]
    fn the_host_carries_parigots_wit_and_sdks() {
        let packages: Vec<String> = assets::wit_packages().into_iter().map(|(name, _)| name).collect();
        for package in ["parigot-context", "parigot-log", "parigot-sdk", "parigot-wasi-logging"] {
            assert!(packages.contains(&package.to_owned()), "{packages:?}");
        }
        assert!(assets::GO_SDK.iter().any(|(path, _)| *path == "plog/plog.go"));
        assert!(assets::PYTHON_SDK.iter().any(|(path, _)| *path == "context.py"));
        assert!(assets::GO_RUNTIME.iter().any(|(path, _)| *path == "go.mod"));
    }

    #[test]
    fn a_component_built_with_other_sdks_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("svc");
        std::fs::create_dir_all(&source).unwrap();
        std::fs::write(source.join("app.py"), "").unwrap();
        let out = dir.path().join("svc.wasm");
        let recipe =
            Recipe { service: "svc".into(), source, wit: None, world: None, packages: Vec::new(), out: out.clone() };
        assert!(recipe.is_stale(), "missing");
        std::fs::write(&out, b"component").unwrap();
        assert!(recipe.is_stale(), "built without a stamp (by an older host)");
        std::fs::write(recipe.stamp(), assets::digest()).unwrap();
        assert!(!recipe.is_stale());
        std::fs::write(recipe.stamp(), "another host's SDKs").unwrap();
        assert!(recipe.is_stale());
    }
}
