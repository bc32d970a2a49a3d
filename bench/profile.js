#!/usr/bin/env node
'use strict'
// Where the time of one workload goes: runs it once (bench/workloads.js, a fresh process, the
// result checked) under V8's CPU profiler and, with --perf, under `perf record` too, and sums
// up the samples taken while it was measured (the workload marks that stretch on the
// monotonic clock, which both profilers use).
//
// - V8 (`node --cpu-prof`): the JavaScript thread only, sampled on wall-clock time; self time
//   per function, and "(garbage collector)", "(program)" (native code outside JavaScript, the
//   addon included), "(idle)" (waiting in the event loop).
// - perf (`perf record -g -k CLOCK_MONOTONIC`, `node --perf-basic-prof`): CPU time of every
//   thread, each sample put in the first category its call chain matches (GC anywhere in it
//   first, then from the leaf up): JSON.parse, JSON.stringify, GC, the N-API crossing, the core
//   (Rust), promises, JavaScript (JIT code), the kernel, other.
//
//   node bench/profile.js <workload> [--n=N] [--days=3] [--impl=ours] [--perf] [--interval=200] [--top=25] [--keep]
//
// With --perf only perf runs (V8's profiler would add a thread of its own to what perf sees).
//
// <workload>: replay | replay-async | add-burst | add-seq | add-unread | add-id-only |
// add-unread-seq | durable. Replays read a history of n events over --days days (3), written
// first.
// --keep leaves the profiles (.cpuprofile, perf.data) in their temporary directory.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { writeHistory, spread } = require('./fixtures')
const { useReleaseBuild, useAlt, tempDir, startNode, resultOf, header, layout, fmt, parseArgs } = require('./common')

const workload = process.argv[2]
const givenArgs = process.argv.slice(2)
process.argv.splice(2, 1)
const opts = parseArgs({
  n: 0,
  days: 3,
  impl: 'ours',
  perf: false,
  interval: 200,
  top: 25,
  keep: false,
  alt: '',
  freq: 1999,
  'allow-debug-build': false,
})
const DEFAULT_N = {
  replay: 200000,
  'replay-async': 200000,
  'add-burst': 20000,
  'add-burst-stream': 20000,
  'add-burst-one-stream': 20000,
  'add-seq': 2000,
  'add-unread': 20000,
  'add-id-only': 20000,
  'add-unread-seq': 2000,
  durable: 20000,
}
if (!(workload in DEFAULT_N)) {
  console.error(
    `usage: node bench/profile.js <${Object.keys(DEFAULT_N).join(' | ')}> [--n=N] [--impl=ours] [--perf] [--interval=µs] [--top=N] [--keep]`,
  )
  process.exit(2)
}
const n = opts.n || DEFAULT_N[workload]
const WORKLOADS_JS = path.join(__dirname, 'workloads.js')

// --- V8's profile ------------------------------------------------------------------------

function v8Summary(file, window) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'))
  const byId = new Map(p.nodes.map((node) => [node.id, node]))
  const self = new Map()
  let t = p.startTime
  let total = 0
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]
    const dt = p.timeDeltas[i + 1] ?? 0
    if (t < window.startUs || t > window.endUs) continue
    const f = byId.get(p.samples[i]).callFrame
    const where = f.url
      ? `${f.url
          .replace(/^file:\/\//, '')
          .split('/')
          .slice(-2)
          .join('/')}:${f.lineNumber + 1}`
      : ''
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim()
    self.set(key, (self.get(key) || 0) + dt)
    total += dt
  }
  return { total, rows: [...self].sort((a, b) => b[1] - a[1]) }
}

// --- perf ---------------------------------------------------------------------------------

