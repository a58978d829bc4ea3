//! `AcceptLoop`: how a production listener serves a router. It accepts TCP connections, holds
//! at most `connections_max` at once, runs the TLS handshake (bounded in time) when the node
//! has a certificate, then hands each connection to hyper's HTTP/1.1 server.
//!
//! Past the bound the loop stops calling `accept`: new connections wait in the kernel's listen
//! backlog (the client's connect succeeds, its request waits) until a connection closes, and
//! once the backlog is full the kernel refuses or drops further SYNs. Nothing is read from a
//! waiting connection, so a flood costs the node no memory and no task. Each listener (the API
//! and the peer link) has its own bound, so a flood of API clients cannot starve Raft.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;
use tracing::Instrument;

use crate::limits;
use crate::shutdown::Shutdown;
use crate::tls::ServerTls;

pub struct AcceptLoop {
    pub listener: TcpListener,
    pub router: Router,
    pub tls: Option<ServerTls>,
    pub connections_max: usize,
    pub shutdown: Shutdown,
}

impl AcceptLoop {
    /// Serves until shutdown, then lets every open connection finish its request (idle
    /// keep-alive connections close at once) and returns when the last one has closed.
    pub async fn run(self) -> io::Result<()> {
        let Self { listener, router, tls, connections_max, shutdown } = self;
        let slots = Arc::new(Semaphore::new(connections_max));
        let stop = shutdown.clone().requested();
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                _ = &mut stop => break,
                accepted = accept_within_bound(&listener, &slots) => accepted,
            };
            let Some((stream, remote, slot)) = accepted else { continue };
            let connection = Connection { router: router.clone(), remote, slot };
            let task = connection.serve(stream, tls.clone(), shutdown.clone());
            tokio::spawn(task.in_current_span());
        }
        drop(listener);
        // Every connection holds a slot until it closes: all slots back means all closed.
        let bound = u32::try_from(connections_max).unwrap_or(u32::MAX);
        let _all = slots.acquire_many(bound).await;
        Ok(())
    }
}

/// Waits for a free slot, then for a connection. `None` after an accept error that only
/// concerned one connection, or after a pause when the process is out of file descriptors.
async fn accept_within_bound(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> Option<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    // The semaphore is never closed, so acquiring fails never.
    let slot = slots.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, remote)) => {
            // As axum::serve does: small answers leave at once.
            let _ = stream.set_nodelay(true);
            Some((stream, remote, slot))
        }
        Err(error) if is_connection_error(&error) => None,
        Err(error) => {
            // EMFILE and the like: accepting again at once would spin.
            tracing::error!(%error, "accept failed; pausing");
            tokio::time::sleep(limits::ACCEPT_ERROR_PAUSE).await;
            None
        }
    }
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One accepted connection and the slot it holds until it closes.
struct Connection {
    router: Router,
    remote: SocketAddr,
    slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve(self, stream: TcpStream, tls: Option<ServerTls>, shutdown: Shutdown) {
        let Some(tls) = tls else {
            return self.serve_http(stream, shutdown).await;
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.0);
        let handshake =
            tokio::time::timeout(limits::TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
        match handshake.await {
            Ok(Ok(stream)) => self.serve_http(stream, shutdown).await,
            Ok(Err(error)) => {
                tracing::debug!(remote = %self.remote, %error, "TLS handshake failed");
            }
            Err(_) => tracing::debug!(remote = %self.remote, "TLS handshake timed out"),
        }
    }

    /// HTTP/1.1 with upgrades, each request carrying `ConnectInfo<SocketAddr>` as
    /// `into_make_service_with_connect_info` gives it; on shutdown, the request in progress
    /// finishes and the connection closes.
    async fn serve_http<S>(self, stream: S, shutdown: Shutdown)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Self { router, remote, slot } = self;
        let service = TowerToHyperService::new(router.map_request(
            move |mut request: http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(remote));
                request
            },
        ));
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(connection);
        let stop = shutdown.requested();
        tokio::pin!(stop);
        let ended = tokio::select! {
            ended = connection.as_mut() => ended,
            () = &mut stop => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = ended {
            tracing::debug!(%remote, %error, "connection ended with an error");
        }
        drop(slot);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::shutdown::shutdown_channel;

    const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    /// Sends a GET on `stream` and waits up to `wait` for the first bytes of an answer.
    async fn answered(stream: &mut TcpStream, wait: Duration) -> bool {
        stream.write_all(REQUEST).await.unwrap();
        let mut buffer = [0u8; 256];
        matches!(tokio::time::timeout(wait, stream.read(&mut buffer)).await, Ok(Ok(n)) if n > 0)
    }

    #[tokio::test]
    async fn past_the_bound_a_connection_waits_until_one_closes() {
        // Goal: with a bound of 2, a third connection gets no answer while two are open, gets
        // one once a slot frees, and shutdown still ends the loop. Steps: serve a one-route
        // router; open two connections and get answers on both; a third is connected (the
        // kernel's backlog) but unanswered; close the first; the third is answered; fire
        // shutdown with idle connections open; the loop returns.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", get(|| async { "ok" }));
        let (trigger, shutdown) = shutdown_channel();
        let server = tokio::spawn(
            AcceptLoop { listener, router, tls: None, connections_max: 2, shutdown }.run(),
        );
        let mut first = TcpStream::connect(addr).await.unwrap();
        let mut second = TcpStream::connect(addr).await.unwrap();
        assert!(answered(&mut first, Duration::from_secs(5)).await);
        assert!(answered(&mut second, Duration::from_secs(5)).await);
        let mut third = TcpStream::connect(addr).await.unwrap();
        assert!(!answered(&mut third, Duration::from_millis(300)).await, "past the bound");

        drop(first);
        let mut buffer = [0u8; 256];
        let late = tokio::time::timeout(Duration::from_secs(5), third.read(&mut buffer)).await;
        assert!(matches!(late, Ok(Ok(n)) if n > 0), "answered once a slot freed: {late:?}");

        trigger.fire();
        let stopped = tokio::time::timeout(Duration::from_secs(5), server).await;
        assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
    }
}
