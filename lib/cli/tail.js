'use strict'
// `eventlog tail PATTERN [--from POS | -n N] [--format jsonl|pretty]`

const api = require('./api')
const { parsePosition, parseCount, UsageError } = require('./args')
const { ARCHIVE_FLAGS, ARCHIVE_HELP, CREDENTIALS_HELP, archiveFromFlags } = require('./archive-flags')
const { printEvents, formatterFor, replayProgress } = require('./print')

/** The position `n` events before the end of the log (the end itself for 0). */
function startOfLast(report, n) {
  let left = n
  const days = report.perDay.filter((d) => !d.future && d.firstPos !== null)
  for (let i = days.length - 1; i >= 0; i--) {
    if (left <= days[i].events) return days[i].lastPos - left + 1
    left -= days[i].events
  }
  return 0
}

module.exports = {
  name: 'tail',
  summary: 'print events like cat, then follow new ones until Ctrl-C',
  options: {
    from: { type: 'string' },
    lines: { type: 'string', short: 'n' },
    format: { type: 'string' },
    ...ARCHIVE_FLAGS,
  },
  help: `Usage: eventlog tail PATTERN [--from POS | -n N] [--format jsonl|pretty] [--url s3://bucket/prefix]

Prints the events of the log like 'eventlog cat', then follows: events written later, by
any process, are printed as they come. Ctrl-C (SIGINT) or SIGTERM ends it with exit code 0
once everything printed so far is written out.

Options:
  --from POS      start at this position (default: the beginning)
  -n, --lines N   start with the last N events instead
  --format FMT    jsonl (default) or pretty
  -h, --help      this help
${ARCHIVE_HELP}

Days deleted here after their upload to an archive are read from it with --url.
${CREDENTIALS_HELP}

POS is a 16-digit position (2026112600000042) or a date (2026-11-26).

Examples:
  eventlog tail 'data/events-%y-%m-%d.log' -n 0          # only what comes from now on
  eventlog tail 'data/events-%y-%m-%d.log' -n 20 --format pretty
`,
  async run({ pattern, values, io }) {
    if (values.from !== undefined && values.lines !== undefined) {
      throw new UsageError('give --from or --lines, not both', 'tail')
    }
    let from = values.from === undefined ? 0 : parsePosition(values.from, '--from', 'tail')
    const archive = archiveFromFlags(values, 'tail')
    let report
    if (values.lines !== undefined) {
      report = await api().stat({ filename: pattern, archive })
      from = startOfLast(report, parseCount(values.lines, '--lines', 'tail'))
    }
    const format = formatterFor(values.format, 'tail')
    const progress = await replayProgress('tail', pattern, from, undefined, report, archive)
    await printEvents({ pattern, archive, from, follow: true, format, io, progress })
    return 0
  },
  startOfLast,
}
