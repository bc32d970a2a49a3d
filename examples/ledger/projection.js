'use strict'
// The read side of the ledger: accounts, balances and each account's history, built by
// applying every event in position order. It is rebuilt from the log at every start, so it
// never needs storing; `lastPos` says how far it has got.

class Ledger {
  constructor() {
    /** account id -> { id, owner, balance, history: [{ pos, type, amount, balance, counterparty }] } */
    this.accounts = new Map()
    this.lastPos = undefined
    this.applied = 0
  }

  /** Applies one event (consume's callback). */
  apply(event, meta) {
    this.lastPos = meta.pos
    this.applied++
    switch (event.type) {
      case 'account-opened':
        this.accounts.set(event.account, { id: event.account, owner: event.owner, balance: 0, history: [] })
        this.record(event.account, meta.pos, 'opened', 0)
        break
      case 'deposited':
        this.record(event.account, meta.pos, 'deposit', event.amount)
        break
      case 'withdrawn':
        this.record(event.account, meta.pos, 'withdrawal', -event.amount)
        break
      case 'transferred':
        this.record(event.from, meta.pos, 'transfer out', -event.amount, event.to)
        this.record(event.to, meta.pos, 'transfer in', event.amount, event.from)
        break
      default:
      // An event of a newer version of the app: this one has nothing to do with it.
    }
  }

  record(accountId, pos, type, amount, counterparty) {
    const account = this.accounts.get(accountId)
    if (account === undefined) return
    account.balance += amount
    const entry = { pos, type, amount, balance: account.balance }
    if (counterparty !== undefined) entry.counterparty = counterparty
    account.history.push(entry)
  }

  get(accountId) {
    return this.accounts.get(accountId)
  }

  balances() {
    return [...this.accounts.values()].map(({ id, owner, balance }) => ({ id, owner, balance }))
  }
}

module.exports = { Ledger }
