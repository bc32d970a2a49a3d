'use strict'
// The archive as a data lake: a real query engine (DuckDB with httpfs, from PyPI, installed on
// first use as moto is, see support/tools.js) reads the archived days in moto straight from
// the bucket, by the pattern's glob and by the whole prefix, and gets what the log holds; and
// the README's DuckDB snippets ("Querying your history") run as written against the archive
// its tour (examples/archive.js) leaves, printing what the README shows.
//
// Not run here, because they need AWS or a Spark cluster: the README's Athena statements
// (CREATE EXTERNAL TABLE with the JSON SerDe and partition projection) and its Spark lines.
// They are checked by hand against the AWS and Spark documentation.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test, before, after } = require('node:test')

const eventlog = require('..')
const { ROOT, tmpdir, within, deferred, runNode, writeLines, DAY_MS } = require('./helpers')
const { startMoto, createBucket, listKeys, archiveOptions } = require('./support/s3')
const { query, s3Secret } = require('./support/duckdb')

let moto
before(async () => {
  moto = await startMoto(null)
})
after(() => moto && moto.stop())

/** `YYYY-MM-DD` of the UTC day `n` days ago. */
const dayName = (n) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10)

/** Every event of a log with its position, read once to its end. */
async function replay(log) {
  const got = []
  const done = deferred()
  const c = log.consume(
    (event, meta) => got.push({ pos: meta.pos, event }),
    0,
    () => done.resolve(),
  )
  await within(20000, done.promise, 'replaying to the end')
  c.stop()
  return got
}

/** `{ type: count }` of events, sorted by type. */
function countByType(events) {
  const counts = {}
  for (const e of events.toSorted((a, b) => a.type.localeCompare(b.type))) counts[e.type] = (counts[e.type] ?? 0) + 1
  return counts
}

test('several archived days read by DuckDB: counts by event.type and one day match the log, by the glob and by the whole prefix', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const dir = tmpdir(t)
  const types = ['deposited', 'withdrawn', 'opened', 'closed']
  for (const [ago, count] of [
    [4, 40],
    [3, 7],
    [2, 25],
    [1, 13],
  ]) {
    writeLines(
      path.join(dir, `e-${dayName(ago)}.log`),
      Array.from({ length: count }, (_, i) => ({ type: types[(i * ago) % types.length], day: ago, i })),
    )
  }
  const log = eventlog({
    filename: path.join(dir, 'e-%y-%m-%d.log'),
    archive: archiveOptions(moto.endpoint, bucket, { keepLocalDays: 0 }),
  })
  t.after(() => log.stop())
  await log.add({ type: 'opened', day: 0, i: 0 }).promise // today: not sealed, not archived
  const report = await within(20000, log.archive(), 'an archive pass')
  assert.equal(report.uploaded.length, 4)
  assert.deepEqual(report.failed, [])
  // What the log holds of the archived days (all but today), as a consumer sees it.
  const archived = (await replay(log)).filter((e) => e.event.day > 0)
  assert.equal(archived.length, 40 + 7 + 25 + 13)

  const base = `s3://${bucket}/logs`
  const byType = (files) =>
    `SELECT event.type AS type, count(*) AS n FROM read_ndjson('${files}') GROUP BY ALL ORDER BY ALL`
  const oneDay = `SELECT event.day AS day, event.i AS i, event.type AS type FROM read_ndjson('${base}/e-${dayName(2)}.log')`
  const [keys, glob, whole, day] = await query({
    setup: [s3Secret(moto.endpoint)],
    queries: [
      `SELECT file FROM glob('${base}/*') ORDER BY file`,
      byType(`${base}/e-*.log`),
      byType(`${base}/*`),
      oneDay,
    ],
  })
  // Below the prefix, only days: the indexes are under _eventlog/, where no glob of names goes.
  assert.deepEqual(
    keys.rows.map(([file]) => file),
    [4, 3, 2, 1].map((ago) => `${base}/e-${dayName(ago)}.log`),
  )
  assert.ok(
    (await listKeys(moto.endpoint, bucket)).some((k) => k.startsWith('logs/_eventlog/index/')),
    'the indexes were uploaded',
  )
  const expected = Object.entries(countByType(archived.map((e) => e.event)))
  assert.deepEqual(glob.rows, expected, 'counts by type over the pattern’s glob')
  assert.deepEqual(whole.rows, expected, 'counts by type over the whole prefix')
  assert.deepEqual(
    day.rows,
    archived.filter((e) => e.event.day === 2).map(({ event }) => [event.day, event.i, event.type]),
    'the events of one day, in order',
  )
})

/**
 * The ```sql blocks of the README's "Querying your history" (DuckDB's, not Athena's), each
 * with the ```text block after it.
 */
function duckdbSnippets() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const section = readme.split('\n## Querying your history\n')[1].split('\n## ')[0]
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, text]) => ({ lang, text }))
  const found = []
  blocks.forEach((b, i) => {
    if (b.lang !== 'sql' || b.text.startsWith('-- Athena')) return
    assert.equal(blocks[i + 1]?.lang, 'text', 'each DuckDB snippet is followed by its output')
    found.push({ sql: b.text, output: blocks[i + 1].text })
  })
  return found
}

test("the README's DuckDB snippets run as written over the archive its tour leaves, printing what it shows", async () => {
  // The tour (README "Archiving to S3") against this server: its bucket, my-events, is new here.
  await createBucket(moto.endpoint, 'my-events')
  const r = await runNode('', {
    file: path.join(__dirname, '..', 'examples', 'archive.js'),
    env: { S3_ENDPOINT: moto.endpoint, S3_BUCKET: 'my-events' },
    timeoutMs: 30000,
  })
  assert.equal(r.code, 0, r.stderr)
  const [key] = (await listKeys(moto.endpoint, 'my-events', 'ledger/events-')).filter((k) => k.endsWith('.log'))
  const day = /(\d{4})-(\d{2})-(\d{2})\.log$/.exec(key)
  assert.ok(day, `the tour archived a day: ${key}`)
  const snippets = duckdbSnippets()
  assert.ok(snippets.length >= 2, `${snippets.length} DuckDB snippets`)
  // The snippets name the tour's server, 127.0.0.1:5000: the only thing changed is that
  // address, to this test's server. Their output names the day 2026-12-01, as the tour's
  // output in the README does: the day the tour archived here stands in for it.
  const results = await query({
    queries: snippets.map((s) => s.sql.replaceAll('127.0.0.1:5000', new URL(moto.endpoint).host)),
  })
  snippets.forEach((snippet, i) => {
    const printed = results[i].table.replaceAll(`${day[1]}${day[2]}${day[3]}`, '20261201')
    assert.equal(printed, snippet.output, `the output of README snippet ${i + 1}`)
  })
})
