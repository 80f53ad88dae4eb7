//! `parigot-host deploy k8s`: Kubernetes manifests for a wos split into groups, one wos file
//! per group (the split wos files of `examples/*/split`), and the OCI image they run.
//!
//! Each group becomes a ConfigMap with its wos as the container sees it, and either a
//! Deployment with a Service (a group that serves) or a Job (a group with a program, which
//! runs once). Remote links between the groups are pointed at the Services' names; the image
//! holds the host, every group's components, migrations and typed queries.

use super::image::{ImageFile, ImageSpec};
use crate::manifest::{Manifest, ServiceSpec};
use crate::names::{InterfaceName, ServiceName};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The port every group serves on inside its pod.
pub const PORT: u16 = 50051;
/// Where the host is in the image.
pub const HOST_PATH: &str = "/app/parigot-host";
/// Where a group's wos (its ConfigMap) is mounted.
pub const WOS_FOLDER: &str = "/etc/parigot";
/// Where the pod keeps a wos's data (its databases): a volume.
pub const DATA_FOLDER: &str = "/var/lib/parigot";
/// A volume for the compile cache; the host creates its own 0700 folder in it.
pub const CACHE_FOLDER: &str = "/var/cache/parigot";
/// Where the deployment's shared peer secret (a Secret) is mounted.
pub const PEER_SECRET_FOLDER: &str = "/etc/parigot-peer";
/// The user the container runs as (not root).
pub const USER: u32 = 65532;
/// Memory for the host itself (runtime, compiler, buffers) on top of its guests'.
const HOST_MEMORY_MIB: u64 = 256;

/// What `deploy k8s` is asked for; what is left out gets its default.
#[derive(Debug, Clone)]
pub struct Request {
    /// The deployment's name [default: what the groups' names share].
    pub name: Option<String>,
    /// The image reference [default: `parigot/NAME:latest`].
    pub image: Option<String>,
    /// Replicas of each stateless Deployment.
    pub replicas: u32,
}

/// What `deploy k8s` makes, with every default filled in.
#[derive(Debug, Clone)]
pub struct Options {
    /// The deployment's name: labels, the peer Secret's name.
    pub name: String,
    /// The image reference the pods run (`registry/name:tag`).
    pub image: String,
    /// Replicas of each stateless Deployment.
    pub replicas: u32,
}

/// One group: a wos file, run by one Deployment (or Job).
#[derive(Debug)]
pub struct Group {
    /// Its Kubernetes name (the wos's name as a DNS label).
    pub name: String,
    pub manifest: Manifest,
    /// The wos file's own text.
    text: String,
    /// Whether one of its services is a program (the group is a Job).
    pub has_program: bool,
}

/// Everything to deploy: the groups, and the file of the shared peer secret if they use one.
#[derive(Debug)]
pub struct Plan {
    pub options: Options,
    pub groups: Vec<Group>,
    pub peer_secret: Option<PathBuf>,
}

