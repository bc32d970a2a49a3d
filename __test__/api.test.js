'use strict'
// Opening a log, add() and its refusals, read-only logs, and the exported error classes.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { tmpdir, readLog, within, runNode } = require('./helpers')

test('the string form opens the pattern it names and returns { add, consume, filename, stop }', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'data/events-%y-%m-%d.log')
  const log = eventlog(pattern)
  t.after(() => log.stop())
  assert.deepEqual(Object.keys(log).sort(), ['add', 'consume', 'filename', 'stop'])
  assert.equal(log.filename, pattern)
  const r = log.add({ type: 'x' })
  assert.match(r.id, /^[0-9A-Za-z]{32}$/)
  const today = new Date().toISOString().slice(0, 10)
  assert.equal(r.logfile, path.join(dir, `data/events-${today}.log`))
  const written = await within(5000, r.promise)
  assert.equal(written.id, r.id)
  assert.equal(written.pos, Number(today.replaceAll('-', '')) * 1e8)
  assert.equal(written.prevPos, undefined)
  assert.deepEqual(readLog(r.logfile), [{ event: { type: 'x' }, meta: { id: r.id } }])
})

test('the options form and the no-argument form work', async (t) => {
  const dir = tmpdir(t)
  const a = eventlog({ filename: path.join(dir, '%y/%m/%d/ev.log') })
  const b = eventlog()
  t.after(() => {
    a.stop()
    b.stop()
  })
  assert.match(b.filename, /events-%y-%m-%d\.log$/)
  const [ra, rb] = [a.add(1), b.add(2)]
  await within(5000, Promise.all([ra.promise, rb.promise]))
  assert.ok(fs.existsSync(ra.logfile) && fs.existsSync(rb.logfile))
  // The logfile is the pattern as given with the date put in: path.join gave it \ on Windows.
  assert.match(ra.logfile, /\d{4}[\\/]\d{2}[\\/]\d{2}[\\/]ev\.log$/)
})

test('relative patterns stay relative in logfile', async (t) => {
  const dir = tmpdir(t)
  const cwd = process.cwd()
  process.chdir(dir)
  t.after(() => process.chdir(cwd))
  const log = eventlog('rel/e-%y%m%d.log')
  t.after(() => log.stop())
  const r = log.add('x')
  assert.match(r.logfile, /^rel\/e-\d{8}\.log$/)
  await within(5000, r.promise)
  assert.ok(fs.existsSync(path.join(dir, r.logfile)))
})

test('a pattern without each of %y %m %d exactly once throws at once, naming the pattern', () => {
  for (const bad of ['events.log', 'e-%y-%m.log', 'e-%y-%m-%d-%d.log', '']) {
    assert.throws(
      () => eventlog(bad),
      (err) =>
        err instanceof eventlog.InvalidPatternError &&
        err.code === 'ERR_INVALID_PATTERN' &&
        err.message.includes(JSON.stringify(bad)),
    )
  }
  assert.throws(() => eventlog(42), TypeError)
})

test('events JSON.stringify cannot encode are refused at once and nothing is written', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  const circular = {}
  circular.self = circular
  for (const bad of [undefined, circular, 10n, { n: 1n }, () => 1, Symbol('s'), { toJSON: () => undefined }]) {
    assert.throws(
      () => log.add(bad),
      (err) => err instanceof eventlog.InvalidEventError && err.code === 'ERR_INVALID_EVENT',
    )
  }
  // The log keeps working, and only the good event is on disk.
  const r = log.add({ ok: true })
  await within(5000, r.promise)
  assert.deepEqual(
    readLog(r.logfile).map((l) => l.event),
    [{ ok: true }],
  )
})

test('the line on disk is exactly JSON.stringify({ event, meta: { id } })', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  const event = { b: 1, a: [1, 'two', null], u: undefined, d: new Date(0), nested: { toJSON: () => 'custom' } }
  const r = log.add(event)
  await within(5000, r.promise)
  const text = fs.readFileSync(r.logfile, 'utf8')
  assert.equal(text, JSON.stringify({ event, meta: { id: r.id } }) + '\n')
})

test('positions count up within a day and prevPos links each event to the one before', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  const results = await within(10000, Promise.all(Array.from({ length: 500 }, (_, i) => log.add({ i }).promise)))
  assert.equal(new Set(results.map((r) => r.id)).size, results.length, 'ids are unique')
  for (let i = 1; i < results.length; i++) {
    assert.equal(results[i].pos, results[i - 1].pos + 1)
    assert.equal(results[i].prevPos, results[i - 1].pos)
  }
  assert.equal(results[0].prevPos, undefined)
})

