//! How many of something each key may hold at once (sessions per token,
//! streams per server): a slot is taken at once or refused at once, never
//! waited for, and given back when dropped.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

pub struct Quota<K: Hash + Eq + Clone> {
    limit: usize,
    held: Mutex<HashMap<K, usize>>,
}

/// One slot of a key's quota, held until dropped.
pub struct QuotaSlot<K: Hash + Eq + Clone> {
    quota: Arc<Quota<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Quota<K> {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit,
            held: Mutex::default(),
        })
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A slot for `key`, unless it holds its limit already.
    pub fn try_take(self: &Arc<Self>, key: K) -> Option<QuotaSlot<K>> {
        let mut held = self.held.lock().ok()?;
        let count = held.entry(key.clone()).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(QuotaSlot {
            quota: Arc::clone(self),
            key,
        })
    }
}

impl<K: Hash + Eq + Clone> Drop for QuotaSlot<K> {
    fn drop(&mut self) {
        if let Ok(mut held) = self.quota.held.lock()
            && let Some(count) = held.get_mut(&self.key)
        {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_its_limit_until_it_gives_one_back() {
        let quota = Quota::new(2);
        let first = quota.try_take("a").unwrap();
        let _second = quota.try_take("a").unwrap();
        assert!(quota.try_take("a").is_none());
        assert!(quota.try_take("b").is_some(), "each key has its own");
        drop(first);
        let _third = quota.try_take("a").unwrap();
        assert!(quota.try_take("a").is_none());
    }
}
