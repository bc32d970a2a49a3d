'use strict'
// The compiled core, through the loader napi-rs generates (../native.js, never edited by hand).
// When no binary loads, its error is replaced by one that says what to do (./binding-error.js).
try {
  module.exports = require('../native.js')
} catch (err) {
  throw require('./binding-error').bindingError(err)
}
