'use strict'
// Optimistic concurrency: add(event, { expectedPrevPos }) appends only if the event would
// directly follow that position, decided under the writers' lock for each event, so it holds
// within one tick and across processes; the loser gets a ConflictError and nothing is written.

const assert = require('node:assert/strict')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, startNode, readLog } = require('./helpers')

function open(t, options = {}) {
  const log = eventlog({ filename: path.join(tmpdir(t), 'e-%y-%m-%d.log'), ...options })
  t.after(() => log.stop())
  return log
}

const settle = (p) =>
  p.then(
    (v) => ({ ok: v }),
    (e) => ({ err: e }),
  )

test('null means "only into an empty log"; within one tick each event is checked against the ones before it', async (t) => {
  const log = open(t)
  const [a, b] = [log.add('a', { expectedPrevPos: null }), log.add('b', { expectedPrevPos: null })]
  const first = await within(5000, a.promise)
  const second = await within(5000, settle(b.promise))
  assert.equal(first.prevPos, undefined)
  assert.ok(second.err instanceof eventlog.ConflictError)
  assert.equal(second.err.code, 'ERR_CONFLICT')
  assert.equal(second.err.expectedPrevPos, null)
  assert.equal(second.err.actualPrevPos, first.pos)
  assert.match(second.err.message, /to follow nothing \(an empty log\), but the log ends at position \d{16}/)
  // The others of a batch are unaffected, and positions skip nothing.
  const x = log.add('x')
  const y = log.add('y', { expectedPrevPos: first.pos })
  const z = log.add('z', { expectedPrevPos: first.pos + 1 })
  const w = log.add('w')
  const [rx, ry, rz, rw] = await within(5000, Promise.all([x, y, z, w].map((r) => settle(r.promise))))
  assert.equal(rx.ok.pos, first.pos + 1)
  assert.ok(ry.err instanceof eventlog.ConflictError)
  assert.equal(ry.err.actualPrevPos, rx.ok.pos)
  assert.deepEqual(rz.ok, { id: z.id, pos: first.pos + 2, prevPos: first.pos + 1 })
  assert.equal(rw.ok.prevPos, rz.ok.pos)
  assert.deepEqual(
    readLog(a.logfile).map((l) => l.event),
    ['a', 'x', 'z', 'w'],
  )
})

test('with durable and across a restart, an expectation is checked against what is on disk', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const a = eventlog({ filename: pattern, durable: true })
  const first = await within(5000, a.add(1).promise)
  a.stop()
  const b = eventlog({ filename: pattern, durable: true })
  t.after(() => b.stop())
  const stale = await within(5000, settle(b.add(2, { expectedPrevPos: null }).promise))
  assert.equal(stale.err.actualPrevPos, first.pos)
  const fresh = await within(5000, b.add(3, { expectedPrevPos: first.pos }).promise)
  assert.equal(fresh.prevPos, first.pos)
})

test('8 processes racing on the same expected position: exactly one wins', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const log = eventlog(pattern)
  t.after(() => log.stop())
  const baseAdd = log.add({ base: true })
  const base = await within(5000, baseAdd.promise)
  const children = Array.from({ length: 8 }, (_, k) =>
    startNode(
      `const log = eventlog(process.argv[1])
       // Warm up the writer (its first write opens the logfile), then wait for the start.
       process.stdout.write('ready\\n')
       process.stdin.once('data', () => {
         process.stdin.destroy()
         log.add({ k: ${k} }, { expectedPrevPos: Number(process.argv[2]) }).promise.then(
           (w) => { console.log('won', w.pos); log.stop() },
           (e) => { console.log('lost', e.code, e.actualPrevPos); log.stop() },
         )
       })`,
      { args: [pattern, String(base.pos)], timeoutMs: 30000 },
    ),
  )
  await within(20000, Promise.all(children.map((c) => c.output(/ready/))), 'the writers starting')
  for (const c of children) c.write('go\n')
  const results = await within(30000, Promise.all(children.map((c) => c.done)))
  const lines = results.map((r) => {
    assert.equal(r.code, 0, r.stderr)
    return r.stdout.trim().split('\n').pop()
  })
  const winners = lines.filter((l) => l.startsWith('won'))
  assert.equal(winners.length, 1, lines.join('\n'))
  const winnerPos = Number(winners[0].split(' ')[1])
  assert.equal(winnerPos, base.pos + 1)
  for (const l of lines.filter((l) => l.startsWith('lost'))) assert.equal(l, `lost ERR_CONFLICT ${winnerPos}`)
  assert.deepEqual(readLog(baseAdd.logfile).length, 2, 'the base event and the winner')
})

test('bad options throw a TypeError naming the option, and nothing is written', async (t) => {
  const log = open(t)
  for (const [options, message] of [
    [{ expectedPrevPos: 'x' }, /expectedPrevPos must be a position/],
    [{ expectedPrevPos: 1.5 }, /expectedPrevPos must be a position/],
    [{ expectedPrevPos: -1 }, /expectedPrevPos must be a position/],
    [{ expectedPrevPos: 2026133100000000 }, /expectedPrevPos must be a position/],
    [{ expectedPrevPos: 1 }, /expectedPrevPos must be a position/],
    [{ expectPrevPos: null }, /unknown option "expectPrevPos"/],
    ['yes', /options must be an object/],
  ]) {
    assert.throws(
      () => log.add('no', options),
      (e) => e instanceof TypeError && message.test(e.message),
    )
  }
  const r = await within(5000, log.add('yes').promise)
  assert.equal(r.prevPos, undefined, 'nothing was written before')
})
