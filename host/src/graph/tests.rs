use super::*;
use crate::manifest::Manifest;
use std::path::Path;

fn name(s: &str) -> ServiceName {
    ServiceName::try_from(s.to_owned()).unwrap()
}

fn iface(s: &str) -> InterfaceName {
    InterfaceName::parse(s).unwrap()
}

fn greet_sig(param: ValType) -> InterfaceSig {
    let sig = FuncSig { params: vec![("who".into(), param)], results: vec![ValType::String] };
    InterfaceSig { functions: BTreeMap::from([("greet".to_owned(), sig)]) }
}

/// A wos with the given services; `links` lines go into the first service's table.
fn manifest(services: &[&str], links: &str) -> Manifest {
    let mut text = String::from("manifest-version = 1\n");
    for (i, s) in services.iter().enumerate() {
        text += &format!("[services.{s}]\ncomponent = \"{s}.wasm\"\n");
        if i == 0 && !links.is_empty() {
            text += &format!("links = {{ {links} }}\n");
        }
    }
    Manifest::parse(&text, Path::new("wos.toml")).unwrap()
}

#[derive(Default)]
struct Surfaces(BTreeMap<ServiceName, Surface>);

impl Surfaces {
    fn service(mut self, s: &str, imports: &[(&str, InterfaceSig)], exports: &[(&str, InterfaceSig)]) -> Self {
        let map = |list: &[(&str, InterfaceSig)]| list.iter().map(|(n, sig)| (iface(n), sig.clone())).collect();
        self.0.insert(name(s), Surface { imports: map(imports), exports: map(exports) });
        self
    }
}

const GREETER: &str = "ex:hi/greeter@0.1.0";

#[test]
fn providers_start_first_and_ties_go_by_name() {
    let m = manifest(&["app", "zeta", "alpha", "mid"], "");
    let s = Surfaces::default()
        .service("app", &[(GREETER, greet_sig(ValType::String))], &[])
        .service("zeta", &[], &[])
        .service("mid", &[("ex:hi/names@0.1.0", greet_sig(ValType::U8))], &[(GREETER, greet_sig(ValType::String))])
        .service("alpha", &[], &[("ex:hi/names@0.1.2", greet_sig(ValType::U8))]);
    let plan = resolve(&m, &s.0, &OwnInterfaces::new()).unwrap();
    let order: Vec<_> = plan.order.iter().map(ServiceName::as_str).collect();
    assert_eq!(order, ["alpha", "mid", "app", "zeta"]);
    assert_eq!(plan.links.len(), 2);
    assert_eq!(plan.links[0].consumer.as_str(), "app");
    assert_eq!(plan.links[0].provider.as_str(), "mid");
    assert_eq!(plan.links[1].export.to_string(), "ex:hi/names@0.1.2");
    assert_eq!(plan.links[1].functions, ["greet"]);
}

#[test]
fn host_interfaces_and_types_only_imports_need_no_provider() {
    let m = manifest(&["app"], "");
    let s = Surfaces::default().service(
        "app",
        &[("wasi:cli/stdout@0.2.6", greet_sig(ValType::U8)), ("ex:hi/types@0.1.0", InterfaceSig::default())],
        &[],
    );
    assert!(resolve(&m, &s.0, &OwnInterfaces::new()).unwrap().links.is_empty());
}

#[test]
fn an_import_nobody_exports_is_named() {
    let m = manifest(&["app"], "");
    let s = Surfaces::default().service("app", &[(GREETER, greet_sig(ValType::String))], &[]);
    let error = resolve(&m, &s.0, &OwnInterfaces::new()).unwrap_err();
    assert_eq!(error, LinkError::Unsatisfied { consumer: name("app"), interface: iface(GREETER) });
    assert!(error.to_string().contains("add a service whose component exports `ex:hi/greeter@0.1.0`"));
}

#[test]
fn an_incompatible_version_is_a_version_mismatch() {
    let m = manifest(&["app", "greeter"], "");
    let s = Surfaces::default().service("app", &[(GREETER, greet_sig(ValType::String))], &[]).service(
        "greeter",
        &[],
        &[("ex:hi/greeter@0.2.0", greet_sig(ValType::String))],
    );
    let error = resolve(&m, &s.0, &OwnInterfaces::new()).unwrap_err().to_string();
    assert!(error.contains("`greeter` exports `ex:hi/greeter@0.2.0`, an incompatible version"), "{error}");
}

