//! In-memory FIFO queue with SQS FIFO deduplication (same dedup id within 5 minutes is dropped).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use super::{Queue, QueueError, QueueMessage};
use crate::ports::clock::Clock;

const DEDUP_WINDOW: SignedDuration = SignedDuration::from_mins(5);

#[derive(Default)]
struct State {
    items: VecDeque<QueueMessage>,
    dedup: HashMap<String, Timestamp>,
}

pub struct MemoryQueue {
    state: Mutex<State>,
    /// Scripted outcomes of the next sends: `None` passes, `Some` fails.
    faults: Mutex<VecDeque<Option<QueueError>>>,
    clock: Arc<dyn Clock>,
}

impl MemoryQueue {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Mutex::default(),
            faults: Mutex::default(),
            clock,
        }
    }

    /// The next `errors.len()` sends fail with these errors, in order, accepting nothing.
    pub fn inject_faults(&self, errors: impl IntoIterator<Item = QueueError>) {
        lock(&self.faults).extend(errors.into_iter().map(Some));
    }

    /// The next `passes` sends succeed, then the following ones fail with `errors`.
    pub fn fail_after(&self, passes: usize, errors: impl IntoIterator<Item = QueueError>) {
        let mut faults = lock(&self.faults);
        faults.extend(std::iter::repeat_n(None, passes));
        faults.extend(errors.into_iter().map(Some));
    }

    /// Takes up to `max` items off the queue, oldest first.
    pub fn receive(&self, max: usize) -> Vec<QueueMessage> {
        let mut state = lock(&self.state);
        let n = max.min(state.items.len());
        state.items.drain(..n).collect()
    }

    /// What is on the queue, without taking it.
    pub fn peek(&self) -> Vec<QueueMessage> {
        lock(&self.state).items.iter().cloned().collect()
    }

    /// What is on the queue, parsed as `T` (messages that do not parse are left out).
    pub fn peek_as<T: serde::de::DeserializeOwned>(&self) -> Vec<T> {
        lock(&self.state)
            .items
            .iter()
            .filter_map(|m| m.parse().ok())
            .collect()
    }

    pub fn len(&self) -> usize {
        lock(&self.state).items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn send(&self, items: &[QueueMessage]) -> Result<(), QueueError> {
        if let Some(Some(fault)) = lock(&self.faults).pop_front() {
            return Err(fault);
        }
        let now = self.clock.now();
        let mut state = lock(&self.state);
        state
            .dedup
            .retain(|_, at| now.duration_since(*at) < DEDUP_WINDOW);
        for item in items {
            if state.dedup.contains_key(&item.dedup_id) {
                continue;
            }
            state.dedup.insert(item.dedup_id.clone(), now);
            state.items.push_back(item.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ConversationKey, PhoneNumberId, TicketId, WaId, Wamid};
    use crate::ports::clock::ManualClock;

    fn item(wamid: &str, at: Timestamp) -> QueueMessage {
        crate::ports::queue::InboundQueueItem {
            v: crate::ports::queue::InboundQueueItem::VERSION,
            ticket_id: TicketId::new(at),
            wamid: Wamid::parse(wamid).unwrap(),
            key: ConversationKey {
                phone_number_id: PhoneNumberId::parse("1065").unwrap(),
                wa_id: WaId::parse("4915112345678").unwrap(),
            },
            sent_at: at,
            opened_ticket: false,
        }
        .to_message()
    }

    #[tokio::test]
    async fn drops_a_repeated_dedup_id_within_five_minutes_like_sqs_fifo() {
        let start: Timestamp = "2026-11-01T08:00:00Z".parse().unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let queue = MemoryQueue::new(clock.clone());
        queue.send(&[item("wamid.a", start)]).await.unwrap();
        queue.send(&[item("wamid.a", start)]).await.unwrap();
        assert_eq!(queue.len(), 1);
        clock.advance(SignedDuration::from_mins(6));
        queue.send(&[item("wamid.a", start)]).await.unwrap();
        assert_eq!(queue.len(), 2);
    }

    #[tokio::test]
    async fn an_injected_fault_accepts_nothing() {
        let start: Timestamp = "2026-11-01T08:00:00Z".parse().unwrap();
        let queue = MemoryQueue::new(Arc::new(ManualClock::new(start)));
        queue.inject_faults([QueueError::Unavailable("down".into())]);
        assert!(queue.send(&[item("wamid.a", start)]).await.is_err());
        assert!(queue.is_empty());
        queue.send(&[item("wamid.a", start)]).await.unwrap();
        assert_eq!(queue.receive(10).len(), 1);
    }
}
