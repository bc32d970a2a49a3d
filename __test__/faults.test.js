'use strict'
// The fault suite: writers killed with SIGKILL mid-write, write failures from a file size
// limit, torn fragments, all with several processes; stream writers and indexers killed.
// Quick by default (a few trials, part of `npm test`); `npm run test:faults` runs the full
// suite (FAULT_TRIALS=40).

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, deferred, startNode } = require('./helpers')
const { scaled } = require('./support/platform')

const TRIALS = Number(process.env.FAULT_TRIALS || 3)
const WRITER = path.join(__dirname, 'fixtures/crash-writer.js')

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms))
}

/** Starts a crash writer; resolves its acknowledged `id -> pos` once it has been killed. */
function crashWriter(pattern, durable, seed) {
  const child = spawn(process.execPath, [WRITER, pattern, durable ? '1' : '0', String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const ready = deferred()
  child.stdout.on('data', (d) => {
    out += d
    ready.resolve()
  })
  child.stderr.on('data', (d) => (err += d))
  // 'close', not 'exit': everything the writer printed before it was killed has been read then.
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  exited.then(() => ready.resolve())
  return {
    ready: ready.promise,
    kill: () => child.kill('SIGKILL'),
    acked: async () => {
      const { signal } = await within(10000, exited, 'killed writer exit')
      assert.equal(signal, 'SIGKILL', `writer ended by itself: ${err}`)
      const acked = new Map()
      // Only whole lines: the last one may have been cut by the kill.
      for (const line of out.split('\n').slice(0, -1)) {
        const [id, pos] = line.split(' ')
        acked.set(id, Number(pos))
      }
      return acked
    },
  }
}

/** Reads the whole log with a fresh consumer; fails on any corrupt or repeated line. */
async function readAll(pattern) {
  const log = eventlog({ filename: pattern, readOnly: true })
  const seen = new Map()
  const errors = []
  const sync = deferred()
  const c = log.consume(
    (event, meta) => {
      assert.ok(!seen.has(meta.id), `id ${meta.id} delivered twice`)
      assert.equal(typeof event.i, 'number', 'a delivered event is whole')
      assert.equal(event.pad, 'x'.repeat(event.pad.length))
      seen.set(meta.id, meta.pos)
    },
    0,
    () => sync.resolve(),
  )
  c.liveMeta.on('error', (e) => errors.push(e))
  await within(30000, sync.promise, 'reading the log after the crash')
  log.stop()
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
    'no corrupt or torn line was met',
  )
  return seen
}

async function crashTrial(t, durable, seed) {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const count = 1 + (seed % 4)
  const writers = Array.from({ length: count }, (_, k) => crashWriter(pattern, durable, seed * 10 + k + 1))
  // Kill at a random moment once every writer is appending.
  await within(20000, Promise.all(writers.map((w) => w.ready)), 'writers starting')
  await sleep(20 + ((seed * 37) % 300))
  for (const w of writers) {
    w.kill()
    await sleep((seed * 13) % 20)
  }
  const acked = new Map()
  for (const w of writers) for (const [id, pos] of await w.acked()) acked.set(id, pos)
  assert.ok(acked.size > 0, 'the writers acknowledged something before the kill')

  // A new add after the crash resolves (repairing any torn tail first) and is delivered.
  const log = eventlog({ filename: pattern, durable })
  const after = await within(10000, log.add({ i: -1, pad: '' }).promise, 'add after the crash')
  log.stop()

  const seen = await readAll(pattern)
  for (const [id, pos] of acked) assert.equal(seen.get(id), pos, `acknowledged event ${id}`)
  assert.equal(seen.get(after.id), after.pos)
  const positions = [...seen.values()].sort((a, b) => a - b)
  positions.forEach((p, i) => assert.equal(p % 1e8, i, 'positions have no gap'))
  // Every line on disk is whole JSON (torn fragments were moved aside, not glued onto).
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.log'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8')
    assert.ok(text.endsWith('\n'))
    for (const line of text.slice(0, -1).split('\n')) JSON.parse(line)
  }
  const tornDir = path.join(dir, '.eventlog/torn')
  const torn = fs.existsSync(tornDir) ? fs.readdirSync(tornDir).length : 0
  return { writers: count, acked: acked.size, lines: seen.size, tornRepaired: torn }
}

for (const durable of [false, true]) {
  test(
    `kill -9 of 1-4 writers mid-append (${durable ? 'durable' : 'default'}): ${TRIALS} trials`,
    { timeout: scaled(60000 + TRIALS * 20000) },
    async (t) => {
      const results = []
      for (let trial = 1; trial <= TRIALS; trial++) {
        const seed = trial * 7919 + (durable ? 1 : 0)
        try {
          results.push(await crashTrial(t, durable, seed))
        } catch (err) {
          err.message = `trial with seed ${seed}: ${err.message}`
          throw err
        }
      }
      t.diagnostic(`trials: ${JSON.stringify(results)}`)
    },
  )
}

