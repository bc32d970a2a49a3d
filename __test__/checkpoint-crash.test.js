'use strict'
// Named consumers across process restarts: a child consuming a 20,000-event log with a name is
// killed (SIGKILL at a random moment, or SIGTERM, which stops the log gracefully) again and
// again, a new child resuming each time, until one catches up. Over every trial: each position
// is delivered at least once, in order within each child, no child starts past where the one
// before it stopped, and a crash delivers at most 1,000 events again (a graceful stop, none).
// Then two processes running one name at once: its checkpoint never goes backwards.
// Quick by default (part of `npm test`: one series, a kill, a stop and a kill); FAULT_TRIALS=40
// runs 40 series of 3 to 6 random kills and stops each.

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { after, before, test } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, deferred, writeLines, DAY_MS } = require('./helpers')
const { scaled } = require('./support/platform')

const FULL = process.env.FAULT_TRIALS !== undefined
const TRIALS = FULL ? Number(process.env.FAULT_TRIALS) : 1
const CONSUMER = path.join(__dirname, 'fixtures/named-consumer.js')
// Windows cannot send SIGTERM (child.kill is TerminateProcess there): the graceful stop it asks
// for is asked through the consumer's stdin instead, to the same handler.
const WINDOWS = process.platform === 'win32'
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
    writeLines(
      path.join(dir, `e-${dayString(ms)}.log`),
      Array.from({ length: n }, (_, i) => ({ i, pad: 'x'.repeat(i % 50) })),
    )
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
  const child = spawn(process.execPath, [CONSUMER, pattern, name, mode, String(workUs), record], {
    stdio: [WINDOWS ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  })
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
    kill: (signal) => {
      if (!WINDOWS) return child.kill(signal)
      if (signal === 'SIGTERM') return child.stdin.end('stop\n')
      // The stdin pipe is ours to close too, or 'close' waits for it.
      child.stdin.destroy()
      return child.kill(signal)
    },
    exited: within(30000, exited, 'the consumer exiting'),
    lines: () => fs.readFileSync(record, 'utf8').split('\n').slice(0, -1),
    stderr: () => err,
  }
}

/** Positions a child delivered, in the order it delivered them (whole lines only). */
function delivered(lines) {
  return lines.filter((l) => /^\d{16}$/.test(l)).map(Number)
}

/**
 * Runs children of one name, one per step of `plan` (`{ mode, signal }`: how its callbacks
 * work, and how it is ended once it delivered a random share of the log), then one more that
 * catches up. Returns what each delivered and how it ended.
 */
async function restarts({ name, plan, workUs, rand }) {
  const runs = []
  for (let k = 0; k <= plan.length; k++) {
    const step = plan[k] || { mode: rand() < 0.5 ? 'sync' : 'async', signal: null }
    const c = startConsumer(name, step.mode, workUs)
    await within(
      30000,
      c.printed(step.signal === null ? Infinity : 1 + Math.floor(rand() * 3000)),
      'the consumer delivering',
    )
    if (step.signal !== null) c.kill(step.signal)
    const { code, signal } = await c.exited
    const lines = c.lines()
    const synced = lines.includes('synced')
    runs.push({ ...step, positions: delivered(lines), synced, ended: signal || code })
    if (synced) return runs
    if (step.signal === null) assert.fail(`the last consumer did not catch up: ${c.stderr()}`)
    assert.equal(signal || code, step.signal === 'SIGKILL' ? 'SIGKILL' : 0, c.stderr())
  }
  return assert.fail('unreachable')
}

/**
 * Checks one series of restarts: each run in order and complete, none starting past where the
 * one before stopped, at most 1,000 events again after a SIGKILL and none after a SIGTERM,
 * every event delivered. Returns the most a restart after a SIGKILL delivered again.
 */
function check(runs) {
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
      const graceful = k > 0 && runs[k - 1].signal === 'SIGTERM'
      assert.ok(
        again <= (graceful ? 0 : MAX_AGAIN),
        `run ${k} delivered ${again} events again after a ${runs[k - 1]?.signal}`,
      )
      if (!graceful) maxAgain = Math.max(maxAgain, again)
      prevLast = idx.at(-1)
    }
    for (const i of idx) seen.add(i)
  }
  assert.equal(seen.size, positions.length, 'every event delivered at least once')
  assert.equal(prevLast, positions.length - 1)
  return maxAgain
}

