//! Records the target xtask is built for: `cargo metadata --filter-platform` needs it to avoid
//! downloading dependencies of other platforms (which an offline machine cannot do).

fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=XTASK_HOST_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
