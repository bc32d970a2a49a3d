'use strict'
// Named consumers, on this side: checking a consumer's name, where a named consumer starts,
// its open checkpoint, and the log's checkpoint(name), resetCheckpoint(name, pos) and
// checkpoints(). The files are the core's (src/core/checkpoint.rs): one per name under
// .eventlog/<pattern>.d/consumers/, holding the position of the last event handled; a save
// keeps the larger of its position and what is stored, so processes sharing a name never move
// it back. When to save is lib/consumer.js's business.

const native = require('./native')
const { fromNative, ReadOnlyError } = require('./errors')

const position = require('./position')
const { PER_DAY } = position

/** A value as an error message shows it. */
function shown(value) {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

/** Throws a TypeError unless `name` can name a consumer; `where` names the call. */
function checkName(name, where) {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`${where}: name must be a non-empty string such as "projector", got ${shown(name)}`)
  }
  // The core sees UTF-8; a lone surrogate would become U+FFFD there, and two names one file.
  if (!name.isWellFormed()) {
    throw new TypeError(`${where}: name must be well-formed text; ${shown(name)} holds a lone UTF-16 surrogate`)
  }
  const bytes = Buffer.byteLength(name)
  if (bytes > native.CHECKPOINT_NAME_MAX_BYTES) {
    throw new TypeError(
      `${where}: name must be at most ${native.CHECKPOINT_NAME_MAX_BYTES} bytes of UTF-8, got ${bytes}`,
    )
  }
}

/** Throws a TypeError unless `pos` is a position. */
function checkPosition(pos, where, what) {
  position.checkPosition(pos, what, where)
}

/** Where the consumer after checkpoint `pos` starts: the next line, or the next day's first. */
function startAfter(pos) {
  if (pos % PER_DAY < PER_DAY - 1) return pos + 1
  const day = Math.floor(pos / PER_DAY)
  const next = new Date(Date.UTC(Math.floor(day / 10000), (Math.floor(day / 100) % 100) - 1, (day % 100) + 1))
  return (next.getUTCFullYear() * 10000 + (next.getUTCMonth() + 1) * 100 + next.getUTCDate()) * PER_DAY
}

/** A checkpoint as the core reports it, with a damaged file's error as a CheckpointError. */
function fromState(state) {
  return {
    name: state.name,
    pos: state.pos,
    error: state.damaged === undefined || state.damaged === null ? undefined : fromNative(state.damaged),
  }
}

function call(fn) {
  try {
    return fn()
  } catch (err) {
    throw fromNative(err)
  }
}

/**
 * Opens the checkpoint a named consumer saves to (creating its file if needed):
 * `{ handle, pos, error }`, `pos` the stored position (`undefined`: none, or damaged, when
 * `error` says what is wrong with the file).
 */
function openCheckpoint(key, name) {
  return call(() => {
    const handle = native.NativeCheckpoint.open(key, name)
    return { handle, ...fromState(handle.stored()) }
  })
}

/** `force` from resetCheckpoint's options (`undefined`: none), refusing anything else. */
function resetOptions(options, where) {
  if (options === undefined) return false
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${where}: options must be an object such as { force: true }`)
  for (const key of Object.keys(options)) {
    if (key !== 'force') throw new TypeError(`${where}: unknown option "${key}"; the option is force`)
  }
  if (options.force !== undefined && typeof options.force !== 'boolean') {
    throw new TypeError(`${where}: force must be a boolean, got ${typeof options.force}`)
  }
  return options.force === true
}

/**
 * The log's checkpoint methods for its key (its absolute pattern). Each works on a stopped
 * log too (nothing of the log is needed); a read-only log reads and never writes.
 */
function checkpointMethods(key, readOnly) {
  return {
    /** The position of the last event the consumer `name` handled, or `undefined`. */
    checkpoint(name) {
      checkName(name, 'checkpoint(name)')
      const { pos, error } = fromState(call(() => native.readCheckpoint(key, name)))
      if (error !== undefined) throw error
      return pos
    },

    /**
     * Sets the checkpoint of `name` to `pos` (the next consumer of that name starts right after
     * it), or clears it without `pos` (the next one starts at its `from`). A `pos` past the end
     * of the log is refused with a CheckpointError (the next consumer would skip every event
     * written up to it) unless `{ force: true }`. Returns the position it held (`undefined`:
     * none, or a damaged file).
     */
    resetCheckpoint(name, pos, options) {
      const where = 'resetCheckpoint(name, pos, options)'
      checkName(name, where)
      if (pos !== undefined && pos !== null) checkPosition(pos, where, 'pos')
      const force = resetOptions(options, where)
      if (readOnly)
        throw new ReadOnlyError('this event log is read only; open it without readOnly to reset a checkpoint')
      return call(() => native.resetCheckpoint(key, name, pos ?? undefined, force)).pos
    },

    /** Every checkpoint of the log, by name: `[{ name, pos, error }]`. */
    checkpoints() {
      return call(() => native.listCheckpoints(key)).map(fromState)
    },
  }
}

module.exports = { checkName, checkPosition, startAfter, openCheckpoint, checkpointMethods, shown }
