//! The HTTP server loop: accepts connections and serves each with hyper.
//!
//! poem's own server sets no deadline for a request's head, so a client that
//! trickles its headers a byte at a time (slowloris) would hold a connection
//! for ever. Here hyper's header read timeout cuts such a client off (and, as
//! hyper restarts it when it waits for the next request, it also ends an idle
//! keep-alive connection). Every accepted connection gets TCP_NODELAY too: a
//! streamed answer goes out as its headers and then one write per event, and
//! with Nagle's algorithm each small write after the first would wait for the
//! client's delayed ACK (40 ms on Linux).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, Response};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

type App = BoxEndpoint<'static, Response>;

pub struct HttpServer {
    listener: TcpListener,
    address: SocketAddr,
    /// How long a client may take to send a request's head.
    head_timeout: Duration,
}

impl HttpServer {
    pub async fn bind(address: SocketAddr, head_timeout: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        Ok(Self {
            listener,
            address,
            head_timeout,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves `app` until `shutdown` completes; then stops accepting and lets
    /// requests in flight finish, for at most `grace`.
    pub async fn serve(self, app: App, shutdown: impl Future<Output = ()>, grace: Duration) {
        let app = Arc::new(app);
        let stopping = CancellationToken::new();
        let connections = TaskTracker::new();
        tokio::pin!(shutdown);
        loop {
            let (socket, remote) = tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors, say: wait rather than spin.
                        tracing::warn!(error = %err, "could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            connections.spawn(serve_connection(
                socket,
                remote,
                self.address,
                app.clone(),
                stopping.clone(),
                self.head_timeout,
            ));
        }
        drop(self.listener);
        stopping.cancel();
        connections.close();
        if tokio::time::timeout(grace, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!("requests still in flight after {grace:?}; stopping anyway");
        }
    }
}

async fn serve_connection(
    socket: TcpStream,
    remote: SocketAddr,
    local: SocketAddr,
    app: Arc<App>,
    stopping: CancellationToken,
    head_timeout: Duration,
) {
    // A socket that refuses the option still works, only slower.
    if let Err(err) = socket.set_nodelay(true) {
        tracing::debug!(error = %err, "could not set TCP_NODELAY");
    }
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        async move {
            let req = poem::Request::from((
                req,
                LocalAddr(Addr::SocketAddr(local)),
                RemoteAddr(Addr::SocketAddr(remote)),
                Scheme::HTTP,
            ));
            let response = app.get_response(req).await;
            Ok::<_, Infallible>(hyper::Response::from(response))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout);
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(socket), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        () = stopping.cancelled() => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}
