'use strict'
// Shared test helpers: temporary directories, bounded waits, and child Node processes with a
// deadline (a hang fails the test instead of the run).

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')

// On Windows a file that is open cannot be deleted (EBUSY, EPERM), and one open with delete
// sharing lingers until its last handle closes (so its directory is not empty). A test's
// `t.after(() => log.stop())` runs after tmpdir's hook (below), so there the directories are
// removed once the test file's last test has ended and its logs have stopped. Whatever is
// still open then (a log a test left running on purpose) stays in the temporary directory.
const removeAtEnd = []
if (process.platform === 'win32') {
  require('node:test').after(() => {
    for (const dir of removeAtEnd.splice(0)) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })
      } catch {
        // Left for the system's temporary directory cleanup.
      }
    }
  })
}

function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-test-'))
  if (process.platform === 'win32') {
    if (t) removeAtEnd.push(dir)
    return dir
  }
  // Hooks run in the order they were added, so this one runs before a test's own
  // `t.after(() => log.stop())`: a log still closing may write into the directory as it goes,
  // and removal retries for that (ENOTEMPTY) rather than failing the test.
  if (t) t.after(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }))
  return dir
}

/** Rejects if `promise` has not settled within `ms`. */
function within(ms, promise, what = 'operation') {
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
 * `{ code, signal, stdout, stderr, ms }`; kills it and rejects after `timeoutMs`. With `file`,
 * runs that file as it is instead; `onStdout(all so far)` follows its output as it comes.
 */
function runNode(script, { timeoutMs = 20000, cwd = ROOT, env = {}, args = [], file, onStdout } = {}) {
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
 * matches `re`, and rejects if it exits first. Killed after `timeoutMs`.
 */
function startNode(script, { timeoutMs = 20000, cwd = ROOT, env = {}, args = [] } = {}) {
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
      for (const w of waiters.splice(0)) w.reject(new Error(`child exited before printing ${w.re}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`))
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr, ms: Date.now() - started })
    })
  })
  return {
    done,
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
  const text = events.map((event, i) => JSON.stringify({ event, meta: { id: `id${String(i).padStart(30, '0')}` } }) + '\n')
  fs.appendFileSync(file, text.join(''))
}

const DAY_MS = 86400000

module.exports = { ROOT, tmpdir, within, deferred, collect, runNode, startNode, readLog, writeLines, DAY_MS }
