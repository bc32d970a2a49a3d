'use strict'
// A plain-Node event log with the benchmarked subset of the API and the same file format: the
// simplest thing one could write by hand. It is the yardstick for what the Rust core buys.
// It assumes one writing process (positions come from an in-memory line counter) and that
// %y, %m and %d appear only in the file name, not in the directories.
//
// Two writers share the reading side:
// - `baseline` (this module's export): one `fs.writeSync` (and, durable, one `fdatasync`) per add.
// - `baseline.batched` (bench/baseline-batched.js, "batched" in the tables): the fastest a
//   JavaScript-side writer can be. A tick's lines are joined into one `writeSync` (one
//   `fdatasync` when durable) and each add's promise is resolved after it. It does on the
//   JavaScript side what ours does there too (pooled ids, the line built without wrapper
//   objects, one promise executor shared by all adds), so the difference to ours is what the
//   core and the N-API crossing cost or save.

const crypto = require('node:crypto')
const { EventEmitter } = require('node:events')
const fs = require('node:fs')
const path = require('node:path')

const { PER_DAY, newId, todayNumber: today } = require('./fixtures')

// Consumers of each log in this process, so add() can wake them without a file watcher.
const consumersByLog = new Map()

function baseline(options, { batched = false } = {}) {
  const opts = typeof options === 'string' ? { filename: options } : options
  const filename = path.resolve(opts.filename)
  const dir = path.dirname(filename)
  const base = path.basename(filename)
  const readOnly = Boolean(opts.readOnly)
  const durable = Boolean(opts.durable)
  const escaped = base.replace(/[.+?^${}()|[\]\\*]/g, '\\$&')
  const nameRe = new RegExp(
    '^' + escaped.replace('%y', '(?<y>\\d{4})').replace('%m', '(?<m>\\d{2})').replace('%d', '(?<d>\\d{2})') + '$',
  )
  if (!consumersByLog.has(filename)) consumersByLog.set(filename, new Set())
  const consumers = consumersByLog.get(filename)

  function fileFor(day) {
    const y = String(Math.floor(day / 10000))
    const m = String(Math.floor(day / 100) % 100).padStart(2, '0')
    const d = String(day % 100).padStart(2, '0')
    return path.join(dir, base.replace('%y', y).replace('%m', m).replace('%d', d))
  }

  /** Day files in day order, none after today. */
  function dayFiles() {
    let names
    try {
      names = fs.readdirSync(dir)
    } catch {
      return []
    }
    const max = today()
    const out = []
    for (const name of names) {
      const g = nameRe.exec(name)?.groups
      if (!g) continue
      const day = Number(g.y) * 10000 + Number(g.m) * 100 + Number(g.d)
      if (day <= max) out.push({ day, file: path.join(dir, name) })
    }
    return out.sort((a, b) => a.day - b.day)
  }

  // --- writing: one synchronous append per event ----------------------------------------------
  let fd = null
  let fdDay = 0
  let rows = 0
  let lastPos
  let stopped = false

  function openDay(day) {
    if (fd !== null) fs.closeSync(fd)
    const file = fileFor(day)
    fs.mkdirSync(dir, { recursive: true })
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT)
    fdDay = day
    // Positions continue after whatever the file already holds.
    const size = fs.fstatSync(fd).size
    rows = 0
    if (size > 0) {
      const buf = fs.readFileSync(file)
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) rows++
    }
  }

  function add(event) {
    const id = newId()
    if (readOnly || stopped) {
      const promise = Promise.reject(new Error(readOnly ? 'read only' : 'stopped'))
      promise.catch(() => {})
      return { id, logfile: undefined, promise }
    }
    const day = today()
    if (day !== fdDay) openDay(day)
    fs.writeSync(fd, JSON.stringify({ event, meta: { id } }) + '\n')
    if (durable) fs.fdatasyncSync(fd)
    const pos = day * PER_DAY + rows++
    const prevPos = lastPos
    lastPos = pos
    for (const c of consumers) c.wake()
    return { id, logfile: fileFor(day), promise: Promise.resolve({ id, pos, prevPos }) }
  }

  // --- the batched writer: one write per tick ------------------------------------------------
  let batchLines = []
  let batchIds = []
  let batchResolvers = []
  let batchRejecters = []
  let batchDay = 0
  let flushScheduled = false

  function flush() {
    flushScheduled = false
    const count = batchLines.length
    if (count === 0) return
    const text = batchLines.join('\n') + '\n'
    const ids = batchIds
    const resolvers = batchResolvers
    const rejecters = batchRejecters
    batchLines = []
    batchIds = []
    batchResolvers = []
    batchRejecters = []
    try {
      if (batchDay !== fdDay) openDay(batchDay)
      fs.writeSync(fd, text)
      if (durable) fs.fdatasyncSync(fd)
    } catch (err) {
      for (const reject of rejecters) reject(err)
      return
    }
    for (let i = 0; i < count; i++) {
      const pos = batchDay * PER_DAY + rows++
      const prevPos = lastPos
      lastPos = pos
      resolvers[i]({ id: ids[i], pos, prevPos })
    }
    for (const c of consumers) c.wake()
  }

  function addBatched(event) {
    const id = pooledId()
    if (readOnly || stopped) {
      const promise = Promise.reject(new Error(readOnly ? 'read only' : 'stopped'))
      promise.catch(() => {})
      return { id, logfile: undefined, promise }
    }
    const line = encodeLine(event, id)
    if (line === undefined) throw new TypeError('event cannot be encoded as JSON')
    const day = today()
    if (batchLines.length > 0 && day !== batchDay) flush()
    batchDay = day
    batchLines.push(line)
    batchIds.push(id)
    const promise = new Promise(captureResolve)
    batchResolvers.push(capturedResolve)
    batchRejecters.push(capturedReject)
    if (!flushScheduled) {
      flushScheduled = true
      process.nextTick(flush)
    }
    return { id, logfile: fileFor(day), promise }
  }

  // --- reading: replay file by file, then follow ---------------------------------------------
  const mine = new Set()

  function consume(callback, fromPosition, onSync) {
    const from = fromPosition || 0
    const fromDay = Math.floor(from / PER_DAY)
    const liveMeta = new EventEmitter()
    const c = {
      stopped: false,
      busy: false,
      again: false,
      scheduled: false,
      day: 0,
      file: null,
      offset: 0,
      rows: 0,
      prevPos: undefined,
      watcher: null,
      wake() {
        if (c.scheduled || c.stopped) return
        c.scheduled = true
        setImmediate(() => {
          c.scheduled = false
          run()
        })
      },
      stop() {
        c.stopped = true
        if (c.watcher) c.watcher.close()
        consumers.delete(c)
        mine.delete(c)
      },
    }

    // Reads what the current file holds beyond c.offset, whole lines only.
    async function readRest() {
      const fdr = fs.openSync(c.file, 'r')
      let buf
      try {
        const size = fs.fstatSync(fdr).size
        if (size <= c.offset) return 0
        buf = Buffer.allocUnsafe(size - c.offset)
        let got = 0
        while (got < buf.length) {
          const n = fs.readSync(fdr, buf, got, buf.length - got, c.offset + got)
          if (n === 0) break
          got += n
        }
        buf = buf.subarray(0, got)
      } finally {
        fs.closeSync(fdr)
      }
      const end = buf.lastIndexOf(10) + 1 // a line still being written waits for next time
      if (end === 0) return 0
      c.offset += end
      const lines = buf.toString('utf8', 0, end - 1).split('\n')
      let delivered = 0
      for (const line of lines) {
        const pos = c.day * PER_DAY + c.rows++
        if (pos < from) continue
        if (c.stopped) return delivered
        const rec = JSON.parse(line)
        const meta = { id: rec.meta.id, pos, prevPos: c.prevPos }
        c.prevPos = pos
        const ret = callback(rec.event, meta)
        if (ret && typeof ret.then === 'function') await ret
        delivered++
      }
      return delivered
    }

    let everSynced = false
    let known = [] // day files listed but not yet reached: listing per file would be O(days²)
    async function catchUp() {
      let delivered = 0
      for (;;) {
        if (c.file) delivered += await readRest()
        if (c.stopped) return
        known = known.filter((f) => f.day > c.day && f.day >= fromDay)
        if (known.length === 0) known = dayFiles().filter((f) => f.day > c.day && f.day >= fromDay)
        const next = known.shift()
        if (!next) break
        if (c.file) {
          // A newer day exists, so nobody writes this one any more: finish it first.
          delivered += await readRest()
          liveMeta.emit('close', c.file)
        }
        c.day = next.day
        c.file = next.file
        c.offset = 0
        c.rows = 0
        liveMeta.emit('open', c.file)
      }
      if ((delivered > 0 || !everSynced) && onSync && !c.stopped) {
        everSynced = true
        onSync({ logfile: c.file || fileFor(today()), rows: c.rows })
      }
    }

    async function run() {
      if (c.busy) {
        c.again = true
        return
      }
      c.busy = true
      try {
        do {
          c.again = false
          await catchUp()
        } while (c.again && !c.stopped)
      } catch (err) {
        liveMeta.emit('error', err)
      } finally {
        c.busy = false
      }
    }

    try {
      // Writes by other processes; non-persistent, like the original, so it holds no process.
      c.watcher = fs.watch(dir, { persistent: false }, () => c.wake())
    } catch {
      // No directory yet: in-process adds still wake us.
    }
    consumers.add(c)
    mine.add(c)
    c.wake()
    return { stop: () => c.stop(), liveMeta }
  }

  function stop() {
    if (stopped) return
    flush()
    stopped = true
    for (const c of [...mine]) c.stop()
    if (fd !== null) fs.closeSync(fd)
    fd = null
  }

  return { add: batched ? addBatched : add, consume, stop, filename }
}

