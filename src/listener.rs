//! The listening socket. Every accepted connection gets TCP_NODELAY: a
//! streamed answer goes out as its headers and then one write per event, and
//! with Nagle's algorithm each small write after the first would wait for the
//! client's delayed ACK (40 ms on Linux).

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, TcpAcceptor};
use poem::web::{LocalAddr, RemoteAddr};

pub struct NoDelayAcceptor(pub TcpAcceptor);

impl Acceptor for NoDelayAcceptor {
    type Io = <TcpAcceptor as Acceptor>::Io;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.0.local_addr()
    }

    async fn accept(&mut self) -> std::io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, scheme) = self.0.accept().await?;
        // A socket that refuses the option still works, only slower.
        if let Err(err) = io.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
        Ok((io, local, remote, scheme))
    }
}
