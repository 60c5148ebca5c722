//! The app worker: one thread that owns the [`Session`] (and so the SQLite connection) and runs
//! the UI's requests in order. Callbacks on the UI thread only enqueue work here; results go back
//! with `upgrade_in_event_loop`. This is how "the UI never blocks on I/O" is kept.
//!
//! The state it owns is the staff terminal's [`Session`] by default; the kiosk's worker owns a
//! `KioskSession` instead, which has no room for a staff member or a basket.

use std::sync::mpsc;
use std::thread;

use super::session::Session;

type Job<S> = Box<dyn FnOnce(&mut S) + Send>;

/// A handle to the worker; cheap to clone into every callback.
pub struct Worker<S = Session> {
    jobs: mpsc::Sender<Job<S>>,
}

// Not derived: the derive would ask `S: Clone`, and the session is never cloned.
impl<S> Clone for Worker<S> {
    fn clone(&self) -> Self {
        Worker {
            jobs: self.jobs.clone(),
        }
    }
}

impl<S: Send + 'static> Worker<S> {
    /// Starts the worker thread with the session it owns from now on.
    pub fn spawn(mut session: S) -> std::io::Result<Worker<S>> {
        let (jobs, queue) = mpsc::channel::<Job<S>>();
        thread::Builder::new()
            .name("comptoir-app".to_owned())
            .spawn(move || {
                // Ends when every Worker handle (and so the window) is gone.
                for job in queue {
                    job(&mut session);
                }
            })?;
        Ok(Worker { jobs })
    }

    /// Runs `job` on the worker thread, after the jobs already queued.
    pub fn run(&self, job: impl FnOnce(&mut S) + Send + 'static) {
        if self.jobs.send(Box::new(job)).is_err() {
            tracing::error!("the app worker has stopped; the request is dropped");
        }
    }
}
