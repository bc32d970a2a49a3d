'use strict'
// The CLI's parts in-process: reading positions and flags, every usage message, stdout
// backpressure, the progress line, and the arithmetic of --lines and progress totals.

const assert = require('node:assert/strict')
const { EventEmitter } = require('node:events')
const { test } = require('node:test')

const { parseCommandLine, parsePosition, parseCount, parseChoice, UsageError } = require('../lib/cli/args')
const { Output } = require('../lib/cli/output')
const { progressLine } = require('../lib/cli/progress')
const { eventsBetween } = require('../lib/cli/print')
const { startOfLast } = require('../lib/cli/tail')
const { jsonLine, describePosition } = require('../lib/cli/format')

function usage(fn) {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof UsageError, `a UsageError, got ${err}`)
    return err
  }
  assert.fail('no UsageError thrown')
}

test('positions: 16 digits, 0, or a date (its first position, or its last with endOfDay)', () => {
  assert.equal(parsePosition('2026112600000042', '--from', 'cat'), 2026112600000042)
  assert.equal(parsePosition('0', '--from', 'cat'), 0)
  assert.equal(parsePosition('2026-11-26', '--from', 'cat'), 2026112600000000)
  assert.equal(parsePosition('2026-11-26', '--to', 'cat', { endOfDay: true }), 2026112699999999)
  assert.equal(parsePosition('2024-02-29', '--to', 'cat'), 2024022900000000)
  const cases = [
    ['yesterday', /^bad position 'yesterday' for --from: a position has 16 digits/],
    ['42', /^bad position 42 for --from/],
    ['-5', /^bad position '-5'/],
    ['1.5', /^bad position '1.5'/],
    ['20261126000000420', /^bad position 20261126000000420/],
    ['2026133100000000', /20261331 is not a real date/],
    ['2025-02-29', /^bad date 2025-02-29 for --from: no such day/],
    ['1969-12-31', /^bad date 1969-12-31/],
  ]
  for (const [text, message] of cases) {
    const err = usage(() => parsePosition(text, '--from', 'cat'))
    assert.match(err.message, message, text)
    assert.equal(err.command, 'cat')
  }
})

test('counts and choices', () => {
  assert.equal(parseCount('10', '--lines', 'tail'), 10)
  assert.match(usage(() => parseCount('ten', '--lines', 'tail')).message, /^bad number 'ten' for --lines/)
  assert.match(usage(() => parseCount('-1', '--lines', 'tail')).message, /^bad number '-1'/)
  assert.equal(parseChoice('pretty', '--format', ['jsonl', 'pretty'], 'cat'), 'pretty')
  assert.match(
    usage(() => parseChoice('xml', '--format', ['jsonl', 'pretty'], 'cat')).message,
    /^bad value 'xml' for --format: use jsonl or pretty$/,
  )
})

test('command lines: one pattern, known flags with their values, --help', () => {
  const options = { from: { type: 'string' }, json: { type: 'boolean' } }
  const parsed = parseCommandLine('cat', ['p-%y-%m-%d', '--from', '0'], options)
  assert.deepEqual([parsed.help, parsed.pattern, { ...parsed.values }], [false, 'p-%y-%m-%d', { from: '0' }])
  assert.deepEqual({ ...parseCommandLine('cat', ['--from=5', 'p'], options).values }, { from: '5' })
  assert.deepEqual(parseCommandLine('cat', ['-h'], options), { help: true })
  const cases = [
    [[], /^missing PATTERN/],
    [['a', 'b'], /^unexpected argument 'b'/],
    [['p', '--bogus'], /^unknown option --bogus$/],
    [['p', '-x'], /^unknown option -x$/],
    [['p', '--from'], /^option --from needs a value$/],
    [['p', '--json=1'], /--json/],
  ]
  for (const [argv, message] of cases) {
    const err = usage(() => parseCommandLine('cat', argv, options))
    assert.match(err.message, message, argv.join(' '))
    assert.equal(err.command, 'cat')
  }
})

