'use strict'
// The compiled core, through the loader napi-rs generates (../native.js).
module.exports = require('../native.js')