impl Plan {
    /// Reads the wos files, one per group, and checks that they can be deployed: built
    /// components, names that do not clash, remote links that some group serves.
    pub fn new(wos_files: &[PathBuf], request: Request) -> Result<Plan, String> {
        let mut groups: Vec<Group> = Vec::new();
        for path in wos_files {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let manifest = Manifest::parse(&text, path).map_err(|e| e.to_string())?;
            let name = dns_label(&manifest.name)
                .ok_or_else(|| format!("wos `{}` has no name usable in Kubernetes; give it a `name`", manifest.name))?;
            if let Some(clash) = groups.iter().find(|g| g.name == name) {
                return Err(format!(
                    "wos files {} and {} both make group `{name}`; give them different `name`s",
                    clash.manifest.path.display(),
                    path.display()
                ));
            }
            refuse_unsupported(&manifest)?;
            let has_program = has_program(&manifest)?;
            groups.push(Group { name, manifest, text, has_program });
        }
        if groups.is_empty() {
            return Err("name at least one wos file to deploy".into());
        }
        let secrets: Vec<&PathBuf> = groups.iter().filter_map(|g| g.manifest.auth.peer_secret_file.as_ref()).collect();
        let peer_secret = secrets.first().map(|path| (*path).clone());
        if secrets
            .iter()
            .any(|path| std::fs::read(path).ok() != peer_secret.as_ref().and_then(|p| std::fs::read(p).ok()))
        {
            return Err("the groups' `peer-secret-file`s differ; the hosts of one deployment share one secret".into());
        }
        let linked = groups.iter().find(|group| group.manifest.services.values().any(|spec| !spec.remotes.is_empty()));
        if let (Some(_), Some(group)) = (&peer_secret, linked) {
            return Err(format!(
                "group `{}` links to another group, which `deploy k8s` does over plain HTTP inside the cluster: that \
                 would carry the deployment's peer proof (and its users) in clear text, and this version cannot give \
                 the pods TLS yet; deploy without `[auth] peer-secret-file` (users then stay within their host), or \
                 run the groups as one wos",
                group.name
            ));
        }
        let names: Vec<String> = groups.iter().map(|group| group.name.clone()).collect();
        let name = request.name.unwrap_or_else(|| shared_prefix(&names));
        let image = request.image.unwrap_or_else(|| format!("parigot/{name}:latest"));
        let options = Options { name, image, replicas: request.replicas };
        let plan = Plan { options, groups, peer_secret };
        for group in &plan.groups {
            for (service, spec) in &group.manifest.services {
                for interface in spec.remotes.keys() {
                    plan.server_of(interface).ok_or_else(|| {
                        format!(
                            "service `{service}` of wos `{}` links `{interface}` to a remote host, but no wos given \
                             to deploy serves it; add the wos file that does",
                            group.manifest.name
                        )
                    })?;
                }
            }
        }
        Ok(plan)
    }

    /// The group that serves `interface` (lists it in its `exports` and serves).
    fn server_of(&self, interface: &InterfaceName) -> Option<&Group> {
        self.groups
            .iter()
            .find(|group| !group.has_program && group.manifest.exports.iter().any(|export| export.accepts(interface)))
    }

