'use strict'
// The error classes of the package, each with a stable `code`. The Rust core's errors arrive
// with their code as `err.code` and their details as properties (`errno`, `file`, `line`,
// `pos`), thrown by the binding or handed over as data (src/binding/error.rs); `fromNative`
// turns either into an instance of the class for its code. This list is the only place a
// class is named: exports and the code map are made from it, and a test checks that every
// code of the core has a class here.

class EventlogError extends Error {
  constructor(message, options) {
    super(message || new.target.defaultMessage, options)
    this.name = new.target.name
  }
}

/** A number given as a position is not one. A TypeError, as for other arguments of the wrong kind. */
class InvalidPositionError extends TypeError {
  constructor(message, options) {
    super(message || new.target.defaultMessage, options)
    this.name = new.target.name
  }
}

function define(name, code, defaultMessage, Base = EventlogError) {
  // A named class per error, so stack traces and `instanceof` read naturally.
  const cls = { [name]: class extends Base {} }[name]
  Object.defineProperty(cls.prototype, 'code', { value: code, enumerable: true })
  cls.code = code
  cls.defaultMessage = defaultMessage
  return cls
}

const classes = {}
function add(name, code, defaultMessage, base) {
  classes[name] = define(name, code, defaultMessage, base && classes[base])
}

// The original package's classes (same names and default messages).
classes.InvalidPositionError = define(
  'InvalidPositionError',
  'ERR_INVALID_POSITION',
  'The number is not a position.',
  InvalidPositionError,
)
add('InvalidYearError', 'ERR_INVALID_YEAR', 'Year is invalid.')
add('InvalidMonthError', 'ERR_INVALID_MONTH', 'Month is invalid.')
add('InvalidDayError', 'ERR_INVALID_DAY', 'Day is invalid.')
add('ReadOnlyError', 'ERR_READ_ONLY', 'This event log is read only.')
add('TimeIsInFutureError', 'ERR_TIME_IS_IN_FUTURE', 'Time is in future.')
add('WriteError', 'ERR_WRITE', 'An error occured while writing event to logfile.')
// Ours.
add('InvalidPatternError', 'ERR_INVALID_PATTERN', 'The filename pattern must contain %y, %m and %d exactly once each.')
add('InvalidEventError', 'ERR_INVALID_EVENT', 'The event cannot be encoded by JSON.stringify.')
add('DayFullError', 'ERR_DAY_FULL', 'The day already holds 10^8 events.', 'WriteError')
add('StoppedError', 'ERR_STOPPED', 'The event log is stopped.')
add('ReadError', 'ERR_READ', 'An error occurred while reading a logfile.')
add(
  'CorruptLineError',
  'ERR_CORRUPT_LINE',
  'A logfile line is not an event (a JSON object with an "event" key); it was skipped.',
)
add('CallbackError', 'ERR_CALLBACK', 'A consume() callback threw or rejected.')
add(
  'ConflictError',
  'ERR_CONFLICT',
  'The event does not directly follow the expected position, or its stream is not at the expected version; it was not added.',
)
add('InvalidStreamKeyError', 'ERR_INVALID_STREAM_KEY', 'The log has no streamKey, or the streamKey is malformed.')
add('InvalidArchiveConfigError', 'ERR_INVALID_ARCHIVE_CONFIG', 'The archive option is malformed.')
add('ArchiveError', 'ERR_ARCHIVE', 'The archive could not be used.')
add(
  'ArchiveCredentialsError',
  'ERR_ARCHIVE_CREDENTIALS',
  'The archive has no credentials, or the store refused them.',
  'ArchiveError',
)
add('ArchiveNoBucketError', 'ERR_ARCHIVE_NO_BUCKET', "The archive's bucket does not exist.", 'ArchiveError')
add(
  'ArchiveAccessDeniedError',
  'ERR_ARCHIVE_ACCESS_DENIED',
  'The store denied access: the credentials lack a permission.',
  'ArchiveError',
)
add('ArchiveUnreachableError', 'ERR_ARCHIVE_UNREACHABLE', 'The store could not be connected to.', 'ArchiveError')
add('ArchiveTimeoutError', 'ERR_ARCHIVE_TIMEOUT', 'The store did not answer in time.', 'ArchiveError')
add('ConflictingOptionsError', 'ERR_CONFLICTING_OPTIONS', 'The log is already open in this process with other options.')
add('CheckpointError', 'ERR_CHECKPOINT', "A named consumer's checkpoint could not be read or saved.")

const byCode = new Map(Object.values(classes).map((cls) => [cls.code, cls]))

/** What a core error may know besides its code and message. */
const DETAILS = ['errno', 'file', 'line', 'pos']

/**
 * The instance of the class for a core error's code: `err` thrown by the binding, or a
 * `NativeError` handed over as data (both have `code`, `message` and the details). Anything
 * else (a JavaScript error of our own, a TypeError from N-API's argument checks) passes through.
 */
function fromNative(err) {
  const Cls = err !== null && typeof err === 'object' && typeof err.code === 'string' ? byCode.get(err.code) : undefined
  if (Cls === undefined) return err
  const errno = err.errno === null ? undefined : err.errno
  const options = errno === undefined ? undefined : { cause: Object.assign(new Error(errno), { code: errno }) }
  const out = new Cls(err.message, options)
  for (const key of DETAILS) if (err[key] !== undefined && err[key] !== null) out[key] = err[key]
  return out
}

module.exports = { EventlogError, ...classes, classes, fromNative }
