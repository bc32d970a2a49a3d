'use strict'
// The consume loop: the core hands over deliveries of many lines, their events as the text of
// one JSON array (src/core/delivery.rs); we parse each delivery with one JSON.parse and call
// the callback event by event, waiting whenever it returns a thenable.
// When a delivery is done (every callback settled) we tell the core, which has usually read
// the next one meanwhile.
//
// A replay never holds the event loop for long: after SLICE_MS of deliveries in one turn of
// the event loop the next delivery waits for the next turn, so timers and I/O run between.
//
// A named consumer (lib/checkpoint.js) counts an event handled once its callback has returned
// or its promise has settled (a throw or a rejection too: the consumer goes on past it, as it
// does past a corrupt line), and saves the last handled position every SAVE_EVERY events,
// each time it has caught up, and at stop(); an event in progress at stop() is saved when it
// finishes. So a kill -9 delivers at most SAVE_EVERY events again, and a graceful restart none.

const { EventEmitter } = require('node:events')
const { performance } = require('node:perf_hooks')

const { fromNative, CallbackError } = require('./errors')
const native = require('./native')
const { nowMs, dayOf } = require('./clock')
const { debugFor } = require('./debug')
const { hold, release } = require('./keepalive')

const { PER_DAY } = require('./position')
/** The longest stretch of deliveries run without letting the event loop turn. */
const SLICE_MS = 3
/** The most events a named consumer handles between two saves. */
const SAVE_EVERY = 1000

// The budget of deliveries for one turn of the event loop, shared by every consumer in the
// process. Node hands over many queued deliveries in one wake-up, so the budget is not reset
// per delivery: it opens with the first delivery of a turn and closes when the turn does
// (setImmediate), and a delivery over budget waits for the next turn.
const slice = { open: false, start: 0 }
function closeSlice() {
  slice.open = false
}
/** Whether this turn's budget allows another delivery (opening the budget if none is open). */
function withinSlice() {
  const now = performance.now()
  if (!slice.open) {
    slice.open = true
    slice.start = now
    setImmediate(closeSlice)
    return true
  }
  return now - slice.start < SLICE_MS
}
const debug = debugFor('consume')

/** An event text in the package's form that does not parse alone: the core judges its line. */
class Unjudged {
  constructor(text) {
    this.text = text
  }
}

/**
 * The events of a delivery. The core sends the event texts of all lines as one JSON array
 * (`null` for a corrupt line, judged there by the one rule for a line, src/core/line.rs); an
 * event text of a line in the package's exact form is not parsed there, and one that does not
 * parse alone (a key given twice, keys beside `event`) comes back here as `Unjudged`.
 */
function parseEvents(d) {
  try {
    const values = JSON.parse(d.events)
    if (Array.isArray(values) && values.length === d.count) return values
  } catch {
    // Some event text is not JSON alone: see parseEach.
  }
  return null
}

/** The events of a delivery one by one, when they do not parse as one array. */
function parseEach(d) {
  // Lines never hold a newline, so "\n," separates them unambiguously.
  return d.events
    .slice(1, -1)
    .split('\n,')
    .map((text) => {
      try {
        return JSON.parse(text)
      } catch {
        return new Unjudged(text)
      }
    })
}

/** Index → value, from a delivery's parallel lists (`null` when there are none). */
function byIndex(at, values) {
  if (at === undefined || at === null) return null
  const map = new Map()
  for (let i = 0; i < at.length; i++) map.set(at[i], values[i])
  return map
}

