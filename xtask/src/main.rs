//! parigot's build helper.
//!
//! Tasks that need more than a one-line shell command live here, so that the Makefile stays a
//! plain list of targets. Run `xtask --help` for the list of tasks.
//!
//! - `go-component`: build a WebAssembly component from Go sources with mainline Go (see
//!   [`go_component`]).

mod fs_util;
mod go_component;
mod go_mod;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The command line.
#[derive(Parser)]
#[command(name = "xtask", about = "parigot's build helper")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

/// The tasks xtask can run.
#[derive(Subcommand)]
enum Task {
    /// Build a component from Go sources: generate bindings for a WIT world, `go build` for
    /// wasip1, and wrap the core module into a component.
    GoComponent(GoComponentArgs),
}

/// Arguments of `xtask go-component`.
#[derive(clap::Args)]
struct GoComponentArgs {
    /// Directory with the guest's Go sources (packages of module `wit_component`).
    #[arg(long)]
    src: PathBuf,
    /// Directory with the WIT package that defines the world.
    #[arg(long)]
    wit: PathBuf,
    /// Name of the world the component implements.
    #[arg(long)]
    world: String,
    /// Where to write the component.
    #[arg(long)]
    out: PathBuf,
    /// Scratch directory for the generated Go module [default: target/go-build/<world>].
    #[arg(long)]
    work: Option<PathBuf>,
    /// Directory of the shared Go SDK, copied to `<work>/parigot` [default: guests/go/sdk in
    /// this repository].
    #[arg(long)]
    sdk: Option<PathBuf>,
}

fn main() -> ExitCode {
    let result = match Cli::parse().task {
        Task::GoComponent(args) => run_go_component(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Fills in the defaults of `go-component` and runs it.
fn run_go_component(args: GoComponentArgs) -> anyhow::Result<()> {
    let work = args.work.unwrap_or_else(|| PathBuf::from("target/go-build").join(&args.world));
    let sdk = args.sdk.unwrap_or_else(|| repository_root().join("guests/go/sdk"));
    go_component::build(&go_component::Options {
        src: args.src,
        wit: args.wit,
        world: args.world,
        out: args.out,
        work,
        sdk,
    })
}

/// The root of the repository xtask was built from.
fn repository_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map(PathBuf::from).unwrap_or(manifest_dir)
}
