'use strict'
// Streams (README: Streams): readStream, streamVersion, indexStreams and events({ stream }) of
// a log opened with `streamKey`. The core finds a stream's events through its stream index
// (src/core/stream/) and hands them over as one JSON array of their lines, parsed here once.

const { fromNative, InvalidStreamKeyError, StoppedError } = require('./errors')
const { EventIterator } = require('./events')
const { shown } = require('./checkpoint')
const { unknownOption } = require('./suggest')

const READ_OPTIONS = ['from', 'to', 'limit', 'backwards']
const EVENTS_OPTIONS = ['stream', 'from', 'live', 'onError']
/** Events per read while `events({ stream })` replays a stream's history. */
const PAGE = 1000

/** A stream id as the core takes it: a non-empty string, or an integer's decimal text. */
function streamId(id, where) {
  if (typeof id === 'string' && id !== '') return id
  if (Number.isSafeInteger(id)) return String(id)
  throw new TypeError(`${where}: the stream id must be a non-empty string or an integer, got ${shown(id)}`)
}

/** A version option: a whole number ≥ `min`, or undefined. */
function version(value, name, where, min) {
  if (value === undefined || value === null) return undefined
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(
      `${where}: ${name} must be a whole number ≥ ${min} (versions count from 1), got ${shown(value)}`,
    )
  }
  return value
}

function checkOptions(options, known, where) {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object such as { ${known.join(', ')} }`)
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(unknownOption(where, key, known))
  }
  return options
}

/** The events of a core read: `[{ event, meta: { id, pos, prevPos, version } }]`. */
function eventsOf(read) {
  const lines = JSON.parse(read.lines)
  const events = new Array(lines.length)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const id = line.meta !== null && typeof line.meta === 'object' ? line.meta.id : undefined
    const prevPos = read.prevPos[i] < 0 ? undefined : read.prevPos[i]
    events[i] = {
      event: line.event,
      meta: { id: typeof id === 'string' ? id : undefined, pos: read.pos[i], prevPos, version: read.versions[i] },
    }
  }
  return events
}

/**
 * The stream methods of one instance: `nativeLog` its core log, `streamKey` its option,
 * `isStopped()` whether it was stopped, `consume` its consume() and `iterators` its set of
 * running iterators (its stop() ends them).
 */
function streamMethods(nativeLog, streamKey, isStopped, consume, iterators) {
  function ready(where) {
    if (isStopped()) throw new StoppedError(`${where} was called after stop(); open the log again with eventlog(...)`)
    if (streamKey === undefined) {
      throw new InvalidStreamKeyError(
        `${where}: this log has no streamKey; open it with eventlog({ filename, streamKey: 'accountId' }) to read streams`,
      )
    }
  }

  /** Resolves `{ version, events, through }` (through: the last position looked at). */
  function read(id, options, where) {
    ready(where)
    const stream = streamId(id, where)
    const o = checkOptions(options, READ_OPTIONS, where)
    const from = version(o.from, 'from', where, 1) ?? 1
    const to = version(o.to, 'to', where, 0)
    const limit = version(o.limit, 'limit', where, 0)
    if (o.backwards !== undefined && typeof o.backwards !== 'boolean') {
      throw new TypeError(`${where}: backwards must be true or false, got ${shown(o.backwards)}`)
    }
    if (limit === 0 || (to !== undefined && to < from)) {
      return nativeLog.streamVersion(stream).then(
        (v) => ({ version: v, events: [], through: undefined }),
        (err) => Promise.reject(fromNative(err)),
      )
    }
    return nativeLog.readStream(stream, from, to, limit, o.backwards === true).then(
      (r) => ({ version: r.version, events: eventsOf(r), through: r.through < 0 ? undefined : r.through }),
      (err) => Promise.reject(fromNative(err)),
    )
  }

  /**
   * `readStream(id, { from = 1, to, limit, backwards = false })` resolves
   * `{ version, events: [{ event, meta: { id, pos, prevPos, version } }] }`.
   */
  function readStream(id, options) {
    try {
      return read(id, options, 'readStream(id, options)').then(({ version, events }) => ({ version, events }))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Resolves how many events the stream holds (0 for none). */
  function streamVersion(id) {
    try {
      ready('streamVersion(id)')
      return nativeLog.streamVersion(streamId(id, 'streamVersion(id)')).catch((err) => Promise.reject(fromNative(err)))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Indexes every past day's streams now; resolves `{ days, events, built, ms }`. */
  function indexStreams() {
    try {
      ready('indexStreams()')
      return nativeLog.indexStreams().catch((err) => Promise.reject(fromNative(err)))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * `events({ stream, from = 1, live = true, onError })`: the stream's events from version
   * `from`, read through the index, then (live) its new events as they are written, found by
   * a consumer that passes over the other streams' lines in the core.
   */
  function streamEvents(options) {
    const where = 'events({ stream })'
    const o = checkOptions(options, EVENTS_OPTIONS, where)
    const stream = streamId(o.stream, where)
    const from = version(o.from, 'from', where, 1) ?? 1
    if (o.onError !== undefined && typeof o.onError !== 'function') {
      throw new TypeError(`${where}: onError must be a function`)
    }
    const live = o.live === undefined ? true : Boolean(o.live)
    ready(where)
    async function* generate() {
      let at = from
      let last
      for (;;) {
        last = await read(stream, { from: at, limit: PAGE }, where)
        for (const e of last.events) yield e
        if (last.events.length < PAGE) break
        at = last.events[last.events.length - 1].meta.version + 1
      }
      if (!live || isStopped()) return
      // Every event of the stream up to `through` is counted in `version`; the consumer
      // starts right after it, so none is missed or given twice.
      let v = last.version
      const start = last.through === undefined ? 0 : last.through + 1
      const follow = { from: start, stream, ...(o.onError === undefined ? {} : { onError: o.onError }) }
      const iterator = new EventIterator(consume, follow, iterators)
      try {
        for await (const { event, meta } of iterator) {
          v += 1
          if (v >= from) yield { event, meta: { ...meta, version: v } }
        }
      } finally {
        iterator.end()
      }
    }
    return generate()
  }

  return { readStream, streamVersion, indexStreams, streamEvents }
}

module.exports = { streamMethods, streamId }
