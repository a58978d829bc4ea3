//! `SimExchange`: the client's `Exchange` seam over madsim's simulated TCP, so simulated clients
//! run the real `CouponClient` (failover, retries, idempotency keys) against the simulated
//! cluster.

use std::time::Duration;

use bytes::Bytes;
use coupon_client::{Exchange, TransportError};

use super::http_call::{http_call, socket_addr_of, FailureKind, HttpFailure};

#[derive(Clone, Copy, Debug, Default)]
pub struct SimExchange;

impl Exchange for SimExchange {
    async fn send(
        &self,
        request: http::Request<Bytes>,
        timeout: Duration,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let addr = socket_addr_of(request.uri()).map_err(client_error)?;
        http_call(addr, request, timeout).await.map_err(client_error)
    }
}

fn client_error(failure: HttpFailure) -> TransportError {
    let message = failure.error.to_string();
    match failure.kind {
        FailureKind::Connect => TransportError::connect(message),
        FailureKind::Timeout => TransportError::timeout(message),
        FailureKind::Broken => TransportError::io(message),
    }
}
