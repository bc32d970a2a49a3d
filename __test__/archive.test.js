'use strict'
// The archive tier against a real S3-compatible server (moto, started here on 127.0.0.1):
// uploads and their verification, idempotent passes, retention, resuming interrupted uploads,
// replay from the archive alone and across archive, local disk and live events, a second
// process that has only the archive, and a store that is down.

const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { test, before, after } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, deferred, runNode, startNode, writeLines, DAY_MS } = require('./helpers')
const {
  startMoto,
  createBucket,
  listKeys,
  getObject,
  putObject,
  deleteObject,
  startProxy,
  archiveOptions,
} = require('./support/s3')

let moto
before(async () => {
  moto = await startMoto(null)
})
after(() => moto && moto.stop())

/** `YYYY-MM-DD` and `YYYYMMDD` of the UTC day `n` days ago. */
const dayName = (n) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10)
const dayNumber = (n) => Number(dayName(n).replaceAll('-', ''))

/** A log directory with history on past days: `{ [daysAgo]: count }`. */
function history(t, days) {
  const dir = tmpdir(t)
  for (const [ago, count] of Object.entries(days)) {
    writeLines(
      path.join(dir, `e-${dayName(Number(ago))}.log`),
      Array.from({ length: count }, (_, i) => ({ day: Number(ago), i })),
    )
  }
  return { dir, pattern: path.join(dir, 'e-%y-%m-%d.log') }
}

/** Where the index of the day at `dayKey` (under the prefix `logs`) is in the archive. */
const indexKey = (dayKey) => dayKey.replace(/^logs\//, 'logs/_eventlog/index/') + '.index'

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex')
const ownDir = (dir) => path.join(dir, '.eventlog', 'e-_y-_m-_d.log.d')

/** Every event of a log as `[pos, prevPos, id, event]`, read once to its end. */
async function replay(log, from = 0) {
  const got = []
  const errors = []
  const done = deferred()
  const c = log.consume(
    (event, meta) => got.push([meta.pos, meta.prevPos, meta.id, event]),
    from,
    () => done.resolve(),
  )
  c.liveMeta.on('error', (e) => errors.push(e))
  await within(20000, done.promise, 'replaying to the end')
  c.stop()
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
  )
  return got
}

/**
 * A replay from `from` by a process with only the archive (an empty directory of its own),
 * through a proxy that counts what the store sends: `{ got, received }` (bytes).
 */
async function replayThroughProxy(t, bucket, from) {
  const proxy = await startProxy(t, moto.port)
  const reader = eventlog({
    filename: path.join(tmpdir(t), 'e-%y-%m-%d.log'),
    readOnly: true,
    archive: archiveOptions(proxy.endpoint, bucket),
  })
  t.after(() => reader.stop())
  const got = await replay(reader, from)
  await within(10000, reader.stop())
  return { got, received: proxy.received() }
}

/** Every file under `dir`, as text. */
function allFiles(dir) {
  const out = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(fs.readFileSync(path.join(entry.parentPath ?? entry.path, entry.name), 'latin1'))
  }
  return out
}

test('sealed days go up byte for byte with their line count and sha256, verified and recorded', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { dir, pattern } = history(t, { 3: 10, 2: 5 })
  const options = archiveOptions(moto.endpoint, bucket, { secretAccessKey: 'a-distinct-secret-4711' })
  const log = eventlog({ filename: pattern, archive: options })
  t.after(() => log.stop())
  await log.add({ today: true }).promise
  const report = await within(20000, log.archive(), 'an archive pass')
  assert.deepEqual(report.failed, [])
  assert.deepEqual(report.pruned, [])
  const keys = await listKeys(moto.endpoint, bucket)
  const days = [`logs/e-${dayName(3)}.log`, `logs/e-${dayName(2)}.log`]
  // Each day, and its index under _eventlog/ (for readers that have only the archive), where
  // query engines reading the prefix do not look.
  assert.deepEqual(keys, [...days, ...days.map(indexKey)].sort(), "today's day is not sealed")
  for (const [ago, lines] of [
    [3, 10],
    [2, 5],
  ]) {
    const local = fs.readFileSync(path.join(dir, `e-${dayName(ago)}.log`))
    const object = await getObject(moto.endpoint, bucket, `logs/e-${dayName(ago)}.log`)
    assert.ok(object.body.equals(local), 'the object is the logfile byte for byte')
    assert.equal(object.headers.get('x-amz-meta-lines'), String(lines))
    assert.equal(object.headers.get('x-amz-meta-sha256'), sha256(local))
    const record = JSON.parse(fs.readFileSync(path.join(ownDir(dir), 'archive', `${dayNumber(ago)}.json`), 'utf8'))
    assert.deepEqual(
      { key: record.key, size: record.size, lines: record.lines, sha256: record.sha256 },
      { key: `logs/e-${dayName(ago)}.log`, size: local.length, lines, sha256: sha256(local) },
    )
  }
  // Credentials never reach our files.
  for (const text of allFiles(path.join(dir, '.eventlog'))) assert.ok(!text.includes('a-distinct-secret-4711'))
  // The original package still reads the directory: our files are never taken for logfiles.
  const original = require('@rymdtiden/eventlog')({ filename: pattern, readOnly: true })
  const seen = []
  await within(
    10000,
    new Promise((resolve) => {
      original.consume((event) => {
        seen.push(event)
        if (seen.length === 16) resolve()
      })
    }),
    'the original reading the directory',
  )
  assert.deepEqual(seen.at(-1), { today: true })
})