test('a read-only log rejects add with ReadOnlyError and creates nothing', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog({ filename: path.join(dir, 'sub/e-%y-%m-%d.log'), readOnly: true })
  t.after(() => log.stop())
  const p = log.add({ x: 1 })
  await assert.rejects(p, eventlog.ReadOnlyError)
  await assert.rejects(p.promise, (err) => err.code === 'ERR_READ_ONLY')
  const c = log.consume(() => {})
  c.stop()
  assert.deepEqual(fs.readdirSync(dir), [])
})

test('add after stop rejects with StoppedError; stop is idempotent', async (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  log.stop()
  log.stop()
  await assert.rejects(log.add(1).promise, eventlog.StoppedError)
  assert.throws(() => log.consume(() => {}), eventlog.StoppedError)
})

test('consume checks its arguments', (t) => {
  const dir = tmpdir(t)
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  assert.throws(() => log.consume('nope'), TypeError)
  assert.throws(() => log.consume(() => {}, -1), TypeError)
  assert.throws(() => log.consume(() => {}, 1.5), TypeError)
  assert.throws(() => log.consume(() => {}, 0, 'x'), TypeError)
  assert.throws(() => log.consume(() => {}, 2026130100000000), eventlog.InvalidMonthError)
  assert.throws(() => log.consume(() => {}, 2026023000000000), eventlog.InvalidDayError)
})

test('error classes are exported with stable codes', () => {
  const expected = {
    InvalidYearError: 'ERR_INVALID_YEAR',
    InvalidMonthError: 'ERR_INVALID_MONTH',
    InvalidDayError: 'ERR_INVALID_DAY',
    ReadOnlyError: 'ERR_READ_ONLY',
    TimeIsInFutureError: 'ERR_TIME_IS_IN_FUTURE',
    WriteError: 'ERR_WRITE',
    InvalidPatternError: 'ERR_INVALID_PATTERN',
    InvalidEventError: 'ERR_INVALID_EVENT',
    DayFullError: 'ERR_DAY_FULL',
    StoppedError: 'ERR_STOPPED',
    ReadError: 'ERR_READ',
    CorruptLineError: 'ERR_CORRUPT_LINE',
    CallbackError: 'ERR_CALLBACK',
  }
  for (const [name, code] of Object.entries(expected)) {
    const Cls = eventlog[name]
    const err = new Cls()
    assert.ok(err instanceof Error && err instanceof eventlog.EventlogError, name)
    assert.equal(err.code, code)
    assert.equal(err.name, name)
    assert.ok(err.message.length > 0)
  }
  assert.ok(new eventlog.DayFullError() instanceof eventlog.WriteError)
  assert.equal(new eventlog.ReadOnlyError().message, 'This event log is read only.')
})

test('a write failure rejects with a WriteError carrying the OS error, and the log recovers', async (t) => {
  const dir = tmpdir(t)
  // The pattern's directory is a file: nothing can be written until it is removed.
  fs.writeFileSync(path.join(dir, 'blocked'), 'not a directory')
  const log = eventlog(path.join(dir, 'blocked/e-%y-%m-%d.log'))
  t.after(() => log.stop())
  await assert.rejects(
    within(5000, log.add({ n: 1 }).promise),
    (err) => err instanceof eventlog.WriteError && err.code === 'ERR_WRITE' && /ENOTDIR|EEXIST/.test(err.errno),
  )
  fs.rmSync(path.join(dir, 'blocked'))
  const ok = await within(5000, log.add({ n: 2 }).promise)
  assert.equal(ok.pos % 1e8, 0)
})

test('an unknown option unlike any known one is ignored with a warning, once per name', async (t) => {
  const dir = tmpdir(t)
  const warnings = []
  const onWarning = (w) => w.code === 'EVENTLOG_UNKNOWN_OPTION' && warnings.push(w.message)
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))
  const a = eventlog({ filename: path.join(dir, 'a-%y-%m-%d.log'), appName: 'shop' })
  const b = eventlog({ filename: path.join(dir, 'b-%y-%m-%d.log'), appName: 'shop' })
  a.stop()
  b.stop()
  await new Promise((r) => setImmediate(r))
  assert.equal(warnings.length, 1)
  assert.match(warnings[0], /unknown option "appName"/)
})

