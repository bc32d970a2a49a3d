//! In-process wake-ups: a writer tells the consumers of the same log in this process that it
//! wrote, so they read at once instead of waiting for the file watcher (which stays the path
//! for writes by other processes).

use std::sync::mpsc::Sender;
use std::sync::Mutex;

/// What a consumer's thread is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// New lines may be there; `rescan` if a new logfile may have appeared.
    Wake { rescan: bool },
    /// JavaScript has handled the last delivery.
    Ack,
    /// The consumer was stopped.
    Stop,
}

static SUBSCRIBERS: Mutex<Vec<(String, Sender<Signal>)>> = Mutex::new(Vec::new());

/// Registers a consumer of the log `key` (see `Pattern::absolute_key`).
pub fn subscribe(key: &str, tx: Sender<Signal>) {
    if let Ok(mut subs) = SUBSCRIBERS.lock() {
        subs.push((key.to_string(), tx));
    }
}

/// Wakes every consumer of `key`; forgets consumers that have ended.
pub fn notify(key: &str, rescan: bool) {
    if let Ok(mut subs) = SUBSCRIBERS.lock() {
        subs.retain(|(k, tx)| k != key || tx.send(Signal::Wake { rescan }).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_only_the_same_log_and_forgets_ended_consumers() {
        let (tx_a, rx_a) = std::sync::mpsc::channel();
        let (tx_b, rx_b) = std::sync::mpsc::channel();
        subscribe("/wake-test/a", tx_a);
        subscribe("/wake-test/b", tx_b);
        notify("/wake-test/a", true);
        assert_eq!(rx_a.try_recv(), Ok(Signal::Wake { rescan: true }));
        assert!(rx_b.try_recv().is_err());
        drop(rx_a);
        notify("/wake-test/a", false);
        let left = SUBSCRIBERS
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k == "/wake-test/a")
            .count();
        assert_eq!(left, 0);
    }
}
