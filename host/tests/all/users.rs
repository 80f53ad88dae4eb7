//! Users and logging in: `parigot-host user` keeps a wos's users; served calls check
//! `Authorization: Basic` at the edge, the user goes into the call's context and follows its
//! chain, and what needs a login (declared in the wos, or refused by the guest through its
//! SDK) answers UNAUTHENTICATED / 401 with the challenge, for real clients (curl, grpcio, buf).

use crate::support::served::Served;
use crate::support::{LANGUAGES, Wos, component, host, host_with_input};
use base64::Engine as _;
use serde_json::{Value, json};

const USERS: &str = "parigot.testing.users.v0_1_0.Users";
const CHALLENGE: &str = "Basic realm=\"faulty test\", charset=\"UTF-8\"";

/// A wos serving the `users` interface of the faulty service in `language`, with `whoami`
/// declared as needing a login (`members-only` refuses a logged-out caller itself), and user
/// `ada` with password `lovelace`.
fn users_wos(language: &str) -> Wos {
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/users@0.1.0\"]\n\
         [auth]\nrealm = \"faulty test\"\nrequire-login = [\"parigot:testing/users#whoami\"]\n\
         [services.faulty]\ncomponent = {:?}\n",
        component(&format!("faulty-{language}")).display().to_string()
    ));
    add_user(&wos, "ada", "lovelace");
    wos
}

fn add_user(wos: &Wos, name: &str, password: &str) {
    host_with_input(&["user", "add", wos.path().to_str().unwrap(), name], &format!("{password}\n")).expect_code(0);
}

fn basic(credentials: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials))
}

/// A Connect call of `users.FUNCTION` with curl's `extra` arguments (`-u USER:PASSWORD`, `-H
/// HEADER`...): (HTTP status, body, `WWW-Authenticate`).
fn connect(served: &Served, function: &str, extra: &[&str]) -> (u16, Value, Option<String>) {
    let dump = tempfile::NamedTempFile::new().unwrap();
    let mut args = vec!["-H", "Content-Type: application/json", "-d", "{}", "-D", dump.path().to_str().unwrap()];
    args.extend(extra);
    let (status, body) = served.curl(&format!("/{USERS}/{function}"), &args);
    let dumped = std::fs::read_to_string(dump.path()).unwrap();
    let challenge = dumped
        .lines()
        .find_map(|line| line.strip_prefix("www-authenticate: ").or_else(|| line.strip_prefix("WWW-Authenticate: ")))
        .map(|value| value.trim().to_owned());
    (status, serde_json::from_str(&body).unwrap_or_else(|_| json!(body)), challenge)
}

fn grpc(served: &Served, function: &str, authorization: Option<&str>) -> Value {
    let header = authorization.map(|value| format!("authorization={value}"));
    let mut args = vec![format!("{USERS}/{}", function), "{}".to_owned()];
    if let Some(header) = header {
        args.extend(["--header".to_owned(), header]);
    }
    served.python("grpc_call.py", &args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn users_are_added_listed_changed_and_removed_and_no_password_is_kept() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\n[services.faulty]\ncomponent = {:?}\n",
        component("faulty-rust").display().to_string()
    ));
    let path = wos.path().display().to_string();
    add_user(&wos, "ada", "lovelace");
    add_user(&wos, "vinny", "records");
    let again = host_with_input(&["user", "add", &path, "ada"], "other\n").expect_code(78);
    assert!(again.stderr.contains("there is already a user `ada`"), "{}", again.stderr);
    let list = host(&["user", "list", &path]).expect_code(0);
    assert_eq!(list.stdout, "ada\nvinny\n");

    let file = wos.path().with_file_name(".parigot/data/users.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("lovelace") && !text.contains("records") && text.contains("$argon2id$"), "{text}");
    host_with_input(&["user", "passwd", &path, "ada"], "babbage\n").expect_code(0);
    assert_ne!(std::fs::read_to_string(&file).unwrap(), text);
    host(&["user", "remove", &path, "vinny"]).expect_code(0);
    assert_eq!(host(&["user", "list", &path]).expect_code(0).stdout, "ada\n");

    let missing = host(&["user", "remove", &path, "vinny"]).expect_code(78);
    assert!(missing.stderr.contains("there is no user `vinny`"), "{}", missing.stderr);
    let empty = host_with_input(&["user", "add", &path, "zoe"], "\n").expect_code(78);
    assert!(empty.stderr.contains("the password is empty"), "{}", empty.stderr);
    let bad = host_with_input(&["user", "add", &path, "a:b"], "pw\n").expect_code(78);
    assert!(bad.stderr.contains("is not a user name"), "{}", bad.stderr);
    // The data folder can be chosen, as for `run`.
    let elsewhere = tempfile::tempdir().unwrap();
    let data_dir = elsewhere.path().to_str().unwrap();
    host_with_input(&["user", "add", &path, "zoe", "--data-dir", data_dir], "pw\n").expect_code(0);
    assert_eq!(host(&["user", "list", &path, "--data-dir", data_dir]).expect_code(0).stdout, "zoe\n");
}

