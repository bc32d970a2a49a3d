'use strict'
// Commands for the install tests (npm, npx, node), each with a deadline: a hang fails the test
// instead of the run, and nothing outlives the test process.

const { spawn, spawnSync } = require('node:child_process')
const path = require('node:path')
const { scaled } = require('./platform')

// Process groups still running, killed if the test process exits first (a failed test).
const running = new Set()
process.once('exit', () => {
  for (const pid of running) killGroup(pid)
})

function killGroup(pid) {
  if (process.platform === 'win32') {
    // No process groups: taskkill ends the process and its descendants (/T), forcibly (/F).
    spawnSync('taskkill', ['/pid', String(pid), '/t', '/f'], { stdio: 'ignore', timeout: 10000 })
    return
  }
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

/**
 * `npm` and `npx` on Windows are .cmd scripts, which spawn() cannot run without a shell; run
 * their JavaScript with this node instead, from where the Windows installer puts npm (next to
 * node.exe), or from EVENTLOG_TEST_NPM_DIR (an npm package directory: the emulated run under
 * Wine hands over the host's npm, since the node.exe it uses comes without one).
 */
function resolveCommand(command, args) {
  if (process.platform !== 'win32' || (command !== 'npm' && command !== 'npx')) return [command, args]
  const npmDir = process.env.EVENTLOG_TEST_NPM_DIR || path.join(path.dirname(process.execPath), 'node_modules', 'npm')
  return [process.execPath, [path.join(npmDir, 'bin', `${command}-cli.js`), ...args]]
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
    const [file, argv] = resolveCommand(command, args)
    // detached: a process group of its own on Unix (killGroup); on Windows it would open a new
    // console, and taskkill /T finds the descendants anyway.
    const child = spawn(file, argv, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      killGroup(child.pid)
      reject(
        new Error(
          `${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      )
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
    throw new Error(
      `${command} ${args.join(' ')} exited with ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    )
  }
  return r
}

/**
 * What a script that runs npm itself (scripts/package.js) needs to find it: on Windows, the
 * npm these commands run (npm_execpath, as npm sets it for the scripts it runs); elsewhere npm
 * is on the PATH.
 */
function npmEnv() {
  if (process.platform !== 'win32') return {}
  const [, [cli]] = resolveCommand('npm', [])
  return { npm_execpath: cli }
}

module.exports = { run, ok, cleanEnv, npmEnv }
