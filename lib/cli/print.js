'use strict'
// The loop behind `cat` and `tail`: consume from a position and print each event, holding the
// consumer back while stdout is full (the callback returns the drain promise), until --to, the
// current end (cat), or SIGINT/SIGTERM (tail). Only the package's public API is used.

const api = require('./api')
const { parseChoice } = require('./args')
const { jsonLine, prettyFormatter, count } = require('./format')
const { progressFor } = require('./progress')

/** Corrupt lines are reported one by one up to this many, then only counted. */
const MAX_WARNINGS = 10

/** The function that turns an event into its printed text, for --format. */
function formatterFor(format, command, stream = process.stdout) {
  const choice = format === undefined ? 'jsonl' : parseChoice(format, '--format', ['jsonl', 'pretty'], command)
  if (choice === 'jsonl') return jsonLine
  return prettyFormatter({ colors: Boolean(stream.isTTY) && !('NO_COLOR' in process.env) })
}

/** How many events lie between `from` and `to` (inclusive), by the counts of `stat`. */
function eventsBetween(report, from, to = Infinity) {
  let total = 0
  for (const d of report.perDay) {
    if (d.future || d.firstPos === null) continue
    const lo = Math.max(from, d.firstPos)
    const hi = Math.min(to, d.lastPos)
    if (hi >= lo) total += hi - lo + 1
  }
  return total
}

/**
 * A progress bar for replaying `from`..`to`, or null: only when stderr is a terminal and
 * stdout is not (events on a terminal would tear the bar apart), so scripts never see one.
 * `report`: the log's `stat()` if the caller has it already.
 */
async function replayProgress(label, pattern, from, to, report, archive) {
  if (!process.stderr.isTTY || process.stdout.isTTY) return null
  return progressFor(label, eventsBetween(report ?? (await api().stat({ filename: pattern, archive })), from, to))
}

/**
 * Prints the events of `pattern` from `from` on; resolves `{ printed, skipped }` once it has
 * ended and stdout has taken everything.
 */
function printEvents({ pattern, archive, from, to, follow, format, io, progress = null }) {
  return new Promise((resolve, reject) => {
    // With an archive, its background failures (listing it for new days) are said once each.
    const onArchiveError = (err) => io.warn(err.message)
    const log = api()(
      archive === undefined
        ? { filename: pattern, readOnly: true }
        : { filename: pattern, readOnly: true, archive, onArchiveError },
    )
    let printed = 0
    let skipped = 0
    let finished = false
    let keepAlive = null
    let consumer = null

    const finish = (err) => {
      if (finished) return
      finished = true
      if (consumer !== null) consumer.stop()
      log.stop()
      if (keepAlive !== null) clearInterval(keepAlive)
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
      if (progress !== null) progress.stop()
      if (skipped > MAX_WARNINGS)
        io.warn(`${count(skipped)} corrupt lines skipped in all; 'eventlog verify' lists them`)
      io.out.end().then(() => (err ? reject(err) : resolve({ printed, skipped })), reject)
    }
    const onSignal = () => finish()
    let synced = false
    // Nothing printed at the first catch-up: if no logfile exists at all (a typo in the
    // pattern, or a log not written yet), waiting in silence would look like a hang.
    const sayIfWaitingForFirst = () => {
      api()
        .stat({ filename: pattern, archive })
        .then((report) => {
          if (!finished && report.days === 0)
            io.warn(`no logfile matches ${pattern} yet; waiting for the first one (Ctrl-C to stop)`)
        }, finish)
    }

    try {
      consumer = log.consume(
        (event, meta) => {
          if (finished) return undefined
          if (to !== undefined && meta.pos > to) return finish()
          printed++
          if (progress !== null) progress.tick()
          const wait = io.out.write(format(event, meta))
          if (to !== undefined && meta.pos >= to) return finish()
          return wait
        },
        from,
        () => {
          if (!follow) return finish()
          // Caught up: from here on events come live, and a bar would only flicker.
          if (progress !== null) progress.stop()
          progress = null
          if (!synced && printed === 0) sayIfWaitingForFirst()
          synced = true
          return undefined
        },
      )
    } catch (err) {
      finish(err)
      return
    }
    consumer.liveMeta.on('error', (err) => {
      if (err instanceof api().CorruptLineError) {
        skipped++
        if (skipped <= MAX_WARNINGS) {
          if (progress !== null) progress.clear()
          io.warn(`${err.message} ('eventlog verify' lists every problem)`)
        }
      } else {
        finish(err)
      }
    })
    if (follow) {
      // An idle consumer never keeps Node alive (as with the original); following is our job.
      keepAlive = setInterval(() => {}, 1 << 30)
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
    }
  })
}

module.exports = { printEvents, formatterFor, replayProgress, eventsBetween }