class Consumer {
  /** `checkpoint`: a named consumer's open checkpoint (`openCheckpoint`), else null. */
  constructor(shared, callback, onSync, onStop, checkpoint = null) {
    this.shared = shared
    this.callback = callback
    this.onSync = onSync
    this.onStop = onStop
    this.liveMeta = new EventEmitter()
    this.handle = null
    this.stopped = false
    this.held = false
    this.synced = false
    /** When it last stopped being caught up (nowMs()): undefined until it first caught up. */
    this.behindSince = undefined
    this.syncedNext = 0
    this.warned = false
    this.delivery = null
    /** Deliveries received and not yet worked through (the core sends at most two ahead). */
    this.queue = []
    /** The parsed events of the delivery; the ids of lines not in the package's exact form and
     * the errors of corrupt lines, by index (null: none). */
    this.values = null
    this.otherIds = null
    this.corrupt = null
    /** Whether every line of the delivery is in the package's exact form and parsed. */
    this.regular = true
    /** The logfile being delivered (for a line the core judges here). */
    this.logfile = undefined
    this.index = 0
    /** The day being delivered: where its lines end, its first position and line, its prevPos. */
    this.segment = 0
    this.segmentEnd = 0
    this.segmentPos = 0
    this.segmentAt = 0
    this.segmentPrev = undefined
    this.waitingPos = 0
    /** The next delivery waits for the next turn of the event loop. */
    this.resumeScheduled = false
    this.checkpoint = checkpoint
    /** The position of the last event handled, and the last one saved. */
    this.handledPos = 0
    this.savedPos = checkpoint === null || checkpoint.pos === undefined ? 0 : checkpoint.pos
    /** Events to handle before the next save; Infinity (which -- leaves so) when unnamed. */
    this.untilSave = checkpoint === null ? Infinity : SAVE_EVERY
    this.resume = () => {
      this.handled(this.waitingPos)
      if (!this.stopped) this.drain()
    }
    this.rejected = (err) => {
      this.failed(err, this.waitingPos)
      this.handled(this.waitingPos)
      if (!this.stopped) this.drain()
    }
    this.nextSlice = () => {
      this.resumeScheduled = false
      if (this.stopped || this.queue.length === 0) return
      withinSlice()
      this.begin(this.queue[0])
    }
  }

  /**
   * Starts reading at `from`; with `types`, only events of those types (read at `typeKey`); with
   * `stream`, only that stream's events.
   */
  start(nativeLog, from, types, typeKey, stream) {
    this.shared.consumers.add(this)
    this.updateHold()
    this.handle = nativeLog.consume(from, (d) => this.onDelivery(d), types, typeKey, stream)
    const damaged = this.checkpoint === null ? undefined : this.checkpoint.error
    // Once the caller has had a chance to listen on liveMeta.
    if (damaged !== undefined) process.nextTick(() => this.stopped || this.report(damaged))
  }

  onDelivery(d) {
    if (this.stopped) return
    this.queue.push(d)
    if (this.queue.length === 1 && !this.resumeScheduled) this.next()
  }

  begin(d) {
    this.delivery = d
    this.enterSegment(0)
    if (d.count > 0) {
      if (this.synced) this.behindSince = nowMs()
      this.synced = false
      this.shared.counters.delivered += d.count
      const values = parseEvents(d)
      this.values = values === null ? parseEach(d) : values
      this.otherIds = byIndex(d.otherAt, d.otherIds)
      this.corrupt = byIndex(d.corruptAt, d.corrupt)
      this.regular = values !== null && this.otherIds === null && this.corrupt === null
      this.index = 0
    }
    this.drain()
  }

  /**
   * Enters segment `i` of the delivery (one day's lines, after its close and open events):
   * segment 0 is described by the delivery's own fields, the others by `more`.
   */
  enterSegment(i) {
    const d = this.delivery
    const s = i === 0 ? d : d.more[i - 1]
    if (s.closed !== undefined) this.liveMeta.emit('close', s.closed)
    if (s.opened !== undefined) {
      this.logfile = s.opened
      this.liveMeta.emit('open', s.opened)
    }
    this.segment = i
    this.segmentAt = i === 0 ? 0 : s.at
    this.segmentPos = s.firstPos
    this.segmentPrev = s.prevPos
    this.segmentEnd = d.more !== undefined && i < d.more.length ? d.more[i].at : d.count
  }

