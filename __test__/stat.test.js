'use strict'
// stat(): per-day counts from the core, and the totals lib/stat.js adds.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { tmpdir, writeLines } = require('./helpers')

test('stat() counts days, events, bytes, torn tails; the positions a reader sees skip future days', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  writeLines(path.join(dir, 'e-2020-01-01.log'), [1, 2, 3])
  fs.writeFileSync(path.join(dir, 'e-2020-01-02.log'), '')
  writeLines(path.join(dir, 'e-2020-01-03.log'), [4])
  fs.appendFileSync(path.join(dir, 'e-2020-01-03.log'), '{"event":5,"me')
  writeLines(path.join(dir, 'e-2999-01-01.log'), [6, 7])
  const size = (f) => fs.statSync(path.join(dir, f)).size
  const s = await eventlog.stat(pattern)
  assert.deepEqual(
    { ...s, perDay: undefined },
    {
      pattern,
      days: 4,
      events: 3 + 0 + 1 + 2,
      bytes: size('e-2020-01-01.log') + size('e-2020-01-03.log') + size('e-2999-01-01.log'),
      firstPos: 2020010100000000,
      lastPos: 2020010300000000,
      tornTails: [{ file: path.join(dir, 'e-2020-01-03.log'), day: '2020-01-03', pos: 2020010300000001, bytes: 14 }],
      archivedDays: 0,
      archiveOnlyDays: 0,
      perDay: undefined,
      // Never archived here, no named consumer.
      archive: null,
      consumers: [],
    },
  )
  assert.deepEqual(s.perDay[1], {
    day: '2020-01-02',
    file: path.join(dir, 'e-2020-01-02.log'),
    events: 0,
    bytes: 0,
    tornBytes: 0,
    firstPos: null,
    lastPos: null,
    future: false,
    archived: null,
    local: true,
  })
  assert.deepEqual(
    s.perDay.map((d) => [d.day, d.events, d.firstPos, d.lastPos, d.tornBytes, d.future]),
    [
      ['2020-01-01', 3, 2020010100000000, 2020010100000002, 0, false],
      ['2020-01-02', 0, null, null, 0, false],
      ['2020-01-03', 1, 2020010300000000, 2020010300000000, 14, false],
      ['2999-01-01', 2, 2999010100000000, 2999010100000001, 0, true],
    ],
  )
  // The options form, and an empty log.
  const none = await eventlog.stat({ filename: path.join(dir, 'none', 'e-%y-%m-%d.log') })
  assert.deepEqual([none.days, none.events, none.bytes, none.firstPos, none.lastPos], [0, 0, 0, null, null])
})

test('stat() refuses a bad pattern with InvalidPatternError, a non-pattern with TypeError', async (t) => {
  await assert.rejects(eventlog.stat('events.log'), eventlog.InvalidPatternError)
  await assert.rejects(eventlog.stat(42), TypeError)
  if (process.platform === 'win32') {
    // No /dev/null there: a file where the directory should be, in Windows' words.
    const file = path.join(tmpdir(t), 'file')
    fs.writeFileSync(file, 'not a directory')
    await assert.rejects(
      eventlog.stat(path.join(file, 'e-%y-%m-%d.log')),
      (err) => err instanceof eventlog.ReadError && /could not list .*file: .+\(os error \d+\)/.test(err.message),
    )
  } else {
    await assert.rejects(
      eventlog.stat('/dev/null/e-%y-%m-%d.log'),
      (err) => err instanceof eventlog.ReadError && /Not a directory/.test(err.message),
    )
  }
})
