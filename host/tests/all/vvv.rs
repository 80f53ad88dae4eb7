//! Vinny's Vintage Vinyl end to end: the example's wos served as shipped, a customer's session
//! through real clients (buf curl over gRPC, curl over Connect; records from the Rust, Go and
//! Python services, gift cards from the TypeScript one), in one process and split across two
//! by the example's own wos files, with the same answers.

use crate::support::served::Served;
use crate::support::{host_with_input, repo};
use serde_json::{Value, json};

const CATALOG: &str = "vvv.shop.catalog.v0_1_0.Catalog";
const STORE: &str = "vvv.shop.store.v0_1_0.Store";
const GIFT_CARDS: &str = "vvv.shop.gift_cards.v0_1_0.GiftCards";

/// One call of the session: method, request, and `-u` credentials.
struct Step {
    method: String,
    body: Value,
    login: Option<&'static str>,
}

fn step(service: &str, function: &str, body: Value, login: Option<&'static str>) -> Step {
    Step { method: format!("{service}/{function}"), body, login }
}

/// Today in UTC as (year, month, day), from the host's clock as the store sees it.
fn today() -> (i64, i64, i64) {
    let days = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 / 86_400;
    // Howard Hinnant's days-to-civil conversion.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn session() -> Vec<Step> {
    let (year, month, day) = today();
    vec![
        step(CATALOG, "Browse", json!({"content": "CONTENT_TV", "media": "MEDIA_LASERDISC"}), None),
        step(CATALOG, "Search", json!({"text": "QUEEN"}), None),
        step(STORE, "Sell", json!({"item": 2}), None),
        step(STORE, "Sell", json!({"item": 2}), Some("vinny:wrong")),
        step(STORE, "Sell", json!({"item": 2}), Some("vinny:spin")),
        step(STORE, "Sell", json!({"item": 2}), Some("vinny:spin")),
        step(STORE, "Sell", json!({"item": 99}), Some("vinny:spin")),
        step(STORE, "Sell", json!({"item": 1}), Some("vinny:spin")),
        step(STORE, "Revenue", json!({"period": {"day": {"year": year, "month": month, "day": day}}}), None),
        step(STORE, "Revenue", json!({"period": {"year": year - 1}}), None),
        step(STORE, "Revenue", json!({"period": {"month": {"year": year, "month": 13}}}), None),
        step(STORE, "BestSellers", json!({}), None),
        step(STORE, "MediaInStock", json!({}), None),
    ]
}

/// Serves `wos` (from examples/vvv) with a fresh data folder and customer `vinny` (`spin`).
fn serve(wos: &str, listen: &str, data: &tempfile::TempDir) -> Served {
    let wos = repo().join("examples/vvv").join(wos);
    let data = data.path().to_str().unwrap();
    host_with_input(&["user", "add", wos.to_str().unwrap(), "vinny", "--data-dir", data], "spin\n").expect_code(0);
    Served::start_on(&wos, listen, &["--data-dir", data])
}

/// Runs the session with buf curl; each answer as JSON (an error's code and message), with
/// the time of a sale left out.
fn run_session(served: &Served) -> Vec<Value> {
    session()
        .iter()
        .map(|step| {
            let body = step.body.to_string();
            let mut args = vec!["--protocol", "grpc", "--http2-prior-knowledge", "-d", &body];
            if let Some(login) = step.login {
                args.extend(["-u", login]);
            }
            let output = served.buf_curl(&step.method, &args);
            let printed = if output.status.success() { &output.stdout } else { &output.stderr };
            let mut answer: Value = serde_json::from_slice(printed)
                .unwrap_or_else(|e| panic!("{}: {e}: {}", step.method, String::from_utf8_lossy(printed)));
            if let Some(sale) = answer.pointer_mut("/ok").and_then(Value::as_object_mut) {
                assert!(sale.remove("soldAtMs").is_some(), "a sale records its time: {sale:?}");
            }
            answer
        })
        .collect()
}

/// A gift card bought by `vinny`, spent without a login and listed, over Connect with curl
/// (the TypeScript service): each answer's status and JSON, the card's code (random) checked
/// and then replaced by `CODE`.
fn gift_card_session(served: &Served) -> Vec<(u16, Value)> {
    let call = |function: &str, body: Value, login: Option<&str>| -> (u16, String) {
        let body = body.to_string();
        let mut args = vec!["-H", "Content-Type: application/json", "-d", &body];
        if let Some(login) = login {
            args.extend(["-u", login]);
        }
        served.curl(&format!("/{GIFT_CARDS}/{function}"), &args)
    };
    let (status, bought) = call("Buy", json!({"cents": 2500}), Some("vinny:spin"));
    assert_eq!(status, 200, "{bought}");
    let code = serde_json::from_str::<Value>(&bought).unwrap()["ok"]["code"].as_str().unwrap().to_owned();
    assert!(code.len() == 16 && code.starts_with("VVV-"), "{code}");
    let steps = [
        ("Buy", json!({"cents": 2500}), None),
        ("Balance", json!({"code": code}), None),
        ("Redeem", json!({"code": code, "cents": 1000}), None),
        ("Redeem", json!({"code": code, "cents": 5000}), None),
        ("Redeem", json!({"code": "VVV-NOPE", "cents": 1}), None),
        ("Mine", json!({}), Some("vinny:spin")),
    ];
    let mut answers = vec![(status, bought)];
    answers.extend(steps.into_iter().map(|(function, body, login)| call(function, body, login)));
    answers
        .into_iter()
        .map(|(status, text)| (status, serde_json::from_str(&text.replace(&code, "CODE")).unwrap()))
        .collect()
}