test('a second pass uploads nothing again, and a lost record is rebuilt from the object, not re-uploaded', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { dir, pattern } = history(t, { 2: 3 })
  const log = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, bucket) })
  t.after(() => log.stop())
  await log.add({ today: true }).promise
  await within(20000, log.archive())
  const key = `logs/e-${dayName(2)}.log`
  const before = (await getObject(moto.endpoint, bucket, key)).headers.get('last-modified')
  assert.deepEqual(await within(20000, log.archive()), { uploaded: [], pruned: [], failed: [] })
  fs.rmSync(path.join(ownDir(dir), 'archive', `${dayNumber(2)}.json`))
  const again = await within(20000, log.archive())
  assert.deepEqual(again.uploaded, [dayNumber(2)], 'found, verified and recorded again')
  assert.ok(fs.existsSync(path.join(ownDir(dir), 'archive', `${dayNumber(2)}.json`)))
  assert.equal((await getObject(moto.endpoint, bucket, key)).headers.get('last-modified'), before, 'not overwritten')
})

test('keepLocalDays deletes only days whose upload is verified; a day that failed stays', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { dir, pattern } = history(t, { 5: 4, 3: 4, 1: 4 })
  // Someone else's object sits at the key of the day 3 days ago: that day cannot be archived.
  await putObject(moto.endpoint, bucket, `logs/e-${dayName(3)}.log`, 'not our day\n')
  const log = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, bucket, { keepLocalDays: 1 }) })
  t.after(() => log.stop())
  await log.add({ today: true }).promise
  const report = await within(20000, log.archive())
  const reports = [report]
  // The pass at open may have done part of it; what matters is the state after this one.
  assert.deepEqual(
    report.failed.map((f) => f.day),
    [dayNumber(3)],
  )
  assert.match(report.failed[0].error, /different object/)
  const local = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
  assert.deepEqual(local, [`e-${dayName(3)}.log`, `e-${dayName(1)}.log`, `e-${dayName(0)}.log`].sort())
  assert.equal((await getObject(moto.endpoint, bucket, `logs/e-${dayName(3)}.log`)).body.toString(), 'not our day\n')
  assert.ok(reports.length)
  // Every event is still there, in order, the pruned day from the archive.
  const events = await replay(log)
  assert.deepEqual(
    events.map((e) => e[3].day ?? 'today'),
    [5, 5, 5, 5, 3, 3, 3, 3, 1, 1, 1, 1, 'today'],
  )
})

test('an upload cut off mid-way resumes with the parts done; one whose server died starts over', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  // A day of ~40 MB goes up in parts of 8 MiB.
  const big = path.join(dir, `e-${dayName(1)}.log`)
  const line = (i) =>
    JSON.stringify({ event: { i, pad: 'x'.repeat(380) }, meta: { id: `id${String(i).padStart(30, '0')}` } }) + '\n'
  fs.writeFileSync(big, Array.from({ length: 100000 }, (_, i) => line(i)).join(''))
  const proxy = await startProxy(t, moto.port)
  const child = startNode(
    `const log = eventlog({ filename: process.argv[1], archive: JSON.parse(process.argv[2]) })
     log.add({ today: 1 }).promise.then(async () => {
       process.stdout.write('ready\\n')
       process.stdin.resume()
       process.stdin.on('data', async () => {
         const r = await log.archive()
         console.log(JSON.stringify(r))
         log.stop()
         process.exit(0)
       })
     })`,
    {
      args: [
        pattern,
        JSON.stringify(
          archiveOptions(proxy.endpoint, bucket, { pollIntervalMs: 60000, retryTimeoutMs: 1000, maxRetries: 1 }),
        ),
      ],
      env: { DEBUG: 'eventlog:archive' },
      timeoutMs: 60000,
    },
  )
  // Cut the store off once the first part is done (the upload's state is in our files).
  const state = path.join(ownDir(dir), 'archive', `${dayNumber(1)}.upload`)
  const cut = deferred()
  const watcher = fs.watch(path.join(dir), { recursive: true }, () => {
    try {
      if (JSON.parse(fs.readFileSync(state, 'utf8')).parts.length >= 1) cut.resolve()
    } catch {
      // Not there yet, or being replaced.
    }
  })
  t.after(() => watcher.close())
  await within(30000, cut.promise, 'the first part going up')
  proxy.setMode('refuse')
  watcher.close()
  // The background pass fails; the parts it did stay recorded.
  await within(20000, child.output(/could not upload|pass failed/, 'stderr'), 'the pass failing')
  const parts = JSON.parse(fs.readFileSync(state, 'utf8')).parts.length
  assert.ok(parts >= 1 && parts < 5, `${parts} of 5 parts went up before the cut`)
  assert.ok(fs.existsSync(big), 'nothing is deleted while the upload is incomplete')
  proxy.setMode('pass')
  child.write('go\n')
  const r = await child.done
  assert.equal(r.code, 0, r.stderr)
  const report = JSON.parse(r.stdout.trim().split('\n').pop())
  assert.deepEqual(report.uploaded, [dayNumber(1)])
  assert.match(r.stderr, /resuming the upload of logs\/.* at part \d+/)
  const object = await getObject(moto.endpoint, bucket, `logs/e-${dayName(1)}.log`)
  assert.equal(sha256(object.body), sha256(fs.readFileSync(big)))
  assert.ok(!fs.existsSync(state), 'the finished upload leaves no state behind')
})

