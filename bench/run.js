#!/usr/bin/env node
'use strict'
// npm run bench — compares this package ("ours", the release build), the original
// @rymdtiden/eventlog 0.1.0 and a plain-Node baseline (bench/baseline.js), workload by workload;
// for the add workloads also "batched", the baseline with the fastest writer plain Node can have
// (bench/baseline-batched.js).
//
//   node bench/run.js [--quick] [--runs=N] [--only=workload[,workload]] [--retry-timeouts] [--alt=DIR]
//
// --alt=DIR adds "alt", another copy of this package (a directory with index.js, lib/ and
// optionally its own eventlog.linux-x64-gnu.node), to every workload ours runs: a patch measured
// against ours in one interleaved run.
//
// Runs are interleaved (every run goes through all workloads, each for all three
// implementations, starting with a different one each run) so that drift of a noisy machine
// spreads over all three instead of favouring whoever ran first. Each measurement is a fresh
// child process in a fresh directory. Prints medians and ratios, writes bench/results/latest.json
// (bench/results/quick.json for --quick).
// --quick uses small n and one run: it checks that everything works (exit code 1 if any result
// check of ours or the baseline fails, or anything crashes); its timings mean nothing.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { runSingle, runCrossProcess } = require('./child')
const { writeHistory, spread } = require('./fixtures')
const { summarize, table, notes } = require('./report')
const { goalsReport } = require('./goals')
const { useReleaseBuild, useAlt, tempDir, removeDir } = require('./common')

// --- options ------------------------------------------------------------------------------

const args = process.argv.slice(2)
const flag = (name) => args.includes(`--${name}`)
const value = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]
const quick = flag('quick')
const runs = Number(value('runs') || (quick ? 1 : 5))
const only = value('only')?.split(',')
const alt = value('alt')
const unknown = args.filter((a) => !/^--(quick|retry-timeouts|allow-debug-build|runs=\d+|only=.+|alt=.+)$/.test(a))
if (unknown.length || !(runs >= 1)) {
  console.error(
    `usage: node bench/run.js [--quick] [--runs=N] [--only=workload,…] [--retry-timeouts] [--alt=DIR]\nunknown: ${unknown.join(' ')}`,
  )
  process.exit(2)
}

// --- workloads ----------------------------------------------------------------------------

const perSec = (key, label) => ({ key, label, better: 'higher', perEvent: true })
const lower = (key, label, digits) => ({ key, label, better: 'lower', digits })
const CPU = lower('cpuUsPerEvent', 'CPU µs/event', 1)
const RSS = lower('maxRssMB', 'peak RSS MB', 1)
const q = (full, small) => (quick ? small : full)
const DEFAULT_IMPLS = ['ours', 'original', 'baseline']
const WITH_BATCHED = [...DEFAULT_IMPLS, 'batched']

