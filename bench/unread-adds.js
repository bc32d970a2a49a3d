#!/usr/bin/env node
'use strict'
// Issue 9: what an add costs when nobody reads its result, against one that is awaited. CPU
// time of the whole process (every thread) per add, each variant in fresh processes, runs
// interleaved:
//
//   unread       for (…) log.add(e)                                  (n in one tick)
//   id only      for (…) { const { id } = log.add(e); ids[i] = id }  (n in one tick)
//   awaited      await Promise.all(events.map((e) => log.add(e).promise))  (n in one tick)
//   unread, one per tick   for (…) { log.add(e); await new Promise((r) => process.nextTick(r)) }
//   awaited, sequential    for (…) await log.add(e).promise
//
// The unread variants end with one more add, awaited: adds settle in order, so all are
// written then; its cost is spread over the n. Every variant checks the file afterwards (count,
// order, exact line format; the ids returned, where kept). Goal: unread ≤ 0.7× awaited.
//
//   node bench/unread-adds.js [--n=20000] [--seq-n=20000] [--runs=5] [--alt=DIR]

const {
  useReleaseBuild,
  useAlt,
  tempDir,
  removeDir,
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

const opts = parseArgs({ n: 20000, 'seq-n': 20000, runs: 5, alt: '', quick: false, 'allow-debug-build': false })
if (opts.quick) Object.assign(opts, { n: 2000, 'seq-n': 200, runs: 1 })
const TIMEOUT_MS = 120000

const VARIANTS = [
  { key: 'unread', workload: 'add-unread', label: 'unread: log.add(e)', n: () => opts.n },
  { key: 'id', workload: 'add-id-only', label: 'id only: const { id } = log.add(e)', n: () => opts.n },
  { key: 'awaited', workload: 'add-burst', label: 'awaited: await Promise.all(… .promise)', n: () => opts.n },
  {
    key: 'unreadSeq',
    workload: 'add-unread-seq',
    label: 'unread, one add per tick (nextTick)',
    n: () => opts['seq-n'],
  },
  {
    key: 'awaitedSeq',
    workload: 'add-seq',
    label: 'awaited, sequential: await log.add(e).promise',
    n: () => opts['seq-n'],
  },
]
const PAIRS = [
  ['unread', 'awaited', 'unread ÷ awaited (burst)'],
  ['id', 'awaited', 'id only ÷ awaited (burst)'],
  ['unreadSeq', 'awaitedSeq', 'unread one per tick ÷ awaited sequential'],
]

async function main() {
  const build = useReleaseBuild({ allowDebug: opts['allow-debug-build'] })
  const altInfo = opts.alt ? useAlt(opts.alt, build) : null
  const info = header('Unread vs awaited adds: CPU per add (issue 9)', build)
  if (altInfo) console.log(`alt: ${altInfo}`)
  const impls = opts.alt ? ['ours', 'alt'] : ['ours']

  const results = {}
  for (const impl of impls) results[impl] = Object.fromEntries(VARIANTS.map((v) => [v.key, []]))
  for (let run = 0; run < opts.runs; run++) {
    // A different variant first each run.
    const order = VARIANTS.map((_, i) => VARIANTS[(i + run) % VARIANTS.length])
    for (const v of order) {
      for (const impl of run % 2 ? [...impls].reverse() : impls) {
        const dir = tempDir('bench-unread')
        try {
          const r = resultOf(
            await runWorkload(impl, v.workload, dir, v.n(), { timeoutMs: TIMEOUT_MS }),
            `${impl} ${v.workload}`,
          )
          if (r instanceof Error) throw r
          results[impl][v.key].push(r)
          console.log(
            `run ${run + 1}/${opts.runs}  ${impl.padEnd(5)} ${v.workload.padEnd(15)} n=${v.n()}  ${r.cpuUsPerEvent.toFixed(2)} CPU µs/add`,
          )
        } finally {
          removeDir(dir)
        }
      }
    }
  }

  const summary = {}
  for (const impl of impls) {
    const s = (summary[impl] = {})
    for (const v of VARIANTS) s[v.key] = median(results[impl][v.key].map((r) => r.cpuUsPerEvent))
  }
  const rows = [['variant', 'n', ...impls.map((i) => `${i} CPU µs/add`)]]
  for (const v of VARIANTS)
    rows.push([v.label, v.n().toLocaleString('en-US'), ...impls.map((i) => fmt(summary[i][v.key], 2))])
  console.log(`\nMedians of ${opts.runs} run(s) (fresh process each; CPU of all threads):\n\n${layout(rows, 1)}`)
  const ratioRows = [['ratio', ...impls.map((i) => `${i}`), 'goal ≤ 0.7×']]
  for (const [a, b, label] of PAIRS) {
    const rs = impls.map((i) => summary[i][a] / summary[i][b])
    ratioRows.push([label, ...rs.map(fmtX), rs[0] <= 0.7 ? 'met' : 'not met'])
  }
  console.log(`\n${layout(ratioRows, 1)}`)
  console.log(
    `\nFull results: ${saveResults(opts.quick ? 'unread-adds-quick' : 'unread-adds', { ...info, opts, summary, results })}`,
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
