#!/usr/bin/env node
'use strict'
// Issue 7: seeking. A sealed past day of 10,000,000 events (a later day exists), and a fresh
// process that calls consume(cb, pos) 1,000 events before its end: the time from eventlog() to
// the first event (goal < 10 ms), and every event after it checked (positions, prevPos, order)
// to the end of the log. Modes, in this order in each run, each a fresh process:
//
//   cold, read-only   no index file: the day is scanned for its lines in memory (not saved, a
//                     read-only log creates nothing): about what a seek cost before indexes
//   cold              no index file, a writable log: the index is built and saved
//   warm              the index is loaded from .eventlog/<name>.d/index/<day>.idx
//   warm, read-only   the same, read-only
//   warm, uncached    the same, with the logfile dropped from the page cache first (dd
//                     iflag=nocache), so the 1,000 lines come from the disk
//
// Every other mode starts with the logfile all in the page cache (read through first if need
// be; fincore, where there is one, says how much was cached).
//   cold, uncached    (first run only) no index, the logfile not in the page cache: the whole
//                     day is read from the disk
//
// The 10M-event day (~2.1 GB) is written once into --cache (default: a directory under the
// system's temporary directory) and removed at the end unless --keep is given; the free space
// there is checked first.
//
//   node bench/seek.js [--events=10000000] [--runs=5] [--cache=DIR] [--keep]

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { writeHistory, PER_DAY, PATTERN_NAME } = require('./fixtures')
const {
  useReleaseBuild,
  useAlt,
  runWorkload,
  resultOf,
  median,
  header,
  layout,
  fmt,
  saveResults,
  parseArgs,
  removeDir,
} = require('./common')

const opts = parseArgs({
  events: 10000000,
  runs: 5,
  cache: '',
  keep: false,
  alt: '',
  quick: false,
  'allow-debug-build': false,
})
if (opts.quick) Object.assign(opts, { events: 20000, runs: 1 })
const BEFORE_END = 1000
const LATER_DAY_EVENTS = 10
const TIMEOUT_MS = 300000
const BYTES_PER_EVENT = 215 // makeEvent's lines: ~213 bytes, measured

const MODES = [
  { key: 'coldRo', label: 'cold, read-only (index built in memory, not saved)', dropIndex: true, readOnly: true },
  { key: 'cold', label: 'cold (index built and saved)', dropIndex: true },
  { key: 'warm', label: 'warm (index loaded)', expectIndex: true },
  { key: 'warmRo', label: 'warm, read-only (index loaded)', readOnly: true, expectIndex: true },
  { key: 'warmUncached', label: 'warm, logfile not in the page cache', expectIndex: true, dropCache: true },
  {
    key: 'coldUncached',
    label: 'cold, logfile not in the page cache (first run only)',
    dropIndex: true,
    dropCache: true,
    firstRunOnly: true,
  },
]

function freeBytes(dir) {
  const s = fs.statfsSync(dir)
  return s.bavail * s.bsize
}

function indexFiles(logDir) {
  const own = path.join(logDir, '.eventlog')
  if (!fs.existsSync(own)) return []
  return fs
    .readdirSync(own, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.idx'))
    .map((f) => path.join(own, f))
}

/** Pages of `file` in the page cache, by fincore (null when it cannot tell). */
function cachedBytes(file) {
  try {
    const out = execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], {
      encoding: 'utf8',
      timeout: 10000,
    })
    return Number(out.trim())
  } catch {
    return null
  }
}

function dropFromPageCache(file) {
  // Dirty pages cannot be dropped: write them out first. Then posix_fadvise(DONTNEED) on the
  // whole file, so only this file's pages go.
  const fd = fs.openSync(file, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], { timeout: 60000 })
}

/** Reads `file` through (unless fincore says it is all cached already). */
function loadIntoPageCache(file) {
  const size = fs.statSync(file).size
  const cached = cachedBytes(file)
  if (cached !== null && cached >= size * 0.999) return
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.allocUnsafe(8 << 20)
  try {
    for (let at = 0; at < size;) {
      const n = fs.readSync(fd, buf, 0, buf.length, at)
      if (n === 0) break
      at += n
    }
  } finally {
    fs.closeSync(fd)
  }
}

