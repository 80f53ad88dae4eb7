use super::*;
use crate::fuzzing::{order_type, orders_schema, place_sig};

/// The schema of `orders` (the fuzz targets' fixture), and the rpc of `function`.
fn rpc(function: &str) -> (MessageDescriptor, MessageDescriptor) {
    let (schema, service) = orders_schema("orders");
    let rpc = schema.rpc(&service, function).unwrap();
    (rpc.input, rpc.output)
}

fn find_sig() -> FuncSig {
    FuncSig { params: vec![("id".into(), ValType::U32)], results: vec![ValType::Option(Box::new(order_type()))] }
}

fn order(note: Option<&str>, payment: Val) -> Val {
    let strings = |items: &[&str]| Val::List(items.iter().map(|s| Val::String(s.to_string())).collect());
    Val::Record(vec![
        ("id".into(), Val::U8(200)),
        (
            "lines".into(),
            Val::List(vec![
                Val::Tuple(vec![Val::String("tea".into()), Val::U16(3)]),
                Val::Tuple(vec![Val::String("cake".into()), Val::U16(65535)]),
            ]),
        ),
        ("note".into(), Val::Option(note.map(|n| Box::new(Val::String(n.into()))))),
        ("status".into(), Val::Enum("shipped".into())),
        ("perks".into(), Val::Flags(vec!["express".into()])),
        ("payment".into(), payment),
        ("tags".into(), Val::List(vec![strings(&["a", "b"]), strings(&[]), strings(&["c"])])),
        ("initial".into(), Val::Char('é')),
    ])
}

#[test]
fn parameters_survive_a_trip_through_protobuf_bytes() {
    let (input, _) = rpc("place");
    let payments = [
        Val::Variant("card".into(), Some(Box::new(Val::String("4242".into())))),
        Val::Variant("cash".into(), None),
        Val::Variant("voucher".into(), Some(Box::new(Val::List(vec![Val::U8(0), Val::U8(255)])))),
    ];
    for (payment, note) in payments.into_iter().zip([Some("leave at door"), None, Some("")]) {
        let params = vec![order(note, payment), Val::Bool(true)];
        let message = request_from_params(&input, &place_sig(), &params);
        let bytes = prost::Message::encode_to_vec(&message);
        let decoded = DynamicMessage::decode(input.clone(), bytes.as_slice()).unwrap();
        assert_eq!(params_from_request(&decoded, &place_sig()).unwrap(), params);
    }
}

#[test]
fn results_survive_a_trip_through_protobuf_bytes() {
    let (_, output) = rpc("place");
    for outcome in [Ok(Some(Box::new(Val::U64(u64::MAX)))), Err(Some(Box::new(Val::String("sold out".into()))))] {
        let results = vec![Val::Result(outcome)];
        let message = response_from_results(&output, &place_sig(), &results);
        assert_eq!(results_from_response(&message, &place_sig()).unwrap(), results);
    }
    let (_, output) = rpc("find");
    for found in [None, Some(Box::new(order(None, Val::Variant("cash".into(), None))))] {
        let results = vec![Val::Option(found)];
        let message = response_from_results(&output, &find_sig(), &results);
        assert_eq!(results_from_response(&message, &find_sig()).unwrap(), results);
    }
}

#[test]
fn a_result_error_is_the_responses_error_case() {
    let (_, output) = rpc("place");
    let results = [Val::Result(Err(Some(Box::new(Val::String("sold out".into())))))];
    let json = serde_json::to_value(response_from_results(&output, &place_sig(), &results)).unwrap();
    assert_eq!(json, serde_json::json!({ "error": "sold out" }));
}

/// Decodes `json` as a `place` request and converts it, returning the error.
fn place_error(json: serde_json::Value) -> String {
    let (input, _) = rpc("place");
    let message = DynamicMessage::deserialize(input, json).unwrap();
    params_from_request(&message, &place_sig()).unwrap_err().to_string()
}

#[test]
fn values_that_do_not_fit_their_wit_type_are_refused_with_their_path() {
    let order = |extra: serde_json::Value| {
        let mut order = serde_json::json!({ "status": "STATUS_OPEN", "payment": { "cash": {} }, "initial": "x" });
        order.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::json!({ "order": order })
    };
    let error = place_error(order(serde_json::json!({ "id": 256 })));
    assert_eq!(error, "field `order.id`: 256 is out of range for a WIT `u8`");
    let error = place_error(order(serde_json::json!({ "lines": [{ "f0": "tea", "f1": 70000 }] })));
    assert_eq!(error, "field `order.lines[0].f1`: 70000 is out of range for a WIT `u16`");
    let error = place_error(order(serde_json::json!({ "initial": "xy" })));
    assert!(error.starts_with("field `order.initial`: a WIT `char` is exactly one character"), "{error}");
    let error = place_error(order(serde_json::json!({ "status": 0 })));
    assert!(error.starts_with("field `order.status`: 0 is not a case of the enum"), "{error}");
    let error = place_error(order(serde_json::json!({ "status": 9 })));
    assert!(error.starts_with("field `order.status`: 9 is not a case of the enum (valid: 1..=2"), "{error}");
    let error = place_error(order(serde_json::json!({ "payment": {} })));
    assert!(error.starts_with("field `order.payment`: no case of the oneof is set"), "{error}");
}

#[test]
fn absent_fields_take_protobuf_defaults_and_absent_options_are_none() {
    let (input, _) = rpc("place");
    let json = serde_json::json!({ "order": { "status": "STATUS_OPEN", "payment": { "cash": {} }, "initial": "x" } });
    let message = DynamicMessage::deserialize(input, json).unwrap();
    let params = params_from_request(&message, &place_sig()).unwrap();
    let Val::Record(fields) = &params[0] else { panic!("{params:?}") };
    assert_eq!(fields[0], ("id".to_owned(), Val::U8(0)));
    assert_eq!(fields[2], ("note".to_owned(), Val::Option(None)));
    assert_eq!(fields[4], ("perks".to_owned(), Val::Flags(vec![])));
    assert_eq!(params[1], Val::Bool(false));
}
