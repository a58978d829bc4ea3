//! `pipe`: one direction of a relayed connection, each chunk held back by its `DelaySchedule`.
//!
//! A reader stamps chunks as they arrive and queues them; a writer sleeps until each one's time
//! and writes it. The queue is bounded, so a receiver that stops reading makes the relay stop
//! reading too, and the sender then feels it as TCP would make it feel it (a full window).

use std::io;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::delay_schedule::DelaySchedule;

/// Largest chunk read at once.
const CHUNK_BYTES_MAX: usize = 64 * 1024;
/// Chunks read and not yet delivered, per direction: with `CHUNK_BYTES_MAX`, at most 16 MiB in
/// flight, more than a peer link's window needs at these delays.
const CHUNKS_IN_FLIGHT_MAX: usize = 256;

/// What the reader hands the writer: bytes, or the end of the stream (the sender shut its side
/// down), each to be delivered at its time.
struct Delivery {
    at: Instant,
    chunk: Option<Bytes>,
}

/// Copies `from` to `to` on `schedule` until `from` ends (then `to` is shut down, once every
/// byte before the end is delivered) or either side fails.
pub async fn pipe<R, W>(from: R, to: W, schedule: DelaySchedule) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (queue, deliveries) = mpsc::channel(CHUNKS_IN_FLIGHT_MAX);
    // A failed writer drops `deliveries`; the reader then stops at its next chunk.
    tokio::try_join!(read_stamped(from, schedule, queue), write_on_time(deliveries, to))?;
    Ok(())
}

async fn read_stamped<R: AsyncRead + Unpin>(
    mut from: R,
    mut schedule: DelaySchedule,
    queue: mpsc::Sender<Delivery>,
) -> io::Result<()> {
    loop {
        let mut buffer = BytesMut::with_capacity(CHUNK_BYTES_MAX);
        let read = from.read_buf(&mut buffer).await?;
        let at = schedule.deliver_at(Instant::now());
        let chunk = (read > 0).then(|| buffer.freeze());
        let end = chunk.is_none();
        if queue.send(Delivery { at, chunk }).await.is_err() || end {
            return Ok(());
        }
    }
}

async fn write_on_time<W: AsyncWrite + Unpin>(
    mut deliveries: mpsc::Receiver<Delivery>,
    mut to: W,
) -> io::Result<()> {
    while let Some(Delivery { at, chunk }) = deliveries.recv().await {
        tokio::time::sleep_until(at).await;
        match chunk {
            Some(bytes) => to.write_all(&bytes).await?,
            None => return to.shutdown().await,
        }
    }
    Ok(())
}