test('the server killed mid-upload: nothing is lost or deleted, and the next pass after its return completes', async (t) => {
  const server = await startMoto(t)
  const bucket = await createBucket(server.endpoint)
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const big = path.join(dir, `e-${dayName(1)}.log`)
  const line = (i) =>
    JSON.stringify({ event: { i, pad: 'y'.repeat(380) }, meta: { id: `id${String(i).padStart(30, '0')}` } }) + '\n'
  fs.writeFileSync(big, Array.from({ length: 100000 }, (_, i) => line(i)).join(''))
  const bigSha = sha256(fs.readFileSync(big))
  const options = archiveOptions(server.endpoint, bucket, {
    keepLocalDays: 0,
    pollIntervalMs: 60000,
    retryTimeoutMs: 1000,
    maxRetries: 1,
  })
  const log = eventlog({ filename: pattern, archive: options })
  t.after(() => log.stop())
  await log.add({ today: 1 }).promise
  const state = path.join(ownDir(dir), 'archive', `${dayNumber(1)}.upload`)
  const started = deferred()
  const watcher = fs.watch(dir, { recursive: true }, () => fs.existsSync(state) && started.resolve())
  t.after(() => watcher.close())
  if (fs.existsSync(state)) started.resolve()
  await within(30000, started.promise, 'the upload starting')
  watcher.close()
  await server.stop()
  await assert.rejects(within(20000, log.archive()), (e) => e instanceof eventlog.ArchiveError)
  assert.ok(fs.existsSync(big), 'the day is still on disk')
  // Writers go on meanwhile.
  assert.ok((await log.add({ during: 'outage' }).promise).pos > 0)
  // The server comes back (empty, as a restarted moto is) on the same port.
  const back = await startMoto(t, server.port)
  await createBucket(back.endpoint, bucket)
  // The background pass retries with backoff; an explicit one waits for it, then makes its own.
  const report = await within(30000, log.archive(), 'the pass after the server returned')
  assert.deepEqual(report.failed, [])
  assert.ok(fs.existsSync(path.join(ownDir(dir), 'archive', `${dayNumber(1)}.json`)), 'uploaded and recorded')
  assert.ok(!fs.existsSync(big), 'pruned once verified')
  const object = await getObject(back.endpoint, bucket, `logs/e-${dayName(1)}.log`)
  assert.equal(sha256(object.body), bigSha)
  assert.equal(object.headers.get('x-amz-meta-lines'), '100000')
})

test('a process with only the archive replays it, seeks into it, and picks up newly sealed days', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { dir, pattern } = history(t, { 4: 3000, 3: 2 })
  const writer = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, bucket) })
  t.after(() => writer.stop())
  await writer.add({ today: true }).promise
  await within(20000, writer.archive())
  const expected = (await replay(eventlog({ filename: pattern, readOnly: true }))).filter(
    (e) => e[3].today === undefined,
  )

  // Elsewhere: an empty directory, read-only, the archive.
  const elsewhere = path.join(tmpdir(t), 'e-%y-%m-%d.log')
  const reader = eventlog({ filename: elsewhere, readOnly: true, archive: archiveOptions(moto.endpoint, bucket) })
  t.after(() => reader.stop())
  assert.deepEqual(await replay(reader), expected)
  assert.deepEqual(await replay(reader, expected[2500][0]), expected.slice(2500))
  assert.equal(fs.readdirSync(path.dirname(elsewhere)).length, 0, 'a read-only reader creates nothing')

  // Another process follows it, and gets a day sealed after it started.
  const child = startNode(
    `const log = eventlog({ filename: process.argv[1], readOnly: true, archive: JSON.parse(process.argv[2]) })
     const alive = setInterval(() => {}, 1000)
     let synced = false
     log.consume((e, m) => {
       if (e.late) { console.log('late', m.pos, m.prevPos); log.stop(); clearInterval(alive) }
     }, 0, () => { if (!synced) { synced = true; console.log('synced') } })`,
    { args: [elsewhere, JSON.stringify(archiveOptions(moto.endpoint, bucket))], timeoutMs: 30000 },
  )
  await within(20000, child.output(/synced/), 'the other process catching up')
  writeLines(path.join(dir, `e-${dayName(2)}.log`), [{ late: true }])
  await within(20000, writer.archive())
  const r = await child.done
  assert.equal(r.code, 0, r.stderr)
  const [, pos, prev] = /late (\d+) (\d+)/.exec(r.stdout)
  assert.equal(Number(pos), dayNumber(2) * 1e8)
  assert.equal(Number(prev), expected.at(-1)[0], 'prevPos links the new day to the archived history')
})

