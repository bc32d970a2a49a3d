// Types of the public API of `eventlog` (hand-written; the generated binding types are in
// native.d.ts and are not part of the API).

import type { EventEmitter } from 'node:events'

declare namespace eventlog {
  /** Options for `eventlog(options)`. */
  interface Options {
    /**
     * The filename pattern: a path holding `%y` (4-digit year), `%m` and `%d` (2-digit month
     * and day) exactly once each, e.g. `"data/events-%y-%m-%d.log"`. Default: a new temporary
     * directory with `events-%y-%m-%d.log`.
     */
    filename?: string
    /** Open without writing: `add` rejects with `ReadOnlyError`, nothing is created on disk. */
    readOnly?: boolean
    /**
     * Resolve an add's promise only once its line is flushed to stable storage with
     * `fdatasync` (and, for a new day's file, its directory entry too), so a resolved event
     * survives a power loss. Events queued while one flush runs share the next one (group
     * commit). Default `false`: resolved means written to the OS (survives a crash of the
     * process, not of the machine).
     */
    durable?: boolean
    /**
     * Keep history in an S3-compatible store (AWS S3, MinIO, Ceph, R2, …): sealed days are
     * uploaded in the background, verified, and (with `keepLocalDays`) deleted locally;
     * `consume` reads archived days transparently. A read-only log with an archive replays
     * it (and follows newly sealed days) without any local files. See README "Archiving to S3".
     */
    archive?: ArchiveOptions
    /**
     * Called when a background archive pass fails (the store refuses, cannot be reached, a
     * day fails to upload), with an `ArchiveError` of the kind's class: once per kind of
     * failure, and again after a pass that succeeded. Without it, such a failure is a process
     * warning (`EventlogWarning`, with the error's code), once per log and kind. Needs
     * `archive`.
     */
    onArchiveError?: (err: ArchiveError) => void
    /**
     * The field of an event that names its stream: a field name (`'accountId'`) or a dotted
     * path (`'aggregate.id'`). An event whose value there is a string or an integer (as its
     * decimal text: `42` and `'42'` are one stream) belongs to that stream; other events to
     * none. Nothing is written into the lines: older logs, and the original's, have streams
     * too. Enables `readStream`, `streamVersion`, `indexStreams`, `events({ stream })`,
     * `consume(cb, { stream })` and `add(event, { expectedVersion })`. Past days are indexed in
     * the background when the log opens (README "Streams").
     */
    streamKey?: string
  }

  /** The `archive` option: every field but `url` is optional. */
  interface ArchiveOptions {
    /** `s3://bucket/prefix`: objects are `prefix/<the logfile's path below the pattern's fixed root>`. */
    url: string
    /** The store's address, for S3-compatible servers (`http://127.0.0.1:9000`); AWS when unset. */
    endpoint?: string
    /** Default: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `us-east-1`. */
    region?: string
    /**
     * Today and this many days before it stay on local disk; older days are deleted once
     * their upload is verified (never a day that failed to upload). Default: keep every day.
     */
    keepLocalDays?: number
    /** How long one request to the store is retried before it fails. Default 30,000 ms. */
    retryTimeoutMs?: number
    /** How many times one request is retried. Default 10. */
    maxRetries?: number
    /** How often the archiver makes a pass and lists the archive for new days. Default 30,000 ms. */
    pollIntervalMs?: number
    /** Default: `AWS_ACCESS_KEY_ID` (with `secretAccessKey`, and optionally `sessionToken`). */
    accessKeyId?: string
    /** Default: `AWS_SECRET_ACCESS_KEY`. */
    secretAccessKey?: string
    /** Default: `AWS_SESSION_TOKEN`. */
    sessionToken?: string
  }

  /** What one archive pass did; days are `YYYYMMDD` numbers. */
  interface ArchiveReport {
    /** Days this pass uploaded and verified. */
    uploaded: number[]
    /** Days this pass deleted locally (they are in the archive). */
    pruned: number[]
    /** Days that could not be uploaded; they stay local and are retried. */
    failed: Array<{ day: number; error: string; code: string }>
  }

