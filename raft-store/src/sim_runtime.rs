//! openraft's `AsyncRuntime` on madsim, compiled only with `--cfg madsim`.
//!
//! openraft 0.9 reaches spawn, sleep, timeouts, `Instant` and its random numbers only through
//! `TypeConfig::AsyncRuntime`, so giving it madsim's versions puts all of Raft's timing (elections,
//! heartbeats) under the simulation's seeded clock and RNG. Its other tokio use (`sync`,
//! `select!`) does not depend on a runtime.

use std::fmt;
use std::future::Future;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use openraft::{AsyncRuntime, OptionalSend};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MadsimRuntime;

/// openraft's `Instant` trait and std's `Instant` are both foreign, so a newtype carries the impl.
/// madsim virtualises `std::time::Instant::now`, so the wrapped value is simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SimInstant(std::time::Instant);

impl openraft::Instant for SimInstant {
    fn now() -> Self {
        Self(madsim::time::Instant::now())
    }
}

impl Add<Duration> for SimInstant {
    type Output = Self;
    fn add(self, span: Duration) -> Self {
        Self(self.0 + span)
    }
}

impl AddAssign<Duration> for SimInstant {
    fn add_assign(&mut self, span: Duration) {
        self.0 += span;
    }
}

impl Sub<Duration> for SimInstant {
    type Output = Self;
    fn sub(self, span: Duration) -> Self {
        Self(self.0 - span)
    }
}

impl SubAssign<Duration> for SimInstant {
    fn sub_assign(&mut self, span: Duration) {
        self.0 -= span;
    }
}

impl Sub<SimInstant> for SimInstant {
    type Output = Duration;
    fn sub(self, earlier: SimInstant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }
}

/// The error of an expired `SimTimeout`.
#[derive(Debug)]
pub struct DeadlineElapsed;

impl fmt::Display for DeadlineElapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline elapsed")
    }
}

pin_project_lite::pin_project! {
    /// openraft names its timeout future's type; madsim's `timeout` returns an anonymous one,
    /// so this races the future against a madsim `Sleep` itself.
    pub struct SimTimeout<F> {
        #[pin] future: F,
        #[pin] deadline: madsim::time::Sleep,
    }
}

impl<F: Future> Future for SimTimeout<F> {
    type Output = Result<F::Output, DeadlineElapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        this.deadline.poll(cx).map(|()| Err(DeadlineElapsed))
    }
}

/// openraft's oneshot sender trait is foreign too.
pub struct SimOneshotSender<T>(tokio::sync::oneshot::Sender<T>);

impl<T> fmt::Debug for SimOneshotSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimOneshotSender")
    }
}

impl<T: OptionalSend> openraft::async_runtime::AsyncOneshotSendExt<T> for SimOneshotSender<T> {
    fn send(self, value: T) -> Result<(), T> {
        self.0.send(value)
    }
}

impl AsyncRuntime for MadsimRuntime {
    type JoinError = madsim::task::JoinError;
    type JoinHandle<T: OptionalSend + 'static> = madsim::task::JoinHandle<T>;
    type Sleep = madsim::time::Sleep;
    type Instant = SimInstant;
    type TimeoutError = DeadlineElapsed;
    type Timeout<R, T: Future<Output = R> + OptionalSend> = SimTimeout<T>;
    /// The simulation's seeded RNG, so election timeouts are a function of the seed.
    type ThreadLocalRng = madsim::rand::GlobalRng;
    type OneshotSender<T: OptionalSend> = SimOneshotSender<T>;
    type OneshotReceiverError = tokio::sync::oneshot::error::RecvError;
    type OneshotReceiver<T: OptionalSend> = tokio::sync::oneshot::Receiver<T>;

    /// Spawns on the current simulated node, so killing the node stops Raft's tasks with it.
    fn spawn<T>(future: T) -> Self::JoinHandle<T::Output>
    where
        T: Future + OptionalSend + 'static,
        T::Output: OptionalSend + 'static,
    {
        madsim::task::spawn(future)
    }

    fn sleep(span: Duration) -> Self::Sleep {
        madsim::time::sleep(span)
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        madsim::time::sleep_until(deadline.0)
    }

    fn timeout<R, F: Future<Output = R> + OptionalSend>(
        span: Duration,
        future: F,
    ) -> Self::Timeout<R, F> {
        SimTimeout { future, deadline: madsim::time::sleep(span) }
    }

    fn timeout_at<R, F: Future<Output = R> + OptionalSend>(
        deadline: Self::Instant,
        future: F,
    ) -> Self::Timeout<R, F> {
        SimTimeout { future, deadline: madsim::time::sleep_until(deadline.0) }
    }

    fn is_panic(error: &Self::JoinError) -> bool {
        error.is_panic()
    }

    fn thread_rng() -> Self::ThreadLocalRng {
        madsim::rand::thread_rng()
    }

    fn oneshot<T: OptionalSend>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>) {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        (SimOneshotSender(sender), receiver)
    }
}
