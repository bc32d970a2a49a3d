'use strict'
// The real install path: the release tarballs of `npm run package`, published to a local npm
// registry and installed into fresh apps with npm's default settings, as a user installs them.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { ROOT } = require('./helpers')
const { scaled } = require('./support/platform')
const { ok, cleanEnv, npmEnv } = require('./support/commands')
const { startRegistry } = require('./support/registry')
const { freshApp } = require('./support/npm-app')
const { currentPlatform, loadablePlatforms, platformOfTriple } = require('../lib/platform')

const PKG = require('../package.json')
// The binary the rest of the suite tests: on Windows x64 that may be the GNU build.
const PLATFORM =
  loadablePlatforms().find((p) => fs.existsSync(path.join(ROOT, `${PKG.napi.binaryName}.${p}.node`))) ||
  currentPlatform()
const PLATFORM_PACKAGE = `${PKG.napi.binaryName}-${PLATFORM}`
const BINARY = `${PKG.napi.binaryName}.${PLATFORM}.node`

let work
let registry

before(
  async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-install-'))
    const dist = path.join(work, 'dist')
    // The binary the rest of the suite tests, packed as a release packs it.
    await ok(process.execPath, [path.join(ROOT, 'scripts', 'package.js'), '--no-build', '--out', dist], {
      cwd: ROOT,
      timeoutMs: 120000,
      env: cleanEnv(npmEnv()),
    })
    registry = await startRegistry(path.join(work, 'registry'))
    const publisher = freshApp(path.join(work, 'publisher'), registry.url)
    // Platform packages first, as a release does: the main package depends on them.
    const main = `${PKG.name}-${PKG.version}.tgz`
    const platforms = fs.readdirSync(dist).filter((f) => f.endsWith('.tgz') && f !== main)
    for (const tarball of [...platforms, main]) await publisher.npm(['publish', path.join(dist, tarball)])
  },
  { timeout: scaled(300000) },
)

