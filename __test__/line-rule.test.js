'use strict'
// One rule for a line (src/core/line.rs): a line is an event when it is a JSON object with the
// key `event`; anything else is a corrupt line, skipped and reported with its position, file
// and line number, still counting as a position. consume(), verify(), and the CLI's cat and
// verify all follow it; and the core's errors reach JavaScript as one shape (code, details).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const errors = require('../lib/errors')
const native = require('../lib/native')
const { ROOT, tmpdir, within, deferred, runNode } = require('./helpers')

const ID = '0123456789abcdefghijABCDEFGHIJ01'
const BIN = path.join(ROOT, 'bin', 'eventlog.js')

/** The lines planted, and what each is by the rule: [line, event or undefined, id]. */
const LINES = [
  [`{"event":{"n":1},"meta":{"id":"${ID}"}}`, { n: 1 }, ID],
  ['[1,2]'],
  ['{"meta":{"id":"abc"}}'],
  ['{"event":{"n":4},"meta":{}}', { n: 4 }, undefined],
  ['42'],
  ['not json at all'],
  // The package's form, with a key beside `event`: its event text does not parse alone, so
  // the line is judged in full, and is an event.
  [`{"event":{"n":7},"x":2,"meta":{"id":"${ID}"}}`, { n: 7 }, ID],
  ['{"meta":{"id":"short"},"event":null}', null, 'short'],
  [`{"event":,"meta":{"id":"${ID}"}}`],
]

function plant(t) {
  const dir = tmpdir(t)
  const day = new Date(Date.now() - 86400000).toISOString().slice(0, 10)
  const file = path.join(dir, `e-${day}.log`)
  fs.writeFileSync(file, LINES.map((l) => l[0] + '\n').join(''))
  const base = Number(day.replaceAll('-', '')) * 1e8
  return { dir, file, pattern: path.join(dir, 'e-%y-%m-%d.log'), base }
}

const EVENTS = LINES.map((l, n) => [n, l]).filter(([, l]) => l.length > 1)
const CORRUPT = LINES.map((l, n) => [n, l]).filter(([, l]) => l.length === 1)

test('consume() delivers exactly the lines that are objects with an event key, and reports the others with pos, file and line', async (t) => {
  const { pattern, file, base } = plant(t)
  const log = eventlog({ filename: pattern, readOnly: true })
  t.after(() => log.stop())
  const seen = []
  const reported = []
  const synced = deferred()
  const c = log.consume(
    (event, meta) => seen.push({ event, ...meta }),
    0,
    () => synced.resolve(),
  )
  c.liveMeta.on('error', (err) => reported.push(err))
  await within(5000, synced.promise)
  assert.deepEqual(
    seen,
    EVENTS.map(([n, [, event, id]]) => ({ event, id, pos: base + n, prevPos: n === 0 ? undefined : base + n - 1 })),
  )
  assert.deepEqual(
    reported.map((e) => [e.constructor.name, e.code, e.pos, e.file, e.line]),
    CORRUPT.map(([n]) => ['CorruptLineError', 'ERR_CORRUPT_LINE', base + n, file, n + 1]),
  )
  assert.ok(reported.every((e) => e instanceof eventlog.CorruptLineError && e.message.includes(String(e.pos))))
})

test('verify() calls corrupt exactly the lines consume() skips', async (t) => {
  const { pattern, base } = plant(t)
  const report = await within(5000, eventlog.verify(pattern))
  assert.deepEqual(
    report.problems.map((p) => [p.kind, p.pos, p.line]),
    CORRUPT.map(([n]) => ['corrupt-line', base + n, n + 1]),
  )
  assert.equal(report.events, EVENTS.length)
  assert.equal(report.lines, LINES.length)
})

test('the CLI: cat prints the same events, verify lists the same lines', async (t) => {
  const { pattern, base } = plant(t)
  const cat = await runNode(undefined, { file: BIN, args: ['cat', pattern], timeoutMs: 30000 })
  assert.equal(cat.code, 0, cat.stderr)
  const printed = cat.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  assert.deepEqual(
    printed.map((p) => [p.pos, p.event]),
    EVENTS.map(([n, [, event]]) => [base + n, event]),
  )
  const verify = await runNode(undefined, { file: BIN, args: ['verify', pattern], timeoutMs: 30000 })
  assert.equal(verify.code, 1)
  for (const [n] of CORRUPT) assert.match(verify.stdout, new RegExp(`:${n + 1}: corrupt-line at ${base + n}`))
  assert.equal((verify.stdout.match(/corrupt-line at/g) || []).length, CORRUPT.length)
})

test('errors cross as codes: every code of the core has a class, thrown and handed-over errors alike', async (t) => {
  const codes = native.errorCodes()
  assert.ok(codes.length >= 10)
  for (const code of codes) {
    const cls = Object.values(errors.classes).find((c) => c.code === code)
    assert.ok(cls, `no class for the core's ${code}`)
    assert.equal(eventlog[cls.name], cls, `${cls.name} is exported`)
  }
  // Thrown by the binding: the class of its code, no message parsing.
  await assert.rejects(
    eventlog.verify('no-placeholders.log'),
    (err) => err instanceof eventlog.InvalidPatternError && err.code === 'ERR_INVALID_PATTERN',
  )
  // A position refused by the core itself (below the JavaScript checks).
  const dir = tmpdir(t)
  const raw = new native.NativeLog(path.join(dir, 'e-%y-%m-%d.log'), undefined, false, undefined)
  t.after(() => raw.stop())
  assert.throws(
    () => raw.consume(20261204, () => {}),
    (err) => err.code === 'ERR_INVALID_POSITION' && /2026120400000000/.test(err.message),
  )
  // Handed over as data: a damaged checkpoint file is a CheckpointError.
  const w = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => w.stop())
  const { pos } = await within(5000, w.add(1).promise)
  w.resetCheckpoint('billing', pos)
  const stateFile = fs.readdirSync(dir, { recursive: true }).find((f) => path.dirname(f).endsWith('consumers'))
  assert.ok(stateFile, 'the checkpoint file')
  fs.writeFileSync(path.join(dir, stateFile), 'garbage')
  const [state] = w.checkpoints()
  assert.ok(state.error instanceof eventlog.CheckpointError, String(state.error))
  assert.equal(state.error.code, 'ERR_CHECKPOINT')
  assert.throws(() => w.checkpoint('billing'), eventlog.CheckpointError)
})

test('the position rule is the same on both sides (the cases the core is tested on)', () => {
  const { positionProblem } = require('../lib/position')
  const cases = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'positions.json'), 'utf8'))
  for (const c of cases)
    assert.equal(positionProblem(c.n, { start: c.start, dates: c.dates }), c.problem, JSON.stringify(c))
})