  /** Options of `add(event, options)`. */
  interface AddOptions {
    /**
     * Append the event only if it directly follows this position (its `prevPos` would be
     * this), or, with `null`, only into an empty log. Decided under the writers' lock for
     * each event, so it holds within one tick and across processes; otherwise the promise
     * rejects with `ConflictError` and nothing is written.
     */
    expectedPrevPos?: number | null
    /**
     * Append the event only if its stream holds exactly this many events (0: a new stream).
     * Decided under the writers' lock, so it holds within one tick and across processes;
     * otherwise the promise rejects with `ConflictError` (`stream`, `expectedVersion`,
     * `actualVersion`) and nothing is written. Needs a log with `streamKey` and an event that
     * names a stream (else `add` throws a `TypeError`).
     */
    expectedVersion?: number
  }

  /** What `add` returns at once. */
  interface AddResult {
    /** 32 random characters from `[0-9A-Za-z]`. */
    id: string
    /** The logfile the event goes to. */
    logfile: string
    /** Resolves once the event is written; rejects with a `WriteError` if it could not be. */
    promise: Promise<Written>
  }

  /** Where an event was written. */
  interface Written {
    id: string
    /** `YYYYMMDD * 10^8 + n`, n counting the day's events from 0. */
    pos: number
    /** The position of the event before, or `undefined` for the first event ever. */
    prevPos: number | undefined
    /**
     * The event's version in its stream (1 for its first event), on a log with `streamKey`
     * and an event in a stream; absent otherwise.
     */
    version?: number
  }

  /** The second argument of a consume callback. */
  interface Meta {
    id: string
    pos: number
    prevPos: number | undefined
  }

  /** The meta of a stream's event: `Meta` and its version in the stream (1, 2, 3…). */
  interface StreamMeta extends Meta {
    version: number
  }

  /** Options of `log.readStream(id, options)`; versions count from 1. */
  interface ReadStreamOptions {
    /** The first version to read (default 1). */
    from?: number
    /** The last version to read (default: the stream's last). */
    to?: number
    /** At most this many events. */
    limit?: number
    /** Newest first: from `to` (or the stream's end) down to `from`. Default `false`. */
    backwards?: boolean
  }

  /** What `log.readStream` resolves. */
  interface StreamRead<E = any> {
    /** How many events the stream holds (0 for none): pass it as `expectedVersion`. */
    version: number
    events: StreamEventRecord<E>[]
  }

  /** One event of a stream. */
  interface StreamEventRecord<E = any> {
    event: E
    meta: StreamMeta
  }

  /** What `log.indexStreams()` resolves. */
  interface IndexStreamsReport {
    /** Past days looked at. */
    days: number
    /** Events in streams in those days. */
    events: number
    /** Days whose index was built (it was missing, stale or damaged). */
    built: number
    /** How long it took. */
    ms: number
  }

  /** Options for `log.events({ stream })`: one stream's events. */
  interface StreamEventsOptions {
    /** The stream id: a non-empty string or an integer. */
    stream: string | number
    /** The first version (default 1). */
    from?: number
    /** `true` (the default): after the history, follow the stream's new events. */
    live?: boolean
    /** As `EventsOptions.onError`. */
    onError?: (err: EventlogError) => void
  }

  /** What `onSync` receives each time the consumer has caught up. */
  interface SyncInfo {
    /** The logfile caught up in (today's, if none exists yet). */
    logfile: string
    /** Lines in it. */
    rows: number
  }

  /** Emits `open` and `close` with a logfile path, and `error` with an `EventlogError`. */
  interface LiveMeta extends EventEmitter {}

  interface Consumer {
    /** Ends this consumer; no callback is called afterwards. */
    stop(): void
    liveMeta: LiveMeta
  }