after(async () => {
  if (registry) await registry.stop()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

let counter = 0
function newApp() {
  return freshApp(path.join(work, `app-${++counter}`), registry.url)
}

// One app with `npm install eventlog`, shared by the tests that only look at it.
let installed
function installedApp() {
  installed ??= (async () => {
    const app = newApp()
    await app.npm(['install', 'eventlog'])
    return app
  })()
  return installed
}

// Adds an event, consumes it, and does not stop the log: the process must exit by itself.
const ADD_AND_CONSUME = `
const eventlog = require('eventlog')
const { add, consume } = eventlog('data/events-%y-%m-%d.log')
const { id } = add({ type: 'installed', n: 1 })
consume((event, meta) => {
  if (meta.id === id) console.log(JSON.stringify({ event, pos: meta.pos }))
})
`

function assertAddedAndConsumed(r) {
  assert.equal(r.code, 0, r.stderr)
  const { event, pos } = JSON.parse(r.stdout)
  assert.deepEqual(event, { type: 'installed', n: 1 })
  assert.match(String(pos), /^\d{16}$/)
}

/** Every .node file under `dir`. */
function binariesUnder(dir) {
  return fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.node'))
}

test('npm install eventlog: a require() app adds and consumes an event and exits by itself', async () => {
  const app = await installedApp()
  assertAddedAndConsumed(await app.node('app.js', ADD_AND_CONSUME))
})

test('the binary comes from the platform package; the main package ships none and runs no install script', async () => {
  const app = await installedApp()
  const modules = path.join(app.dir, 'node_modules')
  const r = await app.node(
    'which.js',
    "require('eventlog')\nconsole.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.endsWith('.node'))))\n",
  )
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(JSON.parse(r.stdout), [fs.realpathSync(path.join(modules, PLATFORM_PACKAGE, BINARY))])

  assert.deepEqual(binariesUnder(path.join(modules, 'eventlog')), [])
  const published = JSON.parse(fs.readFileSync(path.join(modules, 'eventlog', 'package.json'), 'utf8'))
  for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
    assert.equal(published.scripts?.[script], undefined, `the published package has a ${script} script`)
  }
  const expected = Object.fromEntries(
    PKG.napi.targets.map((t) => [`${PKG.napi.binaryName}-${platformOfTriple(t)}`, PKG.version]),
  )
  assert.deepEqual(published.optionalDependencies, expected)
  // npm fetched the one platform package that fits, and nothing else.
  assert.deepEqual(
    fs
      .readdirSync(modules)
      .filter((f) => !f.startsWith('.'))
      .sort(),
    ['eventlog', PLATFORM_PACKAGE].sort(),
  )
})

// index.mjs and the `exports` map's "import" entry make this work.
test('the ES module entry: import eventlog, { ReadOnlyError } from "eventlog"', async () => {
  const app = await installedApp()
  const r = await app.node(
    'esm.mjs',
    `import eventlog, { ReadOnlyError } from 'eventlog'
const reader = eventlog({ filename: 'esm/events-%y-%m-%d.log', readOnly: true })
const refused = await reader.add({ type: 'nope' }).promise.catch((err) => err)
const log = eventlog('esm/events-%y-%m-%d.log')
const { pos } = await log.add({ type: 'esm' }).promise
log.stop()
console.log(JSON.stringify({ readOnly: refused instanceof ReadOnlyError, code: refused.code, pos }))
`,
  )
  assert.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.equal(out.readOnly, true)
  assert.equal(out.code, 'ERR_READ_ONLY')
  assert.match(String(out.pos), /^\d{16}$/)
})

test('npx eventlog runs the installed CLI: help, and stat of a log the app wrote', async () => {
  const app = await installedApp()
  const help = await app.npx(['eventlog', '--help'])
  assert.equal(help.code, 0, help.stderr)
  assert.match(help.stdout, /^Usage: eventlog COMMAND PATTERN/)
  const r = await app.node(
    'write.js',
    "const log = require('eventlog')('data/e-%y-%m-%d.log')\nPromise.all([1, 2, 3].map((n) => log.add({ n }).promise)).then(() => log.stop())\n",
  )
  assert.equal(r.code, 0, r.stderr)
  const stat = await app.npx(['eventlog', 'stat', 'data/e-%y-%m-%d.log', '--json'])
  assert.equal(stat.code, 0, stat.stderr)
  assert.equal(JSON.parse(stat.stdout).events, 3)
})

test('npx eventlog-build --help runs the installed bin', async () => {
  const app = await installedApp()
  const r = await app.npx(['eventlog-build', '--help'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^Usage: npx eventlog-build/)
  assert.ok(r.stdout.includes(path.join('node_modules', 'eventlog', BINARY)), r.stdout)
})

test('npm install @rymdtiden/eventlog@npm:eventlog runs an app written for the original unchanged', async () => {
  const app = newApp()
  await app.npm(['install', '@rymdtiden/eventlog@npm:eventlog'])
  // The original's README app, as an app of the original has it: requiring the package by the
  // name it was installed under.
  const source = fs
    .readFileSync(path.join(ROOT, 'examples', 'readme-app.js'), 'utf8')
    .replace('require("eventlog")', 'require("@rymdtiden/eventlog")')
  assert.match(source, /require\("@rymdtiden\/eventlog"\)/)
  const r = await app.node('readme-app.js', source)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^\d{16} \{"type":"someevent","id":1337,"customstuff":"anything you' like!"\}\n$/)
})

test(
  'without the platform package: require names what is missing and the command, which builds it from source',
  { timeout: scaled(300000) },
  async (t) => {
    const app = newApp()
    await app.npm(['install', '--omit=optional', 'eventlog'])
    assert.equal(fs.existsSync(path.join(app.dir, 'node_modules', PLATFORM_PACKAGE)), false)

    const failed = await app.node('app.js', ADD_AND_CONSUME)
    assert.notEqual(failed.code, 0)
    assert.match(failed.stderr, /ERR_NATIVE_BINDING_NOT_FOUND/)
    assert.ok(
      failed.stderr.includes(`no native binary for this platform, ${process.platform}-${process.arch}`),
      failed.stderr,
    )
    assert.ok(failed.stderr.includes(`the package ${PLATFORM_PACKAGE}`), failed.stderr)
    assert.ok(
      failed.stderr.includes(`Prebuilt binaries exist for ${PKG.napi.targets.map(platformOfTriple).join(', ')}.`),
      failed.stderr,
    )
    assert.ok(failed.stderr.includes('run `npx eventlog-build`'), failed.stderr)

    // A debug build, into the repository's own target directory: its compiled dependencies
    // (from cargo test) are reused, so only the two crates of the package compile.
    const build = await app.npx(['eventlog-build', '--debug'], {
      extraEnv: { CARGO_TARGET_DIR: path.join(ROOT, 'target') },
      timeoutMs: 280000,
    })
    assert.equal(build.code, 0, build.stderr)
    assert.match(build.stdout, /built .*eventlog\.[a-z0-9-]+\.node in \d+ s/)
    t.diagnostic(`npx eventlog-build --debug took ${(build.ms / 1000).toFixed(1)} s`)

    assertAddedAndConsumed(await app.node('app.js', ADD_AND_CONSUME))
  },
)
