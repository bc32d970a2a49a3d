'use strict'
// The HTTP face of the ledger (node:http, JSON in and out):
//   POST /accounts                 { "account": "alice", "owner": "Alice" }
//   POST /accounts/:id/deposit     { "amount": 100 }
//   POST /accounts/:id/withdraw    { "amount": 30 }
//   POST /transfers                { "from": "alice", "to": "bob", "amount": 20 }
//   GET  /accounts                 every balance
//   GET  /accounts/:id             balance and history

const http = require('node:http')

const { Refused } = require('./commands')

const MAX_BODY = 64 * 1024

function send(res, status, body) {
  const text = JSON.stringify(body) + '\n'
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => {
      text += chunk
      if (text.length > MAX_BODY) reject(new Refused(413, 'request body too large'))
    })
    req.on('end', () => {
      try {
        const body = text === '' ? {} : JSON.parse(text)
        if (body === null || typeof body !== 'object') throw new Error('not an object')
        resolve(body)
      } catch {
        reject(new Refused(400, 'the body must be a JSON object'))
      }
    })
    req.on('error', reject)
  })
}

/** The route for a method and path: `[handler, accountId]`, or undefined. */
function route(method, path) {
  const account = /^\/accounts\/([^/]+)(?:\/(deposit|withdraw))?$/.exec(path)
  if (method === 'POST' && path === '/accounts') return ['open']
  if (method === 'POST' && path === '/transfers') return ['transfer']
  if (method === 'POST' && account && account[2]) return [account[2], decodeURIComponent(account[1])]
  if (method === 'GET' && path === '/accounts') return ['list']
  if (method === 'GET' && account && !account[2]) return ['show', decodeURIComponent(account[1])]
  return undefined
}

function createServer(ledger, commands) {
  return http.createServer(async (req, res) => {
    try {
      const found = route(req.method, new URL(req.url, 'http://ledger').pathname)
      if (found === undefined) throw new Refused(404, `no route ${req.method} ${req.url}`)
      const [name, accountId] = found
      if (name === 'list') return send(res, 200, { accounts: ledger.balances(), lastPos: ledger.lastPos ?? null })
      if (name === 'show') {
        const account = ledger.get(accountId)
        if (account === undefined) throw new Refused(404, `no account ${JSON.stringify(accountId)}`)
        return send(res, 200, account)
      }
      const { pos, event } = await commands.run(name, await readJson(req), accountId)
      send(res, 201, { pos, event })
    } catch (err) {
      if (err instanceof Refused) send(res, err.status, { error: err.message })
      else send(res, 500, { error: String(err && err.message) })
    }
  })
}

module.exports = { createServer }
