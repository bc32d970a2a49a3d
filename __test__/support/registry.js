'use strict'
// A private npm registry for the install tests: verdaccio on 127.0.0.1 with no uplinks, so
// installs see only what the test published. Verdaccio is installed on first use into
// .cache/ (gitignored), so the tests run on a machine where nothing prepared it.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const { ROOT, within, deferred } = require('../helpers')
const { ok, cleanEnv } = require('./commands')
const { SERVICES, ask } = require('./services')

// 6.8.0 is the last verdaccio that runs on Node 20; its node-fetch must be pinned to 2.7.0.
const VERDACCIO = '6.8.0'
const INSTALL_DIR = path.join(ROOT, '.cache', `verdaccio-${VERDACCIO}`)
const BIN = path.join(INSTALL_DIR, 'node_modules', 'verdaccio', 'bin', 'verdaccio')

/** Installs verdaccio unless it is there; a partial install is never taken for a finished one. */
async function ensureVerdaccio() {
  if (fs.existsSync(BIN)) return
  const partial = `${INSTALL_DIR}.partial-${process.pid}`
  fs.rmSync(partial, { recursive: true, force: true })
  fs.mkdirSync(partial, { recursive: true })
  const manifest = { private: true, dependencies: { verdaccio: VERDACCIO }, overrides: { 'node-fetch': '2.7.0' } }
  fs.writeFileSync(path.join(partial, 'package.json'), JSON.stringify(manifest, null, 2) + '\n')
  try {
    await ok('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: partial, timeoutMs: 240000 })
    fs.renameSync(partial, INSTALL_DIR)
  } catch (err) {
    fs.rmSync(partial, { recursive: true, force: true })
    // Another test process may have finished the same install first.
    if (!fs.existsSync(BIN)) throw err
  }
}

/** A port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts a registry with its storage under `dir`. Resolves `{ url, stop }` once it answers
 * `GET /-/ping`; `stop()` ends it (by its pid) and resolves once it has exited.
 */
async function startRegistry(dir) {
  // Under an emulator the registry runs on the Linux side (./services.js), with its own storage.
  if (SERVICES) {
    const { id, url } = await ask('POST', '/registry')
    let stopped = null
    return { url, stop: () => (stopped ??= ask('DELETE', `/registry/${id}`)) }
  }
  await ensureVerdaccio()
  const storage = path.join(dir, 'storage')
  fs.mkdirSync(storage, { recursive: true })
  const config = path.join(dir, 'config.yaml')
  fs.writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(storage)}`,
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $anonymous',
      // Verdaccio announces its address at "warn": the line the start-up waits for.
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  )
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const child = spawn(process.execPath, [BIN, '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  // The registry never holds the test process open: if a test ends without stop(), the process
  // exits anyway, and takes the registry with it.
  child.unref()
  child.stdout.unref()
  child.stderr.unref()
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)

  let output = ''
  let announced = false
  const ready = deferred()
  const onOutput = (d) => {
    output += d
    if (!announced && /http address/.test(output)) {
      announced = true
      fetch(`${url}-/ping`).then(
        (res) => (res.ok ? ready.resolve() : ready.reject(new Error(`ping answered ${res.status}`))),
        ready.reject,
      )
    }
  }
  child.stdout.on('data', onOutput)
  child.stderr.on('data', onOutput)
  exited.then((code) => ready.reject(new Error(`verdaccio exited (${code}) before it was ready:\n${output}`)))

  async function stop() {
    process.removeListener('exit', killOnExit)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await within(10000, exited, 'verdaccio stopping').catch(() => {
      child.kill('SIGKILL')
      return exited
    })
  }

  try {
    await within(60000, ready.promise, 'verdaccio starting')
  } catch (err) {
    await stop()
    throw err
  }
  child.stdout.removeListener('data', onOutput)
  child.stderr.removeListener('data', onOutput)
  // Keep draining its output, so a full pipe never blocks it.
  child.stdout.resume()
  child.stderr.resume()
  return { url, stop }
}

module.exports = { startRegistry }
