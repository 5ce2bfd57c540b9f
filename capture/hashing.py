"""SHA-256 of a bundle's files while verify validates its manifest.

verify starts the hashes before it imports pydantic and builds the manifest's
validators. In threads of the same process that overlap bought nothing: building the
validators holds the interpreter's lock for tens of milliseconds at a time, and a
hashing thread needs that lock after every block it reads. On 1 GiB (2 cores) hashing
beside the validation took 0.52 s instead of 0.40 s, about what the two cost one after
the other. A child process forked before the validation has a lock of its own, and
hashes on all cores while the parent validates.

Only where forking is safe and cheap: Linux, and a process with no other thread (a
thread holding a lock at the fork would leave the child waiting on it forever). The
child hashes with the parent's own `hash_one` and file descriptors,
and writes one JSON line per file to a pipe; the parent turns the lines into futures.
Whatever the child does not report (it died, or a file raised something unexpected)
the parent hashes itself, so the results and the exceptions are those of threads.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed


def above_standard(fd: int) -> int:
    """fd, moved to a number above 0-2 if it got one (a process started with a standard
    descriptor closed): the child points its standard streams at /dev/null, and must not
    close the pipe or the bundle's folder that way. POSIX only, where it can happen."""
    if fd > 2:
        return fd
    import fcntl  # noqa: PLC0415 - not on Windows, where no descriptor is handed down

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.close(fd)
    return moved


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


class Hashing:
    """A future per file, (size, hex digest) or the `unreadable` exception it raised;
    close() when done (it also stops hashing that is no longer wanted)."""

    def __init__(self, hash_one: Callable[[str], tuple[int, str]], rels: list[str], workers: int,
                 unreadable: type[Exception], fork: bool):
        self.hash_one, self.unreadable = hash_one, unreadable
        self.futures: dict[str, Future] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._child: int | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()  # the child's pid is killed or reaped, never both
        self._stopping = False
        if not rels:
            return
        if fork:  # the caller asks can_fork(), and knows whether its files may be shared
            try:
                self._fork(rels, workers)
            except BaseException:  # a Ctrl-C as it started: no child left behind
                self.close()
                raise
        else:
            self._pool = ThreadPoolExecutor(max_workers=min(workers, len(rels)))
            self.futures = {rel: self._pool.submit(hash_one, rel) for rel in rels}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._stopping = True
        with self._lock:
            if self._child is not None:  # still hashing: we were interrupted
                try:
                    os.kill(self._child, signal.SIGKILL)
                except OSError:
                    pass
        if self._reader is not None:
            self._reader.join()

    # --- the child -----------------------------------------------------------------------

    def _fork(self, rels: list[str], workers: int) -> None:
        self.futures = {rel: Future() for rel in rels}
        self.workers = workers
        read_end, write_end = (above_standard(end) for end in os.pipe())
        parent = os.getpid()
        # No Ctrl-C between the fork and the child's own handling of it (it would run
        # the rest of verify a second time), nor before the parent knows its child.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            with self._lock:
                pid = os.fork()
                if pid == 0:  # the child: never returns
                    try:
                        os.close(read_end)
                        _hash_and_report(self.hash_one, rels, workers, self.unreadable, write_end, blocked,
                                         parent)
                    finally:
                        os._exit(1)
                self._child = pid
            os.close(write_end)
            # Created with SIGINT blocked, as the reader keeps it: Ctrl-C is the main thread's.
            self._reader = threading.Thread(target=self._read, args=(read_end,), daemon=True)
            self._reader.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _read(self, fd: int) -> None:
        pending = b""
        try:
            while chunk := os.read(fd, 1 << 16):
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    self._settle(json.loads(line))
        except (OSError, ValueError):
            pass  # a broken report: what it did not settle is hashed here below
        finally:
            os.close(fd)
            with self._lock:  # the pipe is closed: the child is exiting, or gone
                try:
                    os.waitpid(self._child, 0)
                except OSError:
                    pass
                self._child = None
            missing = [(rel, f) for rel, f in self.futures.items() if not f.done()]
            if missing and not self._stopping:
                with ThreadPoolExecutor(max_workers=min(self.workers, len(missing))) as pool:
                    for rel, future in missing:
                        pool.submit(self._here, rel, future)

    def _settle(self, line) -> None:
        rel, size, value = line
        future = self.futures.get(rel)
        if future is None or future.done() or value is None:
            return  # not one we asked for, or one to hash here
        if size is None:
            future.set_exception(self.unreadable(value))
        else:
            future.set_result((size, value))

    def _here(self, rel: str, future: Future) -> None:
        try:
            future.set_result(self.hash_one(rel))
        except BaseException as exc:  # noqa: BLE001 - handed over as a thread's future would
            future.set_exception(exc)


def _hash_and_report(hash_one, rels: list[str], workers: int, unreadable: type[Exception], fd: int,
                     mask, parent: int) -> None:
    """The child's whole life: hash, report each file as it is done, exit."""
    code = 1
    try:
        # A Ctrl-C reaches the whole process group: the parent stops us if it wants to.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        _die_with_parent(parent)
        # The parent's terminal and pipes are its own: `verify | tee` ends when it does.
        null = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(null, std)
        with ThreadPoolExecutor(max_workers=min(workers, len(rels))) as pool:
            running = {pool.submit(hash_one, rel): rel for rel in rels}
            for future in as_completed(running):
                rel = running[future]
                try:
                    size, digest = future.result()
                    line = [rel, size, digest]
                except unreadable as exc:
                    line = [rel, None, str(exc)]
                except BaseException:  # noqa: BLE001 - the parent hashes it again and sees why
                    line = [rel, None, None]
                data = (json.dumps(line) + "\n").encode()
                while data:
                    data = data[os.write(fd, data):]
        code = 0
    finally:
        os._exit(code)


def _die_with_parent(parent: int) -> None:
    """Killed with the parent (a timeout, SIGKILL), not left hashing gigabytes alone."""
    try:
        import ctypes  # noqa: PLC0415 - Linux only, and only in the child

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError, ImportError):
        pass
    if os.getppid() != parent:  # gone before the request took hold
        os._exit(1)
