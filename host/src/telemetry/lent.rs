//! Spans lent to the peer host that made a call, so that its dashboard draws the call's whole
//! waterfall, this host's part included.
//!
//! A peer of the deployment (its proof checked) asks for them with a request header; while
//! its call runs here, a [`Tap`] gathers every span of the call's trace, and the answer carries
//! them back in a binary header, as OTLP's protobuf. The caller keeps them for its dashboard
//! only: each host exports its own spans, so none is exported twice.
//!
//! Both ways are bounded: a tap keeps the latest [`MOST_LENT`] spans (the call's own span ends
//! last, so it is kept), the header holds at most [`MOST_LENT_BYTES`] of them, and the caller
//! accepts only spans of the trace it asked about.

use super::otlp::{SpanRecord, Value};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The request header with which a peer asks for the spans of its call.
pub const WANT_HEADER: &str = "parigot-want-spans";
/// The response header that carries them (binary: base64 on the wire).
pub const SPANS_HEADER: &str = "parigot-spans-bin";
/// The attribute a received span gets: the host it was lent by.
pub const HOST_ATTRIBUTE: &str = "parigot.host";

/// The most spans one call lends: the latest, when it made more.
pub const MOST_LENT: usize = 256;
/// The most bytes of protobuf one answer lends (its header is a third larger in base64).
pub const MOST_LENT_BYTES: usize = 96 * 1024;
/// The room a caller gives an answer's headers: the lent spans and the rest.
pub const HEADER_ROOM: u32 = 192 * 1024;

/// The taps open on a host: the calls of peers that asked for their spans.
#[derive(Default)]
pub struct Taps {
    /// How many are open: a span is looked at only when some are.
    open: AtomicUsize,
    next: AtomicU64,
    /// Each open tap's spans so far, by trace and tap.
    gathered: Mutex<BTreeMap<(u128, u64), VecDeque<SpanRecord>>>,
}

impl Taps {
    /// Opens a tap on the spans of `trace`, until it is finished or dropped.
    pub fn open(self: &Arc<Self>, trace: u128) -> Tap {
        let key = (trace, self.next.fetch_add(1, Ordering::Relaxed));
        self.lock().insert(key, VecDeque::new());
        self.open.fetch_add(1, Ordering::Relaxed);
        Tap { taps: self.clone(), key }
    }

    /// Whether a tap is open on `trace`.
    pub fn taps(&self, trace: u128) -> bool {
        self.open.load(Ordering::Relaxed) > 0 && self.lock().range((trace, 0)..=(trace, u64::MAX)).next().is_some()
    }

    /// Gives `span` to every tap open on its trace.
    pub fn span(&self, span: &SpanRecord) {
        if self.open.load(Ordering::Relaxed) == 0 {
            return;
        }
        for (_, spans) in self.lock().range_mut((span.trace, 0)..=(span.trace, u64::MAX)) {
            if spans.len() == MOST_LENT {
                spans.pop_front();
            }
            spans.push_back(span.clone());
        }
    }

