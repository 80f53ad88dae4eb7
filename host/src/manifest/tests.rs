use super::*;

fn parse(text: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(text, Path::new("/apps/shop/wos.toml"))
}

fn error_of(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn a_full_manifest_parses_and_resolves_paths() {
    let manifest = parse(
        r#"
        manifest-version = 1
        name = "shop"

        [services.web]
        component = "build/web.wasm"
        build = "make web"
        args = ["--port", "80"]
        env = { MODE = "test" }
        links = { "example:shop/store@1.0.0" = "store" }

        [services.store]
        component = "/abs/store.wasm"
        "#,
    )
    .unwrap();
    assert_eq!(manifest.name, "shop");
    let names: Vec<_> = manifest.services.keys().map(ServiceName::as_str).collect();
    assert_eq!(names, ["store", "web"]);
    let web = &manifest.services[&ServiceName::try_from("web".to_owned()).unwrap()];
    assert_eq!(web.component, Path::new("/apps/shop/build/web.wasm"));
    assert_eq!(web.build.as_deref(), Some("make web"));
    assert_eq!(web.args, ["--port", "80"]);
    assert_eq!(web.env["MODE"], "test");
    let (interface, target) = web.links.iter().next().unwrap();
    assert_eq!((interface.to_string().as_str(), target.as_str()), ("example:shop/store@1.0.0", "store"));
    let store = &manifest.services[&ServiceName::try_from("store".to_owned()).unwrap()];
    assert_eq!(store.component, Path::new("/abs/store.wasm"));
}

#[test]
fn unknown_keys_are_rejected_with_their_position() {
    let error = error_of("manifest-version = 1\n[services.web]\ncomponent = \"a.wasm\"\ncompnent = \"b\"\n");
    assert!(error.contains("line 4, column 1"), "{error}");
    assert!(error.contains("unknown field `compnent`"), "{error}");
    assert!(error.contains("/apps/shop/wos.toml"), "{error}");
}

#[test]
fn invalid_toml_says_where() {
    let error = error_of("manifest-version = 1\n[services.web\n");
    assert!(error.starts_with("invalid wos manifest `/apps/shop/wos.toml`: line 2"), "{error}");
}

#[test]
fn the_version_is_required_and_checked() {
    assert!(error_of("[services.a]\ncomponent = \"a.wasm\"\n").contains("missing field `manifest-version`"));
    let error = error_of("manifest-version = 7\n[services.a]\ncomponent = \"a.wasm\"\n");
    assert!(error.contains("`manifest-version = 7` is not supported"), "{error}");
}

#[test]
fn bad_names_and_empty_wos_are_rejected() {
    let error = error_of("manifest-version = 1\n[services.Web]\ncomponent = \"a.wasm\"\n");
    assert!(error.contains("`Web` is not a valid service name"), "{error}");
    assert!(error_of("manifest-version = 1\n").contains("declares no services"));
    let error = error_of("manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\nlinks = { \"nope\" = \"b\" }\n");
    assert!(error.contains("`nope` is not a WIT interface name"), "{error}");
}

#[test]
fn links_must_name_another_service_of_the_wos() {
    let error = error_of("manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\nlinks = { \"x:y/z\" = \"b\" }\n");
    assert!(error.contains("links `x:y/z` to `b`, which is not a service of this wos (services: a)"), "{error}");
    let error = error_of("manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\nlinks = { \"x:y/z\" = \"a\" }\n");
    assert!(error.contains("links `x:y/z` to itself"), "{error}");
}

#[test]
fn a_missing_file_is_named() {
    let error = Manifest::load(Path::new("/no/such/wos.toml")).unwrap_err().to_string();
    assert!(error.starts_with("cannot read wos manifest `/no/such/wos.toml`"), "{error}");
}

#[test]
fn the_name_defaults_to_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("billing");
    std::fs::create_dir(&folder).unwrap();
    let manifest =
        Manifest::parse("manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\n", &folder.join("wos.toml"))
            .unwrap();
    assert_eq!(manifest.name, "billing");
}

#[test]
fn limits_come_from_the_service_then_the_wos_then_the_defaults() {
    let manifest = parse(
        r#"
        manifest-version = 1
        [limits]
        deadline-ms = 5000
        memory-mib = 256
        [services.a]
        component = "a.wasm"
        [services.b]
        component = "b.wasm"
        [services.b.limits]
        deadline-ms = 0
        restart = "on-failure"
        max-restarts = 2
        "#,
    )
    .unwrap();
    let limits = |name: &str| manifest.services[&ServiceName::try_from(name.to_owned()).unwrap()].limits.clone();
    assert_eq!(limits("a").deadline, Some(Duration::from_secs(5)));
    assert_eq!(limits("a").memory, 256 << 20);
    assert_eq!(limits("a").restart, RestartPolicy::OnFailure { max: 5, backoff: Duration::from_millis(100) });
    assert_eq!(limits("b").deadline, None);
    assert_eq!(limits("b").memory, 256 << 20);
    assert_eq!(limits("b").restart, RestartPolicy::OnFailure { max: 2, backoff: Duration::from_millis(100) });
}

