'use strict'
// verify(): a scan of a whole log, off the JavaScript thread.

const native = require('./native')
const { fromNative } = require('./errors')

/**
 * Scans every logfile of a pattern (or `{ filename }`) and reports torn tails, corrupt lines
 * and logfiles dated in the future, each with file, line and position.
 */
async function verify(arg) {
  const pattern = typeof arg === 'string' ? arg : arg && arg.filename
  if (typeof pattern !== 'string') {
    throw new TypeError('verify() takes a filename pattern such as "data/events-%y-%m-%d.log" or { filename }')
  }
  try {
    return await native.verify(pattern)
  } catch (err) {
    throw fromNative(err)
  }
}

module.exports = { verify }
