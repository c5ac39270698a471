"""Starts a TensorFlow server (`tf.distribute.Server`) for `tflayers ... --target grpc://...`.

    python python/serve.py --port 2222
    python python/serve.py --cluster cluster.json --job worker --task 1 --all-interfaces

Alone, the server is task 0 of a one-task job `worker`. With `--cluster`, it is one task of
the cluster in that JSON file (TensorFlow's usual format, see `cluster.py`), listening on the
port the file gives for it; start every task of the cluster the same way, each on its host.

TensorFlow's server has no authentication: whoever reaches the port can run any op there,
reading and writing files included. It also listens on every network interface, whatever the
address it is given. So by default this script keeps it on loopback (127.0.0.1): it starts
itself again with a small bind(2) wrapper preloaded (`loopback_only.c`, see `loopback.py`),
checks once the server is up that every socket on its port is a loopback one, and says so in
its `serving` line. Reach it from another machine through an SSH tunnel
(`ssh -N -L 2222:127.0.0.1:2222 HOST`). `--all-interfaces` is for a real cluster of several
hosts on a trusted network: it listens on every interface, as TensorFlow does, and prints a
warning.

When it is ready it prints one line on stdout, `serving grpc://HOST:PORT (WHERE)`, whose
second word is the target to pass to `--target`; it then serves until SIGTERM or SIGINT
(Ctrl-C), or, with `--stop-on-stdin-eof`, until its standard input is closed (tests use this
so that a server whose test died stops by itself). `--port 0` picks a free port.
"""

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as cluster_lib  # noqa: E402
import loopback  # noqa: E402

STANDALONE_JOB = "worker"


def server_spec(args):
    """(cluster dict, job, task) for the command line; raises SystemExit on bad input."""
    if args.cluster is None:
        if args.port is None:
            raise SystemExit("error: give --port PORT (or --cluster FILE --job JOB --task N)")
        if args.job != STANDALONE_JOB or args.task != 0:
            raise SystemExit("error: --job and --task need --cluster FILE")
        return {STANDALONE_JOB: [f"127.0.0.1:{args.port}"]}, STANDALONE_JOB, 0
    spec = cluster_lib.load(args.cluster)
    address = cluster_lib.address(spec, args.job, args.task)
    port = int(address.rsplit(":", 1)[1])
    if args.port is not None and args.port != port:
        raise SystemExit(
            f"error: --port {args.port} disagrees with {args.cluster}, which gives "
            f"/job:{args.job}/task:{args.task} the address {address}"
        )
    return spec, args.job, args.task


def port_number(text):
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port from 0 to 65535")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=port_number, help="port to listen on; 0 picks a free one")
    parser.add_argument("--cluster", type=Path, help="cluster file (JSON, TensorFlow's format)")
    parser.add_argument("--job", default=STANDALONE_JOB, help="this task's job in the cluster")
    parser.add_argument("--task", type=int, default=0, help="this task's index in its job")
    parser.add_argument(
        "--stop-on-stdin-eof", action="store_true", help="also stop when stdin is closed"
    )
    parser.add_argument(
        "--all-interfaces",
        action="store_true",
        help="listen on every network interface (a cluster of several hosts on a trusted "
        "network); the default is loopback only. Anyone who reaches the port can run any op",
    )
    return parser.parse_args(argv)


def listening(port, addresses, all_interfaces, name):
    """(where, message) for a server `name` whose port has sockets on `addresses`.

    `where` goes in the `serving` line; it is None when the server must not serve: loopback
    was asked for (the default) and a socket is on another address, or none was found.
    """
    exposed = loopback.exposed(addresses)
    if all_interfaces:
        return "every network interface, no authentication", (
            f"warning: --all-interfaces: {name} listens on port {port} of every network "
            f"interface, without authentication: anyone who can reach this host on that port "
            f"can run any TensorFlow op here, reading and writing files included. Use it only "
            f"on a trusted network, behind a firewall"
        )
    if exposed or not addresses:
        found = ", ".join(map(str, exposed)) if exposed else "an address /proc/net does not show"
        return None, (
            f"error: the server on port {port} listens on {found}, not on loopback only (the "
            f"bind(2) wrapper {loopback.SHIM_SOURCE.name} did not take effect); stopping. Pass "
            f"--all-interfaces to serve a trusted network on purpose"
        )
    return "loopback only", (
        f"{name}; it listens on port {port} of 127.0.0.1 only (checked); from another "
        f"machine, reach it through an SSH tunnel: ssh -N -L {port}:127.0.0.1:{port} THIS_HOST"
    )


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    spec, job, task = server_spec(args)
    if not args.all_interfaces:
        loopback.preload_and_reexec(argv)

    import tensorflow as tf  # slow; only once the arguments are known to be good

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.stop_on_stdin_eof:

        def wait_for_eof():
            sys.stdin.buffer.read()
            stop.set()

        threading.Thread(target=wait_for_eof, daemon=True).start()

    try:
        server = tf.distribute.Server(
            tf.train.ClusterSpec(spec), job_name=job, task_index=task, start=True
        )
    except (tf.errors.OpError, ValueError) as err:
        raise SystemExit(
            f"error: cannot start the TensorFlow server /job:{job}/task:{task}: {err} "
            f"(is port {spec[job][task].rsplit(':', 1)[1]} already in use?)"
        ) from None
    target = server.target.decode() if isinstance(server.target, bytes) else server.target
    port = int(target.rsplit(":", 1)[1])
    name = f"TensorFlow {tf.__version__} server /job:{job}/task:{task} of {spec}"
    where, message = listening(port, loopback.listening_addresses(port), args.all_interfaces, name)
    print(message, file=sys.stderr, flush=True)
    if where is None:
        os._exit(1)
    print(f"serving {target} ({where})", flush=True)
    # stdout carries that one line only: TensorFlow prints the placement log of a client's
    # `--log-device-placement` with C's printf, so send file descriptor 1 to stderr from here.
    os.dup2(2, 1)
    # The server runs on TensorFlow's own threads; the main thread only waits for a stop.
    while not stop.wait(0.5):
        pass
    print(f"stopping the server {target}", file=sys.stderr, flush=True)
    # TensorFlow cannot shut a started server down cleanly ("Clean shutdown is not currently
    # implemented"), and interpreter teardown can block on its threads: leave at once.
    os._exit(0)


if __name__ == "__main__":
    main()
