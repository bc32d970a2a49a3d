'use strict'
// Keeping the process alive: the core's threadsafe functions are weak, so Node may exit
// whenever nothing of ours is pending. We hold the event loop with one ref'd timer while any
// add is pending, a consumer is replaying, or a consumer has yet to deliver an event added in
// this process. An idle consumer holds nothing, as with the original.
//
// Every eventlog() instance of one pattern in this process shares one core log (and its
// writer); `shared(key)` is the JavaScript side of it: what its instances must know of each
// other to decide whether the process may exit.

const { LogCounters } = require('./metrics')

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

class Shared {
  constructor() {
    /** Adds pending in every instance. */
    this.pending = 0
    /** The newest position written by this process. */
    this.lastWritten = -1
    /** The live consumers of every instance. */
    this.consumers = new Set()
    /** What log.metrics() reports of this side (lib/metrics.js). */
    this.counters = new LogCounters()
  }

  /** Lets every consumer decide again whether it holds the event loop. */
  refreshHolds() {
    for (const c of this.consumers) c.updateHold()
  }
}

const byKey = new Map()

function shared(key) {
  let s = byKey.get(key)
  if (s === undefined) {
    s = new Shared()
    byKey.set(key, s)
  }
  return s
}

module.exports = { hold, release, shared }
