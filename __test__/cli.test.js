'use strict'
// The eventlog CLI end to end, spawned as users run it, on a log of 110,000 events over five
// days: stdout, stderr and exit codes of cat, tail, stat and verify, usage errors and help.

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { after, before, test } = require('node:test')

const eventlog = require('..')
const { ROOT, tmpdir, within, deferred, runNode, writeLines, DAY_MS } = require('./helpers')

const BIN = path.join(ROOT, 'bin', 'eventlog.js')
const DAYS = 5
const PER_DAY_EVENTS = 22000

function cli(args, options = {}) {
  return runNode(undefined, { file: BIN, args, timeoutMs: 30000, ...options })
}

function dayString(ms) {
  return new Date(ms).toISOString().slice(0, 10)
}

/** `{"pos":…,"prevPos":…,"id":"…","event":…}` lines, built from what consume delivers. */
async function consumeAsJsonLines(pattern) {
  const log = eventlog({ filename: pattern, readOnly: true })
  const lines = []
  const synced = deferred()
  log.consume(
    (event, meta) => {
      lines.push(
        JSON.stringify({
          pos: meta.pos,
          prevPos: meta.prevPos === undefined ? null : meta.prevPos,
          id: meta.id,
          event,
        }) + '\n',
      )
    },
    0,
    () => synced.resolve(),
  )
  await within(20000, synced.promise, 'consuming the fixture')
  log.stop()
  return lines
}

let big
let pattern
let expected
before(async () => {
  big = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-cli-'))
  pattern = path.join(big, 'events-%y-%m-%d.log')
  const types = ['opened', 'deposited', 'withdrawn', 'transferred']
  for (let d = 0; d < DAYS; d++) {
    const events = Array.from({ length: PER_DAY_EVENTS }, (_, i) => ({
      type: types[i % 4],
      account: `acc-${i % 97}`,
      amount: (i * 7) % 500,
      d,
    }))
    writeLines(path.join(big, `events-${dayString(Date.now() - (DAYS - d) * DAY_MS)}.log`), events)
  }
  expected = await consumeAsJsonLines(pattern)
  assert.equal(expected.length, DAYS * PER_DAY_EVENTS)
})
after(() => {
  try {
    fs.rmSync(big, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 })
  } catch (err) {
    // On Windows an open file cannot go, and a directory notification handle of ours can be
    // closed a moment after its log stopped (notify closes it on its own thread): there the
    // directory is left to the system's temporary files.
    if (process.platform !== 'win32') throw err
  }
})

const posOf = (i) => JSON.parse(expected[i]).pos

test('cat prints every event as a JSON line, exactly what consume delivers, to a reader slow at first', async () => {
  // The reader does not read for a while: the CLI must wait for it (stdout backpressure) and
  // lose nothing.
  const child = spawn(process.execPath, [BIN, 'cat', pattern], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.pause()
  const resume = setTimeout(() => child.stdout.resume(), 300)
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const [code] = await within(30000, new Promise((resolve) => child.on('close', (c, s) => resolve([c, s]))), 'cat')
  clearTimeout(resume)
  assert.equal(code, 0, err)
  assert.equal(err, '')
  assert.equal(out.length, expected.join('').length)
  assert.ok(out === expected.join(''), 'cat output differs from what consume delivers')
})

test('cat --from and --to (inclusive) take positions and dates', async () => {
  const [from, to] = [posOf(PER_DAY_EVENTS - 10), posOf(PER_DAY_EVENTS + 10)]
  const r = await cli(['cat', pattern, '--from', String(from), '--to', String(to)])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, expected.slice(PER_DAY_EVENTS - 10, PER_DAY_EVENTS + 11).join(''))

  const day = dayString(posToMs(posOf(2 * PER_DAY_EVENTS)))
  const oneDay = await cli(['cat', pattern, '--from', day, '--to', day])
  assert.equal(oneDay.code, 0, oneDay.stderr)
  assert.equal(oneDay.stdout, expected.slice(2 * PER_DAY_EVENTS, 3 * PER_DAY_EVENTS).join(''))

  // --to past the end ends at the end; --from past the end prints nothing.
  const last = posOf(expected.length - 1)
  const end = await cli(['cat', pattern, '--from', String(last), '--to', '9999-12-31'])
  assert.equal(end.stdout, expected.at(-1))
  const none = await cli(['cat', pattern, '--from', String(last + 1)])
  assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', ''])
})