  /** `consume(callback, options)`: the second argument as an object. */
  interface ConsumeOptions {
    /**
     * The position to start at (default: the beginning). With `name`, only while that name
     * has no checkpoint.
     */
    from?: number
    /**
     * A named consumer: the position of the last event whose callback has returned (or whose
     * promise has settled) is saved beside the log, and the next consumer of this name starts
     * right after it. Saved at least every 1,000 events, each time it has caught up, and at
     * `stop()`: a graceful restart delivers nothing twice, a crash at most 1,000 events again,
     * and no event is ever skipped. 1 to 80 bytes of UTF-8, any characters. Not on a
     * read-only log (`ReadOnlyError`).
     */
    name?: string
    /** As `consume`'s third argument (give it in one place). */
    onSync?: (info: SyncInfo) => void
    /**
     * Deliver only events whose `typeKey` field is one of these strings; the others are
     * passed over in the core, never parsed in JavaScript. Positions and `prevPos` stay the
     * log's; a named consumer's checkpoint moves past what was passed over.
     */
    types?: string[]
    /** The field `types` are read from: a name or a dotted path (default `'type'`). */
    typeKey?: string
    /**
     * Deliver only the events of this stream (a string or an integer id), passed over in the
     * core; needs a log with `streamKey` (else `InvalidStreamKeyError`), not with `types`.
     * `meta` has no `version` here (use `log.events({ stream })` for it).
     */
    stream?: string | number
  }

  /** A named consumer's checkpoint, as `log.checkpoints()` lists it. */
  interface CheckpointInfo {
    name: string
    /** The position of the last event handled; `undefined` when cleared, or damaged. */
    pos: number | undefined
    /** The file holds something other than a position (a consumer of the name replays from `from`). */
    error: CheckpointError | undefined
  }

  /** Options for `log.events()`. */
  interface EventsOptions {
    /** The position to start at, as `consume`'s `fromPosition` (default: the beginning). */
    from?: number
    /**
     * A named consumer (see `ConsumeOptions.name`): an event counts as handled once the loop
     * asks for the next one, or leaves the loop.
     */
    name?: string
    /**
     * `true` (the default): after the history, follow new events until the loop breaks or the
     * log is stopped. `false`: end at the current end of the log (where `consume` would call
     * `onSync` the first time).
     */
    live?: boolean
    /**
     * Called with each error the consumer reports (`CorruptLineError`, `ReadError`);
     * iteration goes on. Without it, a `ReadError` ends the iteration by rejecting the next
     * pull (the loop throws it), and the first `CorruptLineError` is printed as a process
     * warning. A function that throws ends the iteration with what it threw.
     */
    onError?: (err: EventlogError) => void
    /** As `ConsumeOptions.types`: only events of these types. */
    types?: string[]
    /** As `ConsumeOptions.typeKey`. */
    typeKey?: string
  }

  /** What `log.events()` yields. */
  interface EventRecord<E = any> {
    event: E
    meta: Meta
  }

