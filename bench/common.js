'use strict'
// What the bench scripts share: the release build check (and the private copy of the binary
// the children load), temporary directories removed at exit (also on Ctrl-C or SIGTERM), child
// processes with a deadline (killed by pid when it passes, and at exit), the header every
// script prints (command, machine, date), and medians.

const crypto = require('node:crypto')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const BINARY = path.join(ROOT, 'eventlog.linux-x64-gnu.node')
const WORKLOADS_JS = path.join(__dirname, 'workloads.js')

// --- cleaning up --------------------------------------------------------------------------

const tempDirs = new Set()
const children = new Set()
const cleanups = []

function cleanUp() {
  for (const child of children) {
    try {
      child.kill('SIGKILL')
    } catch {
      // gone already
    }
  }
  children.clear()
  for (const fn of cleanups.splice(0)) {
    try {
      fn()
    } catch {
      // best effort at exit
    }
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}
process.on('exit', cleanUp)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping children and removing temporary directories`)
    cleanUp()
    process.exit(130)
  })
}

/** A fresh directory under the system's temporary directory, removed at exit. */
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `eventlog-${prefix}-`))
  tempDirs.add(dir)
  return dir
}

/** Removes a directory made by tempDir now. */
function removeDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

/** Runs `fn` at exit (before the temporary directories go): stopping a server, say. */
function atExit(fn) {
  cleanups.push(fn)
}

// --- the build ----------------------------------------------------------------------------

/** Section names of a 64-bit little-endian ELF file ([] for anything else). */
function elfSectionNames(buf) {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) return []
  const shoff = Number(buf.readBigUInt64LE(0x28))
  const shentsize = buf.readUInt16LE(0x3a)
  const shnum = buf.readUInt16LE(0x3c)
  const strtab = shoff + buf.readUInt16LE(0x3e) * shentsize
  const strOff = Number(buf.readBigUInt64LE(strtab + 0x18))
  const names = []
  for (let i = 0; i < shnum; i++) {
    const at = strOff + buf.readUInt32LE(shoff + i * shentsize)
    names.push(buf.toString('latin1', at, buf.indexOf(0, at)))
  }
  return names
}

/**
 * Checks that the binary is there and a release build, and points this process and its
 * children (native.js honours NAPI_RS_NATIVE_LIBRARY_PATH) at a private copy of it, so that a
 * rebuild in the working tree during a long run cannot swap it under us. Exits with 2 if
 * there is none or it is a debug build (unless `allowDebug`). Returns what identifies it.
 */
function useReleaseBuild({ allowDebug = false } = {}) {
  if (!fs.existsSync(BINARY)) {
    console.error(
      `${path.relative(process.cwd(), BINARY)} is missing: run \`npm run build\` (the release build) first.`,
    )
    process.exit(2)
  }
  const bytes = fs.readFileSync(BINARY)
  // A debug build (`npm run build:debug`) carries DWARF sections; release builds strip them.
  // Benchmarking a debug build would make ours look several times slower than it is.
  const debug = elfSectionNames(bytes).includes('.debug_info')
  if (debug && !allowDebug) {
    console.error(
      `${path.basename(BINARY)} looks like a debug build: run \`npm run build\` (release) first, or pass --allow-debug-build.`,
    )
    process.exit(2)
  }
  const stat = fs.statSync(BINARY)
  const dir = tempDir('bench-bin')
  const copy = path.join(dir, path.basename(BINARY))
  fs.writeFileSync(copy, bytes)
  process.env.NAPI_RS_NATIVE_LIBRARY_PATH = copy
  return {
    binary: BINARY,
    bytes: stat.size,
    mtime: stat.mtime.toISOString(),
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    debug,
    dir,
  }
}

/**
 * Lets the workload children load "alt", a copy of this package at `dir` (a patch to measure
 * against ours in one run): with its own binary if it has one, else with ours.
 */
function useAlt(dir, build) {
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    console.error(`--alt=${dir}: no index.js there (give a copy of this package)`)
    process.exit(2)
  }
  process.env.EVENTLOG_BENCH_ALT = path.resolve(dir)
  const altBinary = path.join(dir, path.basename(BINARY))
  if (fs.existsSync(altBinary)) {
    const altCopy = path.join(build.dir, 'alt-' + path.basename(BINARY))
    fs.copyFileSync(altBinary, altCopy)
    process.env.EVENTLOG_BENCH_ALT_BINARY = altCopy
  }
  return `${path.resolve(dir)} (${process.env.EVENTLOG_BENCH_ALT_BINARY ? 'its own binary' : "ours' binary"})`
}

// --- children -----------------------------------------------------------------------------

/**
 * Runs `node [nodeArgs] script args` with a deadline. Resolves { status: 'ok', result } (the
 * last `{"result":…}` line it printed) | { status: 'timeout', partial } | { status: 'error',
 * error }. `onMessage` gets IPC messages (with `ipc: true`); `child` is there to send to;
 * `onLine` each line of stdout (and its JSON, if any), `onStderr` each chunk of stderr.
 */
