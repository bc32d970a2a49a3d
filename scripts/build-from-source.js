#!/usr/bin/env node
'use strict'
// eventlog-build: builds the native binary from the Rust sources this package ships, for a
// machine no prebuilt binary fits. It uses plain cargo (the napi CLI is a devDependency, never
// installed for users) and puts the binary where the generated loader looks first: beside
// native.js, as eventlog.<platform>.node. Nothing runs it on install (npm blocks dependencies'
// install scripts by default); the loader's error names it.

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { currentPlatform, rustCpuOf } = require('../lib/platform')

const PACKAGE_DIR = path.join(__dirname, '..')
const MANIFEST = path.join(PACKAGE_DIR, 'Cargo.toml')

const USAGE = `Usage: npx eventlog-build [--debug]

Builds eventlog's native binary from source with your Rust toolchain (cargo; install it from
https://rustup.rs) and puts it where require('eventlog') finds it:
${PACKAGE_DIR}/eventlog.${currentPlatform()}.node

  --debug   a debug build: compiles faster, runs slower
  --help    print this text

The build goes to CARGO_TARGET_DIR if set, otherwise to target/ inside the package.
`

function fail(message, code = 1) {
  process.stderr.write(`eventlog-build: ${message}\n`)
  process.exit(code)
}

function parseArgs(argv) {
  const options = { debug: false }
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE)
      process.exit(0)
    } else if (arg === '--debug') {
      options.debug = true
    } else {
      fail(`unknown argument ${arg}\n\n${USAGE}`, 2)
    }
  }
  return options
}

/**
 * The Rust target to build for when it is not the toolchain's own, else null. The binary must
 * fit the node that loads it, and that node may run on another CPU than Rust's host: an x64
 * node under Rosetta beside an arm64 Rust, an arm64 node under emulation on an x64 machine.
 * Cargo would build for its host there, and the binary would not load. The host's system and
 * ABI stay; only the CPU becomes node's.
 */
function crossTarget() {
  const rustc = spawnSync('rustc', ['-vV'], { encoding: 'utf8' })
  const host = /^host: (\S+)$/m.exec(rustc.stdout || '')
  const cpu = rustCpuOf(process.arch)
  if (!host || !cpu) return null
  const [hostCpu, ...rest] = host[1].split('-')
  return hostCpu === cpu ? null : [cpu, ...rest].join('-')
}

/** Runs cargo build; resolves the path of the compiled library (a .so, .dylib or .dll). */
function cargoBuild({ debug, target }) {
  const args = ['build', '--lib', '--locked', '--manifest-path', MANIFEST, '--message-format=json-render-diagnostics']
  if (!debug) args.push('--release')
  if (target) args.push('--target', target)
  return new Promise((resolve, reject) => {
    // stdout carries cargo's JSON messages (read below); its progress and errors go to stderr,
    // straight to the user.
    const child = spawn('cargo', args, { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'inherit'] })
    let library = null
    let rest = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop()
      for (const line of lines) library = artifactOf(line) || library
    })
    child.on('error', reject)
    child.on('close', (code) => {
      library = artifactOf(rest) || library
      if (code !== 0) {
        const hint = target
          ? ` Building for ${target} (the CPU this node runs on) needs \`rustup target add ${target}\` and a linker for it.`
          : ''
        reject(new Error(`cargo build failed (exit code ${code}); its output is above.${hint}`))
      } else if (!library) reject(new Error('cargo build finished but reported no eventlog library.'))
      else resolve(library)
    })
  })
}

/** The library file named by one line of cargo's JSON output, if it is our crate's cdylib. */
function artifactOf(line) {
  if (!line.startsWith('{')) return null
  const message = JSON.parse(line)
  if (message.reason !== 'compiler-artifact' || !samePath(message.manifest_path, MANIFEST)) return null
  if (!message.target.kind.includes('cdylib')) return null
  return message.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) || null
}

/** Whether two paths name one file (Windows paths ignore case: cargo may say `c:\\` for `C:\\`). */
function samePath(a, b) {
  const [x, y] = [path.resolve(a), path.resolve(b)]
  return process.platform === 'win32' ? x.toLowerCase() === y.toLowerCase() : x === y
}

/** Copies the library into place under a temporary name first, so no reader sees half a file. */
function install(library, destination) {
  const partial = `${destination}.${process.pid}.partial`
  fs.copyFileSync(library, partial)
  try {
    fs.renameSync(partial, destination)
  } catch (err) {
    fs.rmSync(partial, { force: true })
    // Windows keeps a loaded DLL's file from being replaced.
    if (process.platform === 'win32' && (err.code === 'EPERM' || err.code === 'EBUSY')) {
      fail(
        `could not replace ${destination}: a running Node process has it loaded. Stop the processes that use eventlog, then run npx eventlog-build again.`,
      )
    }
    throw err
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' })
  if (cargo.error) {
    fail(
      `cargo was not found (${cargo.error.code}). Install Rust from https://rustup.rs, then run npx eventlog-build again.`,
    )
  }
  const pkg = require('../package.json')
  const destination = path.join(PACKAGE_DIR, `${pkg.napi.binaryName}.${currentPlatform()}.node`)
  const started = Date.now()
  const target = crossTarget()
  const what = [options.debug ? 'debug' : 'release', ...(target ? [`for ${target}`] : [])].join(', ')
  process.stderr.write(
    `eventlog-build: building with ${cargo.stdout.trim()} (${what}); a first build takes a minute or two\n`,
  )
  let library
  try {
    library = await cargoBuild({ ...options, target })
  } catch (err) {
    fail(err.message)
  }
  install(library, destination)
  // Load it in a fresh process, so a binary that cannot load is reported here, not in the app.
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(PACKAGE_DIR)})`], {
    encoding: 'utf8',
    timeout: 60000,
  })
  if (check.status !== 0) fail(`built ${destination}, but it does not load:\n${check.stderr || check.error}`)
  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  process.stdout.write(`eventlog-build: built ${destination} in ${seconds} s; require('eventlog') now loads it.\n`)
}

main()