    /// Every Kubernetes object, in a stable order.
    pub fn objects(&self) -> Result<Vec<Value>, String> {
        let mut objects = Vec::new();
        if let Some(secret) = &self.peer_secret {
            let bytes = std::fs::read(secret).map_err(|e| format!("cannot read {}: {e}", secret.display()))?;
            objects.push(json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": self.metadata(&self.peer_secret_name(), None),
                "type": "Opaque",
                "data": {"secret": base64(&bytes)},
            }));
        }
        for group in &self.groups {
            objects.push(json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": self.metadata(&format!("{}-wos", group.name), Some(group)),
                "data": {"wos.toml": self.container_wos(group)?},
            }));
            if group.has_program {
                objects.push(self.job(group));
                continue;
            }
            if has_database(group) {
                objects.push(json!({
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": self.metadata(&format!("{}-data", group.name), Some(group)),
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }));
            }
            objects.push(self.deployment(group));
            objects.push(json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": self.metadata(&group.name, Some(group)),
                "spec": {
                    "selector": selector(group),
                    "ports": [{"name": "grpc", "port": PORT, "targetPort": "grpc", "protocol": "TCP",
                               "appProtocol": "kubernetes.io/h2c"}],
                },
            }));
        }
        Ok(objects)
    }

    fn peer_secret_name(&self) -> String {
        format!("{}-peer-secret", self.options.name)
    }

    fn metadata(&self, name: &str, group: Option<&Group>) -> Value {
        let mut labels =
            json!({"app.kubernetes.io/part-of": self.options.name, "app.kubernetes.io/managed-by": "parigot"});
        if let Some(group) = group {
            labels["app.kubernetes.io/name"] = json!(group.name);
        }
        json!({"name": name, "labels": labels})
    }

    fn deployment(&self, group: &Group) -> Value {
        // A group with databases keeps them on one volume: one pod at a time.
        let stateful = has_database(group);
        let replicas = if stateful { 1 } else { self.options.replicas };
        let strategy = if stateful { json!({"type": "Recreate"}) } else { json!({"type": "RollingUpdate"}) };
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self.metadata(&group.name, Some(group)),
            "spec": {
                "replicas": replicas,
                "strategy": strategy,
                "selector": {"matchLabels": selector(group)},
                "template": {"metadata": {"labels": selector(group)}, "spec": self.pod(group, "Always")},
            },
        })
    }

    fn job(&self, group: &Group) -> Value {
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": self.metadata(&group.name, Some(group)),
            "spec": {
                "backoffLimit": 0,
                "template": {"metadata": {"labels": selector(group)}, "spec": self.pod(group, "Never")},
            },
        })
    }

    /// The pod of `group`: the host running the group's wos from its ConfigMap.
    fn pod(&self, group: &Group, restart: &str) -> Value {
        let serves = !group.has_program;
        let mut container = json!({
            "name": "parigot",
            "image": self.options.image,
            "command": [HOST_PATH],
            "args": container_args(),
            "env": [
                {"name": "PARIGOT_CACHE_DIR", "value": format!("{CACHE_FOLDER}/compiled")},
                {"name": "PARIGOT_LOG", "value": "info"},
            ],
            "resources": memory_resources(group),
            "securityContext": {
                "runAsNonRoot": true,
                "runAsUser": USER,
                "runAsGroup": USER,
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": self.mounts(group),
        });
        if serves {
            // Liveness asks for the server as a whole (`""`, not serving once a service has failed
            // for good); readiness also takes the pod out of the Service while one of its
            // services waits for its restart back-off.
            let probe = |service: &str, period: u32, failures: u32| json!({"grpc": {"port": PORT, "service": service}, "periodSeconds": period, "failureThreshold": failures, "timeoutSeconds": 2});
            container["ports"] = json!([{"name": "grpc", "containerPort": PORT, "protocol": "TCP"}]);
            // The first start compiles the components: up to two minutes before liveness counts.
            container["startupProbe"] = probe("", 2, 60);
            container["readinessProbe"] = probe(crate::wire::serve::READINESS, 5, 2);
            container["livenessProbe"] = probe("", 10, 3);
        }
        json!({
            "restartPolicy": restart,
            "terminationGracePeriodSeconds": group.manifest.serve.shutdown_grace.as_secs() + 5,
            "securityContext": {"fsGroup": USER},
            "containers": [container],
            "volumes": self.volumes(group),
        })
    }

    fn mounts(&self, group: &Group) -> Value {
        let mut mounts = vec![
            json!({"name": "wos", "mountPath": WOS_FOLDER, "readOnly": true}),
            json!({"name": "data", "mountPath": DATA_FOLDER}),
            json!({"name": "cache", "mountPath": CACHE_FOLDER}),
        ];
        if group.manifest.auth.peer_secret_file.is_some() {
            mounts.push(json!({"name": "peer-secret", "mountPath": PEER_SECRET_FOLDER, "readOnly": true}));
        }
        Value::Array(mounts)
    }

    fn volumes(&self, group: &Group) -> Value {
        let data = if has_database(group) && !group.has_program {
            json!({"name": "data", "persistentVolumeClaim": {"claimName": format!("{}-data", group.name)}})
        } else {
            json!({"name": "data", "emptyDir": {}})
        };
        let mut volumes = vec![
            json!({"name": "wos", "configMap": {"name": format!("{}-wos", group.name)}}),
            data,
            json!({"name": "cache", "emptyDir": {}}),
        ];
        if group.manifest.auth.peer_secret_file.is_some() {
            volumes.push(json!({"name": "peer-secret", "secret": {"secretName": self.peer_secret_name()}}));
        }
        Value::Array(volumes)
    }

    /// The group's wos as the container reads it: components, migrations and queries at their
    /// paths in the image, remote links at the Services' names, serving on [`PORT`], the peer
    /// secret where its Secret is mounted; tests, mocks and build settings left out.
    pub fn container_wos(&self, group: &Group) -> Result<String, String> {
        let mut wos: toml::Table = toml::from_str(&group.text).map_err(|e| e.to_string())?;
        for key in ["tests", "mocks", "fixtures"] {
            wos.remove(key);
        }
        let services = wos.get_mut("services").and_then(toml::Value::as_table_mut).expect("a parsed wos has services");
        for (name, table) in services.iter_mut() {
            let service = ServiceName::try_from(name.clone())?;
            let spec = &group.manifest.services[&service];
            let table = table.as_table_mut().expect("a parsed wos's services are tables");
            for key in ["source", "world", "wit", "build"] {
                table.remove(key);
            }
            table.insert("component".into(), component_path(group, &service).into());
            if let (Some(sqlite), Some(grant)) =
                (table.get_mut("sqlite").and_then(toml::Value::as_table_mut), &spec.sqlite)
            {
                if grant.migrations.is_some() {
                    sqlite.insert("migrations".into(), data_path(group, &service, "migrations").into());
                }
                if grant.queries.is_some() {
                    sqlite.insert("queries".into(), data_path(group, &service, "queries.sql").into());
                }
            }
            if let Some(links) = table.get_mut("links").and_then(toml::Value::as_table_mut) {
                for (interface, link) in links.iter_mut() {
                    let Some(remote) = link.as_table_mut() else { continue };
                    let interface = InterfaceName::parse(interface).ok_or("a parsed wos's links name interfaces")?;
                    let server = self.server_of(&interface).expect("checked when planned");
                    remote.insert("remote".into(), format!("http://{}:{PORT}", server.name).into());
                    remote.remove("ca");
                }
            }
        }
        let serve = wos.entry("serve").or_insert_with(|| toml::Table::new().into());
        if let Some(serve) = serve.as_table_mut() {
            serve.insert("listen".into(), format!("0.0.0.0:{PORT}").into());
        }
        if let Some(auth) = wos.get_mut("auth").and_then(toml::Value::as_table_mut)
            && auth.contains_key("peer-secret-file")
        {
            auth.insert("peer-secret-file".into(), format!("{PEER_SECRET_FOLDER}/secret").into());
        }
        if group.has_program {
            wos.remove("serve");
        }
        let text = toml::to_string(&wos).map_err(|e| e.to_string())?;
        Ok(format!(
            "# wos `{}` as its container runs it (generated by `parigot-host deploy k8s` from {}).\n{text}",
            group.manifest.name,
            group.manifest.path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned())
        ))
    }

    /// The image: the host binary (and the libraries it loads), and every group's components,
    /// migrations, typed queries and container wos.
    pub fn image(&self, host_binary: &Path) -> Result<ImageSpec, String> {
        let mut app = vec![ImageFile::from_path(HOST_PATH, host_binary, 0o755)?];
        for group in &self.groups {
            app.push(ImageFile::from_bytes(
                &format!("/app/wos/{}.toml", group.name),
                self.container_wos(group)?.into_bytes(),
                0o644,
            ));
            for (service, spec) in &group.manifest.services {
                app.push(ImageFile::from_path(&component_path(group, service), &spec.component, 0o644)?);
                app.extend(database_files(group, service, spec)?);
            }
        }
        let runtime = super::image::runtime_libraries(host_binary)?;
        Ok(ImageSpec {
            layers: [runtime, app].into_iter().filter(|layer| !layer.is_empty()).collect(),
            entrypoint: vec![HOST_PATH.into()],
            cmd: vec!["--help".into()],
            env: vec![format!("PARIGOT_CACHE_DIR={CACHE_FOLDER}/compiled")],
            user: format!("{USER}:{USER}"),
            working_dir: "/app".into(),
            reference: self.options.image.clone(),
        })
    }
}

