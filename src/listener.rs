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
//!
//! Connections are capped (each holds a descriptor and buffers). At the cap,
//! a new connection takes the place of the oldest one that has no request in
//! flight (a half-open or idle one: a flood of those only displaces its own
//! kind); when every one is busy, a few more are kept as a reserve that only
//! answers `/healthz`, `/readyz` and `/metrics`, so an operator can always
//! see the server; past that, a connection gets a 503 and is closed at once.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, Response};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

type App = BoxEndpoint<'static, Response>;

/// Connections kept beyond the cap, for the routes that say how the server is.
pub const RESERVE_CONNECTIONS: usize = 64;
/// Connections the kernel may queue before they are accepted (capped by the
/// system's `net.core.somaxconn`).
const ACCEPT_BACKLOG: u32 = 4096;
/// Routes a reserve connection answers.
const RESERVE_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];
/// Open files kept for what is not a caller's connection: the database, logs,
/// and the connections to registered servers (at most one per request).
const FILES_KEPT: u64 = 128;

/// What every refusal of a connection at its limit says.
const AT_THE_LIMIT: &str =
    r#"{"error":"the server is at its limit of connections; retry shortly"}"#;

/// What a refused connection reads before it is closed.
fn refusal() -> Vec<u8> {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{AT_THE_LIMIT}",
        AT_THE_LIMIT.len()
    )
    .into_bytes()
}

pub struct HttpServer {
    listener: TcpListener,
    address: SocketAddr,
    /// How long a client may take to send a request's head.
    head_timeout: Duration,
    max_connections: usize,
}

impl HttpServer {
    pub async fn bind(
        address: SocketAddr,
        head_timeout: Duration,
        max_connections: usize,
    ) -> std::io::Result<Self> {
        let socket = match address {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        socket.bind(address)?;
        // A flood of connections must not fill the queue of those waiting to
        // be accepted, or an operator's own would wait for a retransmission.
        let listener = socket.listen(ACCEPT_BACKLOG)?;
        let address = listener.local_addr()?;
        Ok(Self {
            listener,
            address,
            head_timeout,
            max_connections: within_open_files(max_connections),
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
        let tasks = TaskTracker::new();
        let connections = Arc::new(Connections::new(self.max_connections));
        let mut accept_warned: Option<Instant> = None;
        tokio::pin!(shutdown);
        loop {
            let (socket, remote) = tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors, say: wait rather than spin,
                        // and say so once a minute, not once a connection.
                        if accept_warned.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
                            tracing::warn!(error = %err, "could not accept a connection");
                            accept_warned = Some(Instant::now());
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Some(admitted) = connections.admit() else {
                // A refusal that fits the socket's buffer; no wait for it.
                let _ = socket.try_write(&refusal());
                continue;
            };
            tasks.spawn(serve_connection(
                socket,
                (remote, self.address),
                app.clone(),
                stopping.clone(),
                self.head_timeout,
                admitted,
            ));
        }
        drop(self.listener);
        stopping.cancel();
        tasks.close();
        if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
            tracing::warn!("requests still in flight after {grace:?}; stopping anyway");
        }
    }
}

/// `wanted` connections, or fewer if the process may not open that many
/// files (each connection may take two: its own, and one to a registered
/// server). The limit on open files is raised to its hard limit first.
fn within_open_files(wanted: usize) -> usize {
    let Some(files) = open_files_limit() else {
        return wanted;
    };
    let possible = usize::try_from(files.saturating_sub(FILES_KEPT) / 2).unwrap_or(usize::MAX);
    if possible < wanted + RESERVE_CONNECTIONS {
        let possible = possible.saturating_sub(RESERVE_CONNECTIONS).max(1);
        tracing::warn!(
            open_files = files,
            wanted,
            "--max-connections is more than the limit on open files allows: at most {possible} connections"
        );
        return possible;
    }
    wanted
}

/// The process's limit on open files, after raising it to the hard limit.
fn open_files_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both calls only read or write the `rlimit` owned here.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

/// Every open connection, oldest first, and what each is doing.
struct Connections {
    max: usize,
    state: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    /// By when they were accepted: the oldest idle one is the first found.
    by_age: BTreeMap<u64, Tracked>,
    reserve: usize,
}

struct Tracked {
    /// Requests being answered on it (HTTP/2 may carry several at once).
    in_flight: Arc<AtomicUsize>,
    /// Cancelled to close it at once, to make room.
    evict: CancellationToken,
    reserve: bool,
}

/// A connection's place among the open ones, given back when it ends.
struct Admitted {
    connections: Arc<Connections>,
    id: u64,
    in_flight: Arc<AtomicUsize>,
    evict: CancellationToken,
    /// Beyond the cap: it answers only the routes that say how the server is.
    reserve: bool,
}

impl Connections {
    fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            state: Mutex::default(),
        }
    }

