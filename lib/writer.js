'use strict'
// The writing side of one eventlog() instance: add() builds an event's line on the JavaScript
// thread and queues it; all lines added in one tick cross to the core as one string. The core
// writes it at once when that cannot block (the result comes back from the call), or queues it
// for the log's writer thread, which answers with one call per round; either way the adds
// settle in order.
//
// An add's promise is made only when someone reads `promise` (most callers never do): until
// then settling an add is two field writes. A failed add whose promise nobody read gets its
// rejected promise at once, so Node reports it as an unhandled rejection exactly as before.

const { performance } = require('node:perf_hooks')

const { fromNative, ConflictError, InvalidEventError, StoppedError } = require('./errors')
const { nowMs, dayOf } = require('./clock')
const { PER_DAY, checkPosition } = require('./position')
const { newId } = require('./ids')
const { unknownOption } = require('./suggest')
const { hold, release } = require('./keepalive')

const PENDING = 0
const WRITTEN = 1
const FAILED = 2

// One executor for every add() promise: no closure per promise.
let capturedResolve
let capturedReject
function captureResolvers(resolve, reject) {
  capturedResolve = resolve
  capturedReject = reject
}

/** What add() returns: `{ id, logfile, promise }`, with `promise` made on first read. */
class Added {
  constructor(id, logfile) {
    this.id = id
    this.logfile = logfile
    this._state = PENDING
    // A double from the start (a position does not fit a small integer): writing one later
    // would change the layout of every such object.
    this._pos = NaN
    this._prevPos = undefined
    /** The promise, once made; for a failure, the error until then. */
    this._promise = undefined
    this._resolve = undefined
    this._reject = undefined
    /** The position this event must directly follow (`null`: an empty log), if any. */
    this._expected = undefined
    /** The version its stream must be at, if any. */
    this._expectedVersion = undefined
    /** Its version in its stream (0: in none, or the log has no streamKey). */
    this._version = 0
  }

  /** Resolves `{ id, pos, prevPos }` once the event is written; rejects if it could not be. */
  get promise() {
    if (this._promise === undefined) {
      if (this._state === WRITTEN) {
        this._promise = Promise.resolve(this._result(this._pos, this._prevPos))
      } else {
        this._promise = new Promise(captureResolvers)
        this._resolve = capturedResolve
        this._reject = capturedReject
      }
    }
    return this._promise
  }

  /** `{ id, pos, prevPos }`, and `version` for an event in a stream. */
  _result(pos, prevPos) {
    if (this._version === 0) return { id: this.id, pos, prevPos }
    return { id: this.id, pos, prevPos, version: this._version }
  }

  _written(pos, prevPos) {
    this._state = WRITTEN
    if (this._resolve !== undefined) {
      this._resolve(this._result(pos, prevPos))
      this._resolve = this._reject = undefined
    } else {
      this._pos = pos
      this._prevPos = prevPos
    }
  }

  _failed(error) {
    this._state = FAILED
    if (this._reject !== undefined) {
      this._reject(error)
      this._resolve = this._reject = undefined
    } else {
      // Nobody has read `promise` yet: make it now, rejected, so the failure is as loud as
      // an unhandled rejection always was.
      this._promise = Promise.reject(error)
    }
  }
}

/**
 * The logfile line of an event: exactly `JSON.stringify({ event, meta: { id } })`, built
 * without the wrapper objects (twice as fast) unless `toJSON` could see the difference (it is
 * called with the key, "event" in the wrapper). Returns undefined for what JSON cannot encode.
 */
function encodeLine(event, id) {
  if (event !== null && event !== undefined && typeof event.toJSON === 'function') {
    const line = JSON.stringify({ event, meta: { id } })
    return line.startsWith('{"event":') ? line : undefined
  }
  const body = JSON.stringify(event)
  return body === undefined ? undefined : '{"event":' + body + ',"meta":{"id":"' + id + '"}}'
}

const ADD_OPTIONS = ['expectedPrevPos', 'expectedVersion']