test('a process with only the archive seeks into a long archived day by its uploaded index, not from its start', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { dir, pattern } = history(t, { 2: 300000 })
  const bytes = fs.statSync(path.join(dir, `e-${dayName(2)}.log`)).size
  const writer = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, bucket, { keepLocalDays: 0 }) })
  t.after(() => writer.stop())
  await writer.add({ today: true }).promise
  assert.deepEqual((await within(20000, writer.archive())).failed, [])
  assert.ok((await listKeys(moto.endpoint, bucket)).includes(indexKey(`logs/e-${dayName(2)}.log`)))
  const seekNearTheEnd = async () => {
    const { got, received } = await replayThroughProxy(t, bucket, dayNumber(2) * 1e8 + 299000)
    assert.deepEqual(
      got.map((e) => e[3].i),
      Array.from({ length: 1000 }, (_, k) => 299000 + k),
    )
    assert.equal(got[0][1], dayNumber(2) * 1e8 + 298999, 'prevPos of the first event delivered')
    return received
  }
  const indexed = await seekNearTheEnd()
  assert.ok(indexed < bytes / 4, `the store sent ${indexed} bytes for a seek near the end of a ${bytes}-byte day`)
  // Without the index the same events come, from the day's start.
  await deleteObject(moto.endpoint, bucket, indexKey(`logs/e-${dayName(2)}.log`))
  const unindexed = await seekNearTheEnd()
  assert.ok(unindexed > bytes, `without its index, the store sent ${unindexed} bytes for the ${bytes}-byte day`)
  t.diagnostic(`a ${bytes}-byte day: the store sent ${indexed} bytes with its index, ${unindexed} without`)
})

test('an archive with indexes beside their days (the layout before _eventlog/): readers seek by them, and the next pass moves them, touching no day', async (t) => {
  // A day of 12 MB, so that a seek near its end with an index fetches a fraction of it (a
  // reader fetches 4 MiB at a time), and one without fetches it all (the test above).
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const pad = 'x'.repeat(1000)
  writeLines(
    path.join(dir, `e-${dayName(3)}.log`),
    Array.from({ length: 12000 }, (_, i) => ({ day: 3, i, pad })),
  )
  writeLines(
    path.join(dir, `e-${dayName(2)}.log`),
    Array.from({ length: 5 }, (_, i) => ({ day: 2, i })),
  )
  const bytes = fs.statSync(path.join(dir, `e-${dayName(3)}.log`)).size
  // The days and indexes as eventlog uploads them, to a bucket of their own first ...
  const source = await createBucket(moto.endpoint)
  const writer = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, source) })
  await writer.add({ today: true }).promise
  assert.deepEqual((await within(20000, writer.archive())).failed, [])
  await within(10000, writer.stop())
  // ... then written in the old layout, each index beside its day, with plain PUTs.
  const bucket = await createBucket(moto.endpoint)
  const days = [3, 2].map((n) => `logs/e-${dayName(n)}.log`)
  const indexes = new Map()
  for (const key of days) {
    const day = await getObject(moto.endpoint, source, key)
    const metadata = {}
    for (const name of ['x-amz-meta-lines', 'x-amz-meta-sha256']) metadata[name] = day.headers.get(name)
    await putObject(moto.endpoint, bucket, key, day.body, metadata)
    indexes.set(key, (await getObject(moto.endpoint, source, indexKey(key))).body)
    await putObject(moto.endpoint, bucket, `${key}.index`, indexes.get(key))
  }
  // Someone else's object under such a name is not ours to move.
  const notOurs = `logs/e-${dayName(5)}.log.index`
  await putObject(moto.endpoint, bucket, notOurs, 'not an index')
  const dayObjects = async () => {
    const seen = []
    for (const key of days) {
      const { body, headers } = await getObject(moto.endpoint, bucket, key)
      seen.push([key, sha256(body), headers.get('etag'), headers.get('last-modified')])
    }
    return seen
  }
  const daysBefore = await dayObjects()

  const seekNearTheEnd = async () => {
    const { got, received } = await replayThroughProxy(t, bucket, dayNumber(3) * 1e8 + 11900)
    assert.deepEqual(
      got.map((e) => [e[3].day, e[3].i]),
      [...Array.from({ length: 100 }, (_, k) => [3, 11900 + k]), ...Array.from({ length: 5 }, (_, k) => [2, k])],
    )
    return received
  }
  const beside = await seekNearTheEnd()
  assert.ok(beside < bytes / 4, `with the index beside the day, the store sent ${beside} bytes of a ${bytes}-byte day`)
  // A read-only reader moves nothing.
  assert.deepEqual(await listKeys(moto.endpoint, bucket), [...days, ...days.map((k) => `${k}.index`), notOurs].sort())

  // The next pass of a writer (here one with no local days at all) moves the indexes.
  const mover = eventlog({
    filename: path.join(tmpdir(t), 'e-%y-%m-%d.log'),
    archive: archiveOptions(moto.endpoint, bucket),
  })
  t.after(() => mover.stop())
  const report = await within(20000, mover.archive())
  assert.deepEqual(report, { uploaded: [], pruned: [], failed: [] })
  assert.deepEqual(await listKeys(moto.endpoint, bucket), [...days, ...days.map(indexKey), notOurs].sort())
  for (const key of days) {
    assert.ok(
      (await getObject(moto.endpoint, bucket, indexKey(key))).body.equals(indexes.get(key)),
      `${key}'s index moved`,
    )
  }
  assert.deepEqual(await dayObjects(), daysBefore, 'no day object was written again')
  assert.equal((await getObject(moto.endpoint, bucket, notOurs)).body.toString(), 'not an index')
  const moved = await seekNearTheEnd()
  assert.ok(moved < bytes / 4, `with the index moved, the store sent ${moved} bytes of a ${bytes}-byte day`)
  t.diagnostic(`a ${bytes}-byte day: the store sent ${beside} bytes with its index beside it, ${moved} once moved`)
})

