#!/usr/bin/env node
'use strict'
// Streams (issue 15): one aggregate's events without replaying the log, side by side in one run.
//
//   node bench/streams.js [--quick] [--events=10000000] [--streams=100000] [--days=30]
//                         [--dir=PATH] [--keep] [--runs=15] [--reads=1000] [--index-runs=3]
//                         [--replay-runs=3] [--burst-runs=9] [--burst-n=20000]
//                         [--nes-events=200000] [--skip-nes] [--skip-replay] [--skip-burst]
//
// --keep without --dir keeps the history in $TMPDIR/eventlog-bench-streams-<events>-<streams>
// (with node-event-storage's store beside it), for reruns; delete it when done (1.5 GB at the
// full size).
//
// The history: --days past UTC days of daily logfiles written straight in the package's line
// format (`{"event":{…},"meta":{"id":"…"}}`, as bench/fixtures.js does), --events events spread
// over them, each with `accountId` set to one of --streams streams. One stream, the measured
// one ("acc-0000000"), holds exactly 100 events spread evenly over the whole history; every
// other event goes to one of the others by a hash of its number (≈ events ÷ streams each).
// Generated into a temporary directory removed at exit, or into --dir (kept, and reused by a
// later run with the same sizes: the manifest there says what it holds). As generated, the
// newest file is yesterday's, a day not sealed yet (no .sidx): a fresh read is measured on
// that first; then one event (in no stream) is added today, sealing every past day, and all
// the rest is measured on that.
//
// Measured, each in fresh child processes (this script run with --child):
//   1. readStream of the 100-event stream: (a) a fresh process, eventlog() → result and
//      require → result, median of --runs processes, once the index exists (goal ≤ 5 ms);
//      (b) repeated reads in one warm process, median per read (goal ≤ 0.5 ms), and reads of
//      distinct streams; (c) a full replay with `consume`, filtered in the JS callback (today's
//      only way); (d) node-event-storage (npm `event-storage`, installed on first use into
//      .cache/) reading the same stream with getEventStream, fresh and warm, at a size it can be
//      set up at (--nes-events, 100 events a stream: its writes match every event against every
//      stream's index, so its setup grows with events × streams), with ours read on the same
//      smaller history for the ratio.
//   2. `await log.indexStreams()` on a fresh open of the history with no stream index: ms and
//      events/s (goal ≥ 1,000,000/s).
//   3. The index on disk: bytes of the .sidx files ÷ events (goal ≤ 24).
//   4. The add burst of bench/workloads.js (20,000 adds in one tick, awaited) without
//      `streamKey`, with `streamKey: 'customer'` (each add a new stream) and with
//      `streamKey: 'currency'` (all in one stream), interleaved runs (goal ≥ 0.85×).
// Also: the first read with no stream index yet, streamVersion, reads of distinct streams.
// Every read is checked before it is timed: exactly the 100 events, in log order, versions
// 1..100, the positions, ids and events written; the replay must find the same.
//
// --quick: 300,000 events over 30 days, 3,000 streams, small run counts (< 60 s).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const ROOT = path.join(__dirname, '..')
const PER_DAY = 1e8
const PATTERN_NAME = 'events-%y-%m-%d.log'
const STREAM_KEY = 'accountId'
const MEASURED = 'acc-0000000'
const MEASURED_COUNT = 100
const NES_VERSION = '0.8.0'
const NES_DIR = path.join(ROOT, '.cache', `event-storage-${NES_VERSION}`)

// --- the history --------------------------------------------------------------------------

const streamName = (k) => `acc-${String(k).padStart(7, '0')}`

/** The global index (0-based) of the measured stream's k-th event: spread evenly. */
const measuredIndex = (k, events) => Math.floor(((k + 0.5) * events) / MEASURED_COUNT)

function mix(i) {
  let h = Math.imul(i ^ (i >>> 16), 0x45d9f3b)
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b)
  return (h ^ (h >>> 16)) >>> 0
}

/** Stream numbers (0 = the measured stream) of every event, in log order. */
function streamOfEach(events, streams) {
  const out = new Uint32Array(events)
  for (let i = 0; i < events; i++) out[i] = 1 + (mix(i) % (streams - 1))
  for (let k = 0; k < MEASURED_COUNT; k++) out[measuredIndex(k, events)] = 0
  return out
}

/** Event number `seq` of stream number `s`, as an object (what the lines hold). */
function eventAt(seq, s) {
  return {
    seq,
    type: mix(seq ^ 0x5bd1e995) % 4 === 0 ? 'withdrawn' : 'deposited',
    accountId: streamName(s),
    amount: (seq * 37) % 10000,
    currency: 'SEK',
  }
}

/** YYYYMMDD of the UTC day `daysAgo` days before `nowMs`. */
function dayNumber(daysAgo, nowMs) {
  const d = new Date(nowMs - daysAgo * 86400000)
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate()
}

function fileForDay(dir, day) {
  const y = String(Math.floor(day / 10000))
  const m = String(Math.floor(day / 100) % 100).padStart(2, '0')
  const d = String(day % 100).padStart(2, '0')
  return path.join(dir, PATTERN_NAME.replace('%y', y).replace('%m', m).replace('%d', d))
}

const ALPHABET = Buffer.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 'latin1')

/** Random ids of 32 [0-9A-Za-z], drawn from a block refilled every 32,768 ids. */
function idSource() {
  const crypto = require('node:crypto')
  const block = Buffer.alloc(32 * 32768)
  let at = block.length
  return () => {
    if (at === block.length) {
      crypto.randomFillSync(block)
      for (let i = 0; i < block.length; i++) block[i] = ALPHABET[block[i] % 62]
      at = 0
    }
    at += 32
    return block.latin1Slice(at - 32, at)
  }
}

/**
 * Writes the history into `dir` (the logfiles and manifest.json) unless a manifest with the
 * same sizes is there. Returns the manifest: the days and their counts, and the measured
 * stream's events (seq, pos, prevPos of the line before it, id).
 */
