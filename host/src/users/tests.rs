use super::*;
use base64::Engine as _;

fn store() -> (tempfile::TempDir, UserStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = UserStore::new(&dir.path().join("data"));
    (dir, store)
}

fn basic(text: &str) -> Vec<u8> {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(text)).into_bytes()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn users_added_at_once_by_several_commands_are_all_kept() {
    let (_dir, store) = store();
    let path = store.path().to_owned();
    let adders: Vec<_> = (0..8)
        .map(|n| {
            let path = path.clone();
            std::thread::spawn(move || {
                UserStore { path }.add(&format!("user{n}"), "secret").unwrap();
            })
        })
        .collect();
    for adder in adders {
        adder.join().unwrap();
    }
    let expected: Vec<String> = (0..8).map(|n| format!("user{n}")).collect();
    assert_eq!(store.list().unwrap(), expected);
}

#[test]
fn users_are_added_listed_changed_and_removed_with_hashes_only() {
    let (_dir, store) = store();
    assert_eq!(store.list().unwrap(), Vec::<String>::new(), "no file yet: no users");
    store.add("vinny", "crates of vinyl").unwrap();
    store.add("ada", "analytical").unwrap();
    assert_eq!(store.list().unwrap(), ["ada", "vinny"]);
    let error = store.add("ada", "again").unwrap_err();
    assert!(error.contains("there is already a user `ada`"), "{error}");

    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(!text.contains("crates of vinyl") && !text.contains("analytical"), "{text}");
    assert!(text.contains("$argon2id$v=19$"), "{text}");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o777, 0o600);

    store.set_password("ada", "difference engine").unwrap();
    assert_ne!(std::fs::read_to_string(store.path()).unwrap(), text);
    store.remove("vinny").unwrap();
    assert_eq!(store.list().unwrap(), ["ada"]);
    for error in [store.remove("vinny").unwrap_err(), store.set_password("nobody", "x").unwrap_err()] {
        assert!(error.contains("there is no user"), "{error}");
    }
}

#[test]
fn names_and_passwords_are_checked() {
    let (_dir, store) = store();
    for name in ["", "with space", "colon:name", "tab\t", &"x".repeat(65)] {
        let error = store.add(name, "pw").unwrap_err();
        assert!(error.contains("is not a user name"), "{name:?}: {error}");
    }
    assert_eq!(store.add("ok", "").unwrap_err(), "the password is empty");
    assert!(store.add("ok", &"p".repeat(MAX_PASSWORD + 1)).unwrap_err().contains("longer than"));
    store.add("zoë.o", "pw").unwrap();
    store.add("ada@vinnys-vinyl.example", "pw").unwrap();
}

#[test]
fn a_broken_users_file_is_an_error_that_names_it() {
    let (_dir, store) = store();
    std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
    std::fs::write(store.path(), "[users.ada]\npassword = \"plain text\"\n").unwrap();
    let error = store.list().unwrap_err();
    assert!(error.contains("user `ada` has no valid password hash"), "{error}");
    std::fs::write(store.path(), "not toml [").unwrap();
    assert!(store.list().unwrap_err().contains("is not valid"));
    assert!(Authenticator::new(store).is_err());
}

#[test]
fn basic_credentials_are_parsed_and_malformed_ones_named() {
    let parsed = parse_basic(&basic("ada:pass:with:colons")).unwrap();
    assert_eq!((parsed.user.as_str(), parsed.password.as_str()), ("ada", "pass:with:colons"));
    assert!(!format!("{parsed:?}").contains("pass"), "Debug shows no password");
    assert_eq!(parse_basic(b"basic  YTpi ").unwrap().user, "a", "the scheme is case-insensitive");
    let cases: [(&[u8], Malformed); 6] = [
        (b"Bearer abc", Malformed::NotBasic),
        (b"Basic", Malformed::NotBasic),
        (b"Basic !!!not base64", Malformed::Base64),
        (&basic("no colon here"), Malformed::NoColon),
        (b"Basic /w==", Malformed::Utf8),
        (&[b'B'; 5000], Malformed::TooLong),
    ];
    for (value, expected) in cases {
        assert_eq!(parse_basic(value).unwrap_err(), expected, "{}", String::from_utf8_lossy(value));
    }
}

#[test]
fn the_authenticator_follows_changes_of_the_users_file() {
    let (_dir, store) = store();
    store.add("ada", "first").unwrap();
    let auth = Authenticator::new(store.clone()).unwrap();
    let rt = runtime();
    let login = |text: &str| rt.block_on(auth.verify(parse_basic(&basic(text)).unwrap(), None));
    assert_eq!(login("ada:first").unwrap(), "ada");
    assert_eq!(login("ada:first").unwrap(), "ada", "cached");
    assert!(matches!(login("ada:wrong"), Err(Denied::Wrong)));
    assert!(matches!(login("nobody:first"), Err(Denied::Wrong)));

    store.set_password("ada", "second").unwrap();
    assert!(matches!(login("ada:first"), Err(Denied::Wrong)), "the cache does not outlive a password change");
    assert_eq!(login("ada:second").unwrap(), "ada");
    store.remove("ada").unwrap();
    assert!(matches!(login("ada:second"), Err(Denied::Wrong)), "nor a removal");
}
