'use strict'
// `eventlog checkpoint` spawned as users run it: listing named consumers and how far behind
// each is, one name, --json, --reset with and without a position, a damaged file (exit 1),
// usage errors (exit 2) and --help.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { ROOT, tmpdir, runNode, writeLines } = require('./helpers')

const BIN = path.join(ROOT, 'bin', 'eventlog.js')

function cli(args) {
  return runNode(undefined, { file: BIN, args, timeoutMs: 30000 })
}

function setUp(t) {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const day = new Date().toISOString().slice(0, 10)
  writeLines(path.join(dir, `e-${day}.log`), Array.from({ length: 10 }, (_, i) => ({ i })))
  const base = Number(day.replaceAll('-', '')) * 1e8
  const log = eventlog(pattern)
  log.resetCheckpoint('orders', base + 3)
  log.resetCheckpoint('Billing/v2', base + 9)
  log.stop()
  return { dir, pattern, pos: (i) => base + i, day }
}

test('checkpoint lists named consumers, shows one, and --json; how far behind each is', async (t) => {
  const { pattern, pos, day } = setUp(t)
  const all = await cli(['checkpoint', pattern])
  assert.deepEqual([all.code, all.stderr], [0, ''])
  assert.deepEqual(all.stdout.split('\n'), [
    'name        checkpoint        day #line      behind',
    `Billing/v2  ${pos(9)}  ${day} #9  0 events`,
    `orders      ${pos(3)}  ${day} #3  6 events`,
    '',
  ])
  const one = await cli(['checkpoint', pattern, 'orders', '--json'])
  assert.equal(one.code, 0, one.stderr)
  assert.deepEqual(JSON.parse(one.stdout), { name: 'orders', pos: pos(3), behind: 6, error: null })
  const list = JSON.parse((await cli(['checkpoint', pattern, '--json'])).stdout)
  assert.deepEqual(list.map((c) => [c.name, c.pos]), [['Billing/v2', pos(9)], ['orders', pos(3)]])
  const none = await cli(['checkpoint', pattern, 'nobody', '--json'])
  assert.deepEqual(JSON.parse(none.stdout), { name: 'nobody', pos: null, behind: null, error: null })
  const empty = await cli(['checkpoint', path.join(tmpdir(t), 'e-%y-%m-%d.log')])
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

test('checkpoint: a damaged file exits 1 with what to do; --reset repairs it', async (t) => {
  const { dir, pattern, pos } = setUp(t)
  fs.writeFileSync(path.join(dir, '.eventlog/e-_y-_m-_d.log.d/consumers/orders.checkpoint'), 'junk')
  const r = await cli(['checkpoint', pattern, 'orders'])
  assert.equal(r.code, 1)
  assert.match(r.stdout, /^orders +- +damaged +-$/m)
  assert.match(r.stderr, /^eventlog: the checkpoint of "orders" in .*orders\.checkpoint: the file is damaged: it holds 4 bytes \("junk"\).*--reset/)
  assert.equal((await cli(['checkpoint', pattern])).code, 1)
  const fixed = await cli(['checkpoint', pattern, 'orders', '--reset', String(pos(2))])
  assert.equal(fixed.code, 0, fixed.stderr)
  assert.equal(fixed.stdout, `orders: none -> ${pos(2)} (the next consumer named orders starts right after it)\n`)
  assert.equal((await cli(['checkpoint', pattern, 'orders'])).code, 0)
})

test('checkpoint usage errors exit 2 with one line; --help', async (t) => {
  const { dir, pattern } = setUp(t)
  const before = fs.readdirSync(path.join(dir, '.eventlog/e-_y-_m-_d.log.d/consumers')).sort()
  const cases = [
    [[], /missing PATTERN/],
    [[pattern, 'orders', '--reset', '12'], /bad position '12' for --reset: give the 16-digit position/],
    [[pattern, 'orders', '--reset', '2026-11-26'], /bad position '2026-11-26' for --reset/],
    [[pattern, 'orders', '--reset', '2026113100000000'], /20261131 is not a real date/],
    [[pattern, 'orders', '2026112600000000'], /unexpected argument '2026112600000000' \(a position goes after --reset\)/],
    [[pattern, '--reset'], /--reset needs a NAME/],
    [[pattern, '', '--reset'], /bad NAME: a name must be a non-empty string/],
    [[pattern, 'x'.repeat(81), '--reset'], /bad NAME: a name must be at most 80 bytes of UTF-8, got 81/],
    [[pattern, 'a', 'b', 'c'], /unexpected argument 'c'/],
    [[pattern, '--bogus'], /unknown option --bogus/],
  ]
  const results = await Promise.all(cases.map(([args]) => cli(['checkpoint', ...args])))
  results.forEach((r, i) => {
    const what = `checkpoint ${cases[i][0].join(' ')}`
    assert.equal(r.code, 2, `${what}: ${r.stderr}`)
    assert.equal(r.stdout, '', what)
    assert.equal(r.stderr.split('\n').length, 2, what)
    assert.match(r.stderr, cases[i][1], what)
    assert.match(r.stderr, /\(see 'eventlog checkpoint --help'\)\n$/, what)
  })
  assert.deepEqual(fs.readdirSync(path.join(dir, '.eventlog/e-_y-_m-_d.log.d/consumers')).sort(), before, 'usage errors change nothing')
  const help = await cli(['checkpoint', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Usage: eventlog checkpoint PATTERN \[NAME\] \[--reset \[POS\]\] \[--json\]/)
  assert.match((await cli(['--help'])).stdout, /^ {2}checkpoint {2}named consumers' checkpoints/m)
})