/// The host's arguments in every container.
pub fn container_args() -> Vec<String> {
    vec!["run".into(), format!("{WOS_FOLDER}/wos.toml"), "--data-dir".into(), DATA_FOLDER.into()]
}

fn selector(group: &Group) -> Value {
    json!({"app.kubernetes.io/name": group.name})
}

fn has_database(group: &Group) -> bool {
    group.manifest.services.values().any(|spec| spec.sqlite.is_some())
}

/// Requests and limits: the host's own share plus, per service, its memory limit for each
/// instance it may run (one for a request, its pool for the limit), so no guest can make the
/// pod exceed its limit.
fn memory_resources(group: &Group) -> Value {
    let mib = |spec: &ServiceSpec| spec.limits.memory.div_ceil(1 << 20);
    let request: u64 = HOST_MEMORY_MIB + group.manifest.services.values().map(mib).sum::<u64>();
    let limit: u64 = HOST_MEMORY_MIB
        + group.manifest.services.values().map(|spec| mib(spec) * group.manifest.instances(spec) as u64).sum::<u64>();
    json!({"requests": {"memory": format!("{request}Mi"), "cpu": "100m"}, "limits": {"memory": format!("{limit}Mi")}})
}

fn component_path(group: &Group, service: &ServiceName) -> String {
    format!("/app/components/{}/{service}.wasm", group.name)
}

fn data_path(group: &Group, service: &ServiceName, file: &str) -> String {
    format!("/app/data/{}/{service}/{file}", group.name)
}

