'use strict'
// The compiled core, through the loader napi-rs generates (../native.js, never edited by hand).
// When no binary loads, its error is replaced by one that says what to do (./binding-error.js).
//
// The generated loader tries one binary per machine. Where another one loads too (on Windows
// x64, the GNU build beside the MSVC one: ./platform.js, loadablePlatforms), it is tried, as a
// file beside the loader or as its package, before giving up.
const path = require('node:path')
const { loadablePlatforms } = require('./platform')

function loadAlternative(firstError) {
  for (const platform of loadablePlatforms().slice(1)) {
    for (const candidate of [path.join(__dirname, '..', `eventlog.${platform}.node`), `eventlog-${platform}`]) {
      try {
        return require(candidate)
      } catch (err) {
        if (err.code !== 'MODULE_NOT_FOUND') throw require('./binding-error').bindingError(err)
      }
    }
  }
  throw require('./binding-error').bindingError(firstError)
}

try {
  module.exports = require('../native.js')
} catch (err) {
  module.exports = loadAlternative(err)
}
