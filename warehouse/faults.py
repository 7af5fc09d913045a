"""Named points in a load where the fault tests kill the process (tests/test_faults.py).

With env DENIALS_FAULT_POINT=<name>, the process announces the point on stderr and waits there,
so a test can SIGKILL it at exactly that moment. Unset (always, in real use) it does nothing."""
from __future__ import annotations

import os
import sys
import time

ENV = "DENIALS_FAULT_POINT"
POINTS = ("parse", "write", "commit")


def point(name: str) -> None:
    if os.environ.get(ENV) == name:
        print(f"FAULT-POINT {name}", file=sys.stderr, flush=True)
        time.sleep(120)