#[test]
fn a_logged_in_call_sees_its_user_and_a_logged_out_one_is_refused_in_every_language() {
    for language in LANGUAGES {
        let wos = users_wos(language);
        let served = Served::start(&wos.path(), &[]);
        // Logged in (`curl -u`): both functions see the user.
        for function in ["Whoami", "MembersOnly"] {
            let (status, body, _) = connect(&served, function, &["-u", "ada:lovelace"]);
            assert_eq!(status, 200, "{language}: {function}: {body}");
            let user = if function == "Whoami" { &body["result"] } else { &body["ok"] };
            assert_eq!(user, "ada", "{language}: {function}: {body}");
        }
        // Logged out: `whoami` by the wos's declaration, `members-only` by the guest itself.
        for function in ["Whoami", "MembersOnly"] {
            let (status, body, challenge) = connect(&served, function, &[]);
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("unauthenticated")),
                "{language}: {function}: {body}"
            );
            assert_eq!(challenge.as_deref(), Some(CHALLENGE), "{language}: {function}");
        }
        // Over gRPC, with grpcio's metadata.
        assert_eq!(grpc(&served, "Whoami", Some(&basic("ada:lovelace"))), json!({ "ok": { "result": "ada" } }));
        let refused = grpc(&served, "MembersOnly", None);
        assert_eq!(refused["code"], "UNAUTHENTICATED", "{language}: {refused}");
        assert_eq!(refused["www-authenticate"], CHALLENGE, "{language}: {refused}");
        // A wrong password, a malformed header, and a user removed while the host runs.
        for extra in [["-u", "ada:wrong"], ["-H", "Authorization: Basic !!"]] {
            assert_eq!(connect(&served, "MembersOnly", &extra).0, 401, "{language}: {extra:?}");
        }
        host(&["user", "remove", wos.path().to_str().unwrap(), "ada"]).expect_code(0);
        assert_eq!(connect(&served, "MembersOnly", &["-u", "ada:lovelace"]).0, 401, "{language}: removed");
        served.terminate();
    }
}

#[test]
fn wrong_malformed_and_removed_credentials_are_refused_the_same_way() {
    let wos = users_wos("rust");
    let served = Served::start(&wos.path(), &[]);
    let long = format!("Basic {}", "A".repeat(5000));
    let cases = [
        basic("ada:wrong"),
        basic("nobody:lovelace"),
        "Basic !!!not-base64".to_owned(),
        basic("no colon"),
        "Basic /w==".to_owned(),
        "Bearer abc".to_owned(),
        long,
    ];
    for value in &cases {
        let header = format!("Authorization: {value}");
        // Even a function that needs no login refuses credentials that do not log in.
        let (status, body, challenge) = connect(&served, "MembersOnly", &["-H", &header]);
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthenticated")), "{value:.40}: {body}");
        assert_eq!(challenge.as_deref(), Some(CHALLENGE), "{value:.40}");
        let refused = grpc(&served, "Whoami", Some(value));
        assert_eq!(refused["code"], "UNAUTHENTICATED", "{value:.40}: {refused}");
    }
    assert!(!served.log().contains("lovelace"), "a password reached the log");

    // A user removed while the host runs is refused at once (the cache does not outlive it).
    let ada = format!("Authorization: {}", basic("ada:lovelace"));
    assert_eq!(connect(&served, "MembersOnly", &["-H", &ada]).0, 200);
    host(&["user", "remove", wos.path().to_str().unwrap(), "ada"]).expect_code(0);
    assert_eq!(connect(&served, "MembersOnly", &["-H", &ada]).0, 401);
}

