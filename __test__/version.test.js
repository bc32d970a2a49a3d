'use strict'
// npm run version:bump keeps every package of a release at one version. Run on a copy of the
// files it edits, never on the repository.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { ROOT, tmpdir } = require('./helpers')
const { run } = require('./support/commands')

/** A copy of what the bump reads and writes, plus what cargo needs to check the lockfile. */
function copyOfRepo(t) {
  const dir = tmpdir(t)
  for (const entry of [
    'package.json',
    'package-lock.json',
    'Cargo.toml',
    'Cargo.lock',
    'build.rs',
    'src',
    'npm',
    'scripts',
  ]) {
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), {
      recursive: true,
      filter: (src) => !src.endsWith('.node'),
    })
  }
  return dir
}

const bump = (dir, ...args) =>
  run(process.execPath, [path.join(dir, 'scripts', 'version-bump.js'), ...args], { cwd: dir, timeoutMs: 20000 })
const json = (dir, file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))

test('version:bump sets one version in package.json, package-lock.json, npm/*, Cargo.toml and Cargo.lock', async (t) => {
  const dir = copyOfRepo(t)
  const r = await bump(dir, '0.4.0-rc.1')
  assert.equal(r.code, 0, r.stderr)

  assert.equal(json(dir, 'package.json').version, '0.4.0-rc.1')
  const lock = json(dir, 'package-lock.json')
  assert.equal(lock.version, '0.4.0-rc.1')
  assert.equal(lock.packages[''].version, '0.4.0-rc.1')
  const platforms = fs.readdirSync(path.join(dir, 'npm'))
  assert.ok(platforms.length >= 5)
  for (const p of platforms) assert.equal(json(dir, `npm/${p}/package.json`).version, '0.4.0-rc.1', p)

  // Cargo agrees: both crates are at the new version, and the lockfile needs no update.
  const metadata = await run('cargo', ['metadata', '--locked', '--offline', '--format-version', '1'], {
    cwd: dir,
    timeoutMs: 60000,
  })
  assert.equal(metadata.code, 0, metadata.stderr)
  const ours = JSON.parse(metadata.stdout).packages.filter((p) => p.source === null)
  assert.deepEqual(ours.map((p) => [p.name, p.version]).sort(), [
    ['eventlog', '0.4.0-rc.1'],
    ['eventlog-core', '0.4.0-rc.1'],
  ])
  // Nothing else changed: the dependencies' versions in Cargo.toml are untouched.
  const before = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8').split('\n')
  const after = fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8').split('\n')
  assert.deepEqual(
    after.filter((line, i) => line !== before[i]),
    ['version = "0.4.0-rc.1"'],
  )
})

test('version:bump refuses a version that is not semver and changes nothing', async (t) => {
  const dir = copyOfRepo(t)
  const original = fs.readFileSync(path.join(dir, 'package.json'), 'utf8')
  const r = await bump(dir, 'v0.4')
  assert.equal(r.code, 1)
  assert.match(r.stderr, /v0\.4 is not a semver version/)
  assert.equal(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'), original)
})
