'use strict'
// eventlog: the public API, a drop-in for @rymdtiden/eventlog. The storage work happens in the
// Rust core (./native.js loads it); this file holds what must live on the JavaScript thread:
// argument handling, the error classes, the promises of add(), the consume loop that calls
// your callback event by event, and holding the event loop open exactly as long as needed.

const crypto = require('node:crypto')
const { EventEmitter } = require('node:events')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const native = require('./native.js')

// ---------------------------------------------------------------------------------------------
// Errors
// The error classes of the package, each with a stable `code`. The Rust core reports failures
// as `[CODE] message`; `fromNative` turns those into instances of these classes.

class EventlogError extends Error {
  constructor(message, options) {
    super(message || new.target.defaultMessage, options)
    this.name = new.target.name
  }
}

function define(name, code, defaultMessage, Base = EventlogError) {
  // A named class per error, so stack traces and `instanceof` read naturally.
  const cls = {
    [name]: class extends Base {},
  }[name]
  Object.defineProperty(cls.prototype, 'code', { value: code, enumerable: true })
  cls.code = code
  cls.defaultMessage = defaultMessage
  return cls
}

// The original package's classes (same names and default messages).
const InvalidYearError = define('InvalidYearError', 'ERR_INVALID_YEAR', 'Year is invalid.')
const InvalidMonthError = define('InvalidMonthError', 'ERR_INVALID_MONTH', 'Month is invalid.')
const InvalidDayError = define('InvalidDayError', 'ERR_INVALID_DAY', 'Day is invalid.')
const ReadOnlyError = define('ReadOnlyError', 'ERR_READ_ONLY', 'This event log is read only.')
const TimeIsInFutureError = define('TimeIsInFutureError', 'ERR_TIME_IS_IN_FUTURE', 'Time is in future.')
const WriteError = define(
  'WriteError',
  'ERR_WRITE',
  'An error occured while writing event to logfile.',
)

// Ours.
const InvalidPatternError = define(
  'InvalidPatternError',
  'ERR_INVALID_PATTERN',
  'The filename pattern must contain %y, %m and %d exactly once each.',
)
const InvalidEventError = define(
  'InvalidEventError',
  'ERR_INVALID_EVENT',
  'The event cannot be encoded by JSON.stringify.',
)
const DayFullError = define(
  'DayFullError',
  'ERR_DAY_FULL',
  'The day already holds 10^8 events.',
  WriteError,
)
const StoppedError = define('StoppedError', 'ERR_STOPPED', 'The event log is stopped.')
const ReadError = define('ReadError', 'ERR_READ', 'An error occurred while reading a logfile.')
const CorruptLineError = define(
  'CorruptLineError',
  'ERR_CORRUPT_LINE',
  'A logfile line is not a JSON event; it was skipped.',
)
const CallbackError = define(
  'CallbackError',
  'ERR_CALLBACK',
  'A consume() callback threw or rejected.',
)

const byCode = new Map(
  [
    InvalidYearError,
    InvalidMonthError,
    InvalidDayError,
    ReadOnlyError,
    TimeIsInFutureError,
    WriteError,
    InvalidPatternError,
    InvalidEventError,
    DayFullError,
    StoppedError,
    ReadError,
    CorruptLineError,
    CallbackError,
  ].map((cls) => [cls.code, cls]),
)

/** An error of the right class for a code and message from the core. */
function fromCode(code, message, errno) {
  const Cls = byCode.get(code) || EventlogError
  const options = errno ? { cause: Object.assign(new Error(errno), { code: errno }) } : undefined
  const err = new Cls(message, options)
  if (errno) err.errno = errno
  return err
}

/** Converts an error thrown by the native binding; other errors pass through. */
function fromNative(err) {
  const m = /^\[(ERR_[A-Z_]+)\] ([\s\S]*)$/.exec(err && err.message)
  return m ? fromCode(m[1], m[2]) : err
}


// ---------------------------------------------------------------------------------------------
// Tracing: DEBUG=eventlog:* (the Rust core prints its own lines under the same switch).

const debugOn = (() => {
  const spec = (process.env.DEBUG || '').split(/[\s,]+/).filter(Boolean)
  const matches = (p, name) =>
    new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$').test(name)
  return (area) => {
    let on = false
    for (const p of spec) {
      if (p.startsWith('-')) {
        if (matches(p.slice(1), `eventlog:${area}`)) on = false
      } else if (matches(p, `eventlog:${area}`)) on = true
    }
    return on
  }
})()
const debugConsume = debugOn('consume')

// ---------------------------------------------------------------------------------------------
// Clock: UTC days, with the test override shared with the core.

