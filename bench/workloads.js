'use strict'
// One workload in one fresh process:
//   node bench/workloads.js <impl> <workload> <runDir> <n>
// impl: ours | original | baseline | batched | alt (the package at $EVENTLOG_BENCH_ALT). The
// log lives in <runDir>/log; history written by the parent is described by
// <runDir>/manifest.json. A process of its own per measurement keeps
// JIT state, heap growth, leftover timers (the original leaves some) and peak RSS apart.
// Prints `{"partial":…}` lines while running (so a timed-out run still tells how far it got)
// and one `{"result":…}` line at the end, after checking what it measured.

const fs = require('node:fs')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { makeEvent, PER_DAY, PATTERN_NAME, todayNumber } = require('./fixtures')

const [impl, workload, runDir, nArg] = process.argv.slice(2)
const n = Number(nArg)
const logDir = path.join(runDir, 'log')
const filename = path.join(logDir, PATTERN_NAME)
const WARMUP = 20
const ID_RE = /^[0-9A-Za-z]{32}$/

// The original keeps nothing ref'd while it waits on its (unref'd) timers and watchers, so
// without this the process could end mid-measurement. Every workload ends in process.exit().
setInterval(() => {}, 1 << 30)

// Loaded before any clock starts: module loading is process start-up, not opening a log.
const eventlog = (() => {
  if (impl === 'ours') return require(path.join(__dirname, '..'))
  if (impl === 'original') return require('@rymdtiden/eventlog')
  if (impl === 'baseline') return require('./baseline')
  if (impl === 'batched') return require('./baseline-batched')
  if (impl === 'alt') {
    if (process.env.EVENTLOG_BENCH_ALT_BINARY)
      process.env.NAPI_RS_NATIVE_LIBRARY_PATH = process.env.EVENTLOG_BENCH_ALT_BINARY
    return require(process.env.EVENTLOG_BENCH_ALT)
  }
  throw new Error(`unknown implementation ${impl}`)
})()

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

// --- measuring and checking ----------------------------------------------------------------

const failures = []
function check(cond, message) {
  if (!cond && failures.length < 20) failures.push(message)
  return cond
}

function cpuSince(start) {
  const d = process.cpuUsage(start)
  return d.user + d.system
}

function maxRssMB() {
  return process.resourceUsage().maxRSS / 1024
}