const CATEGORIES = [
  // Matched against a whole call chain first: a collection started from anywhere is GC.
  {
    name: 'GC',
    anywhere: true,
    re: /Heap::CollectGarbage|Heap::PerformGarbageCollection|Scavenger|ScavengeJob|MarkCompactCollector|MinorMarkSweep|ConcurrentMarking|IncrementalMarking|Sweeper::|MemoryReducer|Heap::Scavenge/,
  },
  // Then frame by frame from the leaf up: the first one that matches.
  { name: 'JSON.parse', re: /JsonParser|Builtin_JsonParse/ },
  { name: 'JSON.stringify', re: /JsonStringifier|Builtin_JsonStringify/ },
  { name: 'N-API crossing (napi_*, v8impl, napi-rs)', re: /\bnapi_|v8impl|napi::|napi_rs|ThreadSafeFunction/ },
  { name: 'the core (Rust)', re: /eventlog_core|eventlog::|eventlog_binding/ },
  { name: 'promises and microtasks', re: /Promise|Microtask|AsyncFunction/ },
  { name: 'JavaScript (JIT code)', re: /^JS:|^Builtins_/ },
  { name: 'kernel', re: /\[kernel\.kallsyms\]/ },
]

function perfSummary(dataFile, window, mainTid) {
  const text = execFileSync('perf', ['script', '-i', dataFile, '-F', 'comm,tid,time,ip,sym,dso'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 300000,
  })
  const start = window.startUs / 1e6
  const end = window.endUs / 1e6
  const byThread = new Map()
  const byCategory = new Map()
  const byCategoryMain = new Map()
  const leaves = new Map()
  let total = 0
  let main = 0
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter(Boolean)
    if (lines.length === 0) continue
    const m = /^\s*(\S.*?)\s+(\d+)\s+([\d.]+):/.exec(lines[0])
    if (!m) continue
    const time = Number(m[3])
    if (time < start || time > end) continue
    const comm = m[1]
    const tid = Number(m[2])
    const frames = lines.slice(1).map((l) => l.trim().replace(/^[0-9a-f]+\s+/, ''))
    const thread = tid === mainTid ? 'main (JavaScript) thread' : comm
    byThread.set(thread, (byThread.get(thread) || 0) + 1)
    total++
    let cat = CATEGORIES.find((c) => c.anywhere && frames.some((f) => c.re.test(f)))?.name
    if (!cat) {
      for (const f of frames) {
        const c = CATEGORIES.find((x) => !x.anywhere && x.re.test(f))
        if (c) {
          cat = c.name
          break
        }
      }
    }
    cat = cat || 'other (node, V8, libc)'
    byCategory.set(cat, (byCategory.get(cat) || 0) + 1)
    if (tid === mainTid) {
      main++
      byCategoryMain.set(cat, (byCategoryMain.get(cat) || 0) + 1)
    }
    const leaf = `${frames[0] || '?'}`.replace(/\s+\(.*\)$/, '') + `  [${thread}]`
    leaves.set(leaf, (leaves.get(leaf) || 0) + 1)
  }
  return { total, main, byThread, byCategory, byCategoryMain, leaves }
}