/**
 * The expectations of `add(event, options)`: `{ prev, version }`, each undefined for none;
 * `prev` is `-1` for "only into an empty log", else the position the event must directly
 * follow; `version` the number of events its stream must hold. Throws a TypeError naming the
 * option for anything else, before anything is written. `streamKey`: the log's, if any.
 */
function expectationsOf(event, options, streamKey) {
  if (options === undefined || options === null) return NONE
  if (typeof options !== 'object') {
    throw new TypeError('add(event, options): options must be an object such as { expectedPrevPos: 2026112600000041 }')
  }
  for (const key of Object.keys(options)) {
    if (!ADD_OPTIONS.includes(key)) throw new TypeError(unknownOption('add(event, options)', key, ADD_OPTIONS))
  }
  const prev = 'expectedPrevPos' in options ? expectedPrevPos(options.expectedPrevPos) : undefined
  const version = 'expectedVersion' in options ? expectedVersion(event, options.expectedVersion, streamKey) : undefined
  return prev === undefined && version === undefined ? NONE : { prev, version }
}

const NONE = { prev: undefined, version: undefined }

function expectedPrevPos(expected) {
  // Present but undefined is a mistake (a variable not yet set), not "no check": writing
  // without the check the caller asked for would be the worst reading of it.
  if (expected === undefined) {
    throw new TypeError(
      'add(event, options): expectedPrevPos is undefined; give a position, null for "only into an empty log", or leave the option out for no check',
    )
  }
  if (expected === null) return -1
  checkPosition(expected, 'expectedPrevPos', 'add(event, options)', { dates: true })
  return expected
}

function expectedVersion(event, expected, streamKey) {
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new TypeError(
      `add(event, options): expectedVersion must be the number of events the stream holds (0 for a new stream), got ${expected === undefined ? 'undefined' : (JSON.stringify(expected) ?? typeof expected)}`,
    )
  }
  if (streamKey === undefined) {
    throw new TypeError(
      "add(event, { expectedVersion }): this log has no streamKey; open it with eventlog({ filename, streamKey: 'accountId' }) so that events have streams",
    )
  }
  if (streamOf(event, streamKey) === undefined) {
    throw new TypeError(
      `add(event, { expectedVersion }): the event names no stream: its ${streamKey} is not a string or an integer`,
    )
  }
  return expected
}

/** The stream id of an event (a string, or an integer's decimal text), or undefined. */
function streamOf(event, streamKey) {
  let value = event
  for (const step of streamKey.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
    value = value[step]
  }
  if (typeof value === 'string') return value
  if (Number.isSafeInteger(value)) return String(value)
  return undefined
}

function conflict(added, actual, result) {
  if (actual === -2) return versionConflict(added, result)
  const expected = added._expected === -1 ? null : added._expected
  const err = new ConflictError(
    `the event was not added: it was to follow ${expected === null ? 'nothing (an empty log)' : `position ${expected}`}, but the log ends at ${actual === -1 ? 'nothing (it is empty)' : `position ${actual}`}; read the events since and decide again`,
  )
  err.expectedPrevPos = expected
  err.actualPrevPos = actual === -1 ? undefined : actual
  return err
}

function versionConflict(added, result) {
  const index = added._batchIndex
  const found = (result.conflicts || []).find((c) => c.index === index) || { stream: undefined, version: NaN }
  const stream = found.stream === null ? undefined : found.stream
  const err = new ConflictError(
    `the event was not added: it expected its stream ${JSON.stringify(stream)} to hold ${added._expectedVersion} event(s), but it holds ${found.version}; load the stream again (readStream) and decide again`,
  )
  err.stream = stream
  err.expectedVersion = added._expectedVersion
  err.actualVersion = found.version
  return err
}

function encodeOrThrow(event, id) {
  let line
  try {
    line = encodeLine(event, id)
  } catch (err) {
    throw new InvalidEventError(`add(event) takes a value JSON.stringify can encode; this one failed: ${err.message}`, {
      cause: err,
    })
  }
  if (line === undefined) {
    throw new InvalidEventError(
      `add(event) takes a value JSON.stringify can encode; got ${event === null ? 'null' : typeof event}, which encodes to nothing`,
    )
  }
  return line
}

