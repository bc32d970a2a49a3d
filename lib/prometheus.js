'use strict'
// require('eventlog/prometheus'): register(log, registry) adds a log's metrics to a prom-client
// registry. Each metric reads log.metrics() when the registry is scraped (one snapshot per log
// per scrape, shared by every metric), so nothing is counted twice and nothing runs between
// scrapes. prom-client is an optional peer dependency: the app brings its own, and this file is
// the only one that loads it.
//
// Names follow Prometheus's conventions (prefix eventlog_, counters ending in _total, durations
// in seconds). Labels: `log` (the pattern as given to eventlog()) on every series, `consumer`
// (a named consumer's name) on the consumers' ones; never event data or credentials.

function loadPromClient() {
  try {
    return require('prom-client')
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && /prom-client/.test(err.message)) {
      const missing = new Error(
        "eventlog/prometheus needs prom-client, which is not installed: add it to your app (npm install prom-client); it is an optional peer dependency of eventlog, which exports to your app's registry",
        { cause: err },
      )
      missing.code = 'ERR_PROM_CLIENT_MISSING'
      throw missing
    }
    throw err
  }
}

/** A histogram snapshot (`{ buckets: [{ le, count }], sum, count }`) as prom-client's values. */
function histogramValues(name, labels, h) {
  const values = h.buckets.map((b) => ({
    metricName: `${name}_bucket`,
    labels: { ...labels, le: b.le === Infinity ? '+Inf' : b.le },
    value: b.count,
  }))
  values.push({ metricName: `${name}_sum`, labels, value: h.sum })
  values.push({ metricName: `${name}_count`, labels, value: h.count })
  return values
}

const seconds = (ms) => (ms === null ? undefined : ms / 1000)

/**
 * The metrics: name, type, help, and the values of one log's snapshot (`s`) under `labels`
 * (`undefined` values are left out: "absent until known").
 */
const FAMILIES = [
  ['eventlog_events_appended_total', 'counter', 'Events appended by this process.', (s) => s.eventsAppended],
  ['eventlog_bytes_written_total', 'counter', 'Bytes of events appended by this process.', (s) => s.bytesWritten],
  [
    'eventlog_events_delivered_total',
    'counter',
    "Events delivered to this process's consumers (corrupt lines skipped included).",
    (s) => s.eventsDelivered,
  ],
  [
    'eventlog_append_duration_seconds',
    'histogram',
    'Time from add() to its promise settling (written, or flushed with durable), per event.',
    (s, labels, name) => histogramValues(name, labels, s.appendDuration),
  ],
  [
    'eventlog_fsync_duration_seconds',
    'histogram',
    'Duration of the fdatasync calls this process made for durable adds.',
    (s, labels, name) => histogramValues(name, labels, s.fsyncDuration),
  ],
  ['eventlog_fsyncs_total', 'counter', 'fdatasync calls this process made for durable adds.', (s) => s.fsyncs],
  [
    'eventlog_fsyncs_shared_total',
    'counter',
    "Durable batches of this process that another process's fdatasync had already covered.",
    (s) => s.fsyncsShared,
  ],
  [
    'eventlog_consumer_checkpoint_position',
    'gauge',
    'Position of the last event a named consumer handled (its saved checkpoint, or newer if it runs here).',
    (s) => s.consumers.map((c) => [{ consumer: c.name }, c.pos]),
  ],
  [
    'eventlog_consumer_lag_events',
    'gauge',
    "Events written after a named consumer's checkpoint position.",
    (s) => s.consumers.map((c) => [{ consumer: c.name }, c.lagEvents]),
  ],
  [
    'eventlog_consumer_lag_seconds',
    'gauge',
    'Seconds since a named consumer running in this process was last caught up (0 while it is).',
    (s) => s.consumers.map((c) => [{ consumer: c.name }, c.lagSeconds]),
  ],
  [
    'eventlog_archive_days_uploaded_total',
    'counter',
    "Days this process's archive passes uploaded (verified).",
    (s) => s.archive?.daysUploaded,
  ],
  [
    'eventlog_archive_days_pruned_total',
    'counter',
    "Local days this process's archive passes deleted after their verified upload.",
    (s) => s.archive?.daysPruned,
  ],
  [
    'eventlog_archive_days_failed_total',
    'counter',
    "Days this process's archive passes could not upload (or delete).",
    (s) => s.archive?.daysFailed,
  ],
  [
    'eventlog_archive_passes_total',
    'counter',
    'Archive passes this process made (failed ones included).',
    (s) => s.archive?.passes,
  ],
  [
    'eventlog_archive_passes_failed_total',
    'counter',
    'Archive passes this process made that failed, as a whole (the store down) or for some day.',
    (s) => s.archive?.failedPasses,
  ],
  [
    'eventlog_archive_days_waiting',
    'gauge',
    'Local days before today not yet uploaded to the archive.',
    (s) => s.archive?.daysWaiting,
  ],
  [
    'eventlog_archive_last_pass_timestamp_seconds',
    'gauge',
    'When the last archive pass ended (by any process of this machine), Unix time.',
    (s) => (s.archive ? seconds(s.archive.lastPassAt) : undefined),
  ],
  [
    'eventlog_archive_last_success_timestamp_seconds',
    'gauge',
    'When the last archive pass that failed no day ended (by any process of this machine), Unix time.',
    (s) => (s.archive ? seconds(s.archive.lastSuccessAt) : undefined),
  ],
]