    /// Removes the tap `key`: the spans it gathered (none when it was already removed).
    fn close(&self, key: (u128, u64)) -> Vec<SpanRecord> {
        let Some(spans) = self.lock().remove(&key) else { return Vec::new() };
        self.open.fetch_sub(1, Ordering::Relaxed);
        spans.into()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(u128, u64), VecDeque<SpanRecord>>> {
        self.gathered.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An open tap: the spans of one trace, gathered while a peer's call runs.
pub struct Tap {
    taps: Arc<Taps>,
    key: (u128, u64),
}

impl Tap {
    /// Closes the tap: the spans it gathered, encoded for the answer's header (none when it
    /// gathered none).
    pub fn finish(self) -> Option<Vec<u8>> {
        let spans = self.taps.close(self.key);
        (!spans.is_empty()).then(|| encode(spans))
    }
}

/// A tap dropped unfinished (its call's answer was never made) is closed all the same.
impl Drop for Tap {
    fn drop(&mut self) {
        self.taps.close(self.key);
    }
}

/// The peer host that lent `span`; `None` for a span of this host's own.
pub fn lent_by(span: &SpanRecord) -> Option<&str> {
    span.attributes.iter().find(|(key, _)| key == HOST_ATTRIBUTE).and_then(|(_, value)| match value {
        Value::Text(host) => Some(host.as_str()),
        _ => None,
    })
}

/// `spans` as OTLP's protobuf, the latest of them that fit in [`MOST_LENT_BYTES`].
fn encode(mut spans: Vec<SpanRecord>) -> Vec<u8> {
    loop {
        let bytes = super::otlp::encode::lent_spans(spans.clone()).encode_to_vec();
        if bytes.len() <= MOST_LENT_BYTES || spans.len() <= 1 {
            return bytes;
        }
        spans.drain(..spans.len() / 2);
    }
}

/// The spans of `trace` in `bytes` (an answer's header), each marked as lent by `host`; an
/// error when they are not OTLP's protobuf. Spans of any other trace are dropped: a peer
/// lends only the call's.
pub fn decode(bytes: &[u8], trace: u128, host: &str) -> Result<Vec<SpanRecord>, String> {
    if bytes.len() > MOST_LENT_BYTES {
        return Err(format!("{} bytes of spans, more than the {MOST_LENT_BYTES} lent at most", bytes.len()));
    }
    let request = ExportTraceServiceRequest::decode(bytes).map_err(|e| e.to_string())?;
    let mut spans = super::otlp::encode::spans_of(request);
    spans.retain(|span| span.trace == trace);
    spans.truncate(MOST_LENT);
    for span in &mut spans {
        if lent_by(span).is_none() {
            span.attributes.push((HOST_ATTRIBUTE.into(), Value::Text(host.to_owned())));
        }
    }
    Ok(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::otlp::SpanKind;
    use std::time::{Duration, SystemTime};

    fn span(trace: u128, span: u64, name: &str) -> SpanRecord {
        SpanRecord {
            service: Arc::from("signer"),
            trace,
            span,
            parent: Some(7),
            name: name.to_owned(),
            kind: SpanKind::Server,
            start: SystemTime::UNIX_EPOCH + Duration::from_micros(1_700_000_000_000_000 + span),
            duration: Duration::from_micros(250),
            attributes: vec![("rpc.method".into(), Value::Text("sign".into()))],
            error: (span == 2).then(|| "failed".to_owned()),
        }
    }

    #[test]
    fn a_tap_gathers_its_traces_spans_while_open_and_they_decode_as_they_were() {
        let taps = Arc::new(Taps::default());
        taps.span(&span(1, 1, "before the tap"));
        let tap = taps.open(1);
        assert!(taps.taps(1) && !taps.taps(2));
        taps.span(&span(1, 2, "sign"));
        taps.span(&span(2, 3, "another trace"));
        taps.span(&span(1, 4, "sqlite SELECT"));
        let bytes = tap.finish().expect("two spans");
        assert!(!taps.taps(1), "a finished tap is closed");
        taps.span(&span(1, 5, "after the tap"));
        let spans = decode(&bytes, 1, "http://127.0.0.1:9").unwrap();
        let names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();
        assert_eq!(names, ["sign", "sqlite SELECT"]);
        let sign = &spans[0];
        let original = span(1, 2, "sign");
        assert_eq!(
            (&*sign.service, sign.span, sign.parent, sign.start, sign.duration, sign.kind, sign.error.as_deref()),
            ("signer", 2, Some(7), original.start, original.duration, SpanKind::Server, Some("failed"))
        );
        let host = Value::Text("http://127.0.0.1:9".into());
        assert_eq!(sign.attributes, [("rpc.method".into(), Value::Text("sign".into())), (HOST_ATTRIBUTE.into(), host)]);
    }

    #[test]
    fn a_tap_keeps_the_latest_spans_and_an_answer_the_latest_that_fit() {
        let taps = Arc::new(Taps::default());
        let tap = taps.open(1);
        for n in 0..MOST_LENT as u64 + 10 {
            taps.span(&span(1, n, "call"));
        }
        let spans = decode(&tap.finish().unwrap(), 1, "peer").unwrap();
        // The call's own span ends last: it is among the kept.
        assert_eq!((spans.len(), spans[0].span, spans.last().unwrap().span), (MOST_LENT, 10, MOST_LENT as u64 + 9));
        let tap = taps.open(1);
        let long = "x".repeat(4000);
        for n in 0..100 {
            taps.span(&span(1, n, &long));
        }
        let bytes = tap.finish().unwrap();
        let spans = decode(&bytes, 1, "peer").unwrap();
        assert!(bytes.len() <= MOST_LENT_BYTES && spans.len() < 100, "{} bytes", bytes.len());
        assert_eq!(spans.last().unwrap().span, 99);
    }

    #[test]
    fn a_dropped_tap_closes_and_an_answer_with_nothing_lends_nothing() {
        let taps = Arc::new(Taps::default());
        drop(taps.open(1));
        assert!(!taps.taps(1));
        assert_eq!(taps.open.load(Ordering::Relaxed), 0);
        assert!(taps.open(1).finish().is_none());
    }

    #[test]
    fn a_caller_takes_only_spans_of_its_trace_and_refuses_what_is_no_otlp_or_too_large() {
        let bytes = super::super::otlp::encode::lent_spans(vec![span(1, 1, "mine"), span(9, 2, "not mine")]);
        let spans = decode(&bytes.encode_to_vec(), 1, "peer").unwrap();
        assert_eq!(spans.iter().map(|span| span.name.as_str()).collect::<Vec<_>>(), ["mine"]);
        assert!(decode(b"\xff\xff\xff", 1, "peer").is_err());
        assert!(decode(&vec![0; MOST_LENT_BYTES + 1], 1, "peer").unwrap_err().contains("more than"));
    }
}
