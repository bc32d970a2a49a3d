'use strict'
// The arguments of consume(callback, fromPosition, onSync), where the second may also be an
// options object `{ from, name, onSync }`. A number or nothing there keeps the original's
// meaning, and the third argument stays onSync, so old code runs unchanged. Every mistake is a
// TypeError naming the option, thrown before anything is read.

const { checkName, shown } = require('./checkpoint')
const { checkPosition } = require('./position')
const { unknownOption } = require('./suggest')

const OPTIONS = ['from', 'name', 'onSync', 'types', 'typeKey', 'stream']

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

/**
 * `types` and `typeKey` of a filtered consumer: a non-empty array of strings, and the field
 * they are read from (a name or a dotted path, `type` by default). Returns
 * `{ types, typeKey }`, both undefined when not filtered.
 */
function checkTypes(types, typeKey, where) {
  if (types === undefined || types === null) {
    if (typeKey !== undefined && typeKey !== null) throw new TypeError(`${where}: typeKey goes with types`)
    return { types: undefined, typeKey: undefined }
  }
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string')) {
    throw new TypeError(
      `${where}: types must be a non-empty array of strings such as ['deposited'], got ${shown(types)}`,
    )
  }
  const badKey = typeof typeKey !== 'string' || typeKey === '' || typeKey.split('.').includes('')
  if (typeKey !== undefined && typeKey !== null && badKey) {
    throw new TypeError(
      `${where}: typeKey must be a field name or a dotted path such as 'meta.kind', got ${shown(typeKey)}`,
    )
  }
  return { types: [...types], typeKey: typeKey ?? undefined }
}

/**
 * `{ from, name, onSync, types, typeKey }` (`from` 0 for the beginning, `name` undefined when
 * unnamed, `types` undefined when every event is wanted).
 */
function parseConsumeArgs(callback, second, third) {
  if (typeof callback !== 'function') {
    throw new TypeError('consume(callback, fromPosition, onSync): callback must be a function')
  }
  if (second === null || typeof second !== 'object') {
    return {
      from: checkFrom(second, 'fromPosition'),
      name: undefined,
      onSync: checkOnSync(third, 'consume(callback, fromPosition, onSync)'),
      types: undefined,
      typeKey: undefined,
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
  const filter = checkTypes(second.types, second.typeKey, 'consume(callback, options)')
  const stream = checkStream(second.stream, filter, 'consume(callback, options)')
  if (name !== undefined) checkName(name, 'consume(callback, { name })')
  if (onSync !== undefined && onSync !== null && third !== undefined && third !== null) {
    throw new TypeError('consume(callback, options, onSync): give onSync once, in the options or as the third argument')
  }
  const where =
    onSync === undefined || onSync === null ? 'consume(callback, options, onSync)' : 'consume(callback, { onSync })'
  return { from: checkFrom(from, 'from'), name, onSync: checkOnSync(onSync ?? third, where), ...filter, stream }
}

/** `stream`: only the events of one stream (a string or an integer id), not with `types`. */
function checkStream(stream, filter, where) {
  if (stream === undefined || stream === null) return undefined
  if (filter.types !== undefined) throw new TypeError(`${where}: give types or stream, not both`)
  if (typeof stream === 'string' && stream !== '') return stream
  if (Number.isSafeInteger(stream)) return String(stream)
  throw new TypeError(`${where}: stream must be a non-empty string or an integer, got ${shown(stream)}`)
}

module.exports = { parseConsumeArgs, checkFrom, checkTypes, checkStream }