function quantile(values, q) {
  const s = Float64Array.from(values).sort()
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// The measured stretch on the monotonic clock (µs), which V8's CPU profiles and
// `perf record -k CLOCK_MONOTONIC` use too: bench/profile.js looks only at samples inside it.
const monoUs = () => Number(process.hrtime.bigint() / 1000n)
// Peak RSS is read when the measured stretch ends, before the checks (which read the files
// back and make strings of their own).
let window = null
let rssAtEnd = null
function markStart() {
  window = { startUs: monoUs(), endUs: null }
}
function markEnd() {
  if (window) window.endUs = monoUs()
  rssAtEnd = maxRssMB()
}
const measuredRssMB = () => rssAtEnd ?? maxRssMB()

/** add() results: ids echoed, positions consecutive from the start of today's (new) file. */
function checkAdds(ids, results) {
  check(results.length === ids.length, `${results.length} add results for ${ids.length} adds`)
  for (let i = 0; i < results.length; i++) {
    const r = results[i]
    if (!check(r && r.id === ids[i], `add #${i}: resolved id ${r && r.id} differs from returned ${ids[i]}`)) break
    if (i === 0) {
      check(r.pos % PER_DAY === 0, `first add in an empty log got position ${r.pos}, not line 0`)
    } else if (!check(r.pos > results[i - 1].pos, `add #${i}: position ${r.pos} not above ${results[i - 1].pos}`)) {
      break
    } else {
      check(r.pos === results[i - 1].pos + 1 || r.pos % PER_DAY === 0, `add #${i}: position ${r.pos} skips`)
      check(r.prevPos === results[i - 1].pos, `add #${i}: prevPos ${r.prevPos} is not ${results[i - 1].pos}`)
    }
  }
}

/** The files hold exactly the added events, in add order, in the exact original line format. */
function checkFiles(ids, events) {
  const names = fs
    .readdirSync(logDir)
    .filter((f) => f.endsWith('.log'))
    .sort()
  const lines = []
  for (const name of names) {
    const text = fs.readFileSync(path.join(logDir, name), 'utf8')
    check(text === '' || text.endsWith('\n'), `${name} does not end in a newline`)
    for (const line of text.split('\n')) if (line) lines.push(line)
  }
  check(lines.length === ids.length, `the files hold ${lines.length} lines for ${ids.length} adds`)
  for (let i = 0; i < Math.min(lines.length, ids.length); i++) {
    const expected = JSON.stringify({ event: events[i], meta: { id: ids[i] } })
    if (!check(lines[i] === expected, `line ${i} is ${lines[i].slice(0, 120)}…, expected ${expected.slice(0, 120)}…`))
      break
  }
  for (const id of ids) if (!check(ID_RE.test(id), `id ${id} is not 32 characters of [0-9A-Za-z]`)) break
}

/** Positions a replay of the manifest's history must deliver, in order. */
function expectedPositions(manifest) {
  const out = new Float64Array(manifest.count)
  let k = 0
  for (const [day, count] of manifest.days) for (let i = 0; i < count; i++) out[k++] = day * PER_DAY + i
  return out
}

// --- workloads ----------------------------------------------------------------------------

/** Add n events at once, then wait for all the promises. */
async function addBurst(opts = {}) {
  const log = eventlog({ filename, ...opts })
  const events = Array.from({ length: n }, (_, i) => makeEvent(i))
  const ids = new Array(n)
  const promises = new Array(n)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  markStart()
  for (let i = 0; i < n; i++) {
    const r = log.add(events[i])
    ids[i] = r.id
    promises[i] = r.promise
  }
  const results = await Promise.all(promises)
  const ms = performance.now() - t0
  markEnd()
  const cpu = cpuSince(cpu0)
  log.stop()
  checkAdds(ids, results)
  checkFiles(ids, events)
  // With streamKey 'customer' (unique per event below 100,000), every add starts its stream;
  // with 'currency' (always 'SEK') every add is to one stream.
  if (opts.streamKey === 'customer' && n <= 100000)
    for (let i = 0; i < n; i++)
      if (!check(results[i].version === 1, `add #${i}: version ${results[i].version}, not 1`)) break
  if (opts.streamKey === 'currency')
    for (let i = 0; i < n; i++)
      if (!check(results[i].version === i + 1, `add #${i}: version ${results[i].version}, not ${i + 1}`)) break
  return { n, eventsPerSec: (n / ms) * 1000, cpuUsPerEvent: cpu / n, maxRssMB: measuredRssMB() }
}

/** Add n events one after another, each awaited: the latency of add() alone. */
async function addSequential() {
  const log = eventlog({ filename })
  const events = Array.from({ length: n + WARMUP }, (_, i) => makeEvent(i))
  const ids = []
  const results = []
  const lat = []
  let cpu0
  for (let i = 0; i < events.length; i++) {
    if (i === WARMUP) {
      cpu0 = process.cpuUsage()
      markStart()
    }
    const t0 = performance.now()
    const r = log.add(events[i])
    const res = await r.promise
    const t1 = performance.now()
    if (i >= WARMUP) lat.push((t1 - t0) * 1000)
    ids.push(r.id)
    results.push(res)
  }
  const cpu = cpuSince(cpu0)
  markEnd()
  log.stop()
  checkAdds(ids, results)
  checkFiles(ids, events)
  return {
    n,
    medianUs: quantile(lat, 0.5),
    p99Us: quantile(lat, 0.99),
    cpuUsPerEvent: cpu / n,
    maxRssMB: measuredRssMB(),
  }
}

/**
 * Replay the history the parent wrote, from the start, until every event is delivered.
 * `lagTimer`: a 10 ms setInterval runs meanwhile, and how late each of its calls came is
 * reported (the loop lag a replay causes). $EVENTLOG_BENCH_ARCHIVE (JSON archive options):
 * the log is opened with that archive (ours only), so days it lacks locally come from there.
 */
async function replay({ asyncCallback, lagTimer = false }) {
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
  const total = manifest.count
  const pos = new Float64Array(total)
  const prev = new Float64Array(total)
  const seq = new Int32Array(total)
  let count = 0
  let badIds = 0
  let tFirst = 0
  let syncsAfterDone = 0
  let resolveDone
  const done = new Promise((r) => (resolveDone = r))
  // Kept small and identical for every implementation: the work measured is theirs.
  function onEvent(event, meta) {
    if (count === 0) tFirst = performance.now()
    if (count < total) {
      pos[count] = meta.pos
      prev[count] = meta.prevPos === undefined || meta.prevPos === null ? -1 : meta.prevPos
      seq[count] = event.seq
      if (typeof meta.id !== 'string' || meta.id.length !== 32) badIds++
    }
    if (++count === total) resolveDone()
  }
  const callback = asyncCallback ? async (event, meta) => onEvent(event, meta) : onEvent
  // The original has no onSync; it simply never calls this.
  const onSync = () => {
    if (count >= total) syncsAfterDone++
  }
  const options = { filename, readOnly: true }
  if (process.env.EVENTLOG_BENCH_ARCHIVE) {
    if (impl !== 'ours' && impl !== 'alt') return { na: 'only ours reads an archive' }
    options.archive = JSON.parse(process.env.EVENTLOG_BENCH_ARCHIVE)
  }

  // The interval's calls: Node schedules each one LAG_MS after the previous one began, so
  // each call's lateness is its distance from the one before, less LAG_MS.
  const LAG_MS = 10
  const lateness = []
  let lagTimerHandle = null
  let lastTick = 0

  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  markStart()
  const progress = setInterval(
    () =>
      emit({ partial: { delivered: count, elapsedMs: performance.now() - t0, openMs: tFirst ? tFirst - t0 : null } }),
    1000,
  )
  if (lagTimer) {
    lastTick = t0
    lagTimerHandle = setInterval(() => {
      const t = performance.now()
      lateness.push(t - lastTick - LAG_MS)
      lastTick = t
    }, LAG_MS)
  }
  // Read-only for all three: only replay is measured, not the original's writer, which
  // re-reads the newest file to learn positions.
  const log = eventlog(options)
  log.consume(callback, 0, onSync)
  await done
  const ms = performance.now() - t0
  markEnd()
  const cpu = cpuSince(cpu0)
  if (lagTimerHandle) {
    // The call still due when the replay ends is late by this much at least (all of the
    // replay, for a replay that never lets the loop turn).
    const due = performance.now() - lastTick - LAG_MS
    if (due > 0) lateness.push(due)
    clearInterval(lagTimerHandle)
  }
  clearInterval(progress)

  // Nothing more may come: wait for the "caught up" call where there is one, a while otherwise.
  const until = performance.now() + (impl === 'original' ? 300 : 5000)
  while (performance.now() < until && (impl === 'original' || syncsAfterDone === 0)) await sleep(10)
  if (impl !== 'original') check(syncsAfterDone > 0, 'onSync was not called after the last event')
  check(count === total, `delivered ${count} events, expected ${total}`)
  check(badIds === 0, `${badIds} events came without a 32-character id`)
  const want = expectedPositions(manifest)
  for (let k = 0; k < Math.min(count, total); k++) {
    if (!check(seq[k] === k, `event #${k} is event ${seq[k]} of the history (order)`)) break
    if (!check(pos[k] === want[k], `event #${k} has position ${pos[k]}, expected ${want[k]}`)) break
    if (
      !check(
        prev[k] === (k ? want[k - 1] : -1),
        `event #${k} has prevPos ${prev[k]}, expected ${k ? want[k - 1] : 'none'}`,
      )
    )
      break
  }
  log.stop()
  return {
    n: total,
    days: manifest.days.length,
    openMs: tFirst - t0,
    eventsPerSec: (total / ms) * 1000,
    mbPerSec: manifest.bytes / 1e6 / (ms / 1000),
    totalMs: ms,
    cpuUsPerEvent: cpu / total,
    maxRssMB: measuredRssMB(),
    ...(lagTimer && {
      ticks: lateness.length,
      maxLateMs: lateness.length ? Math.max(...lateness) : 0,
      p99LateMs: lateness.length ? quantile(lateness, 0.99) : 0,
      medianLateMs: lateness.length ? quantile(lateness, 0.5) : 0,
      over15ms: lateness.filter((l) => l > 15).length,
      worstLateMs: [...lateness].sort((a, b) => b - a).slice(0, 5),
    }),
  }
}

/** One process adds, its own consumer receives: add() call to callback, one event at a time. */
async function liveInProcess() {
  const log = eventlog({ filename })
  let waiter = null
  const delivered = []
  log.consume((event, meta) => {
    const t = performance.now()
    delivered.push({ seq: event.seq, id: meta.id, pos: meta.pos })
    if (waiter) {
      const w = waiter
      waiter = null
      w(t)
    }
  }, 0)
  const ids = []
  const results = []
  const lat = []
  for (let i = 0; i < n + WARMUP; i++) {
    // The first (warm-up) deliveries also prove the consumer has caught up.
    const got = new Promise((r) => (waiter = r))
    const t0 = performance.now()
    const r = log.add(makeEvent(i))
    const t1 = await got
    if (i >= WARMUP) lat.push((t1 - t0) * 1000)
    ids.push(r.id)
    results.push(await r.promise)
  }
  await sleep(impl === 'original' ? 300 : 50)
  log.stop()
  checkAdds(ids, results)
  check(delivered.length === ids.length, `delivered ${delivered.length} events for ${ids.length} adds`)
  for (let i = 0; i < Math.min(delivered.length, ids.length); i++) {
    const d = delivered[i]
    if (!check(d.seq === i && d.id === ids[i], `delivery #${i} is event ${d.seq} (${d.id}), expected ${i} (${ids[i]})`))
      break
    if (!check(d.pos === results[i].pos, `delivery #${i} has position ${d.pos}, add() said ${results[i].pos}`)) break
  }
  return { n, medianUs: quantile(lat, 0.5), p99Us: quantile(lat, 0.99), maxRssMB: maxRssMB() }
}

// Cross-process live latency: the parent runs a consumer child and a writer child and relays
// "delivered" from the consumer to the writer, so the writer adds one event at a time. The
// latency is taken from wall-clock timestamps carried in the event.
const wallNow = () => performance.timeOrigin + performance.now()
const nextMessage = (type) =>
  new Promise((resolve) => {
    const on = (m) => {
      if (m && m.type === type) {
        process.off('message', on)
        resolve(m)
      }
    }
    process.on('message', on)
  })

async function liveConsumer() {
  const log = eventlog({ filename, readOnly: true })
  const delivered = []
  const lat = []
  let resolveReady
  const ready = new Promise((r) => (resolveReady = r))
  log.consume(
    (event, meta) => {
      const t = wallNow()
      if (event.seq >= WARMUP) lat.push((t - event.t) * 1000)
      delivered.push({ seq: event.seq, id: meta.id, pos: meta.pos })
      process.send({ type: 'delivered', seq: event.seq })
    },
    0,
    () => resolveReady(),
  )
  await ready
  process.send({ type: 'ready' })
  const { adds } = await nextMessage('finish')
  await sleep(50)
  log.stop()
  check(delivered.length === adds.length, `delivered ${delivered.length} events for ${adds.length} adds`)
  for (let i = 0; i < Math.min(delivered.length, adds.length); i++) {
    const d = delivered[i]
    if (!check(d.seq === i && d.id === adds[i].id, `delivery #${i} is event ${d.seq}, expected ${i}`)) break
    if (!check(d.pos === adds[i].pos, `delivery #${i} has position ${d.pos}, add() said ${adds[i].pos}`)) break
  }
  return { n, medianUs: quantile(lat, 0.5), p99Us: quantile(lat, 0.99), maxRssMB: maxRssMB() }
}

async function liveWriter() {
  const log = eventlog({ filename })
  const ids = []
  const results = []
  for (let i = 0; i < n + WARMUP; i++) {
    const delivered = nextMessage('next')
    const r = log.add(makeEvent(i, { t: wallNow() }))
    ids.push(r.id)
    results.push(await r.promise)
    await delivered
  }
  log.stop()
  checkAdds(ids, results)
  return { n, adds: results.map((r) => ({ id: r.id, pos: r.pos })) }
}

/** Burst of adds that must each be on disk before their promise resolves. */
async function durableBurst() {
  if (impl === 'original') return { na: 'the original has no durable mode' }
  return addBurst({ durable: true })
}

/**
 * Adds whose result nobody awaits (bench/unread-adds.js), n in one tick:
 * `unread`: `log.add(e)` and nothing read; `id`: `const { id } = log.add(e)`;
 * `unread-seq`: one `log.add(e)` per tick (a process.nextTick between them, which runs after
 * the add's own flush: one write per add, as with awaited sequential adds, without their
 * promise).
 * When all are made, one more add is awaited: adds settle in order, so once it has, every add
 * before it is written. CPU is the whole process's (all threads), per add.
 */
async function addUnread(mode) {
  const log = eventlog({ filename })
  const events = Array.from({ length: n }, (_, i) => makeEvent(i))
  const ids = mode === 'id' ? new Array(n) : null
  const tick = () => new Promise((resolve) => process.nextTick(resolve))
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  markStart()
  if (mode === 'unread') {
    for (let i = 0; i < n; i++) log.add(events[i])
  } else if (mode === 'id') {
    for (let i = 0; i < n; i++) {
      const { id } = log.add(events[i])
      ids[i] = id
    }
  } else if (mode === 'unread-seq') {
    for (let i = 0; i < n; i++) {
      log.add(events[i])
      await tick()
    }
  } else {
    throw new Error(`unknown mode ${mode}`)
  }
  const sentinel = log.add(makeEvent(n))
  const last = await sentinel.promise
  const ms = performance.now() - t0
  markEnd()
  const cpu = cpuSince(cpu0)
  log.stop()
  check(last.pos % PER_DAY === n, `the add after ${n} unread ones has position ${last.pos}, not line ${n}`)
  // Every line is there, in add order, in the exact format; with `id`, with the ids returned.
  const names = fs
    .readdirSync(logDir)
    .filter((f) => f.endsWith('.log'))
    .sort()
  const lines = names.flatMap((name) => fs.readFileSync(path.join(logDir, name), 'utf8').split('\n').filter(Boolean))
  check(lines.length === n + 1, `the files hold ${lines.length} lines for ${n + 1} adds`)
  for (let i = 0; i < Math.min(lines.length, n); i++) {
    const id = lines[i].slice(-35, -3)
    if (!check(ID_RE.test(id), `line ${i} ends in ${lines[i].slice(-40)}, not a 32-character id`)) break
    if (ids && !check(id === ids[i], `line ${i} has id ${id}, add() returned ${ids[i]}`)) break
    const expected = JSON.stringify({ event: events[i], meta: { id } })
    if (!check(lines[i] === expected, `line ${i} is ${lines[i].slice(0, 120)}…, expected ${expected.slice(0, 120)}…`))
      break
  }
  return { n, eventsPerSec: (n / ms) * 1000, cpuUsPerEvent: cpu / n, maxRssMB: measuredRssMB() }
}

/**
 * A fresh process starts a consumer deep inside a long day (bench/seek.js): the manifest's
 * history, `seekFrom` (a position) and `seekFirst` (the number of the event there, counting
 * from the start of the history). Time from eventlog() to the first event; then every event to
 * the end is checked. $EVENTLOG_BENCH_READONLY=1 opens the log read-only.
 */
async function seek() {
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
  const from = manifest.seekFrom
  const readOnly = process.env.EVENTLOG_BENCH_READONLY === '1'
  // Positions expected from `from` on, in order.
  const want = []
  for (const [day, count] of manifest.days) {
    const first = day * PER_DAY >= from ? 0 : day === Math.floor(from / PER_DAY) ? from % PER_DAY : count
    for (let i = first; i < count; i++) want.push(day * PER_DAY + i)
  }
  const got = []
  let tFirst = 0
  let resolveDone
  const done = new Promise((r) => (resolveDone = r))
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  markStart()
  const log = eventlog(readOnly ? { filename, readOnly: true } : { filename })
  log.consume(
    (event, meta) => {
      if (got.length === 0) tFirst = performance.now()
      got.push([event.seq, meta.pos, meta.prevPos])
    },
    from,
    () => {
      if (got.length >= want.length) resolveDone()
    },
  )
  await done
  const totalMs = performance.now() - t0
  markEnd()
  const cpu = cpuSince(cpu0)
  log.stop()
  check(got.length === want.length, `delivered ${got.length} events from ${from}, expected ${want.length}`)
  for (let k = 0; k < Math.min(got.length, want.length); k++) {
    const [sq, p, pp] = got[k]
    if (!check(p === want[k], `event #${k} has position ${p}, expected ${want[k]}`)) break
    if (
      !check(
        sq === manifest.seekFirst + k,
        `event #${k} is event ${sq} of the history, expected ${manifest.seekFirst + k}`,
      )
    )
      break
    const prevWant = k === 0 ? manifest.seekPrev : want[k - 1]
    if (!check(pp === prevWant, `event #${k} has prevPos ${pp}, expected ${prevWant}`)) break
  }
  return {
    openToFirstMs: tFirst - t0,
    totalMs,
    events: got.length,
    cpuMs: cpu / 1000,
    readOnly,
    maxRssMB: measuredRssMB(),
  }
}

/**
 * One of several processes adding durably to one log, one event at a time, each awaited
 * (bench/durable-procs.js). n: this process's number. After a few warm-up adds it says
 * "ready", and on "go" adds for `durationMs`; it reports every position it got, which the
 * parent checks against the file.
 */
async function durableProcess() {
  const proc = n
  const log = eventlog({ filename, durable: true })
  const positions = []
  for (let i = 0; i < 5; i++) {
    const r = await log.add({ proc, seq: i, warm: true }).promise
    positions.push(r.pos)
  }
  process.send({ type: 'ready' })
  const { durationMs } = await nextMessage('go')
  const lat = []
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  markStart()
  let seq = 5
  let t = t0
  while (t - t0 < durationMs) {
    const r = await log.add({ proc, seq: seq++ }).promise
    const t1 = performance.now()
    lat.push((t1 - t) * 1000)
    t = t1
    positions.push(r.pos)
  }
  const ms = t - t0
  markEnd()
  const cpu = cpuSince(cpu0)
  // Ours counts its fdatasync calls (and the flushes another process's covered).
  const stats = typeof log.stats === 'function' ? log.stats() : undefined
  log.stop()
  for (let i = 1; i < positions.length; i++) {
    if (
      !check(
        positions[i] > positions[i - 1],
        `proc ${proc}: add #${i} at ${positions[i]}, not after ${positions[i - 1]}`,
      )
    )
      break
  }
  return {
    proc,
    adds: lat.length,
    ms,
    eventsPerSec: (lat.length / ms) * 1000,
    cpuUs: cpu,
    medianUs: quantile(lat, 0.5),
    p99Us: quantile(lat, 0.99),
    positions,
    flushes: stats && stats.flushes,
  }
}

const workloads = {
  'add-burst': () => addBurst(),
  'add-burst-stream': () => addBurst({ streamKey: 'customer' }), // bench/streams.js
  'add-burst-one-stream': () => addBurst({ streamKey: 'currency' }), // bench/streams.js
  'add-seq': addSequential,
  replay: () => replay({ asyncCallback: false }),
  'replay-lag': () => replay({ asyncCallback: false, lagTimer: true }),
  'replay-async': () => replay({ asyncCallback: true }),
  'long-history': () => replay({ asyncCallback: false }),
  live: liveInProcess,
  'live-xproc-consumer': liveConsumer,
  'live-xproc-writer': liveWriter,
  durable: durableBurst,
  'add-unread': () => addUnread('unread'),
  'add-id-only': () => addUnread('id'),
  'add-unread-seq': () => addUnread('unread-seq'),
  seek,
  'durable-proc': durableProcess,
}

async function main() {
  const run = workloads[workload]
  if (!run) throw new Error(`unknown workload ${workload}`)
  const startDay = todayNumber()
  const metrics = await run()
  if (todayNumber() !== startDay) failures.push('the UTC day changed during the run; position checks may be off')
  emitAndExit(
    { result: { impl, workload, ok: failures.length === 0, failures, ...metrics, window, pid: process.pid } },
    0,
  )
}

// process.exit() right after a write to a pipe can cut the write short (stdout to a pipe is not
// always synchronous: a 220 kB result of durable-proc, 13,000 positions, lost its end), so the
// exit waits for the write.
function emitAndExit(obj, code) {
  process.stdout.write(JSON.stringify(obj) + '\n', () => process.exit(code))
}

main().catch((err) => {
  emitAndExit({ result: { impl, workload, ok: false, failures: [`crashed: ${(err && err.stack) || err}`] } }, 1)
})
