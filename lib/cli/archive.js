'use strict'
// `eventlog archive PATTERN --url s3://bucket/prefix [options]`: one upload pass now (seal
// what is over, upload every sealed day not yet uploaded, delete local days beyond
// --keep-local-days whose upload is verified). Exit 1 if a day could not be uploaded.

const api = require('./api')
const { ARCHIVE_FLAGS, archiveFromFlags } = require('./archive-flags')
const { count } = require('./format')
const { progressFor } = require('./progress')
const { dayString } = require('../position')

function render(report) {
  const days = (list) => (list.length ? ` (${list.map(dayString).join(', ')})` : '')
  const out = [
    `uploaded ${count(report.uploaded.length)} day(s)${days(report.uploaded)}`,
    `deleted locally ${count(report.pruned.length)} day(s)${days(report.pruned)}`,
  ]
  for (const f of report.failed) out.push(`failed ${dayString(f.day)}: ${f.error}`)
  return out.join('\n') + '\n'
}

/** The archive option from the command line; credentials come from the environment only. */
function archiveOptions(values) {
  const options = archiveFromFlags(values, 'archive', {
    required: true,
    numbers: { 'keep-local-days': 'keepLocalDays' },
  })
  // Only one pass: no background passes while it runs.
  options.pollIntervalMs = 24 * 3600 * 1000
  return options
}

module.exports = {
  name: 'archive',
  summary: 'upload sealed days to an S3-compatible store now (one pass)',
  options: {
    ...ARCHIVE_FLAGS,
    'keep-local-days': { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: eventlog archive PATTERN --url s3://bucket/prefix [options]

Makes one archive pass now, as log.archive() does: records that the days before today are
over (sealed), uploads every sealed day not yet uploaded (byte for byte, with its line count
and sha256 as metadata, verified by reading it back), and with --keep-local-days deletes
local days older than that whose upload is verified. A day that fails stays local and is
reported; the exit code is then 1. Waits for a pass another process is making.

Credentials and region come from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AWS_REGION (never from the command line, where other users could see them);
the endpoint from --endpoint, else AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL.

Options:
  --url URL               s3://bucket/prefix (required)
  --endpoint URL          an S3-compatible server, e.g. http://127.0.0.1:9000
  --region NAME           default: AWS_REGION, else us-east-1
  --keep-local-days N     keep today and N days before it on disk; delete older archived days
  --retry-timeout-ms MS   how long each request is retried (default 30000)
  --max-retries N         retries per request (default 10)
  --json                  the report as one JSON object { uploaded, pruned, failed }
  -h, --help              this help
`,
  async run({ pattern, values, io }) {
    const archive = archiveOptions(values)
    const log = api()({ filename: pattern, archive })
    const progress = process.stderr.isTTY ? progressFor(`archive: ${archive.url}`, undefined) : null
    let report
    try {
      report = await log.archive()
    } finally {
      if (progress !== null) progress.stop()
      log.stop()
    }
    io.out.write(values.json ? JSON.stringify(report) + '\n' : render(report))
    await io.out.end()
    return report.failed.length === 0 ? 0 : 1
  },
  render,
}
