'use strict'
// Test data shared by the parent (history files) and the children (events to add). History is
// written straight in the on-disk format, not through any implementation, so every
// implementation replays the very same bytes and none pays for writing them.

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const DAY_MS = 86400000
const PER_DAY = 1e8
const PATTERN_NAME = 'events-%y-%m-%d.log'

/** An event whose JSON is ~150 bytes, carrying its sequence number so order can be checked. */
function makeEvent(seq, extra) {
  const s = String(seq).padStart(10, '0')
  return {
    seq,
    type: 'OrderPlaced',
    orderId: `ord-${s}`,
    customer: `cust-${s.slice(-5)}`,
    items: [{ sku: `SKU-${s.slice(-4)}`, qty: (seq % 5) + 1, price: 1999 }],
    currency: 'SEK',
    ...extra,
  }
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function newId() {
  const bytes = crypto.randomBytes(32)
  let id = ''
  for (let i = 0; i < 32; i++) id += ALPHABET[bytes[i] % 62]
  return id
}

/** YYYYMMDD of the UTC day `daysAgo` days before today. */
function dayNumber(daysAgo, nowMs = Date.now()) {
  const d = new Date(nowMs - daysAgo * DAY_MS)
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate()
}

function todayNumber() {
  return dayNumber(0)
}

function fileForDay(dir, day) {
  const y = String(Math.floor(day / 10000))
  const m = String(Math.floor(day / 100) % 100).padStart(2, '0')
  const d = String(day % 100).padStart(2, '0')
  return path.join(dir, PATTERN_NAME.replace('%y', y).replace('%m', m).replace('%d', d))
}

/**
 * Writes `counts[i]` events into the day file `counts.length - i` days ago (so the last one is
 * yesterday's), numbering events 0.. across all files. Returns the manifest the children check
 * against: per day its number and count, and the total bytes.
 */
function writeHistory(dir, counts) {
  fs.mkdirSync(dir, { recursive: true })
  const now = Date.now()
  const days = []
  let seq = 0
  let bytes = 0
  for (let i = 0; i < counts.length; i++) {
    const day = dayNumber(counts.length - i, now)
    const fd = fs.openSync(fileForDay(dir, day), 'w')
    // Write in ~1 MB chunks: one string per file would be large for the 200k case.
    let chunk = ''
    for (let k = 0; k < counts[i]; k++) {
      chunk += JSON.stringify({ event: makeEvent(seq++), meta: { id: newId() } }) + '\n'
      if (chunk.length > 1 << 20) {
        bytes += fs.writeSync(fd, chunk)
        chunk = ''
      }
    }
    if (chunk) bytes += fs.writeSync(fd, chunk)
    fs.closeSync(fd)
    days.push([day, counts[i]])
  }
  return { days, count: seq, bytes }
}

/** Splits `total` events over `days` files as evenly as possible. */
function spread(total, days) {
  return Array.from({ length: days }, (_, i) => Math.floor(total / days) + (i < total % days ? 1 : 0))
}

module.exports = {
  DAY_MS,
  PER_DAY,
  PATTERN_NAME,
  makeEvent,
  newId,
  dayNumber,
  todayNumber,
  fileForDay,
  writeHistory,
  spread,
}
