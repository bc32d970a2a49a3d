'use strict'
// Naming platforms as napi-rs does, the loader's error when no binary fits, and eventlog-build
// without a Rust toolchain. The real install path is in install.test.js.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { parseTriple } = require('@napi-rs/cli')
const { ROOT } = require('./helpers')
const { run, cleanEnv } = require('./support/commands')
const { platformOfTriple, currentPlatform, loadablePlatforms } = require('../lib/platform')
const { bindingErrorMessage } = require('../lib/binding-error')

test('platform names agree with napi-rs for its Linux, macOS, Windows and FreeBSD targets', () => {
  const targets = [
    ...require('../package.json').napi.targets,
    'aarch64-unknown-linux-musl',
    'armv7-unknown-linux-gnueabihf',
    'armv7-unknown-linux-musleabihf',
    'riscv64gc-unknown-linux-gnu',
    'powerpc64le-unknown-linux-gnu',
    's390x-unknown-linux-gnu',
    'loongarch64-unknown-linux-gnu',
    'x86_64-pc-windows-msvc',
    'aarch64-pc-windows-msvc',
    'i686-pc-windows-msvc',
    'x86_64-unknown-freebsd',
    'universal-apple-darwin',
  ]
  for (const triple of targets) assert.equal(platformOfTriple(triple), parseTriple(triple).platformArchABI, triple)
})

test("this machine's platform name is the one of the binary the generated loader loaded", () => {
  require('../lib/native.js')
  const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
  // On Windows x64 the platform is named for MSVC, napi-rs's build for Node there; where only
  // the GNU build is installed, lib/native.js loads that one instead.
  const expected = loadablePlatforms().map((p) => `eventlog.${p}.node`)
  assert.equal(expected[0], `eventlog.${currentPlatform()}.node`)
  assert.equal(loaded.length, 1, loaded.join(', '))
  assert.ok(expected.includes(path.basename(loaded[0])), `${loaded[0]} is none of ${expected.join(', ')}`)
})

const common = {
  libc: 'glibc',
  prebuilt: ['linux-x64-gnu', 'darwin-arm64'],
  binaryName: 'eventlog',
  file: '/app/node_modules/eventlog/eventlog.linux-x64-gnu.node',
}

test('the error for a platform with a prebuilt binary says the optional dependency is missing', () => {
  const message = bindingErrorMessage({ ...common, platform: 'linux-x64-gnu', found: null })
  assert.match(message, /no native binary for this platform, \S+ with glibc/)
  assert.match(
    message,
    /looked for the package eventlog-linux-x64-gnu and the file \/app\/node_modules\/eventlog\/eventlog\.linux-x64-gnu\.node/,
  )
  assert.match(message, /Prebuilt binaries exist for linux-x64-gnu, darwin-arm64\./)
  assert.match(message, /optional dependency eventlog-linux-x64-gnu, which is missing here/)
  assert.match(message, /run `npx eventlog-build` in your app's directory\.$/)
})

test('the error for a platform without one says to build from source', () => {
  const message = bindingErrorMessage({ ...common, platform: 'linux-riscv64-gnu', found: null })
  assert.match(
    message,
    /Prebuilt binaries exist for linux-x64-gnu, darwin-arm64\. None fits this machine: build it from source/,
  )
  assert.doesNotMatch(message, /optional dependency/)
})

test('the error for a binary that is there but does not load gives the reason', () => {
  const found = '/app/node_modules/eventlog-linux-x64-gnu/eventlog.linux-x64-gnu.node'
  const cause = new Error('/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.99` not found\nmore detail')
  const message = bindingErrorMessage({ ...common, platform: 'linux-x64-gnu', found, cause })
  assert.match(
    message,
    /found its native binary for \S+ with glibc at \/app\/node_modules\/eventlog-linux-x64-gnu\/eventlog\.linux-x64-gnu\.node but could not load it \(\/lib\/x86_64-linux-gnu\/libc\.so\.6: version `GLIBC_2\.99` not found\)\./,
  )
  assert.match(message, /npx eventlog-build/)
})

test('a binary that does not load is reported by require with the reason', async (t) => {
  // A copy of the package whose binary is not a shared library.
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'eventlog-loader-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  for (const entry of ['package.json', 'index.js', 'native.js', 'lib'])
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true })
  fs.writeFileSync(path.join(dir, `eventlog.${currentPlatform()}.node`), 'not a binary')
  const r = await run(process.execPath, ['-e', `require(${JSON.stringify(dir)})`], { timeoutMs: 20000 })
  assert.notEqual(r.code, 0)
  assert.match(
    r.stderr,
    /eventlog found its native binary for .* but could not load it \(.+\)\. Reinstall eventlog, or build it from source/,
  )
  assert.match(r.stderr, /code: 'ERR_NATIVE_BINDING_NOT_FOUND'/)
})

test('eventlog-build without cargo says how to get it', async () => {
  const r = await run(process.execPath, [path.join(ROOT, 'scripts', 'build-from-source.js')], {
    // node itself is run by its full path; nothing on this PATH.
    env: cleanEnv({ PATH: path.join(ROOT, 'no-such-dir') }),
    timeoutMs: 20000,
  })
  assert.equal(r.code, 1)
  assert.match(
    r.stderr,
    /^eventlog-build: cargo was not found \(ENOENT\)\. Install Rust from https:\/\/rustup\.rs, then run npx eventlog-build again\.\n$/,
  )
})

test('eventlog-build refuses an unknown argument with its usage', async () => {
  const r = await run(process.execPath, [path.join(ROOT, 'scripts', 'build-from-source.js'), '--relase'], {
    timeoutMs: 20000,
  })
  assert.equal(r.code, 2)
  assert.match(r.stderr, /unknown argument --relase\n\nUsage: npx eventlog-build \[--debug\]/)
})