function posToMs(pos) {
  const d = String(Math.floor(pos / 1e8))
  return Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)))
}

test('cat --format pretty prints a header line and the event, without colours in a pipe', async () => {
  const from = posOf(5)
  const r = await cli(['cat', pattern, '--from', String(from), '--to', String(from + 1), '--format', 'pretty'])
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trimEnd().split('\n')
  assert.equal(lines.length, 4)
  const first = JSON.parse(expected[5])
  const day = dayString(posToMs(from))
  assert.equal(lines[0], `${from}  ${day} #5  prev ${from - 1}  id ${first.id}`)
  assert.equal(
    lines[1],
    `  { type: '${first.event.type}', account: '${first.event.account}', amount: ${first.event.amount}, d: 0 }`,
  )
  assert.match(lines[2], new RegExp(`^${from + 1}  ${day} #6  prev ${from}  id `))
  assert.ok(!r.stdout.includes('\x1b['), 'no ANSI escapes when stdout is not a terminal')
})

test('cat | head -1: a reader that goes away ends it quietly, with exit code 0', async () => {
  const child = spawn(process.execPath, [BIN, 'cat', pattern], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const firstLine = deferred()
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d
    if (out.includes('\n')) firstLine.resolve(out.slice(0, out.indexOf('\n') + 1))
  })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  assert.equal(await within(10000, firstLine.promise, 'the first line'), expected[0])
  child.stdout.destroy()
  assert.deepEqual(await within(10000, exited, 'cat exiting on EPIPE'), { code: 0, signal: null })
  assert.equal(err, '')
})

test('tail prints the history, then follows an event added by another process; SIGINT exits 0', async (t) => {
  const dir = tmpdir(t)
  const small = path.join(dir, 'e-%y-%m-%d.log')
  writeLines(path.join(dir, `e-${dayString(Date.now() - DAY_MS)}.log`), ['a', 'b', 'c'])
  const lines = deferred()
  let want = 2
  const child = spawn(process.execPath, [BIN, 'tail', small, '-n', '2'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d
    if (out.split('\n').length - 1 >= want) lines.resolve()
  })
  child.stderr.on('data', (d) => (err += d))
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  t.after(() => child.kill('SIGKILL'))
  await within(10000, lines.promise, 'the last two events')
  assert.deepEqual(
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event),
    ['b', 'c'],
  )

  const caught = deferred()
  want = 3
  lines.promise = caught.promise
  lines.resolve = caught.resolve
  const writer = await runNode(
    `eventlog(process.argv[1]).add({ live: true }).promise.then((r) => console.log(r.pos))`,
    { args: [small] },
  )
  assert.equal(writer.code, 0, writer.stderr)
  await within(10000, caught.promise, 'the live event')
  const live = JSON.parse(out.trim().split('\n')[2])
  assert.deepEqual(live.event, { live: true })
  assert.equal(live.pos, Number(writer.stdout.trim()))
  assert.equal(live.prevPos, JSON.parse(out.split('\n')[1]).pos)

  child.kill('SIGINT')
  assert.deepEqual(await within(10000, exited, 'tail exiting on SIGINT'), { code: 0, signal: null })
  assert.equal(err, '')
  assert.equal(out.split('\n').length - 1, 3)
})

test('tail on a pattern with no logfile says on stderr that it waits for the first one, then prints it', async (t) => {
  const dir = tmpdir(t)
  const empty = path.join(dir, 'e-%y-%m-%d.log')
  const child = spawn(process.execPath, [BIN, 'tail', empty], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => child.kill('SIGKILL'))
  let out = ''
  let err = ''
  const said = deferred()
  const printed = deferred()
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d).includes('\n') && printed.resolve())
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d).includes('\n') && said.resolve())
  await within(10000, said.promise, 'the message on stderr')
  assert.equal(err, `eventlog: no logfile matches ${empty} yet; waiting for the first one (Ctrl-C to stop)\n`)
  const writer = await runNode(`eventlog(process.argv[1]).add({ first: true }).promise`, { args: [empty] })
  assert.equal(writer.code, 0, writer.stderr)
  await within(10000, printed.promise, 'the first event')
  assert.deepEqual(JSON.parse(out).event, { first: true })
})

