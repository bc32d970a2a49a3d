'use strict'
// log.events(): async iteration over consume(), with its order and backpressure; break,
// live: false, log.stop(), and what becomes of the errors consume reports.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { pathToFileURL } = require('node:url')
const { test } = require('node:test')

const eventlog = require('..')
const { EventIterator } = require('../lib/events')
const { tmpdir, within, deferred, runNode, writeLines, DAY_MS } = require('./helpers')

function dayFile(dir, ms) {
  return path.join(dir, `e-${new Date(ms).toISOString().slice(0, 10)}.log`)
}

test('events() is not enumerable: Object.keys(log) stays the original four', (t) => {
  const log = eventlog(path.join(tmpdir(t), 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  assert.deepEqual(Object.keys(log).sort(), ['add', 'consume', 'filename', 'stop'])
  assert.equal(typeof log.events, 'function')
  assert.throws(() => log.events({ from: 'yesterday' }), TypeError)
  assert.throws(() => log.events({ onError: 1 }), TypeError)
})

test('yields what consume delivers, in the same order, and live: false ends at the current end', async (t) => {
  const dir = tmpdir(t)
  writeLines(
    dayFile(dir, Date.now() - 2 * DAY_MS),
    Array.from({ length: 700 }, (_, i) => ({ i })),
  )
  writeLines(
    dayFile(dir, Date.now() - DAY_MS),
    Array.from({ length: 600 }, (_, i) => ({ i: 700 + i })),
  )
  const log = eventlog({ filename: path.join(dir, 'e-%y-%m-%d.log'), readOnly: true })
  t.after(() => log.stop())
  const consumed = []
  const synced = deferred()
  const c = log.consume(
    (event, meta) => consumed.push({ event, meta }),
    0,
    () => synced.resolve(),
  )
  await within(5000, synced.promise)
  c.stop()
  const iterated = []
  await within(
    5000,
    (async () => {
      for await (const record of log.events({ live: false })) iterated.push(record)
    })(),
    'iterating to the end',
  )
  assert.equal(iterated.length, 1300)
  assert.deepEqual(iterated, consumed)
  // `from` as in consume.
  const from = consumed[650].meta.pos
  const tail = []
  for await (const { meta } of log.events({ from, live: false })) tail.push(meta.pos)
  assert.deepEqual(
    tail,
    consumed.slice(650).map((r) => r.meta.pos),
  )
})

test('live: false on a log with no logfile yet ends at once', async (t) => {
  const log = eventlog({ filename: path.join(tmpdir(t), 'none/e-%y-%m-%d.log'), readOnly: true })
  t.after(() => log.stop())
  const seen = []
  await within(
    5000,
    (async () => {
      for await (const record of log.events({ live: false })) seen.push(record)
    })(),
  )
  assert.deepEqual(seen, [])
})

test('live iteration delivers new events after the history; log.stop() ends the loop', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  await within(5000, log.add({ n: 0 }).promise)
  const seen = []
  const loop = (async () => {
    for await (const { event, meta } of log.events()) {
      seen.push([event.n, meta.pos % 1e8])
      // The first one is history; the second is added from inside the loop, live.
      if (event.n === 0) log.add({ n: 1 })
      if (event.n === 1) log.stop()
    }
    return 'ended'
  })()
  assert.equal(await within(5000, loop, 'the loop ending on stop()'), 'ended')
  assert.deepEqual(seen, [
    [0, 0],
    [1, 1],
  ])
  // After stop(), the first pull says why there is nothing.
  await assert.rejects(log.events().next(), eventlog.StoppedError)
})

test('backpressure: each callback waits until the loop pulls again, one event out at a time', async () => {
  // A stand-in for consume() that records what the iterator hands back to it.
  let callback
  let onSync
  let stopped = false
  const fake = (cb, from, sync) => {
    callback = cb
    onSync = sync
    return { stop: () => (stopped = true), liveMeta: new (require('node:events'))() }
  }
  const it = new EventIterator(fake, { from: 2026112600000005, live: false }, new Set())
  assert.equal(callback, undefined, 'the consumer starts at the first pull, not before')
  const first = it.next()
  const held = callback(1, { pos: 1 })
  assert.deepEqual(await first, { value: { event: 1, meta: { pos: 1 } }, done: false })
  // The loop body runs: the consumer stays held back until it asks for more.
  let released = false
  held.then(() => (released = true))
  await new Promise((r) => setImmediate(r))
  assert.equal(released, false)
  const second = it.next()
  await held
  assert.equal(released, true)
  const held2 = callback(2, { pos: 2 })
  assert.deepEqual((await second).value.event, 2)
  const third = it.next()
  await held2
  onSync()
  assert.deepEqual(await third, { value: undefined, done: true })
  assert.equal(stopped, true)
})

test('a slow loop body holds back delivery: nothing is lost or reordered, live events included', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  await within(5000, Promise.all(Array.from({ length: 30 }, (_, n) => log.add({ n }).promise)))
  const seen = []
  let inBody = 0
  for await (const { event } of log.events()) {
    inBody++
    assert.equal(inBody, 1)
    seen.push(event.n)
    // Events keep arriving while the body is slow.
    if (event.n < 30) log.add({ n: 30 + event.n })
    await new Promise((r) => setTimeout(r, 1))
    inBody--
    if (seen.length === 60) break
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 60 }, (_, n) => n),
  )
})