  drain() {
    const d = this.delivery
    const last = d.more === undefined ? 0 : d.more.length
    const values = this.values
    if (values !== null) {
      const regular = this.regular
      while (this.index < values.length) {
        if (this.stopped) return
        const k = this.index++
        while (k === this.segmentEnd && this.segment < last) this.enterSegment(this.segment + 1)
        // A filtered consumer's lines are not consecutive: the core gives each its positions.
        const positions = d.positions
        const pos = positions === undefined ? this.segmentPos + (k - this.segmentAt) : positions[k]
        const prevPos =
          positions === undefined
            ? k === this.segmentAt
              ? this.segmentPrev
              : pos - 1
            : (d.prevPositions[k] ?? undefined)
        let event = values[k]
        let id
        if (regular) {
          id = d.ids.slice(32 * k, 32 * k + 32)
        } else {
          const judged = this.judge(k, pos)
          if (judged === null) {
            this.handled(pos)
            continue
          }
          event = judged.event
          id = judged.id
        }
        let ret
        try {
          ret = this.callback(event, { id, pos, prevPos })
        } catch (err) {
          this.failed(err, pos)
          this.handled(pos)
          continue
        }
        if (ret !== null && (typeof ret === 'object' || typeof ret === 'function') && typeof ret.then === 'function') {
          this.waitingPos = pos
          ret.then(this.resume, this.rejected)
          return
        }
        this.handled(pos)
      }
      this.values = null
    }
    // Days after the last line: empty ones, or one just opened.
    while (this.segment < last) this.enterSegment(this.segment + 1)
    this.finishDelivery()
  }

  /**
   * The event and id of line `k` (at `pos`) of a delivery that has lines not in the package's
   * exact form, or null for a corrupt line, which is reported.
   */
  judge(k, pos) {
    const d = this.delivery
    const corrupt = this.corrupt === null ? undefined : this.corrupt.get(k)
    if (corrupt !== undefined) {
      this.report(fromNative(corrupt))
      return null
    }
    const event = this.values[k]
    if (event instanceof Unjudged) {
      const line = '{"event":' + event.text + ',"meta":{"id":"' + d.ids.slice(32 * k, 32 * k + 32) + '"}}'
      const judged = native.judgeLine(line, pos, this.logfile === undefined ? '' : this.logfile)
      if (judged.error !== undefined && judged.error !== null) {
        this.report(fromNative(judged.error))
        return null
      }
      return { event: JSON.parse(judged.event), id: judged.id === null ? undefined : judged.id }
    }
    const other = this.otherIds === null || !this.otherIds.has(k) ? false : this.otherIds.get(k)
    if (other === false) return { event, id: d.ids.slice(32 * k, 32 * k + 32) }
    return { event, id: other === null ? undefined : other }
  }

  finishDelivery() {
    if (this.stopped) return
    const d = this.delivery
    // Lines a filter passed over after the last event handled count as handled too, so a
    // named consumer's checkpoint moves past them.
    if (d.lastPos !== undefined && d.lastPos !== null && d.lastPos > this.handledPos) this.handled(d.lastPos)
    if (d.error !== undefined && d.error !== null) this.report(fromNative(d.error))
    if (d.syncedLogfile !== undefined) {
      this.synced = true
      this.syncedNext = d.syncedNextPos
      this.saveCheckpoint()
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
    if (this.queue.length > 0) this.next()
  }

  /** Begins the next delivery now, or, over this turn's budget, in the next turn. */
  next() {
    if (withinSlice()) {
      this.begin(this.queue[0])
    } else {
      // Let timers and I/O run first.
      this.resumeScheduled = true
      setImmediate(this.nextSlice)
    }
  }

  /** The callback for `pos` has returned, or its promise settled. */
  handled(pos) {
    this.handledPos = pos
    if (--this.untilSave === 0 || this.stopped) this.saveCheckpoint()
  }

  /** Saves the last handled position of a named consumer, if it moved; failures are reported. */
  saveCheckpoint() {
    if (this.checkpoint === null) return
    this.untilSave = SAVE_EVERY
    if (this.handledPos <= this.savedPos) return
    try {
      this.checkpoint.handle.save(this.handledPos)
      this.savedPos = this.handledPos
    } catch (err) {
      this.report(fromNative(err))
    }
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
    this.saveCheckpoint()
    this.values = null
    this.updateHold()
    this.shared.consumers.delete(this)
    this.onStop()
    setImmediate(() => this.liveMeta.removeAllListeners())
  }
}

module.exports = { Consumer }