fn item(id: u64, media: &str, content: &str, creator: &str, title: &str, year: u32, cents: u64) -> Value {
    json!({"id": id.to_string(), "media": media, "content": content, "creator": creator, "title": title,
           "year": year, "priceCents": cents.to_string()})
}

#[test]
fn a_customer_session_gets_the_same_answers_in_one_process_and_split_in_two() {
    let data = tempfile::tempdir().unwrap();
    let whole = serve("wos.toml", "127.0.0.1:0", &data);
    let answers = run_session(&whole);

    let pilot = item(36, "MEDIA_LASERDISC", "CONTENT_TV", "David Lynch", "Twin Peaks: Pilot", 1990, 4200);
    let queen = item(1, "MEDIA_CASSETTE", "CONTENT_MUSIC", "The Smiths", "The Queen Is Dead", 1986, 899);
    let star_wars = item(2, "MEDIA_LASERDISC", "CONTENT_MOVIE", "George Lucas", "Star Wars", 1977, 4500);
    assert_eq!(answers[0], json!({"result": [pilot]}));
    assert_eq!(answers[1], json!({"result": [queen]}), "search ignores case");
    for (refused, message) in [(&answers[2], "needs a login"), (&answers[3], "wrong user name or password")] {
        assert_eq!(refused["code"], "unauthenticated", "{refused}");
        assert!(refused["message"].as_str().unwrap().contains(message), "{refused}");
    }
    assert_eq!(answers[4], json!({"ok": {"id": "1", "item": star_wars, "customer": "vinny"}}));
    assert_eq!(answers[5], json!({"error": {"soldOut": "2"}}), "one Star Wars LaserDisc on the shelf");
    assert_eq!(answers[6], json!({"error": {"unknownItem": "99"}}));
    assert_eq!(answers[7], json!({"ok": {"id": "2", "item": queen, "customer": "vinny"}}));
    assert_eq!(answers[8], json!({"ok": (4500 + 899).to_string()}), "today's takings");
    assert_eq!(answers[9], json!({"ok": "0"}), "nothing sold last year");
    assert!(answers[10]["error"]["noSuchDate"].as_str().is_some_and(|d| d.ends_with("-13")), "{}", answers[10]);
    assert_eq!(
        answers[11],
        json!({"result": [
            {"content": "CONTENT_MUSIC", "item": queen, "sold": 1},
            {"content": "CONTENT_MOVIE", "item": star_wars, "sold": 1},
        ]})
    );
    let media = answers[12]["result"].as_array().unwrap();
    assert_eq!(media.len(), 10, "every medium is still on the shelf: {media:?}");

    // Connect with curl sees what gRPC sees.
    let (status, body) =
        whole.curl(&format!("/{CATALOG}/Get"), &["-H", "Content-Type: application/json", "-d", r#"{"id": 3}"#]);
    assert_eq!(status, 200, "{body}");
    let mash: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(mash["result"]["title"], "M*A*S*H: Goodbye, Farewell and Amen", "{mash}");

    let cards = gift_card_session(&whole);
    let card = json!({"code": "CODE", "balanceCents": "2500", "boughtBy": "vinny"});
    assert_eq!(cards[0], (200, json!({"ok": card})));
    assert_eq!(cards[1].0, 401, "buying a card needs a login: {:?}", cards[1]);
    assert_eq!(cards[2], (200, json!({"ok": "2500"})));
    assert_eq!(cards[3], (200, json!({"ok": "1500"})), "anyone with the code spends it");
    assert_eq!(cards[4], (200, json!({"error": {"insufficient": "1500"}})));
    assert_eq!(cards[5], (200, json!({"error": {"unknownCard": "VVV-NOPE"}})));
    // A list in a result's `ok` travels in a message of its own (a oneof holds no repeated field).
    let mine = json!([{"code": "CODE", "balanceCents": "1500", "boughtBy": "vinny"}]);
    assert_eq!(cards[6], (200, json!({"ok": {"value": mine}})));
    drop(whole);

    // Split by the example's own wos files: the inventory on :50071 (where front.toml's link
    // points), the catalog and the store in front; fresh databases, the same session.
    let (back_data, front_data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let back = serve("split/back.toml", "127.0.0.1:50071", &back_data);
    let front = serve("split/front.toml", "127.0.0.1:0", &front_data);
    assert_eq!(run_session(&front), answers);
    assert_eq!(gift_card_session(&front), cards);
    assert!(
        front.log().contains("`vvv:shop/inventory@0.1.0` -> remote host http://127.0.0.1:50071"),
        "{}",
        front.log()
    );
    drop(back);
}
