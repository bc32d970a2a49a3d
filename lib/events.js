'use strict'
// log.events({ from, live, name, onError }): `for await (const { event, meta } of log.events())`.
//
// Built on the instance's own consume(): the callback hands the event to the waiting next()
// and returns a promise that settles only when the loop asks for the following one, so the
// iterator has consume's order and backpressure (one event is out at a time, and a slow loop
// body holds back delivery). With `name`, an event counts as handled (and is checkpointed)
// once the loop asks for the next one, or leaves the loop. The consumer starts at the first
// next(), so an iterator that is made and never used costs nothing and holds nothing.
//
// Errors consume reports on liveMeta: with `onError`, each is passed to it and iteration goes
// on. Without it, a ReadError (a logfile could not be read) ends the iteration by rejecting
// the next pull; a CorruptLineError (a line skipped) is printed once as a process warning, as
// consume does with no listener. A CallbackError cannot happen: the callback is ours.

const { ReadError } = require('./errors')
const { checkName } = require('./checkpoint')
const { checkFrom, checkTypes, checkStream } = require('./consume-options')
const { hold, release } = require('./keepalive')
const { unknownOption } = require('./suggest')

const OPTIONS = ['from', 'live', 'name', 'onError', 'types', 'typeKey', 'stream']

const DONE = Object.freeze({ value: undefined, done: true })

class EventIterator {
  /**
   * `consume` is the instance's consume(); `running` is the instance's set of iterators that
   * have started and not ended (its stop() ends them).
   * Options: `from` (a position, default the beginning), `live` (default true: follow new
   * events; false: end at the current end), `name` (a named consumer: see consume),
   * `onError(err)`.
   */
  constructor(consume, options, running) {
    if (options === undefined || options === null) options = {}
    if (typeof options !== 'object') {
      throw new TypeError('events(options): options must be an object such as { from, live, name, onError }')
    }
    for (const key of Object.keys(options)) {
      if (!OPTIONS.includes(key)) throw new TypeError(unknownOption('events(options)', key, OPTIONS))
    }
    const { from, live = true, name, onError } = options
    checkFrom(from, 'from', 'events()')
    this.filter = checkTypes(options.types, options.typeKey, 'events(options)')
    const stream = checkStream(options.stream, this.filter, 'events(options)')
    if (stream !== undefined) this.filter = { stream }
    if (name !== undefined) checkName(name, 'events({ name })')
    if (onError !== undefined && typeof onError !== 'function') {
      throw new TypeError('events(): onError must be a function')
    }
    this.consume = consume
    this.from = from === null ? undefined : from
    this.live = Boolean(live)
    this.name = name
    this.onError = onError || null
    this.running = running
    this.consumer = null
    this.finished = false
    this.warned = false
    /** An error to reject the next pull with. */
    this.failure = null
    /** Pulls not yet answered ({ resolve, reject }), oldest first. */
    this.pulls = []
    /** Results no pull has taken yet (only when pulls race ahead of each other). */
    this.ready = []
    /** Releases the consumer: resolves the promise the last callback returned. */
    this.release = null
    /** Whether this iterator holds the event loop (while a pull waits: see `updateHold`). */
    this.holding = false
  }

  /**
   * A pull that waits keeps the process alive, as a read of a socket does: the obvious
   * `for await (… of log.events())` script must not exit while it waits for the next event.
   * Nothing is held once no pull waits (between a delivery and the loop's next pull, or after
   * the end), so `break`, `return()` and `stop()` let the process go.
   */
  updateHold() {
    const want = this.pulls.length > 0 && !this.finished
    if (want === this.holding) return
    this.holding = want
    if (want) hold()
    else release()
  }

  [Symbol.asyncIterator]() {
    return this
  }

  next() {
    // The loop asks for another event: let the consumer go on to it.
    this.releaseConsumer()
    if (this.ready.length > 0) return Promise.resolve(this.ready.shift())
    if (this.failure !== null) {
      const err = this.failure
      this.failure = null
      return Promise.reject(err)
    }
    if (this.finished) return Promise.resolve(DONE)
    const pull = new Promise((resolve, reject) => this.pulls.push({ resolve, reject }))
    this.updateHold()
    if (this.consumer === null) {
      try {
        this.start()
      } catch (err) {
        this.fail(err)
      }
    }
    return pull
  }

  /** `break` in a for-await loop (or `return` from its body) ends here. */
  return(value) {
    this.end()
    return Promise.resolve({ value, done: true })
  }

  throw(err) {
    this.end()
    return Promise.reject(err)
  }

  start() {
    const consumer = this.consume(
      (event, meta) => this.onEvent(event, meta),
      {
        from: this.from,
        name: this.name,
        ...(this.filter.types === undefined && this.filter.stream === undefined ? {} : this.filter),
      },
      () => {
        // The first catch-up is "the current end".
        if (!this.live) this.end()
      },
    )
    this.consumer = consumer
    this.running.add(this)
    consumer.liveMeta.on('error', (err) => this.onLiveError(err))
  }

  onEvent(event, meta) {
    if (this.finished) return undefined
    const result = { value: { event, meta }, done: false }
    if (this.pulls.length > 0) this.pulls.shift().resolve(result)
    else this.ready.push(result)
    this.updateHold()
    // A pull already waiting means the loop has asked: no need to hold the consumer back.
    if (this.pulls.length > 0) return undefined
    return new Promise((resolve) => {
      this.release = resolve
    })
  }

  onLiveError(err) {
    if (this.finished) return
    if (this.onError !== null) {
      try {
        this.onError(err)
      } catch (thrown) {
        this.fail(thrown)
      }
    } else if (err instanceof ReadError) {
      this.fail(err)
    } else if (!this.warned) {
      this.warned = true
      process.emitWarning(`${err.message} (pass events({ onError }) to handle these; further ones are not printed)`, {
        type: 'EventlogWarning',
        code: err.code,
      })
    }
  }

  releaseConsumer() {
    const release = this.release
    if (release !== null) {
      this.release = null
      release()
    }
  }

  /** Ends the iteration with an error: the waiting pull (or the next one) rejects with it. */
  fail(err) {
    if (this.finished) return
    const first = this.pulls.shift()
    this.end()
    this.updateHold()
    if (first !== undefined) first.reject(err)
    else this.failure = err
  }

  /** Ends the iteration: the consumer stops, waiting pulls resolve done. Idempotent. */
  end() {
    if (this.finished) return
    this.finished = true
    this.ready.length = 0
    if (this.consumer !== null) this.consumer.stop()
    this.releaseConsumer()
    for (const pull of this.pulls.splice(0)) pull.resolve(DONE)
    this.updateHold()
    this.running.delete(this)
  }
}

module.exports = { EventIterator }