/// A service's migrations and typed queries (with their generated WIT), at their image paths.
fn database_files(group: &Group, service: &ServiceName, spec: &ServiceSpec) -> Result<Vec<ImageFile>, String> {
    let Some(grant) = &spec.sqlite else { return Ok(Vec::new()) };
    let mut files = Vec::new();
    if let Some(migrations) = &grant.migrations {
        let entries =
            std::fs::read_dir(migrations).map_err(|e| format!("cannot read {}: {e}", migrations.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_file() {
                let name = path.file_name().expect("a file has a name").to_string_lossy().into_owned();
                files.push(ImageFile::from_path(
                    &data_path(group, service, &format!("migrations/{name}")),
                    &path,
                    0o644,
                )?);
            }
        }
    }
    if let Some(queries) = &grant.queries {
        files.push(ImageFile::from_path(&data_path(group, service, "queries.sql"), queries, 0o644)?);
        files.push(ImageFile::from_path(
            &data_path(group, service, "queries.wit"),
            &queries.with_extension("wit"),
            0o644,
        )?);
    }
    Ok(files)
}

/// Whether a service of `manifest` is a program (its component exports `wasi:cli/run`).
fn has_program(manifest: &Manifest) -> Result<bool, String> {
    for (name, spec) in &manifest.services {
        let bytes = std::fs::read(&spec.component).map_err(|e| {
            format!(
                "cannot read the component of service `{name}` ({}): {e}; build it first (`parigot-host build {}`)",
                spec.component.display(),
                manifest.path.display()
            )
        })?;
        let wit = crate::runtime::decode_wit(name, &bytes).map_err(|e| format!("{e:#}"))?;
        if wit.is_program() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Refuses what the manifests cannot carry yet, naming it.
fn refuse_unsupported(manifest: &Manifest) -> Result<(), String> {
    if manifest.serve.tls.is_some() {
        return Err(format!(
            "wos `{}` serves over TLS; `deploy k8s` does not carry certificates yet: terminate TLS at the cluster's \
             ingress, and remove `[serve] tls`",
            manifest.name
        ));
    }
    if let Some((name, _)) = manifest.services.iter().find(|(_, spec)| !spec.files.is_empty()) {
        return Err(format!(
            "service `{name}` of wos `{}` is granted host folders (`files`), which `deploy k8s` does not map to \
             volumes yet",
            manifest.name
        ));
    }
    Ok(())
}

/// What `names` share at their start, up to a `-` (`hello-front`, `hello-signer` → `hello`);
/// `parigot` when nothing.
fn shared_prefix(names: &[String]) -> String {
    let first = names.first().map(String::as_str).unwrap_or_default();
    let shared = names
        .iter()
        .fold(first.len(), |len, name| first.bytes().zip(name.bytes()).take(len).take_while(|(a, b)| a == b).count());
    let prefix =
        if names.len() > 1 { first[..shared].rsplit_once('-').map_or(&first[..shared], |(p, _)| p) } else { first };
    let prefix = prefix.trim_matches('-');
    if prefix.is_empty() { "parigot".to_owned() } else { prefix.to_owned() }
}

/// `name` as a Kubernetes DNS label: lowercase letters, digits and `-`, at most 63.
fn dns_label(name: &str) -> Option<String> {
    let label: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(63)
        .collect();
    let label = label.trim_end_matches('-').to_owned();
    (!label.is_empty()).then_some(label)
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The ids a Kubernetes object is known by (`Kind/name`), for messages.
pub fn names(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .map(|o| format!("{}/{}", o["kind"].as_str().unwrap_or("?"), o["metadata"]["name"].as_str().unwrap_or("?")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deployment_is_named_after_what_its_groups_share() {
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(shared_prefix(&names(&["hello-signer", "hello-decorator", "hello-front"])), "hello");
        assert_eq!(shared_prefix(&names(&["vvv-back", "vvv-front"])), "vvv");
        assert_eq!(shared_prefix(&names(&["shop"])), "shop");
        assert_eq!(shared_prefix(&names(&["alpha", "beta"])), "parigot");
    }

    #[test]
    fn names_become_dns_labels() {
        assert_eq!(dns_label("Vinny's Store").as_deref(), Some("vinny-s-store"));
        assert_eq!(dns_label("--").as_deref(), None);
    }
}
