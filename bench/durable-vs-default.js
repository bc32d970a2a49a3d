'use strict'
// Durable vs default add bursts of 20,000 events, alternating, in one process. Run with
// DEBUG=eventlog:writer to see each flush: `flushed N events with one fdatasync`.
//   DEBUG=eventlog:writer node bench/durable-vs-default.js

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const eventlog = require('..')
const { makeEvent } = require('./fixtures')

const N = 20000

async function burst(durable) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-durable-'))
  const log = eventlog({ filename: path.join(dir, 'e-%y-%m-%d.log'), durable })
  const events = Array.from({ length: N }, (_, i) => makeEvent(i))
  const t0 = performance.now()
  await Promise.all(events.map((e) => log.add(e).promise))
  const perSec = Math.round((N / (performance.now() - t0)) * 1000)
  log.stop()
  fs.rmSync(dir, { recursive: true, force: true })
  return perSec
}

async function main() {
  for (let round = 0; round < 3; round++) {
    for (const durable of [false, true]) console.log(JSON.stringify({ durable, eventsPerSec: await burst(durable) }))
  }
}
main()
