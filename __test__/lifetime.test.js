'use strict'
// Process lifetime: an idle log or consumer never keeps Node alive; pending adds and a replay
// in progress do; stop() lets the process exit (each such case runs in a child with a
// deadline), and the promise it returns resolves once the log is closed.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, runNode, writeLines } = require('./helpers')

function pattern(dir) {
  return JSON.stringify(path.join(dir, 'e-%y-%m-%d.log'))
}

test('an idle process exits without stop(), even with a live consumer', async (t) => {
  const dir = tmpdir(t)
  const r = await runNode(`
    const log = eventlog(${pattern(dir)})
    log.consume(() => {})
    log.add({ a: 1 }).promise.then((w) => console.log('written', w.pos))
  `)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /written \d{16}/)
})

test('pending adds are written before the process exits, without awaiting them', async (t) => {
  const dir = tmpdir(t)
  const r = await runNode(`
    const log = eventlog(${pattern(dir)})
    for (let i = 0; i < 1000; i++) log.add({ i })
  `)
  assert.equal(r.code, 0, r.stderr)
  const check = await runNode(`
    const log = eventlog({ filename: ${pattern(dir)}, readOnly: true })
    let n = 0
    log.consume(() => n++, 0, () => { console.log('count', n); log.stop() })
  `)
  assert.match(check.stdout, /count 1000/)
})

test('an event added in-process is delivered to a live consumer before the process exits', async (t) => {
  const dir = tmpdir(t)
  const r = await runNode(`
    const log = eventlog(${pattern(dir)})
    let synced = false
    log.consume((e) => console.log('delivered', e.n), 0, () => {
      if (!synced) { synced = true; log.add({ n: 7 }) }
    })
  `)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /delivered 7/)
})

test('a replay in progress keeps the process alive until it has caught up', async (t) => {
  const dir = tmpdir(t)
  const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10)
  writeLines(
    path.join(dir, `e-${yesterday}.log`),
    Array.from({ length: 20000 }, (_, i) => i),
  )
  const r = await runNode(`
    const log = eventlog({ filename: ${pattern(dir)}, readOnly: true })
    let n = 0
    log.consume(() => { n++ })
    process.on('exit', () => console.log('delivered', n))
  `)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /delivered 20000/)
})

test('stop() right after consume() lets the process exit at once', async (t) => {
  const dir = tmpdir(t)
  const r = await runNode(`
    const log = eventlog(${pattern(dir)})
    log.add({ a: 1 })
    log.consume(() => {})
    log.stop()
  `)
  assert.equal(r.code, 0, r.stderr)
  assert.ok(r.ms < 10000)
})

test('stop() while a slow callback is pending lets the process exit', async (t) => {
  const dir = tmpdir(t)
  const r = await runNode(`
    const log = eventlog(${pattern(dir)})
    Promise.all([1, 2, 3].map((n) => log.add(n).promise)).then(() => {
      log.consume(() => new Promise((r) => setTimeout(r, 50)))
      setTimeout(() => log.stop(), 20)
    })
  `)
  assert.equal(r.code, 0, r.stderr)
})

test('stop() resolves once every add has settled and the log is closed: the directory can go', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  let settled = 0
  for (let i = 0; i < 5000; i++) log.add({ i }).promise.then(() => settled++)
  // A consumer that is never stopped on its own: the log's stop() ends it.
  log.consume(() => {})
  const closed = log.stop()
  assert.equal(log.stop(), closed, 'a second stop() answers the same promise')
  assert.equal(await within(10000, closed, 'stop()'), undefined)
  assert.equal(settled, 5000, 'every add settled before stop() resolved')
  // Nothing of ours is still at work in the directory: removing it succeeds at the first try,
  // and nothing is recreated in it.
  fs.rmSync(dir, { recursive: true })
  assert.equal(fs.existsSync(dir), false)
})

test('stop() of one instance resolves while another instance of the file keeps the log open', async (t) => {
  const dir = tmpdir(t)
  const file = path.join(dir, 'e-%y-%m-%d.log')
  const first = eventlog(file)
  const second = eventlog(file)
  t.after(() => second.stop())
  await first.add({ from: 'first' }).promise
  await within(5000, first.stop(), "the first instance's stop()")
  const { pos } = await second.add({ from: 'second' }).promise
  assert.match(String(pos), /^\d{16}$/)
})
