#!/usr/bin/env node
'use strict'
// Filtering before parsing: a replay of a log where 1% of the events are of the one type a
// projection wants. Each a fresh process, the log in the page cache, interleaved runs:
//
//   ours, types      consume(cb, { types: ['rare'] }): the others are passed over in the core
//   ours, callback   consume(cb) with `if (event.type !== 'rare') return` (today's only way)
//   baseline         plain Node: read the files, split lines, JSON.parse each, the same test
//   baseline, grep   plain Node, skipping a line without '"rare"' in it before parsing (what a
//                    careful user could write without us)
//   original         @rymdtiden/eventlog 0.1.0, filtering in the callback (with --original)
//
// Every mode must see the same events (checked: count and the sum of their `seq`). Prints
// medians of events read per second and the ratios to "ours, callback".
//
//   node bench/types.js [--events=2000000] [--runs=5] [--original] [--quick]

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { spread, makeEvent, newId, dayNumber, fileForDay, PATTERN_NAME } = require('./fixtures')
const { useReleaseBuild, median, header, layout, saveResults, parseArgs, tempDir, removeDir } = require('./common')

const opts = parseArgs({ events: 2000000, runs: 5, original: false, quick: false, 'allow-debug-build': false })
if (opts.quick) Object.assign(opts, { events: 20000, runs: 1 })
const DAYS = 4
const EVERY = 100 // one event in EVERY is 'rare'

const ROOT = path.join(__dirname, '..')
const CHILD = `
const [mode, pattern, root, total] = process.argv.slice(1)
const started = process.hrtime.bigint()
let count = 0
let sum = 0
function done() {
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  console.log(JSON.stringify({ ms, count, sum }))
}
if (mode === 'types' || mode === 'callback' || mode === 'original') {
  const eventlog = require(mode === 'original' ? require.resolve('@rymdtiden/eventlog', { paths: [root] }) : root)
  const log = mode === 'original' ? eventlog({ filename: pattern }) : eventlog({ filename: pattern, readOnly: true })
  let finished = false
  const onSync = () => {
    if (finished) return
    finished = true
    done()
    if (log.stop) log.stop()
    process.exit(0)
  }
  if (mode === 'types') {
    log.consume((e) => { count++; sum += e.seq }, { types: ['rare'], onSync })
  } else if (mode === 'original') {
    // 0.1.0 has no onSync: it is done when the last event has come.
    let seen = 0
    log.consume((e) => {
      seen++
      if (e.type === 'rare') { count++; sum += e.seq }
      if (seen === Number(total)) onSync()
    }, 0)
  } else {
    log.consume((e) => { if (e.type !== 'rare') return; count++; sum += e.seq }, 0, onSync)
  }
} else {
  const fs = require('node:fs')
  const path = require('node:path')
  const dir = path.dirname(pattern)
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort()
  const grep = mode === 'grep'
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8')
    let at = 0
    for (;;) {
      const nl = text.indexOf('\\n', at)
      if (nl < 0) break
      const line = text.slice(at, nl)
      at = nl + 1
      if (grep && !line.includes('"rare"')) continue
      const e = JSON.parse(line).event
      if (e.type !== 'rare') continue
      count++
      sum += e.seq
    }
  }
  done()
}
`

const MODES = [
  { key: 'types', label: 'ours, types: [rare] (filtered in the core)' },
  { key: 'callback', label: 'ours, filtered in the callback' },
  { key: 'baseline', label: 'plain Node: read, split, JSON.parse each' },
  { key: 'grep', label: 'plain Node, a substring test before JSON.parse' },
  ...(opts.original ? [{ key: 'original', label: '@rymdtiden/eventlog 0.1.0, filtered in the callback' }] : []),
]

/** DAYS past days holding opts.events events, one in EVERY of type 'rare'. */
function writeLog(dir) {
  const counts = spread(opts.events, DAYS)
  const now = Date.now()
  let seq = 0
  for (let i = 0; i < counts.length; i++) {
    const fd = fs.openSync(fileForDay(dir, dayNumber(counts.length - i, now)), 'w')
    let chunk = ''
    for (let k = 0; k < counts[i]; k++, seq++) {
      const event = makeEvent(seq, seq % EVERY === 7 ? { type: 'rare' } : {})
      chunk += JSON.stringify({ event, meta: { id: newId() } }) + '\n'
      if (chunk.length > 1 << 20) {
        fs.writeSync(fd, chunk)
        chunk = ''
      }
    }
    if (chunk) fs.writeSync(fd, chunk)
    fs.closeSync(fd)
  }
}

function main() {
  const build = useReleaseBuild({ allowDebug: opts['allow-debug-build'] })
  header(`Replay of ${opts.events.toLocaleString('en')} events, 1 in ${EVERY} of the wanted type`, build)
  const dir = tempDir('bench-types')
  try {
    writeLog(dir)
    const pattern = path.join(dir, PATTERN_NAME)
    // In the page cache for every mode.
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.log')) fs.readFileSync(path.join(dir, f))
    const results = Object.fromEntries(MODES.map((m) => [m.key, []]))
    let expected = null
    for (let run = 0; run < opts.runs; run++) {
      const order = MODES.map((_, i) => MODES[(i + run) % MODES.length])
      for (const mode of order) {
        const out = execFileSync(process.execPath, ['-e', CHILD, mode.key, pattern, ROOT, String(opts.events)], {
          encoding: 'utf8',
          timeout: 600000,
          maxBuffer: 1 << 20,
        })
        const r = JSON.parse(out.trim().split('\n').pop())
        const seen = `${r.count}/${r.sum}`
        if (expected === null) expected = seen
        if (seen !== expected) throw new Error(`${mode.key} saw ${seen} events/sum, others ${expected}`)
        results[mode.key].push((opts.events / r.ms) * 1000)
      }
    }
    const base = median(results.callback)
    const rows = [['mode', 'events read/s (median)', 'vs ours, callback']]
    for (const m of MODES) {
      const med = median(results[m.key])
      rows.push([m.label, Math.round(med).toLocaleString('en'), `${(med / base).toFixed(2)}×`])
    }
    console.log(layout(rows))
    console.log(`(${expected.split('/')[0]} wanted events in each mode; ${opts.runs} run(s))`)
    saveResults(opts.quick ? 'types-quick' : 'types', {
      events: opts.events,
      runs: opts.runs,
      medians: Object.fromEntries(MODES.map((m) => [m.key, median(results[m.key])])),
    })
  } finally {
    removeDir(dir)
  }
}

main()
