'use strict'
// Streams (issue 15): an event's stream is named by its field at `streamKey`; readStream and
// streamVersion find a stream's events through the stream index; add(event,
// { expectedVersion }) is checked under the writers' lock, across processes. The index is
// never trusted over the data: deleted or damaged, the results are the same (and cut short by
// a crash: faults.test.js).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { ConflictError, InvalidStreamKeyError } = eventlog
const { ROOT, tmpdir, within, runNode } = require('./helpers')

const DAY_MS = 86400000

function dayString(ago) {
  return new Date(Date.now() - ago * DAY_MS).toISOString().slice(0, 10)
}

/**
 * Plants `days` past days of `perDay` events each in the package's line format; event i is in
 * stream `s${i % streams}` (every seventh one in none). Returns the pattern and the events.
 */
function plant(dir, { days = 3, perDay = 50, streams = 5 } = {}) {
  const all = []
  for (let ago = days; ago >= 1; ago--) {
    const day = dayString(ago)
    const lines = []
    for (let n = 0; n < perDay; n++) {
      const i = all.length
      const event = i % 7 === 6 ? { i } : { acc: `s${i % streams}`, i }
      all.push({ event, pos: Number(day.replaceAll('-', '')) * 1e8 + n })
      lines.push(JSON.stringify({ event, meta: { id: `id${String(i).padStart(30, '0')}` } }))
    }
    fs.writeFileSync(path.join(dir, `e-${day}.log`), lines.join('\n') + '\n')
  }
  return { pattern: path.join(dir, 'e-%y-%m-%d.log'), all }
}

/** What a stream's read should give, from the events as written: `[[i, version, pos]]`. */
function expected(all, id) {
  return all.filter((e) => e.event.acc === id).map((e, k) => [e.event.i, k + 1, e.pos])
}

function summary(read) {
  return read.events.map((e) => [e.event.i, e.meta.version, e.meta.pos])
}

test('versions count a stream from 1 in log order; reads go forwards, backwards, by range', async (t) => {
  const log = eventlog({ filename: path.join(tmpdir(t), 'e-%y-%m-%d.log'), streamKey: 'acc' })
  t.after(() => log.stop())
  const results = await Promise.all(
    [{ acc: 'a' }, { acc: 'b' }, { acc: 'a' }, { other: 1 }, { acc: 7 }, { acc: '7' }, { acc: 1.5 }].map(
      (e, i) => log.add({ ...e, i }).promise,
    ),
  )
  assert.deepEqual(
    results.map((r) => r.version),
    [1, 1, 2, undefined, 1, 2, undefined],
  )
  const a = await log.readStream('a')
  assert.equal(a.version, 2)
  assert.deepEqual(
    a.events.map((e) => [e.event.i, e.meta.version, e.meta.pos, e.meta.prevPos, e.meta.id]),
    [
      [0, 1, results[0].pos, undefined, results[0].id],
      [2, 2, results[2].pos, results[1].pos, results[2].id],
    ],
  )
  // 7 and "7" are one stream.
  assert.deepEqual(
    (await log.readStream(7)).events.map((e) => e.event.i),
    [4, 5],
  )
  for (let i = 0; i < 5; i++) await log.add({ acc: 'a', i: 10 + i }).promise
  const versions = (r) => r.events.map((e) => e.meta.version)
  assert.deepEqual(versions(await log.readStream('a', { from: 3, to: 5 })), [3, 4, 5])
  assert.deepEqual(versions(await log.readStream('a', { backwards: true, limit: 3 })), [7, 6, 5])
  assert.deepEqual(versions(await log.readStream('a', { from: 6, limit: 10 })), [6, 7])
  assert.deepEqual(await log.readStream('a', { limit: 0 }), { version: 7, events: [] })
  assert.deepEqual(await log.readStream('nobody'), { version: 0, events: [] })
  assert.equal(await log.streamVersion('a'), 7)
  assert.equal(await log.streamVersion('nobody'), 0)
  await assert.rejects(log.readStream(''), TypeError)
  await assert.rejects(log.readStream('a', { form: 1 }), /unknown option "form"; did you mean "from"\?/)
  await assert.rejects(log.readStream('a', { from: 0 }), /from must be a whole number ≥ 1/)
  const plain = eventlog({ filename: path.join(tmpdir(t), 'e-%y-%m-%d.log') })
  t.after(() => plain.stop())
  await assert.rejects(plain.readStream('a'), InvalidStreamKeyError)
  assert.throws(() => eventlog({ filename: path.join(tmpdir(t), 'x-%y-%m-%d.log'), streamKey: 'a..b' }), TypeError)
  assert.throws(() => plain.add({ acc: 'a' }, { expectedVersion: 0 }), /has no streamKey/)
  assert.throws(() => log.add({ other: 1 }, { expectedVersion: 0 }), /names no stream/)
  assert.throws(() => log.add({ acc: 'a' }, { expectedVersion: -1 }), /expectedVersion must be/)
  assert.throws(() => log.add({ acc: 'a' }, { expectedVersoin: 1 }), /did you mean "expectedVersion"/)
})