#[test]
fn a_flood_of_wrong_passwords_is_throttled_and_calls_without_a_login_go_on() {
    let wos = users_wos("rust");
    let text = std::fs::read_to_string(wos.path()).unwrap();
    let both = "exports = [\"parigot:testing/users@0.1.0\", \"parigot:testing/faults@0.1.0\"]";
    std::fs::write(wos.path(), text.replace("exports = [\"parigot:testing/users@0.1.0\"]", both)).unwrap();
    let served = Served::start(&wos.path(), &[]);
    let wrong = format!("Authorization: {}", basic("ada:guess"));
    let mut refused = Vec::new();
    for _ in 0..12 {
        refused.push(connect(&served, "MembersOnly", &["-H", &wrong]));
    }
    // Ten wrong passwords are checked (and refused); past them, ada's logins are refused at
    // once, without a check, until the minute is over.
    assert!(refused[..10].iter().all(|(status, _, _)| *status == 401), "{refused:?}");
    let (status, body, _) = &refused[11];
    assert_eq!(*status, 429, "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("too many failed logins for user `ada`; try again in"));
    // Even with the right password, while the user is throttled...
    let right = format!("Authorization: {}", basic("ada:lovelace"));
    assert_eq!(connect(&served, "MembersOnly", &["-H", &right]).0, 429);
    // ...and calls that need no login are answered meanwhile.
    let ping = "/parigot.testing.faults.v0_1_0.Faults/Ping";
    let (status, body) = served.curl(ping, &["-H", "Content-Type: application/json", "-d", "{}"]);
    assert_eq!(status, 200, "{body}");
    assert!(served.log_shows("refused a login on"), "{}", served.log());
}

#[test]
fn the_user_follows_the_call_chain_into_every_language() {
    use parigot_host::caps::context::EdgeHeaders;
    use parigot_host::runtime::{Caller, StartOptions};
    use wasmtime::component::Val;
    const INTERFACE: &str = "parigot:testing/users@0.1.0";
    for language in LANGUAGES {
        // The relay passes `users` calls on to the faulty service, which reads the user.
        let wos = Wos::new(&format!(
            "manifest-version = 1\n[services.relay]\ncomponent = {:?}\n[services.faulty]\ncomponent = {:?}\n",
            component("faults-relay").display().to_string(),
            component(&format!("faulty-{language}")).display().to_string()
        ));
        let app = crate::support::load_app(&wos.path()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let running = rt.block_on(app.start(StartOptions::default())).unwrap();
        let call = |user: Option<&str>, function: &str| {
            let pctx = running.context_at_edge(EdgeHeaders::default(), user);
            let caller = Caller { pctx: Some(pctx.clone()), ..Caller::default() };
            let mut results = [Val::Bool(false)];
            rt.block_on(running.call_as(caller, "relay", INTERFACE, function, &[], &mut results)).unwrap();
            (results[0].clone(), pctx.was_refused_login())
        };
        let ada = Val::Option(Some(Box::new(Val::String("ada".into()))));
        assert_eq!(call(Some("ada"), "whoami"), (ada, false), "{language}");
        assert_eq!(call(None, "whoami"), (Val::Option(None), false), "{language}");
        let members = call(Some("ada"), "members-only");
        assert_eq!(members, (Val::Result(Ok(Some(Box::new(Val::String("ada".into()))))), false), "{language}");
        // A refusal deep in the chain marks the whole chain: the edge answers it as
        // unauthenticated.
        let (_, refused) = call(None, "members-only");
        assert!(refused, "{language}");
        rt.block_on(running.shutdown());
    }
}

#[test]
fn buf_curl_logs_in_over_grpc_and_connect() {
    let wos = users_wos("go");
    let served = Served::start(&wos.path(), &[]);
    for protocol in ["grpc", "connect"] {
        let method = format!("{USERS}/MembersOnly");
        let logged_in = served.buf_curl(
            &method,
            &[
                "--protocol",
                protocol,
                "--http2-prior-knowledge",
                "-H",
                &format!("Authorization: {}", basic("ada:lovelace")),
                "-d",
                "{}",
            ],
        );
        let stdout = String::from_utf8_lossy(&logged_in.stdout);
        assert!(logged_in.status.success(), "{protocol}: {stdout}{}", String::from_utf8_lossy(&logged_in.stderr));
        assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap(), json!({ "ok": "ada" }), "{protocol}");
        let refused = served.buf_curl(&method, &["--protocol", protocol, "--http2-prior-knowledge", "-d", "{}"]);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(!refused.status.success() && stderr.contains("unauthenticated"), "{protocol}: {stderr}");
    }
}

#[test]
fn a_require_login_entry_that_names_nothing_served_stops_the_start() {
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/users@0.1.0\"]\n\
         [auth]\nrequire-login = [\"parigot:testing/users#whoamI\", \"parigot:testing/faults\"]\n\
         [services.faulty]\ncomponent = {:?}\n",
        component("faulty-rust").display().to_string()
    ));
    // `check` refuses it as `run` does, before anything starts.
    for command in ["run", "check"] {
        let run = host(&[command, wos.path().to_str().unwrap(), "--listen", "127.0.0.1:0"]).expect_code(78);
        assert!(
            run.stderr.contains("`[auth]` `require-login` names what the wos does not serve: `parigot:testing/users#whoamI`, `parigot:testing/faults`"),
            "{command}: {}",
            run.stderr
        );
    }
}

