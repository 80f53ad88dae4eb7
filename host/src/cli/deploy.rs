//! `deploy k8s`: Kubernetes manifests and an image for a wos split into groups.

use std::process::ExitCode;
use wasmtime::Result;

use super::*;

/// `parigot-host deploy k8s`: writes the manifests and the image of a wos split into groups.
pub(crate) fn deploy_k8s(args: K8sArgs) -> Result<ExitCode> {
    use parigot_host::deploy::{k8s, write_k8s};
    let failed = |why: String| wasmtime::format_err!("cannot deploy to Kubernetes: {why}");
    let request = k8s::Request { name: args.name, image: args.image, replicas: args.replicas };
    let plan = k8s::Plan::new(&args.wos, request).map_err(failed)?;
    let host = std::env::current_exe().map_err(|e| failed(format!("cannot find this host's binary: {e}")))?;
    let written = write_k8s(&plan, &host, &args.out).map_err(failed)?;
    println!("{}: {}", written.manifests.display(), written.objects.join(", "));
    println!("{}: image {} ({})", written.image.display(), plan.options.image, written.digest);
    Ok(ExitCode::SUCCESS)
}
