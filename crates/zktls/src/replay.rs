//! The replay guard: each proof is accepted once.

use alloy_primitives::B256;
use parking_lot::Mutex;
use std::collections::HashSet;

/// Remembers which proofs were already used.
///
/// [`verify_once`](crate::verify_once) calls [`first_use`](SeenProofs::first_use) only after every other
/// check passed, so a rejected proof never consumes its identifier. A service backs this with its
/// database (an insert into a table with a unique key on the identifier); [`InMemorySeenProofs`] is
/// for tests and single-process tools.
pub trait SeenProofs {
    /// Records `identifier` and returns `true` the first time it is seen, `false` on every later call.
    /// Must be atomic: two concurrent calls with one identifier return `true` at most once.
    fn first_use(&self, identifier: B256) -> bool;
}

/// A [`SeenProofs`] held in process memory (lost on restart).
#[derive(Debug, Default)]
pub struct InMemorySeenProofs {
    seen: Mutex<HashSet<B256>>,
}

impl InMemorySeenProofs {
    /// An empty guard.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many distinct proofs were recorded.
    pub fn len(&self) -> usize {
        self.seen.lock().len()
    }

    /// Whether no proof was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.seen.lock().is_empty()
    }
}

impl SeenProofs for InMemorySeenProofs {
    fn first_use(&self, identifier: B256) -> bool {
        self.seen.lock().insert(identifier)
    }
}

impl<T: SeenProofs + ?Sized> SeenProofs for &T {
    fn first_use(&self, identifier: B256) -> bool {
        (**self).first_use(identifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_use_is_true_once_per_identifier() {
        let seen = InMemorySeenProofs::new();
        assert!(seen.is_empty());
        assert!(seen.first_use(B256::repeat_byte(1)));
        assert!(!seen.first_use(B256::repeat_byte(1)));
        assert!(seen.first_use(B256::repeat_byte(2)));
        assert_eq!(seen.len(), 2);
    }
}
