'use strict'
// Several processes and several instances on one pattern: every writer's resolved position is
// the position every consumer sees for that id, for events of any size.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { tmpdir, runNode, startNode, within, deferred, readLog } = require('./helpers')

const WRITER = `
  const log = eventlog(process.argv[1])
  const n = Number(process.argv[2])
  const sizes = [10, 150, 5000, 70000, 300000]
  const adds = []
  for (let i = 0; i < n; i++) {
    adds.push(log.add({ w: process.pid, i, pad: 'x'.repeat(sizes[i % sizes.length]) }))
    // Spread the adds over time so the writers interleave.
    if (i % 7 === 0) adds.push(new Promise((r) => setTimeout(r, 1)).then(() => null))
  }
  Promise.all(adds.map((a) => a && a.promise)).then((results) => {
    const out = results.filter(Boolean).map((r) => r.id + ' ' + r.pos)
    process.stdout.write(out.join('\\n') + '\\n')
    log.stop()
  })
`

test('4 processes and 2 in-process instances append concurrently; positions agree everywhere', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const PER_WRITER = 60
  const writers = Array.from({ length: 4 }, () =>
    runNode(WRITER, { args: [pattern, String(PER_WRITER)], timeoutMs: 60000 }),
  )
  const a = eventlog(pattern)
  const b = eventlog(pattern)
  t.after(() => {
    a.stop()
    b.stop()
  })
  const local = []
  for (let i = 0; i < 30; i++) {
    local.push((i % 2 ? a : b).add({ local: i, pad: 'y'.repeat(i * 1000) }).promise)
    await new Promise((r) => setImmediate(r))
  }
  const resolved = new Map()
  for (const r of await within(60000, Promise.all(writers))) {
    assert.equal(r.code, 0, r.stderr)
    for (const line of r.stdout.trim().split('\n')) {
      const [id, pos] = line.split(' ')
      resolved.set(id, Number(pos))
    }
  }
  for (const r of await Promise.all(local)) resolved.set(r.id, r.pos)
  const total = 4 * PER_WRITER + 30
  assert.equal(resolved.size, total)

  // A consumer in this process and one in a fresh process see the same positions.
  const seen = new Map()
  const done = deferred()
  let expectPrev
  const c = a.consume((event, meta) => {
    assert.equal(meta.prevPos, expectPrev)
    expectPrev = meta.pos
    seen.set(meta.id, meta.pos)
    if (seen.size === total) done.resolve()
  })
  await within(20000, done.promise)
  c.stop()
  for (const [id, pos] of resolved) assert.equal(seen.get(id), pos, `position of ${id}`)
  const positions = [...seen.values()].sort((x, y) => x - y)
  positions.forEach((p, i) => assert.equal(p % 1e8, i))

  const other = await runNode(
    `const log = eventlog({ filename: process.argv[1], readOnly: true })
     const out = []
     log.consume((e, m) => out.push(m.id + ' ' + m.pos), 0, () => { console.log(out.join('\\n')); log.stop() })`,
    { args: [pattern], timeoutMs: 30000 },
  )
  const lines = other.stdout.trim().split('\n')
  assert.equal(lines.length, total)
  for (const line of lines) {
    const [id, pos] = line.split(' ')
    assert.equal(resolved.get(id), Number(pos))
  }
})

test('a consumer in another process receives live events within a second', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const log = eventlog(pattern)
  t.after(() => log.stop())
  await log.add({ n: 0 }).promise
  const caughtUp = deferred()
  const child = runNode(
    `const log = eventlog({ filename: process.argv[1], readOnly: true })
     let synced = false
     // Another process's writes do not hold this one open (as with the original), so we do.
     const alive = setInterval(() => {}, 1000)
     log.consume((e) => { if (e.n === 1) { console.log('got', Date.now()); log.stop(); clearInterval(alive) } }, 0, () => {
       if (!synced) { synced = true; console.log('synced') }
     })`,
    { args: [pattern], timeoutMs: 20000, onStdout: (out) => out.includes('synced') && caughtUp.resolve() },
  )
  // Once the child has caught up, one live event.
  await within(20000, caughtUp.promise, 'the child catching up')
  const sent = Date.now()
  await log.add({ n: 1 }).promise
  const r = await child
  assert.match(r.stdout, /synced/)
  const got = Number(/got (\d+)/.exec(r.stdout)[1])
  assert.ok(got - sent < 1000, `delivered after ${got - sent} ms`)
})

test('durable writers in 4 processes share their flushes: fewer fdatasyncs than events, every event on disk', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const PER = 60
  const children = Array.from({ length: 4 }, (_, k) =>
    startNode(
      `const log = eventlog({ filename: process.argv[1], durable: true })
       log.add({ warm: ${k} }).promise.then(() => {
         process.stdout.write('ready\\n')
         process.stdin.once('data', async () => {
           process.stdin.destroy()
           const ids = []
           for (let i = 0; i < ${PER}; i++) ids.push((await log.add({ k: ${k}, i }).promise).id)
           console.log(JSON.stringify({ ids, ...log.stats() }))
           log.stop()
         })
       })`,
      { args: [pattern], timeoutMs: 60000 },
    ),
  )
  await within(20000, Promise.all(children.map((c) => c.output(/ready/))), 'the writers starting')
  for (const c of children) c.write('go\n')
  const results = (await within(60000, Promise.all(children.map((c) => c.done)))).map((r) => {
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout.trim().split('\n').pop())
  })
  const flushes = results.reduce((n, r) => n + r.flushes, 0)
  const byOthers = results.reduce((n, r) => n + r.flushesByOthers, 0)
  const events = 4 * (PER + 1)
  assert.ok(flushes < events, `${flushes} fdatasyncs for ${events} durable events`)
  assert.equal(flushes + byOthers, events, 'every durable add was flushed, by its process or another')
  const onDisk = new Set(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .flatMap((f) => readLog(path.join(dir, f)).map((l) => l.meta.id)),
  )
  for (const r of results) for (const id of r.ids) assert.ok(onDisk.has(id))
})
