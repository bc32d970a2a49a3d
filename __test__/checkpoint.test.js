'use strict'
// Named consumers in one process: consume(callback, { from, name, onSync }), resuming after
// stop() with sync and promise-returning callbacks, saves at least every 1,000 events and at
// each catch-up, names that cannot leave our directory, option errors, the read and reset
// API, read-only logs, damaged checkpoint files, events({ name }).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { startAfter } = require('../lib/checkpoint')
const { tmpdir, within, deferred, writeLines, DAY_MS } = require('./helpers')

const CONSUMERS = '.eventlog/e-_y-_m-_d.log.d/consumers'

function dayString(ms) {
  return new Date(ms).toISOString().slice(0, 10)
}

/** A log in a fresh directory with `n` events today ({ i }), and their positions. */
async function logWith(t, n, options = {}) {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  if (n > 0)
    writeLines(
      path.join(dir, `e-${dayString(Date.now())}.log`),
      Array.from({ length: n }, (_, i) => ({ i })),
    )
  const log = eventlog({ filename: pattern, ...options })
  t.after(() => log.stop())
  const base = Number(dayString(Date.now()).replaceAll('-', '')) * 1e8
  return { dir, pattern, log, pos: (i) => base + i }
}

/**
 * Consumes until `until(event, meta)` is true (the consumer is then stopped from inside that
 * callback) or it caught up; resolves what it saw, and the consumer.
 */
function consumeUntil(log, options, { until = () => false, callback = () => undefined } = {}) {
  const seen = []
  const done = deferred()
  const c = log.consume(
    (event, meta) => {
      seen.push(event.i)
      const ret = callback(event, meta)
      if (until(event, meta)) {
        c.stop()
        done.resolve()
      }
      return ret
    },
    { ...options, onSync: () => done.resolve() },
  )
  return within(10000, done.promise, 'the named consumer').then(() => ({ seen, consumer: c }))
}

test('a named consumer resumes right after the last event handled: stop() inside a callback, between events, log.stop()', async (t) => {
  const { log, pattern, pos } = await logWith(t, 3000)
  // stop() from inside the callback of event 1234: that event counts once it returns.
  await consumeUntil(log, { name: 'p' }, { until: (e) => e.i === 1234 })
  assert.equal(log.checkpoint('p'), pos(1234))
  // stop() between events, from outside, at whatever event it has reached.
  const seen = []
  const some = deferred()
  const b = log.consume((e) => void (seen.push(e.i) && some.resolve()), { name: 'p' })
  await within(5000, some.promise)
  b.stop()
  assert.equal(seen[0], 1235, 'nothing delivered twice')
  const last = log.checkpoint('p')
  assert.equal(last, pos(seen.at(-1)))
  // The log's stop() saves its consumers too.
  const other = eventlog(pattern)
  const c = await consumeUntil(other, { name: 'p' }, { until: (e) => e.i === 2500 })
  assert.equal(c.seen[0], last - pos(0) + 1)
  other.stop()
  assert.equal(log.checkpoint('p'), pos(2500))
  // And the next one catches up from there, saving at the catch-up.
  const d = await consumeUntil(log, { name: 'p' })
  assert.deepEqual([d.seen[0], d.seen.at(-1), d.seen.length], [2501, 2999, 499])
  assert.equal(log.checkpoint('p'), pos(2999))
  d.consumer.stop()
})