let testNow = null

function nowMs() {
  return testNow === null ? Date.now() : testNow
}

let cachedDayStart = 0
let cachedDayEnd = -1
let cachedDay = 0

/** The UTC day of `ms` as the number YYYYMMDD. */
function dayOf(ms) {
  if (ms >= cachedDayStart && ms < cachedDayEnd) return cachedDay
  const d = new Date(ms)
  const y = d.getUTCFullYear()
  cachedDayStart = Date.UTC(y, d.getUTCMonth(), d.getUTCDate())
  cachedDayEnd = cachedDayStart + 86400000
  cachedDay = y * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate()
  return cachedDay
}

/**
 * Replaces the clock of every log in this process with the given epoch milliseconds (`null`
 * restores the real clock), so date changes can be tested without waiting for midnight.
 */
function __setTestNow(ms) {
  if (ms !== null && ms !== undefined && (typeof ms !== 'number' || !Number.isFinite(ms))) {
    throw new TypeError(`__setTestNow(ms) takes epoch milliseconds or null, got ${String(ms)}`)
  }
  testNow = ms === undefined || ms === null ? null : Math.trunc(ms)
  native.setTestNow(testNow)
}

// ---------------------------------------------------------------------------------------------
// Event ids: 32 characters of [0-9A-Za-z] from a pooled crypto-random buffer.

const ALPHABET = Buffer.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 'latin1')
const IDS_PER_REFILL = 256
const randomPool = Buffer.allocUnsafe(8192)
let randomAt = randomPool.length
const idBytes = Buffer.allocUnsafe(32 * IDS_PER_REFILL)
let idText = ''
let idAt = IDS_PER_REFILL

// Ids are made 256 at a time into one string and handed out as slices of it: one allocation
// per id instead of 32 (add() is the hot path).
function refillIds() {
  for (let k = 0; k < idBytes.length; ) {
    if (randomAt === randomPool.length) {
      crypto.randomFillSync(randomPool)
      randomAt = 0
    }
    const b = randomPool[randomAt++]
    // 248 = 4 * 62: taking only bytes below it keeps every character equally likely.
    if (b < 248) idBytes[k++] = ALPHABET[b % 62]
  }
  idText = idBytes.latin1Slice(0, idBytes.length)
  idAt = 0
}

function newId() {
  if (idAt === IDS_PER_REFILL) refillIds()
  const start = 32 * idAt++
  return idText.slice(start, start + 32)
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

// ---------------------------------------------------------------------------------------------
// Keeping the process alive: the core's threadsafe functions are weak, so Node may exit
// whenever nothing of ours is pending. We hold the event loop with one ref'd timer while any
// add is pending, a consumer is replaying, or a consumer has yet to deliver an event added in
// this process. An idle consumer holds nothing, as with the original.

let holds = 0
let holdTimer = null

function hold() {
  if (holds++ === 0) {
    if (holdTimer === null) holdTimer = setInterval(() => {}, 2 ** 31 - 1)
    else holdTimer.ref()
  }
}

function release() {
  if (--holds === 0) holdTimer.unref()
}

/** What every instance of one log in this process shares (keyed by its absolute pattern). */
const groups = new Map()

function groupFor(key) {
  let g = groups.get(key)
  if (g === undefined) {
    g = { pending: 0, lastWritten: -1, consumers: new Set() }
    groups.set(key, g)
  }
  return g
}

function refreshHolds(group) {
  for (const c of group.consumers) c.updateHold()
}

// ---------------------------------------------------------------------------------------------
// Opening a log

const KNOWN_OPTIONS = new Set(['filename', 'readOnly', 'durable'])
const warnedOptions = new Set()

/** A misspelt option (`durabel: true`) would silently do nothing: say so, once per name. */
function warnUnknownOptions(options) {
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(key) || warnedOptions.has(key)) continue
    warnedOptions.add(key)
    process.emitWarning(`eventlog(): unknown option "${key}" is ignored; the options are ${[...KNOWN_OPTIONS].join(', ')}`, {
      type: 'EventlogWarning',
      code: 'EVENTLOG_UNKNOWN_OPTION',
    })
  }
}

const PER_DAY = 100000000

// One executor for every add() promise: no closure per add.
let capturedResolve
let capturedReject
function captureResolvers(resolve, reject) {
  capturedResolve = resolve
  capturedReject = reject
}

/**
 * Opens an event log. `arg` is a filename pattern such as "data/events-%y-%m-%d.log", an
 * options object `{ filename, readOnly, durable }`, or nothing (a new temporary directory).
 */
