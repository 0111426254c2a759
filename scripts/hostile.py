#!/usr/bin/env python3
"""Hostile-sender attacks against a real `callwatch listen` (issue 13), measured and checked.

Usage:
    python3 scripts/hostile.py --binary target/release/callwatch [ATTACK ...] [--quick]
    python3 scripts/hostile.py --list

Python 3.11+, standard library only. Every byte goes to 127.0.0.1; every loop is bounded in
count and in time (--attack-timeout, default 600 s per attack), and the script stops by itself.
Each attack starts its own callwatch in a fresh temporary directory (HOME, XDG_CONFIG_HOME,
XDG_STATE_HOME, XDG_DATA_HOME point into it, so no user config is read and the log goes there;
CALLWATCH_*, TWILIO_* and RUST_LOG are removed from its environment, and the Twilio API bases
point at a closed loopback port), runs the attack, measures, stops it (SIGTERM, then SIGKILL
after 10 s) and prints one result line. A final markdown table lists attack, measured value,
bound, PASS/FAIL/SKIP and the 1-minute load average when the figure was taken. Exit status: 0
when every bound held, 1 when one was missed (a callwatch that died or could not start is a
FAIL with the reason), 2 on bad usage.

--quick divides every request count by 10 and shortens the connection attacks from 20 s to 5 s
(they keep their 2,000 connections: under callwatch's default cap of 1,024 connections nothing
happens); for developing the script, the bounds are those of the full run.

Attacks, method and bounds (issue 13, "Done when"):

  unsigned-1mib          3,000 unsigned POSTs to the events path, body 1 MiB - 1 KiB (a JSON
                         array of one CloudEvent padded to that size, distinct per request),
                         16 at a time, one connection each, `--output quiet`. Measured: VmRSS
                         (/proc/PID/status) 2 s after the last answer minus VmRSS when idle
                         (1 s after start). Bound: < 100 MiB.
  unsigned-1mib-headers  The same with 95 extra headers of 3,900 bytes each. The count is first
                         probed: if the server refuses 95 (431, or closes unanswered) it is
                         lowered by 5 until accepted; what was refused is reported.
                         Bound: < 100 MiB.
  stalled-ndjson         The 3,000 requests of unsigned-1mib with `--output ndjson` into a pipe
                         that is never read. Bound: VmRSS < 100 MiB above idle.
  record-refused         `--record FILE` (default flags otherwise) and 10,000 unsigned POSTs
                         whose body is 1 KiB of control bytes (0x00-0x1f). Measured: size of
                         the recording after the attack, 2 s settle, and again after callwatch
                         stopped (the larger). Bound: < 1 MiB.
  log-long-paths         10,000 POSTs (empty body) to 60,000-byte paths that are not the events
                         path. Measured: growth of every file under the default log directory
                         ($XDG_STATE_HOME/callwatch, rotations included), after a 2 s settle and
                         after stop. Bound: < 1 MiB.
  log-long-queries       10,000 unsigned POSTs (empty body) to the events path with a 60,000-byte
                         query string. Same measure and bound as log-long-paths.
  conn-idle              2,000 hostile connections held open, each reopened as soon as it is
  conn-slowloris         closed (at most once per 100 ms), for 20 s after a 2 s ramp:
  conn-slow-body           idle:      connect and send nothing;
                           slowloris: send a request head one byte per second, never ending it;
                           slow-body: a complete head (signature header, Content-Length:
                                      100000) to the events path, then one body byte per second.
                         Meanwhile a separate prober process POSTs a valid signed delivery
                         (fresh event id, signed as Twilio signs: ?bodySHA256=<hex> and
                         X-Twilio-Signature = base64(HMAC-SHA1(token, url))) every 100 ms on a
                         fresh connection, open loop, and times each from connect to the end of
                         the answer; no 2xx within 10 s is a failure counted as 10 s. Also run
                         for 1 s before the attack as a baseline. Bound: p99 < 1 s and 0 failures.
  details-cpu            In a private tmux server, callwatch's TUI gets one unsigned ~1 MiB JSON
                         body; its delivery details are opened (Tab, Enter) and callwatch's CPU
                         time over the next 10 s, nothing else arriving, is measured (the body
                         used to be re-rendered every frame). Bound: < 1 s.
  sighup                 In a private tmux server (tmux -L, 120x40), callwatch's TUI is started
                         and sent SIGHUP. Measured: its exit status and tmux's #{alternate_on} and
                         #{cursor_flag} of the pane after it exited. Bound: alternate screen off,
                         cursor visible, exit status 0 or 129. SKIP when tmux is missing.

Not covered here: idle CPU with a 1 MiB body open in the TUI's details (measured in tmux
separately), and raw control bytes reaching the terminal (checked through a pty by tests).

The load generator runs on the same machine as callwatch: note the load average printed with
each figure, and run it on a quiet machine for figures worth quoting.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import hashlib
import hmac
import json
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field

HOST = "127.0.0.1"
TOKEN = "hostile-test-token-0123456789abcdef"
MIB = 1024 * 1024
KIB = 1024

# ---------------------------------------------------------------------------------------------
# Deliveries

CALL_DATA = {
    "call_sid": "CA00000000000000000000000000000000",
    "account_sid": "AC00000000000000000000000000000000",
    "parent_call_sid": "",
    "parent_account_sid": "",
    "start_time": "2020-07-23T22:56:28Z",
    "end_time": "2020-07-23T22:56:33Z",
    "duration": 0,
    "connect_duration": 0,
    "call_type": "client",
    "call_state": "canceled",
    "from": {"caller": "+55555555", "callee": "", "carrier": "MEGA:CORP", "connection": "landline",
             "number_prefix": "5555", "location": {"lat": 0.0, "lon": -0.0}, "city": "",
             "country_code": "US", "country_subdivision": "", "ip_address": "", "sdk": None},
    "to": {"caller": "", "callee": "client:SOMECLIENT", "carrier": "", "connection": "twilio_sdk",
           "number_prefix": "", "location": None, "city": "", "country_code": "",
           "country_subdivision": "", "ip_address": "", "sdk": None},
    "processing_state": "partial",
    "processing_version": 1,
    "sip_edge": None, "carrier_edge": None, "sdk_edge": None, "client_edge": None,
    "tags": [],
    "attributes": None,
    "properties": {"q850_cause": 0, "last_sip_response_num": 0, "pdd_ms": 0, "route_id": "",
                   "media_region": "unknown_realm", "signaling_region": "unknown_realm",
                   "twilio_media_ip": "", "twilio_signaling_ip": "", "external_media_ip": "",
                   "external_signaling_ip": "", "sip_call_id": "", "user_agent": "",
                   "selected_region": "unknown_realm", "region": "unknown_realm", "trunk_sid": "",
                   "disconnected_by": "unknown_disconnected_by", "direction": "outbound_api",
                   "settings": None},
}


def valid_body() -> bytes:
    """One predicted-complete call summary (assets/twilio/fixtures) with fresh ids."""
    n = uuid.uuid4().hex
    data = dict(CALL_DATA, call_sid="CA" + n)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    event = {
        "specversion": "1.0",
        "type": "com.twilio.voice.insights.call-summary.predicted-complete",
        "source": f"/v1/Voice/CA{n}/Summary",
        "id": "EZ" + uuid.uuid4().hex,
        "dataschema": "https://events-schemas.twilio.com/VoiceInsights.CallSummary/1",
        "datacontenttype": "application/json",
        "time": now,
        "data": json.dumps(data, separators=(",", ":")),
    }
    return json.dumps([event], separators=(",", ":")).encode()


def signed_request(public_url: str, body: bytes, port: int) -> bytes:
    """The bytes of a POST signed as Twilio signs Event Streams deliveries."""
    digest = hashlib.sha256(body).hexdigest()
    url = f"{public_url}?bodySHA256={digest}"
    sig = base64.b64encode(hmac.new(TOKEN.encode(), url.encode(), hashlib.sha1).digest()).decode()
    path = "/" + public_url.split("://", 1)[1].split("/", 1)[1] + f"?bodySHA256={digest}"
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Content-Type: application/json\r\nX-Twilio-Signature: {sig}\r\n"
            f"User-Agent: TwilioProxy/1.1\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n")
    return head.encode() + body


# ---------------------------------------------------------------------------------------------
# Small helpers

def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def rss_kib(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) in KiB, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


def mib(kib_or_bytes: float, unit: int = KIB) -> str:
    return f"{kib_or_bytes * unit / MIB:,.1f} MiB"


def tree_size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


class AttackFailed(Exception):
    """The attack could not be carried out or callwatch died: a FAIL with this reason."""


@dataclass
class Result:
    name: str
    measured: str
    bound: str
    verdict: str  # PASS, FAIL, SKIP
    detail: str = ""
    load: str = field(default_factory=loadavg)


# ---------------------------------------------------------------------------------------------
# callwatch processes

CHILDREN: list[subprocess.Popen] = []


class Callwatch:
    """One `callwatch listen` in its own temporary home."""

    def __init__(self, binary: str, name: str, output: str = "quiet", extra: list[str] | None = None,
                 stdout_mode: str = "devnull", keep: bool = False):
        self.tmp = tempfile.mkdtemp(prefix=f"hostile-{name}-")
        self.keep = keep
        self.port = free_port()
        self.public_url = f"http://{HOST}:{self.port}/events"
        self.state_dir = os.path.join(self.tmp, "state")
        self.log_dir = os.path.join(self.state_dir, "callwatch")
        self.env = clean_env(self.tmp)
        self.args = [binary, "listen", "--public-url", self.public_url, "--port", str(self.port),
                     "--auth-token", TOKEN, "--output", output] + (extra or [])
        self.stderr_path = os.path.join(self.tmp, "stderr.txt")
        self.stdout_mode = stdout_mode
        self.proc: subprocess.Popen | None = None

    def start(self, ready_timeout: float = 30.0) -> None:
        stdout = {"devnull": subprocess.DEVNULL, "pipe": subprocess.PIPE}[self.stdout_mode]
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=stdout,
                                         stderr=err, env=self.env, cwd=self.tmp)
        CHILDREN.append(self.proc)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            self.check_alive("at start")
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as s:
                    s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise AttackFailed(f"callwatch did not answer GET /healthz within {ready_timeout:.0f} s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stderr_tail(self, n: int = 400) -> str:
        try:
            with open(self.stderr_path, "rb") as f:
                text = f.read().decode(errors="replace").strip()
        except OSError:
            return ""
        return text[-n:].replace("\n", " | ")

    def check_alive(self, when: str) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            code = self.proc.returncode
            how = f"signal {-code}" if code < 0 else f"exit {code}"
            tail = self.stderr_tail()
            raise AttackFailed(f"callwatch died {when} ({how})" + (f": {tail}" if tail else ""))

    def rss(self, when: str) -> tuple[int, int]:
        self.check_alive(when)
        got = rss_kib(self.pid)
        if got is None:
            raise AttackFailed(f"no /proc status for callwatch {when}")
        return got

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 10 s. Returns the exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        if proc in CHILDREN:
            CHILDREN.remove(proc)
        return proc.returncode

    def cleanup(self) -> None:
        self.stop()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def clean_env(tmp: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CALLWATCH_", "TWILIO_")) and k not in ("RUST_LOG", "NO_COLOR")}
    for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"),
                     ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
        path = os.path.join(tmp, sub)
        os.makedirs(path, exist_ok=True)
        env[var] = path
    # Nothing may leave the machine: the API clients point at a closed loopback port.
    env["CALLWATCH_EVENTS_API_BASE"] = "http://127.0.0.1:9"
    env["CALLWATCH_MONITOR_API_BASE"] = "http://127.0.0.1:9"
    return env


def kill_children() -> None:
    for proc in list(CHILDREN):
        if proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


# ---------------------------------------------------------------------------------------------
# asyncio HTTP client (one request per connection, `Connection: close`)

async def one_request(port: int, parts: list[bytes], timeout: float) -> str:
    """Sends the request made of `parts` and reads the answer: "status NNN" or what went wrong."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        return f"connect: {type(e).__name__}"
    try:
        async def exchange() -> str:
            try:
                for part in parts:
                    writer.write(part)
                await writer.drain()
            except (ConnectionError, OSError):
                pass  # the server may answer and close before reading everything: read the answer
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as e:
                return "closed unanswered" if not e.partial else "truncated answer"
            except asyncio.LimitOverrunError:
                return "answer head too long"
            status = head.split(b" ", 2)[1].decode(errors="replace") if head.startswith(b"HTTP/") else "?"
            # Read to the end (the server closes after `Connection: close`).
            while await reader.read(65536):
                pass
            return f"status {status}"
        return await asyncio.wait_for(exchange(), timeout)
    except asyncio.TimeoutError:
        return "timeout"
    except (ConnectionError, OSError) as e:
        return f"reset: {type(e).__name__}"
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 1)
        except (OSError, asyncio.TimeoutError, ConnectionError):
            pass