/** The quick plan covers each kind once; the full ones are random, 3 to 6 steps. */
function planFor(rand) {
  if (!FULL) {
    return [
      { mode: 'sync', signal: 'SIGKILL' },
      { mode: 'async', signal: 'SIGTERM' },
      { mode: 'async', signal: 'SIGKILL' },
    ]
  }
  return Array.from({ length: 3 + Math.floor(rand() * 4) }, () => ({
    mode: rand() < 0.5 ? 'sync' : 'async',
    signal: rand() < 0.7 ? 'SIGKILL' : 'SIGTERM',
  }))
}

test(
  `a named consumer killed (SIGKILL) or stopped (SIGTERM) at random moments, sync and async callbacks, resumes: nothing skipped, at most 1,000 events again after a kill, none after a stop; ${TRIALS} trial(s)`,
  { timeout: scaled(60000 + TRIALS * 30000) },
  async (t) => {
    const results = []
    for (let trial = 1; trial <= TRIALS; trial++) {
      const seed = trial * 7919
      const rand = random(seed)
      const plan = planFor(rand)
      let runs
      try {
        runs = await restarts({ name: `t${seed}`, plan, workUs: FULL ? 10 : 2, rand })
        const maxAgain = check(runs)
        const count = (signal) => runs.filter((r) => r.signal === signal).length
        results.push({
          seed,
          kills: count('SIGKILL'),
          stops: count('SIGTERM'),
          delivered: runs.reduce((n, r) => n + r.positions.length, 0),
          maxAgain,
        })
      } catch (err) {
        const index = new Map(positions.map((p, i) => [p, i]))
        const shown = (runs || []).map((r) => ({
          mode: r.mode,
          signal: r.signal,
          from: index.get(r.positions[0]),
          to: index.get(r.positions.at(-1)),
          synced: r.synced,
        }))
        err.message = `trial with seed ${seed}: ${err.message}\nruns: ${JSON.stringify(shown)}`
        throw err
      }
      const reader = eventlog({ filename: pattern, readOnly: true })
      assert.equal(reader.checkpoint(`t${seed}`), positions.at(-1), 'the checkpoint is the last event')
      reader.stop()
    }
    const sum = (key) => results.reduce((n, r) => n + r[key], 0)
    t.diagnostic(
      `${TRIALS} trial(s): ${sum('kills')} kills, ${sum('stops')} stops, max ${Math.max(...results.map((r) => r.maxAgain))} delivered again after a kill`,
    )
    t.diagnostic(`trials: ${JSON.stringify(results)}`)
  },
)

test(
  'two processes running one name at once: its checkpoint never goes backwards',
  { timeout: scaled(60000) },
  async () => {
    const name = 'shared'
    const reader = eventlog({ filename: pattern, readOnly: true })
    // A fast one and a slow one from the same (missing) checkpoint: the slow one's saves are
    // behind what the fast one stored, and must not move it back.
    const fast = startConsumer(name, 'sync', 0)
    const slow = startConsumer(name, 'sync', 15)
    const samples = []
    let done = false
    const both = Promise.all([fast.printed(Infinity), slow.printed(Infinity)]).then(() => (done = true))
    const sample = () => {
      samples.push(reader.checkpoint(name) ?? 0)
      // Sampled, not waited on: a millisecond apart leaves the cores to the two consumers.
      if (!done) setTimeout(sample, 1)
    }
    sample()
    await within(30000, both, 'both consumers catching up')
    fast.kill('SIGTERM')
    slow.kill('SIGTERM')
    await Promise.all([fast.exited, slow.exited])
    samples.push(reader.checkpoint(name))
    reader.stop()
    for (let i = 1; i < samples.length; i++)
      assert.ok(samples[i] >= samples[i - 1], `the checkpoint went from ${samples[i - 1]} to ${samples[i]}`)
    assert.ok(new Set(samples).size > 2, `it moved while sampled (${new Set(samples).size} values)`)
    assert.equal(samples.at(-1), positions.at(-1))
    // Each delivered in order up to the end, from wherever the checkpoint was when it started.
    for (const c of [fast, slow]) {
      const got = delivered(c.lines())
      assert.deepEqual(got, positions.slice(positions.length - got.length))
    }
  },
)
