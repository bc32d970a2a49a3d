'use strict'
// The argument of eventlog(): a pattern, an options object, or nothing.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const KNOWN_OPTIONS = new Set(['filename', 'readOnly', 'durable'])
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

/** `{ filename, readOnly, durable }` from what eventlog() was given. */
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
  return { filename, readOnly: Boolean(options.readOnly), durable: Boolean(options.durable) }
}

module.exports = { parseOptions }
