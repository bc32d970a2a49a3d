#!/usr/bin/env node
'use strict'
// Issue 9: the event loop during a replay. A 2,000,000-event replay (3 day files) with a
// synchronous callback, in a fresh process, while a 10 ms setInterval runs: how late its calls
// come (goal: never more than 15 ms), and the replay rate with the interval against without it
// (goal ≥ 0.85×). Runs with and without the interval alternate, each in a fresh process; every
// replay is checked (count, order, positions, prevPos) before it counts. The original (on fewer
// events: it replays ~100k/s) and the plain-Node baseline are measured the same way, for
// reference.
//
//   node bench/loop-lag.js [--events=2000000] [--runs=3] [--original-events=200000]
//                          [--no-original] [--no-baseline] [--alt=DIR]
//
// --alt=DIR measures a copy of this package (a patch) the same way, beside ours.

const path = require('node:path')
const { writeHistory, spread } = require('./fixtures')
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
  events: 2000000,
  runs: 3,
  'original-events': 200000,
  'no-original': false,
  'no-baseline': false,
  alt: '',
  quick: false,
  'allow-debug-build': false,
})
if (opts.quick) Object.assign(opts, { events: 20000, runs: 1, 'original-events': 5000 })
const TIMEOUT_MS = 180000

async function main() {
  const build = useReleaseBuild({ allowDebug: opts['allow-debug-build'] })
  const altInfo = opts.alt ? useAlt(opts.alt, build) : null
  const info = header('Loop lag during replay (issue 9)', build)
  if (altInfo) console.log(`alt: ${altInfo}`)

  const impls = [
    { impl: 'ours', events: opts.events },
    ...(opts.alt ? [{ impl: 'alt', events: opts.events }] : []),
    ...(opts['no-original'] ? [] : [{ impl: 'original', events: opts['original-events'] }]),
    ...(opts['no-baseline'] ? [] : [{ impl: 'baseline', events: opts.events }]),
  ]
  // One history per size; read-only replays create nothing, so every run reads the same one.
  const fixtures = new Map()
  for (const { events } of impls) {
    if (fixtures.has(events)) continue
    const dir = tempDir('bench-lag')
    const t = Date.now()
    const manifest = writeHistory(path.join(dir, 'log'), spread(events, 3))
    require('node:fs').writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest))
    console.log(
      `history: ${events.toLocaleString('en-US')} events in 3 day files, ${(manifest.bytes / 1e6).toFixed(0)} MB, written in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    )
    fixtures.set(events, dir)
  }

  const results = Object.fromEntries(impls.map(({ impl }) => [impl, { plain: [], lag: [] }]))
  for (let run = 0; run < opts.runs; run++) {
    for (const { impl, events } of impls) {
      // Alternate which goes first, so drift does not favour one.
      const order =
        (run + impls.findIndex((x) => x.impl === impl)) % 2 ? ['replay-lag', 'replay'] : ['replay', 'replay-lag']
      for (const workload of order) {
        const r = resultOf(
          await runWorkload(impl, workload, fixtures.get(events), events, { timeoutMs: TIMEOUT_MS }),
          `${impl} ${workload}`,
        )
        if (r instanceof Error) throw r
        results[impl][workload === 'replay' ? 'plain' : 'lag'].push(r)
        console.log(
          `run ${run + 1}/${opts.runs}  ${impl.padEnd(8)} ${workload.padEnd(10)} ${fmt(r.eventsPerSec)} events/s` +
            (r.ticks !== undefined
              ? `, interval late by max ${r.maxLateMs.toFixed(1)} ms, p99 ${r.p99LateMs.toFixed(1)} ms (${r.ticks} calls)`
              : ''),
        )
      }
    }
  }

  const rows = [
    [
      'implementation',
      'events',
      'events/s without',
      'events/s with',
      'with ÷ without',
      'max late ms (worst run)',
      'max late ms (median run)',
      'p99 late ms',
      'calls > 15 ms late',
    ],
  ]
  const summary = {}
  for (const { impl, events } of impls) {
    const { plain, lag } = results[impl]
    const without = median(plain.map((r) => r.eventsPerSec))
    const withTimer = median(lag.map((r) => r.eventsPerSec))
    const s = {
      events,
      eventsPerSecWithout: without,
      eventsPerSecWith: withTimer,
      rateRatio: withTimer / without,
      worstMaxLateMs: Math.max(...lag.map((r) => r.maxLateMs)),
      medianMaxLateMs: median(lag.map((r) => r.maxLateMs)),
      medianP99LateMs: median(lag.map((r) => r.p99LateMs)),
      over15ms: lag.reduce((a, r) => a + r.over15ms, 0),
      ticks: lag.reduce((a, r) => a + r.ticks, 0),
    }
    summary[impl] = s
    rows.push([
      impl,
      events.toLocaleString('en-US'),
      fmt(without),
      fmt(withTimer),
      fmtX(s.rateRatio),
      fmt(s.worstMaxLateMs, 1),
      fmt(s.medianMaxLateMs, 1),
      fmt(s.medianP99LateMs, 1),
      `${s.over15ms} of ${s.ticks}`,
    ])
  }
  console.log(`\nMedians of ${opts.runs} run(s) each (fresh process per run):\n\n${layout(rows)}`)
  const o = summary.ours
  console.log(
    `\nGoals (ours): interval never > 15 ms late: worst ${o.worstMaxLateMs.toFixed(1)} ms — ${o.worstMaxLateMs <= 15 ? 'met' : 'not met'}; ` +
      `rate with the interval ≥ 0.85× without: ${fmtX(o.rateRatio)} — ${o.rateRatio >= 0.85 ? 'met' : 'not met'}`,
  )
  console.log(
    `\nFull results: ${saveResults(opts.quick ? 'loop-lag-quick' : 'loop-lag', { ...info, opts, summary, results })}`,
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
