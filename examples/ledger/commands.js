'use strict'
// The write side: a command is checked against the projection and becomes one event, or is
// refused with a status and a reason. Commands run one at a time, and each waits until the
// projection has applied its event, so the next one is checked against an up-to-date ledger
// (two withdrawals can never both spend the same money). That holds for one writing process;
// several would need a conditional append.

class Refused extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

function amountOf(body) {
  const amount = body.amount
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new Refused(400, 'amount must be a positive whole number (of cents)')
  }
  return amount
}

function existing(ledger, id, what = 'account') {
  const account = typeof id === 'string' ? ledger.get(id) : undefined
  if (account === undefined) throw new Refused(404, `no ${what} ${JSON.stringify(id)}`)
  return account
}

/** The event for a command, or a Refused. */
const decide = {
  open(ledger, body) {
    if (typeof body.account !== 'string' || !/^[\w-]{1,64}$/.test(body.account)) {
      throw new Refused(400, 'account must be 1 to 64 letters, digits, - or _')
    }
    if (ledger.get(body.account) !== undefined) throw new Refused(409, `account ${body.account} already exists`)
    const owner = typeof body.owner === 'string' ? body.owner : ''
    return { type: 'account-opened', account: body.account, owner }
  },
  deposit(ledger, body, accountId) {
    existing(ledger, accountId)
    return { type: 'deposited', account: accountId, amount: amountOf(body) }
  },
  withdraw(ledger, body, accountId) {
    const account = existing(ledger, accountId)
    const amount = amountOf(body)
    if (amount > account.balance) throw new Refused(409, `insufficient funds: ${accountId} holds ${account.balance}`)
    return { type: 'withdrawn', account: accountId, amount }
  },
  transfer(ledger, body) {
    const from = existing(ledger, body.from, 'source account')
    existing(ledger, body.to, 'target account')
    if (body.from === body.to) throw new Refused(400, 'from and to must differ')
    const amount = amountOf(body)
    if (amount > from.balance) throw new Refused(409, `insufficient funds: ${body.from} holds ${from.balance}`)
    return { type: 'transferred', from: body.from, to: body.to, amount }
  },
}

class CommandHandler {
  /** `applied(pos)` resolves once the projection has applied the event at `pos`. */
  constructor(log, ledger, applied) {
    this.log = log
    this.ledger = ledger
    this.applied = applied
    this.queue = Promise.resolve()
  }

  /** Runs a command after those before it; resolves `{ pos, event }`. */
  run(name, body, accountId) {
    const result = this.queue.then(async () => {
      const event = decide[name](this.ledger, body, accountId)
      const { pos } = await this.log.add(event).promise
      await this.applied(pos)
      return { pos, event }
    })
    // A refused command must not stop the ones after it.
    this.queue = result.catch(() => {})
    return result
  }
}

module.exports = { CommandHandler, Refused }
