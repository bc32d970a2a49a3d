'use strict'
// `eventlog cat PATTERN [--from POS] [--to POS] [--format jsonl|pretty]`

const { parsePosition, UsageError } = require('./args')
const { ARCHIVE_FLAGS, ARCHIVE_HELP, CREDENTIALS_HELP, archiveFromFlags } = require('./archive-flags')
const { printEvents, formatterFor, replayProgress } = require('./print')

module.exports = {
  name: 'cat',
  summary: 'print events as JSON lines (or --format pretty), up to the current end',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    ...ARCHIVE_FLAGS,
  },
  help: `Usage: eventlog cat PATTERN [--from POS] [--to POS] [--format jsonl|pretty] [--url s3://bucket/prefix]

Prints the events of the log, oldest first, and ends at the current end of the log.
Each event is one JSON line (for jq and friends):
  {"pos":2026112600000042,"prevPos":2026112600000041,"id":"…","event":{…}}

Options:
  --from POS      start at this position (default: the beginning)
  --to POS        stop after this position (inclusive)
  --format FMT    jsonl (default) or pretty (a header line and the event, indented)
  -h, --help      this help
${ARCHIVE_HELP}

Days deleted here after their upload to an archive are read from it with --url; without
it they are not printed (a warning says so), though positions and prevPos count them.
${CREDENTIALS_HELP}

POS is a 16-digit position (2026112600000042) or a date: --from 2026-11-26 starts at
that day's first event, --to 2026-11-26 ends with its last.

Examples:
  eventlog cat 'data/events-%y-%m-%d.log' | jq -c 'select(.event.type == "deposited")'
  eventlog cat 'data/events-%y-%m-%d.log' --from 2026-11-26 --format pretty
`,
  async run({ pattern, values, io }) {
    const from = values.from === undefined ? 0 : parsePosition(values.from, '--from', 'cat')
    const to = values.to === undefined ? undefined : parsePosition(values.to, '--to', 'cat', { endOfDay: true })
    if (to !== undefined && to < from) throw new UsageError(`--to ${values.to} is before --from ${values.from}`, 'cat')
    const format = formatterFor(values.format, 'cat')
    const archive = archiveFromFlags(values, 'cat')
    const progress = await replayProgress('cat', pattern, from, to, undefined, archive)
    await printEvents({ pattern, archive, from, to, follow: false, format, io, progress })
    return 0
  },
}
