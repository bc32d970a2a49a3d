'use strict'
// Named consumers across process restarts: a child consuming a 20,000-event log with a name is
// killed (SIGKILL at a random moment, or SIGTERM, which stops the log gracefully) again and
// again, a new child resuming each time, until one catches up. Over every trial: each position
// is delivered at least once, in order within each child, no child starts past where the one
// before it stopped, and a crash delivers at most 1,000 events again (a graceful stop, none).
// Then two processes running one name at once: its checkpoint never goes backwards.
// Quick by default (part of `npm test`: one trial each, two kills); FAULT_TRIALS=40 runs 40
// trials of 3 to 6 kills each.

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { after, before, test } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, deferred, writeLines, DAY_MS } = require('./helpers')

const FULL = process.env.FAULT_TRIALS !== undefined
const TRIALS = FULL ? Number(process.env.FAULT_TRIALS) : 1
const CONSUMER = path.join(__dirname, 'fixtures/named-consumer.js')
const EVENTS = 20000
const MAX_AGAIN = 1000

function dayString(ms) {
  return new Date(ms).toISOString().slice(0, 10)
}

/** xorshift32: trials reproducible from the seed they print. */
function random(seed) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 4294967296
  }
}

/** The 20,000 positions of a log over two days (yesterday's 12,000, then today's 8,000). */
let pattern
let positions
let dir
before(() => {
  dir = tmpdir()
  pattern = path.join(dir, 'e-%y-%m-%d.log')
  const days = [
    [Date.now() - DAY_MS, 12000],
    [Date.now(), EVENTS - 12000],
  ]
  positions = []
  for (const [ms, n] of days) {
    writeLines(path.join(dir, `e-${dayString(ms)}.log`), Array.from({ length: n }, (_, i) => ({ i, pad: 'x'.repeat(i % 50) })))
    const base = Number(dayString(ms).replaceAll('-', '')) * 1e8
    for (let i = 0; i < n; i++) positions.push(base + i)
  }
})
after(() => fs.rmSync(dir, { recursive: true, force: true }))

let runCount = 0

/**
 * Starts a named consumer; `printed(n)` resolves once it printed `n` positions or caught up,
 * `exited` when it is gone, and `lines()` then is what it delivered (positions, then
 * `synced`), from its record file.
 */
function startConsumer(name, mode, workUs) {
  const record = path.join(dir, `run-${++runCount}.txt`)
  const child = spawn(process.execPath, [CONSUMER, pattern, name, mode, String(workUs), record], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let count = 0
  const waiters = []
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d
    count += d.split('\n').length - 1
    for (const w of waiters.splice(0)) {
      if (count >= w.n || out.includes('synced')) w.resolve()
      else waiters.push(w)
    }
  })
  child.stderr.on('data', (d) => (err += d))
  // 'close', not 'exit': what the child wrote before it died may still be in the pipe.
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  exited.then(() => waiters.splice(0).forEach((w) => w.resolve()))
  return {
    printed: (n) => {
      const d = deferred()
      waiters.push({ n, resolve: d.resolve })
      if (count >= n || out.includes('synced')) d.resolve()
      return d.promise
    },
    kill: (signal) => child.kill(signal),
    exited: within(30000, exited, 'the consumer exiting'),
    lines: () => fs.readFileSync(record, 'utf8').split('\n').slice(0, -1),
    stderr: () => err,
  }
}

/** Positions a child delivered, in the order it delivered them (whole lines only). */
function delivered(lines) {
  return lines.filter((l) => /^\d{16}$/.test(l)).map(Number)
}

/** Runs children of one name until one catches up; returns what each delivered and how it ended. */
async function restarts({ name, mode, workUs, seed, signal, maxKills }) {
  const rand = random(seed)
  const runs = []
  for (let k = 0; ; k++) {
    const c = startConsumer(name, mode, workUs)
    // Let it deliver a random share of the log first (or catch up, the last time).
    const last = k === maxKills
    await within(30000, c.printed(last ? Infinity : 1 + Math.floor(rand() * 3000)), 'the consumer delivering')
    if (!last) c.kill(signal)
    const { code, signal: ended } = await c.exited
    const lines = c.lines()
    runs.push({ positions: delivered(lines), synced: lines.includes('synced'), ended: ended || code })
    if (last || lines.includes('synced')) {
      if (!lines.includes('synced')) assert.fail(`the last consumer did not catch up: ${c.stderr()}`)
      return runs
    }
    assert.equal(ended || code, signal === 'SIGKILL' ? 'SIGKILL' : 0, c.stderr())
  }
}

