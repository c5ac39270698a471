"""Keeps `serve.py`'s TensorFlow server on loopback, and checks where it listens.

TensorFlow's server listens on every network interface whatever address it is given, and has
no authentication. `preload_and_reexec` compiles `loopback_only.c` (a bind(2) wrapper that
turns the wildcard address into 127.0.0.1) with the C compiler and starts the script again
with it in `LD_PRELOAD`, before TensorFlow is imported; `listening_addresses` reads
/proc/net/tcp and /proc/net/tcp6, so that the server can check, once it is up, that every
socket listening on its port is a loopback one.
"""

import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SHIM_SOURCE = Path(__file__).resolve().parent / "loopback_only.c"
# Set in the restarted process: the folder of the compiled wrapper, removed once it is loaded.
MARKER = "TFLAYERS_SERVE_LOOPBACK_SHIM"
PROC_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
LISTEN = "0A"


def compile_shim(out_dir):
    """Compiles `loopback_only.c` into `out_dir`; returns the library's path."""
    compiler = os.environ.get("CC", "cc")
    if shutil.which(compiler) is None:
        raise SystemExit(
            f"error: serve.py keeps the server on loopback with a small bind(2) wrapper "
            f"({SHIM_SOURCE.name}) compiled at start, and no C compiler was found ({compiler}); "
            f"install one (the Rust build needs it too), or pass --all-interfaces to listen "
            f"on every interface of a trusted network"
        )
    out = Path(out_dir) / "libloopback_only.so"
    result = subprocess.run(
        [compiler, "-shared", "-fPIC", "-O2", "-o", str(out), str(SHIM_SOURCE), "-ldl"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"error: cannot compile {SHIM_SOURCE} with {compiler}, which keeps the server on "
            f"loopback:\n{result.stderr.strip()}"
        )
    return out


def preload_and_reexec(argv):
    """Restarts this script with the loopback wrapper preloaded; returns once it is.

    In the restarted process (marked by `MARKER`), removes the wrapper's temporary folder (the
    loaded library stays mapped) and returns.
    """
    shim_dir = os.environ.pop(MARKER, None)
    if shim_dir is not None:
        shutil.rmtree(shim_dir, ignore_errors=True)
        return
    shim_dir = tempfile.mkdtemp(prefix="tflayers-serve-")
    try:
        shim = compile_shim(shim_dir)
    except BaseException:
        shutil.rmtree(shim_dir, ignore_errors=True)
        raise
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(filter(None, [str(shim), env.get("LD_PRELOAD")]))
    env[MARKER] = shim_dir
    script = str(Path(sys.argv[0]).resolve())
    os.execve(sys.executable, [sys.executable, script, *argv], env)


def decode_address(hex_address):
    """An address as /proc/net/tcp{,6} prints it (little-endian 32-bit words), as an ip."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(words)
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def listening_addresses(port, tables=PROC_TABLES):
    """Every address with a socket listening on `port`, from the kernel's tables."""
    addresses = []
    for table in tables:
        try:
            text = Path(table).read_text()
        except OSError:
            continue
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4 or fields[3] != LISTEN:
                continue
            hex_address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port:
                addresses.append(decode_address(hex_address))
    return addresses


def exposed(addresses):
    """The addresses of `addresses` that are not loopback ones."""
    return [address for address in addresses if not address.is_loopback]