  interface EventLog {
    /**
     * Appends an event. Throws `InvalidEventError` at once for a value `JSON.stringify` cannot
     * encode (circular, BigInt, undefined, a function); nothing is written then. On a
     * read-only log it returns a promise rejected with `ReadOnlyError`, as the original does.
     */
    add(event: unknown, options?: AddOptions): AddResult
    /**
     * Calls `callback(event, meta)` for every event from `fromPosition` (default: the
     * beginning), history first, then live. A returned thenable holds back the next event
     * until it settles. `onSync` is called each time the consumer has caught up.
     */
    consume(
      callback: (event: any, meta: Meta) => unknown,
      fromPosition?: number,
      onSync?: (info: SyncInfo) => void,
    ): Consumer
    /**
     * `consume` with options: `{ from, name, onSync }`. With `name`, the consumer resumes after
     * the last event a consumer of that name handled (see `ConsumeOptions.name`).
     */
    consume(
      callback: (event: any, meta: Meta) => unknown,
      options: ConsumeOptions,
      onSync?: (info: SyncInfo) => void,
    ): Consumer
    /**
     * The checkpoint of the named consumer `name`: the position of the last event it handled,
     * or `undefined` if it has none. Throws `CheckpointError` if its file is damaged. Works on
     * read-only logs (reading creates nothing). (Not enumerable, as the methods below.)
     */
    checkpoint(name: string): number | undefined
    /**
     * Sets the checkpoint of `name` to `pos` (the next consumer of that name starts right
     * after it; it may move back), or clears it without `pos` (the next one starts at its
     * `from`). Returns the position it held. Stop the consumers of that name first: a running
     * one saves its own position over one behind it. `ReadOnlyError` on a read-only log.
     */
    resetCheckpoint(name: string, pos?: number, options?: { force?: boolean }): number | undefined
    /** Every named consumer's checkpoint, by name. */
    checkpoints(): CheckpointInfo[]
    /**
     * The events as an async iterator: `for await (const { event, meta } of log.events())`.
     * Same order and backpressure as `consume`: the next event is read only when the loop
     * asks for it. `break` stops the underlying consumer. (Not enumerable: `Object.keys(log)`
     * is the original's.)
     */
    /**
     * One stream's events as an async iterator, from version `from` (default 1): its history
     * through the stream index, then (with `live`, the default) its new events from every
     * process. `meta.version` is each event's version. Throws `InvalidStreamKeyError` on a
     * log without `streamKey`.
     */
    events<E = any>(options: StreamEventsOptions): AsyncIterableIterator<StreamEventRecord<E>>
    /**
     * The events of stream `id` (a string or an integer) with versions `from` to `to`, and
     * the stream's version. Rejects with `InvalidStreamKeyError` on a log without
     * `streamKey`.
     */
    events<E = any>(options?: EventsOptions): AsyncIterableIterator<EventRecord<E>>
    readStream<E = any>(id: string | number, options?: ReadStreamOptions): Promise<StreamRead<E>>
    /** How many events stream `id` holds (0 for none). */
    streamVersion(id: string | number): Promise<number>
    /**
     * Indexes every past day's streams now (done in the background when the log opens, and on
     * demand by reads): what it looked at and built.
     */
    indexStreams(): Promise<IndexStreamsReport>
    /** The pattern as given. */
    filename: string
    /**
     * Stops the writer (queued events are still written) and every consumer. The promise
     * (ignoring it is fine, as with the original, which returned nothing) resolves once every
     * add has settled and, if this was the process's last instance of the log, the log is
     * closed: its files quiet (safe to move or delete), its threads done. It never rejects.
     */
    stop(): Promise<void>
    /**
     * One archive pass now: seals the days before today, uploads every sealed day not yet
     * uploaded, deletes local days as `keepLocalDays` says. Waits for a pass running here or
     * in another process first. Rejects with an `ArchiveError` when the store cannot be used
     * (of a subclass that says why: `ArchiveCredentialsError`, `ArchiveNoBucketError`,
     * `ArchiveAccessDeniedError`, `ArchiveUnreachableError`, `ArchiveTimeoutError`),
     * `ReadOnlyError` on a read-only log.
     */
    archive(): Promise<ArchiveReport>
    /**
     * What durable writes of this process did: `flushes` (its `fdatasync` calls) and
     * `flushesByOthers` (durable adds another process's flush already covered). Throws
     * `StoppedError` after `stop()`.
     */
    stats(): LogStats
    /**
     * What the log says about itself, for monitoring (README: Metrics): this process's writes,
     * deliveries and fsyncs, named consumers' positions and lag, the archive's passes. Lists
     * the days off the JavaScript thread. Rejects with `StoppedError` after `stop()`.
     * `require('eventlog/prometheus').register(log, registry)` exports it to prom-client.
     */
    metrics(): Promise<Metrics>
  }

  /** `log.stats()`. */
  interface LogStats {
    flushes: number
    flushesByOthers: number
  }

  /** A histogram of durations in seconds: cumulative buckets, the last with `le: Infinity`. */
  interface HistogramSnapshot {
    buckets: { le: number; count: number }[]
    sum: number
    count: number
  }

  /** A named consumer in `log.metrics()`: `undefined` where not (yet) known. */
  interface ConsumerMetrics {
    name: string
    /** The last event it handled: newer than its saved checkpoint if it runs in this process. */
    pos: number | undefined
    /** Events written after `pos`. */
    lagEvents: number | undefined
    /**
     * 0 while a consumer of this name running in this process is caught up, else the seconds
     * since it last was; `undefined` if none runs here or it has not caught up yet.
     */
    lagSeconds: number | undefined
  }

  /** The archive in `log.metrics()`: counts of this process's passes, times of any process's. */
  interface ArchiveMetrics {
    url: string
    passes: number
    failedPasses: number
    daysUploaded: number
    daysPruned: number
    daysFailed: number
    /** Local days before today not yet uploaded. */
    daysWaiting: number
    /** Epoch ms, or `null` for never. */
    lastPassAt: number | null
    lastSuccessAt: number | null
    lastError: ArchiveLastError | null
  }

