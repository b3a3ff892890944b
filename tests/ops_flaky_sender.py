"""A notice sender for the worker tests: fails one send in five, records every success.

``NOTICE_SENDER = "tests.ops_flaky_sender:factory"``; the successes go, one line
``<notice id> <pid>`` each, to the file named by ``OPS_SENT_LOG`` (appended with O_APPEND,
so lines of several processes never mix).
"""

from __future__ import annotations

import os
import random
import time


class FlakySender:
    def __init__(self, path: str):
        self.path = path
        self.random = random.Random(os.getpid())

    def send(self, message) -> None:
        time.sleep(0.003)  # a provider takes a moment: lets the workers interleave
        if self.random.random() < 0.2:
            raise ConnectionError("provider timed out (test)")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{message.notice_id} {os.getpid()}\n".encode())
        finally:
            os.close(fd)


def factory(app) -> FlakySender:
    return FlakySender(os.environ["OPS_SENT_LOG"])