function eventlog(arg) {
  let options
  if (arg === undefined || arg === null) options = {}
  else if (typeof arg === 'string') options = { filename: arg }
  else if (typeof arg === 'object') options = arg
  else {
    throw new TypeError(
      `eventlog() takes a filename pattern such as "data/events-%y-%m-%d.log" or an options object, got ${typeof arg}`,
    )
  }
  let filename = options.filename
  if (filename === undefined || filename === null) {
    filename = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-')), 'events-%y-%m-%d.log')
  } else if (typeof filename !== 'string') {
    throw new TypeError(`eventlog(): filename must be a string pattern, got ${typeof filename}`)
  }
  const readOnly = Boolean(options.readOnly)
  const durable = Boolean(options.durable)
  warnUnknownOptions(options)

  let stopped = false
  const consumers = new Set()

  // --- writing ---------------------------------------------------------------------------
  // add() creates its promise here, on the JavaScript thread, and queues the line; all lines
  // added in one tick cross to the core as one string. The core writes it at once when that
  // cannot block (the result comes back from the call), or queues it for the log's writer
  // thread, which answers with one call per round; either way the promises settle in order.
  const waiting = [] // [id, resolve, reject, id, resolve, reject, ...] in queue order
  let waitingHead = 0
  let pending = 0
  let batchLines = []
  let batchCount = 0
  let batchDay = 0
  let flushScheduled = false
  let newestDay = 0
  let logfileDay = 0
  let logfileName = ''

  let nativeLog
  try {
    nativeLog = new native.NativeLog(filename, readOnly ? undefined : onWritten, durable)
  } catch (err) {
    throw fromNative(err)
  }
  const group = groupFor(nativeLog.key)

  function logfileFor(day) {
    if (day !== logfileDay) {
      logfileName = nativeLog.logfileFor(day)
      logfileDay = day
    }
    return logfileName
  }

  function flush() {
    flushScheduled = false
    if (batchCount === 0) return
    const text = batchLines.join('\n') + '\n'
    const count = batchCount
    batchLines = []
    batchCount = 0
    try {
      // Directly (on this thread, when that cannot block) only if nothing of ours is in
      // flight, so results still arrive in order.
      const result = nativeLog.append(batchDay, text, count, pending === count)
      if (result !== null) {
        let newDay = false
        if (typeof result === 'number') {
          // Written whole, following the line before: `result` is the first position.
          settle(count, count, result, result - 1, null)
          settled()
        } else {
          newDay = result.newDay
          onWritten([result])
        }
        // This process's consumers pick the lines up now (on this thread if idle).
        for (const c of group.consumers) c.poll(newDay)
      }
    } catch (err) {
      // These are the last `count` queued; nothing of them was written.
      const failed = waiting.splice(waiting.length - 3 * count, 3 * count)
      pending -= count
      group.pending -= count
      settled()
      const error = fromNative(err)
      for (let i = 2; i < failed.length; i += 3) failed[i](error)
    }
  }

  function onWritten(results) {
    for (const r of results) settle(r.count, r.written, r.firstPos, r.prevPos, r)
    settled()
  }

  /** Settles the next `count` waiting adds: the first `written` at `firstPos` on. */
  function settle(count, written, firstPos, prevPos, result) {
    let at = waitingHead
    for (let i = 0; i < written; i++) {
      const pos = firstPos + i
      waiting[at + 1]({ id: waiting[at], pos, prevPos: i === 0 ? prevPos : pos - 1 })
      at += 3
    }
    if (written < count) {
      const error = fromCode(result.errorCode, result.errorMessage, result.errorErrno)
      for (let i = written; i < count; i++) {
        waiting[at + 2](error)
        at += 3
      }
    }
    waitingHead = at
    if (written > 0) {
      const day = Math.floor(firstPos / PER_DAY)
      if (day > newestDay) newestDay = day
      const last = firstPos + written - 1
      if (last > group.lastWritten) group.lastWritten = last
    }
    pending -= count
    group.pending -= count
  }

  /** After a round of `settle`s: trims the queue, lets go of the event loop if idle. */
  function settled() {
    if (waitingHead === waiting.length) {
      waiting.length = 0
      waitingHead = 0
    } else if (waitingHead > 3 * 4096 && waitingHead * 2 > waiting.length) {
      waiting.splice(0, waitingHead)
      waitingHead = 0
    }
    if (pending === 0) release()
    refreshHolds(group)
  }

  function add(event) {
    const id = newId()
    if (readOnly) {
      // As the original: a rejected promise (which also answers `.promise`, `.id`, `.logfile`).
      const p = Promise.reject(new ReadOnlyError())
      return Object.assign(p, { id, logfile: undefined, promise: p })
    }
    let line
    try {
      line = encodeLine(event, id)
    } catch (err) {
      throw new InvalidEventError(
        `add(event) takes a value JSON.stringify can encode; this one failed: ${err.message}`,
        { cause: err },
      )
    }
    if (line === undefined) {
      throw new InvalidEventError(
        `add(event) takes a value JSON.stringify can encode; got ${event === null ? 'null' : typeof event}, which encodes to nothing`,
      )
    }
    let day = dayOf(nowMs())
    if (day < newestDay) day = newestDay
    const logfile = logfileFor(day)
    if (stopped) {
      const promise = Promise.reject(new StoppedError('add() was called after stop(); open the log again with eventlog(...)'))
      return { id, logfile, promise }
    }
    const promise = new Promise(captureResolvers)
    if (batchCount > 0 && day !== batchDay) flush()
    batchDay = day
    batchLines.push(line)
    batchCount++
    waiting.push(id, capturedResolve, capturedReject)
    if (pending++ === 0) hold()
    if (group.pending++ === 0) refreshHolds(group)
    if (!flushScheduled) {
      flushScheduled = true
      process.nextTick(flush)
    }
    return { id, logfile, promise }
  }

  // --- reading ---------------------------------------------------------------------------
  function consume(callback, fromPosition, onSync) {
    if (typeof callback !== 'function') {
      throw new TypeError('consume(callback, fromPosition, onSync): callback must be a function')
    }
    if (onSync !== undefined && onSync !== null && typeof onSync !== 'function') {
      throw new TypeError('consume(callback, fromPosition, onSync): onSync must be a function')
    }
    let from = 0
    if (fromPosition !== undefined && fromPosition !== null) {
      if (!Number.isSafeInteger(fromPosition) || fromPosition < 0) {
        throw new TypeError(
          `consume(): fromPosition must be a position such as 2026112600000000, got ${String(fromPosition)}`,
        )
      }
      from = fromPosition
    }
    if (stopped) throw new StoppedError('consume() was called after stop(); open the log again with eventlog(...)')
    const consumer = new Consumer(group, callback, onSync || null, () => consumers.delete(consumer))
    try {
      consumer.start(nativeLog, from)
    } catch (err) {
      consumer.stop()
      throw fromNative(err)
    }
    consumers.add(consumer)
    return { stop: () => consumer.stop(), liveMeta: consumer.liveMeta }
  }

  function stop() {
    if (stopped) return
    stopped = true
    flush()
    for (const c of consumers) c.stop()
    // The writer finishes what is queued; pending promises still settle.
    nativeLog.stop()
  }

  return { add, consume, filename, stop }
}

