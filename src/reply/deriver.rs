//! The threads that derive receipts' keys (DESIGN §10): [`MAX_DERIVATIONS`] of them, each with
//! one Argon2id workspace it reuses, at a lower scheduling priority than serving requests.
//!
//! Job: run derivations for status checks (refused at once when every thread is busy) and for
//! the pool of fresh receipts (which waits for a thread).
//! Invariant: at most [`MAX_DERIVATIONS`] derivations run at once, in at most that many
//! workspaces of 19 MiB, allocated once each, on first use, and wiped after every derivation; a
//! status check is never queued behind another, and the pool never takes the last free slot.
//! Never: derives on a request's async thread, or keeps a receipt or key after its answer.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use super::keys::{ThreadKeys, Workspace, derive_in};
use super::receipt::Receipt;

/// Derivations that may run at once, each on its own thread with its own 19 MiB: about 40 MiB
/// in all, so the server's peak stays within DESIGN §7's 64 MiB while they run.
pub const MAX_DERIVATIONS: usize = 2;

/// How much nicer than the rest of the server the deriving threads run (Linux `nice`): a flood of
/// status checks or a pool refill slows down before submissions and pages do.
const DERIVING_NICENESS: i32 = 10;

/// Where an answer goes.
enum Answer {
    Async(tokio::sync::oneshot::Sender<ThreadKeys>),
    /// The pool's: the receipt comes back with its keys.
    Blocking(std::sync::mpsc::Sender<(Receipt, ThreadKeys)>),
}

struct Job {
    receipt: Receipt,
    answer: Answer,
}

/// The deriving threads; cheap to clone. They end when the last clone is dropped.
#[derive(Clone)]
pub struct Deriver {
    jobs: Sender<Job>,
    slots: Arc<Slots>,
}

/// Derivations running or handed to a thread: never more than [`MAX_DERIVATIONS`]. A job is
/// sent only with a slot, so no job ever waits behind another.
struct Slots {
    taken: Mutex<Taken>,
    freed: Condvar,
}

#[derive(Default)]
struct Taken {
    /// Slots in use.
    count: usize,
    /// The pool runs low and waits for a slot: status checks leave it one.
    pool_waiting: bool,
}

impl Slots {
    fn taken(&self) -> std::sync::MutexGuard<'_, Taken> {
        self.taken.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn give_back(&self) {
        let mut taken = self.taken();
        taken.count = taken.count.saturating_sub(1);
        self.freed.notify_all();
    }
}

impl Deriver {
    /// Starts [`MAX_DERIVATIONS`] threads deriving with `salt`. Their workspaces are allocated at
    /// their first derivation, so an idle server holds none.
    pub fn start(salt: [u8; 32]) -> Deriver {
        let (jobs, waiting) = channel::<Job>();
        let waiting = Arc::new(Mutex::new(waiting));
        let slots = Arc::new(Slots { taken: Mutex::new(Taken::default()), freed: Condvar::new() });
        for index in 0..MAX_DERIVATIONS {
            let (waiting, slots) = (waiting.clone(), slots.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("derive-{index}"))
                .spawn(move || work(&waiting, &slots, &salt));
            if spawned.is_err() {
                tracing::error!("cannot start a deriving thread; receipts and status checks have fewer");
            }
        }
        Deriver { jobs, slots }
    }

    /// Derives `receipt`'s keys if fewer than [`MAX_DERIVATIONS`] run now; `None` otherwise
    /// (never queued: a queue would let a flood hold everyone's page).
    pub async fn try_derive(&self, receipt: Receipt) -> Option<ThreadKeys> {
        {
            let mut taken = self.slots.taken();
            let open = if taken.pool_waiting { MAX_DERIVATIONS - 1 } else { MAX_DERIVATIONS };
            if taken.count >= open {
                return None;
            }
            taken.count += 1;
        }
        let (answer, keys) = tokio::sync::oneshot::channel();
        if self.jobs.send(Job { receipt, answer: Answer::Async(answer) }).is_err() {
            self.slots.give_back();
            return None;
        }
        keys.await.ok()
    }

