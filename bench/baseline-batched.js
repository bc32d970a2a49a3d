'use strict'
// "batched" in the bench tables: the plain-Node baseline with the fastest writer JavaScript
// alone can have, one `fs.writeSync` per tick for all the lines added in it, each add's
// promise resolved after that write. See bench/baseline.js.
module.exports = require('./baseline').batched
