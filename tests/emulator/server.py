"""The emulator process (started by `run`, inside the pinned venv).

Prints exactly `ready http://127.0.0.1:N` on stdout once the socket accepts
requests; everything else goes to stderr.  SIGINT/SIGTERM shut the server
down and exit 0; so does the end of stdin with --exit-on-stdin-eof (a parent
that keeps a pipe to our stdin, like the Rust test fixture, takes the
emulator down with it however it exits).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

# moto prints to stdout in places ("Unable to find appropriate backend…");
# keep stdout for the ready line only.
READY_OUT = sys.stdout
sys.stdout = sys.stderr

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # attach arn:aws:iam::aws:policy/…
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tests/emulator/run", description="AWS emulator (moto + extensions)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5055, help="port; 0 picks a free one (default 5055)")
    parser.add_argument("--time-scale", type=float, default=None,
                        help="multiplier of real AWS durations (default 0.002: MSK create ≈ 3.6 s; 0 = immediate)")
    parser.add_argument("--request-log", metavar="FILE", help="append every request as a JSON line to FILE")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault random generator")
    parser.add_argument("--latency-ms", type=float, default=0, help="latency added to every request")
    parser.add_argument("--throttle-rate", type=float, default=0, help="probability of a throttling error")
    parser.add_argument("--error-rate", type=float, default=0, help="probability of a 5xx error")
    parser.add_argument("--error-status", type=int, default=500, choices=(500, 503), help="status of --error-rate errors")
    parser.add_argument("--fault-service", help="limit the three options above to this signing name (e.g. ec2)")
    parser.add_argument("--fault-operation", help="limit them to this operation (e.g. DescribeSubnets)")
    parser.add_argument("--faults", metavar="JSON|@FILE", help="full fault config (see README); overrides the options above")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit (code 0) as soon as stdin reaches EOF: a parent that keeps a pipe to our stdin "
                             "takes the emulator down with it when it exits, however it exits")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each HTTP request to stderr")
    return parser.parse_args(argv)


def fault_config(args: argparse.Namespace) -> dict:
    if args.faults:
        text = open(args.faults[1:]).read() if args.faults.startswith("@") else args.faults
        config = json.loads(text)
        if args.seed is not None:
            config.setdefault("seed", args.seed)
        return config
    scope = {"service": args.fault_service, "operation": args.fault_operation}
    return {
        "seed": args.seed,
        "latency": {"ms": args.latency_ms, **scope},
        "throttle": {"rate": args.throttle_rate, **scope},
        "error": {"rate": args.error_rate, "status": args.error_status, **scope},
    }


def main(argv: list[str]) -> int:
    # Handlers first: a signal during the (1 s) imports must also end cleanly.
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    args = parse_args(argv)

    import motoext

    motoext.register()

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    from emulator.app import EmulatorApp
    from emulator.faults import Faults, FaultConfigError
    from emulator.requestlog import RequestLog
    from motoext.clock import CLOCK

    if args.time_scale is not None:
        if args.time_scale < 0:
            print("--time-scale must be >= 0", file=sys.stderr)
            return 2
        CLOCK.time_scale = args.time_scale
    try:
        faults = Faults(fault_config(args))
    except (FaultConfigError, ValueError, OSError) as e:
        print(f"invalid fault options: {e}", file=sys.stderr)
        return 2

    app = EmulatorApp(faults, RequestLog(args.request_log))

    class Handler(MotoRequestHandler):
        def log_request(self, code: object = "-", size: object = "-") -> None:
            if args.verbose:
                super().log_request(code, size)

    server = make_server(args.host, args.port, app, threaded=True, request_handler=Handler)
    port = server.server_port
    os.environ.setdefault("MOTO_PORT", str(port))

    thread = threading.Thread(target=server.serve_forever, name="emulator-http", daemon=True)
    thread.start()
    print(f"ready http://{args.host}:{port}", file=READY_OUT, flush=True)
    if args.exit_on_stdin_eof:
        watch_stdin(stop)

    warm_up(app)
    stop.wait()
    server.shutdown()
    server.server_close()
    app.log.close()
    print("emulator stopped", file=sys.stderr)
    return 0


def watch_stdin(stop: threading.Event) -> None:
    """Sets `stop` once stdin reaches EOF (or fails): the parent holding the pipe is gone."""

    def read_until_eof() -> None:
        try:
            while sys.stdin.buffer.read1(65536):  # type: ignore[union-attr]
                pass
        except (OSError, ValueError, AttributeError):
            pass
        print("[emulator] stdin closed (--exit-on-stdin-eof): stopping", file=sys.stderr, flush=True)
        stop.set()

    threading.Thread(target=read_until_eof, name="emulator-stdin", daemon=True).start()


def warm_up(app) -> None:  # type: ignore[no-untyped-def]
    """Builds the Flask apps of the main services now, not on their first request."""
    import time

    started = time.monotonic()
    for service in ("ec2", "rds", "kafka", "kafkaconnect", "redshift-serverless", "iam", "s3",
                    "secretsmanager", "logs", "sts", "ssm", "rds-data", "tagging"):
        try:
            with app.moto.lock:
                name = app.moto.get_backend_for_host(f"{service}.us-east-1.amazonaws.com")
                if name and name not in app.moto.app_instances:
                    app.moto.app_instances[name] = app.moto.create_app(name)
        except Exception as e:  # a failed warm-up only costs time on the first request
            print(f"[emulator] warm-up of {service} failed: {e}", file=sys.stderr)
    print(f"[emulator] services warmed up in {time.monotonic() - started:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
