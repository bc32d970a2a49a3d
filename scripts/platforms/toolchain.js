'use strict'
// What a cross build or an emulated test run needs, installed on first use so that a fresh
// machine gets there with one command: Debian packages (apt-get, as root), rustup targets,
// zig (the PyPI package `ziglang`, in a virtual environment under .cache/) and cargo-zigbuild
// (`cargo install` into .cache/). Each step checks first and does nothing when it is done.

const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..', '..')
const CACHE = path.join(ROOT, '.cache')
const ZIGLANG_VERSION = '0.17.1'
const ZIGBUILD_VERSION = '0.24.1'

function say(message) {
  process.stderr.write(`toolchain: ${message}\n`)
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options })
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit code ${result.status})`)
}

function isInstalled(pkg) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' })
  return result.status === 0 && result.stdout.includes('install ok installed')
}

let aptUpdated = false

/** Installs the Debian packages of `packages` that are missing (needs root, as apt-get does). */
function aptInstall(packages) {
  const missing = packages.filter((p) => !isInstalled(p))
  if (missing.length === 0) return
  if (process.getuid && process.getuid() !== 0) {
    throw new Error(
      `missing Debian packages ${missing.join(' ')}: run \`sudo apt-get install -y --no-install-recommends ${missing.join(' ')}\``,
    )
  }
  say(`installing ${missing.join(' ')} (apt-get)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  if (!aptUpdated) {
    run('apt-get', ['update', '-qq'], { env })
    aptUpdated = true
  }
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env })
}

/** Adds the rust-std of `triple` to the toolchain if it is not there. */
function rustupTarget(triple) {
  const installed = execFileSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' }).split('\n')
  if (installed.includes(triple)) return
  say(`adding the Rust target ${triple} (rustup)`)
  run('rustup', ['target', 'add', triple])
}

/**
 * The directory to put first on PATH for a zig build: zig from PyPI in a virtual environment
 * (cargo-zigbuild runs `python3 -m ziglang` when no `zig` is on PATH), and cargo-zigbuild.
 */
function zigbuildPath() {
  const venv = path.join(CACHE, `ziglang-${ZIGLANG_VERSION}`)
  const bin = path.join(venv, 'bin')
  if (!fs.existsSync(path.join(bin, 'python3'))) {
    say(`installing zig (PyPI ziglang==${ZIGLANG_VERSION}) into ${path.relative(ROOT, venv)}`)
    fs.mkdirSync(CACHE, { recursive: true })
    const tmp = fs.mkdtempSync(path.join(CACHE, 'ziglang-installing-'))
    try {
      run('python3', ['-m', 'venv', tmp])
      run(path.join(tmp, 'bin', 'pip'), [
        'install',
        '--quiet',
        '--disable-pip-version-check',
        `ziglang==${ZIGLANG_VERSION}`,
      ])
      fs.rmSync(venv, { recursive: true, force: true })
      fs.renameSync(tmp, venv)
      // A venv's scripts name the directory it was made in: make it again where it now lies.
      run('python3', ['-m', 'venv', venv])
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true })
      throw new Error(`could not install zig (Python 3 with venv and pip, and PyPI, are needed): ${err.message}`)
    }
  }
  const zigbuildRoot = path.join(CACHE, `cargo-zigbuild-${ZIGBUILD_VERSION}`)
  if (!fs.existsSync(path.join(zigbuildRoot, 'bin', 'cargo-zigbuild'))) {
    say(`building cargo-zigbuild ${ZIGBUILD_VERSION} (cargo install, about two minutes)`)
    run('cargo', ['install', 'cargo-zigbuild', '--locked', '--version', ZIGBUILD_VERSION, '--root', zigbuildRoot])
  }
  return [path.join(zigbuildRoot, 'bin'), bin].join(path.delimiter)
}

/** The macOS frameworks the addon links (notify's FSEvents, the TLS stack's trust store). */
const MACOS_FRAMEWORKS = ['CoreFoundation', 'CoreServices', 'Security']

/**
 * An SDKROOT holding only text stubs (.tbd) of the frameworks the addon links, with their real
 * install names. Zig has no macOS SDK of its own beyond libSystem, and Apple's may not be
 * copied here; a stub gives the binary its load command for the framework (macOS loads it
 * from /System/Library/Frameworks), and the framework's functions are looked up when the
 * addon loads, as N-API's are in node (the addon links with `-undefined dynamic_lookup`).
 * Release builds on a macOS runner link the real SDK.
 */
function macosSdkStubs() {
  const root = path.join(CACHE, 'macos-sdk-stubs')
  for (const name of MACOS_FRAMEWORKS) {
    const dir = path.join(root, 'System', 'Library', 'Frameworks', `${name}.framework`)
    const file = path.join(dir, `${name}.tbd`)
    if (fs.existsSync(file)) continue
    fs.mkdirSync(dir, { recursive: true })
    const tbd = [
      '--- !tapi-tbd',
      'tbd-version: 4',
      'targets: [ x86_64-macos, arm64-macos ]',
      `install-name: '/System/Library/Frameworks/${name}.framework/Versions/A/${name}'`,
      '...',
      '',
    ].join('\n')
    fs.writeFileSync(file, tbd)
  }
  return root
}

/** A DLL named libnode.dll with nothing in it, which napi-build links *-windows-gnu against. */
function libnodeStub() {
  const dir = path.join(CACHE, 'libnode-stub')
  const dll = path.join(dir, 'libnode.dll')
  if (!fs.existsSync(dll)) {
    fs.mkdirSync(dir, { recursive: true })
    const source = path.join(dir, 'empty.c')
    fs.writeFileSync(source, '/* napi-build links against a libnode.dll; the addon imports nothing from it. */\n')
    run('x86_64-w64-mingw32-gcc', ['-shared', '-o', dll, source])
  }
  return dir
}

/**
 * Everything the build of `target` needs, installed; resolves the environment to build with
 * and the cargo subcommand (`build` or `zigbuild`).
 */
function prepareBuild(target) {
  if (target.builder === 'release') {
    throw new Error(
      `${target.platform} is built by the release workflow on a native runner (.github/workflows/release.yml), not here`,
    )
  }
  aptInstall(target.apt)
  rustupTarget(target.triple)
  const env = { ...process.env, ...target.env }
  const triple = target.triple.toUpperCase().replace(/-/g, '_')
  if (target.linker) env[`CARGO_TARGET_${triple}_LINKER`] = target.linker
  if (target.needsLibnodeStub) env.LIBNODE_PATH = libnodeStub()
  if (target.builder === 'zigbuild') {
    env.PATH = `${zigbuildPath()}${path.delimiter}${process.env.PATH}`
    if (target.triple.includes('apple')) env.SDKROOT = macosSdkStubs()
    return { env, subcommand: 'zigbuild' }
  }
  return { env, subcommand: 'build' }
}

module.exports = { aptInstall, rustupTarget, prepareBuild, CACHE, ROOT, run, say }
