#!/usr/bin/env node
'use strict'
// An event-sourced account ledger over HTTP: `node examples/ledger [pattern] [port]` (or
// `npm run example`). Commands append events to the log; the projection that answers queries
// is rebuilt from the whole log at start by consume(), then kept up to date live. Stop it and
// start it again: the balances are the same, rebuilt from the events.
//
//   projection.js  the read model: balances and history
//   commands.js    the write side: command -> checked -> event
//   server.js      node:http routes

const path = require('node:path')
const eventlog = require('eventlog')

const { Ledger } = require('./projection')
const { CommandHandler } = require('./commands')
const { createServer } = require('./server')

// By default beside this file (relative to the working directory, so messages stay short).
const pattern = process.argv[2] || path.relative(process.cwd(), path.join(__dirname, 'data', 'events-%y-%m-%d.log'))
const port = Number(process.argv[3] || process.env.PORT || 3000)

const log = eventlog(pattern)
const ledger = new Ledger()

// Commands wait for the projection to apply their own event: `applied(pos)` resolves then.
const waiting = new Map()
function applied(pos) {
  if (ledger.lastPos !== undefined && ledger.lastPos >= pos) return Promise.resolve()
  return new Promise((resolve) => waiting.set(pos, resolve))
}

const started = performance.now()
let listening = false
const consumer = log.consume(
  (event, meta) => {
    ledger.apply(event, meta)
    const resolve = waiting.get(meta.pos)
    if (resolve !== undefined) {
      waiting.delete(meta.pos)
      resolve()
    }
  },
  0,
  () => {
    if (listening) return
    // Caught up with the history: only now are queries answered from a complete ledger.
    listening = true
    const ms = (performance.now() - started).toFixed(0)
    const server = createServer(ledger, new CommandHandler(log, ledger, applied))
    server.listen(port, '127.0.0.1', () => {
      console.log(`rebuilt ${ledger.applied} events in ${ms} ms from ${pattern}`)
      console.log(`ledger listening on http://127.0.0.1:${server.address().port}`)
    })
    const shutdown = () => {
      server.close()
      server.closeAllConnections()
      consumer.stop()
      log.stop()
    }
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
  },
)
consumer.liveMeta.on('error', (err) => console.error(`ledger: ${err.message}`))
