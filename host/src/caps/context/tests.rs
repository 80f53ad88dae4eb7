use super::baggage::{BaggageError, MAX_BYTES, MAX_MEMBERS};
use super::*;

const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn edge(traceparent: Option<&str>, baggage: Option<&str>) -> Pctx {
    Pctx::at_edge(EdgeHeaders { traceparent, baggage, request_id: None }, None, &IdSource::seeded(1))
}

#[test]
fn a_well_formed_traceparent_continues_the_clients_trace_in_a_new_span() {
    let pctx = edge(Some(PARENT), None);
    assert_eq!(pctx.trace.id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(pctx.parent, Some(SpanId(0x00f0_67aa_0ba9_02b7)));
    assert_ne!(pctx.span, SpanId(0x00f0_67aa_0ba9_02b7));
    assert!(pctx.trace.sampled);
}

#[test]
fn a_malformed_traceparent_starts_a_new_trace() {
    for bad in [
        "",
        "garbage",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
    ] {
        let pctx = edge(Some(bad), None);
        assert_ne!(pctx.trace.id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736", "{bad:?}");
        assert_eq!(pctx.parent, None, "{bad:?}");
    }
    // A later version may add fields.
    let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more";
    assert_eq!(edge(Some(later), None).trace.id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[test]
fn children_keep_the_trace_and_get_a_span_of_their_own() {
    let ids = IdSource::seeded(7);
    let root = Pctx::fresh(&ids);
    let child = root.child(&ids);
    assert_eq!(child.trace.id, root.trace.id);
    assert_eq!(child.parent, Some(root.span));
    assert_ne!(child.span, root.span);
    assert_eq!(child.traceparent(child.span), format!("00-{}-{}-00", root.trace.id, child.span));
}

#[test]
fn seeded_ids_repeat_and_random_ones_do_not() {
    let ids = |source: &IdSource| (source.trace_id(), source.span_id(), source.request_id());
    assert_eq!(ids(&IdSource::seeded(3)), ids(&IdSource::seeded(3)));
    assert_ne!(ids(&IdSource::seeded(3)), ids(&IdSource::seeded(4)));
    assert_ne!(ids(&IdSource::random()).0, ids(&IdSource::random()).0);
}

#[test]
fn baggage_is_read_and_written_percent_encoded() {
    let baggage = Baggage::parse("user=alice, cart=a%20b%2Cc;prop=1,empty=").unwrap();
    let members: Vec<(&str, &str)> = baggage.members().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(members, [("user", "alice"), ("cart", "a b,c"), ("empty", "")]);
    assert_eq!(baggage.header().unwrap(), "user=alice,cart=a%20b%2Cc,empty=");
    assert_eq!(Baggage::parse(&baggage.header().unwrap()).unwrap(), baggage);
}

#[test]
fn malformed_baggage_is_ignored_whole() {
    for bad in ["novalue", "bad key=1", "k=%zz", "k=a b", "k=%ff"] {
        assert!(Baggage::parse(bad).is_err(), "{bad:?}");
        assert!(edge(None, Some(bad)).trace.baggage.members().is_empty(), "{bad:?}");
    }
}

#[test]
fn baggage_over_the_w3c_limits_is_cut() {
    let many: Vec<String> = (0..300).map(|i| format!("k{i}=v")).collect();
    assert_eq!(Baggage::parse(&many.join(",")).unwrap().members().len(), MAX_MEMBERS);
    let big = format!("a={},b={}", "x".repeat(6000), "y".repeat(6000));
    let cut = Baggage::parse(&big).unwrap();
    assert_eq!(cut.members().len(), 1);
    assert!(cut.header().unwrap().len() <= MAX_BYTES);
}

#[test]
fn guests_cannot_add_bad_keys_or_grow_baggage_past_the_limits() {
    let mut baggage = Baggage::default();
    assert_eq!(baggage.set("bad key", "v"), Err(BaggageError::InvalidKey("bad key".into())));
    assert_eq!(baggage.set("big", &"x".repeat(MAX_BYTES)), Err(BaggageError::TooLarge));
    baggage.set("k", "1").unwrap();
    baggage.set("k", "2").unwrap();
    assert_eq!(baggage.members(), [("k".to_owned(), "2".to_owned())]);
    baggage.remove("k");
    assert_eq!(baggage.header(), None);
}

#[test]
fn only_a_sane_request_id_is_kept() {
    let ids = IdSource::seeded(1);
    let with = |id| Pctx::at_edge(EdgeHeaders { request_id: Some(id), ..EdgeHeaders::default() }, None, &ids);
    assert_eq!(&*with("req-42").trace.request_id, "req-42");
    assert_ne!(&*with("has space").trace.request_id, "has space");
    assert_eq!(with(&"x".repeat(500)).trace.request_id.len(), 16);
}