/** Past days of events in 50 streams (`s0`…`s49`), written as the package writes them. */
function plantStreams(dir, days, perDay) {
  for (let ago = days; ago >= 1; ago--) {
    const day = new Date(Date.now() - ago * 86400000).toISOString().slice(0, 10)
    const lines = []
    for (let n = 0; n < perDay; n++) {
      const i = (days - ago) * perDay + n
      lines.push(JSON.stringify({ event: { acc: `s${i % 50}`, i }, meta: { id: `id${String(i).padStart(30, '0')}` } }))
    }
    fs.writeFileSync(path.join(dir, `e-${day}.log`), lines.join('\n') + '\n')
  }
}

/**
 * A writer adding to streams and an indexer of the history, each killed at a seeded moment;
 * then every stream read through what is left of the index must be what a replay finds.
 */
async function streamCrashTrial(t, seed) {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  plantStreams(dir, 4, 15000)
  const writer = startNode(
    `const log = eventlog({ filename: ${JSON.stringify(pattern)}, streamKey: 'acc' })
     let n = 0
     function batch() {
       let last
       for (let k = 0; k < 100; k++) last = log.add({ acc: 's' + (n % 50), i: 1e6 + n++, pad: 'x'.repeat(n % 40) })
       if (n === 500) last.promise.then(() => console.log('written'))
       setImmediate(batch)
     }
     batch()`,
    { timeoutMs: 60000 },
  )
  await within(30000, writer.output(/written/), 'the stream writer')
  await sleep((seed * 37) % 200)
  writer.kill('SIGKILL')
  await writer.done
  const indexer = startNode(
    `const log = eventlog({ filename: ${JSON.stringify(pattern)}, streamKey: 'acc' })
     console.log('indexing')
     log.indexStreams().then(() => console.log('indexed'))`,
    { timeoutMs: 60000 },
  )
  await within(30000, indexer.output(/indexing/), 'the indexer')
  await sleep((seed * 13) % 150)
  indexer.kill('SIGKILL')
  await indexer.done
  // What a replay finds, stream by stream.
  const byStream = new Map()
  const seen = await readAllEvents(pattern)
  for (const { event, pos } of seen) {
    if (!byStream.has(event.acc)) byStream.set(event.acc, [])
    byStream.get(event.acc).push([event.i, byStream.get(event.acc).length + 1, pos])
  }
  assert.ok(
    seen.some((e) => e.event.i >= 1e6),
    'the writer wrote before it was killed',
  )
  const log = eventlog({ filename: pattern, streamKey: 'acc' })
  t.after(() => log.stop())
  for (const s of [0, 1, 17, 49]) {
    const read = await within(30000, log.readStream(`s${s}`), 'a stream read')
    assert.deepEqual(
      read.events.map((e) => [e.event.i, e.meta.version, e.meta.pos]),
      byStream.get(`s${s}`),
      `s${s}`,
    )
  }
  const v = await log.streamVersion('s3')
  assert.equal((await log.add({ acc: 's3' }, { expectedVersion: v }).promise).version, v + 1)
  await log.stop()
  return { events: seen.length }
}

/** Every event of a log with its position, read once to its end. */
async function readAllEvents(pattern) {
  const log = eventlog({ filename: pattern, readOnly: true })
  const seen = []
  const sync = deferred()
  const c = log.consume(
    (event, meta) => seen.push({ event, pos: meta.pos }),
    0,
    () => sync.resolve(),
  )
  await within(30000, sync.promise, 'reading the log after the crash')
  c.stop()
  await log.stop()
  return seen
}

test(
  `kill -9 while appending to streams and while indexing them: the same results after, ${TRIALS} trials`,
  { timeout: scaled(60000 + TRIALS * 30000) },
  async (t) => {
    const results = []
    for (let trial = 1; trial <= TRIALS; trial++) {
      const seed = trial * 104729
      try {
        results.push(await streamCrashTrial(t, seed))
      } catch (err) {
        err.message = `trial with seed ${seed}: ${err.message}`
        throw err
      }
    }
    t.diagnostic(`trials: ${JSON.stringify(results)}`)
  },
)

