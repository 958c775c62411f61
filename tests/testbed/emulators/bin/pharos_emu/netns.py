"""Doing one step inside another network namespace: the mirror creates its listening
sockets in the testbed's switch namespace and returns to the machine's, so its own
fetches from Debian's archive leave through the machine's network."""
import ctypes
import os

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


class Inside:
    """with Inside("/proc/PID/ns/net"): sockets made here belong to that namespace."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        # a thread's namespace: setns changes only the calling thread
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(self.path, os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        return self

    def __exit__(self, *exc):
        try:
            _setns(self.home)
        finally:
            os.close(self.home)