/** The cached history: a big day two days ago and a small one after it, or made now. */
function ensureHistory(cacheDir) {
  const manifestFile = path.join(cacheDir, 'manifest.json')
  if (fs.existsSync(manifestFile)) {
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'))
    const [[, big]] = m.days
    const files = fs.readdirSync(path.join(cacheDir, 'log')).filter((f) => f.endsWith('.log'))
    if (big === opts.events && files.length === 2) {
      console.log(`history: reusing ${cacheDir} (${(m.bytes / 1e9).toFixed(2)} GB)`)
      return m
    }
    console.log(`history: ${cacheDir} holds another history; writing it again`)
    fs.rmSync(cacheDir, { recursive: true, force: true })
  }
  fs.mkdirSync(cacheDir, { recursive: true })
  const need = opts.events * BYTES_PER_EVENT * 1.2
  const free = freeBytes(cacheDir)
  if (free < need + 2e9) {
    throw new Error(
      `${cacheDir}: ${(free / 1e9).toFixed(1)} GB free, the history needs ${(need / 1e9).toFixed(1)} GB and 2 GB are kept spare`,
    )
  }
  console.log(
    `history: writing ${opts.events.toLocaleString('en-US')} + ${LATER_DAY_EVENTS} events into ${cacheDir} (${(free / 1e9).toFixed(0)} GB free) …`,
  )
  const t = Date.now()
  const m = writeHistory(path.join(cacheDir, 'log'), [opts.events, LATER_DAY_EVENTS])
  fs.writeFileSync(manifestFile, JSON.stringify(m))
  console.log(`history: ${(m.bytes / 1e9).toFixed(2)} GB in ${((Date.now() - t) / 1000).toFixed(0)} s`)
  return m
}

