'use strict'
// The compiled core, through the loader napi-rs generates (../native.js, never edited by hand).
// When no binary loads, its error is replaced by one that says what to do (./binding-error.js).
//
// On Windows x64 the generated loader takes the MSVC binary for the official (MSVC-built)
// node.exe. An addon built with the GNU toolchain loads there just as well (N-API is a C ABI
// and the addon links no C++ runtime), so where no MSVC binary is installed the GNU one is
// tried before giving up.
const path = require('node:path')

function loadGnuOnWindows(firstError) {
  const name = 'eventlog.win32-x64-gnu.node'
  for (const candidate of [path.join(__dirname, '..', name), 'eventlog-win32-x64-gnu']) {
    try {
      return require(candidate)
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') throw require('./binding-error').bindingError(err)
    }
  }
  throw require('./binding-error').bindingError(firstError)
}

try {
  module.exports = require('../native.js')
} catch (err) {
  if (process.platform === 'win32' && process.arch === 'x64') module.exports = loadGnuOnWindows(err)
  else throw require('./binding-error').bindingError(err)
}
