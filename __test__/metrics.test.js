'use strict'
// Metrics: log.metrics(), and require('eventlog/prometheus') against a real prom-client
// registry served over HTTP on 127.0.0.1 and scraped as Prometheus scrapes, checked against
// what the test did: durable adds, a named consumer left behind, another blocked in its
// callback, an archive pass that failed with the store down (moto behind a proxy that refuses
// connections), then one that succeeded; and `eventlog stat` telling the same from another
// process, from what the archiver saved.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { test } = require('node:test')

const { Registry } = require('prom-client')

const eventlog = require('..')
const { register } = require('eventlog/prometheus')
const { ROOT, tmpdir, within, deferred, runNode, writeLines, DAY_MS } = require('./helpers')
const { startMoto, createBucket, startProxy, archiveOptions } = require('./support/s3')

const BIN = path.join(ROOT, 'bin', 'eventlog.js')

/** Serves `registry` on 127.0.0.1 as a Prometheus target; resolves its URL. */
async function serve(t, registry) {
  const server = http.createServer((req, res) => {
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType })
        res.end(text)
      },
      (err) => {
        res.writeHead(500)
        res.end(String(err && err.stack))
      },
    )
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${server.address().port}/metrics`
}

/** Scrapes `url`: the text, and each sample by `name{labels}` as written. */
async function scrape(url) {
  const res = await within(10000, fetch(url), 'a scrape')
  const text = await res.text()
  assert.equal(res.status, 200, text)
  const samples = new Map()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-z_]+)(\{.*\})? (\S+)$/.exec(line)
    assert.ok(m, `a sample line: ${line}`)
    samples.set(m[1] + (m[2] ?? ''), Number(m[3]))
  }
  return { text, samples }
}

/** The `eventlog stat --json` report of `pattern`, from another process. */
async function statJson(pattern) {
  const r = await runNode(undefined, { file: BIN, args: ['stat', pattern, '--json'], timeoutMs: 30000 })
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

test('a scrape of a prom-client registry matches what the log did: adds, lagging consumers, a failed and a good archive pass', async (t) => {
  const moto = await startMoto(t)
  const bucket = await createBucket(moto.endpoint)
  const proxy = await startProxy(t, moto.port)
  proxy.setMode('refuse') // the store is down from the start
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const sealed = new Date(Date.now() - 2 * DAY_MS).toISOString().slice(0, 10)
  writeLines(path.join(dir, `e-${sealed}.log`), [{ h: 0 }, { h: 1 }, { h: 2 }])
  const archiveErrors = []
  const log = eventlog({
    filename: pattern,
    durable: true,
    archive: archiveOptions(proxy.endpoint, bucket, { retryTimeoutMs: 500, maxRetries: 1, pollIntervalMs: 60000 }),
    onArchiveError: (err) => archiveErrors.push(err),
  })
  t.after(() => log.stop())
  const registry = new Registry()
  register(log, registry)
  const url = await serve(t, registry)
  const sample = (samples, name, labels = {}) => {
    // Label values as the exposition format writes them (a Windows pattern has backslashes).
    const escaped = (v) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    const text = Object.entries({ log: pattern, ...labels })
      .map(([k, v]) => `${k}="${escaped(v)}"`)
      .join(',')
    return samples.get(`${name}{${text}}`)
  }

  // 20 adds in two ticks; 'proj' handles every event, then stops.
  for (let i = 0; i < 15; i++) log.add({ n: i })
  await log.add({ n: 15 }).promise
  for (let i = 16; i < 19; i++) log.add({ n: i })
  const { pos: projPos } = await log.add({ n: 19 }).promise
  await within(
    10000,
    new Promise((resolve) => {
      const c = log.consume(() => {}, {
        name: 'proj',
        onSync: () => {
          c.stop()
          resolve()
        },
      })
    }),
    "'proj' catching up",
  )
  assert.equal(log.checkpoint('proj'), projPos)
  // Five more: 'proj' is behind. 'slow' catches up, then blocks in its callback on the next.
  for (let i = 20; i < 24; i++) log.add({ n: i })
  const { pos: slowPos } = await log.add({ n: 24 }).promise
  const slowSynced = deferred()
  const reached = deferred()
  const blocked = deferred()
  t.after(() => blocked.resolve())
  log.consume(
    (event) => {
      if (event.block !== true) return undefined
      reached.resolve()
      return blocked.promise
    },
    { name: 'slow', onSync: () => slowSynced.resolve() },
  )
  await within(10000, slowSynced.promise, "'slow' catching up")
  await log.add({ block: true }).promise
  await within(10000, reached.promise, "'slow' reaching the event it blocks on")

  // The store is down: the pass fails, the sealed day waits.
  let downCode
  await assert.rejects(log.archive(), (err) => {
    downCode = err.code
    return err instanceof eventlog.ArchiveError
  })
  // 'slow' has been behind for 3 s by the package's clock.
  eventlog.__setTestNow(Date.now() + 3000)
  let down
  try {
    down = await scrape(url)
  } finally {
    eventlog.__setTestNow(null)
  }
  const s = down.samples
  const today = fs.readdirSync(dir).filter((f) => f.endsWith('.log') && !f.includes(sealed))
  assert.equal(today.length, 1, `today's logfile: ${today}`)
  assert.equal(sample(s, 'eventlog_events_appended_total'), 26)
  assert.equal(sample(s, 'eventlog_bytes_written_total'), fs.statSync(path.join(dir, today[0])).size)
  assert.equal(sample(s, 'eventlog_append_duration_seconds_count'), 26)
  assert.equal(sample(s, 'eventlog_append_duration_seconds_bucket', { le: '+Inf' }), 26)
  assert.ok(sample(s, 'eventlog_append_duration_seconds_sum') > 0)
  // Durable: every add waited for a flush, each flush timed.
  const fsyncs = sample(s, 'eventlog_fsyncs_total')
  assert.ok(fsyncs >= 3 && fsyncs <= 26, `fsyncs: ${fsyncs}`)
  assert.equal(sample(s, 'eventlog_fsync_duration_seconds_count'), fsyncs)
  assert.equal(sample(s, 'eventlog_fsyncs_shared_total'), 0)
  // 'proj': 3 + 20 events; 'slow': 3 + 25, then the one it blocks on.
  assert.equal(sample(s, 'eventlog_events_delivered_total'), 23 + 29)
  assert.equal(sample(s, 'eventlog_consumer_checkpoint_position', { consumer: 'proj' }), projPos)
  assert.equal(sample(s, 'eventlog_consumer_lag_events', { consumer: 'proj' }), 6)
  assert.equal(sample(s, 'eventlog_consumer_lag_seconds', { consumer: 'proj' }), undefined, 'not running here: unknown')
  assert.equal(sample(s, 'eventlog_consumer_checkpoint_position', { consumer: 'slow' }), slowPos)
  assert.equal(sample(s, 'eventlog_consumer_lag_events', { consumer: 'slow' }), 1)
  const lag = sample(s, 'eventlog_consumer_lag_seconds', { consumer: 'slow' })
  assert.ok(lag >= 2.9 && lag < 60, `'slow' lag: ${lag} s`)
  const failedPasses = sample(s, 'eventlog_archive_passes_failed_total')
  assert.ok(failedPasses >= 1, `failed passes: ${failedPasses}`)
  assert.equal(sample(s, 'eventlog_archive_passes_total'), failedPasses)
  assert.equal(sample(s, 'eventlog_archive_days_uploaded_total'), 0)
  assert.equal(sample(s, 'eventlog_archive_days_waiting'), 1)
  assert.equal(sample(s, 'eventlog_archive_last_success_timestamp_seconds'), undefined, 'none yet')
  assert.ok(sample(s, 'eventlog_archive_last_pass_timestamp_seconds') * 1000 <= Date.now())
  // No label carries event data or credentials.
  assert.doesNotMatch(down.text, /test-secret-key|test-access-key|"n"|block/)
  // Another process tells the same from our files.
  const before = await statJson(pattern)
  assert.equal(before.archive.lastError.code, downCode)
  assert.equal(before.archive.lastSuccessAt, null)
  assert.equal(before.archive.daysWaiting, 1)
  assert.deepEqual(
    before.consumers.map((c) => [c.name, c.behind]),
    [
      ['proj', 6],
      ['slow', 1],
    ],
    'their saved checkpoints',
  )

  // The store is back: the sealed day goes up.
  proxy.setMode('pass')
  const started = Date.now()
  const report = await log.archive()
  assert.deepEqual(report.uploaded, [Number(sealed.replaceAll('-', ''))])
  const { samples: up } = await scrape(url)
  assert.equal(sample(up, 'eventlog_archive_days_uploaded_total'), 1)
  assert.equal(sample(up, 'eventlog_archive_days_failed_total'), 0)
  assert.equal(sample(up, 'eventlog_archive_days_waiting'), 0)
  assert.ok(sample(up, 'eventlog_archive_passes_total') > sample(up, 'eventlog_archive_passes_failed_total'))
  assert.ok(sample(up, 'eventlog_archive_last_success_timestamp_seconds') * 1000 >= started)
  const after = await statJson(pattern)
  assert.equal(after.archive.daysWaiting, 0)
  assert.ok(after.archive.lastSuccessAt >= started)
  assert.equal(after.archive.lastError.code, downCode, 'the last error stays, with its time')
  assert.ok(after.archive.lastError.at < after.archive.lastSuccessAt)
  const text = await runNode(undefined, { file: BIN, args: ['stat', pattern], timeoutMs: 30000 })
  assert.match(text.stdout, /^passes {3}last \d{4}-.*, last success \d{4}-/m)
  assert.match(text.stdout, /^waiting {2}0 sealed day\(s\) not yet uploaded$/m)
  assert.match(text.stdout, new RegExp(`^error {4}.*\\(passes succeeded since\\): ${downCode}: `, 'm'))
  assert.match(text.stdout, /^proj +\d{16} .* 6 events$/m)
})

