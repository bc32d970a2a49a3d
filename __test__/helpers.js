'use strict'
// Shared test helpers: temporary directories, bounded waits, and child Node processes with a
// deadline (a hang fails the test instead of the run).

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { scaled } = require('./support/platform')

const ROOT = path.join(__dirname, '..')

// No test may send a packet off this machine: an S3 client with no credentials asks the EC2
// instance metadata service at 169.254.169.254 unless this says not to (as AWS SDKs read it).
// Every test process requires this file, and every child it starts inherits the setting; the
// one test of the default (archive-failures.test.js) removes it only in a child that has no
// network at all.
process.env.AWS_EC2_METADATA_DISABLED = 'true'

// Test directories a test's own hook could not remove, removed once every log in them has
// stopped. Elsewhere a log still closing may keep filling its directory (removal then loses the
// race); on Windows a file that is open cannot be deleted at all (EBUSY, EPERM), and one open
// with delete sharing lingers until its last handle closes. A test's `t.after(() => log.stop())`
// runs after tmpdir's hook, so these wait for the end of the file's tests (Windows) or the exit
// of its process.
const leftBehind = new Set()
function sweep(report) {
  for (const dir of leftBehind) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })
    } catch (err) {
      // On Windows, what is still open (a log a test left running on purpose) stays for the
      // system's temporary-directory cleanup.
      if (report) process.stderr.write(`could not remove the test directory ${dir}: ${err.message}\n`)
    }
  }
  leftBehind.clear()
}
process.once('exit', () => sweep(process.platform !== 'win32'))
if (process.platform === 'win32') require('node:test').after(() => sweep(false))

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-test-'))
  if (process.platform === 'win32') {
    if (t) leftBehind.add(dir)
    return dir
  }
  // Hooks run in the order they were added, so this one runs before a test's own
  // `t.after(() => log.stop())`: the log is still running and may write into the directory
  // as it goes (an archive pass every 200 ms, say). Removal retries for that (ENOTEMPTY), and
  // a directory the log kept filling (retries can lose that race for as long as the log runs;
  // under qemu a pass is slow enough to lose it for seconds) is left to the sweep at exit
  // rather than failing a test whose assertions all passed.
  if (t) {
    t.after(() => {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })
      } catch (err) {
        if (err.code !== 'ENOTEMPTY') throw err
        leftBehind.add(dir)
      }
    })
  }
  return dir
}

/**
 * Rejects if `promise` has not settled within `ms`, scaled for this run's speed (every such
 * wait guards against a hang, so an emulated run only waits longer).
 */
function within(ms, promise, what = 'operation') {
  ms = scaled(ms)
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** A promise and its resolver. */
function deferred() {
  let resolve, reject
  const promise = new Promise((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Collects events from a consumer until `n` arrived (bounded). */
function collect(log, n, { from, ms = 10000 } = {}) {
  const events = []
  const done = deferred()
  const consumer = log.consume((event, meta) => {
    if (events.length === n) return
    events.push({ event, meta })
    if (events.length === n) done.resolve()
  }, from)
  return within(ms, done.promise, `collecting ${n} events`).then(
    () => {
      consumer.stop()
      return events
    },
    (err) => {
      consumer.stop()
      throw err
    },
  )
}

/**
 * Runs `node -e script` (where `eventlog` is this package, already required) and resolves
 * `{ code, signal, stdout, stderr, ms }`; kills it and rejects after `timeoutMs` (scaled, as in
 * `within`). With `file`, runs that file as it is instead; `onStdout(all so far)` follows its
 * output as it comes.
 */
function runNode(script, { timeoutMs = 20000, cwd = ROOT, env = {}, args = [], file, onStdout } = {}) {
  timeoutMs = scaled(timeoutMs)
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const preamble = `const eventlog = require(${JSON.stringify(ROOT)});\n`
    const argv = file ? [file, ...args] : ['-e', preamble + script, ...args]
    const child = spawn(process.execPath, argv, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
      if (onStdout) onStdout(stdout)
    })
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    // 'close', not 'exit': what the child wrote just before it exited may still be in the pipe
    // when it has (on Windows it often is).
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started })
    })
  })
}

/**
 * Starts `node -e script` (with `eventlog` required, as in `runNode`) and returns at once
 * `{ done, write(text), output(re, stream), stdout, stderr }`: `done` resolves as `runNode`
 * does; `output` resolves once what the child printed on `stream` ('stdout' or 'stderr')
 * matches `re`, and rejects if it exits first. Killed after `timeoutMs` (scaled).
 */
function startNode(script, { timeoutMs = 20000, cwd = ROOT, env = {}, args = [] } = {}) {
  timeoutMs = scaled(timeoutMs)
  const started = Date.now()
  const preamble = `const eventlog = require(${JSON.stringify(ROOT)});\n`
  const child = spawn(process.execPath, ['-e', preamble + script, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const out = { stdout: '', stderr: '' }
  const waiters = []
  const check = () => {
    for (const w of waiters.splice(0)) {
      if (w.re.test(out[w.stream])) w.resolve(out[w.stream])
      else waiters.push(w)
    }
  }
  child.stdout.on('data', (d) => {
    out.stdout += d
    check()
  })
  child.stderr.on('data', (d) => {
    out.stderr += d
    check()
  })
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not exit within ${timeoutMs} ms\nstdout: ${out.stdout}\nstderr: ${out.stderr}`))
    }, timeoutMs)
    // 'close': all of its output read (see runNode).
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      for (const w of waiters.splice(0))
        w.reject(new Error(`child exited before printing ${w.re}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`))
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr, ms: Date.now() - started })
    })
  })
  return {
    done,
    kill: (signal) => child.kill(signal),
    write: (text) => child.stdin.write(text),
    output: (re, stream = 'stdout') =>
      new Promise((resolve, reject) => {
        waiters.push({ re, stream, resolve, reject })
        check()
      }),
    get stdout() {
      return out.stdout
    },
    get stderr() {
      return out.stderr
    },
  }
}

/** The lines of a logfile, parsed. */
function readLog(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

/** Writes logfile lines in the on-disk format. */
function writeLines(file, events) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const text = events.map(
    (event, i) => JSON.stringify({ event, meta: { id: `id${String(i).padStart(30, '0')}` } }) + '\n',
  )
  fs.appendFileSync(file, text.join(''))
}

const DAY_MS = 86400000

module.exports = { ROOT, tmpdir, within, deferred, collect, runNode, startNode, readLog, writeLines, DAY_MS }
