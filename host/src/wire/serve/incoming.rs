//! The server's accepted connections, at most `max-connections` at once: a connection is
//! taken from the listening socket only when one of the places is free, and gives its place
//! back when it closes. Clients past the limit wait in the system's queue of the socket, and
//! the host's descriptors and memory for connections stay bounded.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_stream::Stream;
use tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming};

/// [`TcpIncoming`], at most `limit` connections at once.
pub struct LimitedIncoming {
    incoming: TcpIncoming,
    places: Arc<Semaphore>,
    /// The place the next connection will take, once free.
    next: Option<Pin<Box<dyn Future<Output = OwnedSemaphorePermit> + Send>>>,
    held: Option<OwnedSemaphorePermit>,
}

impl LimitedIncoming {
    pub fn new(incoming: TcpIncoming, limit: usize) -> LimitedIncoming {
        LimitedIncoming { incoming, places: Arc::new(Semaphore::new(limit)), next: None, held: None }
    }
}

/// An accepted connection, holding its place.
pub struct PlacedStream {
    stream: TcpStream,
    _place: OwnedSemaphorePermit,
}

impl Stream for LimitedIncoming {
    type Item = std::io::Result<PlacedStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.held.is_none() {
            let places = this.places.clone();
            let next = this.next.get_or_insert_with(|| {
                Box::pin(async move { places.acquire_owned().await.expect("the places are never closed") })
            });
            match next.as_mut().poll(cx) {
                Poll::Ready(place) => {
                    this.next = None;
                    this.held = Some(place);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        match Pin::new(&mut this.incoming).poll_next(cx) {
            Poll::Ready(Some(Ok(stream))) => {
                let place = this.held.take().expect("a place is held before accepting");
                Poll::Ready(Some(Ok(PlacedStream { stream, _place: place })))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Connected for PlacedStream {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for PlacedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for PlacedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
