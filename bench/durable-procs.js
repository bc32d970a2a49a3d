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
//   node bench/durable-procs.js [--procs=1,8] [--seconds=3] [--runs=3] [--count-syncs] [--alt=DIR]
//
// --count-syncs runs the children with DEBUG=eventlog:writer and counts the lines on their
// stderr that mention fdatasync (the writer logs each flush), to show flushes per event.

const fs = require('node:fs')
const path = require('node:path')
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
const opts = parseArgs({
  procs: '1,8',
  seconds: 3,
  runs: 3,
  'count-syncs': false,
  alt: '',
  quick: false,
  'allow-debug-build': false,
})
if (opts.quick) Object.assign(opts, { procs: '1,2', seconds: 0.5, runs: 1 })
const counts = String(opts.procs).split(',').map(Number)
if (counts.some((c) => !(c >= 1 && c <= 64))) {
  console.error('--procs takes process counts from 1 to 64, e.g. 1,8')
  process.exit(2)
}

/** One measurement: `procs` processes on a fresh log for `seconds`. */
async function measure(impl, procs) {
  const dir = tempDir(`bench-durable-${procs}`)
  const logDir = path.join(dir, 'log')
  fs.mkdirSync(logDir)
  const timeoutMs = opts.seconds * 1000 + 60000
  let syncs = 0
  try {
    const ready = []
    const children = []
    for (let p = 0; p < procs; p++) {
      let markReady
      ready.push(new Promise((r) => (markReady = r)))
      children.push(
        startNode(WORKLOADS_JS, [impl, 'durable-proc', dir, String(p)], {
          timeoutMs,
          ipc: true,
          onMessage: (m) => m && m.type === 'ready' && markReady(),
          env: opts['count-syncs'] ? { DEBUG: 'eventlog:writer' } : undefined,
          onStderr: opts['count-syncs']
            ? (chunk) => (syncs += (String(chunk).match(/fdatasync/g) || []).length)
            : undefined,
        }),
      )
    }
    // All warmed up (or one failed before it was).
    const early = await Promise.race([Promise.all(ready).then(() => null), ...children.map((c) => c.done)])
    if (early) throw new Error(`a process ended before it was ready: ${early.error || early.status}`)
    for (const c of children) c.child.send({ type: 'go', durationMs: opts.seconds * 1000 })
    const outcomes = await Promise.all(children.map((c) => c.done))
    const results = outcomes.map((o, p) => {
      if (o.status !== 'ok')
        throw new Error(`process ${p}: ${o.status === 'timeout' ? `killed after ${timeoutMs / 1000} s` : o.error}`)
      if (!o.result.ok) throw new Error(`process ${p}: ${o.result.failures.slice(0, 3).join('; ')}`)
      return o.result
    })

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
    const adds = results.reduce((a, r) => a + r.adds, 0)
    return {
      procs,
      adds,
      eventsPerSec: results.reduce((a, r) => a + r.eventsPerSec, 0),
      cpuUsPerEvent: results.reduce((a, r) => a + r.cpuUs, 0) / adds,
      medianLatencyUs: median(results.map((r) => r.medianUs)),
      p99LatencyUs: Math.max(...results.map((r) => r.p99Us)),
      perProcess: results.map((r) => r.adds),
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
  const info = header('Durable adds from several processes (issue 9)', build)
  if (altInfo) console.log(`alt: ${altInfo}`)
  const impls = opts.alt ? ['ours', 'alt'] : ['ours']
  const results = {}
  for (const impl of impls) results[impl] = Object.fromEntries(counts.map((c) => [c, []]))
  for (let run = 0; run < opts.runs; run++) {
    const order = run % 2 ? [...counts].reverse() : counts
    for (const procs of order) {
      for (const impl of impls) {
        const r = await measure(impl, procs)
        results[impl][procs].push(r)
        console.log(
          `run ${run + 1}/${opts.runs}  ${impl.padEnd(4)} ${String(procs).padStart(2)} process(es)  ${fmt(r.eventsPerSec)} events/s, add median ${fmt(r.medianLatencyUs)} µs` +
            (r.syncs !== undefined ? `, ${r.syncs} fdatasync lines for ${r.adds} adds` : '') +
            (r.flushes !== undefined ? `, ${r.flushes} fdatasyncs (log.stats())` : '') +
            `, adds per process ${r.perProcess.join(' ')}`,
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
        ...(opts['count-syncs'] ? [fmt(s.syncsPerEvent, 3)] : []),
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
  console.log(
    `\nFull results: ${saveResults(opts.quick ? 'durable-procs-quick' : 'durable-procs', { ...info, opts, summary, results })}`,
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