test('replay across pruned days, local days and live events is one sequence, as if all were local', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { dir, pattern } = history(t, { 3: 300, 2: 2, 1: 20 })
  const before = await replay(eventlog({ filename: pattern, readOnly: true }))
  const log = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, bucket, { keepLocalDays: 1 }) })
  t.after(() => log.stop())
  await log.add({ today: 0 }).promise
  await within(20000, log.archive())
  assert.deepEqual(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort(),
    [`e-${dayName(1)}.log`, `e-${dayName(0)}.log`].sort(),
  )
  const got = []
  const live = deferred()
  const c = log.consume(
    (event, meta) => {
      got.push([meta.pos, meta.prevPos, meta.id, event])
      if (event.live) live.resolve()
    },
    0,
    () => got.length === before.length + 1 && log.add({ live: true }),
  )
  await within(20000, live.promise, 'the live event')
  c.stop()
  assert.deepEqual(got.slice(0, before.length), before)
  for (let i = 1; i < got.length; i++) assert.equal(got[i][1], got[i - 1][0], `prevPos of event ${i}`)
  assert.deepEqual(got.at(-1)[3], { live: true })
})

test('with the store down, writers and consumers work on, archive() rejects in its window, nothing is deleted', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const proxy = await startProxy(t, moto.port)
  proxy.setMode('refuse')
  const { dir, pattern } = history(t, { 2: 5 })
  const options = archiveOptions(proxy.endpoint, bucket, { keepLocalDays: 0, retryTimeoutMs: 500, maxRetries: 1 })
  const log = eventlog({ filename: pattern, archive: options })
  t.after(() => log.stop())
  const seen = []
  const all = deferred()
  const c = log.consume((e) => {
    seen.push(e)
    if (seen.length === 105) all.resolve()
  })
  for (let i = 0; i < 100; i++) log.add({ i })
  await within(10000, all.promise, 'consuming while the store is down')
  c.stop()
  const started = Date.now()
  await assert.rejects(log.archive(), (e) => {
    assert.ok(e instanceof eventlog.ArchiveError, String(e))
    assert.match(e.message, new RegExp(`^archive s3://${bucket}/logs: .*${proxy.endpoint}`))
    return true
  })
  assert.ok(Date.now() - started < 10000, `rejected after ${Date.now() - started} ms`)
  assert.ok(fs.existsSync(path.join(dir, `e-${dayName(2)}.log`)))
  proxy.setMode('pass')
  const report = await within(20000, log.archive())
  assert.deepEqual(report.failed, [])
  assert.ok(!fs.existsSync(path.join(dir, `e-${dayName(2)}.log`)), 'pruned once verified')
})

test('a bucket that does not exist: ArchiveNoBucketError naming it, before and during background passes', async (t) => {
  const { dir, pattern } = history(t, { 2: 3 })
  const told = deferred()
  const options = archiveOptions(moto.endpoint, 'no-such-bucket-here', { keepLocalDays: 0 })
  const log = eventlog({ filename: pattern, archive: options, onArchiveError: told.resolve })
  t.after(() => log.stop())
  const background = await within(10000, told.promise, 'the background failure')
  assert.ok(background instanceof eventlog.ArchiveNoBucketError, String(background))
  await assert.rejects(within(10000, log.archive()), (e) => {
    assert.ok(e instanceof eventlog.ArchiveNoBucketError && e instanceof eventlog.ArchiveError, String(e))
    assert.equal(e.code, 'ERR_ARCHIVE_NO_BUCKET')
    assert.match(
      e.message,
      new RegExp(
        `^archive s3://no-such-bucket-here/logs: the bucket "no-such-bucket-here" does not exist at ${moto.endpoint}; create it, or correct the url`,
      ),
    )
    assert.doesNotMatch(e.message, /<\?xml|<Error|test-secret-key/)
    return true
  })
  assert.ok(fs.existsSync(path.join(dir, `e-${dayName(2)}.log`)), 'nothing deleted')
})

