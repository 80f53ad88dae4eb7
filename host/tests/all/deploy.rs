//! `parigot-host deploy k8s`: manifests that validate against the Kubernetes API schemas, a
//! reproducible OCI image with the host and the components, and containers that, run as local
//! processes with exactly what their manifests give them, answer as the wos does in one process.

use crate::split::entry_lines;
use crate::support::{host, repo};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const HELLO: [&str; 3] = ["signer", "decorator", "front"];

fn hello_split() -> Vec<String> {
    HELLO.iter().map(|part| repo().join(format!("examples/hello/split/{part}.toml")).display().to_string()).collect()
}

fn deploy(out: &Path) -> crate::support::Run {
    let mut args = vec!["deploy", "k8s", "-o", out.to_str().unwrap()];
    let wos = hello_split();
    args.extend(wos.iter().map(String::as_str));
    host(&args).expect_code(0)
}

fn python() -> PathBuf {
    repo().join(".tools/venv/bin/python")
}

/// The manifests file's documents, read by PyYAML (the parser kubernetes-validate uses).
fn objects(manifests: &Path) -> Vec<Value> {
    let output = Command::new(python())
        .args(["-c", "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))"])
        .arg(manifests)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn object<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in {objects:?}"))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn blob(image: &Path, digest: &str) -> Vec<u8> {
    let bytes = std::fs::read(image.join("blobs/sha256").join(digest.trim_start_matches("sha256:"))).unwrap();
    let actual = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(format!("sha256:{actual}"), digest, "a blob is named by its digest");
    bytes
}

use sha2::Digest as _;

/// Unpacks every layer of the image in `image` into `root`; returns the image's config.
fn unpack(image: &Path, root: &Path) -> Value {
    let index = read_json(&image.join("index.json"));
    let manifest: Value =
        serde_json::from_slice(&blob(image, index["manifests"][0]["digest"].as_str().unwrap())).unwrap();
    let config: Value = serde_json::from_slice(&blob(image, manifest["config"]["digest"].as_str().unwrap())).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), config["rootfs"]["diff_ids"].as_array().unwrap().len());
    for layer in layers {
        let gz = blob(image, layer["digest"].as_str().unwrap());
        assert_eq!(layer["size"], gz.len());
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice()).read_to_end(&mut tar).unwrap();
        tar::Archive::new(tar.as_slice()).unpack(root).unwrap();
    }
    config
}

