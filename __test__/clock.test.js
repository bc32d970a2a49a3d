'use strict'
// Time: UTC days, midnight rollover and a clock that steps back, driven by __setTestNow.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, deferred, readLog } = require('./helpers')

const DAY1_LATE = Date.UTC(2020, 1, 28, 23, 59, 59, 990) // 2020-02-28T23:59:59.990Z
const DAY2_EARLY = Date.UTC(2020, 1, 29, 0, 0, 0, 10) // a leap day

test('at midnight the writer moves to the new day and a live consumer follows', async (t) => {
  t.after(() => eventlog.__setTestNow(null))
  const dir = tmpdir(t)
  eventlog.__setTestNow(DAY1_LATE)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  const seen = []
  const opened = []
  const two = deferred()
  const sync = deferred()
  const c = log.consume(
    (event, meta) => {
      seen.push({ event, ...meta })
      if (seen.length === 2) two.resolve()
    },
    0,
    () => sync.resolve(),
  )
  c.liveMeta.on('open', (f) => opened.push(path.basename(f)))
  await within(5000, sync.promise)

  const a = log.add('before midnight')
  assert.equal(path.basename(a.logfile), 'e-2020-02-28.log')
  const ra = await within(5000, a.promise)
  assert.equal(ra.pos, 2020022800000000)

  eventlog.__setTestNow(DAY2_EARLY)
  const b = log.add('after midnight')
  assert.equal(path.basename(b.logfile), 'e-2020-02-29.log')
  const rb = await within(5000, b.promise)
  assert.deepEqual([rb.pos, rb.prevPos], [2020022900000000, ra.pos])

  await within(5000, two.promise)
  assert.deepEqual(
    seen.map((s) => [s.event, s.pos, s.prevPos]),
    [
      ['before midnight', ra.pos, undefined],
      ['after midnight', rb.pos, ra.pos],
    ],
  )
  assert.deepEqual(opened, ['e-2020-02-28.log', 'e-2020-02-29.log'])
})

test('adds queued in one tick across midnight go to their own days', async (t) => {
  t.after(() => eventlog.__setTestNow(null))
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  eventlog.__setTestNow(DAY1_LATE)
  const a = log.add(1)
  eventlog.__setTestNow(DAY2_EARLY)
  const b = log.add(2)
  const [ra, rb] = await within(5000, Promise.all([a.promise, b.promise]))
  assert.equal(ra.pos, 2020022800000000)
  assert.equal(rb.pos, 2020022900000000)
  assert.equal(rb.prevPos, ra.pos)
})

test('a clock that steps back keeps appending to the newest day, so positions never go down', async (t) => {
  t.after(() => eventlog.__setTestNow(null))
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  eventlog.__setTestNow(DAY2_EARLY)
  const log = eventlog(pattern)
  t.after(() => log.stop())
  const r1 = await within(5000, log.add('on day 2').promise)
  eventlog.__setTestNow(DAY1_LATE)
  const r2 = await within(5000, log.add('clock stepped back').promise)
  assert.ok(r2.pos > r1.pos)
  assert.equal(r2.pos, 2020022900000001)
  assert.equal(fs.existsSync(path.join(dir, 'e-2020-02-28.log')), false)
  // Another instance (another process would do the same) also respects the newest day.
  const other = eventlog(pattern)
  t.after(() => other.stop())
  const r3 = await within(5000, other.add('other writer, clock behind').promise)
  assert.equal(r3.pos, 2020022900000002)
  assert.equal(readLog(path.join(dir, 'e-2020-02-29.log')).length, 3)
})

test('readers ignore logfiles dated after their today', async (t) => {
  t.after(() => eventlog.__setTestNow(null))
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  fs.writeFileSync(path.join(dir, 'e-2020-02-28.log'), JSON.stringify({ event: 'today', meta: { id: 'a' } }) + '\n')
  fs.writeFileSync(path.join(dir, 'e-2020-02-29.log'), JSON.stringify({ event: 'tomorrow', meta: { id: 'b' } }) + '\n')
  eventlog.__setTestNow(DAY1_LATE)
  const log = eventlog({ filename: pattern, readOnly: true })
  t.after(() => log.stop())
  const seen = []
  const sync = deferred()
  log.consume(
    (e) => seen.push(e),
    0,
    () => sync.resolve(),
  )
  await within(5000, sync.promise)
  assert.deepEqual(seen, ['today'])
})