#[test]
fn contradictory_limits_are_rejected() {
    let with_limits = |limits: &str| {
        error_of(&format!(
            "manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\n[services.a.limits]\n{limits}\n"
        ))
    };
    assert!(with_limits("memory-mib = 0").contains("service `a`: `memory-mib = 0` leaves no memory"));
    assert!(
        with_limits("restart = \"never\"\nmax-restarts = 3").contains("only apply with `restart = \"on-failure\"`")
    );
    assert!(with_limits("restart = \"always\"").contains("unknown variant `always`"));
    assert!(with_limits("deadline = 5").contains("unknown field `deadline`"));
}

#[test]
fn numbers_past_what_the_host_allows_are_refused_naming_the_key() {
    let service =
        |table: &str| error_of(&format!("manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\n{table}\n"));
    for (table, expected) in [
        (
            "instances = 100000000000",
            "service `a`: `instances = 100000000000` is more than the host allows; give at most 1024",
        ),
        (
            "[services.a.limits]\nmemory-mib = 18446744073709551615",
            "`memory-mib = 18446744073709551615` is more than the host allows; give at most 65536",
        ),
        (
            "[services.a.limits]\ndeadline-ms = 99999999999",
            "`deadline-ms = 99999999999` is more than the host allows; give at most 86400000 (`0` means no deadline)",
        ),
        ("[services.a.limits]\nrestart-backoff-ms = 99999999999", "`restart-backoff-ms = 99999999999` is more than"),
        ("sqlite = { max-size-mib = 0 }", "`sqlite`: `max-size-mib = 0` leaves no room"),
        (
            "sqlite = { max-size-mib = 99999999 }",
            "`sqlite`: `max-size-mib = 99999999` is more than the 1048576 (1 TiB)",
        ),
        ("sqlite = { synchronous = \"off\" }", "unknown variant `off`, expected `full` or `normal`"),
    ] {
        let error = service(table);
        assert!(error.contains(expected), "{table}: {error}");
    }
    let serve = |line: &str| {
        error_of(&format!("manifest-version = 1\n[serve]\n{line}\n[services.a]\ncomponent = \"a.wasm\"\n"))
    };
    assert!(
        serve("pool = 4294967296")
            .contains("`[serve]` `pool = 4294967296` is more than the host allows; give at most 1024")
    );
    assert!(
        serve("shutdown-grace-ms = 99999999999").contains("`[serve]` `shutdown-grace-ms = 99999999999` is more than")
    );
    assert!(
        serve("max-message-bytes = 99999999999").contains("`[serve]` `max-message-bytes = 99999999999` is more than")
    );
}

#[test]
fn serve_and_remote_links_parse_with_defaults() {
    let manifest = parse(
        r#"
        manifest-version = 1
        [serve]
        listen = "127.0.0.1:50051"
        [services.web]
        component = "web.wasm"
        links = { "example:shop/store" = { remote = "http://store.internal:50052/" }, "example:shop/tax" = { remote = "http://tax:7000", timeout-ms = 250, retries = 0 } }
        "#,
    )
    .unwrap();
    assert_eq!(
        manifest.serve,
        ServeSpec {
            listen: Some("127.0.0.1:50051".parse().unwrap()),
            pool: DEFAULT_POOL,
            max_message_bytes: 4 << 20,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: Duration::from_secs(10),
            tls: None,
        }
    );
    let web = manifest.services.values().next().unwrap();
    assert!(web.links.is_empty());
    let remotes: Vec<_> = web.remotes.iter().map(|(i, r)| (i.to_string(), r.clone())).collect();
    assert_eq!(
        remotes,
        [
            (
                "example:shop/store".to_owned(),
                RemoteSpec {
                    url: "http://store.internal:50052".into(),
                    ca: None,
                    timeout: Duration::from_secs(5),
                    retries: 2
                }
            ),
            (
                "example:shop/tax".to_owned(),
                RemoteSpec { url: "http://tax:7000".into(), ca: None, timeout: Duration::from_millis(250), retries: 0 }
            ),
        ]
    );
}

