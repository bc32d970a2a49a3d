#!/usr/bin/env node
'use strict'
// npm run package: the release tarballs, the napi-rs way. One package per platform holds that
// platform's binary (npm/<platform>/); the main package holds the JavaScript and the Rust
// sources (for `npx eventlog-build`), lists every platform package as an optional dependency at
// its own version, and has no install script, so `npm install eventlog` works with npm's
// defaults and npm fetches only the binary that fits.
//
// The main package is packed from a staged copy: the repository's package.json keeps `prepare`
// (a clone's `npm install` builds the addon) and its devDependencies; the published one has
// neither, and never a .node of its own.
//
// Every target of scripts/platforms/targets.js that this machine builds is built, its
// toolchain installed on first use (scripts/platforms/toolchain.js); MSVC's Windows binary
// comes from the release workflow (--artifacts). Each binary is checked before it is packed
// (scripts/platforms/inspect.js): the right format and CPU, a macOS one that loads on macOS 11,
// a Windows one that imports no node DLL.
//
//   node scripts/package.js [--no-build] [--only PLATFORM,…] [--artifacts DIR] [--out DIR]
//
//   --no-build       package the binaries already built (e.g. by a CI matrix), build none here
//   --only P,…       build only these platforms (e.g. linux-x64-gnu,win32-x64-gnu)
//   --artifacts DIR  also take eventlog.<platform>.node files found anywhere under DIR
//   --out DIR        where the tarballs go (default: dist/)

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { platformOfTriple } = require('../lib/platform')
const { BUILT_HERE } = require('./platforms/targets')
const { build } = require('./platforms/build')
const { inspectBinary, problems } = require('./platforms/inspect')

const ROOT = path.join(__dirname, '..')

function fail(message) {
  process.stderr.write(`package: ${message}\n`)
  process.exit(1)
}

function parseArgs(argv) {
  const options = { build: true, only: null, artifacts: null, out: path.join(ROOT, 'dist') }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--no-build') options.build = false
    else if (arg === '--only' && argv[i + 1]) options.only = argv[++i].split(',')
    else if (arg === '--artifacts' && argv[i + 1]) options.artifacts = path.resolve(argv[++i])
    else if (arg === '--out' && argv[i + 1]) options.out = path.resolve(argv[++i])
    else
      fail(
        `unknown argument ${arg}; usage: node scripts/package.js [--no-build] [--only PLATFORM,…] [--artifacts DIR] [--out DIR]`,
      )
  }
  return options
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', ...options })
  if (result.error) fail(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (result.status !== 0)
    fail(`${command} ${args.join(' ')} failed (exit code ${result.status})\n${result.stderr || ''}`)
  return result.stdout
}

/** Every file under `dir` named `name` (the layout of downloaded CI artifacts varies). */
function findFiles(dir, name) {
  return fs
    .readdirSync(dir, { recursive: true })
    .filter((f) => path.basename(f) === name)
    .map((f) => path.join(dir, f))
}

/** The platform packages of napi.targets, each checked against npm/<platform>/package.json. */
function platformPackages(pkg) {
  return pkg.napi.targets.map((triple) => {
    const platform = platformOfTriple(triple)
    const dir = path.join(ROOT, 'npm', platform)
    const manifestPath = path.join(dir, 'package.json')
    if (!fs.existsSync(manifestPath))
      fail(`${triple} is in napi.targets but ${manifestPath} is missing (npx napi create-npm-dirs)`)
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'))
    const binary = `${pkg.napi.binaryName}.${platform}.node`
    if (manifest.name !== `${pkg.napi.binaryName}-${platform}`) fail(`${manifestPath} names ${manifest.name}`)
    if (manifest.version !== pkg.version)
      fail(
        `${manifestPath} is at ${manifest.version}, package.json at ${pkg.version}: run npm run version:bump -- ${pkg.version}`,
      )
    return { triple, platform, dir, name: manifest.name, binary }
  })
}

/**
 * How to run npm: the npm running this script (`npm run package` sets npm_execpath), else, on
 * Windows, the one installed beside node (npm.cmd cannot be spawned without a shell), else the
 * one on the PATH.
 */
function npmCommand() {
  const cli = process.env.npm_execpath
  if (cli && /npm-cli\.js$/.test(cli)) return [process.execPath, [cli]]
  if (process.platform === 'win32')
    return [process.execPath, [path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'bin', 'npm-cli.js')]]
  return ['npm', []]
}

/** Packs `dir` into `out`; returns npm's record of the tarball (filename, size, files). */
function pack(dir, out) {
  const [npm, prefix] = npmCommand()
  const [record] = JSON.parse(
    run(npm, [...prefix, 'pack', dir, '--pack-destination', out, '--json', '--ignore-scripts']),
  )
  return record
}

