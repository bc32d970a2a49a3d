// The archive tier end to end, against any S3-compatible server (README "Archiving to S3"):
// write a day of events, let midnight pass, upload the sealed day, delete it locally, and
// replay it on "another machine" that has only the archive.
//
//   S3_ENDPOINT=http://127.0.0.1:5000 S3_BUCKET=my-events node examples/archive.js
//
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (a local test server takes
// any); the bucket must exist.
'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const eventlog = require('eventlog')

const endpoint = process.env.S3_ENDPOINT || 'http://127.0.0.1:5000'
const bucket = process.env.S3_BUCKET || 'my-events'
const archive = {
  url: `s3://${bucket}/ledger`,
  endpoint,
  keepLocalDays: 0, // keep only today on disk once the past is archived
  retryTimeoutMs: 5000,
}

async function main() {
  process.env.AWS_ACCESS_KEY_ID ||= 'test'
  process.env.AWS_SECRET_ACCESS_KEY ||= 'test'
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-archive-'))
  const pattern = path.join(dir, 'events-%y-%m-%d.log')
  const log = eventlog({ filename: pattern, archive })
  for (let i = 0; i < 1000; i++) log.add({ type: 'deposited', account: `acc-${i % 10}`, amount: i % 97 })
  const last = await log.add({ type: 'closed', day: 1 }).promise
  console.log(`wrote 1001 events to ${path.basename(pattern)}: the last at ${last.pos}`)

  // A demo cannot wait for midnight: move this process's clock a day ahead instead.
  eventlog.__setTestNow(Date.now() + 86400000)
  const report = await log.archive()
  console.log('archive pass:', report)
  console.log(
    'left on local disk:',
    fs.readdirSync(dir).filter((f) => f.endsWith('.log')),
  )
  const today = await log.add({ type: 'opened', day: 2 }).promise
  console.log(`a new day's event at ${today.pos}, prevPos ${today.prevPos} (the archived day's last)`)
  log.stop()
  eventlog.__setTestNow(null)

  // Another machine: an empty directory, read-only, the same archive.
  const elsewhere = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-elsewhere-')), 'events-%y-%m-%d.log')
  const reader = eventlog({ filename: elsewhere, readOnly: true, archive })
  const balances = new Map()
  let count = 0
  await new Promise((resolve) => {
    reader.consume(
      (event) => {
        count++
        if (event.type === 'deposited') balances.set(event.account, (balances.get(event.account) || 0) + event.amount)
      },
      0,
      resolve,
    )
  })
  console.log(`replayed ${count} events from ${archive.url} with no local files; acc-0 has ${balances.get('acc-0')}`)
  reader.stop()
}

main().catch((err) => {
  console.error(err.message)
  process.exitCode = 1
})
