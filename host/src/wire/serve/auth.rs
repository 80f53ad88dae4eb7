//! Logging in at the edge: a request's `Authorization: Basic` credentials checked against the
//! wos's users, or the user a peer host of the same deployment sends along with its proof;
//! the functions `[auth] require-login` names refused without a login, and the answer to a
//! refused request: gRPC `UNAUTHENTICATED` / Connect 401, with the `WWW-Authenticate`
//! challenge.

use crate::manifest::AuthSpec;

use crate::names::InterfaceName;
use crate::runtime::ChainId;
use crate::users::{
    Authenticator, Denied, PROOF_HEADER, PeerClaim, PeerSecret, SeenNonces, USER_HEADER, decode_user, parse_basic,
    unix_now,
};
use http::HeaderValue;
use std::sync::Arc;
use tonic::Status;
use tonic::metadata::{MetadataMap, MetadataValue};

/// What a peer host of the deployment sent with a call, its proof checked.
#[derive(Debug, Clone)]
pub struct PeerCall {
    /// The chain the call belongs to.
    pub chain: ChainId,
    /// The chain's user, if someone logged in to it.
    pub user: Option<String>,
}

/// The header of the challenge, in both protocols.
pub const CHALLENGE_HEADER: &str = "www-authenticate";

/// The edge's check of credentials.
pub struct EdgeAuth {
    /// The wos's users; none when the host has none to check against (every login fails).
    users: Option<Arc<Authenticator>>,
    /// The deployment's secret: a peer's chain and user are accepted only with a proof made
    /// with it.
    peer: Option<PeerSecret>,
    /// The nonces of the peers' proofs accepted lately (each is accepted once).
    seen: SeenNonces,
    /// `Basic realm="...", charset="UTF-8"`.
    challenge: HeaderValue,
    spec: AuthSpec,
}

impl EdgeAuth {
    /// The check of `spec` (the wos's `[auth]`) against `users`, and of peers' users with
    /// `peer`.
    pub fn new(
        spec: &AuthSpec,
        users: Option<Arc<Authenticator>>,
        peer: Option<PeerSecret>,
    ) -> wasmtime::Result<EdgeAuth> {
        let challenge = HeaderValue::try_from(format!("Basic realm=\"{}\", charset=\"UTF-8\"", spec.realm))
            .map_err(|_| wasmtime::format_err!("`[auth]` `realm` cannot go in an HTTP header: use printable ASCII"))?;
        Ok(EdgeAuth { users, peer, seen: SeenNonces::default(), challenge, spec: spec.clone() })
    }

    /// Whether calling `function` of the exported `interface` needs a login.
    pub fn requires_login(&self, interface: &str, function: &str) -> bool {
        InterfaceName::parse(interface).is_some_and(|name| self.spec.requires_login(&name, function))
    }

