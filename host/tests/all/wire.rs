//! The WIT -> protobuf mapping, end to end: `parigot-host proto` writes .proto files that real
//! protocs accept: the one grpcio-tools ships compiles them into gRPC stubs, and Debian's
//! (protobuf-compiler, an older release) into a descriptor set.

use crate::support::{WitSource, Wos, host, repo, trapping_component};
use std::path::Path;
use std::process::Command;

/// Compiles `files` (relative to `dir`) with protoc into Python gRPC stubs in `out`.
fn protoc(dir: &Path, out: &Path, files: &[String]) {
    let output = Command::new(repo().join(".tools/venv/bin/python"))
        .args(["-m", "grpc_tools.protoc", &format!("-I{}", dir.display())])
        .arg(format!("--python_out={}", out.display()))
        .arg(format!("--grpc_python_out={}", out.display()))
        .args(files)
        .output()
        .expect("protoc runs (grpcio-tools is installed by `make tools`)");
    assert!(output.status.success(), "protoc rejected {files:?}: {}", String::from_utf8_lossy(&output.stderr));
    debian_protoc(dir, files);
}

/// Compiles `files` with Debian's protoc (`make tools` installs protobuf-compiler).
fn debian_protoc(dir: &Path, files: &[String]) {
    let descriptors = tempfile::NamedTempFile::new().unwrap();
    let output = Command::new("/usr/bin/protoc")
        .arg(format!("-I{}", dir.display()))
        .arg(format!("--descriptor_set_out={}", descriptors.path().display()))
        .args(files)
        .output()
        .expect("Debian's protoc runs (`make tools` installs protobuf-compiler)");
    assert!(output.status.success(), "protoc rejected {files:?}: {}", String::from_utf8_lossy(&output.stderr));
    assert!(descriptors.as_file().metadata().unwrap().len() > 0);
}

fn proto(wos: &str, out: &Path) -> Vec<String> {
    let run = host(&["proto", wos, "-o", out.to_str().unwrap()]).expect_code(0);
    run.stdout.lines().map(|line| Path::new(line).strip_prefix(out).unwrap().display().to_string()).collect()
}

#[test]
fn the_hello_example_s_interfaces_compile_with_protoc() {
    let (protos, stubs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let files = proto(repo().join("examples/hello/wos.toml").to_str().unwrap(), protos.path());
    assert_eq!(
        files,
        [
            "example/hello/v0_1_0/signer.proto",
            "example/hello/v0_1_0/quoter.proto",
            "example/hello/v0_1_0/decorator.proto",
            "example/hello/v0_1_0/greeter.proto"
        ]
    );
    protoc(protos.path(), stubs.path(), &files);
    let stub = std::fs::read_to_string(stubs.path().join("example/hello/v0_1_0/greeter_pb2_grpc.py")).unwrap();
    assert!(stub.contains("class GreeterStub"), "{stub}");
    assert!(stub.contains("/example.hello.greeter.v0_1_0.Greeter/Greet"), "{stub}");
}

#[test]
fn every_kind_of_wit_type_compiles_with_protoc() {
    let wit = r#"
        package example:shop@1.2.0;
        interface types { record money { cents: s64, currency: string } }
        interface orders {
            use types.{money};
            enum status { open, shipped, lost-in-transit }
            flags perks { gift-wrap, express }
            variant payment { card(string), cash, voucher(list<u8>), split(list<money>) }
            record order {
                id: u32, total: money, lines: list<tuple<string, u16>>, note: option<string>,
                status: status, perks: perks, payment: payment, tags: list<list<string>>,
                maybe: option<option<u8>>, outcome: result<string, status>,
            }
            place: func(order: order, dry-run: bool) -> result<u64, string>;
            find: func(id: u32) -> option<order>;
            ping: func();
            rate: func(x: f32, y: f64, c: char, big: s64, small: s8) -> tuple<bool, u8>;
            cancel: func(id: u32) -> result;
        }
        world shop { export orders; }
    "#;
    let wos = Wos::new("");
    let shop = wos.file("shop.wasm", &trapping_component(WitSource::Text(wit), "shop"));
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"example:shop/orders\"]\n[services.shop]\ncomponent = {:?}\n",
        shop.display().to_string()
    ));
    let (protos, stubs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let files = proto(wos.path().to_str().unwrap(), protos.path());
    assert_eq!(files, ["example/shop/v1_2_0/orders.proto"]);
    protoc(protos.path(), stubs.path(), &files);
}
