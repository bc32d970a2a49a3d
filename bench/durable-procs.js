#!/usr/bin/env node
'use strict'
// Issue 9: several processes adding durably to one log. Each process opens the log with
// `durable: true` and adds one event at a time, awaiting each add before the next, for a fixed
// time; all start together (after a few warm-up adds each). The total events/s of 8 processes
// against 1 (goal ≥ 4×): with one fdatasync per process and write, 8 processes share the disk's
// flushes; with one fdatasync covering every process's writes they add up. Runs alternate
// between the process counts, each in a fresh directory. Checked before anything is reported:
// every position each process was given holds that process's event with that sequence number
// in the file, the file holds nothing else, and each process's positions only go up.
//
// The peer (issue 15): SQLite in WAL mode with synchronous=FULL, the same number of processes
// (Python's stdlib sqlite3, bench/sqlite_child.py), each inserting one row (the event's line
// as ours writes it) per transaction, one after another, for the same time, started together
// the same way (warm-up rows, "ready", then "go"), interleaved with ours in the same runs.
// Writers wait for the write lock with a busy_timeout ("sqlite"); --sqlite-retry adds a second
// peer, "sqlite-retry", with no busy timeout and an immediate retry of the INSERT on "database
// is locked" (SQLite's busy handler sleeps 1 to 100 ms between tries). Checked the same way:
// every rowid a process was given holds its event with that sequence number, the table holds
// nothing else.
//
// Before each measurement a probe times 15 appends of a short line to a fresh file, each with
// its fdatasync, and the median is printed beside it: this shared machine's disk flushes in
// ≈ 0.15 ms at times and ≈ 4 ms at others, which moves both sides several-fold.
//
//   node bench/durable-procs.js [--procs=1,8] [--seconds=3] [--runs=3] [--count-syncs] [--alt=DIR]
//                               [--no-sqlite] [--sqlite-retry] [--python=python3]
//
// --count-syncs runs the children with DEBUG=eventlog:writer and counts the lines on their
// stderr that mention fdatasync (the writer logs each flush), to show flushes per event.

const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { PER_DAY, todayNumber } = require('./fixtures')
const {
  useReleaseBuild,
  useAlt,
  tempDir,
  removeDir,
  startNode,
  median,
  header,
  layout,
  fmt,
  fmtX,
  saveResults,
  parseArgs,
} = require('./common')

const WORKLOADS_JS = path.join(__dirname, 'workloads.js')
const SQLITE_CHILD = path.join(__dirname, 'sqlite_child.py')
const opts = parseArgs({
  procs: '1,8',
  seconds: 3,
  runs: 3,
  'count-syncs': false,
  alt: '',
  quick: false,
  'allow-debug-build': false,
  'no-sqlite': false,
  'sqlite-retry': false,
  python: 'python3',
})
if (opts.quick) Object.assign(opts, { procs: '1,2', seconds: 0.5, runs: 1 })
const counts = String(opts.procs).split(',').map(Number)
if (counts.some((c) => !(c >= 1 && c <= 64))) {
  console.error('--procs takes process counts from 1 to 64, e.g. 1,8')
  process.exit(2)
}

/** The disk's fdatasync latency now (µs): the median of 15 appends, each with its fdatasync. */
function probeFsync() {
  const dir = tempDir('bench-fsync-probe')
  const fd = fs.openSync(path.join(dir, 'probe.log'), 'a')
  const times = []
  try {
    for (let i = 0; i < 15; i++) {
      const t = performance.now()
      fs.writeSync(fd, `{"event":{"probe":${i}},"meta":{"id":"0123456789abcdefghijABCDEFGHIJ01"}}\n`)
      fs.fdatasyncSync(fd)
      times.push((performance.now() - t) * 1000)
    }
  } finally {
    fs.closeSync(fd)
    removeDir(dir)
  }
  return median(times)
}

