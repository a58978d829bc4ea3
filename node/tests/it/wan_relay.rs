//! `coupon-wan-relay` as a process: a round trip through it costs at least the delays it was
//! given (a new connection its handshake too), and SIGTERM stops it and closes its connections.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::support::relay::RelayProcess;
use crate::support::wait::until;

const ONE_WAY: Duration = Duration::from_millis(40);

/// The relay with one route, from a port the system chooses to `target` in "us".
fn relay_to(target: SocketAddr, flags: &[&str]) -> RelayProcess {
    let mut args = vec![format!("--route=127.0.0.1:0={target}@us")];
    args.extend(flags.iter().map(|flag| flag.to_string()));
    RelayProcess::start(1, &args)
}

/// Echoes every connection's bytes back, for as long as the test runs.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut read, mut write) = stream.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    addr
}

/// Sends `message` and reads it back; returns how long that took.
async fn round_trip(stream: &mut TcpStream, message: &[u8]) -> Duration {
    let started = Instant::now();
    stream.write_all(message).await.unwrap();
    let mut echoed = vec![0; message.len()];
    stream.read_exact(&mut echoed).await.unwrap();
    assert_eq!(echoed, message);
    started.elapsed()
}

#[tokio::test]
async fn a_round_trip_through_the_relay_costs_at_least_its_delays() {
    // Goal: the relay delays both directions by the pair's one-way delay, and a new connection
    // by its handshake besides. Steps: an echo server in "us", this test's client (127.0.0.1)
    // in "eu", 40 ms one way; time a first message on a new connection (3 one-way trips before
    // the bytes reach the server, one back) and a second on the same connection (one each way).
    // Only lower bounds: the machine is shared, so how much later the bytes come says nothing.
    let relay =
        relay_to(echo_server().await, &["--source=127.0.0.1=eu", "--latency-ms=eu:us=40,us:us=1"]);
    let connecting = Instant::now();
    let mut stream = TcpStream::connect(relay.fronts[0]).await.unwrap();
    round_trip(&mut stream, b"first").await;
    let first = connecting.elapsed();
    assert!(first >= 4 * ONE_WAY, "a new connection's first round trip took {first:?}");
    let second = round_trip(&mut stream, b"second").await;
    assert!(second >= 2 * ONE_WAY, "a round trip took {second:?}");

    // SIGTERM: the relay exits cleanly, and the connection it held is closed.
    relay.terminate();
    let mut relay = relay;
    let status = until("the relay exits on SIGTERM", Duration::from_secs(10), || {
        let exited = relay.child.try_wait().expect("the relay's status");
        async move { exited }
    })
    .await;
    assert!(status.success(), "the relay exited with {status}");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "the connection stays open: {closed:?}");
}

#[tokio::test]
async fn a_connection_from_a_source_of_no_region_is_closed() {
    // Goal: the relay delays only what it can place; a stranger is refused, not relayed at no
    // delay. Steps: the relay knows 127.0.0.2 only; this test connects from 127.0.0.1 and
    // finds the connection closed without an answer.
    let relay = relay_to(echo_server().await, &["--source=127.0.0.2=eu", "--latency-ms=eu:us=40"]);
    let mut stream = TcpStream::connect(relay.fronts[0]).await.unwrap();
    let _ = stream.write_all(b"hello").await;
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "the stranger was answered: {closed:?}");
    assert!(rest.is_empty());
}