    /// Derives `receipt`'s keys for the pool (blocking: the pool's worker calls it) and gives the
    /// receipt back with them. While the pool is well stocked it waits until no other derivation
    /// runs, leaving a slot for status checks; when it runs `low`, status checks leave it one, so
    /// a flood of them cannot stop receipts being made.
    pub fn derive(&self, receipt: Receipt, low: bool) -> Option<(Receipt, ThreadKeys)> {
        {
            let mut taken = self.slots.taken();
            let limit = if low { MAX_DERIVATIONS } else { MAX_DERIVATIONS.saturating_sub(1).max(1) };
            while taken.count >= limit {
                taken.pool_waiting = low;
                taken = self.slots.freed.wait(taken).unwrap_or_else(PoisonError::into_inner);
            }
            taken.pool_waiting = false;
            taken.count += 1;
        }
        let (answer, keys) = std::sync::mpsc::channel();
        if self.jobs.send(Job { receipt, answer: Answer::Blocking(answer) }).is_err() {
            self.slots.give_back();
            return None;
        }
        keys.recv().ok()
    }
}

/// One deriving thread: takes jobs until every [`Deriver`] is gone.
fn work(waiting: &Mutex<Receiver<Job>>, slots: &Slots, salt: &[u8; 32]) {
    lower_priority();
    let mut workspace: Option<Workspace> = None;
    loop {
        let job = match waiting.lock().unwrap_or_else(PoisonError::into_inner).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let keys = derive_in(&job.receipt, salt, workspace.get_or_insert_with(Workspace::new));
        slots.give_back();
        // The asker may be gone (the client left); what it would have had is then dropped, and wiped.
        match job.answer {
            Answer::Async(answer) => drop(answer.send(keys)),
            Answer::Blocking(answer) => drop(answer.send((job.receipt, keys))),
        }
    }
}

/// Makes the calling thread nicer than the rest of the process (best effort: a failure leaves it
/// at the process's priority, which is only slower for everyone else).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let thread = rustix::thread::gettid();
        let current = rustix::process::getpriority_process(Some(thread)).unwrap_or(0);
        let _ = rustix::process::setpriority_process(Some(thread), current.saturating_add(DERIVING_NICENESS).min(19));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn over_the_bound_a_status_check_is_refused_at_once_not_queued() {
        let deriver = Deriver::start([0; 32]);
        deriver.slots.taken().count = MAX_DERIVATIONS;
        // A queued check would hang here: the slots are held.
        assert!(deriver.try_derive(Receipt::random()).await.is_none());
        deriver.slots.taken().count = MAX_DERIVATIONS - 1;
        assert!(deriver.try_derive(Receipt::random()).await.is_some(), "a free slot answers");
        assert_eq!(deriver.slots.taken().count, MAX_DERIVATIONS - 1, "and is given back");
        // A pool running low and waiting: the last free slot is its.
        deriver.slots.taken().pool_waiting = true;
        assert!(deriver.try_derive(Receipt::random()).await.is_none());
    }

    #[test]
    fn the_pool_leaves_a_slot_for_status_checks() {
        let deriver = Deriver::start([0; 32]);
        deriver.slots.taken().count = MAX_DERIVATIONS - 1;
        let pool = deriver.clone();
        let waiting = std::thread::spawn(move || pool.derive(Receipt::random(), false).is_some());
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiting.is_finished(), "a stocked pool waits while only one slot is free");
        deriver.slots.give_back();
        assert!(waiting.join().unwrap_or(false), "and derives once two are");
        // Running low, it takes the last free slot.
        deriver.slots.taken().count = MAX_DERIVATIONS - 1;
        assert!(deriver.derive(Receipt::random(), true).is_some());
    }

    #[test]
    fn the_threads_derive_what_the_function_derives() {
        let deriver = Deriver::start([4; 32]);
        let receipt = Receipt::random();
        let again = Receipt::parse(&receipt.to_groups()).unwrap_or_else(|p| panic!("{p:?}"));
        let (back, keys) = deriver.derive(receipt, false).unwrap_or_else(|| panic!("no answer"));
        assert_eq!(back.secret(), again.secret());
        assert_eq!(keys.thread, super::super::derive(&again, &[4; 32]).thread);
    }
}