// ---------------------------------------------------------------------------------------------
// The consume loop: the core hands over batches of raw JSON lines; we parse each batch with
// one JSON.parse and call the callback event by event, waiting whenever it returns a thenable.
// When a batch is done (every callback settled) we tell the core, which has usually read the
// next batch meanwhile.

const CORRUPT = Symbol('corrupt line')

function parseLines(text, count) {
  try {
    const recs = JSON.parse(text)
    if (Array.isArray(recs) && recs.length === count) return recs
  } catch {
    // A line that is not JSON: parse them one by one below.
  }
  // Lines never hold a newline, so "\n," separates them unambiguously.
  return text
    .slice(1, -1)
    .split('\n,')
    .map((line) => {
      try {
        return JSON.parse(line)
      } catch {
        return CORRUPT
      }
    })
}

class Consumer {
  constructor(group, callback, onSync, onStop) {
    this.group = group
    this.callback = callback
    this.onSync = onSync
    this.onStop = onStop
    this.liveMeta = new EventEmitter()
    this.handle = null
    this.stopped = false
    this.held = false
    this.synced = false
    this.syncedNext = 0
    this.warned = false
    this.delivery = null
    /** Deliveries received and not yet worked through (the core sends at most two ahead). */
    this.queue = []
    this.records = null
    this.index = 0
    this.waitingPos = 0
    this.resume = () => this.drain()
    this.rejected = (err) => {
      this.failed(err, this.waitingPos)
      this.drain()
    }
  }

  start(nativeLog, from) {
    this.group.consumers.add(this)
    this.updateHold()
    this.handle = nativeLog.consume(from, (d) => this.onDelivery(d))
  }

  onDelivery(d) {
    if (this.stopped) return
    this.queue.push(d)
    if (this.queue.length === 1) this.begin(d)
  }