async def flood(cw: Callwatch, count: int, concurrency: int, make_parts, deadline: float,
                per_request_timeout: float = 30.0) -> tuple[collections.Counter, int, float]:
    """Sends `count` requests, `concurrency` at a time, until done or `deadline` (monotonic).
    Returns the outcomes, how many were sent, and the seconds it took."""
    outcomes: collections.Counter = collections.Counter()
    next_index = 0
    started = time.monotonic()

    async def worker() -> None:
        nonlocal next_index
        while next_index < count and time.monotonic() < deadline:
            i = next_index
            next_index += 1
            outcomes[await one_request(cw.port, make_parts(i), per_request_timeout)] += 1
            if cw.proc is not None and cw.proc.poll() is not None:
                return

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes, next_index, time.monotonic() - started


def outcome_text(outcomes: collections.Counter) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in outcomes.most_common())


# ---------------------------------------------------------------------------------------------
# Attack bodies

BIG_BODY = 1 * MIB - 1 * KIB


def big_unsigned_parts(port: int, extra_headers: bytes = b""):
    """A ~1 MiB JSON array of one CloudEvent whose data is padding; distinct per request."""
    pad = b"x" * BIG_BODY

    def parts(i: int) -> list[bytes]:
        prefix = (f'[{{"specversion":"1.0","type":"com.twilio.voice.insights.call-summary.complete",'
                  f'"source":"/v1/Voice/CA{i:032x}/Summary","id":"EZ{i:032x}",'
                  f'"datacontenttype":"application/json","time":"2026-01-01T00:00:00.000Z",'
                  f'"data":{{"pad":"').encode()
        suffix = b'"}}]'
        body_pad = pad[: BIG_BODY - len(prefix) - len(suffix)]
        length = len(prefix) + len(body_pad) + len(suffix)
        head = (f"POST /events HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {length}\r\nConnection: close\r\n").encode() + extra_headers + b"\r\n"
        return [head, prefix, body_pad, suffix]

    return parts


