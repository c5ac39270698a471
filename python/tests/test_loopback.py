"""`loopback.py`: reading where a port listens from the kernel's tables, and the wrapper.

Servers themselves run in `tests/remote.rs`, which checks the default (loopback only) and
`--all-interfaces` on real `serve.py` processes.
"""

import ipaddress
import socket
import subprocess

import pytest

import loopback
import serve

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"


def table(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text(
        HEADER + "".join(f"   0: {local} {remote} {state} 0\n" for local, remote, state in rows)
    )
    return str(path)


def test_addresses_decode_as_the_kernel_prints_them():
    assert loopback.decode_address("0100007F") == ipaddress.ip_address("127.0.0.1")
    assert loopback.decode_address("00000000") == ipaddress.ip_address("0.0.0.0")
    mapped = "0000000000000000FFFF00000100007F"
    assert loopback.decode_address(mapped) == ipaddress.ip_address("127.0.0.1")
    assert loopback.decode_address("00000000000000000000000001000000") == ipaddress.ip_address(
        "::1"
    )
    assert loopback.decode_address("0" * 32) == ipaddress.ip_address("::")


def test_only_listening_sockets_on_the_port_count_and_wildcards_are_exposed(tmp_path):
    v4 = table(
        tmp_path,
        "tcp",
        [
            ("0100007F:08AE", "00000000:0000", "0A"),  # 127.0.0.1:2222 listening
            ("00000000:08AF", "00000000:0000", "0A"),  # 0.0.0.0:2223 listening
            ("0100007F:08AE", "0100007F:9C40", "01"),  # an established connection
        ],
    )
    v6 = table(tmp_path, "tcp6", [("0" * 32 + ":08AE", "0" * 32 + ":0000", "0A")])  # [::]:2222
    on_2222 = loopback.listening_addresses(2222, tables=(v4, v6))
    assert [str(a) for a in on_2222] == ["127.0.0.1", "::"]
    assert [str(a) for a in loopback.exposed(on_2222)] == ["::"]
    on_2223 = loopback.listening_addresses(2223, tables=(v4,))
    assert [str(a) for a in loopback.exposed(on_2223)] == ["0.0.0.0"]
    assert loopback.listening_addresses(2224, tables=(v4, str(tmp_path / "missing"))) == []


def test_a_real_listening_socket_is_found():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        found = loopback.listening_addresses(port)
    assert [str(a) for a in found] == ["127.0.0.1"]
    assert loopback.exposed(found) == []


def test_the_wrapper_compiles(tmp_path):
    library = loopback.compile_shim(tmp_path)
    assert library.is_file()
    # The wrapper defines bind and nothing else.
    symbols = subprocess.run(
        ["nm", "-D", "--defined-only", str(library)], capture_output=True, text=True, check=True
    ).stdout
    assert " T bind" in symbols


def test_a_missing_compiler_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CC", "no-such-compiler-here")
    with pytest.raises(SystemExit, match="no C compiler was found.*--all-interfaces"):
        loopback.compile_shim(tmp_path)


def test_loopback_is_the_default_and_all_interfaces_explicit():
    assert not serve.parse_args(["--port", "0"]).all_interfaces
    assert serve.parse_args(["--port", "0", "--all-interfaces"]).all_interfaces


def test_the_server_serves_only_where_it_was_asked_to():
    local = [ipaddress.ip_address("127.0.0.1")]
    wildcard = [ipaddress.ip_address("::")]
    where, message = serve.listening(2222, local, False, "server")
    assert where == "loopback only"
    assert "127.0.0.1 only (checked)" in message
    assert "ssh -N -L 2222:127.0.0.1:2222" in message
    # Loopback asked for, but a socket faces the network (or none is found): no serving.
    where, message = serve.listening(2222, local + wildcard, False, "server")
    assert where is None
    assert message.startswith("error: the server on port 2222 listens on ::, not on loopback")
    assert serve.listening(2222, [], False, "server")[0] is None
    # --all-interfaces: serves, and warns.
    where, message = serve.listening(2222, wildcard, True, "server")
    assert where == "every network interface, no authentication"
    assert message.startswith("warning: --all-interfaces")
    assert "without authentication" in message
