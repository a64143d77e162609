//! The bytes of upstream answers the gateway holds at once, across every
//! call. A JSON answer is held whole (its secrets are redacted and its
//! outcome audited before it goes on) and an event of a stream likewise, each
//! up to `MAX_MESSAGE_BYTES`: without a bound together, calls in flight times
//! 16 MiB. A call that finds the budget spent waits a little for room, then
//! is refused as busy.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The budget counts whole KiB.
const UNIT: usize = 1024;

/// How long a call waits for room in the budget.
const ROOM_WAIT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct AnswerBudget {
    units: Arc<Semaphore>,
    total_units: usize,
}

/// There is no room for an answer: the budget is held by others (or the
/// answer alone is larger than the whole of it).
#[derive(Debug)]
pub struct NoRoom;

impl AnswerBudget {
    pub fn new(total_bytes: usize) -> Self {
        let total_units = total_bytes.div_ceil(UNIT).max(1);
        Self {
            units: Arc::new(Semaphore::new(total_units)),
            total_units,
        }
    }

    /// A hold on no bytes yet, for one answer.
    pub fn hold(&self) -> Held {
        Held {
            budget: self.clone(),
            units: 0,
        }
    }
}

/// The bytes of the budget one answer holds, given back when dropped.
pub struct Held {
    budget: AnswerBudget,
    units: usize,
}

impl Held {
    /// Holds room for `bytes` in all, waiting up to `ROOM_WAIT` (and never
    /// past `deadline`) for others to give theirs back.
    pub async fn grow_to(&mut self, bytes: usize, deadline: Option<Instant>) -> Result<(), NoRoom> {
        let wanted = bytes.div_ceil(UNIT);
        if wanted <= self.units {
            return Ok(());
        }
        if wanted > self.budget.total_units {
            return Err(NoRoom);
        }
        let more = u32::try_from(wanted - self.units).map_err(|_| NoRoom)?;
        let until = deadline.map_or(Instant::now() + ROOM_WAIT, |deadline| {
            deadline.min(Instant::now() + ROOM_WAIT)
        });
        let permit = tokio::time::timeout_at(until, self.budget.units.acquire_many(more))
            .await
            .map_err(|_| NoRoom)?
            .map_err(|_| NoRoom)?;
        // Given back by hand as the hold shrinks or ends.
        permit.forget();
        self.units = wanted;
        Ok(())
    }

    /// Gives back all but `bytes`.
    pub fn shrink_to(&mut self, bytes: usize) {
        let kept = bytes.div_ceil(UNIT);
        if kept < self.units {
            self.budget.units.add_permits(self.units - kept);
            self.units = kept;
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.shrink_to(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_share_the_budget_and_wait_for_room_then_give_up() {
        let budget = AnswerBudget::new(10 * UNIT);
        let mut first = budget.hold();
        first.grow_to(6 * UNIT, None).await.unwrap();
        first.grow_to(7 * UNIT - 1, None).await.unwrap();
        let mut second = budget.hold();
        second.grow_to(3 * UNIT, None).await.unwrap();
        // No room for more: after its wait (here to a deadline soon), refused.
        let soon = Some(Instant::now() + Duration::from_millis(50));
        assert!(second.grow_to(4 * UNIT, soon).await.is_err());
        // Larger than the whole budget: refused at once.
        assert!(budget.hold().grow_to(11 * UNIT, None).await.is_err());
        // Room given back is taken by the next.
        first.shrink_to(UNIT);
        second.grow_to(9 * UNIT, None).await.unwrap();
        drop(second);
        drop(first);
        budget.hold().grow_to(10 * UNIT, None).await.unwrap();
    }
}
