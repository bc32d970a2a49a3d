'use strict'
// examples/ledger end to end: start it on a free port, run commands over HTTP, query, stop it,
// start it again and find the projection rebuilt from the log.

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const { test } = require('node:test')

const { ROOT, tmpdir, within, deferred } = require('./helpers')

const APP = path.join(ROOT, 'examples', 'ledger', 'index.js')

/** Starts the ledger on port 0; resolves `{ url, rebuilt, stop() }` once it listens. */
async function start(pattern) {
  const child = spawn(process.execPath, [APP, pattern, '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const ready = deferred()
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  child.stdout.on('data', (d) => {
    out += d
    const m = /rebuilt (\d+) events[\s\S]*listening on (http:\/\/\S+)/.exec(out)
    if (m) ready.resolve({ rebuilt: Number(m[1]), url: m[2] })
  })
  child.stderr.on('data', (d) => (err += d))
  exited.then(() => ready.reject(new Error(`the ledger exited early: ${out} ${err}`)))
  try {
    const { rebuilt, url } = await within(10000, ready.promise, 'the ledger starting')
    return {
      url,
      rebuilt,
      stderr: () => err,
      async stop() {
        child.kill('SIGTERM')
        return within(10000, exited, 'the ledger stopping')
      },
    }
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }
}

async function call(base, method, route, body) {
  const res = await within(
    5000,
    fetch(base + route, { method, body: body === undefined ? undefined : JSON.stringify(body) }),
    `${method} ${route}`,
  )
  return { status: res.status, body: await res.json() }
}

test('the ledger takes commands, answers queries, and rebuilds its projection on restart', async (t) => {
  const pattern = path.join(tmpdir(t), 'ledger-%y-%m-%d.log')
  const first = await start(pattern)
  t.after(() => first.stop())
  assert.equal(first.rebuilt, 0)
  const base = first.url
  assert.equal((await call(base, 'POST', '/accounts', { account: 'alice', owner: 'Alice' })).status, 201)
  assert.equal((await call(base, 'POST', '/accounts', { account: 'bob', owner: 'Bob' })).status, 201)
  const dep = await call(base, 'POST', '/accounts/alice/deposit', { amount: 100 })
  assert.equal(dep.status, 201)
  assert.match(String(dep.body.pos), /^\d{16}$/)
  assert.equal((await call(base, 'POST', '/transfers', { from: 'alice', to: 'bob', amount: 30 })).status, 201)
  assert.equal((await call(base, 'POST', '/accounts/bob/withdraw', { amount: 10 })).status, 201)

  // Refusals: no money, no account, a bad amount, an account twice.
  const overdraw = await call(base, 'POST', '/accounts/bob/withdraw', { amount: 21 })
  assert.deepEqual([overdraw.status, overdraw.body], [409, { error: 'insufficient funds: bob holds 20' }])
  assert.equal((await call(base, 'POST', '/accounts/carol/deposit', { amount: 1 })).status, 404)
  assert.equal((await call(base, 'POST', '/accounts/alice/deposit', { amount: -5 })).status, 400)
  assert.equal((await call(base, 'POST', '/accounts', { account: 'alice' })).status, 409)

  // Commands run one at a time against an up-to-date ledger: of 5 concurrent withdrawals of
  // 30 from alice's 70, exactly 2 pass.
  const racing = await Promise.all(
    Array.from({ length: 5 }, () => call(base, 'POST', '/accounts/alice/withdraw', { amount: 30 })),
  )
  assert.deepEqual(racing.map((r) => r.status).sort(), [201, 201, 409, 409, 409])

  const expected = [
    { id: 'alice', owner: 'Alice', balance: 10 },
    { id: 'bob', owner: 'Bob', balance: 20 },
  ]
  assert.deepEqual((await call(base, 'GET', '/accounts')).body.accounts, expected)
  const bob = (await call(base, 'GET', '/accounts/bob')).body
  assert.deepEqual(
    bob.history.map((h) => [h.type, h.amount, h.balance]),
    [
      ['opened', 0, 0],
      ['transfer in', 30, 30],
      ['withdrawal', -10, 20],
    ],
  )
  // The app stops gracefully on SIGTERM; Windows has no way to send one (child.kill is
  // TerminateProcess there), so it just ends, and the restart below reads what it wrote.
  const graceful = process.platform === 'win32' ? { code: null, signal: 'SIGTERM' } : { code: 0, signal: null }
  assert.deepEqual(await first.stop(), graceful)
  assert.equal(first.stderr(), '')

  const second = await start(pattern)
  t.after(() => second.stop())
  // 2 opened, 1 deposit, 1 transfer, 1 + 2 withdrawals.
  assert.equal(second.rebuilt, 7)
  assert.deepEqual((await call(second.url, 'GET', '/accounts')).body.accounts, expected)
  assert.deepEqual((await call(second.url, 'GET', '/accounts/bob')).body, bob)
  assert.equal((await call(second.url, 'GET', '/accounts/nobody')).status, 404)
})
