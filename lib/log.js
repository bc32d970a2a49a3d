'use strict'
// eventlog(): one instance of a log. It joins a writer (lib/writer.js) and its consumers
// (lib/consumer.js) over one core log, and stops them together.

const native = require('./native')
const { fromNative, ArchiveError, ReadOnlyError, StoppedError } = require('./errors')
const { newId } = require('./ids')
const { hold, release, shared } = require('./keepalive')
const { parseOptions } = require('./options')
const { Writer } = require('./writer')
const { Consumer } = require('./consumer')
const { EventIterator } = require('./events')
const { streamMethods } = require('./streams')
const { parseConsumeArgs } = require('./consume-options')
const { openCheckpoint, startAfter, checkpointMethods } = require('./checkpoint')
const { dayString } = require('./position')
const metricsSnapshot = require('./metrics').snapshot

// Background archive failures told as warnings (no onArchiveError), by pattern and code, so
// that several instances of a log warn once between them.
const warnedArchive = new Set()

/**
 * Where a background archive failure goes: `onArchiveError(err)`, or else a process warning
 * (once per log and failure). A callback that throws does not stop the archiver; its error is
 * a warning too.
 */
function archiveErrorHandler(filename, onArchiveError) {
  return (native) => {
    const err = fromNative(native)
    if (onArchiveError !== undefined) {
      try {
        onArchiveError(err)
        return
      } catch (thrown) {
        process.emitWarning(`eventlog(): onArchiveError threw: ${thrown && thrown.message}`, {
          type: 'EventlogWarning',
          code: 'EVENTLOG_CALLBACK_THREW',
        })
        return
      }
    }
    const key = `${filename}\0${err.code}`
    if (warnedArchive.has(key)) return
    warnedArchive.add(key)
    process.emitWarning(
      `${err.message} (background archive pass of ${filename}; pass onArchiveError to handle these)`,
      {
        type: 'EventlogWarning',
        code: err.code,
      },
    )
  }
}

// Patterns whose days only in an archive were warned about in this process.
const warnedUnreadable = new Set()

/**
 * Warns (once per pattern in a process) when days of the log were deleted here after their
 * upload to an archive this log was not opened with: consumers will not deliver them, though
 * positions and prevPos still count them.
 */
function warnUnreadableArchive(nativeLog, filename) {
  if (warnedUnreadable.has(nativeLog.key)) return
  const unreadable = nativeLog.unreadableArchivedDays()
  if (unreadable.length === 0) return
  warnedUnreadable.add(nativeLog.key)
  const parts = unreadable.map(({ url, days }) => {
    const range =
      days.length === 1 ? dayString(days[0]) : `${dayString(days[0])} to ${dayString(days[days.length - 1])}`
    return `${days.length} day(s) (${range}) are only in the archive ${url}`
  })
  const example = unreadable[unreadable.length - 1].url
  process.emitWarning(
    `${filename}: ${parts.join('; ')}, deleted here after their upload was verified; this log was opened without that archive, so they are not replayed (positions and prevPos still count them). Open it with { archive: { url: '${example}' } } to read them (the CLI: --url ${example}).`,
    { type: 'EventlogWarning', code: 'EVENTLOG_DAYS_IN_ARCHIVE' },
  )
}

/**
 * Opens an event log. `arg` is a filename pattern such as "data/events-%y-%m-%d.log", an
 * options object `{ filename, readOnly, durable, archive, onArchiveError }`, or nothing (a
 * new temporary directory).
 */