/** What a registry holds of ours: its logs, and the scrape in progress. */
class Collector {
  constructor() {
    /** Registered logs: `{ log, labels }`. */
    this.logs = new Set()
    this.pending = null
  }

  /** The snapshots of every registered log for this scrape (one call of log.metrics() each). */
  snapshots() {
    if (this.pending === null) {
      const clear = () => setImmediate(() => (this.pending = null))
      this.pending = Promise.all([...this.logs].map((entry) => this.snapshotOf(entry)))
      this.pending.then(clear, clear)
    }
    return this.pending
  }

  async snapshotOf(entry) {
    try {
      return { labels: entry.labels, snapshot: await entry.log.metrics() }
    } catch (err) {
      // A stopped log says nothing more; it leaves the registry.
      if (err && err.code === 'ERR_STOPPED') {
        this.logs.delete(entry)
        return null
      }
      throw err
    }
  }
}

/** One metric family as prom-client's registry reads it (`get()` at each scrape). */
class Family {
  constructor(collector, [name, type, help, read]) {
    this.collector = collector
    this.name = name
    this.type = type
    this.help = help
    this.read = read
    this.aggregator = type === 'gauge' ? 'omit' : 'sum'
  }

  async get() {
    const values = []
    for (const got of await this.collector.snapshots()) {
      if (got === null) continue
      const read = this.read(got.snapshot, got.labels, this.name)
      if (Array.isArray(read)) {
        for (const v of read) {
          if (Array.isArray(v)) {
            if (v[1] !== undefined) values.push({ labels: { ...got.labels, ...v[0] }, value: v[1] })
          } else {
            values.push(v)
          }
        }
      } else if (read !== undefined) {
        values.push({ labels: got.labels, value: read })
      }
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  /** registry.resetMetrics(): the counts are the log's, not the registry's. */
  reset() {}
}

const collectors = new WeakMap()

/**
 * Adds `log`'s metrics to a prom-client `registry` (prom-client's default registry if none is
 * given); several logs may share one registry (their series differ by the `log` label).
 * Returns a function that removes the log again; a stopped log leaves by itself.
 */
function register(log, registry) {
  const prom = loadPromClient()
  if (log === null || typeof log !== 'object' || typeof log.metrics !== 'function') {
    throw new TypeError('register(log, registry): log must be what eventlog() returned')
  }
  const target = registry === undefined ? prom.register : registry
  if (target === null || typeof target !== 'object' || typeof target.registerMetric !== 'function') {
    throw new TypeError(
      "register(log, registry): registry must be a prom-client Registry (new Registry(), or prom-client's register)",
    )
  }
  let collector = collectors.get(target)
  if (collector === undefined) {
    collector = new Collector()
    // Every name first: a clash with a metric the app registered leaves nothing half-done.
    for (const [name] of FAMILIES) {
      if (target.getSingleMetric(name) !== undefined) {
        throw new Error(`register(log, registry): the registry already has a metric named ${name}`)
      }
    }
    for (const family of FAMILIES) target.registerMetric(new Family(collector, family))
    collectors.set(target, collector)
  }
  for (const entry of collector.logs) {
    if (entry.labels.log === log.filename) {
      throw new Error(`register(log, registry): a log of ${log.filename} is registered in this registry already`)
    }
  }
  const entry = { log, labels: { log: log.filename } }
  collector.logs.add(entry)
  return () => collector.logs.delete(entry)
}

module.exports = { register, FAMILIES }