def pad_headers(n: int, size: int = 3900) -> bytes:
    return b"".join(f"X-Pad-{k:02d}: ".encode() + b"h" * size + b"\r\n" for k in range(n))


async def probe_header_count(cw: Callwatch, start: int = 95) -> tuple[int, list[str]]:
    """The largest count of 3,900-byte headers (start, start-5, ...) the server answers."""
    refused = []
    n = start
    while n > 0:
        parts = big_unsigned_parts(cw.port, pad_headers(n))(10**9 + n)
        outcome = await one_request(cw.port, parts, 30)
        if outcome.startswith("status ") and outcome != "status 431":
            return n, refused
        refused.append(f"{n} headers: {outcome}")
        cw.check_alive("while probing the header count")
        n -= 5
    return 0, refused


async def attack_memory(binary: str, name: str, count: int, output: str, stdout_mode: str,
                        headers: bool, deadline: float, keep: bool) -> Result:
    bound = BOUNDS[name]
    cw = Callwatch(binary, name, output=output, stdout_mode=stdout_mode, keep=keep)
    try:
        cw.start()
        await asyncio.sleep(1)
        idle, _ = cw.rss("when idle")
        extra = b""
        notes = []
        if headers:
            n, refused = await probe_header_count(cw)
            if n == 0:
                raise AttackFailed("every header count was refused: " + "; ".join(refused))
            extra = pad_headers(n)
            notes.append(f"{n} headers x 3,900 B accepted"
                         + (f" (refused: {'; '.join(refused)})" if refused else ""))
        outcomes, sent, took = await flood(cw, count, 16, big_unsigned_parts(cw.port, extra), deadline)
        cw.check_alive("during the attack")
        await asyncio.sleep(2)
        after, peak = cw.rss("after the attack")
        grew = after - idle
        ok = grew * KIB < 100 * MIB and sent == count
        measured = f"+{mib(grew)} (idle {mib(idle)} -> {mib(after)}, peak {mib(peak)})"
        if sent < count:
            notes.append(f"only {sent:,} of {count:,} sent before the time limit")
        notes.append(f"{sent:,} requests in {took:.1f} s: {outcome_text(outcomes)}")
        return Result(name, measured, bound, "PASS" if ok else "FAIL", "; ".join(notes))
    finally:
        cw.cleanup()