async function main() {
  const build = useReleaseBuild({ allowDebug: opts['allow-debug-build'] })
  const altInfo = opts.alt ? useAlt(opts.alt, build) : null
  const info = header('Seek into a sealed 10M-event day (issue 7)', build)
  if (altInfo) console.log(`alt: ${altInfo}`)
  const impls = opts.alt ? ['ours', 'alt'] : ['ours']
  const cacheDir = path.resolve(opts.cache || path.join(os.tmpdir(), `eventlog-bench-seek-cache-${opts.events}`))
  if (!opts.keep) process.on('exit', () => fs.rmSync(cacheDir, { recursive: true, force: true }))
  const history = ensureHistory(cacheDir)
  const logDir = path.join(cacheDir, 'log')
  const [[bigDay, bigCount]] = history.days
  const bigFile = path.join(
    logDir,
    PATTERN_NAME.replace('%y', String(bigDay).slice(0, 4))
      .replace('%m', String(bigDay).slice(4, 6))
      .replace('%d', String(bigDay).slice(6, 8)),
  )
  if (!fs.existsSync(bigFile)) throw new Error(`${bigFile} is missing`)
  const seekFrom = bigDay * PER_DAY + bigCount - BEFORE_END
  const manifest = { ...history, seekFrom, seekFirst: bigCount - BEFORE_END, seekPrev: seekFrom - 1 }
  fs.writeFileSync(path.join(cacheDir, 'manifest.json'), JSON.stringify(manifest))
  console.log(
    `seek: consume(cb, ${seekFrom}), ${BEFORE_END} events before the end of ${bigDay} (${bigCount.toLocaleString('en-US')} events, ${(fs.statSync(bigFile).size / 1e9).toFixed(2)} GB); ${LATER_DAY_EVENTS} events on the day after\n`,
  )

  const results = {}
  for (const impl of impls) results[impl] = Object.fromEntries(MODES.map((m) => [m.key, []]))
  for (let run = 0; run < opts.runs; run++) {
    for (const mode of MODES) {
      if (mode.firstRunOnly && run > 0) continue
      for (const impl of run % 2 ? [...impls].reverse() : impls) {
        if (mode.dropIndex) for (const f of indexFiles(logDir)) fs.rmSync(f)
        const indexed = indexFiles(logDir).length > 0
        if (mode.expectIndex && !indexed) throw new Error(`${mode.key}: no index file was saved by the cold run`)
        // Every mode starts with the logfile all in the page cache, or (dropCache) none of it:
        // a mode after an uncached one would otherwise read from the disk too.
        if (mode.dropCache) dropFromPageCache(bigFile)
        else loadIntoPageCache(bigFile)
        const cached = cachedBytes(bigFile)
        const env = { EVENTLOG_BENCH_READONLY: mode.readOnly ? '1' : '0' }
        const r = resultOf(
          await runWorkload(impl, 'seek', cacheDir, BEFORE_END, { timeoutMs: TIMEOUT_MS, env }),
          `${impl} ${mode.key}`,
        )
        if (r instanceof Error) throw r
        if (r.events !== BEFORE_END + LATER_DAY_EVENTS) throw new Error(`${mode.key}: ${r.events} events delivered`)
        const savedAfter = indexFiles(logDir).length > 0
        results[impl][mode.key].push({ ...r, indexBefore: indexed, indexAfter: savedAfter, cachedBytesBefore: cached })
        console.log(
          `run ${run + 1}/${opts.runs}  ${impl.padEnd(4)} ${mode.key.padEnd(12)} open→first event ${fmt(r.openToFirstMs, 1).padStart(8)} ms` +
            `, all ${r.events} events ${fmt(r.totalMs, 1)} ms, CPU ${fmt(r.cpuMs, 1)} ms, index file ${indexed ? 'present' : 'absent'} → ${savedAfter ? 'present' : 'absent'}` +
            (cached !== null ? `, ${(cached / 1e6).toFixed(0)} MB of the logfile in the page cache before` : ''),
        )
      }
    }
  }
  // The cold writable run must have saved an index, and the read-only one must not have.
  for (const impl of impls) {
    if (!results[impl].cold.every((r) => r.indexAfter)) throw new Error('a cold writable run left no index file')
    if (results[impl].coldRo.some((r) => r.indexAfter)) throw new Error('a read-only run saved an index file')
  }

  const summary = {}
  const rows = [['mode', ...impls.flatMap((i) => [`${i} open→first ms (median)`, 'min', 'max', 'runs'])]]
  for (const mode of MODES) {
    const row = [mode.label]
    for (const impl of impls) {
      const v = results[impl][mode.key].map((r) => r.openToFirstMs)
      summary[impl] = summary[impl] || {}
      summary[impl][mode.key] = { medianMs: median(v), minMs: Math.min(...v), maxMs: Math.max(...v), runs: v.length }
      row.push(fmt(median(v), 1), fmt(Math.min(...v), 1), fmt(Math.max(...v), 1), String(v.length))
    }
    rows.push(row)
  }
  console.log(`\nTime from eventlog() to the first event, fresh process each:\n\n${layout(rows)}`)
  const o = summary.ours
  console.log(
    `\nGoal: seek < 10 ms with the index (warm): ${fmt(o.warm.medianMs, 1)} ms (median; max ${fmt(o.warm.maxMs, 1)}) — ${o.warm.medianMs < 10 ? 'met' : 'not met'}`,
  )
  console.log(
    `Without an index (cold, read-only): ${fmt(o.coldRo.medianMs, 0)} ms, ${(o.coldRo.medianMs / o.warm.medianMs).toFixed(0)}× the warm seek`,
  )
  console.log(
    `\nFull results: ${saveResults(opts.quick ? 'seek-quick' : 'seek', { ...info, opts, cacheDir, seekFrom, summary, results })}`,
  )
  if (opts.keep) console.log(`kept ${cacheDir} (--keep)`)
  else removeDir(cacheDir)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
