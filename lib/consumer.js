'use strict'
// The consume loop: the core hands over deliveries of raw JSON lines; we parse each with one
// JSON.parse and call the callback event by event, waiting whenever it returns a thenable.
// When a delivery is done (every callback settled) we tell the core, which has usually read
// the next one meanwhile.
//
// A replay never holds the event loop for long: after SLICE_MS of work the next delivery
// waits for setImmediate, so timers and I/O run between slices.

const { EventEmitter } = require('node:events')
const { performance } = require('node:perf_hooks')

const { fromCode, CallbackError, CorruptLineError } = require('./errors')
const { nowMs, dayOf } = require('./clock')
const { debugFor } = require('./debug')
const { hold, release } = require('./keepalive')

const PER_DAY = 100000000
/** The longest stretch of deliveries run without letting the event loop turn. */
const SLICE_MS = 4
const CORRUPT = Symbol('corrupt line')
const debug = debugFor('consume')

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
  constructor(shared, callback, onSync, onStop) {
    this.shared = shared
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
    /** When the current slice of work began (0: none is running). */
    this.sliceStart = 0
    this.resumeScheduled = false
    this.resume = () => this.drain()
    this.rejected = (err) => {
      this.failed(err, this.waitingPos)
      this.drain()
    }
    this.nextSlice = () => {
      this.resumeScheduled = false
      this.sliceStart = performance.now()
      if (!this.stopped && this.queue.length > 0) this.begin(this.queue[0])
    }
  }

  start(nativeLog, from) {
    this.shared.consumers.add(this)
    this.updateHold()
    this.handle = nativeLog.consume(from, (d) => this.onDelivery(d))
  }

  onDelivery(d) {
    if (this.stopped) return
    this.queue.push(d)
    if (this.queue.length === 1 && !this.resumeScheduled) {
      this.sliceStart = performance.now()
      this.begin(d)
    }
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
    if (this.queue.length === 0) return
    if (performance.now() - this.sliceStart < SLICE_MS) {
      this.begin(this.queue[0])
    } else {
      // Let timers and I/O run before the next delivery.
      this.resumeScheduled = true
      setImmediate(this.nextSlice)
    }
  }

  poll(newDay) {
    if (!this.stopped && this.handle !== null) this.handle.poll(newDay)
  }

  failed(err, pos) {
    const where = pos === undefined ? 'onSync' : `the callback for position ${pos}`
    this.report(new CallbackError(`${where} failed: ${err && err.message}`, { cause: err }))
  }

  report(err) {
    if (debug !== null) debug(err.message)
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
    const s = this.shared
    const want =
      !this.stopped &&
      (!this.synced ||
        s.pending > 0 ||
        (s.lastWritten >= this.syncedNext && Math.floor(s.lastWritten / PER_DAY) <= dayOf(nowMs())))
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
    this.shared.consumers.delete(this)
    this.onStop()
    setImmediate(() => this.liveMeta.removeAllListeners())
  }
}

module.exports = { Consumer }