    /// A place for one more connection: a free one, the place of the oldest
    /// idle one (closed at once), or one of the reserve; `None` if none is
    /// left.
    fn admit(self: &Arc<Self>) -> Option<Admitted> {
        let mut open = self.state.lock().ok()?;
        let regular = open.by_age.len() - open.reserve;
        let reserve = if regular < self.max {
            false
        } else if let Some((&oldest, _)) = open
            .by_age
            .iter()
            .find(|(_, tracked)| tracked.in_flight.load(Ordering::Acquire) == 0)
        {
            if let Some(evicted) = open.by_age.remove(&oldest) {
                evicted.evict.cancel();
                if evicted.reserve {
                    open.reserve -= 1;
                }
            }
            // The place freed is the newcomer's, of whichever kind it was
            // (a reserve place stays a reserve one).
            open.by_age.len() - open.reserve >= self.max
        } else if open.reserve < RESERVE_CONNECTIONS {
            true
        } else {
            return None;
        };
        let id = open.next_id;
        open.next_id += 1;
        let (in_flight, evict) = (Arc::new(AtomicUsize::new(0)), CancellationToken::new());
        open.by_age.insert(
            id,
            Tracked {
                in_flight: Arc::clone(&in_flight),
                evict: evict.clone(),
                reserve,
            },
        );
        if reserve {
            open.reserve += 1;
        }
        Some(Admitted {
            connections: Arc::clone(self),
            id,
            in_flight,
            evict,
            reserve,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Ok(mut open) = self.connections.state.lock()
            && let Some(tracked) = open.by_age.remove(&self.id)
            && tracked.reserve
        {
            open.reserve -= 1;
        }
    }
}

/// Counts a request in flight on its connection until its answer is sent.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(count))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body, with its request counted in flight until the body is
/// sent (or dropped). Its length, when known, still goes out as such.
struct InFlightBody<B> {
    body: B,
    _counted: InFlight,
}

impl<B: http_body::Body + Unpin> http_body::Body for InFlightBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

async fn serve_connection(
    socket: TcpStream,
    (remote, local): (SocketAddr, SocketAddr),
    app: Arc<App>,
    stopping: CancellationToken,
    head_timeout: Duration,
    admitted: Admitted,
) {
    // A socket that refuses the option still works, only slower.
    if let Err(err) = socket.set_nodelay(true) {
        tracing::debug!(error = %err, "could not set TCP_NODELAY");
    }
    let (in_flight, reserve) = (Arc::clone(&admitted.in_flight), admitted.reserve);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        let counted = InFlight::new(&in_flight);
        async move {
            if reserve && !RESERVE_ROUTES.contains(&req.uri().path()) {
                return Ok::<_, Infallible>(at_the_limit());
            }
            let req = poem::Request::from((
                req,
                LocalAddr(Addr::SocketAddr(local)),
                RemoteAddr(Addr::SocketAddr(remote)),
                Scheme::HTTP,
            ));
            let response = hyper::Response::from(app.get_response(req).await);
            // The request counts as in flight until its answer is sent.
            let (parts, body) = response.into_parts();
            let body = InFlightBody {
                body,
                _counted: counted,
            }
            .boxed_unsync();
            Ok::<_, Infallible>(hyper::Response::from_parts(parts, body))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        .keep_alive(!reserve);
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(socket), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        // Its place went to a newer connection: closed without a word.
        () = admitted.evict.cancelled() => return,
        () = stopping.cancelled() => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// The answer of a reserve connection to any other route.
fn at_the_limit()
-> hyper::Response<http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>> {
    let body = http_body_util::Full::new(Bytes::from_static(AT_THE_LIMIT.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room_then_the_reserve_then_none() {
        let connections = Arc::new(Connections::new(2));
        let first = connections.admit().unwrap();
        let second = connections.admit().unwrap();
        let busy = InFlight::new(&second.in_flight);
        // The oldest idle one (the first) is closed for the newcomer.
        let third = connections.admit().unwrap();
        assert!(first.evict.is_cancelled() && !third.reserve);
        // Both are busy now: the reserve, each busy as it comes.
        let _busy_too = InFlight::new(&third.in_flight);
        let mut reserve = Vec::new();
        let mut requests = Vec::new();
        for _ in 0..RESERVE_CONNECTIONS - 1 {
            let admitted = connections.admit().unwrap();
            assert!(admitted.reserve);
            requests.push(InFlight::new(&admitted.in_flight));
            reserve.push(admitted);
        }
        // An idle reserve connection is the oldest idle one for the next,
        // and its place stays a reserve one.
        let idle = connections.admit().unwrap();
        let newcomer = connections.admit().unwrap();
        assert!(idle.evict.is_cancelled() && newcomer.reserve);
        let _last = InFlight::new(&newcomer.in_flight);
        assert!(connections.admit().is_none(), "every place is busy");
        // A connection that ends gives its place back.
        drop(busy);
        drop(second);
        assert!(!connections.admit().unwrap().reserve);
    }
}