class Writer {
  /** `shared`: what the instances of this log in the process share (see keepalive.js). */
  constructor(shared, streamKey) {
    this.shared = shared
    this.streamKey = streamKey
    this.native = null
    this.stopped = false
    /** Adds in queue order, from `head` on not yet settled. */
    this.waiting = []
    this.head = 0
    this.pending = 0
    /** While `drained()` is awaited: what resolves its promise. */
    this.onDrained = null
    this.batchLines = []
    /** Expectations of the batched lines: `[index, position or -1, …]`. */
    this.batchExpect = []
    /** Expected versions of the batched lines: `[index, version, …]`. */
    this.batchVersions = []
    this.batchDay = 0
    /** When the first add of the batch was made (performance.now()), for its latency. */
    this.batchStart = 0
    /** The start of each batch queued for the writer thread and not yet settled, from `startsHead` on. */
    this.starts = []
    this.startsHead = 0
    this.latency = shared.counters.appendDuration
    this.flushScheduled = false
    /** The newest day this instance has written to: add() never names an older logfile. */
    this.newestDay = 0
    this.logfileDay = 0
    this.logfileName = ''
    this.flushNow = () => this.flush()
    this.onWritten = (results) => this.written(results)
  }

  /** The core log to write to (made with `onWritten` as its completion callback). */
  attach(nativeLog) {
    this.native = nativeLog
  }

  logfileFor(day) {
    if (day !== this.logfileDay) {
      this.logfileName = this.native.logfileFor(day)
      this.logfileDay = day
    }
    return this.logfileName
  }

  add(event, options) {
    const expected = expectationsOf(event, options, this.streamKey)
    const id = newId()
    const line = encodeOrThrow(event, id)
    let day = dayOf(nowMs())
    if (day < this.newestDay) day = this.newestDay
    const logfile = this.logfileFor(day)
    if (this.stopped) {
      const promise = Promise.reject(
        new StoppedError('add() was called after stop(); open the log again with eventlog(...)'),
      )
      return { id, logfile, promise }
    }
    const added = new Added(id, logfile)
    if (this.batchLines.length > 0 && day !== this.batchDay) this.flush()
    this.batchDay = day
    if (expected.prev !== undefined) {
      added._expected = expected.prev
      this.batchExpect.push(this.batchLines.length, expected.prev)
    }
    if (expected.version !== undefined) {
      added._expectedVersion = expected.version
      added._batchIndex = this.batchLines.length
      this.batchVersions.push(this.batchLines.length, expected.version)
    }
    this.batchLines.push(line)
    this.waiting.push(added)
    if (this.pending++ === 0) hold()
    if (this.shared.pending++ === 0) this.shared.refreshHolds()
    if (!this.flushScheduled) {
      this.flushScheduled = true
      this.batchStart = performance.now()
      process.nextTick(this.flushNow)
    }
    return added
  }

  /** Hands this tick's lines to the core. */
  flush() {
    this.flushScheduled = false
    const count = this.batchLines.length
    if (count === 0) return
    // One flat string: `join() + '\n'` would make a rope that crossing to the core flattens
    // again, a second copy of the whole batch.
    this.batchLines.push('')
    const text = this.batchLines.join('\n')
    const expect = this.batchExpect.length > 0 ? this.batchExpect : undefined
    const versions = this.batchVersions.length > 0 ? this.batchVersions : undefined
    this.batchLines = []
    if (expect !== undefined) this.batchExpect = []
    if (versions !== undefined) this.batchVersions = []
    try {
      // Directly (on this thread, when that cannot block) only if nothing of ours is in
      // flight, so results still arrive in order.
      const direct = this.pending === count
      const result = this.native.append(this.batchDay, text, count, direct, expect, versions)
      // Written at once (the core has let this process's consumers pick the lines up), or
      // queued (null: the result comes through onWritten).
      if (result === null) {
        this.starts.push(this.batchStart)
        return
      }
      this.latency.observe((performance.now() - this.batchStart) / 1000, count)
      if (typeof result === 'number') {
        // Written whole, following the line before: `result` is the first position.
        this.settle(count, count, result, result - 1, null)
      } else {
        this.settle(result.count, result.written, result.firstPos, result.prevPos, result)
      }
      this.settled()
    } catch (err) {
      // These are the last `count` queued; nothing of them was written.
      const failed = this.waiting.splice(this.waiting.length - count, count)
      this.pending -= count
      this.shared.pending -= count
      this.settled()
      const error = fromNative(err)
      for (const added of failed) added._failed(error)
    }
  }