#[test]
fn programs_run_as_the_user_given_with_user_in_every_language() {
    for language in LANGUAGES {
        let wos = Wos::new(&format!(
            "manifest-version = 1\n[services.driver]\ncomponent = {:?}\n[services.faulty]\ncomponent = {:?}\n",
            component("users-driver").display().to_string(),
            component(&format!("faulty-{language}")).display().to_string()
        ));
        add_user(&wos, "ada", "lovelace");
        let path = wos.path().display().to_string();
        let run = host(&["run", &path, "--user", "ada"]).expect_code(0);
        assert!(
            run.stdout.contains("whoami -> ada") && run.stdout.contains("members-only -> ada"),
            "{language}: {}",
            run.stdout
        );
        let run = host(&["run", &path]).expect_code(0);
        assert!(run.stdout.contains("whoami -> (logged out)"), "{language}: {}", run.stdout);
        let refused = run.stdout.lines().find(|line| line.contains("members-only refused: ")).unwrap_or_default();
        assert!(refused.ends_with("this call needs a logged-in user"), "{language}: {}", run.stdout);
        host(&["run", &path, "--user", "nobody"])
            .expect_code(78)
            .expect_stderr(&["`--user nobody`: wos `", "has no such user; add it with `parigot-host user add`"]);
    }
}

/// A secret the hosts of one deployment share.
const SECRET: &str = "d2hvIHNoYXJlcyB0aGlzIHNoYXJlcyB0aGUgZGVwbG95bWVudA==";

/// A host serving the faulty service of `language` (`faults` and `users`), with the
/// deployment secret `secret` if given.
fn back_wos(language: &str, secret: Option<&str>) -> Wos {
    let auth = if secret.is_some() { "[auth]\npeer-secret-file = \"deployment.secret\"\n" } else { "" };
    let wos = Wos::new(&format!(
        "manifest-version = 1\n{auth}[services.faulty]\ncomponent = {:?}\n",
        component(&format!("faulty-{language}")).display().to_string()
    ));
    if let Some(secret) = secret {
        wos.file("deployment.secret", format!("{secret}\n").as_bytes());
    }
    wos
}

/// A host serving the relay, whose `users` and `faults` are the host at `back`, with user
/// `ada` and the deployment secret `secret` if given.
fn front_wos(back: &str, secret: Option<&str>) -> Wos {
    let auth = if secret.is_some() { "[auth]\npeer-secret-file = \"deployment.secret\"\n" } else { "" };
    let remote = format!("{{ remote = \"http://{back}\" }}");
    let wos = Wos::new(&format!(
        "manifest-version = 1\nexports = [\"parigot:testing/users@0.1.0\"]\n{auth}[services.relay]\ncomponent = {:?}\n\
         links = {{ \"parigot:testing/users\" = {remote}, \"parigot:testing/faults\" = {remote} }}\n",
        component("faults-relay").display().to_string()
    ));
    if let Some(secret) = secret {
        wos.file("deployment.secret", format!("{secret}\n").as_bytes());
    }
    add_user(&wos, "ada", "lovelace");
    wos
}

#[test]
fn the_user_crosses_remote_links_between_hosts_of_one_deployment_in_every_language() {
    let ada = format!("Authorization: {}", basic("ada:lovelace"));
    for language in LANGUAGES {
        let back_host = back_wos(language, Some(SECRET));
        let back = Served::start(&back_host.path(), &[]);
        let front_host = front_wos(&back.addr, Some(SECRET));
        let front = Served::start(&front_host.path(), &[]);
        let (status, body, _) = connect(&front, "Whoami", &["-H", &ada]);
        assert_eq!((status, &body["result"]), (200, &json!("ada")), "{language}: {body}");
        assert_eq!(connect(&front, "Whoami", &[]).1, json!({}), "{language}: logged out");
        // The back refuses a logged-out chain; the front answers the request the same way.
        let (status, body, challenge) = connect(&front, "MembersOnly", &[]);
        assert_eq!((status, challenge.is_some()), (401, true), "{language}: {body}");
        assert_eq!(connect(&front, "MembersOnly", &["-H", &ada]).1, json!({ "ok": "ada" }), "{language}");
    }
}