/** Uploads the days of a `history` and deletes them locally (keepLocalDays 0); resolves the bucket. */
async function pruneAll(t, pattern) {
  const bucket = await createBucket(moto.endpoint)
  const log = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, bucket, { keepLocalDays: 0 }) })
  const report = await within(20000, log.archive())
  await log.stop()
  assert.ok(report.pruned.length > 0, JSON.stringify(report))
  return bucket
}

test('a log opened without its archive after pruning: one warning naming the archive, and prevPos right across the gap', async (t) => {
  const { dir, pattern } = history(t, { 3: 3, 2: 2 })
  const bucket = await pruneAll(t, pattern)
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith('.log')),
    [],
  )
  const warnings = []
  const onWarning = (w) => w.code === 'EVENTLOG_DAYS_IN_ARCHIVE' && warnings.push(w.message)
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))
  // A writer without the archive: its first event follows the archived days' last.
  const writer = eventlog(pattern)
  t.after(() => writer.stop())
  const written = await writer.add({ today: 1 }).promise
  assert.equal(written.prevPos, dayNumber(2) * 1e8 + 1)
  // A reader without it: the same, and the days it cannot read are said once, at open.
  const reader = eventlog({ filename: pattern, readOnly: true })
  t.after(() => reader.stop())
  const got = await replay(reader)
  assert.deepEqual(
    got.map(([pos, prev]) => [pos, prev]),
    [[written.pos, dayNumber(2) * 1e8 + 1]],
  )
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(warnings.length, 1, warnings.join('\n'))
  assert.ok(
    warnings[0].includes(`2 day(s) (${dayName(3)} to ${dayName(2)}) are only in the archive s3://${bucket}/logs`),
    warnings[0],
  )
  assert.match(warnings[0], /--url s3:\/\//)
  // With the archive: everything, and no warning.
  const all = eventlog({ filename: pattern, readOnly: true, archive: archiveOptions(moto.endpoint, bucket) })
  t.after(() => all.stop())
  const everything = await replay(all)
  assert.deepEqual(
    everything.map(([pos]) => pos),
    [...[0, 1, 2].map((i) => dayNumber(3) * 1e8 + i), ...[0, 1].map((i) => dayNumber(2) * 1e8 + i), written.pos],
  )
  assert.equal(warnings.length, 1)
})

test('cat, tail, stat and verify read the days only in the archive with --url (credentials from the environment)', async (t) => {
  const { dir, pattern } = history(t, { 3: 3, 2: 2 })
  fs.appendFileSync(path.join(dir, `e-${dayName(2)}.log`), 'garbage\n')
  const cli = (args) =>
    runNode('', {
      file: path.join(__dirname, '..', 'bin', 'eventlog.js'),
      args,
      env: {
        AWS_ACCESS_KEY_ID: 'cli-key',
        AWS_SECRET_ACCESS_KEY: 'cli-secret',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: moto.endpoint,
      },
    })
  const before = await cli(['cat', pattern])
  assert.equal(before.code, 0, before.stderr)
  const bucket = await pruneAll(t, pattern)
  const url = ['--url', `s3://${bucket}/logs`]

  const without = await cli(['cat', pattern])
  assert.equal(without.code, 0, without.stderr)
  assert.equal(without.stdout, '')
  assert.match(without.stderr, /EVENTLOG_DAYS_IN_ARCHIVE.*only in the archive s3:\/\//)
  const cat = await cli(['cat', pattern, ...url])
  assert.equal(cat.code, 0, cat.stderr)
  assert.equal(cat.stdout, before.stdout)
  assert.doesNotMatch(cat.stderr, /EVENTLOG_DAYS_IN_ARCHIVE/)

  const tail = await cli(['tail', pattern, ...url, '--endpoint', moto.endpoint, '-n', '2', '--help'])
  assert.equal(tail.code, 0)
  assert.match(tail.stdout, /--url URL/)

  // stat: from the records without --url; with it, also what no record here names.
  fs.rmSync(path.join(ownDir(dir), 'archive'), { recursive: true })
  const bare = JSON.parse((await cli(['stat', pattern, '--json'])).stdout)
  assert.equal(bare.days, 0)
  const stat = await cli(['stat', pattern, ...url, '--json'])
  assert.equal(stat.code, 0, stat.stderr)
  const s = JSON.parse(stat.stdout)
  assert.deepEqual([s.days, s.events, s.archiveOnlyDays, s.lastPos], [2, 6, 2, dayNumber(2) * 1e8 + 2])
  assert.equal(s.perDay[0].file, `s3://${bucket}/logs/e-${dayName(3)}.log`)

  const verify = await cli(['verify', pattern, ...url])
  assert.equal(verify.code, 1, verify.stderr)
  assert.equal(
    verify.stdout,
    `s3://${bucket}/logs/e-${dayName(2)}.log:3: corrupt-line at ${dayNumber(2) * 1e8 + 2}: not JSON (expected value): "garbage"\n1 problem(s) in 2 logfiles, 6 lines, 5 events\n`,
  )
  const usage = await cli(['cat', pattern, '--endpoint', moto.endpoint])
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /--endpoint needs --url/)
  assert.doesNotMatch(cat.stderr + stat.stderr + verify.stderr, /cli-secret/)
})