  /** Results from the core, in queue order: one per batch queued. */
  written(results) {
    const now = performance.now()
    for (const r of results) {
      this.latency.observe((now - this.starts[this.startsHead++]) / 1000, r.count)
      this.settle(r.count, r.written, r.firstPos, r.prevPos, r)
    }
    if (this.startsHead === this.starts.length) {
      this.starts.length = 0
      this.startsHead = 0
    } else if (this.startsHead > 4096 && this.startsHead * 2 > this.starts.length) {
      this.starts.splice(0, this.startsHead)
      this.startsHead = 0
    }
    this.settled()
  }

  /**
   * Settles the next `count` waiting adds: those the core rejected (their expectation did not
   * hold) with a ConflictError; of the others, the first `written` at `firstPos` on, one
   * after another, and the rest with the error.
   */
  settle(count, written, firstPos, prevPos, result) {
    const waiting = this.waiting
    let at = this.head
    const rejected = result === null ? undefined : result.rejected
    const versions = result === null ? undefined : result.versions
    if (rejected === undefined || rejected === null) {
      for (let i = 0; i < written; i++) {
        const pos = firstPos + i
        const added = waiting[at++]
        if (versions != null) added._version = versions[i]
        added._written(pos, i === 0 ? prevPos : pos - 1)
      }
      if (written < count) {
        const error = fromNative(result.error)
        for (let i = written; i < count; i++) waiting[at++]._failed(error)
      }
    } else {
      let ok = 0
      let r = 0
      let error = null
      for (let i = 0; i < count; i++) {
        const added = waiting[at++]
        if (r < rejected.length && rejected[r] === i) {
          added._failed(conflict(added, rejected[r + 1], result))
          r += 2
        } else if (ok < written) {
          const pos = firstPos + ok
          if (versions != null) added._version = versions[ok]
          added._written(pos, ok === 0 ? prevPos : pos - 1)
          ok++
        } else {
          if (error === null) error = fromNative(result.error)
          added._failed(error)
        }
      }
    }
    this.head = at
    if (written > 0) {
      const day = Math.floor(firstPos / PER_DAY)
      if (day > this.newestDay) this.newestDay = day
      const last = firstPos + written - 1
      if (last > this.shared.lastWritten) this.shared.lastWritten = last
    }
    this.pending -= count
    this.shared.pending -= count
  }

  /** After a round of `settle`s: trims the queue, lets go of the event loop if idle. */
  settled() {
    const waiting = this.waiting
    if (this.head === waiting.length) {
      waiting.length = 0
      this.head = 0
    } else if (this.head > 4096 && this.head * 2 > waiting.length) {
      waiting.splice(0, this.head)
      this.head = 0
    }
    if (this.pending === 0) {
      release()
      if (this.onDrained !== null) {
        this.onDrained()
        this.onDrained = null
      }
    }
    this.shared.refreshHolds()
  }

  /** Resolves once every add made so far has settled (asked once, by `stop()`). */
  drained() {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => (this.onDrained = resolve))
  }

  /** Writes what is batched; later adds fail. Queued adds still settle. */
  stop() {
    if (this.stopped) return
    this.flush()
    this.stopped = true
  }
}

module.exports = { Writer, streamOf }
