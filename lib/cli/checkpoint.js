'use strict'
// `eventlog checkpoint PATTERN [NAME] [--reset [POS]] [--json]`: where named consumers are,
// and clearing or setting one.

const api = require('./api')
const { parsePosition, UsageError } = require('./args')
const { eventsBetween } = require('./print')
const { count, describePosition } = require('./format')

/** The API's TypeError for a bad name, as a usage error (exit 2). */
function asUsage(fn) {
  try {
    return fn()
  } catch (err) {
    if (err instanceof TypeError)
      throw new UsageError(`bad NAME: ${err.message.replace(/^[^:]*: name /, 'a name ')}`, 'checkpoint')
    throw err
  }
}

/** One checkpoint, `{ name, pos, error }`: a damaged file is its error rather than thrown. */
function read(log, name) {
  try {
    return { name, pos: asUsage(() => log.checkpoint(name)), error: undefined }
  } catch (err) {
    // Damaged, or unreadable? The listing tells them apart.
    const listed = err instanceof api().CheckpointError ? log.checkpoints().find((c) => c.name === name) : undefined
    if (listed !== undefined && listed.error !== undefined) return listed
    throw err
  }
}

/** `{ name, pos, behind, error }` for the JSON output and the table (`null` for none). */
function row({ name, pos, error }, report) {
  return {
    name,
    pos: pos ?? null,
    // Events after the checkpoint: what the next consumer of that name would deliver.
    behind: pos === undefined ? null : eventsBetween(report, pos + 1),
    error: error === undefined ? null : error.message,
  }
}

function render(rows) {
  const cells = rows.map((r) => [
    r.name,
    r.pos === null ? '-' : String(r.pos),
    r.pos === null ? (r.error === null ? 'none' : 'damaged') : describePosition(r.pos),
    r.behind === null ? '-' : `${count(r.behind)} events`,
  ])
  const header = ['name', 'checkpoint', 'day #line', 'behind']
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (c) =>
    c
      .map((text, i) => text.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return [line(header), ...cells.map(line)].join('\n') + '\n'
}

/** `--reset [POS]`: the position to set (undefined: clear). */
function resetTo(text) {
  if (text === undefined) return undefined
  if (!/^\d{16}$/.test(text)) {
    throw new UsageError(
      `bad position '${text}' for --reset: give the 16-digit position of the last event handled (2026112600000042), or --reset alone to clear it`,
      'checkpoint',
    )
  }
  return parsePosition(text, '--reset', 'checkpoint')
}

async function reset({ pattern, name, to, values, io }) {
  if (values.force && to === undefined) throw new UsageError('--force goes with --reset POS', 'checkpoint')
  const { eventlog } = api()
  // A bad NAME is a usage error before anything is created (a damaged file is what a reset
  // is for).
  const reader = eventlog({ filename: pattern, readOnly: true })
  try {
    read(reader, name)
  } finally {
    reader.stop()
  }
  // Writable (a read-only log writes nothing); its writer stays idle.
  const log = eventlog(pattern)
  let was
  try {
    was = asUsage(() => log.resetCheckpoint(name, to, { force: values.force === true }))
  } finally {
    log.stop()
  }
  const shown = (p) => (p === undefined ? 'none' : String(p))
  if (values.json) {
    io.out.write(JSON.stringify({ name, pos: to ?? null, was: was ?? null }) + '\n')
  } else {
    const next = to === undefined ? 'starts at its `from` option' : 'starts right after it'
    io.out.write(`${name}: ${shown(was)} -> ${shown(to)} (the next consumer named ${name} ${next})\n`)
  }
  await io.out.end()
  return 0
}

module.exports = {
  name: 'checkpoint',
  summary: "named consumers' checkpoints: where each is, how far behind; --reset",
  maxArgs: 2,
  options: {
    reset: { type: 'boolean' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  help: `Usage: eventlog checkpoint PATTERN [NAME] [--reset [POS] [--force]] [--json]

A named consumer (consume(callback, { name })) saves the position of the last event it
handled; the next consumer of that name starts right after it.

  eventlog checkpoint PATTERN              every named consumer: its checkpoint, and how
                                           many events it is behind the end of the log
  eventlog checkpoint PATTERN NAME         one of them
  eventlog checkpoint PATTERN NAME --reset
                                           clear it: the next consumer named NAME starts at
                                           its from option (the beginning by default)
  eventlog checkpoint PATTERN NAME --reset POS
                                           set it: the next consumer starts right after POS
                                           (a POS past the end of the log is refused: that
                                           consumer would skip every event written up to it;
                                           --force sets it anyway)

Stop the consumers of NAME first: a running one does not see a reset, and saves its own
position over one that is behind it.

Options:
  --reset [POS]   clear the checkpoint, or set it to POS, a 16-digit position
  --force         with --reset POS: set it even past the end of the log
  --json          JSON: { name, pos, behind, error } (an array without NAME);
                  with --reset, { name, pos, was }
  -h, --help      this help

Exit code 1 if a checkpoint file is damaged (a consumer of that name replays from its
from option, and saves anew); --reset repairs it.
`,
  async run({ pattern, args, values, io }) {
    const [name, posText] = args
    if (posText !== undefined && !values.reset) {
      throw new UsageError(`unexpected argument '${posText}' (a position goes after --reset)`, 'checkpoint')
    }
    if (values.reset && name === undefined) throw new UsageError('--reset needs a NAME', 'checkpoint')
    if (values.reset) return reset({ pattern, name, to: resetTo(posText), values, io })

    const { eventlog } = api()
    const log = eventlog({ filename: pattern, readOnly: true })
    let found
    try {
      found = name === undefined ? log.checkpoints() : [read(log, name)]
    } finally {
      log.stop()
    }
    const report = await api().stat(pattern)
    const rows = found.map((c) => row(c, report))
    if (values.json) io.out.write(JSON.stringify(name === undefined ? rows : rows[0], null, 2) + '\n')
    else if (rows.length > 0) io.out.write(render(rows))
    await io.out.end()
    if (rows.length === 0) io.warn(`no named consumer has a checkpoint in ${pattern}`)
    for (const r of rows) if (r.error !== null) io.warn(r.error)
    return rows.some((r) => r.error !== null) ? 1 : 0
  },
  render,
}
