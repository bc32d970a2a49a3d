'use strict'
// Every target eventlog ships a binary for: how it is built on this machine (a Linux x64 host),
// what toolchain that needs, and where it can be run here. One table, read by the build
// (build.js), the packaging (../package.js), the emulated test runs (test-windows.js,
// test-arm64.js) and the release workflow's own matrix mirrors it.

const { platformOfTriple } = require('../../lib/platform')

/**
 * - `builder`: `cargo` (rustc and a C cross compiler for ring), `zigbuild` (cargo-zigbuild,
 *   with zig as the linker: the macOS SDK stubs and musl come with zig), or `release`
 *   (only the release workflow's native runner builds it).
 * - `apt`: Debian packages the build needs; `linker`: the cross linker cargo is pointed at.
 * - `env`: variables of the build (deployment target, static CRT off for the musl cdylib).
 * - `runsOn`: where the binary's tests run here: `native`, `wine`, `qemu`, or null (nowhere).
 */
const TARGETS = [
  {
    triple: 'x86_64-unknown-linux-gnu',
    builder: 'cargo',
    runsOn: 'native',
  },
  {
    triple: 'aarch64-unknown-linux-gnu',
    builder: 'cargo',
    apt: ['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross', 'libstdc++6-arm64-cross'],
    linker: 'aarch64-linux-gnu-gcc',
    runsOn: 'qemu',
  },
  {
    triple: 'x86_64-pc-windows-gnu',
    builder: 'cargo',
    apt: ['gcc-mingw-w64-x86-64', 'g++-mingw-w64-x86-64'],
    // napi-build wants a libnode.dll to link against on *-windows-gnu; the addon resolves
    // N-API symbols at load time and imports nothing from it (build.js makes an empty one).
    needsLibnodeStub: true,
    runsOn: 'wine',
  },
  {
    triple: 'x86_64-unknown-linux-musl',
    builder: 'zigbuild',
    // A cdylib needs the C runtime linked dynamically: the addon is loaded by a musl node.
    env: { CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS: '-C target-feature=-crt-static' },
    runsOn: null,
  },
  {
    triple: 'x86_64-apple-darwin',
    builder: 'zigbuild',
    // The oldest macOS the binary loads on; without it zig stamps its newest SDK's version.
    env: { MACOSX_DEPLOYMENT_TARGET: '10.15' },
    runsOn: null,
  },
  {
    triple: 'aarch64-apple-darwin',
    builder: 'zigbuild',
    env: { MACOSX_DEPLOYMENT_TARGET: '11.0' },
    runsOn: null,
  },
  {
    triple: 'x86_64-pc-windows-msvc',
    builder: 'release',
    runsOn: null,
  },
].map((t) => ({ apt: [], env: {}, linker: null, needsLibnodeStub: false, ...t, platform: platformOfTriple(t.triple) }))

/** The target of a triple or a platform name (`aarch64-unknown-linux-gnu` or `linux-arm64-gnu`). */
function findTarget(name) {
  const target = TARGETS.find((t) => t.triple === name || t.platform === name)
  if (!target) {
    const names = TARGETS.map((t) => t.platform).join(', ')
    throw new Error(`unknown target ${name}: one of ${names} (or its Rust triple)`)
  }
  return target
}

/** The targets this machine builds (all but those left to the release workflow). */
const BUILT_HERE = TARGETS.filter((t) => t.builder !== 'release')

module.exports = { TARGETS, BUILT_HERE, findTarget }