#[test]
fn two_providers_need_a_choice_and_a_link_makes_it() {
    let s = Surfaces::default()
        .service("app", &[(GREETER, greet_sig(ValType::String))], &[])
        .service("english", &[], &[(GREETER, greet_sig(ValType::String))])
        .service("french", &[], &[(GREETER, greet_sig(ValType::String))]);
    let error =
        resolve(&manifest(&["app", "english", "french"], ""), &s.0, &OwnInterfaces::new()).unwrap_err().to_string();
    assert!(error.contains("exported by several services (`english`, `french`)"), "{error}");
    assert!(error.contains("`[services.app.links]` `\"ex:hi/greeter\" = \"english\"`"), "{error}");
    let chosen = manifest(&["app", "english", "french"], "\"ex:hi/greeter\" = \"french\"");
    assert_eq!(resolve(&chosen, &s.0, &OwnInterfaces::new()).unwrap().links[0].provider.as_str(), "french");
}

#[test]
fn a_link_entry_for_an_interface_the_service_does_not_import_is_refused() {
    let s = Surfaces::default().service("app", &[(GREETER, greet_sig(ValType::String))], &[]).service(
        "english",
        &[],
        &[(GREETER, greet_sig(ValType::String))],
    );
    let error = resolve(&manifest(&["app", "english"], "\"ex:hi/greetr\" = \"english\""), &s.0, &OwnInterfaces::new())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `app` has a `links` entry for `ex:hi/greetr`, which it does not import (it imports \
         `ex:hi/greeter@0.1.0`); remove the entry or correct the interface name"
    );
    let remote = manifest(&["app", "english"], "\"ex:hi/names\" = { remote = \"http://127.0.0.1:1\" }");
    assert!(matches!(resolve(&remote, &s.0, &OwnInterfaces::new()), Err(LinkError::UnusedLink { .. })));
}

#[test]
fn a_link_to_a_service_without_the_export_is_refused() {
    let s = Surfaces::default()
        .service("app", &[(GREETER, greet_sig(ValType::String))], &[])
        .service("english", &[], &[(GREETER, greet_sig(ValType::String))])
        .service("other", &[], &[]);
    let m = manifest(&["app", "english", "other"], "\"ex:hi/greeter\" = \"other\"");
    let error = resolve(&m, &s.0, &OwnInterfaces::new()).unwrap_err().to_string();
    assert!(error.contains("`other` does not export it (it exports no interfaces)"), "{error}");
}

#[test]
fn type_mismatches_name_the_function_and_the_difference() {
    let m = manifest(&["app", "greeter"], "");
    let s = Surfaces::default().service("app", &[(GREETER, greet_sig(ValType::String))], &[]).service(
        "greeter",
        &[],
        &[(GREETER, greet_sig(ValType::U32))],
    );
    let error = resolve(&m, &s.0, &OwnInterfaces::new()).unwrap_err().to_string();
    assert!(
        error.starts_with("type mismatch in `ex:hi/greeter@0.1.0#greet` between `app` (import) and `greeter`"),
        "{error}"
    );
    assert!(error.contains("parameter `who` > expected string, found u32"), "{error}");
    assert!(error.contains("expects `func(who: string) -> string` but `greeter` provides `func(who: u32) -> string`"));
}

#[test]
fn a_missing_function_is_named() {
    let m = manifest(&["app", "greeter"], "");
    let s = Surfaces::default().service("app", &[(GREETER, greet_sig(ValType::String))], &[]).service(
        "greeter",
        &[],
        &[(GREETER, InterfaceSig::default())],
    );
    let error = resolve(&m, &s.0, &OwnInterfaces::new()).unwrap_err().to_string();
    assert!(
        error.contains("imports function `greet` of `ex:hi/greeter@0.1.0`, but `greeter` does not export it"),
        "{error}"
    );
}

#[test]
fn resources_cannot_cross_services() {
    let m = manifest(&["app", "greeter"], "");
    let s = Surfaces::default().service("app", &[(GREETER, greet_sig(ValType::Unsupported("resource")))], &[]).service(
        "greeter",
        &[],
        &[(GREETER, greet_sig(ValType::Unsupported("resource")))],
    );
    let error = resolve(&m, &s.0, &OwnInterfaces::new()).unwrap_err().to_string();
    assert!(error.contains("passes a resource, which cannot cross between services yet"), "{error}");
}

#[test]
fn a_cycle_is_named_in_full() {
    let m = manifest(&["a", "b", "c", "d"], "");
    let sig = || greet_sig(ValType::String);
    let s = Surfaces::default()
        .service("a", &[("x:y/b", sig())], &[])
        .service("b", &[("x:y/c", sig())], &[("x:y/b", sig())])
        .service("c", &[("x:y/d", sig())], &[("x:y/c", sig())])
        .service("d", &[("x:y/b", sig())], &[("x:y/d", sig())]);
    let error = resolve(&m, &s.0, &OwnInterfaces::new()).unwrap_err();
    assert_eq!(error, LinkError::Cycle { cycle: ["b", "c", "d", "b"].map(name).to_vec() });
    assert!(error.to_string().contains("in a cycle: b -> c -> d -> b"));
}
