//! `Shutdown`: one signal that every long-running task of a node watches, so stopping a node
//! (SIGTERM, Ctrl-C, a test, a simulated kill) ends its servers and background loops.

use tokio::sync::watch;

/// Fires the signal; dropping it fires it too, so a forgotten trigger cannot leave tasks running.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

#[derive(Clone, Debug)]
pub struct Shutdown(watch::Receiver<bool>);

pub fn shutdown_channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger(sender), Shutdown(receiver))
}

impl ShutdownTrigger {
    pub fn fire(&self) {
        self.0.send_replace(true);
    }
}

impl Drop for ShutdownTrigger {
    fn drop(&mut self) {
        self.fire();
    }
}

impl Shutdown {
    /// Resolves once shutdown has been requested (at once if it already was).
    pub async fn requested(mut self) {
        // An error means the trigger is gone, which is a shutdown as well.
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }
}