test('stop() during archive work: the pass settles, and once stop() resolves the directory is quiet', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { dir, pattern } = history(t, { 4: 3000, 3: 3000, 2: 3000 })
  const log = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, bucket, { keepLocalDays: 0 }) })
  await log.add({ today: true }).promise
  // The pass at open and this one are both at work when stop() comes.
  let pass = 'pending'
  log.archive().then(
    () => (pass = 'done'),
    (e) => (pass = e instanceof eventlog.StoppedError ? 'stopped' : String(e)),
  )
  await within(10000, log.stop(), 'stop() with archive work in flight')
  assert.ok(pass === 'done' || pass === 'stopped', `the pass settled first: ${pass}`)
  // Nothing of ours still writes there: removing the directory succeeds at the first try.
  fs.rmSync(dir, { recursive: true })
  assert.equal(fs.existsSync(dir), false)
})

test('an archived day that cannot be fetched is reported and retried, never skipped', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { pattern } = history(t, { 3: 2000, 2: 2000 })
  const writer = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, bucket) })
  t.after(() => writer.stop())
  await writer.add({ today: true }).promise
  await within(20000, writer.archive())
  const proxy = await startProxy(t, moto.port)
  const elsewhere = path.join(tmpdir(t), 'e-%y-%m-%d.log')
  const reader = eventlog({
    filename: elsewhere,
    readOnly: true,
    archive: archiveOptions(proxy.endpoint, bucket, { retryTimeoutMs: 300, maxRetries: 0 }),
  })
  t.after(() => reader.stop())
  // Listed while the store answers, then cut off once the first day is being read (each day
  // is fetched when the reader gets to it).
  const got = []
  const failed = deferred()
  const done = deferred()
  let first = true
  const c = reader.consume(
    (e, m) => {
      got.push(m.pos)
      if (first) {
        first = false
        proxy.setMode('refuse')
      }
    },
    0,
    () => got.length === 4000 && done.resolve(),
  )
  c.liveMeta.on('error', (e) => {
    assert.ok(e instanceof eventlog.ReadError, String(e))
    failed.resolve()
    proxy.setMode('pass')
  })
  await within(20000, failed.promise, 'the fetch failing')
  await within(20000, done.promise, 'the replay resuming')
  c.stop()
  const want = [3, 2].flatMap((ago) => Array.from({ length: 2000 }, (_, i) => dayNumber(ago) * 1e8 + i))
  assert.deepEqual(got, want)
})

test('a quiet day is sealed and uploaded after midnight; a writer whose clock is behind then writes to the new day', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const log = eventlog({ filename: pattern, archive: archiveOptions(moto.endpoint, bucket) })
  t.after(() => {
    log.stop()
    eventlog.__setTestNow(null)
  })
  const w = await log.add({ before: 'midnight' }).promise
  // Midnight passes, and nobody writes.
  eventlog.__setTestNow(Date.now() + DAY_MS)
  await within(20000, log.archive())
  assert.deepEqual(await listKeys(moto.endpoint, bucket), [
    indexKey(`logs/e-${dayName(0)}.log`),
    `logs/e-${dayName(0)}.log`,
  ])
  // A process whose clock still says yesterday appends after the sealed day, not into it.
  const r = await runNode(
    `eventlog(process.argv[1]).add({ late: true }).promise.then((w) => console.log(w.pos, w.prevPos))`,
    { args: [pattern] },
  )
  const [pos, prev] = r.stdout.trim().split(' ').map(Number)
  assert.equal(pos, dayNumber(-1) * 1e8)
  assert.equal(prev, w.pos)
})

test('a malformed archive option fails at open, naming the field, and never echoes a secret', () => {
  const cases = [
    [{ url: 'http://bucket/p' }, /archive\.url/],
    [{ url: 's3://Bad_Bucket/p' }, /archive\.url/],
    [{ url: 's3://bucket/p', endpoint: 'localhost:9000' }, /archive\.endpoint/],
    [{ url: 's3://bucket/p', keepLocalDays: -1 }, /archive\.keepLocalDays/],
    [{ url: 's3://bucket/p', pollIntervalMs: 'often' }, /archive\.pollIntervalMs/],
    [{ url: 's3://bucket/p', accessKeyId: 'AKIA-ONLY' }, /archive\.secretAccessKey/],
    [{ url: 's3://bucket/p', secretAccesKey: 'x' }, /archive\.secretAccesKey is not an archive option/],
    [{ endpoint: 'http://127.0.0.1:1' }, /archive\.url is required/],
    [{ url: 's3://bucket/p', secretAccessKey: 12345678 }, /archive\.secretAccessKey must be a string, got number/],
  ]
  for (const [archive, message] of cases) {
    assert.throws(
      () => eventlog({ filename: path.join(tmpdir(), 'e-%y-%m-%d.log'), readOnly: true, archive }),
      (e) => {
        assert.match(e.message, message)
        assert.ok(!e.message.includes('12345678') && !e.message.includes('AKIA-ONLY'), e.message)
        return true
      },
    )
  }
})

