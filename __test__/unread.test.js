'use strict'
// An add's promise is made only when someone reads `promise`: reading it at any time behaves
// as an awaited add does, and a failure nobody read is still an unhandled rejection.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, runNode, collect } = require('./helpers')

test('a promise read after the add was written resolves as an awaited one does, and is the same each time', async (t) => {
  const log = eventlog(path.join(tmpdir(t), 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  const unread = Array.from({ length: 50 }, (_, i) => log.add({ i }))
  const { id } = log.add({ i: 50 })
  const awaited = await within(5000, log.add({ i: 51 }).promise)
  // Everything before the awaited add is written by now; only now are the promises made.
  const late = await within(5000, Promise.all(unread.map((r) => r.promise)))
  assert.equal(unread[0].promise, unread[0].promise)
  const events = await collect(log, 52)
  assert.deepEqual(
    late.map((w) => [w.id, w.pos, w.prevPos]),
    events.slice(0, 50).map((e) => [e.meta.id, e.meta.pos, e.meta.prevPos]),
  )
  assert.equal(events[50].meta.id, id)
  assert.equal(awaited.prevPos, events[50].meta.pos)
  assert.deepEqual(
    Object.keys(unread[0]).filter((k) => !k.startsWith('_')),
    ['id', 'logfile'],
  )
})

test('a failed add whose promise nobody read is an unhandled rejection, as loud as ever', async (t) => {
  const dir = tmpdir(t)
  // A file where the log's directory should be: every write fails.
  fs.writeFileSync(path.join(dir, 'blocked'), '')
  const pattern = JSON.stringify(path.join(dir, 'blocked', 'e-%y-%m-%d.log'))
  const loud = await runNode(`eventlog(${pattern}).add({ never: 'read' })`)
  assert.notEqual(loud.code, 0)
  assert.match(loud.stderr, /WriteError: could not/)
  const handled = await runNode(`
    const r = eventlog(${pattern}).add({ read: 'late' })
    setTimeout(() => r.promise.catch((e) => console.log('caught', e.code)), 50)
  `)
  // Read only after the failure: the rejection was unhandled by then, as a promise made at
  // once and handled that late would have been (Node's default then ends the process).
  assert.notEqual(handled.code, 0)
  assert.match(handled.stderr, /WriteError/)
  const caught = await runNode(
    `eventlog(${pattern}).add({ read: 'now' }).promise.catch((e) => console.log('caught', e.code))`,
  )
  assert.equal(caught.code, 0, caught.stderr)
  assert.match(caught.stdout, /caught ERR_WRITE/)
})