def control_body_parts(port: int):
    body = bytes(i % 32 for i in range(1 * KIB))

    def parts(i: int) -> list[bytes]:
        head = (f"POST /events HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        return [head, body]

    return parts


async def attack_record(binary: str, count: int, deadline: float, keep: bool) -> Result:
    name = "record-refused"
    bound = BOUNDS[name]
    cw = Callwatch(binary, name, extra=["--record", "REC"], keep=keep)
    rec = os.path.join(cw.tmp, "recording.ndjson")
    cw.args[cw.args.index("REC")] = rec
    try:
        cw.start()
        await asyncio.sleep(1)
        before = os.path.getsize(rec) if os.path.exists(rec) else 0
        outcomes, sent, took = await flood(cw, count, 16, control_body_parts(cw.port), deadline)
        cw.check_alive("during the attack")
        await asyncio.sleep(2)
        cw.check_alive("after the attack")
        settled = os.path.getsize(rec) if os.path.exists(rec) else 0
        code = cw.stop()
        stopped = os.path.getsize(rec) if os.path.exists(rec) else 0
        grew = max(settled, stopped) - before
        ok = grew < MIB and sent == count
        notes = [f"{sent:,} requests in {took:.1f} s: {outcome_text(outcomes)}",
                 f"{settled:,} B 2 s after, {stopped:,} B after stop (exit {code})"]
        if sent < count:
            notes.insert(0, f"only {sent:,} of {count:,} sent before the time limit")
        return Result(name, f"+{mib(grew, 1)} ({grew:,} B)", bound, "PASS" if ok else "FAIL",
                      "; ".join(notes))
    finally:
        cw.cleanup()


def long_target_parts(port: int, kind: str, length: int = 60_000):
    def parts(i: int) -> list[bytes]:
        tag = f"{i:08d}-"
        if kind == "path":
            target = "/" + tag + "p" * (length - 1 - len(tag))
        else:
            prefix = f"/events?{tag}q="
            target = prefix + "q" * (length - len(prefix))
        head = (f"POST {target} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n").encode()
        return [head]

    return parts


async def attack_log(binary: str, kind: str, count: int, deadline: float, keep: bool) -> Result:
    name = "log-long-paths" if kind == "path" else "log-long-queries"
    bound = BOUNDS[name]
    cw = Callwatch(binary, name, keep=keep)
    try:
        cw.start()
        await asyncio.sleep(1)
        before = tree_size(cw.state_dir)
        outcomes, sent, took = await flood(cw, count, 16, long_target_parts(cw.port, kind), deadline)
        cw.check_alive("during the attack")
        await asyncio.sleep(2)
        cw.check_alive("after the attack")
        settled = tree_size(cw.state_dir)
        code = cw.stop()
        stopped = tree_size(cw.state_dir)
        grew = max(settled, stopped) - before
        files = sorted(os.path.relpath(os.path.join(r, f), cw.state_dir)
                       for r, _d, fs in os.walk(cw.state_dir) for f in fs)
        ok = grew < MIB and sent == count
        notes = [f"{sent:,} requests in {took:.1f} s: {outcome_text(outcomes)}",
                 f"log files {', '.join(files) or 'none'}: {settled:,} B 2 s after, "
                 f"{stopped:,} B after stop (exit {code})"]
        if sent < count:
            notes.insert(0, f"only {sent:,} of {count:,} sent before the time limit")
        return Result(name, f"+{mib(grew, 1)} ({grew:,} B)", bound, "PASS" if ok else "FAIL",
                      "; ".join(notes))
    finally:
        cw.cleanup()


# ---------------------------------------------------------------------------------------------
# Connection attacks

@dataclass
class HostileStats:
    opened: int = 0
    connect_failed: int = 0
    closed_by_server: int = 0
    answered: int = 0
    held_at_end: int = 0
    open_now: int = 0
    max_open: int = 0
    # Set to end the slots early (cancelling alone is not enough: asyncio.wait_for in 3.11 can
    # swallow a cancellation that races with the connect it waits for).
    halt: bool = False


async def hostile_slot(kind: str, port: int, stop_at: float, stats: HostileStats) -> None:
    slow_head = (f"POST /events HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
                 "X-Slow: " + "s" * 10_000).encode()
    sig = base64.b64encode(b"\0" * 20).decode()
    body_head = (f"POST /events?bodySHA256={'0' * 64} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                 f"Content-Type: application/json\r\nX-Twilio-Signature: {sig}\r\n"
                 "Content-Length: 100000\r\n\r\n").encode()
    while time.monotonic() < stop_at and not stats.halt:
        cycle_start = time.monotonic()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port),
                                                    max(0.1, min(5.0, stop_at - time.monotonic())))
        except (OSError, asyncio.TimeoutError):
            stats.connect_failed += 1
            await asyncio.sleep(0.2)
            continue
        stats.opened += 1
        stats.open_now += 1
        stats.max_open = max(stats.max_open, stats.open_now)
        closed = False
        try:
            sent = 0
            if kind == "slow-body":
                writer.write(body_head)
                await writer.drain()
            while time.monotonic() < stop_at and not stats.halt:
                if kind == "slowloris" and sent < len(slow_head):
                    writer.write(slow_head[sent:sent + 1])
                    sent += 1
                    await writer.drain()
                elif kind == "slow-body" and sent < 100_000:
                    writer.write(b"[")
                    sent += 1
                    await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(4096),
                                                  max(0.01, min(1.0, stop_at - time.monotonic())))
                except asyncio.TimeoutError:
                    continue
                if not data:
                    closed = True
                    break
                stats.answered += 1
                while await reader.read(4096):
                    pass
                closed = True
                break
        except (ConnectionError, OSError):
            closed = True
        finally:
            stats.open_now -= 1
            if closed:
                stats.closed_by_server += 1
            else:
                stats.held_at_end += 1
            writer.close()
        # Reopen at once, but at most once per 100 ms per slot (the attacker's own CPU is shared
        # with callwatch and the prober).
        await asyncio.sleep(max(0.0, 0.1 - (time.monotonic() - cycle_start)))


