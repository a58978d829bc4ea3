//! `AlertWebhook`: the leader POSTs each low-stock alert to `--alert-webhook` as JSON, with
//! retries, then records the delivery through the log. A leader that dies between the POST and
//! that record leaves the alert undelivered, so the next leader sends it again: at least once,
//! and receivers deduplicate on the alert id (also sent as `Idempotency-Key`).
//!
//! With `--alert-webhook-secret`, each delivery is signed as Stripe signs its webhooks: the header
//! `Coupon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, where `body`
//! is the exact bytes of the request body. A receiver checks it so:
//! 1. split the header on `,` into `t=` and `v1=` (ignore other schemes);
//! 2. recompute HMAC-SHA256 with the shared secret over the bytes `<t>.<body>` (the `t` value as
//!    sent, a `.`, then the raw body, before any JSON parsing);
//! 3. compare its hex with `v1` in constant time (e.g. `Mac::verify_slice`, or `hmac.compare_digest`
//!    in Python), and reject on a mismatch;
//! 4. reject when `|now - t|` exceeds 5 minutes, so a captured delivery cannot be replayed later.
//!
//! A retry is signed again with its own `t`. Without a secret the header is absent.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use raft_store::command::{Command, KeyedCommand};
use raft_store::domain::Alert;
use raft_store::{NodeId, Raft, StateHandle};
use sha2::Sha256;

use crate::convert;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::transport::{PeerClient, PeerRequest};
use crate::write::Proposer;

const TICK: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// The header that carries a delivery's signature.
pub const SIGNATURE_HEADER: &str = "coupon-signature";

/// Alerts sent per tick (all confirmed in one command); the rest wait for the next one.
const ALERTS_PER_TICK_MAX: usize = raft_store::limits::ALERTS_PER_CONFIRMATION_MAX;

pub struct AlertWebhook {
    pub url: String,
    pub node_id: NodeId,
    pub raft: Raft,
    pub state: StateHandle,
    pub proposer: Proposer,
    pub client: Arc<dyn PeerClient>,
    pub metrics: Arc<Metrics>,
    /// `--alert-webhook-secret`: signs every delivery when set.
    pub secret: Option<Arc<str>>,
}

impl AlertWebhook {
    /// Delivers alerts while this node leads, until shutdown.
    pub async fn run(self, shutdown: Shutdown) {
        let stop = shutdown.requested();
        tokio::pin!(stop);
        let mut pause = TICK;
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(pause) => {}
            }
            pause = match self.deliver_pending().await {
                Ok(()) => TICK,
                Err(()) => (pause * 2).min(BACKOFF_MAX),
            };
        }
    }

    /// Sends what is undelivered (when leading) and records what arrived; `Err` when a delivery
    /// failed, so the caller backs off.
    async fn deliver_pending(&self) -> Result<(), ()> {
        if self.raft.metrics().borrow().current_leader != Some(self.node_id) {
            return Ok(());
        }
        let pending = self
            .state
            .read(|state| state.undelivered_alerts(ALERTS_PER_TICK_MAX))
            .map_err(|error| {
                tracing::error!(%error, "cannot read undelivered alerts");
            })?;
        let mut delivered = Vec::new();
        let mut failed = false;
        for alert in pending {
            if self.post(&alert).await {
                delivered.push(alert.id);
            } else {
                failed = true;
                break;
            }
        }
        if !delivered.is_empty() {
            self.metrics.alerts_delivered.inc_by(delivered.len() as u64);
            let command = Command::ConfirmAlertDelivery { alert_ids: delivered };
            if let Err(error) = self
                .proposer
                .propose(KeyedCommand { idempotency: None, actor: None, command })
                .await
            {
                tracing::warn!(%error, "delivered alerts not recorded yet; they will be sent again");
            }
        }
        if failed {
            Err(())
        } else {
            Ok(())
        }
    }

    async fn post(&self, alert: &Alert) -> bool {
        let Ok(body) = serde_json::to_vec(&convert::alert(alert)) else { return false };
        let signed_at = Utc::now().timestamp();
        let headers = delivery_headers(alert, &body, self.secret.as_deref(), signed_at);
        let request = PeerRequest {
            url: self.url.clone(),
            headers,
            body: Bytes::from(body),
            timeout: DELIVERY_TIMEOUT,
        };
        match self.client.post(request).await {
            Ok(response) if response.status.is_success() => true,
            Ok(response) => {
                tracing::warn!(alert_id = %alert.id, status = %response.status, "the alert webhook refused an alert");
                false
            }
            Err(error) => {
                tracing::warn!(alert_id = %alert.id, %error, "the alert webhook is unreachable");
                false
            }
        }
    }
}