test('a known option misspelt, or of the wrong type, is a TypeError naming it; nothing is made', async (t) => {
  const dir = tmpdir(t)
  const filename = path.join(dir, 'e-%y-%m-%d.log')
  // Where a log without filename would make its temporary directory, for this test alone.
  const tmp = tmpdir(t)
  const saved = { TMPDIR: process.env.TMPDIR, TEMP: process.env.TEMP, TMP: process.env.TMP }
  Object.assign(process.env, { TMPDIR: tmp, TEMP: tmp, TMP: tmp })
  t.after(() => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
  })
  assert.equal(os.tmpdir(), tmp)
  for (const [options, message] of [
    [{ filename, readonly: true }, /unknown option "readonly"; did you mean "readOnly"\?/],
    [{ filename, ReadOnly: true }, /did you mean "readOnly"\?/],
    [{ filname: filename }, /unknown option "filname"; did you mean "filename"\?/],
    [{ filename, durabel: true }, /did you mean "durable"\?/],
    [{ filename, archiv: { url: 's3://b/p' } }, /did you mean "archive"\?/],
    [{ filename, durable: 'yes' }, /durable must be true or false, got "yes"/],
    [{ filename, readOnly: 1 }, /readOnly must be true or false, got 1/],
  ]) {
    assert.throws(
      () => eventlog(options),
      (err) => err instanceof TypeError && message.test(err.message),
      JSON.stringify(options),
    )
  }
  // `{ filname }` made no temporary directory, and nothing was written for the others.
  assert.deepEqual(fs.readdirSync(tmp), [])
  assert.deepEqual(fs.readdirSync(dir), [])
})

test('consume() and events() refuse what is not a position, and name the position of a day', async (t) => {
  const log = eventlog(path.join(tmpdir(t), 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  for (const [from, message] of [
    [20261204, /20261204 is a day, not a position; the day's first position is 2026120400000000/],
    [123, /got 123; a position is 16 digits, YYYYMMDD then the line in the day/],
    [1e15, /got 1000000000000000; a position is 16 digits/],
    [-1, /got -1/],
  ]) {
    assert.throws(
      () => log.consume(() => {}, from),
      (err) => err instanceof TypeError && message.test(err.message),
      String(from),
    )
    assert.throws(
      () => log.events({ from }),
      (err) => err instanceof TypeError && message.test(err.message),
      String(from),
    )
  }
  assert.throws(
    () => log.events({ lve: false }),
    (err) => err instanceof TypeError && /unknown option "lve"; did you mean "live"\?/.test(err.message),
  )
  assert.throws(
    () => log.events({ since: 0 }),
    (err) =>
      err instanceof TypeError &&
      /unknown option "since"\. The options are from, live, name, onError/.test(err.message),
  )
  // 0 and nothing still mean the beginning.
  log.consume(() => {}, 0).stop()
  log.consume(() => {}).stop()
})

test('add() with expectedPrevPos present but undefined is refused, not written unchecked', async (t) => {
  const log = eventlog(path.join(tmpdir(t), 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  let last
  assert.throws(
    () => log.add({ n: 1 }, { expectedPrevPos: last }),
    (err) => err instanceof TypeError && /expectedPrevPos is undefined/.test(err.message),
  )
  assert.throws(
    () => log.add({ n: 1 }, { expectedPrevPos: 20261126 }),
    (err) => err instanceof TypeError && /20261126 is a day, not a position/.test(err.message),
  )
  const { pos } = await log.add({ n: 1 }, {}).promise
  assert.ok(pos > 0)
})

test('DEBUG=eventlog:* traces writes on stderr; without it nothing is printed', async (t) => {
  const dir = tmpdir(t)
  const script = `
    const log = eventlog(${JSON.stringify(path.join(dir, 'e-%y-%m-%d.log'))})
    log.add({ a: 1 }).promise.then(() => log.stop())
  `
  const on = await runNode(script, { env: { DEBUG: 'eventlog:*' } })
  assert.equal(on.code, 0, on.stderr)
  assert.match(on.stderr, /^eventlog:writer wrote 1 of 1 events to .*e-\d{4}-\d{2}-\d{2}\.log at \d{16}$/m)
  const off = await runNode(script, { env: { DEBUG: '' } })
  assert.equal(off.stderr, '')
})