// --- what the batched writer shares with ours on the JavaScript side --------------------------

// One executor for every promise: no closure per add.
let capturedResolve
let capturedReject
function captureResolve(resolve, reject) {
  capturedResolve = resolve
  capturedReject = reject
}

// Ids 256 at a time from one random buffer, handed out as slices of one string.
const ALPHABET = Buffer.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 'latin1')
const idBytes = Buffer.allocUnsafe(32 * 256)
const randomBytes = Buffer.allocUnsafe(8192)
let randomAt = randomBytes.length
let idText = ''
let idAt = 256
function pooledId() {
  if (idAt === 256) {
    for (let k = 0; k < idBytes.length;) {
      if (randomAt === randomBytes.length) {
        crypto.randomFillSync(randomBytes)
        randomAt = 0
      }
      const b = randomBytes[randomAt++]
      if (b < 248) idBytes[k++] = ALPHABET[b % 62] // 248 = 4 × 62: no character favoured
    }
    idText = idBytes.latin1Slice(0, idBytes.length)
    idAt = 0
  }
  const start = 32 * idAt++
  return idText.slice(start, start + 32)
}

/** Exactly JSON.stringify({ event, meta: { id } }), without building the wrapper objects. */
function encodeLine(event, id) {
  if (event !== null && event !== undefined && typeof event.toJSON === 'function') {
    return JSON.stringify({ event, meta: { id } })
  }
  const body = JSON.stringify(event)
  return body === undefined ? undefined : '{"event":' + body + ',"meta":{"id":"' + id + '"}}'
}

module.exports = baseline
module.exports.batched = (options) => baseline(options, { batched: true })