const WORKLOADS = [
  {
    name: 'add-burst',
    title: 'add burst',
    n: q(20000, 2000),
    impls: WITH_BATCHED,
    metrics: [perSec('eventsPerSec', 'events/s'), CPU, RSS],
  },
  {
    name: 'add-seq',
    title: 'add sequential',
    n: q(2000, 200),
    impls: WITH_BATCHED,
    metrics: [lower('medianUs', 'median µs'), lower('p99Us', 'p99 µs'), CPU],
  },
  {
    name: 'replay',
    title: 'replay, 3 days',
    n: q(200000, 5000),
    history: (n) => spread(n, 3),
    metrics: [perSec('eventsPerSec', 'events/s'), perSec('mbPerSec', 'MB/s'), CPU, RSS],
  },
  {
    name: 'replay-async',
    title: 'replay, async callback',
    n: q(200000, 5000),
    history: (n) => spread(n, 3),
    metrics: [perSec('eventsPerSec', 'events/s'), perSec('mbPerSec', 'MB/s'), CPU, RSS],
  },
  {
    name: 'live',
    title: 'live, same process',
    n: q(1000, 100),
    metrics: [lower('medianUs', 'add→callback median µs'), lower('p99Us', 'add→callback p99 µs')],
  },
  {
    name: 'live-xproc',
    title: 'live, writer ≠ consumer process',
    n: q(1000, 100),
    impls: ['ours', 'baseline'],
    notRun: 'the original is not run here (its cross-process path is a 100 ms file poll)',
    metrics: [lower('medianUs', 'add→callback median µs'), lower('p99Us', 'add→callback p99 µs')],
  },
  {
    name: 'long-history',
    title: 'long history',
    n: q(1000, 20), // day files of 100 events each
    history: (days) => new Array(days).fill(100),
    events: (days) => days * 100,
    label: (days) => `${days.toLocaleString('en-US')} days × 100`,
    timeouts: { original: q(60000, 30000) },
    metrics: [lower('openMs', 'open→first callback ms', 1), perSec('eventsPerSec', 'events/s'), CPU, RSS],
  },
  {
    name: 'durable',
    title: 'durable burst',
    // A burst as large as the add burst; the baseline's one fdatasync per event would take
    // most of a minute for that many, so it does a tenth (its rate does not depend on n).
    n: q(20000, 200),
    nFor: { baseline: q(2000, 200) },
    impls: ['ours', 'baseline', 'batched'],
    notRun: 'the original has no durable mode; the baseline does one fdatasync per event, batched one per tick',
    metrics: [perSec('eventsPerSec', 'events/s'), CPU],
  },
]
for (const w of WORKLOADS) {
  w.events = w.events ? w.events(w.n) : w.n
  w.label = w.label ? w.label(w.n) : w.n.toLocaleString('en-US')
  w.impls = w.impls || DEFAULT_IMPLS
  if (alt && w.impls.includes('ours')) w.impls = [...w.impls, 'alt']
}
const selected = only ? WORKLOADS.filter((w) => only.includes(w.name)) : WORKLOADS
if (only && selected.length !== only.length) {
  console.error(`unknown workload in --only; known: ${WORKLOADS.map((w) => w.name).join(', ')}`)
  process.exit(2)
}
const DEFAULT_TIMEOUT = q(120000, 30000)

// --- the build ----------------------------------------------------------------------------

function checkBuild() {
  const build = useReleaseBuild({ allowDebug: flag('allow-debug-build') })
  if (alt) useAlt(alt, build)
  delete build.dir
  return build
}

// --- running ------------------------------------------------------------------------------

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true })
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f))
}

async function measure(w, impl, template, timeoutMs) {
  const runDir = tempDir(`bench-${w.name}-${impl}`)
  try {
    const logDir = path.join(runDir, 'log')
    if (template) {
      copyDir(path.join(template, 'log'), logDir)
      fs.copyFileSync(path.join(template, 'manifest.json'), path.join(runDir, 'manifest.json'))
      // Let writeback of the copy happen now rather than during the measurement.
      execFileSync('sync')
    } else {
      fs.mkdirSync(logDir)
    }
    return w.name === 'live-xproc'
      ? await runCrossProcess(impl, runDir, w.n, timeoutMs)
      : await runSingle(impl, w.name, runDir, (w.nFor && w.nFor[impl]) || w.n, timeoutMs)
  } finally {
    removeDir(runDir)
  }
}

function describe(outcome, w) {
  if (outcome.status === 'timeout') return `timeout (${outcome.timeoutMs / 1000} s)`
  if (outcome.status === 'error') return `ERROR ${outcome.error}`
  const r = outcome.result
  if (r.na) return `n/a: ${r.na}`
  const m = w.metrics[0]
  const v = r[m.key]
  return `${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 1 }) : v} ${m.label}${r.ok ? '' : '  CHECK FAILED: ' + r.failures[0]}`
}