    /// The `require-login` entries that name no function of `served` (interface, function)
    /// pairs: a typo would otherwise leave a function open.
    pub fn unused_rules<'a>(&self, served: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Vec<String> {
        self.spec
            .require_login
            .iter()
            .filter(|rule| {
                !served.clone().any(|(interface, function)| {
                    InterfaceName::parse(interface).is_some_and(|name| rule.covers(&name, function))
                })
            })
            .map(ToString::to_string)
            .collect()
    }

    /// The user a request with `headers` runs as: a peer host's (see [`EdgeAuth::peer_call`]),
    /// or the one its `Authorization` logs in as; none when it sends no credentials and
    /// `needs_login` is false. An `UNAUTHENTICATED` status when its credentials are malformed
    /// or wrong, or missing where `needs_login`.
    pub async fn user(
        &self,
        headers: &http::HeaderMap,
        peer: Option<&PeerCall>,
        client: Option<std::net::IpAddr>,
        needs_login: bool,
        path: &str,
    ) -> Result<Option<String>, Status> {
        if let Some(peer) = peer {
            if needs_login && peer.user.is_none() {
                return Err(self.unauthenticated(format!("`{path}` needs a login, and the calling chain has none")));
            }
            return Ok(peer.user.clone());
        }
        let Some(value) = headers.get(http::header::AUTHORIZATION) else {
            if needs_login {
                return Err(self.unauthenticated(format!(
                    "`{path}` needs a login: send `Authorization: Basic` with a user name and password"
                )));
            }
            return Ok(None);
        };
        let credentials = parse_basic(value.as_bytes()).map_err(|why| self.unauthenticated(why.to_string()))?;
        let Some(users) = &self.users else {
            return Err(self.unauthenticated(Denied::Wrong.to_string()));
        };
        match users.verify(credentials, client).await {
            Ok(user) => Ok(Some(user)),
            Err(Denied::Throttled(throttled)) => {
                tracing::info!("refused a login on `{path}` without checking it: {throttled}");
                Err(Status::resource_exhausted(throttled.to_string()))
            }
            Err(Denied::Unavailable(why)) => {
                tracing::error!("cannot check a login: {why}");
                Err(Status::unavailable(format!("cannot check logins now: {why}")))
            }
            Err(denied) => {
                tracing::debug!("refused a login on `{path}`: {denied}");
                Err(self.unauthenticated(denied.to_string()))
            }
        }
    }

    /// What a peer host of the deployment sent with a request of `method` addressed to
    /// `authority`: its chain and user, once its proof checks out. `None` for a request that
    /// carries none of parigot's headers (`parigot-chain`, `parigot-user`, the proof); one that
    /// carries any of them without a valid proof is refused (`UNAUTHENTICATED`): they are
    /// honoured only from a peer.
    pub fn peer_call(
        &self,
        headers: &http::HeaderMap,
        method: &str,
        authority: &str,
    ) -> Result<Option<PeerCall>, Status> {
        let text = |name: &str| headers.get(name).map(|value| value.to_str().unwrap_or("\u{fffd}"));
        let (chain, user, proof) = (text(crate::wire::CHAIN_HEADER), text(USER_HEADER), text(PROOF_HEADER));
        if chain.is_none() && user.is_none() && proof.is_none() {
            return Ok(None);
        }
        let refused = |why: &str| {
            tracing::info!("refused parigot's peer headers on `{method}`: {why}");
            self.unauthenticated(format!(
                "`{}`, `{USER_HEADER}` and `{PROOF_HEADER}` are accepted only from a parigot host of the same \
                 deployment: {why}",
                crate::wire::CHAIN_HEADER
            ))
        };
        let Some(peer) = &self.peer else { return Err(refused("this host has no `[auth] peer-secret-file`")) };
        let proof = proof.ok_or_else(|| refused(&format!("no `{PROOF_HEADER}` header")))?;
        let chain_text = chain.ok_or_else(|| refused("the call has no chain header"))?;
        let chain = ChainId::parse(chain_text).ok_or_else(|| refused("the chain id is not 16 hex digits"))?;
        let user =
            user.map(|user| decode_user(user).ok_or_else(|| refused("the user name is not valid"))).transpose()?;
        let claim = PeerClaim { user: user.as_deref(), chain: chain_text, method, authority };
        peer.verify(&claim, proof, unix_now(), &self.seen).map_err(|why| refused(&format!("its proof: {why}")))?;
        Ok(Some(PeerCall { chain, user }))
    }

    /// `UNAUTHENTICATED` with `message`, carrying the challenge (tonic sends status metadata
    /// as headers; the Connect side copies it).
    pub fn unauthenticated(&self, message: String) -> Status {
        let mut metadata = MetadataMap::new();
        let challenge = self.challenge.to_str().ok().and_then(|text| MetadataValue::try_from(text).ok());
        let challenge = challenge.expect("the realm is printable ASCII (the manifest checks it)");
        metadata.insert(CHALLENGE_HEADER, challenge);
        Status::with_metadata(tonic::Code::Unauthenticated, message, metadata)
    }
}