/// A container of the deployment run as a local process: the manifest's command (from the
/// unpacked image), arguments and environment, its volumes as folders, its wos from the
/// ConfigMap with the Services' names (`http://NAME:50051`) replaced by `services`' loopback
/// addresses, serving on a free loopback port.
struct Container {
    child: Child,
    /// Where it listens (a Deployment), once it does.
    addr: Option<String>,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Container {
    fn start(objects: &[Value], kind: &str, name: &str, root: &Path, services: &[(String, String)]) -> Container {
        let work = root.join("pods").join(name);
        let template = &object(objects, kind, name)["spec"]["template"]["spec"];
        let container = &template["containers"][0];
        let wos = object(objects, "ConfigMap", &format!("{name}-wos"))["data"]["wos.toml"].as_str().unwrap();
        let mut wos = wos.replace("0.0.0.0:50051", "127.0.0.1:0");
        for (service, addr) in services {
            wos = wos.replace(&format!("http://{service}:50051"), &format!("http://{addr}"));
        }
        // Paths of the image, and of the pod's volumes, as folders here.
        let map = |path: &str| -> String {
            if !path.starts_with('/') {
                return path.to_owned();
            }
            for mount in container["volumeMounts"].as_array().unwrap() {
                let at = mount["mountPath"].as_str().unwrap();
                if let Some(rest) = path.strip_prefix(at) {
                    return format!("{}{rest}", work.join(mount["name"].as_str().unwrap()).display());
                }
            }
            format!("{}{path}", root.display())
        };
        wos = wos.replace("\"/app/", &format!("\"{}/app/", root.display()));
        let config = map("/etc/parigot/wos.toml");
        std::fs::create_dir_all(Path::new(&config).parent().unwrap()).unwrap();
        std::fs::write(&config, wos).unwrap();
        let mut command = Command::new(map(container["command"][0].as_str().unwrap()));
        command.args(container["args"].as_array().unwrap().iter().map(|arg| map(arg.as_str().unwrap())));
        command.env_clear();
        for var in container["env"].as_array().unwrap() {
            command.env(var["name"].as_str().unwrap(), map(var["value"].as_str().unwrap()));
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the image's host runs");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let copy = log.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = addr_tx.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                }
                copy.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let addr = (kind == "Deployment").then(|| {
            addr_rx
                .recv_timeout(std::time::Duration::from_secs(240))
                .unwrap_or_else(|_| panic!("{name} did not start serving:\n{}", log.lock().unwrap()))
        });
        Container { child, addr, log }
    }

    /// Waits for a Job's container to end; its exit code and stdout.
    fn finish(mut self) -> (Option<i32>, String) {
        let mut stdout = String::new();
        self.child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
        (self.child.wait().unwrap().code(), stdout)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_hello_example_deployed_answers_through_its_containers_as_in_one_process() {
    let out = tempfile::tempdir().unwrap();
    let printed = deploy(out.path()).stdout;
    let manifests = out.path().join("kubernetes.yaml");
    assert!(printed.contains("Deployment/hello-signer, Service/hello-signer"), "{printed}");

    // Every manifest validates offline against the schemas of a current Kubernetes, strictly.
    let validated = Command::new(repo().join(".tools/venv/bin/kubernetes-validate"))
        .args(["--strict", "--kubernetes-version", "1.37.0"])
        .arg(&manifests)
        .output()
        .expect("kubernetes-validate is installed by `make tools`");
    let report = String::from_utf8_lossy(&validated.stdout);
    assert!(validated.status.success(), "{report}{}", String::from_utf8_lossy(&validated.stderr));
    assert_eq!(report.matches(" passed for resource ").count(), 8, "{report}");

    let objects = objects(&manifests);
    let signer = object(&objects, "Deployment", "hello-signer");
    let pod = &signer["spec"]["template"]["spec"];
    assert_eq!(pod["terminationGracePeriodSeconds"], 15, "the host's 10 s grace and a margin");
    assert_eq!(pod["containers"][0]["readinessProbe"]["grpc"]["port"], 50051);
    assert_eq!(pod["containers"][0]["readinessProbe"]["grpc"]["service"], "parigot.readiness");
    assert_eq!(pod["containers"][0]["livenessProbe"]["grpc"]["service"], "");
    assert_eq!(pod["containers"][0]["resources"]["limits"]["memory"], "4352Mi", "256 MiB + 1024 MiB x a pool of 4");
    let service = object(&objects, "Service", "hello-signer");
    assert_eq!(service["spec"]["ports"][0]["appProtocol"], "kubernetes.io/h2c");
    let front_wos = object(&objects, "ConfigMap", "hello-front-wos")["data"]["wos.toml"].as_str().unwrap();
    assert!(front_wos.contains("remote = \"http://hello-decorator:50051\""), "{front_wos}");
    object(&objects, "Job", "hello-front");

    // The image: the host as its entry point, every component, not root; the same digest from
    // the same inputs.
    let root = tempfile::tempdir().unwrap();
    let config = unpack(&out.path().join("image"), root.path());
    assert_eq!(config["config"]["Entrypoint"][0], "/app/parigot-host");
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(
        std::fs::read(root.path().join("app/parigot-host")).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_parigot-host")).unwrap()
    );
    let components = [
        "hello-signer/signer",
        "hello-decorator/decorator",
        "hello-decorator/quoter",
        "hello-front/entry",
        "hello-front/greeter",
    ];
    for component in components {
        assert!(root.path().join(format!("app/components/{component}.wasm")).is_file(), "{component}");
    }
    let again = tempfile::tempdir().unwrap();
    let digest =
        |printed: &str| printed.lines().find(|l| l.contains("sha256:")).unwrap().rsplit_once(' ').unwrap().1.to_owned();
    assert_eq!(digest(&deploy(again.path()).stdout), digest(&printed), "the image is reproducible");

    // Each container as a local process, the Services' names mapped to loopback ports.
    let whole = host(&["run", repo().join("examples/hello/wos.toml").to_str().unwrap()]).expect_code(0);
    let signer = Container::start(&objects, "Deployment", "hello-signer", root.path(), &[]);
    let services = vec![("hello-signer".to_owned(), signer.addr.clone().unwrap())];
    let decorator = Container::start(&objects, "Deployment", "hello-decorator", root.path(), &services);
    let services = vec![("hello-decorator".to_owned(), decorator.addr.clone().unwrap())];
    let (code, stdout) = Container::start(&objects, "Job", "hello-front", root.path(), &services).finish();
    assert_eq!(code, Some(0), "{stdout}\n{}", decorator.log.lock().unwrap());
    let untraced = |stdout: &str| -> Vec<String> {
        entry_lines(stdout).into_iter().filter(|line| !line.contains("trace: ")).map(str::to_owned).collect()
    };
    assert_eq!(untraced(&stdout), untraced(&whole.stdout));
    assert_eq!(untraced(&stdout).len(), 4, "{stdout}");
    drop(signer);
}

#[test]
fn what_cannot_be_deployed_is_named() {
    let out = tempfile::tempdir().unwrap();
    let front = repo().join("examples/hello/split/front.toml");
    host(&["deploy", "k8s", "-o", out.path().to_str().unwrap(), front.to_str().unwrap()]).expect_code(78).expect_stderr(&[
        "service `greeter` of wos `hello-front` links `example:hello/decorator` to a remote host, but no wos given to \
         deploy serves it; add the wos file that does",
    ]);
}

#[test]
fn the_deployment_s_peer_secret_becomes_a_secret_and_plain_http_links_with_it_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("peer.secret");
    std::fs::write(&secret, [7u8; 32]).unwrap();
    let auth = format!("[auth]\npeer-secret-file = {:?}\n", secret.display().to_string());
    let signer = format!(
        "manifest-version = 1\nname = \"shop-signer\"\nexports = [\"example:hello/signer@0.1.0\"]\n{auth}\
         [services.signer]\ncomponent = {:?}\n",
        crate::support::component("hello-signer").display().to_string()
    );
    let quoter = format!(
        "manifest-version = 1\nname = \"shop-quoter\"\nexports = [\"example:hello/quoter@0.1.0\"]\n{auth}\
         [services.quoter]\ncomponent = {:?}\nlinks = {{ \"example:hello/signer\" = {{ remote = \"http://127.0.0.1:1\" }} }}\n",
        crate::support::component("hello-quoter").display().to_string()
    );
    let (signer_path, quoter_path) = (dir.path().join("signer.toml"), dir.path().join("quoter.toml"));
    std::fs::write(&signer_path, signer).unwrap();
    std::fs::write(&quoter_path, quoter).unwrap();
    let out = dir.path().join("k8s");
    let deploy = |wos: &[&std::path::Path]| {
        let paths: Vec<&str> = wos.iter().map(|path| path.to_str().unwrap()).collect();
        host(&[&["deploy", "k8s", "-o", out.to_str().unwrap()][..], &paths].concat())
    };
    let printed = deploy(&[&signer_path]).expect_code(0).stdout;
    assert!(printed.contains("Secret/shop-signer-peer-secret"), "{printed}");
    let objects = objects(&out.join("kubernetes.yaml"));
    let stored = object(&objects, "Secret", "shop-signer-peer-secret")["data"]["secret"].as_str().unwrap().to_owned();
    assert_eq!(stored, base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 32]));
    let wos = object(&objects, "ConfigMap", "shop-signer-wos")["data"]["wos.toml"].as_str().unwrap();
    assert!(wos.contains("peer-secret-file = \"/etc/parigot-peer/secret\""), "{wos}");
    let pod = &object(&objects, "Deployment", "shop-signer")["spec"]["template"]["spec"];
    assert_eq!(pod["volumes"][3]["secret"]["secretName"], "shop-signer-peer-secret");
    assert_eq!(pod["containers"][0]["volumeMounts"][3]["mountPath"], "/etc/parigot-peer");
    // Linked over plain HTTP inside the cluster, the proof would travel in clear text.
    deploy(&[&signer_path, &quoter_path]).expect_code(78).expect_stderr(&[
        "group `shop-quoter` links to another group, which `deploy k8s` does over plain HTTP inside the cluster",
    ]);
}

#[test]
fn what_the_manifests_cannot_carry_yet_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let component = crate::support::component("hello-signer").display().to_string();
    for (extra, expected) in [
        (
            "[serve]\ntls = { cert = \"c.pem\", key = \"k.pem\" }\n",
            "wos `refused` serves over TLS; `deploy k8s` does not carry certificates yet: terminate TLS at the \
             cluster's ingress, and remove `[serve] tls`",
        ),
        (
            "[services.signer.files]\n\"/assets\" = \"assets\"\n",
            "service `signer` of wos `refused` is granted host folders (`files`), which `deploy k8s` does not map \
             to volumes yet",
        ),
    ] {
        let wos = dir.path().join("refused.toml");
        std::fs::write(
            &wos,
            format!("manifest-version = 1\nname = \"refused\"\n[services.signer]\ncomponent = {component:?}\n{extra}"),
        )
        .unwrap();
        let out = dir.path().join("k8s");
        host(&["deploy", "k8s", "-o", out.to_str().unwrap(), wos.to_str().unwrap()])
            .expect_code(78)
            .expect_stderr(&[expected]);
    }
}