#[test]
fn bad_serve_settings_and_remote_links_say_what_to_write() {
    let service = "[services.web]\ncomponent = \"web.wasm\"\n";
    let cases = [
        ("[serve]\nlisten = \"localhost\"\n", "`listen = \"localhost\"` is not an address like `127.0.0.1:50051`"),
        ("[serve]\npool = 0\n", "`pool = 0` leaves nothing to serve requests"),
        ("[serve]\nport = 1\n", "unknown field `port`"),
    ];
    for (serve, expected) in cases {
        let error = error_of(&format!("manifest-version = 1\n{serve}{service}"));
        assert!(error.contains(expected), "{error}");
    }
    let link = |value: &str| error_of(&format!("manifest-version = 1\n{service}links = {{ \"a:b/c\" = {value} }}\n"));
    let error = link("{ remote = \"grpc://x:1\" }");
    assert!(
        error.contains("service `web`: link `a:b/c`: `remote = \"grpc://x:1\"` must be an `http://host:port`"),
        "{error}"
    );
    let error = link("{ remote = \"http://x:1\", ca = \"ca.pem\" }");
    assert!(error.contains("`ca` is for `https://` remotes"), "{error}");
    assert!(link("{ remote = \"http://x\" }").contains("needs a port"));
    let error = link("{ remot = \"http://x:1\" }");
    assert!(error.contains("a service name, or a table like `{ remote = \"http://127.0.0.1:50051\" }`"), "{error}");
}

#[test]
fn instances_come_from_the_service_then_the_pool() {
    let manifest = parse(
        r#"
        manifest-version = 1
        [serve]
        pool = 3
        [services.a]
        component = "a.wasm"
        [services.b]
        component = "b.wasm"
        instances = 1
        "#,
    )
    .unwrap();
    let instances =
        |name: &str| manifest.instances(&manifest.services[&ServiceName::try_from(name.to_owned()).unwrap()]);
    assert_eq!((instances("a"), instances("b")), (3, 1));
    let error = error_of("manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\ninstances = 0\n");
    assert!(error.contains("service `a`: `instances = 0` leaves no instance"), "{error}");
}

#[test]
fn tests_mocks_and_fixtures_are_read_and_checked() {
    let manifest = parse(
        "manifest-version = 1\n[services.notes]\ncomponent = \"n.wasm\"\nsqlite = {}\n\
         [tests.notes-test]\ncomponent = \"t.wasm\"\n[mocks.\"example:shop/stock\"]\nreserve = [\"ok\"]\n\
         [fixtures]\nnotes = \"fixture.sql\"\n",
    )
    .unwrap();
    assert_eq!(manifest.tests.keys().map(ServiceName::as_str).collect::<Vec<_>>(), ["notes-test"]);
    assert!(!manifest.services.keys().any(|name| name.as_str() == "notes-test"), "tests load only for `test`");
    assert!(manifest.mocks(&InterfaceName::parse("example:shop/stock@0.1.0").unwrap()));
    assert!(manifest.fixtures[&ServiceName::try_from("notes".to_owned()).unwrap()].ends_with("fixture.sql"));
    assert_eq!(manifest.with_tests().services.len(), 2);

    let clash =
        error_of("manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\n[tests.a]\ncomponent = \"t.wasm\"\n");
    assert!(clash.contains("`a` is both a service and a test"), "{clash}");
    let no_db = error_of("manifest-version = 1\n[services.a]\ncomponent = \"a.wasm\"\n[fixtures]\na = \"f.sql\"\n");
    assert!(no_db.contains("`[fixtures]` names `a`, which is not a service with a database"), "{no_db}");
}

/// The ```toml blocks of a Markdown page, each with the line it starts on.
fn toml_blocks(page: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (index, line) in page.lines().enumerate() {
        match &mut open {
            None if line.trim_start() == "```toml" => open = Some((index + 2, String::new())),
            Some(_) if line.trim_start() == "```" => blocks.extend(open.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Every wos.toml sample of the book (the ```toml blocks of docs/ that are not Cargo
/// manifests) follows the schema: a whole wos (with `manifest-version`) is read and checked as
/// `parigot-host` reads one; a fragment has its keys' names and types checked.
#[test]
fn every_wos_toml_sample_in_the_book_follows_the_schema() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let mut pages: Vec<PathBuf> = Vec::new();
    let mut folders = vec![docs.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                pages.push(path);
            }
        }
    }
    let mut checked = 0;
    for page in &pages {
        for (line, sample) in toml_blocks(&std::fs::read_to_string(page).unwrap()) {
            if sample.contains("[package]") || sample.contains("[dependencies]") {
                continue;
            }
            let checked_sample = if sample.contains("manifest-version") {
                Manifest::parse(&sample, &docs.join("wos.toml")).map(drop).map_err(|e| e.to_string())
            } else {
                toml::from_str::<RawManifest>(&format!("manifest-version = 1\n{sample}"))
                    .map(drop)
                    .map_err(|e| e.to_string())
            };
            if let Err(why) = checked_sample {
                panic!("the wos.toml sample at {}:{line} does not follow the schema: {why}\n{sample}", page.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} samples found in {}", docs.display());
}

#[test]
fn a_sample_with_a_misspelled_key_is_caught() {
    let page = "text\n```toml\n[services.a]\ncomponnet = \"a.wasm\"\n```\n";
    let [(line, sample)] = toml_blocks(page).try_into().unwrap();
    assert_eq!(line, 3);
    let error = toml::from_str::<RawManifest>(&format!("manifest-version = 1\n{sample}")).unwrap_err();
    assert!(error.to_string().contains("componnet"), "{error}");
}