/** Runs bench/sqlite_child.py once to its end (init, dump); its `{"result":…}`, or throws. */
function runPython(args) {
  const r = spawnSync(opts.python, [SQLITE_CHILD, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    timeout: 60000,
  })
  if (r.error) throw new Error(`${opts.python} ${args[0]}: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`${opts.python} ${args[0]}: exit ${r.status}: ${r.stderr.trim().slice(-2000)}`)
  const line = r.stdout.trim().split('\n').pop()
  return line ? JSON.parse(line).result : undefined
}

/** The Python version and its SQLite's, for the header; null without a Python that has sqlite3. */
function pythonInfo() {
  const r = spawnSync(
    opts.python,
    ['-c', 'import sqlite3, sys; print(sys.version.split()[0], sqlite3.sqlite_version)'],
    { encoding: 'utf8' },
  )
  if (r.error || r.status !== 0) return null
  const [python, sqlite] = r.stdout.trim().split(' ')
  return { python, sqlite }
}

/** What every process was told against the rows the database holds (the file's check for SQLite). */
function checkRows(results, rows) {
  const total = results.reduce((a, r) => a + r.positions.length, 0)
  if (rows.length !== total) throw new Error(`the table holds ${rows.length} rows, the processes made ${total} adds`)
  const byPos = new Map(rows)
  for (const r of results) {
    r.positions.forEach((pos, seq) => {
      const line = byPos.has(pos) ? JSON.parse(byPos.get(pos)) : null
      if (!line || line.event.proc !== r.proc || line.event.seq !== seq || !/^[0-9A-Za-z]{32}$/.test(line.meta.id)) {
        throw new Error(
          `sqlite process ${r.proc} add #${seq} at rowid ${pos}: the table has ${line ? JSON.stringify(line) : 'no such row'} there`,
        )
      }
      byPos.delete(pos)
    })
  }
  if (byPos.size) throw new Error(`${byPos.size} rows no process was told of`)
}

/**
 * Starts `procs` children (`start(p, markReady)` returns a bench/common.js `startNode`
 * handle), waits until every one has warmed up (failing if one ends first), tells each to go
 * (`go(handle)`), and returns their results, checked; `label` names a child in errors.
 */
async function runTogether(procs, label, timeoutMs, start, go) {
  const ready = []
  const children = []
  for (let p = 0; p < procs; p++) {
    let markReady
    ready.push(new Promise((r) => (markReady = r)))
    children.push(start(p, () => markReady()))
  }
  const early = await Promise.race([Promise.all(ready).then(() => null), ...children.map((c) => c.done)])
  if (early) throw new Error(`a ${label} ended before it was ready: ${early.error || early.status}`)
  for (const c of children) go(c)
  const outcomes = await Promise.all(children.map((c) => c.done))
  return outcomes.map((o, p) => {
    if (o.status !== 'ok')
      throw new Error(`${label} ${p}: ${o.status === 'timeout' ? `killed after ${timeoutMs / 1000} s` : o.error}`)
    if (!o.result.ok) throw new Error(`${label} ${p}: ${o.result.failures.slice(0, 3).join('; ')}`)
    return o.result
  })
}

/** What every measurement reports of its processes' results (`rows`: lines or rows stored). */
function summary(procs, results, rows) {
  const adds = results.reduce((a, r) => a + r.adds, 0)
  return {
    procs,
    adds,
    rows,
    eventsPerSec: results.reduce((a, r) => a + r.eventsPerSec, 0),
    cpuUsPerEvent: results.reduce((a, r) => a + r.cpuUs, 0) / adds,
    medianLatencyUs: median(results.map((r) => r.medianUs)),
    p99LatencyUs: Math.max(...results.map((r) => r.p99Us)),
    perProcess: results.map((r) => r.adds),
  }
}

/**
 * The peer: `procs` Python processes on a fresh SQLite database (WAL, synchronous=FULL);
 * `busy`: "timeout" (busy_timeout) or "retry" (retry at once on "database is locked").
 */
async function measureSqlite(procs, busy) {
  const dir = tempDir(`bench-durable-sqlite-${procs}`)
  const db = path.join(dir, 'events.db')
  const timeoutMs = opts.seconds * 1000 + 60000
  try {
    runPython(['init', db])
    const results = await runTogether(
      procs,
      'sqlite process',
      timeoutMs,
      (p, markReady) =>
        startNode(null, [], {
          spawnAs: [opts.python, [SQLITE_CHILD, 'proc', db, String(p), busy]],
          stdin: 'pipe',
          timeoutMs,
          onLine: (line, m) => m && m.type === 'ready' && markReady(),
        }),
      (c) => c.child.stdin.write(JSON.stringify({ type: 'go', durationMs: opts.seconds * 1000 }) + '\n'),
    )
    const dumped = runPython(['dump', db])
    if (dumped.journalMode !== 'wal') throw new Error(`the database's journal_mode is ${dumped.journalMode}`)
    checkRows(results, dumped.rows)
    return { ...summary(procs, results, dumped.rows.length), retries: results.reduce((a, r) => a + r.retries, 0) }
  } finally {
    removeDir(dir)
  }
}

