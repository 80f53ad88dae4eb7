//! A bounded count of waiters: how the host bounds the calls that wait for an instance and
//! the logins that wait for a password check. A waiter takes a place, or is refused at once
//! when all are taken; its place is given back when it stops waiting (however it stops).

use std::sync::atomic::{AtomicUsize, Ordering};

/// At most `limit` waiters at once.
#[derive(Debug)]
pub struct WaitQueue {
    waiting: AtomicUsize,
    limit: usize,
}

/// A place in a [`WaitQueue`], given back when dropped.
#[derive(Debug)]
pub struct Place<'a>(&'a AtomicUsize);

impl WaitQueue {
    /// A queue of at most `limit` waiters.
    pub fn new(limit: usize) -> WaitQueue {
        WaitQueue { waiting: AtomicUsize::new(0), limit }
    }

    /// How many may wait at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A place, or `None` when `limit` waiters already have one.
    pub fn join(&self) -> Option<Place<'_>> {
        let ahead = self.waiting.fetch_add(1, Ordering::AcqRel);
        let place = Place(&self.waiting);
        (ahead < self.limit).then_some(place)
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_refused_past_the_limit_and_given_back() {
        let queue = WaitQueue::new(2);
        let first = queue.join().expect("a place");
        let second = queue.join().expect("a place");
        assert!(queue.join().is_none(), "full");
        drop(first);
        let third = queue.join().expect("a place given back");
        assert!(queue.join().is_none());
        drop((second, third));
        assert!(queue.join().is_some());
        assert!(WaitQueue::new(0).join().is_none(), "a queue of none refuses every waiter");
    }
}
