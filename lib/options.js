'use strict'
// The argument of eventlog(): a pattern, an options object, or nothing.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const KNOWN_OPTIONS = new Set(['filename', 'readOnly', 'durable', 'archive'])

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
      const wanted = type === 'string' ? 'a string' : type === 'count' ? 'a whole number ≥ 0' : 'a whole number of milliseconds > 0'
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

/** A misspelt option (`durabel: true`) would silently do nothing: say so, once per name. */
function warnUnknownOptions(options) {
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(key) || warnedOptions.has(key)) continue
    warnedOptions.add(key)
    process.emitWarning(
      `eventlog(): unknown option "${key}" is ignored; the options are ${[...KNOWN_OPTIONS].join(', ')}`,
      { type: 'EventlogWarning', code: 'EVENTLOG_UNKNOWN_OPTION' },
    )
  }
}

/** `{ filename, readOnly, durable, archive }` from what eventlog() was given. */
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
  let filename = options.filename
  if (filename === undefined || filename === null) {
    filename = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-')), 'events-%y-%m-%d.log')
  } else if (typeof filename !== 'string') {
    throw new TypeError(`eventlog(): filename must be a string pattern, got ${typeof filename}`)
  }
  warnUnknownOptions(options)
  return {
    filename,
    readOnly: Boolean(options.readOnly),
    durable: Boolean(options.durable),
    archive: parseArchive(options.archive),
  }
}

module.exports = { parseOptions }
