use super::*;

const LANGUAGES: [Language; 5] =
    [Language::Rust, Language::Go, Language::Python, Language::JavaScript, Language::TypeScript];

fn service(name: &str, language: Language, sqlite: bool, program: bool) -> NewService {
    NewService { name: name.into(), language, sqlite, program }
}

#[test]
fn names_must_suit_every_language() {
    for good in ["shop", "order-book", "v2-api"] {
        assert!(check_name("service", good).is_ok(), "{good}");
    }
    for bad in ["", "Shop", "order_book", "2fa", "a--b", "-a", "type", "tests", &"x".repeat(41)] {
        let error = check_name("service", bad).unwrap_err().to_string();
        assert!(error.contains("cannot name a service"), "{bad}: {error}");
    }
}

#[test]
fn every_placeholder_of_every_template_is_filled() {
    let names = Names::new("my-shop", "order-book").unwrap();
    let (values, test_values) = (names.values(), names.test_values());
    for language in LANGUAGES {
        for kind in [Kind::Server, Kind::Database, Kind::Program] {
            let files = templates::service_files(language, kind).into_iter().map(|file| (file, &values));
            let tests = templates::test_files(language, kind).into_iter().map(|file| (file, &test_values));
            for ((path, template), values) in files.chain(tests) {
                for text in [fill(path, values), fill(template, values)] {
                    assert!(!text.contains("{{"), "{language} {kind:?} {path}:\n{text}");
                }
            }
        }
    }
    for template in [
        templates::WOS,
        templates::README,
        templates::CARGO_WORKSPACE,
        templates::QUERIES,
        templates::PACKAGE_JSON,
        templates::TSCONFIG,
    ] {
        assert!(!fill(template, &values).contains("{{"), "{template}");
    }
    let readme = fill(templates::README, &values);
    assert!(readme.contains("http://127.0.0.1:8080/my_shop.api.order_book.v0_1_0.OrderBook/Hello"), "{readme}");
}

/// Every kind of service in every language, in one project: its WIT folder resolves as a whole
/// (what each toolchain parses), and its wos loads.
#[test]
fn a_project_of_every_kind_of_service_resolves_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    new_project(&project, &service("greeter", Language::Go, false, false)).unwrap();
    let wos = project.join("wos.toml");
    for (index, language) in LANGUAGES.into_iter().enumerate() {
        new_service(&wos, &service(&format!("db{index}"), language, true, false)).unwrap();
        new_service(&wos, &service(&format!("plain{index}"), language, false, false)).unwrap();
        new_service(&wos, &service(&format!("run{index}"), language, false, true)).unwrap();
    }
    // The WIT parser of the Go build (newer than the host's own): WASI's `wasi:cli` needs it.
    let mut resolve = wit_parser_go::Resolve::default();
    let (package, _) = resolve.push_dir(project.join("wit")).unwrap_or_else(|e| panic!("{e:#}"));
    let worlds: Vec<&str> = resolve.packages[package].worlds.keys().map(String::as_str).collect();
    assert!(worlds.contains(&"db1-service") && worlds.contains(&"db1-tests") && worlds.contains(&"run2-program"));
    let manifest = Manifest::load(&wos).unwrap();
    assert_eq!(manifest.services.len(), 16);
    assert_eq!(manifest.tests.len(), 11);
    assert_eq!(manifest.exports.len(), 11, "every server is served, no program");
    assert!(manifest.services.values().all(|spec| spec.source.is_some()));
    let cargo = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    for member in ["services/db0", "tests/db0", "services/plain0", "services/run0"] {
        assert!(cargo.contains(&format!("\"{member}\"")), "{member}:\n{cargo}");
    }
    assert!(!cargo.contains("tests/run0"), "a program has no tests");
    assert!(project.join(RUST_SDK_FOLDER).join("src/lib.rs").is_file());
    assert!(project.join(JS_SDK_FOLDER).join("index.d.ts").is_file());
    assert!(project.join("package.json").is_file() && project.join("tsconfig.json").is_file());
    assert!(project.join("services/db3/app.js").is_file() && project.join("tests/db4/app.ts").is_file());
}

#[test]
fn new_refuses_to_overwrite_and_to_reuse_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    let first = service("greeter", Language::Python, false, false);
    new_project(&project, &first).unwrap();
    let again = new_project(&project, &first).unwrap_err().to_string();
    assert!(again.contains("already exists and is not empty"), "{again}");
    let taken = new_service(&project.join("wos.toml"), &first).unwrap_err().to_string();
    assert!(taken.contains("already has a service or test named `greeter`"), "{taken}");
    let both = new_service(&project.join("wos.toml"), &service("x", Language::Go, true, true)).unwrap_err();
    assert!(both.to_string().contains("choose `--program` or `--sqlite`"), "{both}");
}

#[test]
fn an_export_joins_the_one_line_list() {
    let wos = "name = \"x\"\nexports = []\n";
    let one = add_export(wos, "x:api/a").unwrap();
    assert_eq!(one, "name = \"x\"\nexports = [\"x:api/a\"]\n");
    assert_eq!(add_export(&one, "x:api/b").unwrap(), "name = \"x\"\nexports = [\"x:api/a\", \"x:api/b\"]\n");
    assert_eq!(add_export("exports = [\n]\n", "x:api/a"), None, "a list over several lines is left to its author");
}
