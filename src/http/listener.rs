//! The listening socket with two guards against clients that open connections and send
//! nothing (issue 14: ~20 000 half-open connections stopped the server accepting anything):
//! at most `max_connections` open at once (the next waits in the kernel's backlog), and a
//! connection on which nothing arrives for `idle` is closed.

use axum::serve::{Listener, ListenerExt, TapIo};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Defaults for `serve`.
pub const MAX_CONNECTIONS: usize = 1024;
pub const IDLE: Duration = Duration::from_secs(30);

/// What [`guarded`] returns: axum's `TapIo` wrapper is what gives `ConnectInfo<SocketAddr>`.
pub type Guarded = TapIo<GuardedListener, fn(&mut GuardedStream)>;

/// `listener` with a connection limit and an idle-read timeout, ready for `axum::serve` (with
/// `ConnectInfo<SocketAddr>`).
pub fn guarded(listener: TcpListener, max_connections: usize, idle: Duration) -> Guarded {
    fn untouched(_: &mut GuardedStream) {}
    GuardedListener {
        inner: listener,
        permits: Arc::new(Semaphore::new(max_connections.max(1))),
        idle,
    }
    .tap_io(untouched as fn(&mut GuardedStream))
}

pub struct GuardedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    idle: Duration,
}

impl Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (stream, addr) = Listener::accept(&mut self.inner).await;
        (
            GuardedStream {
                inner: stream,
                idle: self.idle,
                deadline: Box::pin(tokio::time::sleep(self.idle)),
                _permit: permit,
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection that fails a read after `idle` without any byte; its permit is returned
/// when it is dropped.
pub struct GuardedStream {
    inner: TcpStream,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    let next = tokio::time::Instant::now() + self.idle;
                    self.deadline.as_mut().reset(next);
                }
                Poll::Ready(r)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no data from the client in time",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

use std::future::Future;
