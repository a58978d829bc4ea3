//! `AlertWebhook`: the leader POSTs each low-stock alert to `--alert-webhook` as JSON, with
//! retries, then records the delivery through the log. A leader that dies between the POST and
//! that record leaves the alert undelivered, so the next leader sends it again: at least once,
//! and receivers deduplicate on the alert id (also sent as `Idempotency-Key`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use raft_store::command::{Command, KeyedCommand};
use raft_store::domain::Alert;
use raft_store::{NodeId, Raft, StateHandle};

use crate::convert;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::transport::{PeerClient, PeerRequest};
use crate::write::Proposer;

const TICK: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Alerts sent per tick; the rest wait for the next one.
const ALERTS_PER_TICK_MAX: usize = 100;

pub struct AlertWebhook {
    pub url: String,
    pub node_id: NodeId,
    pub raft: Raft,
    pub state: StateHandle,
    pub proposer: Proposer,
    pub client: Arc<dyn PeerClient>,
    pub metrics: Arc<Metrics>,
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
            if let Err(error) =
                self.proposer.propose(KeyedCommand { idempotency: None, command }).await
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
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(key) = HeaderValue::from_str(&format!("alert-{}", alert.id)) {
            headers.insert("idempotency-key", key);
        }
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
