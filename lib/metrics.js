'use strict'
// log.metrics(): what a log says about itself. The core counts writes, bytes and fsyncs (with
// their durations) and the archive's passes, and counts how far behind the end of the log a
// position is (src/core/metrics.rs, src/core/archive/health.rs); this side adds what only it
// knows: how long adds take to settle, events delivered to consumers, and where this process's
// named consumers are. Counting happens per batch (a tick's adds, a delivery of many events),
// never per event. lib/prometheus.js turns a snapshot into Prometheus metrics.

const native = require('./native')
const { fromNative } = require('./errors')
const { nowMs } = require('./clock')

/** The histograms' bucket bounds, in seconds (the core's; `+Inf` follows). */
const BUCKETS = native.metricBuckets()

/** A histogram of durations over BUCKETS that takes a weight: a batch is one observation of `count`. */
class Histogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS.length + 1)
    this.sum = 0
    this.count = 0
  }

  /** `count` observations of `seconds` each. */
  observe(seconds, count) {
    let i = 0
    while (i < BUCKETS.length && seconds > BUCKETS[i]) i++
    this.counts[i] += count
    this.sum += seconds * count
    this.count += count
  }
}

/** What the instances of a log in this process count together (kept in keepalive's Shared). */
class LogCounters {
  constructor() {
    /** From add() to its settling, per event. */
    this.appendDuration = new Histogram()
    /** Events handed to consumers' callbacks (skipped corrupt lines included). */
    this.delivered = 0
  }
}

/** A histogram as a snapshot shows it: cumulative buckets `{ le, count }`, the last `le: Infinity`. */
function histogramView(counts, sum, count) {
  let total = 0
  const buckets = []
  for (let i = 0; i < counts.length; i++) {
    total += counts[i]
    buckets.push({ le: i < BUCKETS.length ? BUCKETS[i] : Infinity, count: total })
  }
  return { buckets, sum, count }
}

/**
 * Named consumers: every checkpoint saved for the log, with the consumers of this process that
 * are running (their last handled position is newer than the saved one). `{ name, pos,
 * running }` by name; `pos` undefined until the name has handled an event.
 */
function namedConsumers(key, shared) {
  let saved
  try {
    saved = native.listCheckpoints(key)
  } catch (err) {
    throw fromNative(err)
  }
  const byName = new Map()
  for (const c of saved) byName.set(c.name, { name: c.name, pos: c.pos ?? undefined, running: [] })
  for (const c of shared.consumers) {
    if (c.checkpoint === null) continue
    const name = c.checkpoint.name
    let entry = byName.get(name)
    if (entry === undefined) byName.set(name, (entry = { name, pos: undefined, running: [] }))
    const pos = Math.max(c.handledPos, c.savedPos)
    if (pos > 0 && (entry.pos === undefined || pos > entry.pos)) entry.pos = pos
    entry.running.push(c)
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/**
 * How long a named consumer has been behind: 0 while it is caught up, else the seconds since it
 * last was (since the first event it had not yet handled reached it); undefined when no
 * consumer of that name runs here, or none has caught up yet (replaying since it started).
 */
function lagSeconds(entry, lagEvents, now) {
  let lag
  for (const c of entry.running) {
    const behind =
      c.synced || lagEvents === 0 ? 0 : c.behindSince === undefined ? undefined : (now - c.behindSince) / 1000
    if (behind !== undefined && (lag === undefined || behind > lag)) lag = behind
  }
  return lag
}

/** The archive's part of a snapshot (`null` for a log without an archive). */
function archiveView(a) {
  if (a === null || a === undefined) return null
  const s = a.status
  return {
    url: s.url,
    passes: a.passes,
    failedPasses: a.failedPasses,
    daysUploaded: a.daysUploaded,
    daysPruned: a.daysPruned,
    daysFailed: a.daysFailed,
    daysWaiting: a.daysWaiting,
    lastPassAt: s.lastPassAt ?? null,
    lastSuccessAt: s.lastSuccessAt ?? null,
    lastError: s.lastError === null || s.lastError === undefined ? null : { ...s.lastError },
  }
}

/** log.metrics(): resolves the snapshot (see README, Metrics). */
async function snapshot(nativeLog, shared) {
  const named = namedConsumers(nativeLog.key, shared)
  const known = named.filter((e) => e.pos !== undefined)
  let m
  try {
    m = await nativeLog.metrics(known.map((e) => e.pos))
  } catch (err) {
    throw fromNative(err)
  }
  const now = nowMs()
  const lags = new Map(known.map((e, i) => [e, m.eventsAfter[i]]))
  const counters = shared.counters
  const latency = counters.appendDuration
  const fsync = m.fsyncDuration
  return {
    eventsAppended: m.eventsAppended,
    bytesWritten: m.bytesWritten,
    eventsDelivered: counters.delivered,
    appendDuration: histogramView(latency.counts, latency.sum, latency.count),
    fsyncs: m.fsyncs,
    fsyncsShared: m.fsyncsShared,
    fsyncDuration: histogramView(fsync.counts, fsync.sum, fsync.count),
    consumers: named.map((e) => {
      const lagEvents = lags.get(e)
      return { name: e.name, pos: e.pos, lagEvents, lagSeconds: lagSeconds(e, lagEvents, now) }
    }),
    archive: archiveView(m.archive),
  }
}

module.exports = { BUCKETS, Histogram, LogCounters, snapshot }