test('stat --json counts days, events, bytes, positions and each day', async () => {
  const r = await cli(['stat', pattern, '--json'])
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '')
  const s = JSON.parse(r.stdout)
  const files = fs
    .readdirSync(big)
    .filter((f) => f.endsWith('.log'))
    .sort()
  const bytes = files.map((f) => fs.statSync(path.join(big, f)).size)
  assert.equal(s.days, DAYS)
  assert.equal(s.events, DAYS * PER_DAY_EVENTS)
  assert.equal(
    s.bytes,
    bytes.reduce((a, b) => a + b),
  )
  assert.equal(s.firstPos, posOf(0))
  assert.equal(s.lastPos, posOf(expected.length - 1))
  assert.deepEqual(s.tornTails, [])
  assert.deepEqual(
    s.perDay.map((d) => [path.basename(d.file), d.events, d.bytes, d.firstPos, d.lastPos, d.tornBytes, d.future]),
    files.map((f, i) => [
      f,
      PER_DAY_EVENTS,
      bytes[i],
      posOf(i * PER_DAY_EVENTS),
      posOf((i + 1) * PER_DAY_EVENTS - 1),
      0,
      false,
    ]),
  )

  const human = await cli(['stat', pattern])
  assert.equal(human.code, 0, human.stderr)
  assert.match(human.stdout, /^events +110,000$/m)
  assert.match(human.stdout, new RegExp(`^first +${posOf(0)}$`, 'm'))
  assert.match(human.stdout, /^torn +none$/m)
  for (const f of files) assert.match(human.stdout, new RegExp(`^${f.slice(7, 17)} +22,000 +`, 'm'))
})

test('verify and stat on a pattern that matches no logfile say so and exit 1 (a typo must not pass a check)', async (t) => {
  const typo = path.join(tmpdir(t), 'evnets-%y-%m-%d.log')
  const v = await cli(['verify', typo])
  assert.equal(v.code, 1, v.stderr)
  assert.equal(v.stdout, 'nothing checked: no logfile\n')
  assert.match(v.stderr, /no logfile matches .*evnets-%y-%m-%d\.log; is the pattern right/)
  const s = await cli(['stat', typo, '--json'])
  assert.equal(s.code, 1, s.stderr)
  assert.equal(JSON.parse(s.stdout).days, 0)
  assert.match(s.stderr, /no logfile matches/)
})

test('verify exits 0 on a clean log; 1 with a planted corrupt line and torn tail, naming file, line, position', async (t) => {
  const clean = await cli(['verify', pattern])
  assert.deepEqual([clean.code, clean.stderr], [0, ''])
  assert.equal(clean.stdout, `ok: 5 logfiles, 110,000 lines, 110,000 events, no problems\n`)

  const dir = tmpdir(t)
  const bad = path.join(dir, 'e-%y-%m-%d.log')
  const day = dayString(Date.now() - DAY_MS)
  const file = path.join(dir, `e-${day}.log`)
  writeLines(file, ['a'])
  fs.appendFileSync(file, 'garbage\n')
  writeLines(file, ['b'])
  fs.appendFileSync(file, '{"event":"tor')
  const base = Number(day.replaceAll('-', '')) * 1e8
  const r = await cli(['verify', bad])
  assert.equal(r.code, 1)
  assert.equal(r.stderr, '')
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    `${file}:2: corrupt-line at ${base + 1}: not JSON (expected value): "garbage"`,
    `${file}:4: torn-tail at ${base + 3}: 13 bytes without a newline at the end`,
    '2 problem(s) in 1 logfiles, 3 lines, 2 events',
  ])

  // stat sees the torn tail too; cat skips the corrupt line with a warning and goes on.
  const s = JSON.parse((await cli(['stat', bad, '--json'])).stdout)
  assert.deepEqual(s.tornTails, [{ file, day, pos: base + 3, bytes: 13 }])
  assert.equal(s.events, 3)
  const c = await cli(['cat', bad])
  assert.equal(c.code, 0)
  assert.deepEqual(
    c.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event),
    ['a', 'b'],
  )
  assert.equal(
    c.stderr,
    `eventlog: the line at position ${base + 1} (${file}, line 2) is not an event and was skipped: not JSON (expected value) ('eventlog verify' lists every problem)\n`,
  )
})

