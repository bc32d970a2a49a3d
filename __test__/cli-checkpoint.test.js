'use strict'
// `eventlog checkpoint` spawned as users run it: listing named consumers and how far behind
// each is, one name, --json, --reset with and without a position, a damaged file (exit 1),
// usage errors (exit 2) and --help.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const command = require('../lib/cli/checkpoint')
const { parseCommandLine, UsageError } = require('../lib/cli/args')
const { ROOT, tmpdir, runNode, writeLines } = require('./helpers')

const BIN = path.join(ROOT, 'bin', 'eventlog.js')

function cli(args) {
  return runNode(undefined, { file: BIN, args, timeoutMs: 30000 })
}

function setUp(t) {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const day = new Date().toISOString().slice(0, 10)
  writeLines(
    path.join(dir, `e-${day}.log`),
    Array.from({ length: 10 }, (_, i) => ({ i })),
  )
  const base = Number(day.replaceAll('-', '')) * 1e8
  const log = eventlog(pattern)
  log.resetCheckpoint('orders', base + 3)
  log.resetCheckpoint('Billing/v2', base + 9)
  log.stop()
  return { dir, pattern, pos: (i) => base + i, day }
}

test('checkpoint lists named consumers, shows one, and --json; how far behind each is', async (t) => {
  const { pattern, pos, day } = setUp(t)
  const [all, one, listed, none, empty] = await Promise.all([
    cli(['checkpoint', pattern]),
    cli(['checkpoint', pattern, 'orders', '--json']),
    cli(['checkpoint', pattern, '--json']),
    cli(['checkpoint', pattern, 'nobody', '--json']),
    cli(['checkpoint', path.join(tmpdir(t), 'e-%y-%m-%d.log')]),
  ])
  assert.deepEqual([all.code, all.stderr], [0, ''])
  assert.deepEqual(all.stdout.split('\n'), [
    'name        checkpoint        day #line      behind',
    `Billing/v2  ${pos(9)}  ${day} #9  0 events`,
    `orders      ${pos(3)}  ${day} #3  6 events`,
    '',
  ])
  assert.equal(one.code, 0, one.stderr)
  assert.deepEqual(JSON.parse(one.stdout), { name: 'orders', pos: pos(3), behind: 6, error: null })
  const list = JSON.parse(listed.stdout)
  assert.deepEqual(
    list.map((c) => [c.name, c.pos]),
    [
      ['Billing/v2', pos(9)],
      ['orders', pos(3)],
    ],
  )
  assert.deepEqual(JSON.parse(none.stdout), { name: 'nobody', pos: null, behind: null, error: null })
  assert.deepEqual([empty.code, empty.stdout], [0, ''])
  assert.match(empty.stderr, /^eventlog: no named consumer has a checkpoint in /)
})

test('checkpoint --reset sets or clears one; the next consumer of that name starts there', async (t) => {
  const { pattern, pos } = setUp(t)
  const set = await cli(['checkpoint', pattern, 'orders', '--reset', String(pos(6))])
  assert.deepEqual([set.code, set.stderr], [0, ''])
  assert.equal(set.stdout, `orders: ${pos(3)} -> ${pos(6)} (the next consumer named orders starts right after it)\n`)
  const log = eventlog(pattern)
  t.after(() => log.stop())
  assert.equal(log.checkpoint('orders'), pos(6))
  const cleared = await cli(['checkpoint', pattern, 'orders', '--reset', '--json'])
  assert.equal(cleared.code, 0, cleared.stderr)
  assert.deepEqual(JSON.parse(cleared.stdout), { name: 'orders', pos: null, was: pos(6) })
  assert.equal(log.checkpoint('orders'), undefined)
})

test('checkpoint --reset past the end of the log is refused (the consumer would skip events written up to it) unless --force; the API the same', async (t) => {
  const { pattern, pos } = setUp(t)
  const past = await cli(['checkpoint', pattern, 'orders', '--reset', String(pos(10))])
  assert.equal(past.code, 1)
  assert.equal(past.stdout, '')
  assert.match(
    past.stderr,
    new RegExp(`${pos(10)} is past the end of the log \\(the log ends at ${pos(9)}\\).*--force`),
  )
  const log = eventlog(pattern)
  t.after(() => log.stop())
  assert.equal(log.checkpoint('orders'), pos(3), 'unchanged')
  assert.throws(
    () => log.resetCheckpoint('orders', pos(50)),
    (err) => err instanceof eventlog.CheckpointError && /past the end/.test(err.message),
  )
  assert.throws(() => log.resetCheckpoint('orders', pos(5), { forse: true }), /unknown option "forse"/)
  assert.equal(log.resetCheckpoint('orders', pos(9)), pos(3), 'the last event is within the log')
  const forced = await cli(['checkpoint', pattern, 'orders', '--reset', String(pos(10)), '--force'])
  assert.equal(forced.code, 0, forced.stderr)
  assert.equal(log.checkpoint('orders'), pos(10))
  assert.equal(log.resetCheckpoint('orders', pos(50), { force: true }), pos(10))
  // An empty log has no end to reset within.
  const empty = eventlog(path.join(tmpdir(t), 'e-%y-%m-%d.log'))
  t.after(() => empty.stop())
  assert.throws(() => empty.resetCheckpoint('x', pos(0)), /the log is empty/)
})

