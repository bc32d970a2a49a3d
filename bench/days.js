#!/usr/bin/env node
'use strict'
// Issue 7: long histories. The same 100,000 events replayed from 1,000 day files of 100
// events and from one file (goal: ≥ 0.8× the one-file rate), and a history of 10,000 day files
// (10 events each): the time from eventlog() to the first event, and the replay rate. Fresh
// process per replay, runs interleaved (implementations and histories in turn), every replay
// checked (count, order, positions, prevPos across the days). The plain-Node baseline runs the
// same, for reference; --original adds the original 0.1.0 (slow here: it re-lists the
// directory per file; killed after --original-timeout seconds, its open time still counts).
//
//   node bench/days.js [--runs=5] [--original] [--original-timeout=60] [--alt=DIR]

const fs = require('node:fs')
const path = require('node:path')
const { writeHistory } = require('./fixtures')
const {
  useReleaseBuild,
  useAlt,
  tempDir,
  runWorkload,
  resultOf,
  median,
  header,
  layout,
  fmt,
  fmtX,
  saveResults,
  parseArgs,
} = require('./common')

const opts = parseArgs({
  runs: 5,
  original: false,
  'original-timeout': 60,
  alt: '',
  quick: false,
  'allow-debug-build': false,
})
const HISTORIES = opts.quick
  ? [
      { key: 'days', label: '20 days × 100', counts: new Array(20).fill(100) },
      { key: 'one', label: '1 day × 2,000', counts: [2000] },
      { key: 'many', label: '200 days × 10', counts: new Array(200).fill(10) },
    ]
  : [
      { key: 'days', label: '1,000 days × 100', counts: new Array(1000).fill(100) },
      { key: 'one', label: '1 day × 100,000', counts: [100000] },
      { key: 'many', label: '10,000 days × 10', counts: new Array(10000).fill(10) },
    ]
if (opts.quick) opts.runs = 1
const TIMEOUT_MS = 120000

async function main() {
  const build = useReleaseBuild({ allowDebug: opts['allow-debug-build'] })
  const altInfo = opts.alt ? useAlt(opts.alt, build) : null
  const info = header('Long histories: many day files (issue 7)', build)
  if (altInfo) console.log(`alt: ${altInfo}`)
  const impls = ['ours', ...(opts.alt ? ['alt'] : []), 'baseline', ...(opts.original ? ['original'] : [])]

  // Read-only replays create nothing: each history is written once and read by every run.
  for (const h of HISTORIES) {
    h.dir = tempDir(`bench-days-${h.key}`)
    const t = Date.now()
    h.manifest = writeHistory(path.join(h.dir, 'log'), h.counts)
    fs.writeFileSync(path.join(h.dir, 'manifest.json'), JSON.stringify(h.manifest))
    console.log(
      `history ${h.label}: ${h.manifest.count.toLocaleString('en-US')} events, ${(h.manifest.bytes / 1e6).toFixed(1)} MB, written in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    )
  }
  console.log()

  const results = {}
  for (const impl of impls) results[impl] = Object.fromEntries(HISTORIES.map((h) => [h.key, []]))
  const skipped = new Set()
  for (let run = 0; run < opts.runs; run++) {
    for (const h of HISTORIES) {
      const order = impls.map((_, i) => impls[(i + run) % impls.length])
      for (const impl of order) {
        if (skipped.has(`${impl}/${h.key}`)) continue
        const timeoutMs = impl === 'original' ? opts['original-timeout'] * 1000 : TIMEOUT_MS
        const outcome = await runWorkload(impl, 'long-history', h.dir, h.manifest.count, { timeoutMs })
        if (outcome.status === 'timeout' && impl === 'original') {
          // It will not get faster: one timeout per history is the finding.
          skipped.add(`${impl}/${h.key}`)
          results[impl][h.key].push({
            timeout: true,
            timeoutMs,
            openMs: outcome.partial?.openMs ?? null,
            delivered: outcome.partial?.delivered ?? 0,
          })
          console.log(
            `run ${run + 1}/${opts.runs}  ${h.label.padEnd(17)} ${impl.padEnd(8)} killed after ${timeoutMs / 1000} s (${outcome.partial?.delivered ?? 0} events delivered)`,
          )
          continue
        }
        const r = resultOf(outcome, `${impl} ${h.label}`)
        if (r instanceof Error) throw r
        results[impl][h.key].push(r)
        console.log(
          `run ${run + 1}/${opts.runs}  ${h.label.padEnd(17)} ${impl.padEnd(8)} open→first ${fmt(r.openMs, 1)} ms, ${fmt(r.eventsPerSec)} events/s`,
        )
      }
    }
  }

  const summary = {}
  const rows = [['history', 'implementation', 'open→first ms', 'events/s', 'CPU µs/event', 'peak RSS MB']]
  for (const h of HISTORIES) {
    for (const impl of impls) {
      const rs = results[impl][h.key]
      const ok = rs.filter((r) => !r.timeout)
      const s = {
        openMs: median(rs.map((r) => r.openMs)),
        eventsPerSec: ok.length ? median(ok.map((r) => r.eventsPerSec)) : null,
        cpuUsPerEvent: ok.length ? median(ok.map((r) => r.cpuUsPerEvent)) : null,
        maxRssMB: ok.length ? median(ok.map((r) => r.maxRssMB)) : null,
        timeout: rs.some((r) => r.timeout) ? rs[0].timeoutMs : null,
      }
      ;(summary[impl] = summary[impl] || {})[h.key] = s
      const rate =
        s.eventsPerSec !== null ? fmt(s.eventsPerSec) : `< ${fmt(h.manifest.count / (s.timeout / 1000))} (killed)`
      const open = s.openMs !== null ? fmt(s.openMs, 1) : s.timeout ? `> ${fmt(s.timeout, 0)} (killed)` : '—'
      rows.push([h.label, impl, open, rate, fmt(s.cpuUsPerEvent, 2), fmt(s.maxRssMB, 1)])
    }
  }
  console.log(`\nMedians of ${opts.runs} run(s):\n\n${layout(rows, 2)}`)
  const [days, one, many] = HISTORIES
  const div = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null)
  const ratioRows = [['', ...impls]]
  ratioRows.push([
    `${days.label} ÷ ${one.label}, events/s`,
    ...impls.map((i) => fmtX(div(summary[i].days.eventsPerSec, summary[i].one.eventsPerSec))),
  ])
  ratioRows.push([
    `${many.label} ÷ ${one.label}, events/s`,
    ...impls.map((i) => fmtX(div(summary[i].many.eventsPerSec, summary[i].one.eventsPerSec))),
  ])
  ratioRows.push([
    `open→first, ${many.label} ÷ ${one.label}`,
    ...impls.map((i) => fmtX(div(summary[i].many.openMs, summary[i].one.openMs))),
  ])
  console.log(`\n${layout(ratioRows, 1)}`)
  const o = summary.ours
  const r = o.days.eventsPerSec / o.one.eventsPerSec
  console.log(`\nGoal: replay across ${days.label} ≥ 0.8× one file: ${fmtX(r)} — ${r >= 0.8 ? 'met' : 'not met'}`)
  console.log(
    `Open→first event with ${many.label}: ${fmt(o.many.openMs, 1)} ms (baseline ${fmt(summary.baseline.many.openMs, 1)} ms)`,
  )
  console.log(`\nFull results: ${saveResults(opts.quick ? 'days-quick' : 'days', { ...info, opts, summary, results })}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