  /** The last failure of an archive pass (its message holds no credentials). */
  interface ArchiveLastError {
    /** Epoch ms. */
    at: number
    code: string
    message: string
  }

  /** `log.metrics()`: counts of this process since the log was opened in it. */
  interface Metrics {
    eventsAppended: number
    bytesWritten: number
    /** Events handed to this process's consumers (corrupt lines skipped included). */
    eventsDelivered: number
    /** From `add()` to its promise settling, per event. */
    appendDuration: HistogramSnapshot
    /** `fdatasync` calls for durable adds, and durable batches another process's had covered. */
    fsyncs: number
    fsyncsShared: number
    fsyncDuration: HistogramSnapshot
    /** Every name with a checkpoint, and those running here, by name. */
    consumers: ConsumerMetrics[]
    /** `null` for a log without an archive. */
    archive: ArchiveMetrics | null
  }

  /** Base class of every error the package throws; `code` is stable. */
  class EventlogError extends Error {
    readonly code: string
  }
  class InvalidYearError extends EventlogError {}
  class InvalidMonthError extends EventlogError {}
  class InvalidDayError extends EventlogError {}
  class ReadOnlyError extends EventlogError {}
  class TimeIsInFutureError extends EventlogError {}
  /** Writing failed; `cause.code` holds the OS error (ENOSPC, EACCES, …) when there is one. */
  class WriteError extends EventlogError {
    errno?: string
  }
  class InvalidPatternError extends EventlogError {}
  class InvalidEventError extends EventlogError {}
  /** The day already holds 10^8 events. */
  class DayFullError extends WriteError {}
  class StoppedError extends EventlogError {}
  /** Reading a logfile failed; `errno` (and `cause.code`) holds the OS error when there is one. */
  class ReadError extends EventlogError {
    errno?: string
  }
  /**
   * A line of a logfile is not an event (a JSON object with an `event` key); it was skipped,
   * and still counts as a position.
   */
  class CorruptLineError extends EventlogError {
    /** The position of the line. */
    pos: number
    /** The logfile, as the pattern names it. */
    file: string
    /** The 1-based line number in `file`. */
    line: number
  }
  /**
   * A number given as a position is not one (a day such as 20261204, a small number, a
   * fraction): a TypeError, whose message suggests the position meant.
   */
  class InvalidPositionError extends TypeError {
    readonly code: 'ERR_INVALID_POSITION'
  }
  /** A consume callback (or onSync) threw or rejected; `cause` is what it threw. */
  class CallbackError extends EventlogError {}
  /**
   * `add(event, { expectedPrevPos })` found the log ending elsewhere, or
   * `add(event, { expectedVersion })` found the event's stream at another version; nothing
   * was written. The fields of the expectation that failed are set.
   */
  class ConflictError extends EventlogError {
    /** What the add expected to follow (`null`: an empty log). */
    expectedPrevPos?: number | null
    /** Where the log ended (`undefined`: it was empty). */
    actualPrevPos?: number | undefined
    /** The stream id of the event (an integer id as its decimal text). */
    stream?: string
    /** The version the add expected its stream at. */
    expectedVersion?: number
    /** How many events the stream held. */
    actualVersion?: number
  }
  /** A stream method (`readStream`, …) on a log opened without `streamKey`. */
  class InvalidStreamKeyError extends EventlogError {}
  /** The `archive` option is malformed; the message names the field. */
  class InvalidArchiveConfigError extends EventlogError {}
  /** The archive could not be used; its subclasses say why. */
  class ArchiveError extends EventlogError {}
  /**
   * No credentials were found (none given, none in the environment, none from the EC2
   * instance metadata service, or it was not asked: `AWS_EC2_METADATA_DISABLED=true`), or the
   * store refused them (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, an expired token).
   */
  class ArchiveCredentialsError extends ArchiveError {}
  /** The archive's bucket does not exist at the store. */
  class ArchiveNoBucketError extends ArchiveError {}
  /** The store denied an operation (403 `AccessDenied`): the credentials lack a permission. */
  class ArchiveAccessDeniedError extends ArchiveError {}
  /** The store could not be connected to within the retry window. */
  class ArchiveUnreachableError extends ArchiveError {}
  /** The store did not answer within the retry window. */
  class ArchiveTimeoutError extends ArchiveError {}
  /** The log is already open in this process with another archive. */
  class ConflictingOptionsError extends EventlogError {}
  /**
   * A named consumer's checkpoint could not be read or saved, or its file is damaged (then
   * the consumer replays from its `from`, and saves anew).
   */
  class CheckpointError extends EventlogError {
    /** The OS error, when reading or saving the file failed. */
    errno?: string
  }

