//! In-process wake-ups: a log's writer tells the log's consumers in this process that it wrote,
//! so they read at once instead of waiting for the file watcher (which stays the path for
//! writes by other processes). The log owns one `Wakes`; consumers subscribe to it.

use std::sync::{Mutex, Weak};

/// What a consumer's thread is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// New lines may be there; `rescan` if a new day may have appeared.
    Wake { rescan: bool },
    /// JavaScript has handled the last delivery.
    Ack,
    /// The consumer was stopped.
    Stop,
}

/// A consumer, as a writer sees it.
pub trait Subscriber: Send + Sync {
    /// Wakes its thread.
    fn wake(&self, rescan: bool);
    /// Takes its next step on the calling thread if it is idle and that cannot block (right
    /// after a write on the JavaScript thread), else wakes its thread.
    fn poll_here(&self, rescan: bool);
}

#[derive(Default)]
pub struct Wakes {
    subscribers: Mutex<Vec<Weak<dyn Subscriber>>>,
}

impl Wakes {
    pub fn subscribe(&self, s: Weak<dyn Subscriber>) {
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.retain(|w| w.strong_count() > 0);
            subs.push(s);
        }
    }

    /// Wakes every consumer's thread (from the writer thread, or the archiver).
    pub fn notify(&self, rescan: bool) {
        for s in self.live() {
            s.wake(rescan);
        }
    }

    /// Lets every consumer pick up a write just made on this thread (see `Subscriber`).
    pub fn poll_here(&self, rescan: bool) {
        for s in self.live() {
            s.poll_here(rescan);
        }
    }

    /// The consumers still there, taken out of the lock so that none is called under it.
    fn live(&self) -> Vec<std::sync::Arc<dyn Subscriber>> {
        match self.subscribers.lock() {
            Ok(mut subs) => {
                subs.retain(|w| w.strong_count() > 0);
                subs.iter().filter_map(Weak::upgrade).collect()
            }
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Default)]
    struct Counter(Mutex<Vec<(&'static str, bool)>>);
    impl Subscriber for Counter {
        fn wake(&self, rescan: bool) {
            self.0.lock().unwrap().push(("wake", rescan));
        }
        fn poll_here(&self, rescan: bool) {
            self.0.lock().unwrap().push(("poll", rescan));
        }
    }

    #[test]
    fn wakes_its_consumers_and_forgets_ended_ones() {
        let wakes = Wakes::default();
        let a = Arc::new(Counter::default());
        let b: Arc<dyn Subscriber> = Arc::new(Counter::default());
        let a_dyn: Arc<dyn Subscriber> = a.clone();
        wakes.subscribe(Arc::downgrade(&a_dyn));
        wakes.subscribe(Arc::downgrade(&b));
        drop(b);
        wakes.notify(true);
        wakes.poll_here(false);
        assert_eq!(*a.0.lock().unwrap(), vec![("wake", true), ("poll", false)]);
        assert_eq!(wakes.live().len(), 1);
    }
}