function writeHistory(dir, { events, streams, days }) {
  const manifestFile = path.join(dir, 'manifest.json')
  if (fs.existsSync(manifestFile)) {
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'))
    if (m.events === events && m.streams === streams && m.days.length === days && m.complete) {
      return { ...m, reused: true }
    }
    throw new Error(`${dir} holds another history (${m.events} events, ${m.streams} streams); give an empty --dir`)
  }
  fs.mkdirSync(dir, { recursive: true })
  if (fs.readdirSync(dir).some((f) => f.endsWith('.log'))) throw new Error(`${dir} holds logfiles but no manifest`)
  const t0 = Date.now()
  const now = Date.now()
  const streamOf = streamOfEach(events, streams)
  const nextId = idSource()
  const counts = Array.from({ length: days }, (_, i) => Math.floor(events / days) + (i < events % days ? 1 : 0))
  const dayList = []
  const measured = []
  let seq = 0
  let bytes = 0
  let prevPos = null
  for (let d = 0; d < days; d++) {
    const day = dayNumber(days - d, now)
    dayList.push([day, counts[d]])
    const fd = fs.openSync(fileForDay(dir, day), 'w')
    let chunk = ''
    for (let line = 0; line < counts[d]; line++, seq++) {
      const s = streamOf[seq]
      const id = nextId()
      const e = eventAt(seq, s)
      // JSON.stringify({ event: e, meta: { id } }) with the keys in the same order.
      chunk += `{"event":{"seq":${seq},"type":"${e.type}","accountId":"${e.accountId}","amount":${e.amount},"currency":"SEK"},"meta":{"id":"${id}"}}\n`
      const pos = day * PER_DAY + line
      if (s === 0) measured.push({ seq, pos, prevPos, id })
      prevPos = pos
      if (chunk.length > 1 << 20) {
        bytes += fs.writeSync(fd, chunk)
        chunk = ''
      }
    }
    if (chunk) bytes += fs.writeSync(fd, chunk)
    fs.closeSync(fd)
  }
  // The line format, once: what the template makes is what JSON.stringify makes.
  const first = fs.readFileSync(fileForDay(dir, dayList[0][0]), 'utf8').split('\n', 1)[0]
  const parsed = JSON.parse(first)
  if (first !== JSON.stringify({ event: eventAt(0, streamOf[0]), meta: { id: parsed.meta.id } }))
    throw new Error(`the generated line is not in the package's format: ${first}`)
  const manifest = { events, streams, days: dayList, bytes, measured, complete: true, generatedMs: Date.now() - t0 }
  fs.writeFileSync(manifestFile, JSON.stringify(manifest))
  return manifest
}

/** Days still in the past (a history generated on an earlier UTC day is still past). */
function sealedCheck(manifest) {
  const today = dayNumber(0, Date.now())
  const last = manifest.days[manifest.days.length - 1][0]
  if (last >= today) throw new Error(`the history's last day ${last} is not in the past`)
}

// --- checks -------------------------------------------------------------------------------

/**
 * Failures of a stream read or a replay against the manifest: the 100 events in order, the
 * positions and ids written, versions 1..n (unless `versions` is false), the event bodies.
 * Notes what prevPos is (the line before in the log, or the stream's previous event).
 */
function checkRead(got, manifest, { versions = true } = {}) {
  const want = manifest.measured
  const failures = []
  const fail = (m) => failures.length < 10 && failures.push(m)
  if (got.length !== want.length) fail(`${got.length} events, expected ${want.length}`)
  let prevPosIs = null
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const g = got[i]
    const w = want[i]
    if (g.seq !== w.seq) fail(`event #${i + 1}: seq ${g.seq}, expected ${w.seq}`)
    if (g.pos !== w.pos) fail(`event #${i + 1}: pos ${g.pos}, expected ${w.pos}`)
    if (g.id !== w.id) fail(`event #${i + 1}: id ${g.id}, expected ${w.id}`)
    if (g.body !== undefined && g.body !== JSON.stringify(eventAt(w.seq, 0)))
      fail(`event #${i + 1}: event ${g.body}, expected ${JSON.stringify(eventAt(w.seq, 0))}`)
    if (versions && g.version !== i + 1) fail(`event #${i + 1}: version ${g.version}`)
    if (g.prevPos !== undefined) {
      const kind = g.prevPos === w.prevPos ? 'log' : g.prevPos === (i ? want[i - 1].pos : null) ? 'stream' : 'other'
      if (prevPosIs === null) prevPosIs = kind
      else if (prevPosIs !== kind) prevPosIs = 'mixed'
    }
  }
  if (prevPosIs === 'other' || prevPosIs === 'mixed')
    fail(`meta.prevPos is neither the previous line's position nor the stream's previous event's (${prevPosIs})`)
  return { failures, prevPosIs }
}

// --- children -----------------------------------------------------------------------------

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6

function readStreamDigest(r) {
  return {
    version: r.version,
    events: r.events.map(({ event, meta }) => ({
      seq: event.seq,
      pos: meta.pos,
      prevPos: meta.prevPos,
      id: meta.id,
      version: meta.version,
      body: JSON.stringify(event),
    })),
  }
}

