'use strict'
// The archive flags every command that reads a log takes (cat, tail, stat, verify) and the
// archive command itself: --url and how to reach the store. Credentials and region come from
// the standard AWS environment variables only, never from the command line, where other users
// could see them.

const { UsageError } = require('./args')

const NUMBERS = { 'retry-timeout-ms': 'retryTimeoutMs', 'max-retries': 'maxRetries' }

/** The parseArgs options of the flags. */
const ARCHIVE_FLAGS = {
  url: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  'retry-timeout-ms': { type: 'string' },
  'max-retries': { type: 'string' },
}

/** Their lines in a command's --help. */
const ARCHIVE_HELP = `  --url URL               also read the days only in this archive, s3://bucket/prefix
                          (where 'eventlog archive' or the archive option put them)
  --endpoint URL          an S3-compatible server, e.g. http://127.0.0.1:9000 (default:
                          AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS)
  --region NAME           default: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1
  --retry-timeout-ms MS   how long each request is retried (default 30000)
  --max-retries N         retries per request (default 10)`

/** The words on credentials for a command's --help. */
const CREDENTIALS_HELP = `Credentials come from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN (else an instance role; AWS_EC2_METADATA_DISABLED=true: never ask for one).`

/**
 * The archive option from the flags, or undefined without --url (an error for the archive
 * command, which needs one). `numbers`: more whole-number flags of the command.
 */
function archiveFromFlags(values, command, { required = false, numbers = {} } = {}) {
  if (values.url === undefined) {
    if (required) throw new UsageError('missing --url s3://bucket/prefix', command)
    for (const flag of ['endpoint', 'region', ...Object.keys(NUMBERS), ...Object.keys(numbers)]) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --url s3://bucket/prefix`, command)
    }
    return undefined
  }
  const options = { url: values.url }
  const endpoint = values.endpoint ?? (process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined)
  if (endpoint !== undefined) options.endpoint = endpoint
  if (values.region !== undefined) options.region = values.region
  for (const [flag, name] of Object.entries({ ...numbers, ...NUMBERS })) {
    const v = values[flag]
    if (v === undefined) continue
    if (!/^\d+$/.test(v)) throw new UsageError(`--${flag} takes a whole number, got '${v}'`, command)
    options[name] = Number(v)
  }
  return options
}

module.exports = { ARCHIVE_FLAGS, ARCHIVE_HELP, CREDENTIALS_HELP, archiveFromFlags }
