'use strict'
// Filtering before parsing: consume(cb, { types }) and events({ types }) deliver only events
// whose type field is listed, the others passed over in the core. Positions and prevPos stay
// the log's; named consumers' checkpoints move past what was passed over.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, deferred } = require('./helpers')

const TYPES = ['opened', 'deposited', 'withdrawn', 'closed']

/** A log of two past days; event i has type TYPES[i % 4] (and `meta.kind` the same). */
function plant(t, perDay = 10) {
  const dir = tmpdir(t)
  const days = [2, 1].map((ago) => new Date(Date.now() - ago * 86400000).toISOString().slice(0, 10))
  const all = []
  for (const day of days) {
    const lines = []
    for (let n = 0; n < perDay; n++) {
      const i = all.length
      const event = { type: TYPES[i % 4], i, meta: { kind: TYPES[i % 4] } }
      all.push({ event, pos: Number(day.replaceAll('-', '')) * 1e8 + n })
      lines.push(JSON.stringify({ event, meta: { id: `id${String(i).padStart(30, '0')}` } }))
    }
    fs.writeFileSync(path.join(dir, `e-${day}.log`), lines.join('\n') + '\n')
  }
  all.forEach((e, k) => (e.prevPos = k === 0 ? undefined : all[k - 1].pos))
  return { dir, pattern: path.join(dir, 'e-%y-%m-%d.log'), all }
}

async function replay(log, options) {
  const seen = []
  const synced = deferred()
  const c = log.consume((event, meta) => seen.push({ i: event.i, ...meta }), {
    ...options,
    onSync: () => synced.resolve(),
  })
  await within(10000, synced.promise)
  return { seen, consumer: c }
}

test('consume({ types }) delivers only those types, with the log positions and prevPos of each', async (t) => {
  const { pattern, all } = plant(t)
  const log = eventlog({ filename: pattern, readOnly: true })
  t.after(() => log.stop())
  const { seen } = await replay(log, { types: ['deposited', 'closed'] })
  const want = all.filter((e) => ['deposited', 'closed'].includes(e.event.type))
  assert.deepEqual(
    seen,
    want.map((e) => ({ i: e.event.i, id: `id${String(e.event.i).padStart(30, '0')}`, pos: e.pos, prevPos: e.prevPos })),
  )
  // Across the day boundary too: the first event of the second day follows the first day's last line.
  assert.ok(seen.some((s) => s.pos % 1e8 === 1 && s.prevPos % 1e8 === 0))
})

test('typeKey reads another field, or a dotted path', async (t) => {
  const { pattern, all } = plant(t)
  const log = eventlog({ filename: pattern, readOnly: true })
  t.after(() => log.stop())
  const { seen } = await replay(log, { types: ['opened'], typeKey: 'meta.kind' })
  assert.deepEqual(
    seen.map((s) => s.i),
    all.filter((e) => e.event.type === 'opened').map((e) => e.event.i),
  )
  const none = await replay(log, { types: ['opened'], typeKey: 'kind' })
  assert.deepEqual(none.seen, [])
})

test('live: new events of the types are delivered, others passed over; corrupt lines are still reported', async (t) => {
  const { pattern, dir } = plant(t, 3)
  const log = eventlog(pattern)
  t.after(() => log.stop())
  const seen = []
  const errors = []
  const got = deferred()
  const synced = deferred()
  const c = log.consume(
    (event) => {
      seen.push(event.type + event.n)
      if (event.n === 3) got.resolve()
    },
    { from: 0, types: ['deposited'], onSync: () => synced.resolve() },
  )
  c.liveMeta.on('error', (err) => errors.push(err))
  await within(10000, synced.promise)
  const today = new Date().toISOString().slice(0, 10)
  fs.appendFileSync(path.join(dir, `e-${today}.log`), 'garbage\n')
  for (let n = 1; n <= 3; n++) log.add({ type: n === 2 ? 'withdrawn' : 'deposited', n })
  await within(10000, got.promise)
  assert.deepEqual(seen.slice(-2), ['deposited1', 'deposited3'])
  assert.equal(errors.length, 1)
  assert.ok(errors[0] instanceof eventlog.CorruptLineError)
})

test('events({ types }) iterates only those types', async (t) => {
  const { pattern, all } = plant(t)
  const log = eventlog({ filename: pattern, readOnly: true })
  t.after(() => log.stop())
  const seen = []
  for await (const { event, meta } of log.events({ live: false, types: ['withdrawn'] })) seen.push([event.i, meta.pos])
  assert.deepEqual(
    seen,
    all.filter((e) => e.event.type === 'withdrawn').map((e) => [e.event.i, e.pos]),
  )
})

test("a named consumer's checkpoint moves past the events its filter passed over", async (t) => {
  const { pattern, all } = plant(t)
  const log = eventlog(pattern)
  t.after(() => log.stop())
  // The log ends with a 'closed' event (i = 19): filter on a type whose last event is earlier.
  assert.equal(all.at(-1).event.type, 'closed')
  const { seen, consumer } = await replay(log, { name: 'openings', types: ['opened'] })
  assert.equal(seen.at(-1).i, 16)
  consumer.stop()
  assert.equal(log.checkpoint('openings'), all.at(-1).pos, 'at the end of the log, not at the last opened event')
})

test('types and typeKey are checked', (t) => {
  const log = eventlog({ filename: path.join(tmpdir(t), 'e-%y-%m-%d.log'), readOnly: true })
  t.after(() => log.stop())
  const fn = () => {}
  assert.throws(() => log.consume(fn, { types: 'deposited' }), /types must be a non-empty array of strings/)
  assert.throws(() => log.consume(fn, { types: [] }), /types must be a non-empty array/)
  assert.throws(() => log.consume(fn, { types: [1] }), /types must be a non-empty array of strings/)
  assert.throws(() => log.consume(fn, { typeKey: 'kind' }), /typeKey goes with types/)
  assert.throws(
    () => log.consume(fn, { types: ['a'], typeKey: 'a..b' }),
    /typeKey must be a field name or a dotted path/,
  )
  assert.throws(() => log.events({ types: 'a' }), TypeError)
  assert.throws(() => log.consume(fn, { tyeps: ['a'] }), /did you mean "types"/)
})
