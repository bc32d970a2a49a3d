'use strict'
// How the CLI prints things: events as JSON lines or a readable form, numbers and sizes.

const util = require('node:util')

const { PER_DAY, dayString } = require('../position')

/** `{"pos":…,"prevPos":…,"id":"…","event":…}` and a newline: one line for jq. */
function jsonLine(event, meta) {
  return (
    JSON.stringify({
      pos: meta.pos,
      prevPos: meta.prevPos === undefined ? null : meta.prevPos,
      id: meta.id === undefined ? null : meta.id,
      event: event === undefined ? null : event,
    }) + '\n'
  )
}

/** `2026112600000042` as `2026-11-26 #42`. */
function describePosition(pos) {
  return `${dayString(Math.floor(pos / PER_DAY))} #${pos % PER_DAY}`
}

/** A header line with the position, its day and line, and the id; then the event, indented. */
function prettyFormatter({ colors = false } = {}) {
  const dim = colors ? (s) => `\x1b[2m${s}\x1b[22m` : (s) => s
  const bold = colors ? (s) => `\x1b[1m${s}\x1b[22m` : (s) => s
  return (event, meta) => {
    const body = util.inspect(event, { colors, depth: null, breakLength: 100, compact: 3 })
    const prev = meta.prevPos === undefined ? 'none' : String(meta.prevPos)
    return (
      `${bold(String(meta.pos))}  ${describePosition(meta.pos)}  ${dim(`prev ${prev}  id ${meta.id}`)}\n` +
      body.replace(/^/gm, '  ') +
      '\n'
    )
  }
}

/** 123456 as `123,456`. */
function count(n) {
  return n.toLocaleString('en-US')
}

/** Bytes in binary units, `9.1 MiB`. */
function size(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

/** Milliseconds as `850 ms`, `12.3 s` or `4 min 05 s`. */
function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
}

module.exports = { jsonLine, prettyFormatter, describePosition, count, size, duration }
