'use strict'
// `npm run test:dist`, after `npm run package`: the tarballs in dist/ are what the release
// publishes. One per target built here, each with its binary checked as the target's systems
// would load it (format, CPU, libraries; a macOS binary that loads on macOS 11), its manifest
// saying where npm may install it, and the main package depending on each. Not part of
// `npm test`: building every target takes minutes (.ci/run runs it).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { BUILT_HERE } = require('../scripts/platforms/targets')
const { inspectBinary, problems, OLDEST_MACOS, compareVersions } = require('../scripts/platforms/inspect')
const { aptInstall } = require('../scripts/platforms/toolchain')

const ROOT = path.join(__dirname, '..')
const DIST = path.join(ROOT, 'dist')
const pkg = require('../package.json')

/** The files of a tarball, extracted into a temporary directory removed after the test. */
function unpack(t, tarball) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-dist-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  execFileSync('tar', ['-xzf', tarball, '-C', dir])
  return path.join(dir, 'package')
}

for (const target of BUILT_HERE) {
  const name = `${pkg.napi.binaryName}-${target.platform}`
  test(`dist holds ${name}: its binary loads where it is meant to, its manifest says where that is`, (t) => {
    const tarball = path.join(DIST, `${name}-${pkg.version}.tgz`)
    assert.ok(fs.existsSync(tarball), `${tarball} is missing: run npm run package`)
    const dir = unpack(t, tarball)
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
    const [platform, arch, abi] = target.platform.split('-')
    assert.equal(manifest.name, name)
    assert.equal(manifest.version, pkg.version)
    assert.deepEqual(manifest.os, [platform])
    assert.deepEqual(manifest.cpu, [arch])
    if (platform === 'linux') assert.deepEqual(manifest.libc, [abi === 'musl' ? 'musl' : 'glibc'])
    const binary = path.join(dir, manifest.main)
    assert.equal(path.basename(binary), `eventlog.${target.platform}.node`)
    const info = inspectBinary(fs.readFileSync(binary))
    assert.deepEqual(problems(target.platform, info), [])
    if (platform === 'darwin') {
      // The Mach-O load commands: LC_BUILD_VERSION's minos, and only the system's libraries.
      assert.ok(compareVersions(info.minos, OLDEST_MACOS) <= 0, `minos ${info.minos}`)
      assert.ok(info.libraries.includes('/usr/lib/libSystem.B.dylib'), info.libraries.join())
    }
    t.diagnostic(
      `${path.basename(tarball)}: ${(fs.statSync(tarball).size / 1024).toFixed(0)} kB, binary ${(fs.statSync(binary).size / 1048576).toFixed(1)} MiB, ${info.format}/${info.cpu}${info.minos ? `, macOS ≥ ${info.minos}` : ''}`,
    )
  })
}

/**
 * Loads `binary` with musl's dynamic loader, from a C program built with musl-gcc (Debian's
 * musl-tools, installed on first use): no Node for musl runs here, but the loader resolves the
 * binary's libraries and finds N-API's entry point, as a musl node's dlopen would.
 */
function loadWithMusl(t, binary) {
  aptInstall(['musl-tools'])
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlog-musl-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const source = path.join(dir, 'load.c')
  fs.writeFileSync(
    source,
    `#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
  void *lib = dlopen(argv[1], RTLD_LAZY);
  if (!lib) { fprintf(stderr, "%s\\n", dlerror()); return 1; }
  if (!dlsym(lib, "napi_register_module_v1")) { fprintf(stderr, "%s\\n", dlerror()); return 2; }
  return 0;
}
`,
  )
  const loader = path.join(dir, 'load')
  execFileSync('musl-gcc', ['-o', loader, source])
  return spawnSync(loader, [binary], { encoding: 'utf8', timeout: 30000 })
}

test("the musl binary loads with musl's dynamic loader, and the glibc one does not", (t) => {
  const musl = path.join(
    unpack(t, path.join(DIST, `${pkg.napi.binaryName}-linux-x64-musl-${pkg.version}.tgz`)),
    'eventlog.linux-x64-musl.node',
  )
  const loaded = loadWithMusl(t, musl)
  assert.equal(loaded.status, 0, loaded.stderr)
  const gnu = path.join(
    unpack(t, path.join(DIST, `${pkg.napi.binaryName}-linux-x64-gnu-${pkg.version}.tgz`)),
    'eventlog.linux-x64-gnu.node',
  )
  const refused = loadWithMusl(t, gnu)
  assert.equal(refused.status, 1)
  assert.match(refused.stderr, /Error loading shared library/)
})

test('dist holds the main package: no binary in it, every platform package an optional dependency', (t) => {
  const dir = unpack(t, path.join(DIST, `${pkg.name}-${pkg.version}.tgz`))
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  for (const target of BUILT_HERE)
    assert.equal(
      manifest.optionalDependencies[`${pkg.napi.binaryName}-${target.platform}`],
      pkg.version,
      target.platform,
    )
  assert.equal(manifest.scripts, undefined)
  const files = fs.readdirSync(dir, { recursive: true })
  assert.deepEqual(
    files.filter((f) => f.endsWith('.node')),
    [],
  )
})
