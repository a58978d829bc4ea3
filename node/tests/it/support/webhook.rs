//! A webhook receiver on 127.0.0.1 that records every POST and can refuse them for a while.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

#[derive(Default)]
pub struct Received {
    accepting: AtomicBool,
    attempts: Mutex<Vec<Value>>,
    accepted: Mutex<Vec<Value>>,
}

impl Received {
    pub fn accept(&self, yes: bool) {
        self.accepting.store(yes, Ordering::SeqCst);
    }

    pub fn attempts(&self) -> usize {
        self.attempts.lock().unwrap().len()
    }

    pub fn accepted(&self) -> Vec<Value> {
        self.accepted.lock().unwrap().clone()
    }
}

/// Starts the receiver; returns its URL and what it records. It stops with the test's runtime.
pub async fn start() -> (String, Arc<Received>) {
    let received = Arc::new(Received::default());
    let router = Router::new().route("/hook", post(receive)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("webhook port");
    let url = format!("http://{}/hook", listener.local_addr().expect("bound"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

async fn receive(State(received): State<Arc<Received>>, Json(alert): Json<Value>) -> StatusCode {
    received.attempts.lock().unwrap().push(alert.clone());
    if received.accepting.load(Ordering::SeqCst) {
        received.accepted.lock().unwrap().push(alert);
        StatusCode::NO_CONTENT
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}
