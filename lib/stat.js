'use strict'
// stat(): what a log holds, day by day. The core counts each logfile's lines and bytes off the
// JavaScript thread without parsing a line, and takes the days only in the archive from their
// upload records (src/core/stat.rs); the totals are added here.

const native = require('./native')
const { fromNative } = require('./errors')
const { parseArchive } = require('./options')

const { PER_DAY, dayString } = require('./position')
const { nowMs, dayOf } = require('./clock')

/** Events in the report's days after position `from` (days in the future are not read). */
function eventsAfter(report, from) {
  let total = 0
  for (const d of report.perDay) {
    if (d.future || d.firstPos === null) continue
    const lo = Math.max(from + 1, d.firstPos)
    if (d.lastPos >= lo) total += d.lastPos - lo + 1
  }
  return total
}

/**
 * How the archive keeps up, from what the archiver's passes saved in our files and the days:
 * `null` for a log that has never been archived here.
 */
function archiveHealth(pattern, raw, archivedDays, today) {
  let status
  try {
    status = native.archiveStatus(pattern)
  } catch (err) {
    throw fromNative(err)
  }
  if ((status ?? null) === null && archivedDays === 0) return null
  // Sealed (or sealed at the next pass) and not uploaded: what the archiver has yet to do.
  const waiting = raw.filter((d) => d.local && (d.archived ?? null) === null && !d.future && d.day < today)
  return {
    url: status?.url ?? null,
    lastPassAt: status?.lastPassAt ?? null,
    lastSuccessAt: status?.lastSuccessAt ?? null,
    lastError: status?.lastError ?? null,
    daysWaiting: waiting.length,
  }
}

/** Every named consumer's checkpoint, with the events written after it: `{ name, pos, behind, error }`. */
function consumersOf(pattern, report) {
  let saved
  try {
    saved = native.listCheckpoints(pattern)
  } catch (err) {
    throw fromNative(err)
  }
  return saved.map((c) => ({
    name: c.name,
    pos: c.pos ?? null,
    behind: c.pos === null || c.pos === undefined ? null : eventsAfter(report, c.pos),
    error: c.damaged === null || c.damaged === undefined ? null : c.damaged.message,
  }))
}

/**
 * Counts every day of a pattern (or `{ filename, archive }`): days, events (complete lines, which is
 * what positions count; `verify` tells corrupt ones apart), bytes, the first and last position
 * a reader sees now, torn tails, and the same per day. Days uploaded to an archive say where;
 * those deleted locally since count from their upload records, as they are still replayed.
 * With `archive` (the option of eventlog()), the days only the archive holds are listed from
 * it too, each counted by its object's metadata.
 */
async function stat(arg) {
  const pattern = typeof arg === 'string' ? arg : arg && arg.filename
  if (typeof pattern !== 'string') {
    throw new TypeError('stat() takes a filename pattern such as "data/events-%y-%m-%d.log" or { filename, archive }')
  }
  let raw
  try {
    const archive = typeof arg === 'string' ? undefined : parseArchive(arg.archive)
    raw = await native.stat(pattern, archive)
  } catch (err) {
    throw fromNative(err)
  }
  const report = {
    pattern,
    days: raw.length,
    events: 0,
    bytes: 0,
    firstPos: null,
    lastPos: null,
    tornTails: [],
    archivedDays: 0,
    archiveOnlyDays: 0,
    perDay: [],
    archive: null,
    consumers: [],
  }
  for (const d of raw) {
    const first = d.day * PER_DAY
    const day = {
      day: dayString(d.day),
      file: d.file,
      events: d.lines,
      bytes: d.bytes,
      tornBytes: d.tornBytes,
      firstPos: d.lines > 0 ? first : null,
      lastPos: d.lines > 0 ? first + d.lines - 1 : null,
      future: d.future,
      archived: d.archived ?? null,
      local: d.local,
    }
    report.perDay.push(day)
    if (day.archived !== null) report.archivedDays++
    if (!d.local) report.archiveOnlyDays++
    report.events += d.lines
    report.bytes += d.bytes
    // Readers ignore future days, so the range is what `consume` (and `cat`) would deliver.
    if (day.firstPos !== null && !d.future) {
      if (report.firstPos === null) report.firstPos = day.firstPos
      report.lastPos = day.lastPos
    }
    if (d.tornBytes > 0) report.tornTails.push({ file: d.file, day: day.day, pos: first + d.lines, bytes: d.tornBytes })
  }
  const today = dayOf(nowMs())
  report.archive = archiveHealth(pattern, raw, report.archivedDays, today)
  report.consumers = consumersOf(pattern, report)
  return report
}

module.exports = { stat }