const CHILDREN = {
  /** A fresh process: require, eventlog(), readStream, once. */
  async 'read-fresh'({ pattern, id, readOnly }) {
    const t0 = nowMs()
    const eventlog = require(ROOT)
    const t1 = nowMs()
    const log = eventlog({ filename: pattern, streamKey: STREAM_KEY, readOnly })
    if (typeof log.readStream !== 'function') return { missing: 'readStream' }
    const r = await log.readStream(id)
    const t2 = nowMs()
    log.stop()
    return { requireToResultMs: t2 - t0, openToResultMs: t2 - t1, read: readStreamDigest(r) }
  },

  /** One process: the stream read `reads` times, then `distinct` other streams once each. */
  async 'read-warm'({ pattern, id, reads, warmup, distinct, streams }) {
    const eventlog = require(ROOT)
    const log = eventlog({ filename: pattern, streamKey: STREAM_KEY })
    if (typeof log.readStream !== 'function') return { missing: 'readStream' }
    const first = readStreamDigest(await log.readStream(id))
    for (let i = 0; i < warmup; i++) await log.readStream(id)
    const times = []
    for (let i = 0; i < reads; i++) {
      const t0 = nowMs()
      const r = await log.readStream(id)
      times.push(nowMs() - t0)
      if (r.events.length !== MEASURED_COUNT) throw new Error(`read ${i}: ${r.events.length} events`)
    }
    // The options, checked by the parent: the last 10 backwards, from 51, 11..20 by `to`.
    const variants = {}
    for (const [name, o] of [
      ['backwards', { backwards: true, limit: 10 }],
      ['from', { from: 51 }],
      ['range', { from: 11, to: 20 }],
    ]) {
      const t0 = nowMs()
      variants[name] = { ...readStreamDigest(await log.readStream(id, o)), ms: nowMs() - t0 }
    }
    const versionTimes = []
    let version = null
    if (typeof log.streamVersion === 'function') {
      for (let i = 0; i < reads; i++) {
        const t0 = nowMs()
        version = await log.streamVersion(id)
        versionTimes.push(nowMs() - t0)
      }
    }
    const distinctTimes = []
    let distinctEvents = 0
    for (let i = 0; i < distinct; i++) {
      const other = streamName(1 + (mix(i * 7919 + 13) % (streams - 1)))
      const t0 = nowMs()
      const r = await log.readStream(other)
      distinctTimes.push(nowMs() - t0)
      distinctEvents += r.events.length
    }
    log.stop()
    return { read: first, times, variants, versionTimes, version, distinctTimes, distinctEvents }
  },

  /** A fresh open of a history without a stream index, then indexStreams(). */
  async index({ pattern }) {
    const eventlog = require(ROOT)
    const t0 = nowMs()
    const log = eventlog({ filename: pattern, streamKey: STREAM_KEY })
    if (typeof log.indexStreams !== 'function') return { missing: 'indexStreams' }
    const t1 = nowMs()
    const ret = await log.indexStreams()
    const t2 = nowMs()
    log.stop()
    return { openMs: t1 - t0, indexMs: t2 - t1, ret }
  },

  /** One event added today, in no stream: the past days are sealed once a later day is the newest. */
  async 'add-today'({ pattern }) {
    const eventlog = require(ROOT)
    const log = eventlog({ filename: pattern })
    const r = await log.add({ seq: -1, type: 'opened' }).promise
    await log.stop()
    return { pos: r.pos }
  },

  /** A full replay with the stream filtered in the callback (today's only way). */
  replay({ pattern, id }) {
    const t0 = nowMs()
    const eventlog = require(ROOT)
    const log = eventlog({ filename: pattern, readOnly: true })
    const got = []
    let seen = 0
    return new Promise((resolve) => {
      let finished = false
      log.consume(
        (event, meta) => {
          seen++
          if (event.accountId !== id) return
          got.push({ seq: event.seq, pos: meta.pos, id: meta.id, body: JSON.stringify(event) })
        },
        0,
        () => {
          if (finished) return
          finished = true
          const ms = nowMs() - t0
          log.stop()
          resolve({ ms, seen, read: { events: got } })
        },
      )
    })
  },

  /** node-event-storage: the same events committed, each to its stream. */
  'nes-setup'({ dir, events, streams }) {
    const EventStore = require(path.join(NES_DIR, 'node_modules', 'event-storage'))
    const streamOf = streamOfEach(events, streams)
    return new Promise((resolve, reject) => {
      const store = new EventStore('bench', { storageDirectory: dir })
      store.on('ready', () => {
        try {
          const t0 = nowMs()
          for (let seq = 0; seq < events; seq++) {
            const s = streamOf[seq]
            store.commit(streamName(s), eventAt(seq, s))
          }
          store.close()
          resolve({ ms: nowMs() - t0 })
        } catch (err) {
          reject(err)
        }
      })
    })
  },

  /** node-event-storage, fresh: require, open (its 'ready'), getEventStream, iterated. */
  'nes-read-fresh'({ dir, id, readOnly }) {
    const t0 = nowMs()
    const EventStore = require(path.join(NES_DIR, 'node_modules', 'event-storage'))
    const t1 = nowMs()
    return new Promise((resolve) => {
      const store = new EventStore('bench', { storageDirectory: dir, readOnly })
      store.on('ready', () => {
        const t2 = nowMs()
        const events = nesRead(store, id)
        const t3 = nowMs()
        store.close()
        resolve({ requireToResultMs: t3 - t0, openToResultMs: t3 - t1, readyMs: t2 - t1, read: { events } })
      })
    })
  },

  /** node-event-storage, warm: the stream read `reads` times in one process. */
  'nes-read-warm'({ dir, id, reads, warmup }) {
    const EventStore = require(path.join(NES_DIR, 'node_modules', 'event-storage'))
    return new Promise((resolve) => {
      const store = new EventStore('bench', { storageDirectory: dir, readOnly: true })
      store.on('ready', () => {
        const events = nesRead(store, id)
        for (let i = 0; i < warmup; i++) nesRead(store, id)
        const times = []
        for (let i = 0; i < reads; i++) {
          const t0 = nowMs()
          const r = nesRead(store, id)
          times.push(nowMs() - t0)
          if (r.length !== MEASURED_COUNT) throw new Error(`read ${i}: ${r.length} events`)
        }
        store.close()
        resolve({ times, read: { events } })
      })
    })
  },
}

/** One stream of node-event-storage as [{ seq, version, body }]. */
function nesRead(store, id) {
  const stream = store.getEventStream(id)
  const out = []
  if (!stream) return out
  let version = 0
  for (const event of stream) out.push({ seq: event.seq, version: ++version, body: JSON.stringify(event) })
  return out
}

