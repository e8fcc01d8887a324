#!/usr/bin/env python3
"""Launch moto's server with the ECS emulator installed.

    python server.py -H 127.0.0.1 -p PORT [--speed N]

Every moto_server option works (-H, -p, -r, -s, -c, -k); everything but ECS
behaves exactly as moto_server, including /moto-api/.  --speed (or
$ECS_EMULATOR_SPEED) sets the default emulated-clock speed.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--speed", type=float, default=None)
    ours, rest = pre.parse_known_args(argv)
    if ours.speed is not None:
        if ours.speed < 0:
            sys.exit("--speed must be >= 0")
        os.environ["ECS_EMULATOR_SPEED"] = str(ours.speed)

    import moto.server

    import ecs_emulator
    from ecs_emulator.control import EmulatorDispatcher

    ecs_emulator.install()
    # moto.server.main builds DomainDispatcherApplication(create_backend_app)
    # and serves it with run_simple; swap in the subclass that answers
    # /ecs-emulator/ and passes everything else to moto.
    moto.server.DomainDispatcherApplication = EmulatorDispatcher
    sys.argv = [sys.argv[0]] + rest  # main() falls back to sys.argv[1:]
    moto.server.main(rest)


if __name__ == "__main__":
    main()
