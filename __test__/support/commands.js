'use strict'
// Commands for the install tests (npm, npx, node), each with a deadline: a hang fails the test
// instead of the run, and nothing outlives the test process.

const { spawn } = require('node:child_process')
const { scaled } = require('./platform')

// Process groups still running, killed if the test process exits first (a failed test).
const running = new Set()
process.once('exit', () => {
  for (const pid of running) killGroup(pid)
})

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

/**
 * The environment of a command run as a user would run it: without what `npm test` and
 * `node --test` put into ours (npm_config_*, npm_lifecycle_*, NODE_TEST_CONTEXT), which would
 * otherwise reach the npm and node processes of the test apps.
 */
function cleanEnv(extra = {}) {
  const env = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'NODE_TEST_CONTEXT' || /^NAPI_RS_/.test(key)) continue
    env[key] = value
  }
  return { ...env, ...extra }
}

/**
 * Runs `command args` (no shell) in its own process group and resolves
 * `{ code, signal, stdout, stderr, ms }`; on the deadline (scaled for this run's speed) kills
 * the group and rejects.
 */
function run(command, args, { cwd, env = cleanEnv(), timeoutMs = 60000 } = {}) {
  timeoutMs = scaled(timeoutMs)
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      killGroup(child.pid)
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    if (child.pid) running.add(child.pid)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child.pid)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started })
    })
  })
}

/** Like run(), but rejects unless the command exits 0, with its output in the error. */
async function ok(command, args, options) {
  const r = await run(command, args, options)
  if (r.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  }
  return r
}

module.exports = { run, ok, cleanEnv }