function startNode(
  script,
  args,
  { timeoutMs, ipc = false, onMessage, env, nodeArgs = [], onLine, onStderr, spawnAs, cwd, stdin = 'ignore' } = {},
) {
  if (!(timeoutMs > 0)) throw new Error('startNode: a timeout is required')
  // spawnAs: [command, args], a wrapper (perf) that runs node itself; it gets a process group
  // of its own, so that a timeout kills the wrapper and the node under it together.
  const [file, argv] = spawnAs || [process.execPath, [...nodeArgs, script, ...args]]
  const child = spawn(file, argv, {
    // stdin: 'pipe' for a child that takes its messages there (a Python one has no IPC channel).
    stdio: ipc ? [stdin, 'pipe', 'pipe', 'ipc'] : [stdin, 'pipe', 'pipe'],
    env: env ? { ...process.env, ...env } : process.env,
    detached: Boolean(spawnAs),
    cwd,
  })
  if (spawnAs) {
    const kill = child.kill.bind(child)
    child.kill = (signal) => {
      try {
        process.kill(-child.pid, signal)
      } catch {
        kill(signal)
      }
    }
  }
  children.add(child)
  let stdout = ''
  let stderr = ''
  let result = null
  let partial = null
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk) => {
    stdout += chunk
    let nl
    while ((nl = stdout.indexOf('\n')) !== -1) {
      const line = stdout.slice(0, nl)
      stdout = stdout.slice(nl + 1)
      let msg = null
      try {
        msg = JSON.parse(line)
      } catch {
        // Not ours (a stray console.log of an implementation).
      }
      if (msg && msg.result) result = msg.result
      if (msg && msg.partial) partial = msg.partial
      if (onLine) onLine(line, msg)
    }
  })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000)
    if (onStderr) onStderr(chunk)
  })
  if (onMessage) child.on('message', onMessage)
  // 'exit' can come before the last of stdout is read (a 200 kB result line, a busy machine):
  // without a result yet, it is looked for again once stdout has closed, or after 2 s (a
  // grandchild may hold the pipe open).
  const stdoutClosed = new Promise((resolve) => child.stdout.on('close', resolve))
  let timedOut = false
  const done = new Promise((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('exit', async (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      if (!result && !timedOut) await Promise.race([stdoutClosed, new Promise((r) => setTimeout(r, 2000).unref())])
      if (timedOut) resolve({ status: 'timeout', timeoutMs, partial, stderr })
      else if (result) resolve({ status: 'ok', result, stderr })
      else {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`
        resolve({ status: 'error', error: `no result (${why}): ${stderr.trim().split('\n').slice(-5).join(' | ')}` })
      }
    })
  })
  return { child, done, kill: () => child.kill('SIGKILL') }
}

/** One workload of bench/workloads.js in a fresh process. */
function runWorkload(impl, workload, runDir, n, options) {
  return startNode(WORKLOADS_JS, [impl, workload, runDir, String(n)], options).done
}

/** The result of an outcome that must have succeeded and passed its checks, or an Error. */
function resultOf(outcome, what) {
  if (outcome.status === 'timeout') return new Error(`${what}: killed after ${outcome.timeoutMs / 1000} s`)
  if (outcome.status === 'error') return new Error(`${what}: ${outcome.error}`)
  if (!outcome.result.ok) return new Error(`${what}: check failed: ${outcome.result.failures.slice(0, 3).join('; ')}`)
  return outcome.result
}

// --- reporting ----------------------------------------------------------------------------

function median(values) {
  const s = values.filter((v) => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b)
  if (s.length === 0) return null
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

function quantile(values, q) {
  const s = Float64Array.from(values).sort()
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}

/** The machine, as the header prints it. */
function machine() {
  const cpus = os.cpus()
  return `${cpus.length} × ${cpus[0]?.model?.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`
}

/** Prints what was run, where and when; returns it for the JSON results. */
function header(title, build) {
  const command = [
    'node',
    ...process.execArgv,
    path.relative(process.cwd(), process.argv[1]),
    ...process.argv.slice(2),
  ].join(' ')
  const info = { title, command, machine: machine(), date: new Date().toISOString(), binarySha256: build?.sha256 }
  console.log(
    `${title}\n  command: ${command}\n  machine: ${info.machine}\n  date:    ${info.date}${build ? `\n  binary:  ${path.basename(build.binary)} ${build.mtime} sha256 ${build.sha256.slice(0, 12)}` : ''}\n`,
  )
  return info
}

/** Aligned text columns; the first `left` are left-aligned. */
function layout(rows, left = 1) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)))
  const line = (r) =>
    r
      .map((c, i) => (i < left ? String(c ?? '').padEnd(widths[i]) : String(c ?? '').padStart(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

const fmt = (v, digits) =>
  v === null || v === undefined
    ? '—'
    : v.toLocaleString('en-US', {
        minimumFractionDigits: digits ?? (Math.abs(v) >= 100 ? 0 : 1),
        maximumFractionDigits: digits ?? (Math.abs(v) >= 100 ? 0 : 1),
      })

const fmtX = (r) =>
  r === null || r === undefined || !Number.isFinite(r) ? '—' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`

/** Writes a script's results next to run.js's (bench/results/, not committed). */
function saveResults(name, data) {
  const dir = path.join(__dirname, 'results')
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${name}.json`)
  fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n')
  return path.relative(process.cwd(), file)
}

/** Options of the form --name=value and --flag. */
function parseArgs(known) {
  const out = {}
  for (const a of process.argv.slice(2)) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a)
    if (!m || !(m[1] in known)) {
      console.error(
        `unknown argument ${a}; known: ${Object.keys(known)
          .map((k) => `--${k}`)
          .join(' ')}`,
      )
      process.exit(2)
    }
    const def = known[m[1]]
    out[m[1]] = m[2] === undefined ? true : typeof def === 'number' ? Number(m[2]) : m[2]
    if (typeof def === 'number' && !Number.isFinite(out[m[1]])) {
      console.error(`--${m[1]} takes a number`)
      process.exit(2)
    }
  }
  for (const [k, v] of Object.entries(known)) if (!(k in out)) out[k] = v
  return out
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

module.exports = {
  ROOT,
  BINARY,
  tempDir,
  removeDir,
  atExit,
  useReleaseBuild,
  useAlt,
  startNode,
  runWorkload,
  resultOf,
  median,
  quantile,
  header,
  layout,
  fmt,
  fmtX,
  saveResults,
  parseArgs,
  sleep,
}