test('log.metrics() is a plain snapshot; a read-only log has no writes, a stopped one rejects and leaves the registry', async (t) => {
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const log = eventlog(pattern)
  await log.add({ a: 1 }).promise
  const m = await log.metrics()
  assert.equal(m.eventsAppended, 1)
  assert.equal(m.appendDuration.count, 1)
  assert.deepEqual(m.appendDuration.buckets.map((b) => b.le).slice(-2), [10, Infinity], 'cumulative buckets up to +Inf')
  assert.equal(m.appendDuration.buckets.at(-1).count, 1)
  assert.deepEqual([m.fsyncs, m.fsyncDuration.count, m.archive, m.consumers], [0, 0, null, []])
  // Instances of one log in a process share its writer, and so its metrics: another log.
  const other = tmpdir(t)
  writeLines(path.join(other, `e-${new Date().toISOString().slice(0, 10)}.log`), [{ b: 1 }])
  const reader = eventlog({ filename: path.join(other, 'e-%y-%m-%d.log'), readOnly: true })
  const r = await reader.metrics()
  assert.deepEqual([r.eventsAppended, r.bytesWritten, r.eventsDelivered], [0, 0, 0])
  const registry = new Registry()
  register(log, registry)
  register(reader, registry)
  assert.throws(() => register(log, registry), /registered in this registry already/)
  await reader.stop()
  await assert.rejects(reader.metrics(), { code: 'ERR_STOPPED' })
  const text = await registry.metrics()
  assert.match(text, /^eventlog_events_appended_total\{log=".*"\} 1$/m)
  assert.equal(text.match(/^eventlog_events_appended_total/gm).length, 1, 'the stopped log left')
  await log.stop()
})

test('without prom-client, register() says to install it', async () => {
  const r = await runNode(`
    const Module = require('node:module')
    const resolve = Module._resolveFilename
    Module._resolveFilename = function (request, ...rest) {
      if (request === 'prom-client') {
        const err = new Error("Cannot find module 'prom-client'")
        err.code = 'MODULE_NOT_FOUND'
        throw err
      }
      return resolve.call(this, request, ...rest)
    }
    const { register } = require('eventlog/prometheus')
    try {
      register({}, {})
    } catch (err) {
      console.log(JSON.stringify({ code: err.code, message: err.message }))
    }
  `)
  assert.equal(r.code, 0, r.stderr)
  const { code, message } = JSON.parse(r.stdout)
  assert.equal(code, 'ERR_PROM_CLIENT_MISSING')
  assert.match(message, /npm install prom-client/)
})