test('usage errors exit 2 with one line and a hint to --help; nothing on stdout', async () => {
  // One of each kind, spawned; lib/cli's own tests check every message.
  const cases = [
    [[], /missing COMMAND.*'eventlog --help'/],
    [['bogus'], /unknown command 'bogus'.*'eventlog --help'/],
    [['cat'], /missing PATTERN.*'eventlog cat --help'/],
    [['cat', pattern, '--bogus'], /unknown option --bogus.*'eventlog cat --help'/],
    [
      ['cat', pattern, '--from', '2026133100000000'],
      /bad position 2026133100000000 for --from: 20261331 is not a real date/,
    ],
    [['cat', 'events.log'], /invalid filename pattern "events.log".*'eventlog cat --help'/],
    [['tail', pattern, '--from', '0', '-n', '3'], /give --from or --lines, not both.*'eventlog tail --help'/],
    [['stat', pattern, '--json=yes'], /--json/],
  ]
  const results = await Promise.all(cases.map(([args]) => cli(args)))
  results.forEach((r, i) => {
    const [args, message] = cases[i]
    const what = `eventlog ${args.join(' ')}`
    assert.equal(r.code, 2, `${what}: exit code ${r.code}, stderr ${r.stderr}`)
    assert.equal(r.stdout, '', what)
    assert.equal(r.stderr.split('\n').length, 2, `${what}: one line, got ${JSON.stringify(r.stderr)}`)
    assert.match(r.stderr, /^eventlog: .*--help/, what)
    assert.match(r.stderr, message, what)
  })
})

test('--help prints the usage of the CLI and of every command, exit 0', async () => {
  const runs = [['--help'], ['cat', '--help'], ['tail', '-h'], ['stat', '--help'], ['help', 'verify']]
  const results = await Promise.all(runs.map((args) => cli(args)))
  results.forEach((r, i) => {
    assert.equal(r.code, 0, runs[i].join(' '))
    assert.equal(r.stderr, '')
  })
  for (const name of ['cat', 'tail', 'stat', 'verify']) assert.match(results[0].stdout, new RegExp(`^  ${name} `, 'm'))
  assert.match(results[1].stdout, /^Usage: eventlog cat PATTERN \[--from POS\] \[--to POS\] \[--format jsonl\|pretty\]/)
  assert.match(results[2].stdout, /^Usage: eventlog tail PATTERN/)
  assert.match(results[3].stdout, /^Usage: eventlog stat PATTERN \[--json\]/)
  assert.match(results[4].stdout, /Exit code 0 when clean, 1 when problems were found/)
})

test('failures are one line on stderr and exit 1, never a stack trace', async (t) => {
  // The pattern's directory is a file: the walk fails for every command. Windows has no
  // /dev/null, and says so in its own words (ERROR_DIRECTORY; Wine: ERROR_INVALID_NAME).
  const file = process.platform === 'win32' ? path.join(tmpdir(t), 'file') : '/dev/null'
  if (process.platform === 'win32') fs.writeFileSync(file, 'not a directory')
  const results = await Promise.all(
    ['cat', 'tail', 'stat', 'verify'].map((c) => cli([c, path.join(file, 'e-%y-%m-%d.log')])),
  )
  for (const r of results) {
    assert.equal(r.code, 1, r.stderr)
    if (process.platform === 'win32')
      assert.match(r.stderr, /^eventlog: could not list \S*file: [^\n]+ \(os error \d+\)\n$/)
    else assert.equal(r.stderr, 'eventlog: could not list /dev/null: Not a directory (os error 20)\n')
    assert.equal(r.stdout, '')
  }
})
