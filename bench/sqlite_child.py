#!/usr/bin/env python3
"""The SQLite peer of bench/durable-procs.js (issue 15): one writing process of several.

  python3 bench/sqlite_child.py init DB        create the database (WAL) and its table
  python3 bench/sqlite_child.py proc DB N [BUSY]
                                               process N: add rows one at a time (below)
  python3 bench/sqlite_child.py dump DB        print every row as JSON, for the parent's check

A process opens DB with Python's stdlib sqlite3 in autocommit mode, sets
journal_mode=WAL, synchronous=FULL and a busy_timeout (writers wait for the write lock
instead of failing with "database is locked"), and inserts one row per transaction: the
event's line as eventlog writes it ({"event":{...},"meta":{"id":"<32 characters>"}}). As the
eventlog children do (bench/workloads.js, durableProcess): five warm-up rows, then it prints
{"type":"ready"} on stdout and waits for {"type":"go","durationMs":...} on stdin, adds rows
one after another for that long, and prints {"result":{...}} with every position (rowid) it
was given, which the parent checks against the database.

BUSY is how a writer waits for another's write lock: "timeout" (the default) is SQLite's
busy_timeout, whose handler sleeps 1, 2, 5, 10… up to 100 ms between tries; "retry" sets no
busy timeout and retries the INSERT at once on "database is locked" (counted), as an
application's own loop would.
"""

import json
import math
import os
import sqlite3
import sys
import time

ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BUSY_TIMEOUT_MS = 60000


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def connect(db, busy_ms=BUSY_TIMEOUT_MS):
    # isolation_level=None: autocommit, so each INSERT is a transaction of its own.
    conn = sqlite3.connect(db, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise RuntimeError(f"journal_mode is {mode}, not wal")
    conn.execute("PRAGMA synchronous=FULL")
    sync = conn.execute("PRAGMA synchronous").fetchone()[0]
    if sync != 2:
        raise RuntimeError(f"synchronous is {sync}, not 2 (FULL)")
    conn.execute(f"PRAGMA busy_timeout={busy_ms}")
    return conn


class Ids:
    """Random 32-character ids like eventlog's (62 characters, unbiased), made in batches."""

    def __init__(self):
        self.text = ""
        self.at = 0

    def next(self):
        if self.at + 32 > len(self.text):
            out = bytearray()
            while len(out) < 32 * 256:
                out.extend(ALPHABET[b % 62] for b in os.urandom(8192) if b < 248)
            self.text = out[: 32 * 256].decode("ascii")
            self.at = 0
        s = self.text[self.at : self.at + 32]
        self.at += 32
        return s


def quantile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))] if s else 0


def proc(db, n, busy):
    if busy not in ("timeout", "retry"):
        raise SystemExit(f"BUSY is timeout or retry, not {busy}")
    conn = connect(db, BUSY_TIMEOUT_MS if busy == "timeout" else 0)
    ids = Ids()
    sql = "INSERT INTO events(line) VALUES (?)"
    retries = 0

    def add(seq):
        nonlocal retries
        event = json.dumps({"proc": n, "seq": seq}, separators=(",", ":"))
        line = '{"event":' + event + ',"meta":{"id":"' + ids.next() + '"}}'
        while True:
            try:
                return conn.execute(sql, (line,)).lastrowid
            except sqlite3.OperationalError as e:
                if busy != "retry" or "locked" not in str(e):
                    raise
                retries += 1

    positions = [add(seq) for seq in range(5)]
    emit({"type": "ready"})
    msg = json.loads(sys.stdin.readline())
    if msg.get("type") != "go":
        raise RuntimeError(f"expected go, got {msg}")
    duration = msg["durationMs"] / 1000
    lat = []
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    t = t0
    seq = 5
    while t - t0 < duration:
        positions.append(add(seq))
        seq += 1
        t1 = time.perf_counter()
        lat.append((t1 - t) * 1e6)
        t = t1
    secs = t - t0
    cpu_us = (time.process_time() - cpu0) * 1e6
    conn.close()
    failures = [
        f"proc {n}: add #{i} at {positions[i]}, not after {positions[i - 1]}"
        for i in range(1, len(positions))
        if positions[i] <= positions[i - 1]
    ][:20]
    emit(
        {
            "result": {
                "impl": "sqlite",
                "workload": "durable-proc",
                "ok": not failures,
                "failures": failures,
                "proc": n,
                "adds": len(lat),
                "ms": secs * 1000,
                "eventsPerSec": len(lat) / secs,
                "cpuUs": cpu_us,
                "medianUs": quantile(lat, 0.5),
                "p99Us": quantile(lat, 0.99),
                "positions": positions,
                "retries": retries,
                "sqliteVersion": sqlite3.sqlite_version,
            }
        }
    )


def init(db):
    conn = connect(db)
    conn.execute("CREATE TABLE events (pos INTEGER PRIMARY KEY, line TEXT NOT NULL)")
    conn.close()


def dump(db):
    conn = sqlite3.connect(db, isolation_level=None)
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    rows = conn.execute("SELECT pos, line FROM events ORDER BY pos").fetchall()
    conn.close()
    emit({"result": {"journalMode": mode, "rows": rows}})


def main():
    mode, db = sys.argv[1], sys.argv[2]
    if mode == "init":
        init(db)
    elif mode == "proc":
        proc(db, int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "timeout")
    elif mode == "dump":
        dump(db)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
