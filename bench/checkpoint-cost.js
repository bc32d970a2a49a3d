#!/usr/bin/env node
'use strict'
// What a named consumer's checkpointing costs a replay: writes N events over 3 days once, then
// replays them in fresh child processes with a plain consumer and with a named one (its
// checkpoint cleared first, so both replay everything), interleaved and alternating which goes
// first, and prints the median events/s (wall clock) and CPU time per event of each, and the
// cost: the median over the rounds of each round's named/plain ratio (the two runs of a round
// are back to back, so a busy machine's drift mostly cancels out of it).
//   node bench/checkpoint-cost.js [N=500000] [RUNS=7] [sync|async]
// `async`: the callback returns a resolved promise (each event waits for a microtask).

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { PATTERN_NAME } = require('./fixtures')

const n = Number(process.argv[2] || 500000)
const runs = Number(process.argv[3] || 7)
const mode = process.argv[4] || 'sync'
if (!(n > 0) || !(runs > 0) || !['sync', 'async'].includes(mode)) {
  console.error('usage: node bench/checkpoint-cost.js [N] [RUNS] [sync|async]')
  process.exit(2)
}

const ROOT = path.join(__dirname, '..')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-checkpoint-cost-'))
const pattern = path.join(dir, PATTERN_NAME)
const fixtures = JSON.stringify(path.join(__dirname, 'fixtures'))
execFileSync(process.execPath, [
  '-e',
  `const f = require(${fixtures}); f.writeHistory(${JSON.stringify(dir)}, f.spread(${n}, 3))`,
])

// One replay: the time from consume() to the first onSync, and a check of what it delivered.
const child = `
const eventlog = require(${JSON.stringify(ROOT)})
const [pattern, name, mode] = process.argv.slice(1)
const log = eventlog(pattern)
if (name) log.resetCheckpoint(name)
let count = 0
let last = -1
let lastPos = 0
const done = Promise.resolve()
const callback = mode === 'async'
  ? (event, meta) => { if (event.seq !== ++last) throw new Error('out of order'); count++; lastPos = meta.pos; return done }
  : (event, meta) => { if (event.seq !== ++last) throw new Error('out of order'); count++; lastPos = meta.pos }
const started = process.hrtime.bigint()
const cpu = process.cpuUsage()
log.consume(callback, name ? { name } : 0, () => {
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const used = process.cpuUsage(cpu)
  const cpuMs = (used.user + used.system) / 1000
  // A named consumer has saved its last event by the time it reports the catch-up.
  const saved = name ? log.checkpoint(name) === lastPos : true
  log.stop()
  console.log(JSON.stringify({ count, ms, cpuMs, saved }))
})
`

function replay(name) {
  const out = execFileSync(process.execPath, ['-e', child, pattern, name, mode], { encoding: 'utf8' })
  const r = JSON.parse(out)
  if (r.count !== n) throw new Error(`replayed ${r.count} of ${n} events`)
  if (!r.saved) throw new Error('the named consumer had not saved its last event at onSync')
  return r
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const results = { plain: [], named: [] }
const cpu = { plain: [], named: [] }
try {
  replay('') // Warm the page cache.
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? ['plain', 'named'] : ['named', 'plain']
    for (const kind of order) {
      const res = replay(kind === 'named' ? 'bench' : '')
      results[kind].push(n / (res.ms / 1000))
      cpu[kind].push((res.cpuMs * 1000) / n)
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
const plain = median(results.plain)
const named = median(results.named)
const fmt = (x) => Math.round(x).toLocaleString('en-US')
console.log(`replay of ${n.toLocaleString('en-US')} events, ${mode} callback, median of ${runs} interleaved runs each`)
console.log(`  plain consumer   ${fmt(plain)} events/s   (runs: ${results.plain.map(fmt).join(', ')})`)
console.log(`  named consumer   ${fmt(named)} events/s   (runs: ${results.named.map(fmt).join(', ')})`)
const ratios = results.plain.map((p, r) => results.named[r] / p)
const cost = (1 - median(ratios)) * 100
console.log(
  `  checkpoint cost  ${cost.toFixed(1)} % of events/s (median of the rounds' ratios: ${ratios.map((x) => x.toFixed(3)).join(', ')})`,
)
const [cp, cn] = [median(cpu.plain), median(cpu.named)]
const more = ((cn - cp) / cp) * 100
console.log(
  `  CPU µs/event     plain ${cp.toFixed(2)}, named ${cn.toFixed(2)} (${more >= 0 ? '+' : ''}${more.toFixed(1)} %)`,
)