/// The headers of one delivery of `alert` with `body`: its type, its idempotency key, and with a
/// secret its signature at `signed_at` (Unix seconds).
fn delivery_headers(alert: &Alert, body: &[u8], secret: Option<&str>, signed_at: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(key) = HeaderValue::from_str(&format!("alert-{}", alert.id)) {
        headers.insert("idempotency-key", key);
    }
    if let Some(secret) = secret {
        if let Ok(signature) = HeaderValue::from_str(&signature(secret, signed_at, body)) {
            headers.insert(SIGNATURE_HEADER, signature);
        }
    }
    headers
}

/// `t=<signed_at>,v1=<hex HMAC-SHA256(secret, "<signed_at>.<body>")>`.
fn signature(secret: &str, signed_at: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(signed_at.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("t={signed_at},v1={hex}")
}

#[cfg(test)]
mod tests {
    use raft_store::domain::{AlertId, CouponCode, CouponId, Timestamp};

    use super::*;

    fn alert() -> Alert {
        Alert {
            id: AlertId(3),
            coupon_id: CouponId(42),
            code: CouponCode::parse("SUMMER").unwrap(),
            remaining: 9,
            threshold: 10,
            raised_at: Timestamp::from_unix_millis(1_700_000_000_000),
            delivered_at: None,
        }
    }

    /// The receiver's check, written apart from `signature`: the header's parts, then a fresh
    /// HMAC over "t.body" compared in constant time.
    fn receiver_accepts(header: &str, secret: &str, body: &[u8]) -> bool {
        let mut parts = header.split(',');
        let (Some(t), Some(v1)) = (
            parts.next().and_then(|part| part.strip_prefix("t=")),
            parts.next().and_then(|part| part.strip_prefix("v1=")),
        ) else {
            return false;
        };
        let expected: Option<Vec<u8>> = (0..v1.len())
            .step_by(2)
            .map(|i| v1.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
            .collect();
        let Some(expected) = expected else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }

    #[test]
    fn a_delivery_carries_a_signature_the_receiver_can_recompute() {
        let body = serde_json::to_vec(&convert::alert(&alert())).unwrap();
        let headers = delivery_headers(&alert(), &body, Some("whsec-test"), 1_700_000_123);
        let header = headers.get(SIGNATURE_HEADER).unwrap().to_str().unwrap();
        assert!(header.starts_with("t=1700000123,v1="), "{header}");
        assert_eq!(header.len(), "t=1700000123,v1=".len() + 64, "hex of 32 bytes");
        assert!(receiver_accepts(header, "whsec-test", &body));
        assert!(!receiver_accepts(header, "another secret", &body));
        assert!(!receiver_accepts(header, "whsec-test", b"{\"id\":4}"), "the body is signed");
        let moved = header.replacen("t=1700000123", "t=1700000124", 1);
        assert!(!receiver_accepts(&moved, "whsec-test", &body), "the time is signed");
        assert_eq!(headers.get("idempotency-key").unwrap(), "alert-3");
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231 test case 2, so the signature is the standard HMAC and not one of our own.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String =
            mac.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let ours = signature("Jefe", 1, b"x");
        assert!(receiver_accepts(&ours, "Jefe", b"x"));
    }

    #[test]
    fn without_a_secret_no_signature_is_sent() {
        let headers = delivery_headers(&alert(), b"{}", None, 1_700_000_123);
        assert!(headers.get(SIGNATURE_HEADER).is_none());
        assert_eq!(headers.get(http::header::CONTENT_TYPE).unwrap(), "application/json");
    }
}
