// A CommonJS app (`require`), type-checked by __test__/types.test.js with tsc --strict. The
// lines marked as expected errors must fail to compile: they keep the types from decaying to
// `any`.
import eventlog = require('eventlog')
import prometheus = require('eventlog/prometheus')

interface Deposited {
  type: 'deposited'
  account: string
  amount: number
}

async function main(): Promise<void> {
  const log: eventlog.EventLog = eventlog({ filename: 'data/events-%y-%m-%d.log', durable: true })
  const { id, logfile, promise } = log.add({ type: 'deposited', account: 'a-1', amount: 100 })
  const written: eventlog.Written = await promise
  const pos: number = written.pos
  const prev: number | undefined = written.prevPos
  console.log(id.length, logfile, pos, prev)

  const metrics: eventlog.Metrics = await log.metrics()
  const lag: number | undefined = metrics.consumers[0]?.lagEvents
  const waiting: number | undefined = metrics.archive?.daysWaiting
  console.log(metrics.appendDuration.buckets[0].le, lag, waiting)
  const unregister: () => void = prometheus.register(log)
  unregister()
  // @ts-expect-error: register takes a log
  prometheus.register({})

  const consumer = log.consume(
    (event: Deposited, meta) => {
      const p: number = meta.pos
      return Promise.resolve(p + event.amount)
    },
    0,
    (info) => console.log(info.logfile, info.rows),
  )
  consumer.liveMeta.on('error', (err: eventlog.EventlogError) => console.error(err.code))
  consumer.stop()

  for await (const { event, meta } of log.events<Deposited>({ from: pos, live: false, onError: (e) => e.code })) {
    const amount: number = event.amount
    const at: number = meta.pos
    if (amount > at) break
  }

  const report: eventlog.VerifyReport = await eventlog.verify('data/events-%y-%m-%d.log')
  for (const p of report.problems) console.log(p.kind, p.file, p.line, p.pos, p.message)
  const s: eventlog.StatReport = await eventlog.stat({ filename: log.filename })
  const last: number | null = s.lastPos
  for (const d of s.perDay) {
    const where: string | null = d.local ? d.archived : d.file
    console.log(d.day, d.events, d.bytes, d.tornBytes, d.future, last, where)
  }
  console.log(s.archivedDays + s.archiveOnlyDays)

  const archived = eventlog({
    filename: 'data/events-%y-%m-%d.log',
    archive: { url: 's3://bucket/prefix' },
    onArchiveError: (err: eventlog.ArchiveError) => {
      if (err instanceof eventlog.ArchiveNoBucketError || err instanceof eventlog.ArchiveCredentialsError) console.log(err.code)
    },
  })
  const passed: eventlog.ArchiveReport = await archived.archive()
  for (const f of passed.failed) console.log(f.day, f.code, f.error)
  const denied: eventlog.ArchiveError = new eventlog.ArchiveAccessDeniedError()
  console.log(denied, new eventlog.ArchiveUnreachableError(), new eventlog.ArchiveTimeoutError())

  try {
    await eventlog({ readOnly: true }).add(1).promise
  } catch (err) {
    if (err instanceof eventlog.ReadOnlyError) console.log(err.code)
    if (err instanceof eventlog.WriteError) console.log(err.errno)
  }
  const named = log.consume((event: Deposited) => event.amount, { name: 'balances', from: 0, onSync: (info) => info.rows })
  named.stop()
  const saved: number | undefined = log.checkpoint('balances')
  const was: number | undefined = log.resetCheckpoint('balances', saved)
  for (const c of log.checkpoints()) console.log(c.name, c.pos, c.error instanceof eventlog.CheckpointError, was)
  eventlog.__setTestNow(null)
  const closed: Promise<void> = log.stop()
  await closed

  const accounts = eventlog({ filename: 'data/events-%y-%m-%d.log', streamKey: 'account' })
  const loaded: eventlog.StreamRead<Deposited> = await accounts.readStream<Deposited>('a-1', { from: 1, limit: 10 })
  const balance = loaded.events.reduce((sum, { event, meta }) => sum + event.amount + meta.version * 0, 0)
  try {
    const added: eventlog.Written = await accounts.add(
      { type: 'withdrawn', account: 'a-1', amount: balance },
      { expectedVersion: loaded.version, expectedPrevPos: null },
    ).promise
    const v: number | undefined = added.version
    console.log(v)
  } catch (err) {
    if (err instanceof eventlog.ConflictError) console.log(err.stream, err.expectedVersion, err.actualVersion)
    if (err instanceof eventlog.InvalidStreamKeyError) console.log(err.code)
  }
  const newest = await accounts.readStream(42, { backwards: true, limit: 1, to: 5 })
  const version: number = await accounts.streamVersion(42)
  const indexed: eventlog.IndexStreamsReport = await accounts.indexStreams()
  console.log(newest.events[0]?.meta.pos, version, indexed.days, indexed.events, indexed.built, indexed.ms)
  for await (const { event, meta } of accounts.events<Deposited>({ stream: 'a-1', from: 2, live: false })) {
    const at: number = meta.version
    if (event.amount > at) break
  }
  const following: eventlog.StreamEventsOptions = { stream: 'a-1' }
  for await (const { meta } of accounts.events(following)) {
    const at: number = meta.version
    if (at > 0) break
  }
  accounts.consume((event: Deposited, meta) => meta.pos + event.amount, { stream: 'a-1', from: 0 }).stop()
  // @ts-expect-error: a stream's version is a number
  accounts.add({ account: 'a-1' }, { expectedVersion: '3' })
  // @ts-expect-error: readStream has no option `form`
  accounts.readStream('a-1', { form: 2 })
  // @ts-expect-error: a stream id is a string or a number
  accounts.streamVersion({ id: 'a-1' })
  await accounts.stop()

  // @ts-expect-error: there is no consume option `nmae`
  log.consume(() => {}, { nmae: 'balances' })
  // @ts-expect-error: a consumer's name is a string
  log.checkpoint(5)

  // @ts-expect-error: `from` is a position (a number)
  log.events({ from: '2026-11-26' })
  // @ts-expect-error: there is no option `durabel`
  eventlog({ durabel: true })
  // @ts-expect-error: stat() resolves a report, not a number
  const n: number = await eventlog.stat('x')
  console.log(n)
}

main()
