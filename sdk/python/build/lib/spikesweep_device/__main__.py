"""`python -m spikesweep_device serve --backend brian2 [--port P] [--offsets-seed S]`."""
from __future__ import annotations

import argparse
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spikesweep-device", description="Serve a device over the SpikeSweep device protocol")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve a bundled device")
    s.add_argument("--backend", choices=["brian2"], default="brian2")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 = any free port (printed on stdout)")
    s.add_argument("--dt-ms", type=float, default=0.05, help="Brian2 clock step for continuous-time networks")
    s.add_argument("--offsets-seed", type=int, default=None, help="draw per-neuron parameter offsets from this seed")
    s.add_argument("--offset-scale", type=float, default=1.0, help="scale of the offsets (1 = the emulated chip's default spread)")
    args = parser.parse_args(argv)
    if args.dt_ms <= 0:
        print("spikesweep-device: --dt-ms: must be > 0", file=sys.stderr)
        return 2

    from .brian2_device import Brian2Device
    from .server import serve

    device = Brian2Device(dt_ms=args.dt_ms, offsets_seed=args.offsets_seed, offset_scale=args.offset_scale)
    server, port = serve(device, args.port, args.host)
    # one line on stdout that a parent process can wait for
    print(f"listening {args.host}:{port} {device.capabilities().id}", flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