/** A writable that takes `capacity` characters, then reports full until drained. */
function fakeStream(capacity) {
  const s = new EventEmitter()
  s.written = []
  s.pending = 0
  s.write = (text) => {
    s.written.push(text)
    s.pending += text.length
    return s.pending < capacity
  }
  s.drain = () => {
    s.pending = 0
    s.emit('drain')
  }
  return s
}

test('output: small writes are gathered into one per turn; a full stream holds the writer back until drain', async () => {
  const stream = fakeStream(100 * 1024)
  const out = new Output(stream)
  for (let i = 0; i < 10; i++) assert.equal(out.write(`line ${i}\n`), undefined)
  assert.deepEqual(stream.written, [], 'nothing written before the turn ends')
  await new Promise((r) => setImmediate(r))
  assert.equal(stream.written.length, 1)
  assert.equal(stream.written[0], Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''))

  // 64 KiB goes out at once; past the stream's capacity the writer gets a promise.
  const chunk = 'x'.repeat(64 * 1024)
  assert.equal(out.write(chunk), undefined)
  const wait = out.write(chunk)
  assert.ok(wait instanceof Promise, 'a full stream makes write() return a promise')
  let drained = false
  wait.then(() => (drained = true))
  await new Promise((r) => setImmediate(r))
  assert.equal(drained, false, 'still waiting: the stream has not drained')
  assert.ok(out.write('more\n') instanceof Promise, 'later writes wait too')
  stream.drain()
  await wait
  assert.equal(drained, true)
  await out.end()
  assert.equal(stream.written.at(-1), 'more\n')
})

test('output: an error on the stream (EPIPE) goes to onError', () => {
  const stream = fakeStream(1024)
  const seen = []
  new Output(stream, { onError: (err) => seen.push(err.code) })
  stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
  assert.deepEqual(seen, ['EPIPE'])
})

test('progress line: bar, percent, events/s and the time left, within the width', () => {
  const line = progressLine({ label: 'cat', done: 50000, total: 100000, elapsedMs: 500, width: 100 })
  assert.match(line, /^cat [█░]+ {2}50% {2}50,000\/100,000 events {2}100,000 ev\/s {2}ETA 500 ms$/)
  assert.ok(progressLine({ label: 'cat', done: 1, total: 10, elapsedMs: 1, width: 30 }).length <= 30)
  assert.equal(
    progressLine({ label: 'verify: 5 logfiles, 15 MiB', done: 0, total: undefined, elapsedMs: 2500, width: 80 }),
    'verify: 5 logfiles, 15 MiB  2.5 s',
  )
})

const report = {
  perDay: [
    { day: '2026-11-24', events: 3, firstPos: 2026112400000000, lastPos: 2026112400000002, future: false },
    { day: '2026-11-25', events: 0, firstPos: null, lastPos: null, future: false },
    { day: '2026-11-26', events: 2, firstPos: 2026112600000000, lastPos: 2026112600000001, future: false },
    { day: '2999-01-01', events: 9, firstPos: 2999010100000000, lastPos: 2999010100000008, future: true },
  ],
}

test('tail -n N starts N events before the end, across days, past empty and future ones', () => {
  assert.equal(startOfLast(report, 0), 2026112600000002)
  assert.equal(startOfLast(report, 1), 2026112600000001)
  assert.equal(startOfLast(report, 2), 2026112600000000)
  assert.equal(startOfLast(report, 3), 2026112400000002)
  assert.equal(startOfLast(report, 5), 2026112400000000)
  assert.equal(startOfLast(report, 50), 0)
})

test('progress totals count the events between two positions', () => {
  assert.equal(eventsBetween(report, 0), 5)
  assert.equal(eventsBetween(report, 2026112400000001), 4)
  assert.equal(eventsBetween(report, 2026112400000001, 2026112600000000), 3)
  assert.equal(eventsBetween(report, 2026112700000000), 0)
})

test('formats: a JSON line always has pos, prevPos, id and event; positions read as day and line', () => {
  assert.equal(
    jsonLine({ a: 1 }, { pos: 2026112600000000, prevPos: undefined, id: 'x' }),
    '{"pos":2026112600000000,"prevPos":null,"id":"x","event":{"a":1}}\n',
  )
  assert.equal(describePosition(2026112600000042), '2026-11-26 #42')
})
