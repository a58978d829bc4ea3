//! Minimal blocking HTTP/1.1 GETs for health probes: no runtime, so the harness works the same
//! from sync tests (the CLI's) and async ones (the client's). A TLS cluster is probed over
//! rustls, trusting the test's CA.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How the harness reaches a node's API.
#[derive(Clone)]
pub enum Probe {
    Plain,
    Tls(Arc<rustls::ClientConfig>),
}

impl Probe {
    /// Status and body of `GET path` on `addr`, or `None` when nothing answers in time.
    pub fn get(&self, addr: &str, path: &str) -> Option<(u16, String)> {
        let socket: SocketAddr = addr.parse().ok()?;
        let stream = TcpStream::connect_timeout(&socket, PROBE_TIMEOUT).ok()?;
        stream.set_read_timeout(Some(PROBE_TIMEOUT)).ok()?;
        stream.set_write_timeout(Some(PROBE_TIMEOUT)).ok()?;
        let response = match self {
            Probe::Plain => exchange(stream, addr, path)?,
            Probe::Tls(config) => {
                let name = rustls::pki_types::ServerName::try_from("localhost").ok()?;
                let connection = rustls::ClientConnection::new(config.clone(), name).ok()?;
                exchange(rustls::StreamOwned::new(connection, stream), addr, path)?
            }
        };
        let status = response.split(' ').nth(1)?.parse().ok()?;
        let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())?;
        Some((status, body))
    }

    /// `GET path` as JSON, when it answers 200.
    pub fn get_json(&self, addr: &str, path: &str) -> Option<serde_json::Value> {
        match self.get(addr, path)? {
            (200, body) => serde_json::from_str(&body).ok(),
            _ => None,
        }
    }
}

/// Sends the GET and reads until the server closes. A TLS peer that closes without
/// `close_notify` ends the read with an error after the whole answer: what was read counts.
fn exchange(mut stream: impl Read + Write, addr: &str, path: &str) -> Option<String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8(response).ok().filter(|text| !text.is_empty())
}
