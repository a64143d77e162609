//! The memory upstream answers take in the gateway at once, across every
//! call. A JSON answer is held whole (its secrets are redacted and its
//! outcome audited before it goes on) and an event of a stream likewise, each
//! up to 16 MiB; through `/mcp` the SDK also parses it, at many times its
//! bytes. Without a bound together: calls in flight times that. A call that
//! finds the budget spent waits a little for room, then is refused as busy.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore};
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

    /// The whole budget, in bytes.
    pub fn total_bytes(&self) -> usize {
        self.total_units * UNIT
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

/// Why an answer was not read: the memory it takes was not to be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Others hold the room, and did not give it back in time.
    Busy,
    /// This answer alone would take more than the whole budget (bytes).
    TooCostly(usize),
    /// An event of its stream is larger than the cap.
    TooLarge,
}

/// The room one request's answer holds, for a request sent through the SDK's
/// client (which reads and parses the answer out of our sight): put in the
/// request's extensions, it reaches our transport, which takes room in it
/// before each part of the answer is read and parsed. The room is held until
/// the sender drops its ticket, once the answer has gone on.
#[derive(Clone)]
pub struct AnswerTicket(Arc<Mutex<Ticket>>);

struct Ticket {
    held: Held,
    refused: Option<Refusal>,
}

impl AnswerTicket {
    pub fn new(budget: &AnswerBudget) -> Self {
        Self(Arc::new(Mutex::new(Ticket {
            held: budget.hold(),
            refused: None,
        })))
    }

    /// Holds room for `bytes` at least, as [`Held::grow_to`] does; when there
    /// is none, the ticket remembers why.
    pub async fn grow_to(&self, bytes: usize) -> Result<(), Refusal> {
        let mut ticket = self.0.lock().await;
        let total = ticket.held.budget.total_bytes();
        let outcome = if bytes > total {
            Err(Refusal::TooCostly(bytes))
        } else {
            ticket
                .held
                .grow_to(bytes, None)
                .await
                .map_err(|_| Refusal::Busy)
        };
        if let Err(refusal) = outcome {
            ticket.refused.get_or_insert(refusal);
        }
        outcome
    }

    /// Notes a refusal found outside the budget.
    pub async fn refuse(&self, refusal: Refusal) {
        self.0.lock().await.refused.get_or_insert(refusal);
    }

    /// Why the answer was not read, if it was not.
    pub async fn refused(&self) -> Option<Refusal> {
        self.0.lock().await.refused
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