#[test]
fn a_peer_proof_works_once_for_its_method_and_host_only() {
    use parigot_host::users::{PeerClaim, PeerSecret, unix_now};
    let back_host = back_wos("rust", Some(SECRET));
    let back = Served::start(&back_host.path(), &[]);
    // What a peer of the deployment would send (the test knows the secret).
    let secret = PeerSecret::from_bytes(SECRET.as_bytes());
    let whoami = format!("/{USERS}/Whoami");
    let proof = |method: &str, authority: &str| {
        let claim = PeerClaim { user: Some("ada"), chain: "00000000000000aa", method, authority };
        format!("parigot-peer-proof: {}", secret.prove(&claim, unix_now()))
    };
    let send = |proof: &str| {
        let args = ["-H", "parigot-user: ada", "-H", "parigot-chain: 00000000000000aa", "-H", proof];
        connect(&back, "Whoami", &args)
    };
    let good = proof(&whoami, &back.addr);
    let (status, body, _) = send(&good);
    assert_eq!((status, &body["result"]), (200, &json!("ada")), "{body}");
    for (what, proof, why) in [
        ("the same proof again", good.clone(), "it was already used (a replay)"),
        ("a proof for another method", proof(&format!("/{USERS}/MembersOnly"), &back.addr), "another method"),
        ("a proof for another host", proof(&whoami, "10.1.2.3:50051"), "another method, host"),
    ] {
        let (status, body, _) = send(&proof);
        assert_eq!(status, 401, "{what}: {body}");
        assert!(body["message"].as_str().unwrap().contains(why), "{what}: {body}");
    }
}

#[test]
fn a_plain_http_link_to_another_machine_with_a_peer_secret_stops_the_start() {
    let front_host = front_wos("10.1.2.3:50051", Some(SECRET));
    host(&["check", front_host.path().to_str().unwrap()]).expect_code(78).expect_stderr(&[
        "service `relay` links `parigot:testing/",
        "to http://10.1.2.3:50051 over plain HTTP, which would carry the deployment's peer proof",
    ]);
}

#[test]
fn a_client_that_sends_the_user_itself_gains_nothing() {
    let back_host = back_wos("rust", Some(SECRET));
    let back = Served::start(&back_host.path(), &[]);
    let forged = [
        vec!["parigot-user: ada"],
        vec!["parigot-user: ada", "parigot-chain: 00000000000000aa"],
        vec!["parigot-user: ada", "parigot-chain: 00000000000000aa", "parigot-peer-proof: v2 1 00 00"],
        vec!["parigot-chain: 00000000000000aa"],
    ];
    for headers in &forged {
        let args: Vec<&str> = headers.iter().flat_map(|header| ["-H", header]).collect();
        let (status, body, _) = connect(&back, "Whoami", &args);
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthenticated")), "{headers:?}: {body}");
        assert!(body["message"].as_str().unwrap().contains("accepted only from a parigot host of the same deployment"));
    }
    // A host of another deployment (another secret), or one without a secret.
    let other_host = front_wos(&back.addr, Some("c29tZSBvdGhlciBkZXBsb3ltZW50J3Mgc2VjcmV0IGtleQ=="));
    let other = Served::start(&other_host.path(), &[]);
    let ada = format!("Authorization: {}", basic("ada:lovelace"));
    let (status, body, _) = connect(&other, "Whoami", &["-H", &ada]);
    assert_eq!(status, 401, "another deployment's proof is refused: {body}");
    let none_host = front_wos(&back.addr, None);
    let none = Served::start(&none_host.path(), &[]);
    assert_eq!(connect(&none, "Whoami", &["-H", &ada]).1, json!({}), "without a secret the user stays home");
    // A host without a secret accepts no peer's user at all.
    let lone_host = back_wos("rust", None);
    let lone = Served::start(&lone_host.path(), &[]);
    let (status, body, _) = connect(&lone, "Whoami", &["-H", "parigot-user: ada"]);
    assert!(status == 401 && body["message"].as_str().unwrap().contains("no `[auth] peer-secret-file`"), "{body}");
}

