'use strict'
// `eventlog stat PATTERN [--json]`

const api = require('./api')
const { count, size } = require('./format')
const checkpoint = require('./checkpoint')
const { ARCHIVE_FLAGS, ARCHIVE_HELP, CREDENTIALS_HELP, archiveFromFlags } = require('./archive-flags')

/** A time as the report shows it: UTC to the second, and how long ago. */
function when(ms, now) {
  if (ms === null) return 'never'
  const ago = Math.max(0, Math.round((now - ms) / 1000))
  const text = new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
  return `${text} (${ago < 120 ? `${ago} s` : ago < 7200 ? `${Math.round(ago / 60)} min` : `${Math.round(ago / 3600)} h`} ago)`
}

/** The archive's state: its last pass and last success, the days waiting, its last error. */
function renderArchive(a, field, now = Date.now()) {
  field('passes', `last ${when(a.lastPassAt, now)}, last success ${when(a.lastSuccessAt, now)}`)
  field('waiting', `${count(a.daysWaiting)} sealed day(s) not yet uploaded`)
  if (a.lastError !== null) {
    const e = a.lastError
    const since = a.lastSuccessAt !== null && a.lastSuccessAt > e.at ? ' (passes succeeded since)' : ''
    field('error', `${when(e.at, now)}${since}: ${e.code}: ${e.message}`)
  }
}

const BAR_WIDTH = 30

/** The readable report; `bars`: draw each day's events as a bar (on a terminal). */
function render(report, { bars }) {
  const days = report.perDay
  const out = []
  const field = (name, value) => out.push(`${name.padEnd(8)} ${value}`)
  field('pattern', report.pattern)
  field('days', days.length === 0 ? '0' : `${days.length}, ${days[0].day} to ${days[days.length - 1].day}`)
  field('events', count(report.events))
  field('bytes', report.bytes < 1024 ? count(report.bytes) : `${size(report.bytes)} (${count(report.bytes)})`)
  field('first', report.firstPos === null ? '-' : String(report.firstPos))
  field('last', report.lastPos === null ? '-' : String(report.lastPos))
  if (report.tornTails.length === 0) field('torn', 'none')
  for (const t of report.tornTails) {
    field('torn', `${t.file}: ${count(t.bytes)} bytes without a newline where ${t.pos} would be ('eventlog verify')`)
  }
  if (report.archivedDays > 0) {
    const only = report.archiveOnlyDays
    field(
      'archive',
      `${count(report.archivedDays)} day(s) uploaded${only > 0 ? `, ${count(only)} of them only there (counted from their upload records)` : ''}`,
    )
  }
  if (report.archive !== null) renderArchive(report.archive, field)
  const future = days.filter((d) => d.future).length
  if (future > 0) field('future', `${future} logfile(s) dated after today, which readers ignore until then`)
  if (days.length > 0) {
    out.push('')
    const widths = { events: Math.max(6, ...days.map((d) => count(d.events).length)) }
    widths.bytes = Math.max(5, ...days.map((d) => size(d.bytes).length))
    out.push(`${'day'.padEnd(10)}  ${'events'.padStart(widths.events)}  ${'bytes'.padStart(widths.bytes)}`)
    const most = Math.max(1, ...days.map((d) => d.events))
    for (const d of days) {
      let row = `${d.day}  ${count(d.events).padStart(widths.events)}  ${size(d.bytes).padStart(widths.bytes)}`
      if (bars) row += `  ${'█'.repeat(Math.round((d.events / most) * BAR_WIDTH)) || (d.events > 0 ? '▏' : '')}`
      const notes = []
      if (d.tornBytes > 0) notes.push(`torn tail, ${count(d.tornBytes)} bytes`)
      if (!d.local) notes.push('in the archive only')
      else if (d.archived !== null) notes.push('archived')
      if (d.future) notes.push('future')
      if (notes.length > 0) row += `  (${notes.join(', ')})`
      out.push(row.trimEnd())
    }
  }
  if (report.consumers.length > 0) {
    out.push('')
    out.push(checkpoint.render(report.consumers).trimEnd())
  }
  return out.join('\n') + '\n'
}

module.exports = {
  name: 'stat',
  summary: 'days, events, bytes, first and last position, torn tails, events per day',
  options: {
    json: { type: 'boolean' },
    ...ARCHIVE_FLAGS,
  },
  help: `Usage: eventlog stat PATTERN [--json] [--url s3://bucket/prefix]

Counts every logfile of the log without parsing it: days, events (complete lines, each a
position; 'eventlog verify' tells corrupt ones apart), bytes, the first and last position a
reader sees, torn tails (a last line without its newline), and the same for each day. Days
uploaded to an archive are marked; those only in the archive now are counted from the
records their uploads left here, without asking the store. Exit code 1 when no logfile
matches the pattern (a typo must not pass a check).

Options:
  --json          one JSON object: days, events, bytes, firstPos, lastPos, tornTails,
                  archivedDays, archiveOnlyDays, perDay, archive (lastPassAt,
                  lastSuccessAt, lastError, daysWaiting; null without an archive),
                  consumers ({ name, pos, behind, error } each)
  -h, --help      this help
${ARCHIVE_HELP}

With --url, the days the archive holds that no record here names (uploaded from another
machine, or records lost) are listed from it too, counted by their objects' metadata.
${CREDENTIALS_HELP}

Example:
  eventlog stat 'data/events-%y-%m-%d.log' --json | jq '.perDay[] | [.day, .events]'
`,
  async run({ pattern, values, io }) {
    const report = await api().stat({ filename: pattern, archive: archiveFromFlags(values, 'stat') })
    io.out.write(
      values.json ? JSON.stringify(report, null, 2) + '\n' : render(report, { bars: Boolean(process.stdout.isTTY) }),
    )
    await io.out.end()
    if (report.days === 0) {
      io.warn(`no logfile matches ${pattern}; is the pattern right (and quoted)?`)
      return 1
    }
    return 0
  },
  render,
}