test('break stops the consumer: a process that breaks out of a replay exits by itself', async (t) => {
  const dir = tmpdir(t)
  writeLines(
    dayFile(dir, Date.now() - DAY_MS),
    Array.from({ length: 50000 }, (_, i) => i),
  )
  const r = await runNode(
    `(async () => {
       const log = eventlog({ filename: process.argv[1], readOnly: true })
       let n = 0
       for await (const { event } of log.events()) if (++n === 10) break
       console.log('broke after', n)
     })()`,
    { args: [path.join(dir, 'e-%y-%m-%d.log')], timeoutMs: 15000 },
  )
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /broke after 10/)
  assert.equal(r.stderr, '')
})

/** The script of a replay that waits, live, for the event `{ n: 2 }`, in CommonJS or as ESM. */
function waitingReplay(esm) {
  // beforeExit fires once the event loop has nothing left: while the loop waits, it must not.
  const body = `let done = false
  process.on('beforeExit', () => done || console.log('the event loop emptied while the loop waited'))
  for await (const { event } of log.events()) {
    console.log('got', event.n)
    if (event.n === 2) break
  }
  done = true
  console.log('done')`
  return esm
    ? `import eventlog from ${JSON.stringify(pathToFileURL(path.join(__dirname, '..', 'index.mjs')).href)}\nconst log = eventlog(process.argv[2])\n${body}\n`
    : `(async () => {\nconst log = eventlog(process.argv[1])\n${body}\n})()`
}

for (const esm of [false, true]) {
  test(`a live for await keeps its process alive while it waits, and lets it go at break (${esm ? 'ESM' : 'CommonJS'})`, async (t) => {
    const dir = tmpdir(t)
    const pattern = path.join(dir, 'e-%y-%m-%d.log')
    const log = eventlog(pattern)
    t.after(() => log.stop())
    await log.add({ n: 1 }).promise
    const seenFirst = deferred()
    let script
    if (esm) {
      script = path.join(dir, 'replay.mjs')
      fs.writeFileSync(script, waitingReplay(true))
    }
    const run = runNode(esm ? undefined : waitingReplay(false), {
      file: script,
      args: [pattern],
      timeoutMs: 20000,
      onStdout: (out) => /got 1/.test(out) && seenFirst.resolve(),
    })
    // The child has replayed the history and waits for the next event: it must still be there
    // for this one, added by another process.
    await within(
      15000,
      Promise.race([
        seenFirst.promise,
        run.then((r) => assert.fail(`exited before the first event: ${JSON.stringify(r)}`)),
      ]),
      'the first event',
    )
    await log.add({ n: 2 }).promise
    const r = await run
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'got 1\ngot 2\ndone\n')
  })
}

test('errors: onError gets corrupt lines and iteration goes on; without it, a warning once', async (t) => {
  const dir = tmpdir(t)
  const file = dayFile(dir, Date.now() - DAY_MS)
  writeLines(file, [1, 2])
  fs.appendFileSync(file, 'not json\n')
  writeLines(file, [3])
  const log = eventlog({ filename: path.join(dir, 'e-%y-%m-%d.log'), readOnly: true })
  t.after(() => log.stop())
  const errors = []
  const seen = []
  for await (const { event } of log.events({ live: false, onError: (err) => errors.push(err) })) seen.push(event)
  assert.deepEqual(seen, [1, 2, 3])
  assert.equal(errors.length, 1)
  assert.ok(errors[0] instanceof eventlog.CorruptLineError)

  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  t.after(() => process.removeListener('warning', onWarning))
  const again = []
  for await (const { event } of log.events({ live: false })) again.push(event)
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(again, [1, 2, 3])
  assert.equal(warnings.filter((w) => w.code === 'ERR_CORRUPT_LINE').length, 1)
})

test('errors: a ReadError ends the iteration by throwing from the loop', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  const added = [1, 2, 3].map((n) => log.add(n))
  await within(5000, Promise.all(added.map((a) => a.promise)))
  const file = added[0].logfile
  const seen = []
  const loop = (async () => {
    for await (const { event } of log.events()) {
      seen.push(event)
      // Caught up: cut the logfile under the reader.
      if (event === 3) fs.truncateSync(file, 10)
    }
  })()
  await assert.rejects(
    within(5000, loop, 'the read error'),
    (err) => err instanceof eventlog.ReadError && /shrank/.test(err.message),
  )
  assert.deepEqual(seen, [1, 2, 3])
})
