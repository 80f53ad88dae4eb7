//! Throttling failed logins: past a number of failures in a window, for one user name or from
//! one client address, further attempts are refused at once (no password hash is computed for
//! them) until the window ends. A flood of wrong passwords therefore costs the host a bounded
//! amount of hashing per user and per address, and calls that need no login are not held up.
//!
//! What it remembers is bounded too: past [`MAX_KEYS`] names and addresses, the ones whose
//! window has ended are forgotten, and if none has, everything is.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long failures are counted for, from the first one.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Failed logins for one user name within a window before its attempts are refused.
pub const FAILURES_PER_USER: u32 = 10;

/// Failed logins from one client address within a window before its attempts are refused.
pub const FAILURES_PER_ADDRESS: u32 = 30;

/// The most user names and addresses remembered at once.
const MAX_KEYS: usize = 10_000;

/// Whom failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    User(String),
    Address(IpAddr),
}

/// Failures of one key in its current window.
#[derive(Debug)]
struct Failures {
    since: Instant,
    count: u32,
}

/// The failed logins of a wos, by user name and by client address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<BTreeMap<Key, Failures>>,
}

/// A login refused without checking its password: how long until it may be tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub what: String,
    pub retry_after: Duration,
}

impl std::fmt::Display for Throttled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "too many failed logins {}; try again in {} s", self.what, self.retry_after.as_secs().max(1))
    }
}

impl std::error::Error for Throttled {}

impl LoginThrottle {
    /// Whether a login as `user` from `address` may be checked now.
    pub fn check(&self, user: &str, address: Option<IpAddr>) -> Result<(), Throttled> {
        let now = Instant::now();
        let failures = self.lock();
        let over = |key: &Key, limit: u32| {
            let entry = failures.get(key)?;
            let left = WINDOW.checked_sub(now.duration_since(entry.since))?;
            (entry.count >= limit).then_some(left)
        };
        if let Some(retry_after) = over(&Key::User(user.to_owned()), FAILURES_PER_USER) {
            return Err(Throttled { what: format!("for user `{user}`"), retry_after });
        }
        if let Some(address) = address
            && let Some(retry_after) = over(&Key::Address(address), FAILURES_PER_ADDRESS)
        {
            return Err(Throttled { what: format!("from {address}"), retry_after });
        }
        Ok(())
    }

    /// Counts a failed login as `user` from `address`.
    pub fn failed(&self, user: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() + 2 > MAX_KEYS {
            failures.retain(|_, entry| now.duration_since(entry.since) < WINDOW);
            if failures.len() + 2 > MAX_KEYS {
                failures.clear();
            }
        }
        let keys = std::iter::once(Key::User(user.to_owned())).chain(address.map(Key::Address));
        for key in keys {
            let entry = failures.entry(key).or_insert(Failures { since: now, count: 0 });
            if now.duration_since(entry.since) >= WINDOW {
                *entry = Failures { since: now, count: 0 };
            }
            entry.count += 1;
        }
    }

    /// A successful login as `user`: its failures are forgotten (its address's are not).
    pub fn succeeded(&self, user: &str) {
        self.lock().remove(&Key::User(user.to_owned()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Failures>> {
        crate::kernel::lock(&self.failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_and_an_address_are_refused_past_their_failures_and_a_success_forgives_the_user() {
        let throttle = LoginThrottle::default();
        let here: IpAddr = "127.0.0.1".parse().unwrap();
        let there: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..FAILURES_PER_USER {
            assert_eq!(throttle.check("ada", Some(here)), Ok(()));
            throttle.failed("ada", Some(here));
        }
        let refused = throttle.check("ada", Some(there)).unwrap_err();
        assert!(refused.to_string().starts_with("too many failed logins for user `ada`; try again in "), "{refused}");
        assert_eq!(throttle.check("bob", Some(there)), Ok(()), "another user, another address");
        throttle.succeeded("ada");
        assert_eq!(throttle.check("ada", Some(there)), Ok(()));
        // One address trying many names.
        for n in 0..FAILURES_PER_ADDRESS {
            throttle.failed(&format!("user{n}"), Some(there));
        }
        let refused = throttle.check("carol", Some(there)).unwrap_err();
        assert!(refused.to_string().starts_with("too many failed logins from 127.0.0.2"), "{refused}");
        assert_eq!(throttle.check("carol", Some(here)), Ok(()));
    }

    #[test]
    fn what_it_remembers_is_bounded() {
        let throttle = LoginThrottle::default();
        for n in 0..(MAX_KEYS + 10) {
            throttle.failed(&format!("user{n}"), None);
        }
        assert!(throttle.lock().len() <= MAX_KEYS);
    }
}
