'use strict'
// Positions, as the core's src/core/position.rs has them: `YYYYMMDD * PER_DAY + line`, with a
// real UTC date from 1970 on. The rule is the core's (`position::problem`), mirrored here with
// the same messages so that arguments are refused before anything crosses to the core and the
// CLI can check its own without loading the addon; __test__/fixtures/positions.json holds the
// cases both are tested on.

const { InvalidPositionError } = require('./errors')

const PER_DAY = 1e8
/** The first position of 1970-01-01: nothing below it (but 0, "the beginning") is one. */
const FIRST_POSITION = 19700101 * PER_DAY

/** `YYYYMMDD` if year, month and day name a real date in the years positions allow. */
function realDay(year, month, day) {
  const date = new Date(Date.UTC(year, month - 1, day))
  const ok =
    year >= 1970 &&
    year <= 9999 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day
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

/**
 * Why `n` is not a position, as the end of an error message, or null when it is one. With
 * `start`, 0 is one too: "from the beginning". With `dates: false`, a date that is not real
 * (2026-13-31) passes here: the API leaves it to the core, which throws the original's
 * InvalidMonthError or InvalidDayError. The core's twin is position::problem in
 * src/core/position.rs.
 */
function positionProblem(n, { start = false, dates = true } = {}) {
  if ((start && n === 0) || isPosition(n)) return null
  if (Number.isSafeInteger(n) && n > 0 && isPosition(n * PER_DAY)) {
    return `${n} is a day, not a position; the day's first position is ${n * PER_DAY}`
  }
  if (Number.isSafeInteger(n) && n >= FIRST_POSITION)
    return dates ? `${Math.floor(n / PER_DAY)} is not a real date` : null
  const shown =
    typeof n === 'number' || typeof n === 'bigint' ? String(n) : typeof n === 'string' ? JSON.stringify(n) : typeof n
  return `got ${shown}; a position is 16 digits, YYYYMMDD then the line in the day, such as 2026112600000042${start ? ' (0 is the beginning)' : ''}`
}

/**
 * Throws an InvalidPositionError (a TypeError) naming `what` in `where` unless `n` is a position (or, with `start`, 0).
 * With `dates: false`, whether its date is real is left to the core (see `positionProblem`).
 */
function checkPosition(n, what, where, { start = false, dates = false } = {}) {
  const problem = positionProblem(n, { start, dates })
  if (problem !== null) throw new InvalidPositionError(`${where}: ${what} must be a position: ${problem}`)
  return n
}

module.exports = { PER_DAY, FIRST_POSITION, realDay, isPosition, dayString, positionProblem, checkPosition }
