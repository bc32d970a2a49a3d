'use strict'
// The arguments of consume(callback, fromPosition, onSync), where the second may also be an
// options object `{ from, name, onSync }`. A number or nothing there keeps the original's
// meaning, and the third argument stays onSync, so old code runs unchanged. Every mistake is a
// TypeError naming the option, thrown before anything is read.

const { checkName, shown } = require('./checkpoint')
const { checkPosition } = require('./position')
const { unknownOption } = require('./suggest')

const OPTIONS = ['from', 'name', 'onSync']

/** `from` (0 when not given): a position, or 0 for the beginning. `where`: the call. */
function checkFrom(from, what, where = 'consume()') {
  if (from === undefined || from === null) return 0
  return checkPosition(from, what, where, { start: true })
}

function checkOnSync(onSync, where) {
  if (onSync !== undefined && onSync !== null && typeof onSync !== 'function') {
    throw new TypeError(`${where}: onSync must be a function, got ${shown(onSync)}`)
  }
  return onSync || null
}

/** `{ from, name, onSync }` (`from` 0 for the beginning, `name` undefined when unnamed). */
function parseConsumeArgs(callback, second, third) {
  if (typeof callback !== 'function') {
    throw new TypeError('consume(callback, fromPosition, onSync): callback must be a function')
  }
  if (second === null || typeof second !== 'object') {
    return {
      from: checkFrom(second, 'fromPosition'),
      name: undefined,
      onSync: checkOnSync(third, 'consume(callback, fromPosition, onSync)'),
    }
  }
  if (Array.isArray(second)) {
    throw new TypeError(
      'consume(callback, options): the second argument is a position or an options object { from, name, onSync }, got an array',
    )
  }
  for (const key of Object.keys(second)) {
    if (!OPTIONS.includes(key)) throw new TypeError(unknownOption('consume(callback, options)', key, OPTIONS))
  }
  const { from, name, onSync } = second
  if (name !== undefined) checkName(name, 'consume(callback, { name })')
  if (onSync !== undefined && onSync !== null && third !== undefined && third !== null) {
    throw new TypeError('consume(callback, options, onSync): give onSync once, in the options or as the third argument')
  }
  const where =
    onSync === undefined || onSync === null ? 'consume(callback, options, onSync)' : 'consume(callback, { onSync })'
  return { from: checkFrom(from, 'from'), name, onSync: checkOnSync(onSync ?? third, where) }
}

module.exports = { parseConsumeArgs, checkFrom }