  begin(d) {
    this.delivery = d
    if (d.closed !== undefined) this.liveMeta.emit('close', d.closed)
    if (d.opened !== undefined) this.liveMeta.emit('open', d.opened)
    if (d.count > 0) {
      this.synced = false
      this.records = parseLines(d.lines, d.count)
      this.index = 0
    }
    this.drain()
  }

  drain() {
    const recs = this.records
    if (recs !== null) {
      const d = this.delivery
      while (this.index < recs.length) {
        if (this.stopped) return
        const k = this.index++
        const rec = recs[k]
        const pos = d.firstPos + k
        if (rec === null || typeof rec !== 'object') {
          this.report(new CorruptLineError(`the line at position ${pos} is not a JSON event; it was skipped`))
          continue
        }
        const meta = rec.meta
        let ret
        try {
          ret = this.callback(rec.event, {
            id: meta === null || meta === undefined ? undefined : meta.id,
            pos,
            prevPos: k === 0 ? d.prevPos : pos - 1,
          })
        } catch (err) {
          this.failed(err, pos)
          continue
        }
        if (ret !== null && (typeof ret === 'object' || typeof ret === 'function') && typeof ret.then === 'function') {
          this.waitingPos = pos
          ret.then(this.resume, this.rejected)
          return
        }
      }
      this.records = null
    }
    this.finishDelivery()
  }

  finishDelivery() {
    if (this.stopped) return
    const d = this.delivery
    if (d.errorCode !== undefined) this.report(fromCode(d.errorCode, d.errorMessage))
    if (d.syncedLogfile !== undefined) {
      this.synced = true
      this.syncedNext = d.syncedNextPos
      if (this.onSync !== null) {
        try {
          this.onSync({ logfile: d.syncedLogfile, rows: d.syncedRows })
        } catch (err) {
          this.failed(err, undefined)
        }
      }
    }
    this.updateHold()
    if (this.stopped) return
    this.handle.ack()
    this.queue.shift()
    if (this.queue.length > 0) this.begin(this.queue[0])
  }

  poll(newDay) {
    if (!this.stopped && this.handle !== null) this.handle.poll(newDay)
  }

  failed(err, pos) {
    const where = pos === undefined ? 'onSync' : `the callback for position ${pos}`
    this.report(new CallbackError(`${where} failed: ${err && err.message}`, { cause: err }))
  }

  report(err) {
    if (debugConsume) console.error(`eventlog:consume ${err.message}`)
    if (this.liveMeta.listenerCount('error') > 0) {
      this.liveMeta.emit('error', err)
    } else if (!this.warned) {
      this.warned = true
      process.emitWarning(
        `${err.message} (listen to liveMeta's 'error' event to handle these; further ones are not printed)`,
        { type: 'EventlogWarning', code: err.code },
      )
    }
  }

  /** Holds the event loop while replaying, or while an event added in-process is not yet delivered. */
  updateHold() {
    const g = this.group
    const want =
      !this.stopped &&
      (!this.synced ||
        g.pending > 0 ||
        (g.lastWritten >= this.syncedNext && Math.floor(g.lastWritten / PER_DAY) <= dayOf(nowMs())))
    if (want !== this.held) {
      this.held = want
      if (want) hold()
      else release()
    }
  }

  stop() {
    if (this.stopped) return
    this.stopped = true
    if (this.handle !== null) this.handle.stop()
    this.records = null
    this.updateHold()
    this.group.consumers.delete(this)
    this.onStop()
    setImmediate(() => this.liveMeta.removeAllListeners())
  }
}

// ---------------------------------------------------------------------------------------------
// verify: a scan of a whole log, off the JavaScript thread.

/**
 * Scans every logfile of a pattern (or `{ filename }`) and reports torn tails, corrupt lines
 * and logfiles dated in the future, each with file, line and position.
 */
async function verify(arg) {
  const pattern = typeof arg === 'string' ? arg : arg && arg.filename
  if (typeof pattern !== 'string') {
    throw new TypeError('verify() takes a filename pattern such as "data/events-%y-%m-%d.log" or { filename }')
  }
  try {
    return await native.verify(pattern)
  } catch (err) {
    throw fromNative(err)
  }
}

module.exports = eventlog
Object.assign(eventlog, {
  eventlog,
  default: eventlog,
  verify,
  __setTestNow,
  EventlogError,
  InvalidYearError,
  InvalidMonthError,
  InvalidDayError,
  ReadOnlyError,
  TimeIsInFutureError,
  WriteError,
  InvalidPatternError,
  InvalidEventError,
  DayFullError,
  StoppedError,
  ReadError,
  CorruptLineError,
  CallbackError,
})
