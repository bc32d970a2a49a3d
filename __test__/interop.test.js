'use strict'
// Interoperability with the original package, @rymdtiden/eventlog 0.1.0: each reads the
// other's files with the same positions, the original is not confused by our own files, and
// an app written against the original's README runs unchanged.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const original = require('@rymdtiden/eventlog')
const { ROOT, tmpdir, within, deferred, runNode } = require('./helpers')

/** Consumes `n` events with the original package (it only takes an options object). */
function readWithOriginal(pattern, n) {
  const log = original({ filename: pattern, readOnly: true })
  const seen = []
  const done = deferred()
  log.consume((event, meta) => {
    seen.push({ event, meta })
    if (seen.length === n) done.resolve()
  })
  return within(10000, done.promise, 'the original reading')
    .finally(() => log.stop())
    .then(() => seen)
}

test('the original reads what we write, at the positions we reported', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'events-%y-%m-%d.log')
  const log = eventlog(pattern)
  const events = [{ a: 1 }, 'text', [1, 2], { big: 'x'.repeat(10000) }, null]
  const written = await within(5000, Promise.all(events.map((e) => log.add(e).promise)))
  log.stop()
  // Our lock file sits in .eventlog/, which the original must not take for a logfile.
  assert.ok(fs.existsSync(path.join(dir, '.eventlog')))
  const seen = await readWithOriginal(pattern, events.length)
  assert.deepEqual(
    seen.map((s) => s.event),
    events,
  )
  assert.deepEqual(
    seen.map((s) => [s.meta.id, s.meta.pos]),
    written.map((w) => [w.id, w.pos]),
  )
})

test('we read what the original writes, at the positions it reported', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'events-%y-%m-%d.log')
  const orig = original({ filename: pattern })
  const events = [{ n: 1 }, { n: 2 }, { n: 3 }]
  const written = []
  for (const e of events) written.push(await within(5000, orig.add(e).promise))
  orig.stop()
  const log = eventlog({ filename: pattern, readOnly: true })
  t.after(() => log.stop())
  const seen = []
  const done = deferred()
  log.consume((event, meta) => {
    seen.push({ event, meta })
    if (seen.length === events.length) done.resolve()
  })
  await within(5000, done.promise)
  assert.deepEqual(
    seen.map((s) => s.event),
    events,
  )
  assert.deepEqual(
    seen.map((s) => [s.meta.id, s.meta.pos]),
    written.map((w) => [w.id, w.pos]),
  )
  // Then we append after the original's events, continuing its positions.
  const writer = eventlog(pattern)
  t.after(() => writer.stop())
  const next = await within(5000, writer.add({ n: 4 }).promise)
  assert.equal(next.pos, written[2].pos + 1)
  assert.equal(next.prevPos, written[2].pos)
})

test("an app written against the original's README runs unchanged and exits by itself", async (t) => {
  const dir = tmpdir(t)
  // The file's own require("eventlog") resolves to this package (its self-reference).
  const r = await runNode(null, { file: path.join(ROOT, 'examples/readme-app.js'), cwd: dir })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^\d{16} \{"type":"someevent","id":1337,"customstuff":"anything you' like!"\}\n$/)
  const files = fs.readdirSync(path.join(dir, 'data')).filter((f) => !f.startsWith('.'))
  assert.equal(files.length, 1)
  assert.match(files[0], /^events-\d{4}-\d{2}-\d{2}\.log$/)
})
