"""Drives a Linux guest's serial shell through pipes: start the emulator (kasou or
QEMU) with the serial console on stdin/stdout, wait for the shell prompt, type
commands one at a time and read back what each printed, with timeouts.

Every byte the guest writes is kept in a transcript file (and in memory) so a
failing test can show the whole session. On a timeout the emulator is killed.

Output of one command is framed by two marker lines that the shell prints around
it. The markers are typed with an empty quoted string in the middle
(echo "@@KB""7") so the terminal's echo of the typed line never looks like the
printed marker (@@KB7) at the start of a line.
"""

import os
import re
import signal
import subprocess
import threading
import time

PROMPT_RE = re.compile(r"kasou:[^\n]*# ")
# Terminal control sequences the shell's line editor writes (cursor position
# query ESC[6n, erase-line...), removed before matching.
ESCAPE_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1bc")


class GuestError(Exception):
    """A check on the guest failed, or it did not answer in time."""


def clean(text):
    """Text as a reader sees it: no carriage returns, no terminal escapes."""
    return ESCAPE_RE.sub("", text.replace("\r", ""))


class GuestSession:
    def __init__(self, name, argv, workdir, env=None):
        self.name = name
        self.argv = argv
        os.makedirs(workdir, exist_ok=True)
        self.transcript_path = os.path.join(workdir, f"{name}.transcript.txt")
        self._log = open(self.transcript_path, "wb")
        self._log.write(("$ " + " ".join(argv) + "\n").encode())
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._marker = 0
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self._pos = 0  # where the next wait starts looking (index into the cleaned text)

    # -- output ---------------------------------------------------------------
    def _read_loop(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self._buf += chunk
                self._log.write(chunk)
                self._log.flush()
                self._cond.notify_all()

    def text(self):
        """Everything the guest printed so far, cleaned."""
        with self._cond:
            return clean(self._buf.decode("utf-8", "replace"))

    def transcript(self):
        with self._cond:
            return self._buf.decode("utf-8", "replace")

    def wait_for(self, pattern, timeout_s, what=None, since=None):
        """Waits until the cleaned output (from `since`, default: after the last
        match) matches `pattern`; returns the match. Kills the emulator and raises
        GuestError on timeout or if the emulator exits first."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        start = self._pos if since is None else since
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                text = clean(self._buf.decode("utf-8", "replace"))
                m = regex.search(text, start)
                if m:
                    self._pos = m.end()
                    return m
                if self._eof:
                    self.proc.wait()
                    raise GuestError(f"{self.name}: the emulator exited (status {self.proc.returncode}) "
                                     f"before {what or regex.pattern!r} appeared")
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise GuestError(f"{self.name}: no {what or regex.pattern!r} within {timeout_s} s "
                                     f"(emulator killed)")
                self._cond.wait(min(left, 0.5))

    # -- input ----------------------------------------------------------------
    def type(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise GuestError(f"{self.name}: cannot type {text!r}: the emulator's input is closed")

    def wait_prompt(self, timeout_s):
        return self.wait_for(PROMPT_RE, timeout_s, "the shell prompt")

    def run(self, command, timeout_s=30, wait_prompt=True):
        """Types `command` at the prompt (which must be showing) and returns what it
        printed (cleaned, without the markers) and its exit status. Waits for the
        next prompt before returning, so the next command is not typed too early
        (wait_prompt=False: returns at the end marker; for timing, not for tests)."""
        self._marker += 1
        n = self._marker
        self.type(f'echo "@@KB""{n}"; {command}; echo "@@KE""{n} $?"\n')
        begin = self.wait_for(rf"(?m)^@@KB{n}\n", timeout_s, f"the start of the output of {command!r}")
        end = self.wait_for(rf"(?m)^@@KE{n} (\d+)\n", timeout_s, f"the end of the output of {command!r}")
        output = self.text()[begin.end():end.start()]
        if wait_prompt:
            self.wait_prompt(timeout_s)
        return output, int(end.group(1))

    def check(self, command, timeout_s=30):
        """run() that insists on exit status 0; returns the output."""
        output, status = self.run(command, timeout_s)
        if status != 0:
            raise GuestError(f"{self.name}: {command!r} exited with status {status}:\n{output}")
        return output

    def quiet_kernel_console(self):
        """Only emergency messages on the console from now on (console_loglevel 1):
        the kernel prints asynchronously (e.g. 'random: crng init done' tens of
        seconds into a run), and such a line in the middle of a command's output
        would fail a comparison. Power-off, restart and panic messages are
        emergencies, and dmesg still has everything."""
        self.check("echo 1 > /proc/sys/kernel/printk")

    # -- end ------------------------------------------------------------------
    def wait_exit(self, timeout_s):
        """Waits for the emulator to end by itself; returns its exit status, or
        kills it and raises GuestError on timeout."""
        try:
            status = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise GuestError(f"{self.name}: the emulator did not exit within {timeout_s} s (killed)")
        self._reader.join(5)
        return status

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def close(self):
        self.kill()
        self._reader.join(5)
        with self._cond:
            self._log.close()

    def elapsed_s(self):
        return time.monotonic() - self.started