test('a file size limit (ulimit -f) fails writes cleanly: every promise settles, no partial line', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const script = `
    const eventlog = require(${JSON.stringify(path.join(__dirname, '..'))})
    const log = eventlog(${JSON.stringify(pattern)})
    const settle = (p) => p.then((r) => ({ ok: r.pos }), (e) => ({ err: e.code, errno: e.errno, cls: e.constructor.name }))
    async function main() {
      const results = []
      for (let round = 0; round < 5; round++) {
        const batch = Array.from({ length: 40 }, (_, i) => settle(log.add({ round, i, pad: 'x'.repeat(900) }).promise))
        results.push(...(await Promise.all(batch)))
      }
      console.log(JSON.stringify(results))
    }
    main()
  `
  // SIGXFSZ ignored: writes past the limit fail with EFBIG instead of killing the process.
  const r = await new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `trap '' XFSZ; ulimit -f 64; exec "${process.execPath}" -e "$0"`, script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`promises did not all settle: ${err}`))
    }, 20000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })
  assert.equal(r.code, 0, r.err)
  const results = JSON.parse(r.out)
  assert.equal(results.length, 200)
  const ok = results.filter((x) => 'ok' in x)
  const failed = results.filter((x) => 'err' in x)
  assert.ok(ok.length > 0 && failed.length > 0, `${ok.length} written, ${failed.length} failed`)
  for (const f of failed) assert.deepEqual(f, { err: 'ERR_WRITE', errno: 'EFBIG', cls: 'WriteError' })
  // What is on disk is exactly the acknowledged events, each line whole.
  const file = fs.readdirSync(dir).find((n) => n.endsWith('.log'))
  const text = fs.readFileSync(path.join(dir, file), 'utf8')
  assert.ok(text.length <= 64 * 1024 && text.endsWith('\n'))
  const lines = text.slice(0, -1).split('\n')
  assert.equal(lines.length, ok.length)
  lines.forEach((l) => JSON.parse(l))
  assert.deepEqual(
    ok.map((x) => x.ok % 1e8),
    lines.map((_, i) => i),
  )
})

test("a torn fragment planted in today's logfile: the next add resolves, is delivered, and is not glued on", async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const file = path.join(dir, `e-${new Date().toISOString().slice(0, 10)}.log`)
  fs.writeFileSync(file, JSON.stringify({ event: 'whole', meta: { id: 'a'.repeat(32) } }) + '\n{"event":"torn","me')
  const log = eventlog(pattern)
  t.after(() => log.stop())
  const r = await within(5000, log.add('next').promise)
  assert.equal(r.pos % 1e8, 1)
  const seen = []
  const sync = deferred()
  log.consume(
    (e, m) => seen.push([e, m.pos % 1e8]),
    0,
    () => sync.resolve(),
  )
  await within(5000, sync.promise)
  assert.deepEqual(seen, [
    ['whole', 0],
    ['next', 1],
  ])
  const kept = fs.readdirSync(path.join(dir, '.eventlog/torn'))
  assert.equal(kept.length, 1)
  assert.equal(fs.readFileSync(path.join(dir, '.eventlog/torn', kept[0]), 'utf8'), '{"event":"torn","me')
})

test('a logfile truncated under a running reader gives a clear error, not a hang', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const log = eventlog(pattern)
  t.after(() => log.stop())
  const written = await within(5000, Promise.all([1, 2, 3].map((n) => log.add(n).promise)))
  const errors = deferred()
  const sync = deferred()
  const c = log.consume(
    () => {},
    0,
    () => sync.resolve(),
  )
  c.liveMeta.on('error', (e) => errors.resolve(e))
  await within(5000, sync.promise)
  fs.truncateSync(
    path.join(dir, `e-${String(Math.floor(written[0].pos / 1e8)).replace(/(\d{4})(\d{2})(\d{2})/, '$1-$2-$3')}.log`),
    10,
  )
  const err = await within(5000, errors.promise, 'the truncation error')
  assert.ok(err instanceof eventlog.ReadError)
  assert.match(err.message, /shrank/)
  c.stop()
})

test('verify() reports torn tails, corrupt lines and future days with file, line and position', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const ok = JSON.stringify({ event: 1, meta: { id: 'a'.repeat(32) } })
  fs.writeFileSync(path.join(dir, 'e-2020-01-01.log'), `${ok}\ngarbage\n${ok}\n{"torn`)
  fs.writeFileSync(path.join(dir, 'e-2999-01-01.log'), `${ok}\n`)
  const report = await eventlog.verify(pattern)
  assert.equal(report.ok, false)
  assert.deepEqual([report.files, report.lines, report.events, report.problemCount], [2, 4, 3, 3])
  assert.deepEqual(
    report.problems.map((p) => [p.kind, path.basename(p.file), p.line, p.pos]),
    [
      ['corrupt-line', 'e-2020-01-01.log', 2, 2020010100000001],
      ['torn-tail', 'e-2020-01-01.log', 4, 2020010100000003],
      ['future-day', 'e-2999-01-01.log', 0, 2999010100000000],
    ],
  )
  const clean = await eventlog.verify({ filename: path.join(dir, 'none/e-%y-%m-%d.log') })
  assert.equal(clean.ok, true)
  await assert.rejects(eventlog.verify('no-tokens.log'), eventlog.InvalidPatternError)
})

test('a logfile deleted under a running reader gives a clear error, not a hang', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  const r = await within(5000, log.add(1).promise)
  const errors = deferred()
  const sync = deferred()
  const c = log.consume(
    () => {},
    0,
    () => sync.resolve(),
  )
  c.liveMeta.on('error', (e) => errors.resolve(e))
  await within(5000, sync.promise)
  fs.rmSync(path.join(dir, `e-${String(Math.floor(r.pos / 1e8)).replace(/(\d{4})(\d{2})(\d{2})/, '$1-$2-$3')}.log`))
  const err = await within(5000, errors.promise, 'the deletion error')
  assert.ok(err instanceof eventlog.ReadError)
  assert.match(err.message, /deleted/)
  c.stop()
})