def probe_main(argv: list[str]) -> None:
    """The prober process: valid signed deliveries every `interval` s for `duration` s."""
    port, public_url, duration, interval, timeout = (int(argv[0]), argv[1], float(argv[2]),
                                                     float(argv[3]), float(argv[4]))
    results: list[tuple[float, bool, str]] = []
    lock = threading.Lock()

    def once() -> None:
        request = signed_request(public_url, valid_body(), port)
        start = time.perf_counter()
        deadline = start + timeout
        detail = ""
        ok = False
        try:
            with socket.create_connection((HOST, port), timeout=timeout) as s:
                s.settimeout(max(0.001, deadline - time.perf_counter()))
                s.sendall(request)
                answer = b""
                while True:
                    s.settimeout(max(0.001, deadline - time.perf_counter()))
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            status = answer.split(b" ", 2)[1].decode(errors="replace") if answer.startswith(b"HTTP/") else ""
            ok = status.startswith("2")
            detail = f"status {status}" if status else "closed unanswered"
        except socket.timeout:
            detail = "timeout"
        except OSError as e:
            detail = f"error {type(e).__name__}"
        latency = time.perf_counter() - start
        if not ok and detail == "timeout":
            latency = timeout
        with lock:
            results.append((latency, ok, detail))

    threads = []
    begin = time.perf_counter()
    k = 0
    while True:
        at = begin + k * interval
        if at - begin >= duration:
            break
        time.sleep(max(0.0, at - time.perf_counter()))
        t = threading.Thread(target=once, daemon=True)
        t.start()
        threads.append(t)
        k += 1
    for t in threads:
        t.join(timeout + 2)
    with lock:
        print(json.dumps(results))