function eventlog(arg) {
  const { filename, readOnly, durable, archive, onArchiveError, streamKey } = parseOptions(arg)
  const onBackgroundError = archive === undefined ? undefined : archiveErrorHandler(filename, onArchiveError)
  let writer = null
  let nativeLog
  try {
    if (readOnly) {
      nativeLog = new native.NativeLog(filename, undefined, durable, archive, onBackgroundError, streamKey)
    } else {
      // The writer's completion callback must exist before the core log it belongs to.
      let w = null
      const onWritten = (results) => w.onWritten(results)
      nativeLog = new native.NativeLog(filename, onWritten, durable, archive, onBackgroundError, streamKey)
      w = new Writer(shared(nativeLog.key), streamKey)
      w.attach(nativeLog)
      writer = w
    }
  } catch (err) {
    throw fromNative(err)
  }
  warnUnreadableArchive(nativeLog, filename)
  const group = shared(nativeLog.key)
  const consumers = new Set()
  const iterators = new Set()
  let stopped = false
  let closed = null

  function add(event, options) {
    if (writer === null) {
      // As the original: a rejected promise (which also answers `.promise`, `.id`, `.logfile`).
      const p = Promise.reject(new ReadOnlyError())
      return Object.assign(p, { id: newId(), logfile: undefined, promise: p })
    }
    return writer.add(event, options)
  }

  /** consume(callback, fromPosition, onSync), or consume(callback, { from, name, onSync }). */
  function consume(callback, second, third) {
    const { from, name, onSync, types, typeKey, stream } = parseConsumeArgs(callback, second, third)
    if (stopped) throw new StoppedError('consume() was called after stop(); open the log again with eventlog(...)')
    let checkpoint = null
    if (name !== undefined) {
      // A named consumer saves its checkpoint, and a read-only log writes nothing at all.
      if (readOnly) {
        throw new ReadOnlyError(
          `this event log is read only, and the consumer ${JSON.stringify(name)} would save its checkpoint; open the log without readOnly (or read the checkpoint with log.checkpoint(name) and start an unnamed consumer after it)`,
        )
      }
      checkpoint = openCheckpoint(nativeLog.key, name)
    }
    const consumer = new Consumer(group, callback, onSync, () => consumers.delete(consumer), checkpoint)
    try {
      const start = checkpoint !== null && checkpoint.pos !== undefined ? startAfter(checkpoint.pos) : from
      consumer.start(nativeLog, start, types, typeKey, stream)
    } catch (err) {
      consumer.stop()
      throw fromNative(err)
    }
    consumers.add(consumer)
    return { stop: () => consumer.stop(), liveMeta: consumer.liveMeta }
  }

  /**
   * Stops the log; returns a promise (the original returned nothing; ignoring it is fine)
   * that resolves once every add has settled and, if this was the process's last instance of
   * the log, the log is closed: its files quiet, its threads done. It never rejects.
   */
  function stop() {
    if (stopped) return closed
    stopped = true
    if (writer !== null) writer.stop()
    for (const c of consumers) c.stop()
    // Their loops finish (a stopped consumer alone would leave them waiting forever).
    for (const it of iterators) it.end()
    // The core finishes what is queued; pending adds still settle.
    const drained = writer === null ? undefined : writer.drained()
    closed = Promise.all([drained, nativeLog.stop()]).then(() => undefined)
    return closed
  }

  /** One archive pass now; resolves `{ uploaded, pruned, failed }` (days as YYYYMMDD). */
  function archivePass() {
    if (stopped) {
      return Promise.reject(
        new StoppedError('archive() was called after stop(); open the log again with eventlog(...)'),
      )
    }
    if (archive === undefined) {
      return Promise.reject(
        new ArchiveError(
          'this log has no archive; open it with the archive option, e.g. { archive: { url: "s3://bucket/prefix" } }',
        ),
      )
    }
    if (readOnly)
      return Promise.reject(new ReadOnlyError('this log is read only; only a writable log uploads to its archive'))
    hold()
    return nativeLog.archive().then(
      (report) => {
        release()
        return report
      },
      (err) => {
        release()
        throw fromNative(err)
      },
    )
  }

  const streams = streamMethods(nativeLog, streamKey, () => stopped, consume, iterators)

  /**
   * `for await (const { event, meta } of log.events({ from, live, onError }))`: see
   * lib/events.js; with `stream`, one stream's events by version (lib/streams.js).
   */
  function events(options) {
    if (options !== undefined && options !== null && typeof options === 'object' && options.stream !== undefined) {
      return streams.streamEvents(options)
    }
    return new EventIterator(consume, options, iterators)
  }

  const log = { add, consume, filename, stop }
  // Ours, beside the original's four: not enumerable, so Object.keys(log) stays the
  // original's { add, consume, filename, stop }.
  /** What the writing of this log has done in this process: `{ flushes, flushesByOthers }`. */
  function stats() {
    if (stopped) throw new StoppedError('stats() was called after stop()')
    return nativeLog.stats()
  }

  /**
   * What the log says about itself, for monitoring: resolves a plain snapshot of this
   * process's writes, deliveries, fsyncs, named consumers and archive (README: Metrics).
   */
  function metrics() {
    if (stopped) return Promise.reject(new StoppedError('metrics() was called after stop()'))
    return metricsSnapshot(nativeLog, group)
  }

  const { readStream, streamVersion, indexStreams } = streams
  const ours = {
    events,
    archive: archivePass,
    stats,
    metrics,
    readStream,
    streamVersion,
    indexStreams,
    ...checkpointMethods(nativeLog.key, readOnly),
  }
  for (const [name, value] of Object.entries(ours)) {
    Object.defineProperty(log, name, { value, writable: true, configurable: true, enumerable: false })
  }
  return log
}

module.exports = { eventlog }
