//! The threads that derive receipts' keys (DESIGN §10): [`MAX_DERIVATIONS`] of them, each with
//! one Argon2id workspace it reuses, at a lower scheduling priority than serving requests.
//!
//! Job: run derivations for status checks (refused at once when every thread is busy) and for
//! the pool of fresh receipts (which waits for a thread).
//! Invariant: at most [`MAX_DERIVATIONS`] derivations run at once, in at most that many
//! workspaces of 19 MiB, allocated once each, on first use, and wiped after every derivation; a
//! status check is never queued behind another.
//! Never: derives on a request's async thread, or keeps a receipt or key after its answer.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

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
    jobs: SyncSender<Job>,
}

impl Deriver {
    /// Starts [`MAX_DERIVATIONS`] threads deriving with `salt`. Their workspaces are allocated at
    /// their first derivation, so an idle server holds none.
    pub fn start(salt: [u8; 32]) -> Deriver {
        Deriver::with_threads(salt, MAX_DERIVATIONS)
    }

    fn with_threads(salt: [u8; 32], threads: usize) -> Deriver {
        // A rendezvous channel: a job is taken only by a thread waiting for one, so `try_send`
        // fails exactly when every thread is busy.
        let (jobs, waiting) = sync_channel::<Job>(0);
        let waiting = Arc::new(Mutex::new(waiting));
        for index in 0..threads {
            let waiting = waiting.clone();
            let spawned =
                std::thread::Builder::new().name(format!("derive-{index}")).spawn(move || work(&waiting, &salt));
            if spawned.is_err() {
                tracing::error!("cannot start a deriving thread; receipts and status checks have fewer");
            }
        }
        Deriver { jobs }
    }

    /// Derives `receipt`'s keys if a thread is free now; `None` when all
    /// [`MAX_DERIVATIONS`] are busy (never queued: a queue would let a flood hold everyone's page).
    pub async fn try_derive(&self, receipt: Receipt) -> Option<ThreadKeys> {
        let (answer, keys) = tokio::sync::oneshot::channel();
        match self.jobs.try_send(Job { receipt, answer: Answer::Async(answer) }) {
            Ok(()) => keys.await.ok(),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => None,
        }
    }

    /// Derives `receipt`'s keys, waiting for a free thread (blocking: the pool's worker calls
    /// it); gives the receipt back with them.
    pub fn derive(&self, receipt: Receipt) -> Option<(Receipt, ThreadKeys)> {
        let (answer, keys) = std::sync::mpsc::channel();
        self.jobs.send(Job { receipt, answer: Answer::Blocking(answer) }).ok()?;
        keys.recv().ok()
    }
}

/// One deriving thread: takes jobs until every [`Deriver`] is gone.
fn work(waiting: &Mutex<Receiver<Job>>, salt: &[u8; 32]) {
    lower_priority();
    let mut workspace: Option<Workspace> = None;
    loop {
        let job = match waiting.lock().unwrap_or_else(PoisonError::into_inner).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let keys = derive_in(&job.receipt, salt, workspace.get_or_insert_with(Workspace::new));
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
    async fn when_no_thread_is_free_a_status_check_is_refused_at_once_not_queued() {
        // No thread waits for a job: as when every one is busy. A queued check would hang here.
        let none_free = Deriver::with_threads([0; 32], 0);
        assert!(none_free.try_derive(Receipt::random()).await.is_none());
        let deriver = Deriver::start([0; 32]);
        let mut answered = None;
        for _ in 0..1000 {
            // The threads start waiting for jobs a moment after they are spawned.
            answered = deriver.try_derive(Receipt::random()).await;
            if answered.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert!(answered.is_some(), "a free thread answers");
    }

    #[test]
    fn the_threads_derive_what_the_function_derives() {
        let deriver = Deriver::start([4; 32]);
        let receipt = Receipt::random();
        let again = Receipt::parse(&receipt.to_groups()).unwrap_or_else(|p| panic!("{p:?}"));
        let (back, keys) = deriver.derive(receipt).unwrap_or_else(|| panic!("no answer"));
        assert_eq!(back.secret(), again.secret());
        assert_eq!(keys.thread, super::super::derive(&again, &[4; 32]).thread);
    }
}
