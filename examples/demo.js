// The main job, end to end: open a log on the default (a fresh temporary directory), append a
// few thousand events, replay them, follow a live one, and stop. `npm run demo`.
'use strict'
const eventlog = require('eventlog')

async function main() {
  const log = eventlog()
  console.log(`log pattern: ${log.filename}`)

  const N = 5000
  const started = process.hrtime.bigint()
  const adds = []
  for (let i = 0; i < N; i++) {
    adds.push(
      log.add({ type: i % 3 ? 'deposited' : 'withdrawn', account: `acc-${i % 10}`, amount: (i % 97) + 1 }).promise,
    )
  }
  const written = await Promise.all(adds)
  const addMs = Number(process.hrtime.bigint() - started) / 1e6
  console.log(`appended ${N} events in ${addMs.toFixed(1)} ms; positions ${written[0].pos} .. ${written[N - 1].pos}`)

  // Replay the history into a projection (balances per account), then follow live events.
  const balances = new Map()
  let replayed = 0
  let live
  const replayStart = process.hrtime.bigint()
  await new Promise((resolve) => {
    let caughtUp = false
    const consumer = log.consume(
      (event, meta) => {
        const sign = event.type === 'deposited' ? 1 : -1
        balances.set(event.account, (balances.get(event.account) || 0) + sign * event.amount)
        replayed++
        if (caughtUp) {
          live = meta
          consumer.stop()
          resolve()
        }
      },
      0,
      (info) => {
        if (caughtUp) return
        caughtUp = true
        const ms = Number(process.hrtime.bigint() - replayStart) / 1e6
        console.log(
          `replayed ${replayed} events in ${ms.toFixed(1)} ms; caught up at ${info.rows} rows of ${info.logfile}`,
        )
        log.add({ type: 'deposited', account: 'acc-0', amount: 100 })
      },
    )
  })
  console.log(`live event delivered: pos ${live.pos}, prevPos ${live.prevPos}`)
  console.log('balances:', Object.fromEntries([...balances].sort()))
  log.stop()
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