test('promise-returning callbacks: an event counts once its promise settles, even one settling after stop()', async (t) => {
  const { log, pattern, pos } = await logWith(t, 50)
  let release
  let inProgress
  const reached = deferred()
  log.consume(
    (e) => {
      if (e.i < 10) return new Promise((resolve) => setImmediate(resolve))
      inProgress = new Promise((resolve) => (release = resolve))
      reached.resolve()
      return inProgress
    },
    { name: 'async' },
  )
  await within(5000, reached.promise, 'event 10')
  // Event 10 is in progress: stop() saves what settled (0..9), and event 10 once it settles.
  log.stop()
  const reader = eventlog({ filename: pattern, readOnly: true })
  t.after(() => reader.stop())
  assert.equal(reader.checkpoint('async'), pos(9))
  release()
  await inProgress // the consumer's own reaction to it ran first
  assert.equal(reader.checkpoint('async'), pos(10))
  // The next one starts after it; a rejected promise counts as handled too (the consumer goes
  // on past it).
  const next = eventlog(pattern)
  t.after(() => next.stop())
  const errors = []
  const seen = []
  const sync = deferred()
  const c = next.consume(
    (e) => {
      seen.push(e.i)
      return e.i === 11 ? Promise.reject(new Error('no')) : Promise.resolve()
    },
    { name: 'async' },
    () => sync.resolve(),
  )
  c.liveMeta.on('error', (err) => errors.push(err.code))
  await within(5000, sync.promise)
  assert.deepEqual(
    seen,
    Array.from({ length: 39 }, (_, k) => 11 + k),
  )
  assert.deepEqual(errors, ['ERR_CALLBACK'])
  assert.equal(next.checkpoint('async'), pos(49))
})

test('a long replay saves at least every 1,000 events; a callback that throws and a corrupt line count as handled', async (t) => {
  const { dir, log, pos } = await logWith(t, 2500)
  fs.appendFileSync(path.join(dir, `e-${dayString(Date.now())}.log`), 'not json\n')
  writeLines(path.join(dir, `e-${dayString(Date.now())}.log`), [{ i: 2501 }])
  let worst = 0
  const errors = []
  const sync = deferred()
  const c = log.consume(
    (event, meta) => {
      const saved = log.checkpoint('long') ?? pos(0) - 1
      worst = Math.max(worst, meta.pos - saved - 1)
      if (event.i === 2501) throw new Error('the last one fails')
    },
    { name: 'long', onSync: () => sync.resolve() },
  )
  c.liveMeta.on('error', (err) => errors.push(err.code))
  await within(10000, sync.promise)
  assert.ok(worst <= 1000 && worst >= 900, `at most 1,000 events handled and not saved (${worst})`)
  assert.deepEqual(errors, ['ERR_CORRUPT_LINE', 'ERR_CALLBACK'])
  assert.equal(log.checkpoint('long'), pos(2501))
  c.stop()
})

test('from applies only while there is no checkpoint; a reset moves it anywhere, or clears it', async (t) => {
  const { log, pos } = await logWith(t, 20)
  const a = await consumeUntil(log, { name: 'f', from: pos(5) }, { until: (e) => e.i === 7 })
  assert.deepEqual(a.seen, [5, 6, 7])
  const b = await consumeUntil(log, { name: 'f', from: pos(15) }, { until: (e) => e.i === 9 })
  assert.deepEqual(b.seen, [8, 9], 'the checkpoint wins over from')
  assert.equal(log.resetCheckpoint('f', pos(2)), pos(9), 'a reset returns what it held')
  assert.equal(log.checkpoint('f'), pos(2))
  const c = await consumeUntil(log, { name: 'f' }, { until: (e) => e.i === 4 })
  assert.deepEqual(c.seen, [3, 4])
  assert.equal(log.resetCheckpoint('f'), pos(4))
  assert.equal(log.checkpoint('f'), undefined)
  assert.equal(log.resetCheckpoint('f'), undefined)
  const d = await consumeUntil(log, { name: 'f', from: pos(18) })
  d.consumer.stop()
  assert.deepEqual(d.seen, [18, 19])
  assert.deepEqual(log.checkpoints(), [{ name: 'f', pos: pos(19), error: undefined }])
  // Only positions; the core checks their dates.
  for (const bad of [0, -1, 1.5, '2026112600000000', 2n, 5])
    assert.throws(() => log.resetCheckpoint('f', bad), TypeError, String(bad))
  assert.throws(() => log.resetCheckpoint('f', 2026113100000000), eventlog.InvalidDayError)
  assert.equal(log.checkpoint('f'), pos(19))
})

