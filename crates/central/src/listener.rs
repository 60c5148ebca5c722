//! The central's accept loop: axum's router served by hyper with the limits `axum::serve`
//! cannot set. A client has [`Limits::header_read_timeout`] to send a request's headers (a
//! silent connection, or one that sends half a header, is closed), and at most
//! [`Limits::max_connections`] connections are served at once: past it the next one waits in
//! the kernel's backlog until one closes, so descriptors never run out and honest terminals are
//! answered as soon as the silent ones are dropped.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::rate_limit::Quotas;

/// What one client may hold of the central.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_connections: usize,
    /// Also the longest a kept-alive connection may sit idle between two requests: hyper starts
    /// the same timer as soon as it waits for the next request's headers.
    pub header_read_timeout: Duration,
    /// What each device and each client address may ask in a minute.
    pub quotas: Quotas,
}

impl Default for Limits {
    /// 512 connections: room for a chain's terminals syncing at once, well below the common
    /// 1,024-descriptor limit (the database and the log take some). 10 s for a request's headers:
    /// a terminal on a slow 4G link sends them in well under a second.
    fn default() -> Self {
        Limits {
            max_connections: 512,
            header_read_timeout: Duration::from_secs(10),
            quotas: Quotas::default(),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes; the connections open then finish
/// what they are serving first.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => slot,
        };
        let Ok(slot) = slot else { break };
        let (stream, address) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, or a connection reset before it was accepted: the
                    // listener itself is fine; wait a moment rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // The handlers see the client's address (enrollment is limited per address) the way
        // axum's own `serve` would give it.
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(address));
                request
            },
        ));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%address, %error, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
