'use strict'
// Positions, as the core's src/core/position.rs has them: `YYYYMMDD * PER_DAY + line`, with a
// real UTC date from 1970 through 9999. No native code here: the CLI checks its arguments with
// this before it loads the addon.

const PER_DAY = 1e8
/** The first position of 1970-01-01: nothing below it (but 0, "the beginning") is one. */
const FIRST_POSITION = 19700101 * PER_DAY

/** `YYYYMMDD` if year, month and day name a real date in the years positions allow. */
function realDay(year, month, day) {
  const date = new Date(Date.UTC(year, month - 1, day))
  const ok =
    year >= 1970 && year <= 9999 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  return ok ? year * 10000 + month * 100 + day : undefined
}

/** Whether `n` is a position: a safe integer whose day is a real date from 1970 on. */
function isPosition(n) {
  if (!Number.isSafeInteger(n) || n < FIRST_POSITION) return false
  const day = Math.floor(n / PER_DAY)
  return realDay(Math.floor(day / 10000), Math.floor(day / 100) % 100, day % 100) !== undefined
}

/** The day `YYYYMMDD` as `"YYYY-MM-DD"`. */
function dayString(day) {
  const s = String(day)
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`
}

module.exports = { PER_DAY, FIRST_POSITION, realDay, isPosition, dayString }