/** One measurement: `procs` processes on a fresh log for `seconds`. */
async function measure(impl, procs) {
  if (impl === 'sqlite') return measureSqlite(procs, 'timeout')
  if (impl === 'sqlite-retry') return measureSqlite(procs, 'retry')
  const dir = tempDir(`bench-durable-${procs}`)
  const logDir = path.join(dir, 'log')
  fs.mkdirSync(logDir)
  const timeoutMs = opts.seconds * 1000 + 60000
  let syncs = 0
  try {
    const results = await runTogether(
      procs,
      'process',
      timeoutMs,
      (p, markReady) =>
        startNode(WORKLOADS_JS, [impl, 'durable-proc', dir, String(p)], {
          timeoutMs,
          ipc: true,
          onMessage: (m) => m && m.type === 'ready' && markReady(),
          env: opts['count-syncs'] ? { DEBUG: 'eventlog:writer' } : undefined,
          onStderr: opts['count-syncs']
            ? (chunk) => (syncs += (String(chunk).match(/fdatasync/g) || []).length)
            : undefined,
        }),
      (c) => c.child.send({ type: 'go', durationMs: opts.seconds * 1000 }),
    )

    // The file against what every process was told.
    const day = todayNumber()
    const names = fs.readdirSync(logDir).filter((f) => f.endsWith('.log'))
    if (names.length !== 1) throw new Error(`${names.length} logfiles (the day changed during the run?)`)
    const lines = fs.readFileSync(path.join(logDir, names[0]), 'utf8').split('\n')
    if (lines.pop() !== '') throw new Error('the logfile does not end in a newline')
    const total = results.reduce((a, r) => a + r.positions.length, 0)
    if (lines.length !== total)
      throw new Error(`the logfile holds ${lines.length} lines, the processes made ${total} adds`)
    for (const r of results) {
      r.positions.forEach((pos, seq) => {
        const k = pos - day * PER_DAY
        const line = k >= 0 && k < lines.length ? JSON.parse(lines[k]) : null
        if (!line || line.event.proc !== r.proc || line.event.seq !== seq) {
          throw new Error(
            `process ${r.proc} add #${seq} at ${pos}: the file has ${line ? JSON.stringify(line.event) : 'no such line'} there`,
          )
        }
      })
    }
    return {
      ...summary(procs, results, lines.length),
      syncs: opts['count-syncs'] ? syncs : undefined,
      // From log.stats(), where the implementation has it (ours): fdatasync calls made.
      flushes: results.every((r) => typeof r.flushes === 'number')
        ? results.reduce((a, r) => a + r.flushes, 0)
        : undefined,
    }
  } finally {
    removeDir(dir)
  }
}