test('expectedVersion: one of two adds in one tick wins; other streams never conflict', async (t) => {
  const log = eventlog({ filename: path.join(tmpdir(t), 'e-%y-%m-%d.log'), streamKey: 'aggregate.id' })
  t.after(() => log.stop())
  await log.add({ aggregate: { id: 'x' }, n: 0 }, { expectedVersion: 0 }).promise
  const first = log.add({ aggregate: { id: 'x' }, n: 1 }, { expectedVersion: 1 })
  const second = log.add({ aggregate: { id: 'x' }, n: 2 }, { expectedVersion: 1 })
  const other = log.add({ aggregate: { id: 'y' }, n: 3 }, { expectedVersion: 0 })
  const [won, lost, elsewhere] = await Promise.allSettled([first.promise, second.promise, other.promise])
  assert.equal(won.status, 'fulfilled')
  assert.equal(won.value.version, 2)
  assert.equal(elsewhere.status, 'fulfilled')
  assert.equal(elsewhere.value.version, 1)
  assert.equal(lost.status, 'rejected')
  assert.ok(lost.reason instanceof ConflictError)
  assert.equal(lost.reason.code, 'ERR_CONFLICT')
  assert.deepEqual([lost.reason.stream, lost.reason.expectedVersion, lost.reason.actualVersion], ['x', 1, 2])
  // With expectedPrevPos as well, both must hold.
  const end = won.value.pos + 1
  await assert.rejects(log.add({ aggregate: { id: 'x' } }, { expectedVersion: 2, expectedPrevPos: end - 5 }).promise, {
    name: 'ConflictError',
  })
  const both = await log.add({ aggregate: { id: 'x' } }, { expectedVersion: 2, expectedPrevPos: end }).promise
  assert.equal(both.version, 3)
  assert.deepEqual(
    (await log.readStream('x')).events.map((e) => e.event.n),
    [0, 1, undefined],
  )
})

test('history written before the option, by the original package too, has streams', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const original = require('@rymdtiden/eventlog')({ filename: pattern })
  for (let i = 0; i < 6; i++) await original.add({ acc: i % 2 ? 'odd' : 'even', i }).promise
  original.stop()
  const log = eventlog({ filename: pattern, streamKey: 'acc' })
  t.after(() => log.stop())
  assert.deepEqual(
    (await log.readStream('odd')).events.map((e) => [e.event.i, e.meta.version]),
    [
      [1, 1],
      [3, 2],
      [5, 3],
    ],
  )
  assert.equal((await log.add({ acc: 'odd' }).promise).version, 4)
})

test('sealed days are indexed in our files; deleted or damaged, the results are the same', async (t) => {
  const dir = tmpdir(t)
  const { pattern, all } = plant(dir, { days: 3, perDay: 400, streams: 9 })
  const open = () => eventlog({ filename: pattern, streamKey: 'acc' })
  let log = open()
  const report = await log.indexStreams()
  // Every past day: a writable log seals the days before today first, yesterday too.
  assert.deepEqual([report.days, report.events], [3, all.filter((e) => e.event.acc !== undefined).length])
  const want = {}
  for (let s = 0; s < 9; s++) {
    want[s] = expected(all, `s${s}`)
    assert.deepEqual(summary(await log.readStream(`s${s}`)), want[s], `s${s}`)
  }
  await log.stop()
  const indexDir = path.join(dir, '.eventlog', 'e-_y-_m-_d.log.d', 'streams', 'acc')
  const files = fs.readdirSync(indexDir).filter((f) => f.endsWith('.sidx'))
  assert.equal(files.length, 3)
  const bytes = files.reduce((n, f) => n + fs.statSync(path.join(indexDir, f)).size, 0)
  assert.ok(bytes / report.events <= 24, `${bytes / report.events} bytes per event`)
  const damages = [
    (f) => fs.rmSync(f),
    (f) => fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2)),
    (f) => {
      const b = fs.readFileSync(f)
      for (let at = 40; at < b.length; at += 97) b[at] ^= 0x5a
      fs.writeFileSync(f, b)
    },
    (f) => fs.writeFileSync(f, 'not an index'),
  ]
  for (const [k, damage] of damages.entries()) {
    for (const f of files) damage(path.join(indexDir, f))
    log = open()
    for (let s = 0; s < 9; s++) assert.deepEqual(summary(await log.readStream(`s${s}`)), want[s], `damage ${k}, s${s}`)
    await log.stop()
  }
})

