#!/usr/bin/env node
'use strict'
// npm run test:arm64: the core's cargo tests and the JS test suite on Linux arm64, emulated by
// qemu-user, the JS suite against the arm64 release build. Builds the addon (cargo does nothing
// when it is current), sets up qemu (./qemu.js), then runs `node --test` with the arm64 node of
// this node's version. Exits with node's exit code; node --test's summary is the last thing
// printed.
//
//   node scripts/platforms/test-arm64.js [FILE...]
//
// FILE...: just these test files (paths, or names in __test__/); by default every file, as
// `npm run test:js` runs them. The whole suite takes 8.5 to 13 minutes here (load, and a cold
// arm64 debug build in the install tests, make the difference), which CI's 90 minutes hold:
// there is no subset to keep in step with the suite.

const { spawn } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { build } = require('./build')
const { findTarget } = require('./targets')
const { installQemu, armNode, withBinfmt, processesWithEnv, qemuCommand, QEMU_ENV, QEMU, SYSROOT } = require('./qemu')
const { cargoTestUnder } = require('./cargo-test')
const { ROOT, say } = require('./toolchain')

const TESTS = path.join(ROOT, '__test__')

// How much slower than native the suite runs here, for the deadlines that guard against hangs
// (__test__/support/platform.js). Measured on this machine: qemu-user runs CPU-bound JS 10-14x
// slower and starts a node 16x slower (0.82 s against 0.05 s); a little above the middle, since
// every deadline is a hang guard and a deadline too short fails a correct run. A slower
// machine sets EVENTLOG_TEST_TIME_SCALE itself.
const TIME_SCALE = Number(process.env.EVENTLOG_TEST_TIME_SCALE) || 15

// The default test timeout of `npm run test:js`, scaled like every other deadline.
const TEST_TIMEOUT_MS = 120000 * TIME_SCALE

function usage(message) {
  process.stderr.write(`test-arm64: ${message}\nusage: node scripts/platforms/test-arm64.js [FILE...]\n`)
  process.exit(2)
}

/** Every test file of the suite, as `npm run test:js` finds them. */
function allFiles() {
  return fs
    .readdirSync(TESTS)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
}

/** A test file named as a path or by its name in __test__/. */
function resolveFile(name) {
  const candidates = [path.resolve(name), path.join(TESTS, name), path.join(TESTS, `${name}.test.js`)]
  const found = candidates.find((f) => fs.existsSync(f))
  if (!found) usage(`no test file ${name}`)
  return found
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(0)} s`
}

async function main() {
  const named = process.argv.slice(2)
  for (const arg of named) if (arg.startsWith('-')) usage(`unknown option ${arg}`)
  const files = named.length > 0 ? named.map(resolveFile) : allFiles().map((f) => path.join(TESTS, f))

  const started = Date.now()
  installQemu()
  const node = armNode()
  say(`qemu and the arm64 node ready in ${seconds(started)}`)
  const target = findTarget('linux-arm64-gnu')
  // The core's own tests first (a failure there ends the run), so that the JS suite's
  // summary closes the output.
  const rust = cargoTestUnder(target, `${QEMU} -L ${SYSROOT}`)
  if (rust !== 0) {
    process.exitCode = rust
    return
  }
  build(target)

  // Every process of the run carries this in its environment, however deep it is spawned and
  // whatever process group it moves to: how the run finds what is left of it at the end.
  const runId = crypto.randomBytes(8).toString('hex')
  const env = {
    ...process.env,
    ...QEMU_ENV,
    EVENTLOG_TEST_RUN: runId,
    EVENTLOG_TEST_EMULATOR: 'qemu',
    EVENTLOG_TEST_TIME_SCALE: String(TIME_SCALE),
    // The archive tests' S3 client must not ask an EC2 metadata service for credentials.
    AWS_EC2_METADATA_DISABLED: 'true',
    // Programs run as `node` (npm and npx in the install tests, through `#!/usr/bin/env node`)
    // are the arm64 node too, as on an arm64 machine.
    PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
    // eventlog-build (in the install tests) then builds for arm64, the CPU of the node it runs
    // on, with the cross linker of this machine.
    [`CARGO_TARGET_${target.triple.toUpperCase().replace(/-/g, '_')}_LINKER`]: target.linker,
  }

  let child = null
  const leftovers = () => {
    const pids = processesWithEnv('EVENTLOG_TEST_RUN', runId)
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Exited meanwhile.
      }
    }
    return pids
  }
  const stop = async (signal) => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill(signal)
      // node --test ends its test processes on a signal; what it leaves is killed below.
      await Promise.race([
        new Promise((resolve) => child.once('exit', resolve)),
        new Promise((resolve) => setTimeout(resolve, 10000).unref()),
      ])
    }
    leftovers()
  }

  const code = await withBinfmt(
    async () => {
      const [command, prefix] = qemuCommand(node)
      const args = [...prefix, '--test', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files]
      say(`${files.length} test file(s) under qemu, time scale ${TIME_SCALE}`)
      child = spawn(command, args, { cwd: ROOT, env, stdio: 'inherit' })
      const [status, signal] = await new Promise((resolve, reject) => {
        child.once('error', reject)
        child.once('exit', (c, s) => resolve([c, s]))
      })
      // A test's server or child that outlived node --test must not outlive the run, nor keep
      // binfmt_misc in use.
      const left = leftovers()
      if (left.length > 0) process.stderr.write(`test-arm64: killed ${left.length} process(es) the run left behind\n`)
      return status ?? 128 + os.constants.signals[signal]
    },
    { onSignal: stop },
  )
  process.exitCode = code
}

main().catch((err) => {
  process.stderr.write(`test-arm64: ${err.message}\n`)
  process.exitCode = 1
})