test('DEBUG output and error messages never hold credentials', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { pattern } = history(t, { 2: 3 })
  const secret = 'super-secret-value-0815'
  const r = await runNode(
    `const log = eventlog({ filename: process.argv[1], archive: JSON.parse(process.argv[2]) })
     log.add(1).promise.then(() => log.archive()).then((r) => { console.log(JSON.stringify(r)); log.stop() })`,
    {
      args: [
        pattern,
        JSON.stringify(
          archiveOptions(moto.endpoint, bucket, {
            accessKeyId: 'AKIDSECRETID42',
            secretAccessKey: secret,
            sessionToken: 'tok-3141',
          }),
        ),
      ],
      env: { DEBUG: 'eventlog:*' },
    },
  )
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /eventlog:archive/)
  for (const s of [secret, 'AKIDSECRETID42', 'tok-3141']) {
    assert.ok(!r.stderr.includes(s) && !r.stdout.includes(s), `${s} was printed`)
  }
})

test('eventlog archive: one pass from the command line, credentials from the environment', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const { dir, pattern } = history(t, { 3: 4, 2: 4 })
  const cli = (args, env = {}) =>
    runNode('', {
      file: path.join(__dirname, '..', 'bin', 'eventlog.js'),
      args,
      env: { AWS_ACCESS_KEY_ID: 'cli-key', AWS_SECRET_ACCESS_KEY: 'cli-secret', AWS_REGION: 'us-east-1', ...env },
    })
  await putObject(moto.endpoint, bucket, `logs/e-${dayName(3)}.log`, 'someone else\n')
  const r = await cli([
    'archive',
    pattern,
    '--url',
    `s3://${bucket}/logs`,
    '--endpoint',
    moto.endpoint,
    '--keep-local-days',
    '1',
    '--json',
  ])
  assert.equal(r.code, 1, r.stderr)
  const report = JSON.parse(r.stdout)
  assert.deepEqual(report.uploaded, [dayNumber(2)])
  assert.deepEqual(report.pruned, [dayNumber(2)])
  assert.deepEqual(
    report.failed.map((f) => f.day),
    [dayNumber(3)],
  )
  assert.ok(fs.existsSync(path.join(dir, `e-${dayName(3)}.log`)), 'the day that failed stays')
  const again = await cli(['archive', pattern, '--url', `s3://${bucket}/other`, '--endpoint', moto.endpoint])
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout, new RegExp(`^uploaded 1 day\\(s\\) \\(${dayName(3)}\\)`))
  const usage = await cli(['archive', pattern, '--keep-local-days', 'two', '--url', 's3://b/p'])
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /--keep-local-days takes a whole number/)
  assert.doesNotMatch(usage.stderr + r.stderr, /cli-secret|at .*\.js:\d+/)
  // stat counts the day deleted here from its upload record, and says where each day is.
  const stat = await cli(['stat', pattern, '--json'])
  assert.equal(stat.code, 0, stat.stderr)
  const s = JSON.parse(stat.stdout)
  assert.deepEqual([s.days, s.events, s.archivedDays, s.archiveOnlyDays], [2, 8, 2, 1])
  assert.deepEqual(
    s.perDay.map((d) => [d.day, d.events, d.local, d.archived, d.file]),
    [
      [dayName(3), 4, true, `s3://${bucket}/other/e-${dayName(3)}.log`, path.join(dir, `e-${dayName(3)}.log`)],
      [dayName(2), 4, false, `s3://${bucket}/logs/e-${dayName(2)}.log`, `s3://${bucket}/logs/e-${dayName(2)}.log`],
    ],
  )
  assert.equal(s.firstPos, dayNumber(3) * 1e8)
  const text = await cli(['stat', pattern])
  assert.match(text.stdout, /^archive +2 day\(s\) uploaded, 1 of them only there/m)
  assert.match(text.stdout, new RegExp(`^${dayName(2)} .*\\(in the archive only\\)$`, 'm'))
  assert.match(text.stdout, new RegExp(`^${dayName(3)} .*\\(archived\\)$`, 'm'))
})

test("the README's archive example runs against a local server and says what it did", async () => {
  const bucket = await createBucket(moto.endpoint)
  const r = await runNode('', {
    file: path.join(__dirname, '..', 'examples', 'archive.js'),
    env: { S3_ENDPOINT: moto.endpoint, S3_BUCKET: bucket },
    timeoutMs: 30000,
  })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /archive pass: \{ uploaded: \[ \d{8} \], pruned: \[ \d{8} \], failed: \[\] \}/)
  assert.match(r.stdout, /left on local disk: \[\]/)
  assert.match(r.stdout, /replayed 1001 events from s3:\/\/t-[0-9a-f]+\/ledger with no local files/)
})
