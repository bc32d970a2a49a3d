'use strict'
// The servers some tests start (moto, the S3 server; verdaccio, the npm registry), started on
// the Linux side for a run under an emulator. A Windows node under Wine cannot spawn Python or
// a Linux node, so scripts/platforms/test-windows.js serves this small HTTP API on 127.0.0.1
// and passes its address as EVENTLOG_TEST_SERVICES; startMoto and startRegistry then ask it
// instead of spawning. Each call still gets a server of its own that it can stop (a test kills
// its S3 server mid-upload and starts it again on the same port), exactly as in a native run.
//
//   POST   /moto?port=N  → { id, endpoint, port }     DELETE /moto/<id>      (stopped, exited)
//   POST   /registry     → { id, url }                DELETE /registry/<id>

const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')

/** The address of the Linux-side services, when this run is handed one. */
const SERVICES = process.env.EVENTLOG_TEST_SERVICES || null

/** Asks the services for something; resolves the JSON it answers. */
async function ask(method, pathname) {
  const res = await fetch(`${SERVICES}${pathname}`, { method, signal: AbortSignal.timeout(120000) })
  const body = await res.text()
  if (!res.ok) throw new Error(`${method} ${pathname} on the test services: ${res.status} ${body}`)
  return body ? JSON.parse(body) : null
}

/**
 * Serves the API on 127.0.0.1 (Linux side). Resolves `{ url, close() }`; `close()` stops every
 * server still running and the API itself.
 */
async function serveServices() {
  // Required here, not at the top: they are the Linux side's own, spawning implementations.
  const { startMoto } = require('./s3')
  const { startRegistry } = require('./registry')
  const running = new Map()
  let next = 0
  const dirs = []

  async function handle(req, url) {
    const [, kind, id] = url.pathname.split('/')
    if (req.method === 'POST' && kind === 'moto') {
      const server = await startMoto(null, Number(url.searchParams.get('port')) || 0)
      const key = `moto-${++next}`
      running.set(key, server)
      return { id: key, endpoint: server.endpoint, port: server.port }
    }
    if (req.method === 'POST' && kind === 'registry') {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-registry-'))
      dirs.push(dir)
      const registry = await startRegistry(dir)
      const key = `registry-${++next}`
      running.set(key, registry)
      return { id: key, url: registry.url }
    }
    if (req.method === 'DELETE' && running.has(id)) {
      const server = running.get(id)
      running.delete(id)
      await server.stop()
      return {}
    }
    throw Object.assign(new Error(`no such service request: ${req.method} ${url.pathname}`), { status: 404 })
  }

  const api = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1')
    handle(req, url).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (err) => res.writeHead(err.status || 500).end(String(err.stack || err)),
    )
  })
  await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${api.address().port}`,
    async close() {
      await new Promise((resolve) => {
        api.close(resolve)
        api.closeAllConnections()
      })
      await Promise.allSettled([...running.values()].map((s) => s.stop()))
      running.clear()
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

module.exports = { SERVICES, ask, serveServices }