test('a checkpoint on the last line a day can hold moves on to the next day', async (t) => {
  assert.equal(startAfter(2026112600000041), 2026112600000042)
  assert.equal(startAfter(2026113099999999), 2026120100000000)
  assert.equal(startAfter(2026123199999999), 2027010100000000)
  assert.equal(startAfter(2024022899999999), 2024022900000000)
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  writeLines(path.join(dir, `e-${dayString(Date.now() - DAY_MS)}.log`), [{ i: 0 }, { i: 1 }])
  writeLines(path.join(dir, `e-${dayString(Date.now())}.log`), [{ i: 2 }])
  const log = eventlog(pattern)
  t.after(() => log.stop())
  log.resetCheckpoint('d', Number(dayString(Date.now() - DAY_MS).replaceAll('-', '')) * 1e8 + 99999999)
  const { seen } = await consumeUntil(log, { name: 'd' })
  assert.deepEqual(seen, [2])
})

test('names are encoded: ../x, /, ., NUL and the like stay in our directory, each its own file', async (t) => {
  const { dir, log, pos } = await logWith(t, 3)
  const names = [
    '../x',
    '/',
    '.',
    '..',
    '../../../etc/passwd',
    'a\0b',
    'a',
    'A',
    'é',
    'e\u0301',
    'x'.repeat(80),
    'ü'.repeat(40),
  ]
  for (const [k, name] of names.entries()) log.resetCheckpoint(name, pos(k % 3))
  const files = fs.readdirSync(path.join(dir, CONSUMERS))
  assert.equal(files.length, names.length)
  assert.ok(files.every((f) => f.endsWith('.checkpoint') && !f.startsWith('.')))
  assert.deepEqual(fs.readdirSync(dir).sort(), ['.eventlog', `e-${dayString(Date.now())}.log`])
  assert.deepEqual(fs.readdirSync(path.join(dir, '.eventlog/e-_y-_m-_d.log.d')), ['consumers'])
  for (const [k, name] of names.entries()) assert.equal(log.checkpoint(name), pos(k % 3), JSON.stringify(name))
  assert.deepEqual(
    log.checkpoints().map((c) => c.name),
    [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
  )
  // The original package still reads the directory as it was.
  const original = require('@rymdtiden/eventlog')({ filename: path.join(dir, 'e-%y-%m-%d.log'), readOnly: true })
  const seen = []
  const three = deferred()
  original.consume((e) => seen.push(e.i) === 3 && three.resolve())
  await within(5000, three.promise, 'the original reading')
  original.stop()
  assert.deepEqual(seen, [0, 1, 2])
})

test('bad names and options are TypeErrors naming the option, thrown before anything is read or created', async (t) => {
  const { dir, log } = await logWith(t, 3)
  const cb = () => {}
  const cases = [
    [{ name: '' }, /name must be a non-empty string/],
    [{ name: 5 }, /name must be a non-empty string .* got 5/],
    [{ name: null }, /name must be a non-empty string/],
    [{ name: ['a'] }, /name must be a non-empty string .* got an array/],
    [{ name: 'x'.repeat(81) }, /at most 80 bytes of UTF-8, got 81/],
    [{ name: 'é'.repeat(41) }, /at most 80 bytes of UTF-8, got 82/],
    [{ name: 'a\uD800' }, /well-formed/],
    [{ from: 'yesterday' }, /from must be a position: got "yesterday"/],
    [
      { from: 20261126 },
      /from must be a position: 20261126 is a day, not a position; the day's first position is 2026112600000000/,
    ],
    [{ from: 123 }, /from must be a position: got 123; a position is 16 digits/],
    [{ from: -1 }, /from must be a position/],
    [{ from: 1.5 }, /from must be a position/],
    [{ form: 0 }, /unknown option "form"; did you mean "from"\? The options are from, name, onSync/],
    [{ zzz: 0 }, /unknown option "zzz"\. The options are from, name, onSync/],
    [{ onSync: 'x' }, /onSync must be a function/],
  ]
  for (const [options, message] of cases) {
    assert.throws(
      () => log.consume(cb, options),
      (err) => err instanceof TypeError && message.test(err.message),
      JSON.stringify(options),
    )
  }
  assert.throws(() => log.consume(cb, [0]), /position or an options object .* got an array/)
  assert.throws(() => log.consume(cb, { onSync: cb }, cb), /give onSync once/)
  assert.throws(() => log.events({ name: '' }), TypeError)
  assert.throws(() => log.checkpoint(''), TypeError)
  assert.throws(() => log.checkpoint(), TypeError)
  assert.throws(() => log.resetCheckpoint(7), TypeError)
  assert.equal(fs.existsSync(path.join(dir, '.eventlog/e-_y-_m-_d.log.d/consumers')), false, 'nothing created')
  // The original's forms still work: a number or nothing, onSync third.
  const sync = deferred()
  log.consume(cb, undefined, () => sync.resolve())
  await within(5000, sync.promise)
})

test('a read-only log reads checkpoints and creates nothing: a named consumer and a reset are ReadOnlyErrors', async (t) => {
  const { dir, pattern, pos, log: ro } = await logWith(t, 3, { readOnly: true })
  assert.equal(ro.checkpoint('x'), undefined)
  assert.deepEqual(ro.checkpoints(), [])
  assert.throws(
    () => ro.consume(() => {}, { name: 'x' }),
    (err) => err instanceof eventlog.ReadOnlyError && /open the log without readOnly/.test(err.message),
  )
  assert.throws(() => ro.resetCheckpoint('x', pos(1)), eventlog.ReadOnlyError)
  await assert.rejects(ro.events({ name: 'x' }).next(), eventlog.ReadOnlyError)
  assert.deepEqual(fs.readdirSync(dir), [`e-${dayString(Date.now())}.log`], 'nothing created')
  // What a writable log saved, a read-only one reads.
  const rw = eventlog(pattern)
  rw.resetCheckpoint('x', pos(1))
  rw.stop()
  assert.equal(ro.checkpoint('x'), pos(1))
})

test('a damaged checkpoint is reported, treated as missing, and repaired by the next save', async (t) => {
  const { dir, log, pos } = await logWith(t, 5)
  fs.mkdirSync(path.join(dir, CONSUMERS), { recursive: true })
  fs.writeFileSync(path.join(dir, CONSUMERS, 'broken.checkpoint'), 'garbage')
  assert.throws(
    () => log.checkpoint('broken'),
    (err) =>
      err instanceof eventlog.CheckpointError &&
      /damaged: it holds 7 bytes/.test(err.message) &&
      /--reset/.test(err.message),
  )
  const listed = log.checkpoints()
  assert.equal(listed.length, 1)
  assert.ok(listed[0].error instanceof eventlog.CheckpointError)
  const errors = []
  const seen = []
  const sync = deferred()
  const c = log.consume((e) => seen.push(e.i), { name: 'broken', from: pos(2), onSync: () => sync.resolve() })
  c.liveMeta.on('error', (err) => errors.push(err))
  await within(5000, sync.promise)
  assert.deepEqual(seen, [2, 3, 4], 'it starts at from')
  assert.equal(errors.length, 1)
  assert.ok(errors[0] instanceof eventlog.CheckpointError)
  assert.equal(log.checkpoint('broken'), pos(4))
  assert.equal(fs.readFileSync(path.join(dir, CONSUMERS, 'broken.checkpoint'), 'utf8'), `${pos(4)}\n`)
  c.stop()
})

test('events({ name }): a loop that breaks resumes after the last event it finished', async (t) => {
  const { log, pos } = await logWith(t, 10)
  const first = []
  for await (const { event } of log.events({ name: 'it', live: false })) {
    first.push(event.i)
    if (event.i === 3) break
  }
  assert.equal(log.checkpoint('it'), pos(3))
  const rest = []
  for await (const { event } of log.events({ name: 'it', live: false })) rest.push(event.i)
  assert.deepEqual(
    [first, rest],
    [
      [0, 1, 2, 3],
      [4, 5, 6, 7, 8, 9],
    ],
  )
  assert.equal(log.checkpoint('it'), pos(9))
  assert.deepEqual(Object.keys(log).sort(), ['add', 'consume', 'filename', 'stop'])
})