async function child(mode, argsJson) {
  const run = CHILDREN[mode]
  if (!run) throw new Error(`unknown child mode ${mode}`)
  const result = await run(JSON.parse(argsJson))
  emit({ result: { ok: true, ...result } })
  process.exit(0)
}

if (process.argv[2] === '--child') {
  // Something ref'd while a child awaits a native promise (the process must not end early).
  setInterval(() => {}, 1 << 30)
  child(process.argv[3], process.argv[4]).catch((err) => {
    emit({ result: { ok: false, failures: [`crashed: ${(err && err.stack) || err}`] } })
    process.exit(1)
  })
} else {
  main().catch((err) => {
    console.error(err && err.stack ? err.stack : err)
    process.exit(1)
  })
}

// --- the parent ---------------------------------------------------------------------------

async function main() {
  const common = require('./common')
  const { median, quantile, header, layout, fmt, fmtX, saveResults, parseArgs, tempDir, removeDir } = common
  const opts = parseArgs({
    quick: false,
    events: 10000000,
    streams: 100000,
    days: 30,
    dir: '',
    keep: false,
    runs: 0,
    reads: 0,
    'index-runs': 0,
    'replay-runs': 0,
    'burst-runs': 0,
    'burst-n': 20000,
    'nes-events': 0,
    'skip-nes': false,
    'skip-replay': false,
    'skip-burst': false,
    'allow-debug-build': false,
  })
  const q = (full, quick) => (opts.quick ? quick : full)
  if (opts.quick) {
    const given = new Set(process.argv.slice(2).map((a) => a.replace(/^--([a-z-]+).*$/, '$1')))
    if (!given.has('events')) opts.events = 300000
    if (!given.has('streams')) opts.streams = 3000
  }
  const runs = opts.runs || q(15, 5)
  const reads = opts.reads || q(1000, 200)
  const indexRuns = opts['index-runs'] || q(3, 1)
  const replayRuns = opts['replay-runs'] || q(3, 1)
  const burstRuns = opts['burst-runs'] || q(9, 3)
  const nesEvents = opts['nes-events'] || q(200000, 30000)
  if (opts.streams < 2 || opts.events < MEASURED_COUNT * 2 || opts.days < 1) {
    console.error('need --streams ≥ 2, --events ≥ 200, --days ≥ 1')
    process.exit(2)
  }

  const build = common.useReleaseBuild({ allowDebug: opts['allow-debug-build'] })
  const info = header(
    `Streams: one 100-event stream among ${opts.events.toLocaleString('en')} events, ${opts.streams.toLocaleString('en')} streams, ${opts.days} days`,
    build,
  )

  const fail = (what, failures) => {
    console.error(`\n${what}: CHECK FAILED\n  ${failures.join('\n  ')}`)
    process.exitCode = 1
  }
  const runChild = async (mode, args, timeoutMs = 600000) => {
    const outcome = await common.startNode(__filename, ['--child', mode, JSON.stringify(args)], { timeoutMs }).done
    const r = common.resultOf(outcome, mode)
    if (r instanceof Error) throw r
    return r
  }
  const step = (msg) => console.log(`${new Date().toISOString().slice(11, 19)}  ${msg}`)

  // --- the history ---
  let dir = opts.dir ? path.resolve(opts.dir) : null
  const keep = Boolean(dir) || opts.keep
  if (!dir)
    dir = keep
      ? path.join(os.tmpdir(), `eventlog-bench-streams-${opts.events}-${opts.streams}`)
      : tempDir('bench-streams')
  const logDir = path.join(dir, 'log')
  const pattern = path.join(logDir, PATTERN_NAME)
  step(`history in ${logDir}${keep ? ' (kept)' : ''}`)
  const manifest = writeHistory(logDir, { events: opts.events, streams: opts.streams, days: opts.days })
  sealedCheck(manifest)
  step(
    manifest.reused
      ? `reused: ${fmt(manifest.bytes / 2 ** 20)} MB`
      : `written: ${fmt(manifest.bytes / 2 ** 20)} MB in ${fmt(manifest.generatedMs / 1000)} s`,
  )
  // In the page cache for every measurement (the fresh-process reads then measure us, not the disk).
  for (const f of fs.readdirSync(logDir)) if (f.endsWith('.log')) warmFile(path.join(logDir, f))

  const results = { info, opts: { ...opts, runs, reads, indexRuns, replayRuns, burstRuns, nesEvents }, rows: {} }
  const R = results.rows
  const notes = []

  // --- does this build have streams? ---
  let missing = null
  try {
    const probe = await runChild('index', { pattern: path.join(tempDir('bench-streams-probe'), PATTERN_NAME) }, 60000)
    missing = probe.missing || null
  } catch (err) {
    missing = `eventlog({ streamKey }) failed: ${err.message.split('\n')[0].slice(0, 200)}`
  }
  const hasStreams = !missing
  if (!hasStreams) notes.push(`this build has no streams API (${missing}): the eventlog stream rows are skipped`)

  const prevPosKinds = new Set()
  const checked = (what, read, o) => {
    const c = checkRead(read.events, manifest, o)
    if (c.prevPosIs) prevPosKinds.add(c.prevPosIs)
    if (c.failures.length) fail(what, c.failures)
    return c.failures.length === 0
  }
  // The history as generated ends with yesterday's file: the newest day, which is not sealed
  // (no later day is recorded yet), so it has no .sidx and every fresh process indexes it from
  // the logfile in memory. Measured first, then one event is added today (sealing every past
  // day, as on any day the log has been written) and everything else is measured on that.
  const todayFile = fileForDay(logDir, dayNumber(0, Date.now()))
  if (hasStreams && !fs.existsSync(todayFile)) {
    const newest = manifest.days[manifest.days.length - 1]
    removeStreamIndex(logDir)
    const r0 = await runChild('index', { pattern })
    const times = []
    for (let i = 0; i < runs; i++) {
      const r = await runChild('read-fresh', { pattern, id: MEASURED, readOnly: false })
      if (i === 0) checked('readStream, fresh, the newest day unsealed', r.read)
      times.push(r.openToResultMs)
    }
    R.unsealed = { openToResultMs: median(times), all: times, newestDayEvents: newest[1], indexed: r0.ret }
    step(
      `readStream, fresh, with yesterday (${newest[1].toLocaleString('en')} events) the newest day, not sealed: ${fmt(R.unsealed.openToResultMs)} ms (indexStreams had indexed ${JSON.stringify(r0.ret)})`,
    )
  }
  if (hasStreams && !fs.existsSync(todayFile)) await runChild('add-today', { pattern })
  const todayEvents = fs.existsSync(todayFile) ? fs.readFileSync(todayFile, 'utf8').split('\n').length - 1 : 0
  const totalEvents = manifest.events + todayEvents

  // --- 2. indexing the history, 3. its size ---
  if (hasStreams) {
    // The first read of a fresh history with no stream index (what a new user sees first).
    removeStreamIndex(logDir)
    const cold = await runChild('read-fresh', { pattern, id: MEASURED, readOnly: false })
    checked('readStream with no index yet', cold.read)
    R.noIndex = { openToResultMs: cold.openToResultMs }
    step(`readStream on a fresh open with no stream index: ${fmt(cold.openToResultMs)} ms`)
    const idx = []
    for (let i = 0; i < indexRuns; i++) {
      const removed = removeStreamIndex(logDir)
      const r = await runChild('index', { pattern })
      idx.push(r)
      step(
        `indexStreams #${i + 1}: ${fmt(r.indexMs)} ms (${fmt((indexedOf(r) / r.indexMs) * 1000, 0)} events/s), returned ${JSON.stringify(r.ret)}${removed ? '' : ' (no index before)'}`,
      )
    }
    const size = streamIndexBytes(logDir)
    const indexed = indexedOf(idx[idx.length - 1])
    R.index = {
      ms: median(idx.map((r) => r.indexMs)),
      all: idx.map((r) => r.indexMs),
      openMs: median(idx.map((r) => r.openMs)),
      ret: idx.map((r) => r.ret),
      events: indexed,
      eventsPerSec: median(idx.map((r) => (indexedOf(r) / r.indexMs) * 1000)),
      bytes: size.bytes,
      files: size.files,
      bytesPerEvent: size.bytes / indexed,
    }
    if (idx.some((r) => r.ret && r.ret.events !== manifest.events))
      notes.push(
        `indexStreams reported ${idx.map((r) => r.ret && r.ret.events).join(', ')} events, the history holds ${manifest.events}`,
      )
    step(
      `index on disk: ${fmt(size.bytes / 2 ** 20)} MB in ${size.files} .sidx files, ${fmt(size.bytes / indexed, 2)} B/event`,
    )
  }

  // --- 1a, 1b: reads of the stream ---
  if (hasStreams) {
    const fresh = { writable: [], readOnly: [], requireWritable: [] }
    for (let i = 0; i < runs; i++) {
      for (const readOnly of i % 2 ? [true, false] : [false, true]) {
        const r = await runChild('read-fresh', { pattern, id: MEASURED, readOnly })
        if (i === 0) checked(`readStream, fresh process${readOnly ? ', readOnly' : ''}`, r.read)
        if (r.read.version !== MEASURED_COUNT)
          fail('readStream', [`version ${r.read.version}, expected ${MEASURED_COUNT}`])
        fresh[readOnly ? 'readOnly' : 'writable'].push(r.openToResultMs)
        if (!readOnly) fresh.requireWritable.push(r.requireToResultMs)
      }
    }
    R.fresh = {
      openToResultMs: median(fresh.writable),
      requireToResultMs: median(fresh.requireWritable),
      readOnlyOpenToResultMs: median(fresh.readOnly),
      all: fresh,
    }
    step(`readStream, fresh: eventlog() → result ${fmt(R.fresh.openToResultMs, 2)} ms (median of ${runs})`)
    const warm = await runChild('read-warm', {
      pattern,
      id: MEASURED,
      reads,
      warmup: 20,
      distinct: Math.min(reads, opts.streams - 1),
      streams: opts.streams,
    })
    checked('readStream, warm', warm.read)
    const expectVersions = {
      backwards: [100, 91],
      from: [51, 100],
      range: [11, 20],
    }
    for (const [name, [a, b]] of Object.entries(expectVersions)) {
      const v = warm.variants[name]
      const want = []
      for (let k = a; a <= b ? k <= b : k >= b; a <= b ? k++ : k--) want.push(k)
      const got = v.events.map((e) => e.version)
      const seqOk = v.events.every((e) => e.seq === manifest.measured[e.version - 1]?.seq)
      if (JSON.stringify(got) !== JSON.stringify(want) || !seqOk)
        fail(`readStream(id, ${name})`, [
          `versions ${got.join(',')}, expected ${want.join(',')}${seqOk ? '' : "; events not the stream's"}`,
        ])
      if (v.version !== MEASURED_COUNT)
        notes.push(`readStream(id, ${name}) resolved version ${v.version} (the stream's is ${MEASURED_COUNT})`)
    }
    if (warm.version !== null && warm.version !== MEASURED_COUNT)
      fail('streamVersion', [`${warm.version}, expected ${MEASURED_COUNT}`])
    const expectDistinct = opts.events - MEASURED_COUNT
    R.warm = {
      medianMs: median(warm.times),
      p99Ms: quantile(warm.times, 0.99),
      versionMedianMs: median(warm.versionTimes),
      distinctMedianMs: median(warm.distinctTimes),
      distinctP99Ms: quantile(warm.distinctTimes, 0.99),
      distinctEventsPerRead: warm.distinctEvents / warm.distinctTimes.length,
    }
    step(
      `readStream, warm: ${fmt(R.warm.medianMs * 1000, 0)} µs median per read; distinct streams ${fmt(R.warm.distinctMedianMs * 1000, 0)} µs (${fmt(R.warm.distinctEventsPerRead, 1)} events each, ≈ ${fmt(expectDistinct / (opts.streams - 1), 1)} expected)`,
    )
  }

  // --- 1c: the replay filtered in JS ---
  if (!opts['skip-replay']) {
    const times = []
    for (let i = 0; i < replayRuns; i++) {
      const r = await runChild('replay', { pattern, id: MEASURED }, 1800000)
      if (i === 0) checked('replay filtered in the callback', r.read, { versions: false })
      if (r.seen !== totalEvents) fail('replay', [`saw ${r.seen} events of ${totalEvents}`])
      times.push(r.ms)
      step(`replay filtered in JS #${i + 1}: ${fmt(r.ms)} ms (${fmt((totalEvents / r.ms) * 1000, 0)} events/s)`)
    }
    R.replay = { ms: median(times), all: times, eventsPerSec: (totalEvents / median(times)) * 1000 }
  }

  // --- 1d: node-event-storage, on a history of its size, and ours on the same ---
  if (!opts['skip-nes']) {
    const nesStreams = Math.max(2, Math.round(nesEvents / MEASURED_COUNT))
    const nesRoot = keep ? path.join(dir, `nes-${nesEvents}`) : tempDir('bench-streams-nes')
    ensureNes()
    const nesLogDir = path.join(nesRoot, 'log')
    const nesStore = path.join(nesRoot, 'event-storage')
    const small = writeHistory(nesLogDir, { events: nesEvents, streams: nesStreams, days: opts.days })
    let setupMs = null
    if (!fs.existsSync(path.join(nesStore, 'complete'))) {
      fs.rmSync(nesStore, { recursive: true, force: true })
      fs.mkdirSync(nesStore, { recursive: true })
      step(
        `node-event-storage: committing ${nesEvents.toLocaleString('en')} events to ${nesStreams.toLocaleString('en')} streams`,
      )
      setupMs = (await runChild('nes-setup', { dir: nesStore, events: nesEvents, streams: nesStreams }, 3600000)).ms
      fs.writeFileSync(path.join(nesStore, 'complete'), '')
      step(`node-event-storage set up in ${fmt(setupMs / 1000)} s (${fmt((nesEvents / setupMs) * 1000, 0)} events/s)`)
    }
    const smallPattern = path.join(nesLogDir, PATTERN_NAME)
    for (const f of fs.readdirSync(nesLogDir)) if (f.endsWith('.log')) warmFile(path.join(nesLogDir, f))
    const nesCheck = (what, read) => {
      const c = checkRead(
        read.events.map((e, i) => ({
          ...e,
          pos: small.measured[i] && small.measured[i].pos,
          id: small.measured[i] && small.measured[i].id,
        })),
        small,
      )
      if (c.failures.length) fail(what, c.failures)
    }
    const smallChecked = (what, read) => {
      const c = checkRead(read.events, small)
      if (c.failures.length) fail(what, c.failures)
    }
    if (hasStreams) {
      if (!fs.existsSync(fileForDay(nesLogDir, dayNumber(0, Date.now()))))
        await runChild('add-today', { pattern: smallPattern })
      removeStreamIndex(nesLogDir)
      await runChild('index', { pattern: smallPattern })
    }
    const nes = { fresh: [], freshRequire: [], ours: [], oursRequire: [] }
    for (let i = 0; i < runs; i++) {
      const order = i % 2 ? ['ours', 'nes'] : ['nes', 'ours']
      for (const who of order) {
        if (who === 'nes') {
          const r = await runChild('nes-read-fresh', { dir: nesStore, id: MEASURED, readOnly: true })
          if (i === 0) nesCheck('node-event-storage, fresh', r.read)
          nes.fresh.push(r.openToResultMs)
          nes.freshRequire.push(r.requireToResultMs)
        } else if (hasStreams) {
          const r = await runChild('read-fresh', { pattern: smallPattern, id: MEASURED, readOnly: false })
          if (i === 0) smallChecked(`readStream at ${nesEvents} events, fresh`, r.read)
          nes.ours.push(r.openToResultMs)
          nes.oursRequire.push(r.requireToResultMs)
        }
      }
    }
    const nesWarm = await runChild('nes-read-warm', { dir: nesStore, id: MEASURED, reads, warmup: 20 })
    nesCheck('node-event-storage, warm', nesWarm.read)
    let oursWarm = null
    if (hasStreams) {
      oursWarm = await runChild('read-warm', {
        pattern: smallPattern,
        id: MEASURED,
        reads,
        warmup: 20,
        distinct: 0,
        streams: nesStreams,
      })
      smallChecked(`readStream at ${nesEvents} events, warm`, oursWarm.read)
    }
    R.nes = {
      events: nesEvents,
      streams: nesStreams,
      setupMs,
      freshOpenToResultMs: median(nes.fresh),
      freshRequireToResultMs: median(nes.freshRequire),
      warmMedianMs: median(nesWarm.times),
      warmP99Ms: quantile(nesWarm.times, 0.99),
      oursFreshOpenToResultMs: median(nes.ours),
      oursFreshRequireToResultMs: median(nes.oursRequire),
      oursWarmMedianMs: oursWarm && median(oursWarm.times),
      oursWarmP99Ms: oursWarm && quantile(oursWarm.times, 0.99),
    }
    step(
      `node-event-storage at ${nesEvents.toLocaleString('en')} events: fresh ${fmt(R.nes.freshOpenToResultMs, 2)} ms, warm ${fmt(R.nes.warmMedianMs * 1000, 0)} µs`,
    )
    if (!keep) removeDir(nesRoot)
  }

  // --- 4. the add burst, with streamKey and without ---
  if (!opts['skip-burst'] && hasStreams) {
    const KINDS = { plain: 'add-burst', stream: 'add-burst-stream', one: 'add-burst-one-stream' }
    const w = {
      plain: [],
      stream: [],
      one: [],
      plainCpu: [],
      streamCpu: [],
      oneCpu: [],
      plainRss: [],
      streamRss: [],
      oneRss: [],
    }
    const kinds = Object.keys(KINDS)
    for (let i = 0; i < burstRuns; i++) {
      for (let k = 0; k < kinds.length; k++) {
        const which = kinds[(k + i) % kinds.length]
        const runDir = tempDir(`bench-streams-burst`)
        fs.mkdirSync(path.join(runDir, 'log'))
        const outcome = await common.runWorkload('ours', KINDS[which], runDir, opts['burst-n'], { timeoutMs: 120000 })
        removeDir(runDir)
        const r = common.resultOf(outcome, `add burst (${which})`)
        if (r instanceof Error) throw r
        w[which].push(r.eventsPerSec)
        w[`${which}Cpu`].push(r.cpuUsPerEvent)
        w[`${which}Rss`].push(r.maxRssMB)
      }
    }
    R.burst = {
      n: opts['burst-n'],
      plain: median(w.plain),
      stream: median(w.stream),
      plainCpu: median(w.plainCpu),
      streamCpu: median(w.streamCpu),
      ratio: median(w.stream) / median(w.plain),
      one: median(w.one),
      oneCpu: median(w.oneCpu),
      oneRatio: median(w.one) / median(w.plain),
      plainRss: median(w.plainRss),
      streamRss: median(w.streamRss),
      oneRss: median(w.oneRss),
      all: w,
    }
    step(
      `add burst: ${fmt(R.burst.plain, 0)} events/s without streamKey, ${fmt(R.burst.stream, 0)} with (a stream per add), ${fmt(R.burst.one, 0)} with (one stream)`,
    )
  }

  // --- the report ---
  const history = `${short(opts.events)} ev, ${short(opts.streams)} streams`
  const nesHistory = R.nes ? `${short(R.nes.events)} ev, ${short(R.nes.streams)} streams` : ''
  const ms = (v, d = 2) => (v === null || v === undefined ? '—' : `${fmt(v, d)} ms`)
  const rows = [['measurement', 'history', 'median', 'goal', 'met', 'ratio']]
  const met = (ok) => (ok === null ? '' : ok ? 'yes' : 'NO')
  if (R.fresh) {
    rows.push([
      'readStream, fresh process: eventlog() → result',
      history,
      ms(R.fresh.openToResultMs),
      '≤ 5 ms',
      met(R.fresh.openToResultMs <= 5),
      R.replay ? `replay ÷ this ${fmtX(R.replay.ms / R.fresh.openToResultMs)}` : '',
    ])
    rows.push(['  require → result', history, ms(R.fresh.requireToResultMs), '', '', ''])
    rows.push(['  readOnly: eventlog() → result', history, ms(R.fresh.readOnlyOpenToResultMs), '', '', ''])
  }
  if (R.unsealed)
    rows.push([
      `  the newest day (${short(R.unsealed.newestDayEvents)} ev) not sealed yet`,
      history,
      ms(R.unsealed.openToResultMs),
      '',
      '',
      '',
    ])
  if (R.noIndex) rows.push(['  first read, no stream index yet', history, ms(R.noIndex.openToResultMs, 0), '', '', ''])
  if (R.warm) {
    rows.push([
      'readStream, warm process, per read',
      history,
      ms(R.warm.medianMs, 3),
      '≤ 0.5 ms',
      met(R.warm.medianMs <= 0.5),
      R.replay ? `replay ÷ this ${fmtX(R.replay.ms / R.warm.medianMs)}` : '',
    ])
    rows.push(['  p99', history, ms(R.warm.p99Ms, 3), '', '', ''])
    rows.push([
      `  ${Math.min(reads, opts.streams - 1)} distinct streams, once each`,
      history,
      ms(R.warm.distinctMedianMs, 3),
      '',
      '',
      '',
    ])
    if (R.warm.versionMedianMs !== null)
      rows.push(['  streamVersion', history, ms(R.warm.versionMedianMs, 3), '', '', ''])
  }
  if (R.replay)
    rows.push([
      'full replay, filtered in the JS callback',
      history,
      ms(R.replay.ms, 0),
      '',
      '',
      `${fmt(R.replay.eventsPerSec, 0)} ev/s`,
    ])
  if (R.nes) {
    const vs = (theirs, ours) => (ours ? `nes ÷ ours ${fmtX(theirs / ours)}` : '')
    rows.push([
      'node-event-storage getEventStream, fresh: open → result',
      nesHistory,
      ms(R.nes.freshOpenToResultMs),
      '',
      '',
      vs(R.nes.freshOpenToResultMs, R.nes.oursFreshOpenToResultMs),
    ])
    rows.push([
      '  require → result',
      nesHistory,
      ms(R.nes.freshRequireToResultMs),
      '',
      '',
      vs(R.nes.freshRequireToResultMs, R.nes.oursFreshRequireToResultMs),
    ])
    rows.push([
      'node-event-storage getEventStream, warm, per read',
      nesHistory,
      ms(R.nes.warmMedianMs, 3),
      '',
      '',
      vs(R.nes.warmMedianMs, R.nes.oursWarmMedianMs),
    ])
    if (hasStreams) {
      rows.push(['readStream, fresh: eventlog() → result', nesHistory, ms(R.nes.oursFreshOpenToResultMs), '', '', ''])
      rows.push(['  require → result', nesHistory, ms(R.nes.oursFreshRequireToResultMs), '', '', ''])
      rows.push(['readStream, warm, per read', nesHistory, ms(R.nes.oursWarmMedianMs, 3), '', '', ''])
    }
  }
  if (R.index) {
    rows.push([
      'indexStreams() on a fresh open',
      history,
      ms(R.index.ms, 0),
      '≥ 1,000,000 ev/s',
      met(R.index.eventsPerSec >= 1e6),
      `${fmt(R.index.eventsPerSec, 0)} ev/s`,
    ])
    rows.push([
      'stream index on disk (.sidx)',
      history,
      `${fmt(R.index.bytesPerEvent, 2)} B/event`,
      '≤ 24 B/event',
      met(R.index.bytesPerEvent <= 24),
      `${fmt(R.index.bytes / 2 ** 20)} MB, ${R.index.files} files`,
    ])
  }
  if (R.burst) {
    rows.push([
      'add burst without streamKey',
      `${short(R.burst.n)} adds`,
      `${fmt(R.burst.plain, 0)} ev/s`,
      '',
      '',
      `${fmt(R.burst.plainCpu)} µs CPU/ev, ${fmt(R.burst.plainRss)} MB peak RSS`,
    ])
    rows.push([
      "add burst, streamKey: 'customer' (a new stream per add)",
      `${short(R.burst.n)} adds`,
      `${fmt(R.burst.stream, 0)} ev/s`,
      '≥ 0.85×',
      met(R.burst.ratio >= 0.85),
      `${fmtX(R.burst.ratio)} (${fmt(R.burst.streamCpu)} µs CPU/ev, ${fmt(R.burst.streamRss)} MB)`,
    ])
    rows.push([
      "add burst, streamKey: 'currency' (all in one stream)",
      `${short(R.burst.n)} adds`,
      `${fmt(R.burst.one, 0)} ev/s`,
      '≥ 0.85×',
      met(R.burst.oneRatio >= 0.85),
      `${fmtX(R.burst.oneRatio)} (${fmt(R.burst.oneCpu)} µs CPU/ev, ${fmt(R.burst.oneRss)} MB)`,
    ])
  }
  console.log('\n' + layout(rows, 2))
  if (R.nes && R.nes.setupMs !== null)
    notes.push(
      `node-event-storage's setup: ${fmt(R.nes.setupMs / 1000)} s for ${R.nes.events.toLocaleString('en')} events (${fmt((R.nes.events / R.nes.setupMs) * 1000, 0)} events/s)`,
    )
  if (R.nes) {
    // Its setup grows with events × streams (every commit is matched against every stream's
    // index), and it keeps a partition file and an index file open per stream.
    const scale = (opts.events * opts.streams) / (R.nes.events * R.nes.streams)
    const est =
      R.nes.setupMs !== null
        ? `, ≈ ${R.nes.setupMs * scale >= 3600000 ? `${fmt((R.nes.setupMs * scale) / 3600000)} h` : `${fmt((R.nes.setupMs * scale) / 60000)} min`} at this size by that rate`
        : ''
    notes.push(
      `node-event-storage runs on a smaller history (${nesHistory}), 100 events a stream as in ours: each of its commits is matched against every stream's index (setup time ∝ events × streams${est}), and it holds 2 open files per stream (${short(opts.streams)} streams: ${short(2 * opts.streams)} fds; ulimit -n here ${ulimit()})`,
    )
  }
  if (prevPosKinds.size)
    notes.push(`meta.prevPos of a stream read is the ${[...prevPosKinds].join('/')}'s previous position`)
  notes.push(
    `medians: fresh reads of ${runs} processes each, ${reads} warm reads, ${indexRuns} indexing run(s), ${replayRuns} replay(s), ${burstRuns} burst run(s) each; the logfiles in the page cache`,
  )
  for (const n of notes) console.log(`- ${n}`)
  results.notes = notes
  const file = saveResults(opts.quick ? 'streams-quick' : 'streams', results)
  console.log(`\nresults: ${file}${keep ? `; history kept in ${dir}` : ''}`)
  if (!keep) removeDir(dir)
}

