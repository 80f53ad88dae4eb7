//! What a call carries from its caller: the chain it belongs to, its deadline, the per-call
//! context its guest sees, and whether its client is still there. A leaf: it knows nothing of
//! pools or Stores.

use super::deadline::Deadline;
use crate::caps::context::{IdSource, Pctx};

/// Identifies one chain of calls, from the request or program run that started it, through
/// every service and every host it reaches (a remote call carries it in the `parigot-chain`
/// header). A call that would wait for an instance its own chain holds is refused at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainId(u64);

impl ChainId {
    /// A chain id no other chain of this host or another has (a random base per process,
    /// plus a counter).
    pub fn fresh() -> ChainId {
        static BASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let base = *BASE.get_or_init(crate::caps::context::random_u64);
        let id = base.wrapping_add(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        ChainId(if id == 0 { 1 } else { id })
    }

    /// Reads the form [`ChainId::header`] writes: 16 hex digits, not all zero.
    pub fn parse(text: &str) -> Option<ChainId> {
        if text.len() != 16 {
            return None;
        }
        let id = crate::encoding::hex_value(text)?;
        u64::try_from(id).ok().filter(|&id| id != 0).map(ChainId)
    }

    /// The id as the `parigot-chain` header carries it.
    pub fn header(self) -> String {
        format!("{:016x}", self.0)
    }

    pub(super) fn raw(self) -> u64 {
        self.0
    }
}

/// What a call carries from its caller: the chain it belongs to, its deadline, the per-call
/// context the guest sees and, for a call from a client outside the wos, whether the client
/// is still there.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub chain: ChainId,
    pub deadline: Option<Deadline>,
    pub pctx: Pctx,
    pub client: Option<ClientPresence>,
}

impl CallContext {
    /// The context of a call this one makes to another service: the same chain and deadline,
    /// a new span of the same trace. (Once a call has begun, it runs to its end or its
    /// deadline, whether its client stays or not: a guest is never stopped halfway for it.)
    pub fn for_callee(&self, ids: &IdSource) -> CallContext {
        CallContext { chain: self.chain, deadline: self.deadline, pctx: self.pctx.child(ids), client: None }
    }
}

/// Tells whether the client of a call from outside the wos is still there: a call that waits
/// for an instance is dropped when its client leaves. Made with [`ClientPresence::new`],
/// whose guard the request's handler holds.
#[derive(Debug, Clone)]
pub struct ClientPresence(tokio::sync::watch::Receiver<()>);

/// Held while the client of a call is there; dropped (with the request's handler) when the
/// client leaves.
#[derive(Debug)]
pub struct ClientHere {
    _here: tokio::sync::watch::Sender<()>,
}

impl ClientPresence {
    /// A presence, and the guard whose drop says the client left.
    pub fn new() -> (ClientHere, ClientPresence) {
        let (here, presence) = tokio::sync::watch::channel(());
        (ClientHere { _here: here }, ClientPresence(presence))
    }

    /// Waits until the client has left.
    pub async fn left(mut self) {
        while self.0.changed().await.is_ok() {}
    }
}
