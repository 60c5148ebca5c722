//! The app worker: one thread that owns the [`Session`] (and so the SQLite connection) and runs
//! the UI's requests in order. Callbacks on the UI thread only enqueue work here; results go back
//! with `upgrade_in_event_loop`. This is how "the UI never blocks on I/O" is kept.

use std::sync::mpsc;
use std::thread;

use super::session::Session;

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// A handle to the worker; cheap to clone into every callback.
#[derive(Clone)]
pub struct Worker {
    jobs: mpsc::Sender<Job>,
}

impl Worker {
    /// Starts the worker thread with the session it owns from now on.
    pub fn spawn(mut session: Session) -> std::io::Result<Worker> {
        let (jobs, queue) = mpsc::channel::<Job>();
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
    pub fn run(&self, job: impl FnOnce(&mut Session) + Send + 'static) {
        if self.jobs.send(Box::new(job)).is_err() {
            tracing::error!("the app worker has stopped; the request is dropped");
        }
    }
}
