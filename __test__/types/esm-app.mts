// An ES module app (`import`), type-checked by __test__/types.test.js with tsc --strict.
import eventlog, { ReadOnlyError, DayFullError, WriteError, stat, verify, eventlog as open } from 'eventlog'
import type { EventLog, EventRecord, StatReport, VerifyProblem } from 'eventlog'

const log: EventLog = open('data/events-%y-%m-%d.log')
const same: EventLog = eventlog()
same.stop()

const r = log.add({ n: 1 })
const { pos } = await r.promise

const seen: EventRecord<{ n: number }>[] = []
for await (const record of log.events<{ n: number }>({ from: pos, live: false })) seen.push(record)
console.log(seen.map((s) => s.event.n + s.meta.pos))

const report: StatReport = await stat(log.filename)
const problems: VerifyProblem[] = (await verify(log.filename)).problems
console.log(report.days, report.events, report.bytes, report.firstPos, problems.length)

const err: unknown = new DayFullError()
if (err instanceof WriteError && !(err instanceof ReadOnlyError)) console.log(err.code, err.errno)
log.stop()

// @ts-expect-error: live is a boolean
log.events({ live: 'no' })
