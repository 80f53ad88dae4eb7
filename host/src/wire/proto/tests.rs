use super::*;

const WIT: &str = r#"
    package example:shop@1.2.0;

    interface types {
        record money { cents: s64, currency: string }
    }

    interface orders {
        use types.{money};
        enum status { open, shipped, lost-in-transit }
        flags perks { gift-wrap, express }
        variant payment { card(string), cash, voucher(list<u8>) }
        record order {
            id: u32,
            total: money,
            lines: list<tuple<string, u16>>,
            note: option<string>,
            status: status,
            perks: perks,
            payment: payment,
            tags: list<list<string>>,
        }
        place: func(order: order, dry-run: bool) -> result<u64, string>;
        find: func(id: u32) -> option<order>;
        ping: func();
        rate: func(x: f32, y: f64, c: char, big: s64, small: s8) -> tuple<bool, u8>;
        cancel: func(id: u32) -> result;
    }

    interface files {
        resource file;
        open: func() -> file;
    }
"#;

fn proto_of(interface: &str) -> Result<ProtoFile, UnsupportedType> {
    proto_of_wit(WIT, interface)
}

/// The `.proto` file of `interface` of the WIT package in `wit` (for the wire layer's tests).
pub(crate) fn proto_of_wit(wit: &str, interface: &str) -> Result<ProtoFile, UnsupportedType> {
    let mut resolve = Resolve::default();
    let package = resolve.push_str("test.wit", wit).unwrap();
    let id = resolve.packages[package].interfaces[interface];
    interface_proto(&resolve, id)
}

fn assert_contains(text: &str, snippet: &str) {
    assert!(text.contains(snippet), "missing:\n{snippet}\nin:\n{text}");
}

#[test]
fn an_interface_becomes_a_service_in_a_versioned_package() {
    let proto = proto_of("orders").unwrap();
    assert_eq!(proto.path, PathBuf::from("example/shop/v1_2_0/orders.proto"));
    let text = &proto.text;
    assert_contains(text, "syntax = \"proto3\";\n\npackage example.shop.orders.v1_2_0;");
    assert_contains(
        text,
        "service Orders {\n  rpc Place(PlaceRequest) returns (PlaceResponse);\n  rpc Find(FindRequest) returns (FindResponse);\n  rpc Ping(PingRequest) returns (PingResponse);",
    );
}

#[test]
fn a_dashed_interface_name_is_a_snake_case_file_in_a_snake_case_package() {
    let proto = proto_of_wit("package a:b@1.0.0;\ninterface gift-cards { ping: func(); }\n", "gift-cards").unwrap();
    assert_eq!(proto.path, PathBuf::from("a/b/v1_0_0/gift_cards.proto"));
    assert_eq!(proto.service, "a.b.gift_cards.v1_0_0.GiftCards");
}

#[test]
fn records_enums_flags_and_variants_become_messages_and_enums() {
    let text = &proto_of("orders").unwrap().text;
    assert_contains(text, "message PlaceRequest {\n  Order order = 1;\n  bool dry_run = 2;\n}");
    assert_contains(
        text,
        "message Order {\n  uint32 id = 1;\n  Money total = 2;\n  repeated OrderLinesItem lines = 3;\n  optional string note = 4;\n  Status status = 5;\n  Perks perks = 6;\n  Payment payment = 7;\n  repeated OrderTagsItem tags = 8;\n}",
    );
    assert_contains(text, "message Money {\n  int64 cents = 1;\n  string currency = 2;\n}");
    assert_contains(text, "message OrderLinesItem {\n  string f0 = 1;\n  uint32 f1 = 2;\n}");
    assert_contains(text, "message OrderTagsItem {\n  repeated string value = 1;\n}");
    assert_contains(
        text,
        "enum Status {\n  STATUS_UNSPECIFIED = 0;\n  STATUS_OPEN = 1;\n  STATUS_SHIPPED = 2;\n  STATUS_LOST_IN_TRANSIT = 3;\n}",
    );
    assert_contains(text, "message Perks {\n  bool gift_wrap = 1;\n  bool express = 2;\n}");
    assert_contains(
        text,
        "message Payment {\n  oneof value {\n    string card = 1;\n    Unit cash = 2;\n    bytes voucher = 3;\n  }\n}",
    );
    assert_contains(text, "message Unit {}");
    assert_eq!(text.matches("message Order {").count(), 1, "defined once");
}

#[test]
fn results_options_and_scalars_map_as_documented() {
    let text = &proto_of("orders").unwrap().text;
    assert_contains(
        text,
        "message PlaceResponse {\n  oneof outcome {\n    uint64 ok = 1;\n    string error = 2;\n  }\n}",
    );
    assert_contains(text, "message CancelResponse {\n  oneof outcome {\n    Unit ok = 1;\n    Unit error = 2;\n  }\n}");
    assert_contains(text, "message FindResponse {\n  optional Order result = 1;\n}");
    assert_contains(text, "message PingResponse {\n}");
    assert_contains(
        text,
        "message RateRequest {\n  float x = 1;\n  double y = 2;\n  string c = 3;\n  int64 big = 4;\n  int32 small = 5;\n}",
    );
    assert_contains(text, "message RateResponse {\n  RateResponseResult result = 1;\n}");
    assert_contains(text, "message RateResponseResult {\n  bool f0 = 1;\n  uint32 f1 = 2;\n}");
}

#[test]
fn resources_are_refused_with_the_function_named() {
    let error = proto_of("files").unwrap_err();
    assert_eq!(error.function, "open");
    assert_eq!(
        error.to_string(),
        "`example:shop/files@1.2.0#open` cannot be served over the wire: it uses a resource, which has no protobuf form yet"
    );
}