async def run_prober(cw: Callwatch, duration: float, interval: float = 0.1,
                     timeout: float = 10.0) -> list[tuple[float, bool, str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, os.path.abspath(__file__), "--_probe", str(cw.port), cw.public_url,
        str(duration), str(interval), str(timeout), stdout=asyncio.subprocess.PIPE)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), duration + timeout + 20)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise AttackFailed("the prober did not finish in time")
    return [tuple(r) for r in json.loads(out or b"[]")]


def latency_summary(results: list[tuple[float, bool, str]]) -> tuple[str, float, int]:
    lat = sorted(r[0] for r in results)
    failures = sum(1 for r in results if not r[1])
    p50, p99, mx = percentile(lat, 50), percentile(lat, 99), (lat[-1] if lat else float("nan"))
    return (f"p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms, max {mx * 1000:,.0f} ms, "
            f"{failures}/{len(results)} failed"), p99, failures


async def attack_connections(binary: str, kind: str, hostile: int, seconds: float,
                             keep: bool) -> Result:
    name = f"conn-{kind}"
    bound = BOUNDS[name]
    cw = Callwatch(binary, name, keep=keep)
    slots: list[asyncio.Task] = []
    stats: HostileStats | None = None
    try:
        cw.start()
        baseline = await run_prober(cw, 1.0)
        base_text, _, _ = latency_summary(baseline)
        stats = HostileStats()
        ramp = 2.0
        stop_at = time.monotonic() + ramp + seconds + 1
        slots += [asyncio.create_task(hostile_slot(kind, cw.port, stop_at, stats))
                  for _ in range(hostile)]
        await asyncio.sleep(ramp)
        cw.check_alive("during the ramp")
        open_at_ramp = stats.open_now
        results = await run_prober(cw, seconds)
        await asyncio.gather(*slots)
        cw.check_alive("during the attack")
        text, p99, failures = latency_summary(results)
        why = collections.Counter(r[2] for r in results if not r[1])
        ok = p99 < 1.0 and failures == 0 and results
        detail = (f"baseline {base_text}; hostile: {hostile:,} slots, {open_at_ramp:,} open after "
                  f"ramp, max {stats.max_open:,} open, {stats.opened:,} opened, "
                  f"{stats.connect_failed:,} connects failed/timed out, "
                  f"{stats.closed_by_server:,} closed by server ({stats.answered:,} with an answer)")
        if why:
            detail += "; failures: " + outcome_text(why)
        return Result(name, text, bound, "PASS" if ok else "FAIL", detail)
    finally:
        if stats is not None:
            stats.halt = True
        for task in slots:
            task.cancel()
        await asyncio.gather(*slots, return_exceptions=True)
        cw.cleanup()


# ---------------------------------------------------------------------------------------------
# SIGHUP in tmux

