//! The memory upstream answers take in the gateway at once, across every
//! call. A JSON answer is held whole (its secrets are redacted and its
//! outcome audited before it goes on) and an event of a stream likewise, each
//! up to 16 MiB; through `/mcp` the SDK also parses it, at many times its
//! bytes. Without a bound together: calls in flight times that. A call that
//! finds the budget spent waits a little for room, then is refused as busy.
//!
//! An answer whose size is not said takes room as it grows, so answers can
//! each hold part of the room and all wait for more, which none gives back.
//! Two rules keep that from lasting: room given back goes to answers that
//! already hold some before new ones, and when every answer holding room
//! waits for more, the youngest of them gives up (busy) and lets go of its
//! share. The oldest never gives up before its deadline, so answers finish.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};

use tokio::sync::{Mutex, Notify};
use tokio::time::Instant;

/// The budget counts whole KiB.
const UNIT: usize = 1024;

/// How long a call waits for room in the budget.
const ROOM_WAIT: Duration = Duration::from_secs(5);

/// How often an answer that waits for room looks again, unbidden (to see
/// whether it is the one to give up).
const LOOK_AGAIN: Duration = Duration::from_millis(50);

#[derive(Clone)]
pub struct AnswerBudget {
    shared: Arc<Shared>,
}

struct Shared {
    state: std::sync::Mutex<State>,
    /// Told when room is given back.
    freed: Notify,
    total_units: usize,
    /// Answers are numbered as they begin: a lower number is older.
    next_answer: AtomicU64,
}

struct State {
    available: usize,
    /// The answers waiting for room, by number: the units each holds.
    waiting: BTreeMap<u64, usize>,
}

/// There is no room for an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoom {
    /// Others hold it, and did not give it back in time.
    Taken,
    /// The answer alone wants more (bytes) than the whole budget.
    Beyond(usize),
}

impl From<NoRoom> for Refusal {
    fn from(no_room: NoRoom) -> Self {
        match no_room {
            NoRoom::Taken => Refusal::Busy,
            NoRoom::Beyond(bytes) => Refusal::TooCostly(bytes),
        }
    }
}

impl AnswerBudget {
    pub fn new(total_bytes: usize) -> Self {
        let total_units = total_bytes.div_ceil(UNIT).max(1);
        let state = State {
            available: total_units,
            waiting: BTreeMap::new(),
        };
        Self {
            shared: Arc::new(Shared {
                state: std::sync::Mutex::new(state),
                freed: Notify::new(),
                total_units,
                next_answer: AtomicU64::new(0),
            }),
        }
    }