  /** One problem `verify` found. */
  interface VerifyProblem {
    kind: 'torn-tail' | 'corrupt-line' | 'future-day'
    file: string
    /** 1-based line number (0 for a whole file). */
    line: number
    /** The position of that line. */
    pos: number
    message: string
  }

  /** What `verify` found. */
  interface VerifyReport {
    ok: boolean
    files: number
    lines: number
    events: number
    /** All problems found; `problems` lists the first 1,000. */
    problemCount: number
    problems: VerifyProblem[]
  }

  /**
   * Scans every logfile of a pattern for torn tails, corrupt lines and logfiles dated in the
   * future (readers skip or ignore each of these), with file, line and position. With
   * `archive`, the days only in the archive are read from it and checked too.
   */
  function verify(pattern: string | { filename: string; archive?: ArchiveOptions }): Promise<VerifyReport>

  /** One logfile, as `stat` counted it. */
  interface StatDay {
    /** `YYYY-MM-DD`. */
    day: string
    /** The logfile; for a day only in the archive, its object (`s3://bucket/key`). */
    file: string
    /** The object this directory uploaded the day to (`s3://bucket/key`), or `null`. */
    archived: string | null
    /** The logfile is on local disk (`false`: deleted after its verified upload). */
    local: boolean
    /** Complete lines (what positions count; corrupt lines included, see `verify`). */
    events: number
    /** Bytes, torn tail included. */
    bytes: number
    /** Bytes after the last newline: a line being written, or torn by a crash. */
    tornBytes: number
    /** `null` for an empty logfile. */
    firstPos: number | null
    lastPos: number | null
    /** Dated after today: readers ignore it until then. */
    future: boolean
  }

  /** A last line without its newline. */
  interface TornTail {
    file: string
    day: string
    /** The position the line would have. */
    pos: number
    bytes: number
  }

  /** What `stat` counted. */
  interface StatReport {
    pattern: string
    /** Days: every logfile, and every day only in the archive. */
    days: number
    /** Complete lines of every day. */
    events: number
    bytes: number
    /** The first and last position a reader sees now (future days excluded); `null` if none. */
    firstPos: number | null
    lastPos: number | null
    tornTails: TornTail[]
    /** Days uploaded to an archive (from this directory's upload records). */
    archivedDays: number
    /** Of those, days deleted locally since: counted from their records, not read. */
    archiveOnlyDays: number
    /** Oldest first. */
    perDay: StatDay[]
    /**
     * How the archive keeps up, from what its passes saved here (`null` if this log was never
     * archived here): times in epoch ms (`null`: never), local days before today not yet
     * uploaded.
     */
    archive: {
      url: string | null
      lastPassAt: number | null
      lastSuccessAt: number | null
      lastError: ArchiveLastError | null
      daysWaiting: number
    } | null
    /** Every named consumer's checkpoint, and the events written after it. */
    consumers: { name: string; pos: number | null; behind: number | null; error: string | null }[]
  }

  /**
   * Counts every day of a pattern (off the JavaScript thread, without parsing a line): days,
   * events, bytes, first and last position, torn tails, and the same per day. Days only in the
   * archive are counted from this directory's upload records, without asking the store; with
   * `archive`, the archive is listed too (days no record here names, counted by their
   * objects' metadata).
   */
  function stat(pattern: string | { filename: string; archive?: ArchiveOptions }): Promise<StatReport>

  /** The package function itself, also as a named export. */
  const eventlog: EventlogFunction

  /** Replaces the clock of every log in the process (epoch ms); `null` restores it. */
  function __setTestNow(ms: number | null): void
}

/** Opens an event log on a filename pattern, an options object, or a temporary directory. */
declare function eventlog(pattern?: string | eventlog.Options): eventlog.EventLog

type EventlogFunction = typeof eventlog

export = eventlog