async function main() {
  const build = useReleaseBuild({ allowDebug: opts['allow-debug-build'] })
  const altInfo = opts.alt ? useAlt(opts.alt, build) : null
  const info = header('Durable adds from several processes (issue 9; the SQLite peer: issue 15)', build)
  if (altInfo) console.log(`alt: ${altInfo}`)
  const py = opts['no-sqlite'] ? null : pythonInfo()
  if (!opts['no-sqlite'] && !py) {
    console.error(`${opts.python} with its sqlite3 module is needed for the SQLite peer (or pass --no-sqlite)`)
    process.exit(2)
  }
  if (py) {
    info.sqlite = { ...py, journalMode: 'wal', synchronous: 'FULL', rowsPerTransaction: 1 }
    console.log(
      `sqlite: Python ${py.python}, SQLite ${py.sqlite}, journal_mode=WAL, synchronous=FULL, one row per transaction`,
    )
  }
  const peers = py ? ['sqlite', ...(opts['sqlite-retry'] ? ['sqlite-retry'] : [])] : []
  const impls = ['ours', ...(opts.alt ? ['alt'] : []), ...peers]
  const results = {}
  for (const impl of impls) results[impl] = Object.fromEntries(counts.map((c) => [c, []]))
  for (let run = 0; run < opts.runs; run++) {
    const order = run % 2 ? [...counts].reverse() : counts
    for (const procs of order) {
      for (const impl of run % 2 ? [...impls].reverse() : impls) {
        const probeUs = probeFsync()
        const r = { ...(await measure(impl, procs)), probeUs }
        results[impl][procs].push(r)
        console.log(
          `run ${run + 1}/${opts.runs}  ${impl.padEnd(12)} ${String(procs).padStart(2)} process(es)  ${fmt(r.eventsPerSec)} events/s, add median ${fmt(r.medianLatencyUs)} µs, fsync probe ${fmt(r.probeUs)} µs` +
            (r.syncs !== undefined ? `, ${r.syncs} fdatasync lines for ${r.adds} adds` : '') +
            (r.flushes !== undefined ? `, ${r.flushes} fdatasyncs (log.stats())` : '') +
            (r.retries ? `, ${r.retries} retries on "database is locked"` : '') +
            `, adds per process ${r.perProcess.join(' ')}, ${r.rows} ${peers.includes(impl) ? 'rows' : 'lines'} checked`,
        )
      }
    }
  }
  const summary = {}
  const rows = [
    [
      'implementation',
      'processes',
      'events/s (all)',
      `÷ ${counts[0]} process(es)`,
      'add median µs',
      'add p99 µs',
      'CPU µs/event',
      'fsync probe µs',
      ...(opts['count-syncs'] ? ['fdatasyncs/event'] : []),
    ],
  ]
  for (const impl of impls) {
    summary[impl] = {}
    for (const c of counts) {
      const rs = results[impl][c]
      summary[impl][c] = {
        eventsPerSec: median(rs.map((r) => r.eventsPerSec)),
        medianLatencyUs: median(rs.map((r) => r.medianLatencyUs)),
        p99LatencyUs: median(rs.map((r) => r.p99LatencyUs)),
        cpuUsPerEvent: median(rs.map((r) => r.cpuUsPerEvent)),
        probeUs: median(rs.map((r) => r.probeUs)),
        syncsPerEvent: opts['count-syncs'] ? median(rs.map((r) => r.syncs / r.adds)) : undefined,
      }
    }
    for (const c of counts) {
      const s = summary[impl][c]
      rows.push([
        impl,
        String(c),
        fmt(s.eventsPerSec),
        fmtX(s.eventsPerSec / summary[impl][counts[0]].eventsPerSec),
        fmt(s.medianLatencyUs),
        fmt(s.p99LatencyUs),
        fmt(s.cpuUsPerEvent, 1),
        fmt(s.probeUs),
        ...(opts['count-syncs'] ? [peers.includes(impl) ? '—' : fmt(s.syncsPerEvent, 3)] : []),
      ])
    }
  }
  console.log(
    `\nMedians of ${opts.runs} run(s), ${opts.seconds} s each, durable: true, each process awaiting each add:\n\n${layout(rows, 1)}`,
  )
  if (counts.includes(1) && counts.includes(8)) {
    const r = summary.ours[8].eventsPerSec / summary.ours[1].eventsPerSec
    console.log(`\nGoal: 8 processes ≥ 4× one: ${fmtX(r)} — ${r >= 4 ? 'met' : 'not met'}`)
  }
  if (peers.length) {
    // Ours ÷ SQLite: of the medians, and the median of each run's own ratio (the two measured
    // back to back, which the machine's noise moves less).
    const vs = [
      ['peer', 'processes', 'ours events/s', 'peer events/s', 'ours ÷ peer', 'median of per-run ratios', 'range'],
    ]
    summary.vsPeer = {}
    for (const peer of peers) {
      summary.vsPeer[peer] = {}
      for (const c of counts) {
        const perRun = results.ours[c].map((r, i) => r.eventsPerSec / results[peer][c][i].eventsPerSec)
        const ratio = summary.ours[c].eventsPerSec / summary[peer][c].eventsPerSec
        summary.vsPeer[peer][c] = { ratio, perRunMedian: median(perRun), perRun }
        vs.push([
          peer,
          String(c),
          fmt(summary.ours[c].eventsPerSec),
          fmt(summary[peer][c].eventsPerSec),
          fmtX(ratio),
          fmtX(median(perRun)),
          `${fmtX(Math.min(...perRun))}–${fmtX(Math.max(...perRun))}`,
        ])
      }
    }
    console.log(
      `\nOurs against SQLite (WAL, synchronous=FULL, one row per transaction; sqlite: busy_timeout, sqlite-retry: retried at once on "database is locked"):\n\n${layout(vs, 1)}`,
    )
    // Each run's ratio beside the disk's flush latency then: the ratio depends on it.
    for (const peer of peers) {
      for (const c of counts) {
        const pairs = results.ours[c].map((r, i) => {
          const p = results[peer][c][i]
          return `${fmtX(r.eventsPerSec / p.eventsPerSec)} (${fmt(r.probeUs)}/${fmt(p.probeUs)} µs)`
        })
        console.log(
          `${peer}, ${c} process(es), each run's ours ÷ peer (fsync probe before ours/peer): ${pairs.join(', ')}`,
        )
      }
    }
    if (counts.includes(8)) {
      const r = summary.vsPeer.sqlite[8].ratio
      console.log(`\nGoal (issue 15): 8 processes ≥ 2× SQLite's 8: ${fmtX(r)} — ${r >= 2 ? 'met' : 'not met'}`)
    }
  }
  console.log(
    `\nFull results: ${saveResults(opts.quick ? 'durable-procs-quick' : 'durable-procs', { ...info, opts, summary, results })}`,
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