/** Checks one series of restarts; returns the most any restart delivered again. */
function check(runs, { graceful }) {
  const index = new Map(positions.map((p, i) => [p, i]))
  const seen = new Set()
  let maxAgain = 0
  let prevLast = -1
  for (const [k, run] of runs.entries()) {
    const idx = run.positions.map((p) => {
      assert.ok(index.has(p), `run ${k} delivered ${p}, which is not in the log`)
      return index.get(p)
    })
    idx.forEach((i, j) => j > 0 && assert.equal(i, idx[j - 1] + 1, `run ${k}: order kept, nothing left out`))
    if (idx.length > 0) {
      assert.ok(idx[0] <= prevLast + 1, `run ${k} starts at event ${idx[0]}, past ${prevLast + 1}: skipped`)
      const again = prevLast - idx[0] + 1
      maxAgain = Math.max(maxAgain, again)
      assert.ok(again <= (graceful ? 0 : MAX_AGAIN), `run ${k} delivered ${again} events again`)
      prevLast = idx.at(-1)
    }
    for (const i of idx) seen.add(i)
  }
  assert.equal(seen.size, positions.length, 'every event delivered at least once')
  assert.equal(prevLast, positions.length - 1)
  return maxAgain
}

for (const [mode, signal] of [
  ['sync', 'SIGKILL'],
  ['async', 'SIGKILL'],
  ['async', 'SIGTERM'],
]) {
  const graceful = signal === 'SIGTERM'
  test(`a named consumer ${graceful ? 'stopped by SIGTERM' : 'killed with SIGKILL'} at random moments (${mode} callbacks) resumes: nothing skipped, ${graceful ? 'nothing' : 'at most 1,000 events'} again; ${TRIALS} trials`, { timeout: 60000 + TRIALS * 30000 }, async (t) => {
    const results = []
    for (let trial = 1; trial <= TRIALS; trial++) {
      const seed = trial * 7919 + (mode === 'async' ? 1 : 0) + (graceful ? 2 : 0)
      try {
        const maxKills = FULL ? 3 + (seed % 4) : 2
        const runs = await restarts({ name: `t${seed}`, mode, workUs: FULL ? 10 : 2, seed, signal, maxKills })
        let again
        try {
          again = check(runs, { graceful })
        } catch (err) {
          const index = new Map(positions.map((p, i) => [p, i]))
          err.runs = JSON.stringify(runs.map((r) => ({ from: index.get(r.positions[0]), to: index.get(r.positions.at(-1)), n: r.positions.length, synced: r.synced, ended: r.ended })))
          throw err
        }
        results.push({ seed, kills: runs.length - 1, delivered: runs.reduce((n, r) => n + r.positions.length, 0), maxAgain: again })
      } catch (err) {
        err.message = `trial with seed ${seed}: ${err.message}${err.runs ? `\nruns: ${err.runs}` : ''}`
        throw err
      }
      const reader = eventlog({ filename: pattern, readOnly: true })
      assert.equal(reader.checkpoint(`t${seed}`), positions.at(-1), 'the checkpoint is the last event')
      reader.stop()
    }
    t.diagnostic(`trials: ${JSON.stringify(results)}`)
  })
}

test('two processes running one name at once: its checkpoint never goes backwards', { timeout: 60000 }, async () => {
  const name = 'shared'
  const reader = eventlog({ filename: pattern, readOnly: true })
  // A fast one and a slow one from the same (missing) checkpoint: the slow one's saves are
  // behind what the fast one stored, and must not move it back.
  const fast = startConsumer(name, 'sync', 0)
  const slow = startConsumer(name, "async", 5)
  const samples = []
  let done = false
  const both = Promise.all([fast.printed(Infinity), slow.printed(Infinity)]).then(() => (done = true))
  const sample = () => {
    samples.push(reader.checkpoint(name) ?? 0)
    if (!done) setImmediate(sample)
  }
  sample()
  await within(30000, both, 'both consumers catching up')
  fast.kill('SIGTERM')
  slow.kill('SIGTERM')
  await Promise.all([fast.exited, slow.exited])
  samples.push(reader.checkpoint(name))
  reader.stop()
  for (let i = 1; i < samples.length; i++) assert.ok(samples[i] >= samples[i - 1], `the checkpoint went from ${samples[i - 1]} to ${samples[i]}`)
  assert.ok(new Set(samples).size > 2, `it moved while sampled (${new Set(samples).size} values)`)
  assert.equal(samples.at(-1), positions.at(-1))
  // Each delivered in order up to the end, from wherever the checkpoint was when it started.
  for (const c of [fast, slow]) {
    const got = delivered(c.lines())
    assert.deepEqual(got, positions.slice(positions.length - got.length))
  }
})
