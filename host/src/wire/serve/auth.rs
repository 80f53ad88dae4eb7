//! Logging in at the edge: a request's `Authorization: Basic` credentials checked against the
//! wos's users, the functions `[auth] require-login` names refused without a login, and the
//! answer to a refused request: gRPC `UNAUTHENTICATED` / Connect 401, with the
//! `WWW-Authenticate` challenge.

use crate::manifest::{AuthSpec, InterfaceName};
use crate::users::{Authenticator, Denied, parse_basic};
use http::HeaderValue;
use std::sync::Arc;
use tonic::Status;
use tonic::metadata::{MetadataMap, MetadataValue};

/// The header of the challenge, in both protocols.
pub const CHALLENGE_HEADER: &str = "www-authenticate";

/// The edge's check of credentials.
pub struct EdgeAuth {
    /// The wos's users; none when the host has none to check against (every login fails).
    users: Option<Arc<Authenticator>>,
    /// `Basic realm="...", charset="UTF-8"`.
    challenge: HeaderValue,
    spec: AuthSpec,
}

impl EdgeAuth {
    /// The check of `spec` (the wos's `[auth]`) against `users`.
    pub fn new(spec: &AuthSpec, users: Option<Arc<Authenticator>>) -> wasmtime::Result<EdgeAuth> {
        let challenge = HeaderValue::try_from(format!("Basic realm=\"{}\", charset=\"UTF-8\"", spec.realm))
            .map_err(|_| wasmtime::format_err!("`[auth]` `realm` cannot go in an HTTP header: use printable ASCII"))?;
        Ok(EdgeAuth { users, challenge, spec: spec.clone() })
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

    /// The user a request with `authorization` (its header, if any) logs in as: none when it
    /// sends no credentials and `needs_login` is false; an `UNAUTHENTICATED` status when its
    /// credentials are malformed or wrong, or missing where `needs_login`.
    pub async fn user(
        &self,
        authorization: Option<&HeaderValue>,
        needs_login: bool,
        path: &str,
    ) -> Result<Option<String>, Status> {
        let Some(value) = authorization else {
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
        match users.verify(credentials).await {
            Ok(user) => Ok(Some(user)),
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