test('checkpoint: a damaged file exits 1 with what to do; --reset repairs it', async (t) => {
  const { dir, pattern, pos } = setUp(t)
  fs.writeFileSync(path.join(dir, '.eventlog/e-_y-_m-_d.log.d/consumers/orders.checkpoint'), 'junk')
  const r = await cli(['checkpoint', pattern, 'orders'])
  assert.equal(r.code, 1)
  assert.match(r.stdout, /^orders +- +damaged +-$/m)
  assert.match(
    r.stderr,
    /^eventlog: the checkpoint of "orders" in .*orders\.checkpoint: the file is damaged: it holds 4 bytes \("junk"\).*--reset/,
  )
  assert.equal(await runHere([pattern]), 1, 'the listing exits 1 too')
  const fixed = await cli(['checkpoint', pattern, 'orders', '--reset', String(pos(2))])
  assert.equal(fixed.code, 0, fixed.stderr)
  assert.equal(fixed.stdout, `orders: none -> ${pos(2)} (the next consumer named orders starts right after it)\n`)
  const log = eventlog({ filename: pattern, readOnly: true })
  assert.equal(log.checkpoint('orders'), pos(2))
  log.stop()
})

/** Runs the command in-process as main.js does, with output thrown away. */
async function runHere(argv) {
  const parsed = parseCommandLine('checkpoint', argv, command.options, command.maxArgs)
  const io = { out: { write: () => undefined, end: async () => {} }, warn: () => {} }
  return command.run({ pattern: parsed.pattern, args: parsed.args, values: parsed.values, io })
}

test('checkpoint usage errors name the mistake and change nothing; spawned, they exit 2 with one line; --help', async (t) => {
  const { dir, pattern } = setUp(t)
  const consumers = path.join(dir, '.eventlog/e-_y-_m-_d.log.d/consumers')
  const before = fs.readdirSync(consumers).map((f) => [f, fs.readFileSync(path.join(consumers, f), 'utf8')])
  const cases = [
    [[], /^missing PATTERN/],
    [[pattern, 'orders', '--reset', '12'], /^bad position '12' for --reset: give the 16-digit position/],
    [[pattern, 'orders', '--reset', '2026-11-26'], /^bad position '2026-11-26' for --reset/],
    [[pattern, 'orders', '--reset', '2026113100000000'], /20261131 is not a real date/],
    [
      [pattern, 'orders', '2026112600000000'],
      /^unexpected argument '2026112600000000' \(a position goes after --reset\)/,
    ],
    [[pattern, '--reset'], /^--reset needs a NAME/],
    [[pattern, '', '--reset'], /^bad NAME: a name must be a non-empty string/],
    [[pattern, 'x'.repeat(81), '--reset'], /^bad NAME: a name must be at most 80 bytes of UTF-8, got 81/],
    [[pattern, 'x'.repeat(81)], /^bad NAME: a name must be at most 80 bytes/],
    [[pattern, 'a', 'b', 'c'], /^unexpected argument 'c'/],
    [[pattern, '--bogus'], /^unknown option --bogus/],
  ]
  for (const [argv, message] of cases) {
    await assert.rejects(
      runHere(argv),
      (err) => err instanceof UsageError && err.command === 'checkpoint' && message.test(err.message),
      argv.join(' '),
    )
  }
  const after = fs.readdirSync(consumers).map((f) => [f, fs.readFileSync(path.join(consumers, f), 'utf8')])
  assert.deepEqual(after, before, 'usage errors change nothing')

  const [bad, name, help, top] = await Promise.all([
    cli(['checkpoint', pattern, 'orders', '--reset', '12']),
    cli(['checkpoint', pattern, '']),
    cli(['checkpoint', '--help']),
    cli(['--help']),
  ])
  for (const r of [bad, name]) {
    assert.deepEqual([r.code, r.stdout], [2, ''], r.stderr)
    assert.match(r.stderr, /^eventlog: [^\n]+ \(see 'eventlog checkpoint --help'\)\n$/)
  }
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Usage: eventlog checkpoint PATTERN \[NAME\] \[--reset \[POS\] \[--force\]\] \[--json\]/)
  assert.match(top.stdout, /^ {2}checkpoint {2}named consumers' checkpoints/m)
})
