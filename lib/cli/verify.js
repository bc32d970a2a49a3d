'use strict'
// `eventlog verify PATTERN [--json]`: exit 0 when clean, 1 when problems were found.

const api = require('./api')
const { count } = require('./format')
const { progressFor } = require('./progress')
const { ARCHIVE_FLAGS, ARCHIVE_HELP, CREDENTIALS_HELP, archiveFromFlags } = require('./archive-flags')

/** One line per problem, `file:line: kind at pos: message`, then a summary. */
function render(report) {
  const out = []
  for (const p of report.problems) {
    out.push(`${p.file}:${p.line}: ${p.kind} at ${p.pos}: ${p.message}`)
  }
  if (report.problemCount > report.problems.length) {
    out.push(
      `… and ${count(report.problemCount - report.problems.length)} more (only the first ${count(report.problems.length)} are listed)`,
    )
  }
  const scanned = `${count(report.files)} logfiles, ${count(report.lines)} lines, ${count(report.events)} events`
  if (report.files === 0) out.push('nothing checked: no logfile')
  else out.push(report.ok ? `ok: ${scanned}, no problems` : `${count(report.problemCount)} problem(s) in ${scanned}`)
  return out.join('\n') + '\n'
}

module.exports = {
  name: 'verify',
  summary: 'check every line of every logfile; exit 1 if there are problems or none',
  options: {
    json: { type: 'boolean' },
    ...ARCHIVE_FLAGS,
  },
  help: `Usage: eventlog verify PATTERN [--json] [--url s3://bucket/prefix]

Reads every line of every logfile and reports what readers would skip or miss, each with
its file, line and position:
  corrupt-line   a line that is not an event (skipped; it still counts as a position)
  torn-tail      a last line without its newline (a crash mid-write; the next writer moves
                 it aside to .eventlog/torn/)
  future-day     a logfile dated after today (readers ignore it until then)
Changes nothing. Exit code 0 when clean, 1 when problems were found or no logfile matches. Days only in the
archive (deleted here after their upload was verified by size, line count and sha256) are
read from it with --url (shown as s3://bucket/key), else not read: 'eventlog stat' lists them.

Options:
  --json          the report as one JSON object (ok, files, lines, events, problemCount,
                  problems)
  -h, --help      this help
${ARCHIVE_HELP}
${CREDENTIALS_HELP}
`,
  async run({ pattern, values, io }) {
    // The scan runs in the core with no progress to report: the spinner shows for how long
    // it has run (sizing the work first would read every logfile twice).
    const archive = archiveFromFlags(values, 'verify')
    const progress = process.stderr.isTTY ? progressFor(`verify ${pattern}`, undefined) : null
    let report
    try {
      report = await api().verify({ filename: pattern, archive })
    } finally {
      if (progress !== null) progress.stop()
    }
    io.out.write(values.json ? JSON.stringify(report, null, 2) + '\n' : render(report))
    await io.out.end()
    // A pattern that matches nothing is most often a typo: a check of it must not pass.
    if (report.files === 0) {
      io.warn(`no logfile matches ${pattern}; is the pattern right (and quoted)?`)
      return 1
    }
    return report.ok ? 0 : 1
  },
  render,
}
