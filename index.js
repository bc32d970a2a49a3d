'use strict'
// eventlog: an append-only local event store, a drop-in for @rymdtiden/eventlog. The storage
// work happens in the Rust core; lib/ holds what must live on the JavaScript thread:
//
//   lib/log.js        eventlog(): one instance, joining a writer and its consumers
//   lib/writer.js     add(): lines batched per tick, results settled in order
//   lib/consumer.js   consume(): the loop that calls your callback event by event
//   lib/consume-options.js  consume()'s arguments: a position or { from, name, onSync }
//   lib/checkpoint.js named consumers: names, where they start, checkpoint()/resetCheckpoint()
//   lib/options.js    the argument of eventlog()
//   lib/errors.js     the exported error classes and the core's error codes
//   lib/keepalive.js  holding the event loop exactly as long as needed
//   lib/clock.js      UTC days and the test clock
//   lib/ids.js        event ids
//   lib/events.js     log.events(): async iteration on top of consume()
//   lib/verify.js     verify()
//   lib/stat.js       stat()
//   lib/debug.js      DEBUG=eventlog:* on this side
//   lib/native.js     loading the compiled core

const { eventlog } = require('./lib/log')
const { verify } = require('./lib/verify')
const { stat } = require('./lib/stat')
const { __setTestNow } = require('./lib/clock')
const { EventlogError, classes } = require('./lib/errors')

module.exports = eventlog
Object.assign(eventlog, { eventlog, default: eventlog, verify, stat, __setTestNow, EventlogError, ...classes })
