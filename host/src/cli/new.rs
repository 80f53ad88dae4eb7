//! `parigot-host new` and `parigot-host sdk`: a project started or grown, and parigot's WIT
//! and Rust SDK written into it (see [`parigot_host::scaffold`]).

use super::{Lang, NewArgs, NewCommand, NewServiceArgs, SdkArgs, ServiceShape};
use parigot_host::build::Language;
use parigot_host::build::sdk::{
    JS_SDK_FOLDER, RUST_SDK_FOLDER, write_js_sdk, write_rust_sdk, write_wit_packages, write_wit_types,
};
use parigot_host::scaffold::{self, NewService};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasmtime::{Result, bail};

/// `parigot-host new FOLDER` and `parigot-host new service NAME`.
pub(crate) fn new(args: NewArgs) -> Result<ExitCode> {
    match (args.command, args.folder) {
        (Some(NewCommand::Service(NewServiceArgs { name, shape, wos })), _) => {
            if !wos.is_file() {
                bail!(
                    "there is no {} here: run `parigot-host new service` in a project's folder, or pass `--wos` (start \
                     a project with `parigot-host new FOLDER`)",
                    wos.display()
                );
            }
            let written = scaffold::new_service(&wos, &service(name, &shape))?;
            report(&written);
            println!("\nnext: parigot-host test {}", wos.display());
        }
        (None, Some(folder)) => {
            let written = scaffold::new_project(&folder, &service(args.service, &args.shape))?;
            report(&written);
            let wos = folder.join("wos.toml");
            println!(
                "\nnext:\n  parigot-host test {0}   # build, then run its tests\n  parigot-host run {0}    # serve it",
                wos.display()
            );
        }
        (None, None) => bail!("name the project's folder: `parigot-host new FOLDER`"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `parigot-host sdk`.
pub(crate) fn sdk(args: SdkArgs) -> Result<ExitCode> {
    let folder = folder_of(&args.wos);
    if !args.wos.is_file() {
        bail!("there is no {}: pass the project's wos", args.wos.display());
    }
    let mut written = write_wit_packages(&folder.join("wit/deps"))?;
    let rust_sdk = folder.join(RUST_SDK_FOLDER);
    if rust_sdk.is_dir() || folder.join("Cargo.toml").is_file() {
        written.extend(write_rust_sdk(&rust_sdk)?);
    }
    let js_sdk = folder.join(JS_SDK_FOLDER);
    if js_sdk.is_dir() || folder.join("package.json").is_file() {
        written.extend(write_js_sdk(&js_sdk)?);
        written.extend(write_wit_types(&folder)?);
    }
    if written.is_empty() {
        println!("parigot's WIT and SDK in {} are up to date", folder.display());
    }
    report(&written);
    Ok(ExitCode::SUCCESS)
}

fn service(name: String, shape: &ServiceShape) -> NewService {
    let language = match shape.lang {
        Lang::Rust => Language::Rust,
        Lang::Go => Language::Go,
        Lang::Python => Language::Python,
        Lang::JavaScript => Language::JavaScript,
        Lang::TypeScript => Language::TypeScript,
    };
    NewService { name, language, sqlite: shape.sqlite, program: shape.program }
}

fn folder_of(wos: &Path) -> PathBuf {
    wos.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned()
}

/// Prints the files written, one a line, each once.
fn report(written: &[PathBuf]) {
    let mut seen = std::collections::BTreeSet::new();
    for path in written.iter().filter(|path| seen.insert(*path)) {
        println!("wrote {}", path.display());
    }
}
