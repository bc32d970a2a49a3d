'use strict'
// What the packaging checks in each binary before it ships (scripts/platforms/inspect.js):
// read from this machine's own binary and from Mach-O and PE images made here, so that a
// macOS build for too new a macOS, or a Windows build importing node, is caught. The real
// binaries of every target are checked by `npm run test:dist` (__test__/dist.check.js).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { inspectBinary, problems, machoVersion } = require('../scripts/platforms/inspect')
const { currentPlatform, loadablePlatforms } = require('../lib/platform')

/** A 64-bit Mach-O dylib with the given load commands (`[cmd, payload]`). */
function machO(cpu, commands) {
  const bodies = commands.map(([cmd, payload]) => {
    const size = 8 + payload.length + ((8 - ((8 + payload.length) % 8)) % 8)
    const b = Buffer.alloc(size)
    b.writeUInt32LE(cmd, 0)
    b.writeUInt32LE(size, 4)
    payload.copy(b, 8)
    return b
  })
  const header = Buffer.alloc(32)
  header.writeUInt32LE(0xfeedfacf, 0)
  header.writeUInt32LE(cpu, 4)
  header.writeUInt32LE(6, 12) // MH_DYLIB
  header.writeUInt32LE(bodies.length, 16)
  header.writeUInt32LE(
    bodies.reduce((n, b) => n + b.length, 0),
    20,
  )
  return Buffer.concat([header, ...bodies])
}

/** LC_BUILD_VERSION for macOS with `minos` packed as Mach-O packs it (xxxx.yy.zz). */
function buildVersion(major, minor) {
  const p = Buffer.alloc(16)
  p.writeUInt32LE(1, 0) // PLATFORM_MACOS
  p.writeUInt32LE((major << 16) | (minor << 8), 4)
  p.writeUInt32LE((15 << 16) | (0 << 8), 8) // sdk
  return [0x32, p]
}

/** LC_LOAD_DYLIB of `name`. */
function loadDylib(name) {
  const p = Buffer.alloc(16 + name.length + 1)
  p.writeUInt32LE(24, 0) // the name's offset from the command's start
  p.write(name, 16, 'latin1')
  return [0xc, p]
}

test("this machine's binary: its format, CPU and C library as the packaging reads them", () => {
  // The binary this suite tests (on Windows x64 it may be the GNU build).
  const platform =
    loadablePlatforms().find((p) => fs.existsSync(path.join(__dirname, '..', `eventlog.${p}.node`))) ||
    currentPlatform()
  const info = inspectBinary(fs.readFileSync(path.join(__dirname, '..', `eventlog.${platform}.node`)))
  assert.equal(info.format, { linux: 'elf', darwin: 'macho', win32: 'pe' }[process.platform])
  assert.equal(info.cpu, process.arch)
  assert.deepEqual(problems(platform, info), [])
  // The same bytes are not a binary of another platform.
  assert.ok(problems('darwin-arm64', info).length > 0)
})

test('a macOS binary must load on macOS 11: its LC_BUILD_VERSION is read and checked', () => {
  const ok = inspectBinary(machO(0x0100000c, [buildVersion(11, 0), loadDylib('/usr/lib/libSystem.B.dylib')]))
  assert.deepEqual(ok, { format: 'macho', cpu: 'arm64', libraries: ['/usr/lib/libSystem.B.dylib'], minos: '11.0' })
  assert.deepEqual(problems('darwin-arm64', ok), [])
  const x64 = inspectBinary(machO(0x01000007, [buildVersion(10, 15), loadDylib('/usr/lib/libSystem.B.dylib')]))
  assert.deepEqual(problems('darwin-x64', x64), [])

  const tooNew = inspectBinary(machO(0x0100000c, [buildVersion(15, 0), loadDylib('/usr/lib/libSystem.B.dylib')]))
  assert.match(problems('darwin-arm64', tooNew).join(), /needs macOS 15\.0; it must load on 11\.0/)
  const unstamped = inspectBinary(machO(0x0100000c, [loadDylib('/usr/lib/libSystem.B.dylib')]))
  assert.match(problems('darwin-arm64', unstamped).join(), /no minimum macOS version/)
  const foreign = inspectBinary(machO(0x0100000c, [buildVersion(11, 0), loadDylib('/opt/homebrew/lib/libzstd.dylib')]))
  assert.match(problems('darwin-arm64', foreign).join(), /libzstd/)
  assert.match(problems('darwin-x64', ok).join(), /built for arm64, not x64/)
  assert.equal(machoVersion((10 << 16) | (15 << 8) | 1), '10.15.1')
})

/** A PE32+ DLL for x64 with one section holding an import directory of `dlls`. */
function pe(dlls) {
  const buf = Buffer.alloc(0x400 + 0x200)
  buf.writeUInt16LE(0x5a4d, 0)
  buf.writeUInt32LE(0x80, 0x3c)
  buf.writeUInt32LE(0x4550, 0x80)
  buf.writeUInt16LE(0x8664, 0x84)
  buf.writeUInt16LE(1, 0x86) // one section
  buf.writeUInt16LE(240, 0x94) // size of the optional header
  const optional = 0x98
  buf.writeUInt16LE(0x20b, optional)
  const section = optional + 240
  buf.writeUInt32LE(0x200, section + 8) // virtual size
  buf.writeUInt32LE(0x1000, section + 12) // virtual address
  buf.writeUInt32LE(0x200, section + 16) // size of raw data
  buf.writeUInt32LE(0x400, section + 20) // pointer to raw data
  buf.writeUInt32LE(0x1000, optional + 112 + 8) // import directory RVA
  let names = 0x1000 + 20 * (dlls.length + 1)
  dlls.forEach((dll, i) => {
    buf.writeUInt32LE(names, 0x400 + i * 20 + 12)
    buf.write(dll, names - 0x1000 + 0x400, 'latin1')
    names += dll.length + 1
  })
  return buf
}

test('a Windows binary must import no node DLL: N-API is found in the loading process', () => {
  const ok = inspectBinary(pe(['KERNEL32.dll', 'bcrypt.dll']))
  assert.deepEqual(ok, { format: 'pe', cpu: 'x64', libraries: ['kernel32.dll', 'bcrypt.dll'] })
  assert.deepEqual(problems('win32-x64-gnu', ok), [])
  assert.match(
    problems('win32-x64-gnu', inspectBinary(pe(['KERNEL32.dll', 'libnode.dll']))).join(),
    /imports libnode\.dll/,
  )
  assert.match(problems('win32-x64-msvc', inspectBinary(pe(['node.exe']))).join(), /imports node\.exe/)
})

test('what is not a binary is refused', () => {
  assert.throws(() => inspectBinary(Buffer.from('#!/bin/sh\necho hello\n')), /not an ELF, 64-bit Mach-O or PE file/)
})
