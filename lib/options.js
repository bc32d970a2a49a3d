'use strict'
// The argument of eventlog(): a pattern, an options object, or nothing.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { meantName, unknownOption } = require('./suggest')

const KNOWN_OPTIONS = ['filename', 'readOnly', 'durable', 'archive', 'onArchiveError', 'streamKey']

// The fields of the `archive` option and their types ('string', 'count': a non-negative safe
// integer, 'ms': a positive one). The core checks what they mean (the URL's form, …).
const ARCHIVE_FIELDS = {
  url: 'string',
  endpoint: 'string',
  region: 'string',
  keepLocalDays: 'count',
  retryTimeoutMs: 'ms',
  maxRetries: 'count',
  pollIntervalMs: 'ms',
  accessKeyId: 'string',
  secretAccessKey: 'string',
  sessionToken: 'string',
}

/** The `archive` option, checked for types: a misspelt field is an error, never ignored. */
function parseArchive(archive) {
  if (archive === undefined || archive === null) return undefined
  if (typeof archive !== 'object' || Array.isArray(archive)) {
    throw new TypeError('eventlog(): archive must be an object such as { url: "s3://bucket/prefix" }')
  }
  const out = {}
  for (const [key, value] of Object.entries(archive)) {
    const type = ARCHIVE_FIELDS[key]
    if (type === undefined) {
      throw new TypeError(
        `eventlog(): archive.${key} is not an archive option; they are ${Object.keys(ARCHIVE_FIELDS).join(', ')}`,
      )
    }
    if (value === undefined || value === null) continue
    const ok =
      type === 'string'
        ? typeof value === 'string'
        : Number.isSafeInteger(value) && (type === 'count' ? value >= 0 : value > 0)
    if (!ok) {
      const wanted =
        type === 'string' ? 'a string' : type === 'count' ? 'a whole number ≥ 0' : 'a whole number of milliseconds > 0'
      // Never echo what might be a credential.
      const shown = /secret|token|key/i.test(key) ? typeof value : JSON.stringify(value)
      throw new TypeError(`eventlog(): archive.${key} must be ${wanted}, got ${shown}`)
    }
    out[key] = value
  }
  if (typeof out.url !== 'string') {
    throw new TypeError('eventlog(): archive.url is required, e.g. { url: "s3://bucket/prefix" }')
  }
  return out
}
const warnedOptions = new Set()

/**
 * An option that is a known one misspelt (`readonly`, `filname`, `durabel`) would silently do
 * nothing, or worse (a writable log, a temporary directory): a TypeError naming the one meant.
 * Other unknown options may be the app's own (the original ignored them): a warning, once per
 * name.
 */
function checkUnknownOptions(options) {
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTIONS.includes(key)) continue
    if (meantName(key, KNOWN_OPTIONS) !== null) throw new TypeError(unknownOption('eventlog()', key, KNOWN_OPTIONS))
    if (warnedOptions.has(key)) continue
    warnedOptions.add(key)
    process.emitWarning(`eventlog(): unknown option "${key}" is ignored; the options are ${KNOWN_OPTIONS.join(', ')}`, {
      type: 'EventlogWarning',
      code: 'EVENTLOG_UNKNOWN_OPTION',
    })
  }
}

/** A yes/no option: true, false, or absent (undefined or null: false). */
function flag(options, name) {
  const value = options[name]
  if (value === undefined || value === null) return false
  if (typeof value !== 'boolean') {
    throw new TypeError(
      `eventlog(): ${name} must be true or false, got ${typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? value : typeof value}`,
    )
  }
  return value
}

/**
 * The `streamKey` option: the field of an event that names its stream, a name or a dotted
 * path ('accountId', 'aggregate.id'); undefined when not given.
 */
function parseStreamKey(streamKey) {
  if (streamKey === undefined || streamKey === null) return undefined
  if (typeof streamKey !== 'string' || streamKey === '' || streamKey.split('.').includes('')) {
    throw new TypeError(
      `eventlog(): streamKey must be a field name such as 'accountId' or a dotted path such as 'aggregate.id', got ${typeof streamKey === 'string' ? JSON.stringify(streamKey) : typeof streamKey}`,
    )
  }
  return streamKey
}

/** `{ filename, readOnly, durable, archive, onArchiveError, streamKey }` from what eventlog() was given. */
function parseOptions(arg) {
  let options
  if (arg === undefined || arg === null) options = {}
  else if (typeof arg === 'string') options = { filename: arg }
  else if (typeof arg === 'object') options = arg
  else {
    throw new TypeError(
      `eventlog() takes a filename pattern such as "data/events-%y-%m-%d.log" or an options object, got ${typeof arg}`,
    )
  }
  // Before anything is made: `{ filname }` must not leave a temporary directory behind.
  checkUnknownOptions(options)
  let filename = options.filename
  if (filename !== undefined && filename !== null && typeof filename !== 'string') {
    throw new TypeError(`eventlog(): filename must be a string pattern, got ${typeof filename}`)
  }
  const readOnly = flag(options, 'readOnly')
  const durable = flag(options, 'durable')
  const archive = parseArchive(options.archive)
  let onArchiveError = options.onArchiveError
  if (onArchiveError === null) onArchiveError = undefined
  if (onArchiveError !== undefined) {
    if (typeof onArchiveError !== 'function') {
      throw new TypeError(`eventlog(): onArchiveError must be a function (err) => …, got ${typeof onArchiveError}`)
    }
    if (archive === undefined) {
      throw new TypeError(
        'eventlog(): onArchiveError is called when a background archive pass fails; give the archive option too, e.g. { archive: { url: "s3://bucket/prefix" } }',
      )
    }
  }
  const streamKey = parseStreamKey(options.streamKey)
  if (filename === undefined || filename === null) {
    filename = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-')), 'events-%y-%m-%d.log')
  }
  return { filename, readOnly, durable, archive, onArchiveError, streamKey }
}

module.exports = { parseOptions, parseArchive }