// --- helpers of the parent ----------------------------------------------------------------

/** Events an indexStreams() run says it covered (the days it indexed or found indexed). */
function indexedOf(r) {
  return r.ret && typeof r.ret.events === 'number' ? r.ret.events : NaN
}

function short(n) {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(2)}M`
  if (n >= 1e3) return `${+(n / 1e3).toFixed(n % 1000 === 0 ? 0 : 1)}k`
  return String(n)
}

function ulimit() {
  try {
    return execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()
  } catch {
    return '?'
  }
}

function warmFile(file) {
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.alloc(1 << 22)
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    fs.closeSync(fd)
  }
}

/** Every `<logDir>/.eventlog/<name>.d/streams` directory. */
function streamIndexDirs(logDir) {
  const base = path.join(logDir, '.eventlog')
  if (!fs.existsSync(base)) return []
  return fs
    .readdirSync(base)
    .filter((d) => d.endsWith('.d'))
    .map((d) => path.join(base, d, 'streams'))
    .filter((d) => fs.existsSync(d))
}

/** Removes the stream index (not the rest of .eventlog); whether there was one. */
function removeStreamIndex(logDir) {
  const dirs = streamIndexDirs(logDir)
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
  return dirs.length > 0
}

/** Bytes and count of the .sidx files under the stream index directories. */
function streamIndexBytes(logDir) {
  let bytes = 0
  let files = 0
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.sidx')) {
        bytes += fs.statSync(p).size
        files++
      }
    }
  }
  for (const d of streamIndexDirs(logDir)) walk(d)
  return { bytes, files }
}

/** node-event-storage (npm `event-storage`) in .cache/, installed on first use. */
function ensureNes() {
  if (fs.existsSync(path.join(NES_DIR, 'node_modules', 'event-storage', 'package.json'))) return
  fs.mkdirSync(NES_DIR, { recursive: true })
  fs.writeFileSync(path.join(NES_DIR, 'package.json'), '{"private":true}\n')
  console.log(
    `installing event-storage@${NES_VERSION} (node-event-storage) into ${path.relative(process.cwd(), NES_DIR)}`,
  )
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `event-storage@${NES_VERSION}`], {
    cwd: NES_DIR,
    stdio: 'inherit',
  })
}
