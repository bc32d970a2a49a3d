'use strict'
// Streams over the archive (moto on 127.0.0.1): a stream reads the same whether its days are
// local, only archived, or some of each; the stream index of an uploaded day goes up with it,
// so a reader with only the archive reads a stream with a few ranged reads, not whole days.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test, before, after } = require('node:test')

const eventlog = require('..')
const { tmpdir, within, DAY_MS } = require('./helpers')
const { startMoto, createBucket, listKeys, deleteObject, startProxy, archiveOptions } = require('./support/s3')

let moto
before(async () => {
  moto = await startMoto(null)
})
after(() => moto && moto.stop())

const dayName = (n) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10)

/** Past days 4, 3 and 2 of `perDay` events; event i is in stream `s${i % 2000}`. */
function plant(dir, perDay) {
  const all = []
  for (const ago of [4, 3, 2]) {
    const day = dayName(ago)
    const lines = []
    for (let n = 0; n < perDay; n++) {
      const i = all.length
      const event = { acc: `s${i % 2000}`, i, pad: 'x'.repeat(60) }
      all.push({ event, pos: Number(day.replaceAll('-', '')) * 1e8 + n })
      lines.push(JSON.stringify({ event, meta: { id: `id${String(i).padStart(30, '0')}` } }))
    }
    fs.writeFileSync(path.join(dir, `e-${day}.log`), lines.join('\n') + '\n')
  }
  return all
}

const summary = (read) => read.events.map((e) => [e.event.i, e.meta.version, e.meta.pos, e.meta.prevPos])

function expected(all, id) {
  const mine = all.map((e, k) => ({ ...e, prevPos: k === 0 ? undefined : all[k - 1].pos }))
  return mine.filter((e) => e.event.acc === id).map((e, k) => [e.event.i, k + 1, e.pos, e.prevPos])
}

test('a stream reads the same from local days, archived days and both; the index travels with its day', async (t) => {
  const bucket = await createBucket(moto.endpoint)
  const dir = tmpdir(t)
  const pattern = path.join(dir, 'e-%y-%m-%d.log')
  const all = plant(dir, 20000)
  const bytes = ['4', '3', '2'].reduce((n, ago) => n + fs.statSync(path.join(dir, `e-${dayName(ago)}.log`)).size, 0)
  // Days before yesterday are deleted here once uploaded: day 2 stays local (and archived).
  const archive = archiveOptions(moto.endpoint, bucket, { keepLocalDays: 2 })
  const writer = eventlog({ filename: pattern, streamKey: 'acc', archive })
  t.after(() => writer.stop())
  const before = await writer.readStream('s7')
  assert.deepEqual(summary(before), expected(all, 's7'))
  await writer.add({ acc: 's7', today: true }).promise
  const report = await within(30000, writer.archive(), 'an archive pass')
  assert.deepEqual(report.failed, [])
  assert.equal(fs.existsSync(path.join(dir, `e-${dayName(4)}.log`)), false, 'day 4 is only in the archive now')
  const keys = await listKeys(moto.endpoint, bucket)
  for (const ago of [4, 3, 2]) assert.ok(keys.includes(`logs/_eventlog/streams/acc/e-${dayName(ago)}.log.sidx`), ago)
  // The writer reads the same, its days now partly archived.
  const mixed = await writer.readStream('s7')
  assert.deepEqual(summary(mixed).slice(0, -1), expected(all, 's7'))
  assert.equal(mixed.events.at(-1).event.today, true)
  if (process.platform === 'linux') {
    // The logfiles the first read kept open, deleted since, are let go of (their space freed).
    const deleted = fs
      .readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`)
        } catch {
          return ''
        }
      })
      .filter((target) => target.startsWith(dir) && target.endsWith('(deleted)'))
    assert.deepEqual(deleted, [])
  }

  // A reader elsewhere, with only the archive, through a proxy that counts what the store sends.
  const readThroughProxy = async () => {
    const proxy = await startProxy(t, moto.port)
    const reader = eventlog({
      filename: path.join(tmpdir(t), 'e-%y-%m-%d.log'),
      readOnly: true,
      streamKey: 'acc',
      archive: archiveOptions(proxy.endpoint, bucket),
    })
    t.after(() => reader.stop())
    const read = await within(60000, reader.readStream('s7'), 'a read from the archive')
    const version = await reader.streamVersion('s7')
    await within(10000, reader.stop())
    return { read, version, received: proxy.received() }
  }
  const indexed = await readThroughProxy()
  assert.deepEqual(summary(indexed.read), expected(all, 's7'))
  assert.equal(indexed.version, expected(all, 's7').length)
  assert.ok(indexed.received < bytes / 5, `the store sent ${indexed.received} bytes of ${bytes}`)
  // Without the uploaded indexes, the same events (the reader reads the days themselves).
  for (const ago of [4, 3, 2]) {
    await deleteObject(moto.endpoint, bucket, `logs/_eventlog/streams/acc/e-${dayName(ago)}.log.sidx`)
  }
  const unindexed = await readThroughProxy()
  assert.deepEqual(summary(unindexed.read), expected(all, 's7'))
  assert.ok(unindexed.received > bytes, `without the indexes, the store sent ${unindexed.received} bytes`)
  t.diagnostic(
    `${bytes} bytes of days: a stream read took ${indexed.received} bytes with its index, ${unindexed.received} without`,
  )
})
