'use strict'
// An aggregate on a stream: a bank account. A command loads the account's events (readStream),
// folds them into its state, decides, and appends under the version it loaded
// (expectedVersion). If another command appended to the account in between, the add rejects
// with a ConflictError and the command runs again on the new state, a bounded number of times.
// Commands on other accounts never conflict with it.
//
//   node examples/accounts.js   (or: npm run example:accounts)

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { setTimeout: delay } = require('node:timers/promises')

const eventlog = require('..')

/** The state of an account from its events, oldest first. */
function fold(events) {
  const state = { opened: false, balance: 0 }
  for (const { event } of events) {
    if (event.type === 'opened') state.opened = true
    if (event.type === 'deposited') state.balance += event.amount
    if (event.type === 'withdrawn') state.balance -= event.amount
  }
  return state
}

/** A command refused by the account's rules (not retried). */
class Refused extends Error {}

/** Decisions: from the state, the event to append (or Refused). */
const decide = {
  open: (state, account) => {
    if (state.opened) throw new Refused(`${account} is already open`)
    return { type: 'opened', account }
  },
  deposit: (state, account, amount) => {
    if (!state.opened) throw new Refused(`${account} is not open`)
    return { type: 'deposited', account, amount }
  },
  withdraw: async (state, account, amount) => {
    if (!state.opened) throw new Refused(`${account} is not open`)
    await delay(10) // a fraud check, say: time in which another command may append
    if (state.balance < amount) throw new Refused(`${account}: ${amount} asked, ${state.balance} there`)
    return { type: 'withdrawn', account, amount }
  },
}

const ATTEMPTS = 5

/** Load, decide, append under the loaded version; again on a conflict. */
async function execute(log, command, account, ...args) {
  const what = [command, account, ...args].join(' ')
  for (let attempt = 1; ; attempt++) {
    const { version, events } = await log.readStream(account)
    const event = await decide[command](fold(events), account, ...args)
    try {
      const written = await log.add(event, { expectedVersion: version }).promise
      return `${what}: done, version ${written.version}`
    } catch (err) {
      if (!(err instanceof eventlog.ConflictError) || attempt === ATTEMPTS) throw err
      console.log(`  ${what}: conflict (loaded version ${err.expectedVersion}, it is at ${err.actualVersion}); again`)
    }
  }
}

/** `execute`, with a refusal as its message. */
function run(log, ...command) {
  return execute(log, ...command).catch((err) => {
    if (err instanceof Refused) return `${command.join(' ')}: refused, ${err.message}`
    throw err
  })
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-accounts-'))
  // The stream of an event is its `account` field: nothing extra is written into the lines.
  const log = eventlog({ filename: path.join(dir, 'events-%y-%m-%d.log'), streamKey: 'account' })
  try {
    console.log(await run(log, 'open', 'a-1'))
    console.log(await run(log, 'deposit', 'a-1', 100))
    console.log(await run(log, 'open', 'a-2'))

    // Two withdrawals from a-1 at once: both load version 2 (balance 100), the first to append
    // wins, the other conflicts, loads version 3 (balance 40) and decides again. Meanwhile a
    // deposit to a-2 goes through: another stream, no conflict.
    console.log('at once:')
    const results = await Promise.all([
      run(log, 'withdraw', 'a-1', 60),
      run(log, 'withdraw', 'a-1', 30),
      run(log, 'deposit', 'a-2', 5),
    ])
    for (const r of results) console.log(`  ${r}`)

    console.log(await run(log, 'withdraw', 'a-1', 50))
    console.log(await run(log, 'open', 'a-1'))

    for (const account of ['a-1', 'a-2']) {
      const { version, events } = await log.readStream(account)
      console.log(`${account}: version ${version}, balance ${fold(events).balance}`)
    }
  } finally {
    await log.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