/** A copy of the main package as it is published, in `stage`. */
function stageMain(pkg, platforms, built, stage) {
  fs.rmSync(stage, { recursive: true, force: true })
  fs.mkdirSync(stage, { recursive: true })
  for (const entry of pkg.files) {
    // A .node left in the tree by a developer build must never ship in the main package.
    fs.cpSync(path.join(ROOT, entry), path.join(stage, entry), {
      recursive: true,
      filter: (src) => !src.endsWith('.node'),
    })
  }
  const published = { ...pkg }
  delete published.scripts
  delete published.devDependencies
  published.optionalDependencies = Object.fromEntries(platforms.map((p) => [p.name, pkg.version]))
  // Both Windows x64 binaries fit the same machines, so npm would install both; the loader
  // takes the MSVC one (official Node is built with MSVC) and falls back to the GNU one. A
  // release with an MSVC binary depends on it alone.
  if (built.some((p) => p.platform === 'win32-x64-msvc'))
    delete published.optionalDependencies[`${pkg.napi.binaryName}-win32-x64-gnu`]
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(published, null, 2) + '\n')
}

function main() {
  const options = parseArgs(process.argv.slice(2))
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const cargoVersion = /\[workspace\.package\][^[]*?\nversion = "([^"]+)"/.exec(
    fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8'),
  )
  if (!cargoVersion || cargoVersion[1] !== pkg.version)
    fail(`Cargo.toml's workspace version is not ${pkg.version}: run npm run version:bump -- ${pkg.version}`)
  const platforms = platformPackages(pkg)

  // Only binaries of this run are packed: stale ones from an earlier build go first.
  for (const p of platforms) fs.rmSync(path.join(p.dir, p.binary), { force: true })
  if (options.build) {
    const wanted = (p) => !options.only || options.only.includes(p)
    // This machine's own binary through napi, which also writes the loader (native.js).
    run(
      path.join(ROOT, 'node_modules', '.bin', 'napi'),
      ['build', '--platform', '--release', '--js', 'native.js', '--dts', 'native.d.ts'],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    )
    for (const target of BUILT_HERE) {
      if (target.runsOn === 'native' || !wanted(target.platform)) continue
      try {
        build(target)
      } catch (err) {
        fail(`building ${target.platform}: ${err.message}`)
      }
    }
  }
  // The generated loader checks the platform package's version against the one it was made
  // for; a native.js from before a version bump would report the wrong one.
  if (!fs.readFileSync(path.join(ROOT, 'native.js'), 'utf8').includes(`!== '${pkg.version}'`)) {
    fail(`native.js was generated for another version than ${pkg.version}: run npm run build`)
  }

  // What `napi artifacts` does: each binary into its platform package.
  const built = platforms.filter((p) => {
    const sources = [path.join(ROOT, p.binary)].filter((f) => fs.existsSync(f))
    if (options.artifacts) sources.push(...findFiles(options.artifacts, p.binary))
    if (sources.length === 0) return false
    const wrong = problems(p.platform, inspectBinary(fs.readFileSync(sources[0])))
    if (wrong.length > 0) fail(`${sources[0]} ${wrong.join('; ')}`)
    fs.copyFileSync(sources[0], path.join(p.dir, p.binary))
    p.binarySize = fs.statSync(sources[0]).size
    return true
  })
  if (built.length === 0) fail(`no binary to package: build one (npm run build), or pass --artifacts DIR`)

  fs.mkdirSync(options.out, { recursive: true })
  for (const f of fs.readdirSync(options.out)) if (/^eventlog-.*\.tgz$/.test(f)) fs.rmSync(path.join(options.out, f))
  const tarballs = built.map((p) => pack(p.dir, options.out))

  const stage = path.join(options.out, '.stage', pkg.name)
  stageMain(pkg, platforms, built, stage)
  const main = pack(stage, options.out)
  fs.rmSync(path.join(options.out, '.stage'), { recursive: true, force: true })
  const shipped = main.files.map((f) => f.path)
  const binaries = shipped.filter((f) => f.endsWith('.node'))
  if (binaries.length > 0) fail(`the main package would ship ${binaries.join(', ')}`)
  tarballs.push(main)

  const missing = platforms.filter((p) => !built.includes(p)).map((p) => p.platform)
  const binarySizes = Object.fromEntries(built.map((p) => [p.name, p.binarySize]))
  for (const t of tarballs) {
    const binary = binarySizes[t.name] ? `, binary ${(binarySizes[t.name] / 1024 / 1024).toFixed(1)} MiB` : ''
    process.stdout.write(
      `${path.join(path.relative(process.cwd(), options.out) || '.', t.filename)}  ${(t.size / 1024).toFixed(1)} kB (${t.entryCount} files${binary})\n`,
    )
  }
  if (missing.length > 0) process.stdout.write(`not built here (no binary): ${missing.join(', ')}\n`)
}

main()
