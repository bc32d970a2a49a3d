'use strict'
// What a consumer holds while replaying a long history: writes N events over 3 days, replays
// them with a callback that keeps nothing, and prints peak RSS and the heap left after a GC.
//   node --expose-gc bench/replay-memory.js 2000000

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const eventlog = require('..')
const { PATTERN_NAME } = require('./fixtures')

const n = Number(process.argv[2] || 500000)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-replay-memory-'))
// Written by another process, so that writing it does not count in this one's peak RSS.
const fixtures = JSON.stringify(path.join(__dirname, 'fixtures'))
execFileSync(process.execPath, [
  '-e',
  `const f = require(${fixtures}); f.writeHistory(${JSON.stringify(dir)}, f.spread(${n}, 3))`,
])
const log = eventlog({ filename: path.join(dir, PATTERN_NAME), readOnly: true })
let events = 0
log.consume(
  () => {
    events++
  },
  0,
  () => {
    if (global.gc) global.gc()
    const m = process.memoryUsage()
    const mb = (b) => Math.round(b / 1048576)
    console.log(
      JSON.stringify({
        events,
        peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
        heapUsedAfterGcMB: mb(m.heapUsed),
      }),
    )
    log.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  },
)