const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)}%` : '—')

async function main() {
  const build = useReleaseBuild({ allowDebug: opts['allow-debug-build'] })
  if (opts.alt) useAlt(opts.alt, build)
  process.argv.splice(2, process.argv.length, ...givenArgs) // the header prints the command as given
  header(`Profile of ${workload} (${opts.impl}, n=${n.toLocaleString('en-US')})`, build)
  const dir = opts.keep ? fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-bench-profile-')) : tempDir('bench-profile')
  if (opts.keep) process.on('exit', () => console.log(`profiles kept in ${dir} (remove it when done)`))
  const runDir = path.join(dir, 'run')
  fs.mkdirSync(path.join(runDir, 'log'), { recursive: true })
  if (workload.startsWith('replay')) {
    const manifest = writeHistory(path.join(runDir, 'log'), spread(n, opts.days))
    fs.writeFileSync(path.join(runDir, 'manifest.json'), JSON.stringify(manifest))
  }
  const profDir = path.join(dir, 'v8')
  const nodeArgs = opts.perf ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-interval=${opts.interval}`]
  const perfData = path.join(dir, 'perf.data')
  let outcome
  if (opts.perf) {
    // perf runs node: the workload child is perf's child.
    const perfArgs = [
      'record',
      '-q',
      '-k',
      'CLOCK_MONOTONIC',
      '-F',
      String(opts.freq),
      '-g',
      '-o',
      perfData,
      '--',
      process.execPath,
      '--perf-basic-prof',
      ...nodeArgs,
      WORKLOADS_JS,
      opts.impl,
      workload,
      runDir,
      String(n),
    ]
    // In the temporary directory: --perf-basic-prof makes node write isolate-*.log there.
    outcome = await startNode(null, [], { timeoutMs: 300000, spawnAs: ['perf', perfArgs], cwd: dir }).done
  } else {
    outcome = await startNode(WORKLOADS_JS, [opts.impl, workload, runDir, String(n)], { timeoutMs: 300000, nodeArgs })
      .done
  }
  const r = resultOf(outcome, workload)
  if (r instanceof Error) throw r
  if (!r.window || !r.window.endUs) throw new Error('the workload did not mark what it measured')
  const ms = (r.window.endUs - r.window.startUs) / 1000
  const headline = ['eventsPerSec', 'cpuUsPerEvent', 'medianUs', 'maxRssMB']
    .filter((k) => r[k] !== undefined)
    .map((k) => `${k} ${fmt(r[k], 1)}`)
    .join(', ')
  console.log(`measured: ${fmt(ms, 1)} ms; ${headline} (profilers on: slower than without)\n`)

  if (!opts.perf) printV8(profDir, r.window)
  else {
    try {
      printPerf(perfData, r)
    } finally {
      // The JIT symbol map node wrote for perf (--perf-basic-prof), needed only until now.
      fs.rmSync(`/tmp/perf-${r.pid}.map`, { force: true })
    }
  }
}

function printV8(profDir, window) {
  const prof = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
  const v8 = v8Summary(path.join(profDir, prof), window)
  const special = ['(garbage collector)', '(program)', '(idle)']
  const js = v8.rows.filter(([k]) => !special.includes(k))
  const rows = [['V8 profile, JavaScript thread (wall clock)', 'ms', 'share']]
  for (const s of special) {
    const v = v8.rows.find(([k]) => k === s)?.[1] || 0
    rows.push([s, fmt(v / 1000, 1), pct(v, v8.total)])
  }
  rows.push([
    'JavaScript (self time of every function, below)',
    fmt(js.reduce((a, [, v]) => a + v, 0) / 1000, 1),
    pct(
      js.reduce((a, [, v]) => a + v, 0),
      v8.total,
    ),
  ])
  for (const [k, v] of js.slice(0, opts.top)) rows.push([`  ${k}`, fmt(v / 1000, 1), pct(v, v8.total)])
  console.log(layout(rows, 1))
}

function printPerf(perfData, r) {
  {
    const p = perfSummary(perfData, r.window, r.pid)
    const t = [['perf, CPU samples of every thread', 'samples', 'share', 'main thread', 'share of main']]
    for (const [k, v] of [...p.byCategory].sort((a, b) => b[1] - a[1])) {
      t.push([
        k,
        String(v),
        pct(v, p.total),
        String(p.byCategoryMain.get(k) || 0),
        pct(p.byCategoryMain.get(k) || 0, p.main),
      ])
    }
    t.push(['all', String(p.total), '100%', String(p.main), '100%'])
    console.log(layout(t, 1) + '\n')
    const th = [['threads', 'samples', 'share']]
    for (const [k, v] of [...p.byThread].sort((a, b) => b[1] - a[1])) th.push([k, String(v), pct(v, p.total)])
    console.log(layout(th, 1) + '\n')
    const lv = [['hottest leaf frames', 'samples', 'share']]
    for (const [k, v] of [...p.leaves].sort((a, b) => b[1] - a[1]).slice(0, opts.top))
      lv.push([k.slice(0, 140), String(v), pct(v, p.total)])
    console.log(layout(lv, 1))
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
