'use strict'
// The clock: UTC days as YYYYMMDD numbers. `__setTestNow` replaces it for every log in the
// process; the core holds the override and this module keeps its JavaScript copy, set only
// here, so that add() can name a logfile without a call into the core.

const native = require('./native')

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

/** Today, by the process clock. */
function today() {
  return dayOf(nowMs())
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

module.exports = { nowMs, dayOf, today, __setTestNow }
