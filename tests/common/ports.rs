//! Ports on 127.0.0.1 that stay this test's for as long as it needs them, so that no parallel
//! test (or outgoing connection) can take them between the moment a test learns the number and
//! the moment it uses it: a socket bound to port 0 (the kernel picks a free port) is read back
//! and kept bound, but never listens.

use std::net::{Ipv4Addr, SocketAddr};

use socket2::{Domain, Socket, Type};

/// A port held by a bound socket; dropping it frees the port.
pub struct HeldPort {
    _socket: Socket,
    pub port: u16,
}

fn bind_held(reuse_address: bool) -> HeldPort {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_reuse_address(reuse_address).unwrap();
    let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    socket.bind(&any_port.into()).unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    HeldPort {
        _socket: socket,
        port,
    }
}

/// A port where connections are refused (bound, not listening: the kernel answers a SYN with
/// a reset), as on a host where nothing serves that port, for as long as it is held.
pub fn refusing_port() -> HeldPort {
    bind_held(false)
}

/// A port held for a server this test starts later: bound with `SO_REUSEADDR` and not
/// listening, so a server that also sets `SO_REUSEADDR` (gRPC's, hence TensorFlow's, does) can
/// bind it and listen, while every other bind(2) of that port, or to port 0, is kept off it.
/// Drop it once the server listens.
pub fn port_for_a_server() -> HeldPort {
    bind_held(true)
}