async function main() {
  const build = checkBuild()
  const startedAt = new Date()
  const outcomes = Object.fromEntries(selected.map((w) => [w.name, Object.fromEntries(w.impls.map((i) => [i, []]))]))
  console.log(
    `eventlog benchmark: ${runs} run(s)${quick ? ', quick mode (timings are not meaningful)' : ''}; node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}`,
  )

  for (let run = 0; run < runs; run++) {
    for (const w of selected) {
      let template = null
      if (w.history) {
        // One history per workload and run, copied for each implementation.
        template = tempDir('bench-fixture')
        const manifest = writeHistory(path.join(template, 'log'), w.history(w.n))
        fs.writeFileSync(path.join(template, 'manifest.json'), JSON.stringify(manifest))
      }
      try {
        const order = w.impls.map((_, i) => w.impls[(i + run) % w.impls.length])
        for (const impl of order) {
          const earlier = outcomes[w.name][impl]
          if (earlier.some((o) => o.status === 'timeout') && !flag('retry-timeouts')) {
            // It will not get faster; a further run would only cost another full timeout.
            earlier.push({ ...earlier.find((o) => o.status === 'timeout'), repeated: true })
            console.log(`run ${run + 1}/${runs}  ${w.name.padEnd(12)} ${impl.padEnd(8)} skipped (timed out before)`)
            continue
          }
          const timeoutMs = w.timeouts?.[impl] ?? DEFAULT_TIMEOUT
          const outcome = await measure(w, impl, template, timeoutMs)
          earlier.push(outcome)
          console.log(`run ${run + 1}/${runs}  ${w.name.padEnd(12)} ${impl.padEnd(8)} ${describe(outcome, w)}`)
        }
      } finally {
        if (template) removeDir(template)
      }
    }
  }

  const summaries = {}
  for (const w of selected) {
    summaries[w.name] = {}
    for (const impl of w.impls) summaries[w.name][impl] = summarize(w, outcomes[w.name][impl])
  }
  console.log(
    `\nMedians of ${runs} run(s). Ratios > 1 mean ours is better: throughput ours ÷ theirs; latency, CPU, RSS, open time theirs ÷ ours.\n`,
  )
  console.log(table(selected, summaries))
  const explained = notes(selected, summaries, outcomes)
  for (const w of selected) if (w.notRun) explained.push(`${w.name}: ${w.notRun}`)
  if (selected.some((w) => w.impls.includes('batched'))) {
    explained.push('batched: the baseline with one writeSync per tick for all its adds (bench/baseline-batched.js)')
  }
  if (alt)
    explained.push(
      `alt: ${path.resolve(alt)}${process.env.EVENTLOG_BENCH_ALT_BINARY ? ' (with its own binary)' : " (with ours' binary)"}`,
    )
  if (explained.length) console.log('\n' + explained.join('\n'))
  const goals = goalsReport(selected, summaries)
  if (goals) console.log(`\n${quick ? '(quick mode: these ratios mean nothing)\n' : ''}${goals}`)

  const resultsDir = path.join(__dirname, 'results')
  fs.mkdirSync(resultsDir, { recursive: true })
  // Quick runs only prove things work; keep them from replacing the last real measurement.
  const file = path.join(resultsDir, quick ? 'quick.json' : 'latest.json')
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    args,
    quick,
    runs,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().map((c) => c.model),
    build,
    alt: alt ? path.resolve(alt) : undefined,
    workloads: selected.map((w) => ({
      name: w.name,
      title: w.title,
      n: w.n,
      events: w.events,
      metrics: w.metrics,
      summary: summaries[w.name],
      outcomes: outcomes[w.name],
    })),
  }
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
  console.log(`\nFull results: ${path.relative(process.cwd(), file)}`)

  // The original's own defects (it reorders concurrent adds) are reported, not fatal; ours and
  // the baseline must pass every check, and nothing may crash. In quick mode nothing may time out.
  const fatal = []
  for (const w of selected) {
    for (const impl of w.impls) {
      const s = summaries[w.name][impl]
      if (s.errors.length) fatal.push(`${w.name}/${impl}: error`)
      if (s.checksFailed && impl !== 'original' && impl !== 'alt') fatal.push(`${w.name}/${impl}: check failed`)
      if (s.timeouts && (quick || impl !== 'original')) fatal.push(`${w.name}/${impl}: timeout`)
    }
  }
  if (fatal.length) {
    console.error(`\nFAILED: ${fatal.join(', ')}`)
    process.exit(1)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
