'use strict'
// Platform names as napi-rs spells them (`linux-x64-gnu`, `darwin-arm64`, …): the suffix of the
// binary `eventlog.<name>.node` and of the package `eventlog-<name>`. Shared by the loader's
// error (which binary it looked for, which ones are prebuilt), the build from source (where to
// put the binary so the loader finds it) and the release packaging.

const { readFileSync } = require('node:fs')

// Rust's names for CPUs and systems, in Node's words (what `process.arch`/`process.platform` say).
const CPU_TO_ARCH = {
  x86_64: 'x64',
  aarch64: 'arm64',
  i686: 'ia32',
  armv7: 'arm',
  riscv64gc: 'riscv64',
  powerpc64le: 'ppc64',
  loongarch64: 'loong64',
}
const SYS_TO_PLATFORM = { darwin: 'darwin', windows: 'win32' }

/** `aarch64-unknown-linux-gnu` → `linux-arm64-gnu`, `x86_64-apple-darwin` → `darwin-x64`. */
function platformOfTriple(triple) {
  const [cpu, , sys, abi] = triple.split('-')
  const arch = CPU_TO_ARCH[cpu] || cpu
  const platform = SYS_TO_PLATFORM[sys] || sys
  return abi ? `${platform}-${arch}-${abi}` : `${platform}-${arch}`
}

/**
 * Rust's name for the CPU Node calls `arch` (`arm64` → `aarch64`), or null if it has none here.
 */
function rustCpuOf(arch) {
  const cpu = Object.keys(CPU_TO_ARCH).find((c) => CPU_TO_ARCH[c] === arch)
  return cpu || null
}

/** Whether this Linux runs on musl rather than glibc, found out as the generated loader does. */
function isMusl() {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    // No readable ldd: the process report names the glibc this process runs on, if any.
    const report = process.report && process.report.getReport()
    if (!report || (report.header && report.header.glibcVersionRuntime)) return false
    const objects = Array.isArray(report.sharedObjects) ? report.sharedObjects : []
    return objects.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'))
  }
}

/** The C library Linux binaries are built against, or null where it is not part of the name. */
function libc() {
  if (process.platform !== 'linux') return null
  return isMusl() ? 'musl' : 'glibc'
}

/**
 * The name of this machine's binary. On Linux the ABI is the libc; on Windows, MSVC (the one
 * napi-rs builds for plain Node); elsewhere there is none.
 */
function currentPlatform() {
  const base = `${process.platform}-${process.arch}`
  if (process.platform === 'linux') {
    const abi = isMusl() ? 'musl' : 'gnu'
    return `${base}-${process.arch === 'arm' ? `${abi}eabihf` : abi}`
  }
  if (process.platform === 'win32') return `${base}-msvc`
  return base
}

/**
 * The names of the binaries this machine can load, the preferred first. On Windows x64 that is
 * the MSVC build, then the GNU one: official Node is built with MSVC, and an addon built with
 * mingw-w64 loads in it just as well (N-API is a C ABI; the addon links no C++ runtime).
 */
function loadablePlatforms() {
  const first = currentPlatform()
  return first === 'win32-x64-msvc' ? [first, 'win32-x64-gnu'] : [first]
}

/** The platforms this release has prebuilt binaries for, from `napi.targets` in package.json. */
function prebuiltPlatforms(packageJson) {
  return ((packageJson.napi && packageJson.napi.targets) || []).map(platformOfTriple)
}

module.exports = { platformOfTriple, rustCpuOf, currentPlatform, loadablePlatforms, libc, prebuiltPlatforms }