    /// A hold on no bytes yet, for one answer.
    pub fn hold(&self) -> Held {
        Held {
            budget: self.clone(),
            units: 0,
            answer: self.shared.next_answer.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is left whole by every section that holds the lock.
        self.shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The bytes of the budget one answer holds, given back when dropped.
pub struct Held {
    budget: AnswerBudget,
    units: usize,
    answer: u64,
}

/// What an answer that wants more room does now.
enum Turn {
    Grown,
    Wait,
    GiveUp,
}

impl Held {
    /// Holds room for `bytes` in all, waiting up to `ROOM_WAIT` (and never
    /// past `deadline`) for others to give theirs back.
    pub async fn grow_to(&mut self, bytes: usize, deadline: Option<Instant>) -> Result<(), NoRoom> {
        let wanted = bytes.div_ceil(UNIT);
        if wanted <= self.units {
            return Ok(());
        }
        if wanted > self.budget.shared.total_units {
            return Err(NoRoom::Beyond(bytes));
        }
        let until = deadline.map_or(Instant::now() + ROOM_WAIT, |deadline| {
            deadline.min(Instant::now() + ROOM_WAIT)
        });
        let budget = self.budget.clone();
        let outcome = loop {
            // Listening before looking, so that room given back between
            // the two is not missed.
            let freed = budget.shared.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            match self.take(wanted) {
                Turn::Grown => break Ok(()),
                Turn::GiveUp => break Err(NoRoom::Taken),
                Turn::Wait => {}
            }
            let now = Instant::now();
            if now >= until {
                break Err(NoRoom::Taken);
            }
            let _ = tokio::time::timeout_at(until.min(now + LOOK_AGAIN), freed).await;
        };
        self.budget.state().waiting.remove(&self.answer);
        outcome
    }

    /// Takes the room for `wanted` units if it may, or says whether to wait
    /// or give up (above).
    fn take(&mut self, wanted: usize) -> Turn {
        let mut state = self.budget.state();
        let more = wanted - self.units;
        let holders_waiting = state
            .waiting
            .iter()
            .any(|(answer, units)| *units > 0 && *answer != self.answer);
        if state.available >= more && (self.units > 0 || !holders_waiting) {
            state.available -= more;
            state.waiting.remove(&self.answer);
            self.units = wanted;
            return Turn::Grown;
        }
        state.waiting.insert(self.answer, self.units);
        let held = self.budget.shared.total_units - state.available;
        let held_by_waiting: usize = state.waiting.values().sum();
        let youngest_holder = state
            .waiting
            .iter()
            .rev()
            .find(|(_, units)| **units > 0)
            .map(|(answer, _)| *answer);
        if held_by_waiting == held && youngest_holder == Some(self.answer) {
            state.waiting.remove(&self.answer);
            return Turn::GiveUp;
        }
        Turn::Wait
    }

    /// Gives back all but `bytes`.
    pub fn shrink_to(&mut self, bytes: usize) {
        let kept = bytes.div_ceil(UNIT);
        if kept < self.units {
            self.budget.state().available += self.units - kept;
            self.units = kept;
            self.budget.shared.freed.notify_waiters();
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.shrink_to(0);
    }
}

/// Why a body was not read whole.
#[derive(Debug)]
pub enum Unread<E> {
    /// Larger than the cap.
    TooLarge,
    /// No room for it in the budget.
    NoRoom(NoRoom),
    /// Not whole by the deadline.
    TimedOut,
    /// The body broke off.
    Broken(E),
}

/// A body of `declared` length (if said), read whole from `chunks` within
/// `max_bytes` and by `deadline`, taking room in `held` before memory:
/// `cost(bytes)` for what a buffer of `bytes` will cost, at once for a
/// declared length, else as the buffer grows (by doubling, within the cap).
pub async fn read_whole<E>(
    declared: Option<u64>,
    mut chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
    max_bytes: usize,
    held: &mut Held,
    deadline: Option<Instant>,
    cost: fn(usize) -> usize,
) -> Result<Vec<u8>, Unread<E>> {
    if declared.is_some_and(|length| length > max_bytes as u64) {
        return Err(Unread::TooLarge);
    }
    let mut body = Vec::new();
    if let Some(length) = declared.and_then(|length| usize::try_from(length).ok()) {
        held.grow_to(cost(length), deadline)
            .await
            .map_err(Unread::NoRoom)?;
        body.reserve_exact(length);
    }
    loop {
        let next = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, chunks.next())
                .await
                .map_err(|_| Unread::TimedOut)?,
            None => chunks.next().await,
        };
        let Some(chunk) = next else {
            return Ok(body);
        };
        let chunk = chunk.map_err(Unread::Broken)?;
        let length = body.len() + chunk.len();
        if length > max_bytes {
            return Err(Unread::TooLarge);
        }
        if body.capacity() < length {
            let grown = length.max(body.capacity() * 2).min(max_bytes);
            held.grow_to(cost(grown), deadline)
                .await
                .map_err(Unread::NoRoom)?;
            body.reserve_exact(grown - body.len());
        }
        body.extend_from_slice(&chunk);
    }
}

/// Why an answer was not read: the memory it takes was not to be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Others hold the room, and did not give it back in time.
    Busy,
    /// This answer alone would take more than the whole budget (bytes).
    TooCostly(usize),
    /// It, or an event of its stream, is larger than the cap.
    TooLarge,
}

/// The room one request's answer holds, for a request sent through the SDK's
/// client (which reads and parses the answer out of our sight): put in the
/// request's extensions, it reaches our transport, which takes room in it
/// before each part of the answer is read and parsed. The room is held until
/// the sender drops its ticket, once the answer has gone on.
#[derive(Clone)]
pub struct AnswerTicket(Arc<Mutex<Ticket>>);

/// A ticket as long as its sender keeps it.
#[derive(Clone)]
pub struct WeakTicket(std::sync::Weak<Mutex<Ticket>>);

impl WeakTicket {
    pub fn upgrade(&self) -> Option<AnswerTicket> {
        self.0.upgrade().map(AnswerTicket)
    }
}

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
        let outcome = ticket
            .held
            .grow_to(bytes, None)
            .await
            .map_err(Refusal::from);
        if let Err(refusal) = outcome {
            ticket.refused.get_or_insert(refusal);
        }
        outcome
    }

    /// Reads a body within the ticket's room, as [`read_whole`] does; when
    /// there is none, the ticket remembers why.
    pub async fn read_whole<E>(
        &self,
        declared: Option<u64>,
        chunks: impl Stream<Item = Result<Bytes, E>> + Unpin,
        max_bytes: usize,
        cost: fn(usize) -> usize,
    ) -> Result<Vec<u8>, Unread<E>> {
        let mut ticket = self.0.lock().await;
        let read = read_whole(declared, chunks, max_bytes, &mut ticket.held, None, cost).await;
        if let Err(Unread::NoRoom(no_room)) = read {
            ticket.refused.get_or_insert(no_room.into());
        }
        read
    }

    /// A handle that does not keep the room held.
    pub fn downgrade(&self) -> WeakTicket {
        WeakTicket(Arc::downgrade(&self.0))
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

    #[tokio::test]
    async fn a_hold_grows_into_free_room_while_a_larger_one_waits() {
        let budget = AnswerBudget::new(10 * UNIT);
        let mut first = budget.hold();
        first.grow_to(6 * UNIT, None).await.unwrap();
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.hold().grow_to(6 * UNIT, None).await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // A little more for the first, with 4 free, while 6 are waited for:
        // at once (in turn, it would wait behind the one that waits for it).
        let soon = Some(Instant::now() + Duration::from_millis(50));
        first.grow_to(7 * UNIT, soon).await.unwrap();
        drop(first);
        waiting.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn when_every_answer_holding_room_waits_for_more_the_youngest_gives_up() {
        let budget = AnswerBudget::new(10 * UNIT);
        let (mut older, mut younger) = (budget.hold(), budget.hold());
        older.grow_to(5 * UNIT, None).await.unwrap();
        younger.grow_to(5 * UNIT, None).await.unwrap();
        let started = Instant::now();
        let (older, younger) = tokio::join!(
            async move { older.grow_to(8 * UNIT, None).await },
            // Its room is given back as its answer is dropped.
            async move { younger.grow_to(8 * UNIT, None).await },
        );
        assert_eq!(younger, Err(NoRoom::Taken));
        assert_eq!(older, Ok(()));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