/// A certificate authority and a server certificate it signed for `localhost` and
/// 127.0.0.1, written into `wos`'s folder as `ca.pem`, `server.pem` and `server.key`.
fn certificates(wos: &Wos) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "parigot test authority");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let cert = server.signed_by(&key, &Issuer::from_params(&ca, &ca_key)).unwrap();
    wos.file("ca.pem", ca_cert.pem().as_bytes());
    wos.file("server.pem", cert.pem().as_bytes());
    wos.file("server.key", key.serialize_pem().as_bytes());
}

/// [`users_wos`] served over TLS with the certificates of [`certificates`].
fn tls_users_wos(language: &str) -> Wos {
    let wos = users_wos(language);
    let text = std::fs::read_to_string(wos.path()).unwrap();
    std::fs::write(wos.path(), format!("{text}[serve]\ntls = {{ cert = \"server.pem\", key = \"server.key\" }}\n"))
        .unwrap();
    certificates(&wos);
    wos
}

#[test]
fn basic_auth_over_tls_with_curl_and_grpcio() {
    let wos = tls_users_wos("python");
    let served = Served::start(&wos.path(), &[]);
    assert!(served.log_shows(&format!("listening on https://{}", served.addr)), "{}", served.log());
    let ca = wos.path().with_file_name("ca.pem");
    let url = format!("https://{}/{USERS}/MembersOnly", served.addr);
    let json = ["-H", "Content-Type: application/json", "-d", "{}"];
    let (status, body) = crate::support::served::curl_url(
        &url,
        &[&json[..], &["--cacert", ca.to_str().unwrap(), "-u", "ada:lovelace"]].concat(),
    );
    assert_eq!((status, body.as_str()), (200, r#"{"ok":"ada"}"#));
    let (status, _) =
        crate::support::served::curl_url(&url, &[&json[..], &["--cacert", ca.to_str().unwrap()]].concat());
    assert_eq!(status, 401, "logged out over TLS");
    // A client that does not trust the authority gets no answer; nor does plain HTTP.
    assert_eq!(crate::support::served::curl_url(&url, &[&json[..], &["-u", "ada:lovelace"]].concat()).0, 0);
    assert_eq!(served.curl(&format!("/{USERS}/MembersOnly"), &json).0, 0);

    let method = format!("{USERS}/MembersOnly");
    let grpc = |extra: &[&str]| {
        let args = [&[method.as_str(), "{}", "--ca", ca.to_str().unwrap()][..], extra].concat();
        served.python("grpc_call.py", &args)
    };
    let header = format!("authorization={}", basic("ada:lovelace"));
    assert_eq!(grpc(&["--header", &header]), json!({ "ok": { "ok": "ada" } }));
    assert_eq!(grpc(&[])["code"], "UNAUTHENTICATED");
}

#[test]
fn remote_links_over_tls_carry_the_user() {
    let back_host = back_wos("go", Some(SECRET));
    let text = std::fs::read_to_string(back_host.path()).unwrap();
    std::fs::write(
        back_host.path(),
        format!("{text}[serve]\ntls = {{ cert = \"server.pem\", key = \"server.key\" }}\n"),
    )
    .unwrap();
    certificates(&back_host);
    let back = Served::start(&back_host.path(), &[]);
    let ca = back_host.path().with_file_name("ca.pem").display().to_string();
    let front_host = front_wos(&back.addr, Some(SECRET));
    let text = std::fs::read_to_string(front_host.path()).unwrap().replace(
        &format!("{{ remote = \"http://{}\" }}", back.addr),
        &format!("{{ remote = \"https://{}\", ca = {ca:?} }}", back.addr),
    );
    std::fs::write(front_host.path(), text).unwrap();
    let front = Served::start(&front_host.path(), &[]);
    let (status, body, _) = connect(&front, "Whoami", &["-u", "ada:lovelace"]);
    assert_eq!((status, &body["result"]), (200, &json!("ada")), "{body}");
}

#[test]
fn a_missing_certificate_stops_the_start_and_names_it() {
    let wos = tls_users_wos("rust");
    std::fs::remove_file(wos.path().with_file_name("server.key")).unwrap();
    let run = host(&["run", wos.path().to_str().unwrap(), "--listen", "127.0.0.1:0"]).expect_code(78);
    assert!(run.stderr.contains("cannot read the key") && run.stderr.contains("server.key"), "{}", run.stderr);
}
