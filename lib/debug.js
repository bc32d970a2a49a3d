'use strict'
// DEBUG=eventlog:* tracing on the JavaScript side. Whether an area is on is decided by the
// core's matcher (one reading of DEBUG for the whole package), asked once per area.

const native = require('./native')

/** A function that prints `eventlog:<area> message` on stderr, or null when the area is off. */
function debugFor(area) {
  if (!native.debugEnabled(area)) return null
  return (message) => console.error(`eventlog:${area} ${message}`)
}

module.exports = { debugFor }
