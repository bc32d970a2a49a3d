'use strict'
// `eventlog cat PATTERN [--from POS] [--to POS] [--format jsonl|pretty] [--stream ID --stream-key KEY]`

const { parsePosition, UsageError } = require('./args')
const { ARCHIVE_FLAGS, ARCHIVE_HELP, CREDENTIALS_HELP, archiveFromFlags } = require('./archive-flags')
const api = require('./api')
const { printEvents, formatterFor, replayProgress } = require('./print')

/** `--stream ID --stream-key KEY`: one stream, by version, through the stream index. */
async function catStream({ pattern, values, io, archive }) {
  if (values.stream === undefined || values['stream-key'] === undefined) {
    throw new UsageError('--stream and --stream-key go together: --stream ID --stream-key accountId', 'cat')
  }
  if (values.from !== undefined || values.to !== undefined) {
    throw new UsageError(
      '--from and --to are positions of the log; with --stream, every event of the stream is printed',
      'cat',
    )
  }
  const log = api()({ filename: pattern, readOnly: true, streamKey: values['stream-key'], archive })
  try {
    const { events } = await log.readStream(values.stream)
    for (const { event, meta } of events) {
      const line = JSON.stringify({
        pos: meta.pos,
        prevPos: meta.prevPos ?? null,
        id: meta.id ?? null,
        version: meta.version,
        event,
      })
      io.out.write(line + '\n')
    }
    await io.out.end()
  } finally {
    await log.stop()
  }
  return 0
}

module.exports = {
  name: 'cat',
  summary: 'print events as JSON lines (or --format pretty), up to the current end',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    stream: { type: 'string' },
    'stream-key': { type: 'string' },
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
  --stream ID     only the events of one stream, read through the stream index (with
                  --stream-key, the field that names streams: the log's streamKey);
                  each line then has the event's "version" in its stream too
  --stream-key K  the field (or dotted path) of an event that names its stream
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
  eventlog cat 'data/events-%y-%m-%d.log' --stream acc-42 --stream-key accountId
`,
  async run({ pattern, values, io }) {
    if (values.stream !== undefined || values['stream-key'] !== undefined) {
      return catStream({ pattern, values, io, archive: archiveFromFlags(values, 'cat') })
    }
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