test('a read-only log reads streams and creates nothing on disk', async (t) => {
  const dir = tmpdir(t)
  const { pattern, all } = plant(dir)
  const log = eventlog({ filename: pattern, streamKey: 'acc', readOnly: true })
  assert.deepEqual(summary(await log.readStream('s3')), expected(all, 's3'))
  await log.stop()
  assert.equal(fs.existsSync(path.join(dir, '.eventlog')), false)
})

test('events({ stream }) replays a stream from a version, then follows it live', async (t) => {
  const dir = tmpdir(t)
  const { pattern, all } = plant(dir, { days: 2, perDay: 30, streams: 3 })
  const log = eventlog({ filename: pattern, streamKey: 'acc' })
  t.after(() => log.stop())
  const history = expected(all, 's1')
  const seen = []
  const done = (async () => {
    for await (const { event, meta } of log.events({ stream: 's1', from: 3 })) {
      seen.push([event.i, meta.version])
      if (seen.length === history.length - 2) {
        // History is through: new events, of this stream and others.
        log.add({ acc: 's2', i: 1000 })
        log.add({ acc: 's1', i: 1001 })
      }
      if (event.i === 1001) break
    }
  })()
  await within(10000, done, 'the stream iterator')
  assert.deepEqual(seen, [...history.slice(2).map(([i, v]) => [i, v]), [1001, history.length + 1]])
  // consume({ stream }) hands over that stream's events only, by position.
  const got = []
  await within(
    10000,
    new Promise((resolve) => {
      const c = log.consume((event) => got.push(event.i), {
        stream: 's0',
        onSync: () => {
          c.stop()
          resolve()
        },
      })
    }),
    'consume({ stream })',
  )
  assert.deepEqual(
    got,
    expected(all, 's0').map(([i]) => i),
  )
})

test('eventlog cat --stream prints one stream with versions', async (t) => {
  const dir = tmpdir(t)
  const { pattern, all } = plant(dir, { days: 2, perDay: 20, streams: 4 })
  const bin = path.join(ROOT, 'bin', 'eventlog.js')
  const r = await runNode('', { file: bin, args: ['cat', pattern, '--stream', 's2', '--stream-key', 'acc'] })
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trim().split('\n').map(JSON.parse)
  assert.deepEqual(
    lines.map((l) => [l.event.i, l.version, l.pos]),
    expected(all, 's2'),
  )
  const bad = await runNode('', { file: bin, args: ['cat', pattern, '--stream', 's2'] })
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--stream and --stream-key go together/)
})

test('8 processes race expectedVersion on one stream: one winner per round, others append meanwhile', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const ROUNDS = 10
  const script = `
    const who = Number(process.argv[1])
    const log = eventlog({ filename: ${JSON.stringify(pattern)}, streamKey: 'acc' })
    ;(async () => {
      let wins = 0
      let own = 0
      for (let round = 0; round < ${ROUNDS}; round++) {
        try {
          const r = await log.add({ acc: 'hot', round, who }, { expectedVersion: round }).promise
          if (r.version !== round + 1) throw new Error('version ' + r.version)
          wins++
        } catch (err) {
          if (err.code !== 'ERR_CONFLICT' || err.actualVersion <= round - 1) throw err
        }
        // Appends to a stream of its own never conflict.
        await log.add({ acc: 'own-' + who, n: own }, { expectedVersion: own }).promise
        own++
        // The next round starts once this one is decided.
        while ((await log.streamVersion('hot')) < round + 1) await new Promise((r) => setImmediate(r))
      }
      await log.stop()
      console.log(JSON.stringify({ wins, own }))
    })().catch((err) => { console.error(err); process.exit(1) })
  `
  const children = Array.from({ length: 8 }, (_, who) => runNode(script, { args: [String(who)], timeoutMs: 60000 }))
  const results = await Promise.all(children)
  for (const r of results) assert.equal(r.code, 0, r.stderr)
  const out = results.map((r) => JSON.parse(r.stdout))
  assert.equal(
    out.reduce((n, o) => n + o.wins, 0),
    ROUNDS,
  )
  for (const o of out) assert.equal(o.own, ROUNDS)
  const log = eventlog({ filename: pattern, streamKey: 'acc', readOnly: true })
  t.after(() => log.stop())
  const hot = await log.readStream('hot')
  assert.deepEqual(
    hot.events.map((e) => [e.event.round, e.meta.version]),
    Array.from({ length: ROUNDS }, (_, r) => [r, r + 1]),
  )
  for (let who = 0; who < 8; who++) {
    assert.deepEqual(
      (await log.readStream(`own-${who}`)).events.map((e) => e.event.n),
      Array.from({ length: ROUNDS }, (_, n) => n),
    )
  }
})

test('the example aggregate runs: two commands on one account, one retries after a conflict', async () => {
  const r = await runNode('', { file: path.join(ROOT, 'examples', 'accounts.js'), timeoutMs: 30000 })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /conflict/i)
})
