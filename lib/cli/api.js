'use strict'
// The package's public API (the CLI uses nothing else), loaded when a command first runs: help
// and usage errors then work, and answer at once, even where the native addon cannot load.

let api = null

module.exports = function eventlogApi() {
  if (api === null) api = require('../..')
  return api
}
