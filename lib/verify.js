'use strict'
// verify(): a scan of a whole log, off the JavaScript thread.

const native = require('./native')
const { fromNative } = require('./errors')
const { parseArchive } = require('./options')

/**
 * Scans every logfile of a pattern (or `{ filename, archive }`) and reports torn tails,
 * corrupt lines and logfiles dated in the future, each with file, line and position. With
 * `archive` (the option of eventlog()), the days only the archive holds are read from it and
 * checked too (shown as `s3://bucket/key`).
 */
async function verify(arg) {
  const pattern = typeof arg === 'string' ? arg : arg && arg.filename
  if (typeof pattern !== 'string') {
    throw new TypeError('verify() takes a filename pattern such as "data/events-%y-%m-%d.log" or { filename, archive }')
  }
  try {
    const archive = typeof arg === 'string' ? undefined : parseArchive(arg.archive)
    return await native.verify(pattern, archive)
  } catch (err) {
    throw fromNative(err)
  }
}

module.exports = { verify }