def attack_sighup(binary: str, keep: bool) -> Result:
    name = "sighup"
    bound = BOUNDS[name]
    tmux = shutil.which("tmux")
    if not tmux:
        return Result(name, "tmux not installed", bound, "SKIP")
    cw = Callwatch(binary, name, output="tui", keep=keep)
    sock = f"hostile-{os.getpid()}"
    status_file = os.path.join(cw.tmp, "exit-status")
    args = [a for a in cw.args]
    del args[args.index("--output"):args.index("--output") + 2]
    inner = shlex.join(args) + f" 2>{shlex.quote(cw.stderr_path)}; echo $? > {shlex.quote(status_file)}; sleep 60"
    base = [tmux, "-L", sock, "-f", "/dev/null"]

    def display(fmt: str) -> str:
        out = subprocess.run(base + ["display", "-p", "-t", "hostile", fmt], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip()

    pid = None
    try:
        subprocess.run(base + ["new-session", "-d", "-x", "120", "-y", "40", "-s", "hostile",
                               "sh -c " + shlex.quote(inner)], env=cw.env, check=True, timeout=10)
        shell_pid = int(display("#{pane_pid}"))
        deadline = time.monotonic() + 30
        state = ""
        while time.monotonic() < deadline:
            if pid is None:
                try:
                    with open(f"/proc/{shell_pid}/task/{shell_pid}/children") as f:
                        kids = f.read().split()
                    pid = int(kids[0]) if kids else None
                except OSError:
                    pass
            state = display("#{alternate_on} #{cursor_flag}")
            if pid is not None and state.startswith("1"):
                break
            if os.path.exists(status_file):
                raise AttackFailed(f"callwatch exited at start: {open(status_file).read().strip()}, "
                                   f"{cw.stderr_tail()}")
            time.sleep(0.2)
        else:
            raise AttackFailed(f"the TUI did not switch to the alternate screen (tmux: {state!r})")
        time.sleep(1)
        before = display("#{alternate_on} #{cursor_flag}")
        os.kill(pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not os.path.exists(status_file):
            time.sleep(0.1)
        time.sleep(0.3)
        if not os.path.exists(status_file):
            os.kill(pid, signal.SIGKILL)
            return Result(name, "still running 10 s after SIGHUP", bound, "FAIL",
                          f"before: alternate_on/cursor_flag {before}")
        code = open(status_file).read().strip()
        after = display("#{alternate_on} #{cursor_flag}")
        alt, cursor = (after.split() + ["?", "?"])[:2]
        ok = alt == "0" and cursor == "1" and code in ("0", "129")
        measured = (f"exit {code}, alternate screen {'on' if alt == '1' else 'off'}, "
                    f"cursor {'visible' if cursor == '1' else 'hidden'}")
        return Result(name, measured, bound, "PASS" if ok else "FAIL",
                      f"tmux alternate_on/cursor_flag before SIGHUP {before}, after exit {after}")
    finally:
        subprocess.run(base + ["kill-server"], capture_output=True, timeout=10)
        cw.cleanup()


def attack_details_cpu(binary: str, keep: bool) -> Result:
    """The TUI in tmux; one unsigned ~1 MiB JSON body; its delivery details opened (Tab, Enter);
    callwatch's CPU time (utime + stime from /proc/PID/stat) over the next 10 s while nothing
    else arrives, and its VmRSS then."""
    name = "details-cpu"
    bound = BOUNDS[name]
    tmux = shutil.which("tmux")
    if not tmux:
        return Result(name, "tmux not installed", bound, "SKIP")
    cw = Callwatch(binary, name, output="tui", keep=keep)
    sock = f"hostile-cpu-{os.getpid()}"
    args = [a for a in cw.args]
    del args[args.index("--output"):args.index("--output") + 2]
    inner = shlex.join(args) + f" 2>{shlex.quote(cw.stderr_path)}; sleep 60"
    base = [tmux, "-L", sock, "-f", "/dev/null"]

    def tmux_run(*more: str) -> str:
        out = subprocess.run(base + list(more), capture_output=True, text=True, timeout=10)
        return out.stdout

    def cpu_ticks(pid: int) -> int:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    try:
        subprocess.run(base + ["new-session", "-d", "-x", "120", "-y", "40", "-s", "hostile",
                               "sh -c " + shlex.quote(inner)], env=cw.env, check=True, timeout=10)
        shell_pid = int(tmux_run("display", "-p", "-t", "hostile", "#{pane_pid}").strip())
        pid = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and pid is None:
            try:
                with open(f"/proc/{shell_pid}/task/{shell_pid}/children") as f:
                    kids = f.read().split()
                pid = int(kids[0]) if kids else None
            except OSError:
                pass
            time.sleep(0.2)
        if pid is None:
            raise AttackFailed("callwatch did not start in tmux")
        time.sleep(1.5)
        with socket.create_connection((HOST, cw.port), timeout=10) as s:
            for part in big_unsigned_parts(cw.port)(1):
                s.sendall(part)
            answer = s.recv(64)
        if not answer.startswith(b"HTTP/1.1 403"):
            raise AttackFailed(f"the 1 MiB request was answered {answer[:20]!r}")
        time.sleep(0.5)
        tmux_run("send-keys", "-t", "hostile", "Tab")
        time.sleep(0.5)
        tmux_run("send-keys", "-t", "hostile", "Enter")
        time.sleep(2)
        screen = tmux_run("capture-pane", "-p", "-t", "hostile")
        if "delivery #" not in screen:
            raise AttackFailed("the delivery details did not open: " + screen[:300].replace("\n", " | "))
        hz = os.sysconf("SC_CLK_TCK")
        before = cpu_ticks(pid)
        time.sleep(10)
        used = (cpu_ticks(pid) - before) / hz
        rss = rss_kib(pid)
        ok = used < 1.0
        measured = f"{used:.2f} s of CPU in 10 s idle with the details open"
        detail = f"VmRSS {mib(rss[0]) if rss else '?'}"
        return Result(name, measured, bound, "PASS" if ok else "FAIL", detail)
    finally:
        subprocess.run(base + ["kill-server"], capture_output=True, timeout=10)
        cw.cleanup()


# ---------------------------------------------------------------------------------------------

BOUNDS = {
    "unsigned-1mib": "< 100 MiB above idle",
    "unsigned-1mib-headers": "< 100 MiB above idle",
    "stalled-ndjson": "< 100 MiB above idle",
    "record-refused": "< 1 MiB",
    "log-long-paths": "< 1 MiB",
    "log-long-queries": "< 1 MiB",
    "conn-idle": "p99 < 1 s, 0 failures",
    "conn-slowloris": "p99 < 1 s, 0 failures",
    "conn-slow-body": "p99 < 1 s, 0 failures",
    "sighup": "alt screen off, cursor visible, exit 0 or 129",
    "details-cpu": "< 1 s CPU per 10 s idle",
}

ATTACKS = ["unsigned-1mib", "unsigned-1mib-headers", "stalled-ndjson", "record-refused",
           "log-long-paths", "log-long-queries", "conn-idle", "conn-slowloris", "conn-slow-body",
           "sighup", "details-cpu"]


async def run_attack(name: str, binary: str, quick: bool, attack_timeout: float, keep: bool) -> Result:
    div = 10 if quick else 1
    deadline = time.monotonic() + attack_timeout
    if name == "unsigned-1mib":
        return await attack_memory(binary, name, 3000 // div, "quiet", "devnull", False, deadline, keep)
    if name == "unsigned-1mib-headers":
        return await attack_memory(binary, name, 3000 // div, "quiet", "devnull", True, deadline, keep)
    if name == "stalled-ndjson":
        return await attack_memory(binary, name, 3000 // div, "ndjson", "pipe", False, deadline, keep)
    if name == "record-refused":
        return await attack_record(binary, 10_000 // div, deadline, keep)
    if name == "log-long-paths":
        return await attack_log(binary, "path", 10_000 // div, deadline, keep)
    if name == "log-long-queries":
        return await attack_log(binary, "query", 10_000 // div, deadline, keep)
    if name.startswith("conn-"):
        # Not divided by 10 in --quick: under the default cap of 1,024 connections nothing happens.
        return await attack_connections(binary, name[5:], 2000, 5.0 if quick else 20.0, keep)
    if name == "sighup":
        return await asyncio.to_thread(attack_sighup, binary, keep)
    if name == "details-cpu":
        return await asyncio.to_thread(attack_details_cpu, binary, keep)
    raise ValueError(name)


def raise_fd_limit(want: int) -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return str(soft)


async def main_async(args: argparse.Namespace) -> int:
    results: list[Result] = []
    for name in args.attacks:
        print(f"hostile: {name} ... (load {loadavg()})", flush=True)
        started = time.monotonic()
        try:
            result = await run_attack(name, args.binary, args.quick, args.attack_timeout, args.keep)
        except AttackFailed as e:
            result = Result(name, "callwatch failed", BOUNDS[name], "FAIL", str(e))
        except Exception as e:  # a bug in the attack itself: report it, go on with the others
            result = Result(name, "attack error", BOUNDS[name], "FAIL", f"{type(e).__name__}: {e}")
        results.append(result)
        print(f"{result.verdict} {result.name}: {result.measured} (bound {result.bound}); "
              f"{result.detail} [load {result.load}, {time.monotonic() - started:.0f} s]", flush=True)
    print()
    print(f"binary: {args.binary}{' (--quick: counts /10)' if args.quick else ''}")
    print()
    print("| attack | measured | bound | result | load (1/5/15 min) |")
    print("|---|---|---|---|---|")
    for r in results:
        cells = [r.name, r.measured, r.bound, r.verdict, r.load]
        print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return 1 if any(r.verdict == "FAIL" for r in results) else 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--_probe":
        probe_main(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(
        description="Hostile-sender attacks against callwatch listen (issue 13); see the docstring.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog="attacks: " + ", ".join(ATTACKS))
    parser.add_argument("--binary", help="the callwatch binary to attack")
    parser.add_argument("attacks", nargs="*", metavar="ATTACK", help="attacks to run (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="request counts /10, connection attacks 5 s instead of 20 s")
    parser.add_argument("--attack-timeout", type=float, default=600.0,
                        help="seconds each request flood may take at most (default 600)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    parser.add_argument("--list", action="store_true", help="list the attacks and exit")
    args = parser.parse_args()
    if args.list:
        print("\n".join(ATTACKS))
        return 0
    if not args.binary:
        parser.error("--binary is required")
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        parser.error(f"{args.binary} is not an executable")
    unknown = [a for a in args.attacks if a not in ATTACKS]
    if unknown:
        parser.error(f"unknown attack(s) {', '.join(unknown)}; known: {', '.join(ATTACKS)}")
    args.attacks = args.attacks or ATTACKS
    # 2,000 hostile connections on each side of loopback, plus the prober's: callwatch inherits it.
    fds = raise_fd_limit(16384)
    print(f"hostile: RLIMIT_NOFILE {fds}, {os.cpu_count()} CPUs, load {loadavg()}", flush=True)
    try:
        return asyncio.run(main_async(args))
    except KeyboardInterrupt:
        print("hostile: interrupted", file=sys.stderr)
        return 1
    finally:
        kill_children()


if __name__ == "__main__":
    sys.exit(main())
