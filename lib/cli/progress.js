'use strict'
// Progress on a terminal: a bar with events/s and the time left on stderr, redrawn ten times
// a second, erased when done. When stderr is not a terminal (a pipe, a file, a test) there is
// no progress object at all, so the output of a script is never mixed with it.

const { count, duration } = require('./format')

const REDRAW_MS = 100

/**
 * One line for `done` of `total` events after `elapsedMs` (`total` undefined: only the time
 * run so far), at most `width` characters.
 */
function progressLine({ label, done, total, elapsedMs, width }) {
  if (total === undefined) {
    // Nothing to count (a scan in the core): what runs, and for how long.
    return `${label}  ${duration(elapsedMs)}`.slice(0, width)
  }
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0
  const parts = [`${count(done)}/${count(total)} events`, `${count(Math.round(rate))} ev/s`]
  if (rate > 0) parts.push(`ETA ${duration(Math.max(0, ((total - done) / rate) * 1000))}`)
  const text = parts.join('  ')
  const fraction = total > 0 ? Math.min(1, done / total) : 1
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`
  const barWidth = Math.max(0, Math.min(30, width - label.length - text.length - percent.length - 5))
  const filled = Math.round(fraction * barWidth)
  const bar = '█'.repeat(filled) + '░'.repeat(barWidth - filled)
  return `${label} ${bar} ${percent}  ${text}`.slice(0, width)
}

class Progress {
  constructor(stream, label, total) {
    this.stream = stream
    this.label = label
    this.total = total
    this.done = 0
    this.started = performance.now()
    this.shown = false
    // Unref'd: a progress bar never keeps the process alive.
    this.timer = setInterval(() => this.draw(), REDRAW_MS).unref()
  }

  tick(n = 1) {
    this.done += n
  }

  draw() {
    const width = (this.stream.columns || 80) - 1
    const line = progressLine({
      label: this.label,
      done: this.done,
      total: this.total,
      elapsedMs: performance.now() - this.started,
      width,
    })
    this.stream.write(`\r${line}\x1b[K`)
    this.shown = true
  }

  /** Erases the bar until the next redraw, so a message can take the line. */
  clear() {
    if (this.shown) this.stream.write('\r\x1b[K')
    this.shown = false
  }

  /** Erases the bar for good. */
  stop() {
    clearInterval(this.timer)
    this.clear()
  }
}

/** A progress bar on `stream` if it is a terminal, else null. */
function progressFor(label, total, stream = process.stderr) {
  return stream.isTTY ? new Progress(stream, label, total) : null
}

module.exports = { progressFor, progressLine, Progress }
