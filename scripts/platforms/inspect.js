'use strict'
// Reads what a built binary says about itself, for the binaries this machine cannot run: the
// format and CPU, the libraries it links, and on macOS the oldest system it loads on. The
// packaging checks every binary with it before packing, so a macOS build that only loads on
// the newest macOS, or a Windows build that imports the libnode.dll stub it was linked
// against, never ships.
//
// Only the few fields needed are parsed, from the formats' published layouts (ELF64, Mach-O
// 64-bit, PE32+), little-endian as every target here is.

const ELF_MACHINES = { 0x3e: 'x64', 0xb7: 'arm64' }
const MACHO_CPUS = { 0x01000007: 'x64', 0x0100000c: 'arm64' }
const PE_MACHINES = { 0x8664: 'x64', 0xaa64: 'arm64' }

/** A NUL-terminated string at `offset`. */
function cString(buf, offset) {
  const end = buf.indexOf(0, offset)
  return buf.toString('latin1', offset, end < 0 ? buf.length : end)
}

/** Mach-O's packed version (xxxx.yy.zz in nibbles) as "11.0" or "10.15.1". */
function machoVersion(v) {
  const parts = [v >>> 16, (v >>> 8) & 0xff, v & 0xff]
  if (parts[2] === 0) parts.pop()
  return parts.join('.')
}

function inspectElf(buf) {
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('not a 64-bit little-endian ELF file')
  const cpu = ELF_MACHINES[buf.readUInt16LE(18)] || `machine 0x${buf.readUInt16LE(18).toString(16)}`
  const phoff = Number(buf.readBigUInt64LE(32))
  const phentsize = buf.readUInt16LE(54)
  const phnum = buf.readUInt16LE(56)
  const loads = []
  let dynamic = null
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize
    const type = buf.readUInt32LE(at)
    const segment = {
      offset: Number(buf.readBigUInt64LE(at + 8)),
      vaddr: Number(buf.readBigUInt64LE(at + 16)),
      size: Number(buf.readBigUInt64LE(at + 32)),
    }
    if (type === 1) loads.push(segment)
    if (type === 2) dynamic = segment
  }
  // The dynamic section names libraries by offsets into the string table, which it gives as
  // a virtual address: map it to the file through the loadable segments.
  const fileOffset = (vaddr) => {
    const seg = loads.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.size)
    return seg ? vaddr - seg.vaddr + seg.offset : null
  }
  const needed = []
  if (dynamic) {
    let strtab = null
    const entries = []
    for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.size; at += 16) {
      const tag = Number(buf.readBigInt64LE(at))
      const value = Number(buf.readBigUInt64LE(at + 8))
      if (tag === 0) break
      if (tag === 5) strtab = fileOffset(value)
      entries.push([tag, value])
    }
    for (const [tag, value] of entries) if (tag === 1 && strtab !== null) needed.push(cString(buf, strtab + value))
  }
  return { format: 'elf', cpu, libraries: needed }
}

function inspectMachO(buf) {
  const cpu = MACHO_CPUS[buf.readUInt32LE(4)] || `cputype 0x${buf.readUInt32LE(4).toString(16)}`
  const ncmds = buf.readUInt32LE(16)
  const libraries = []
  let minos = null
  let at = 32
  for (let i = 0; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(at) & 0x7fffffff // LC_REQ_DYLD may be set on load commands
    const size = buf.readUInt32LE(at + 4)
    if (cmd === 0x32) minos = machoVersion(buf.readUInt32LE(at + 12)) // LC_BUILD_VERSION
    if (cmd === 0x24) minos = machoVersion(buf.readUInt32LE(at + 8)) // LC_VERSION_MIN_MACOSX
    // LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB
    if (cmd === 0xc || cmd === 0x18 || cmd === 0x1f) libraries.push(cString(buf, at + buf.readUInt32LE(at + 8)))
    at += size
  }
  return { format: 'macho', cpu, libraries, minos }
}

function inspectPe(buf) {
  const pe = buf.readUInt32LE(0x3c)
  if (buf.readUInt32LE(pe) !== 0x4550) throw new Error('no PE signature')
  const cpu = PE_MACHINES[buf.readUInt16LE(pe + 4)] || `machine 0x${buf.readUInt16LE(pe + 4).toString(16)}`
  const sections = buf.readUInt16LE(pe + 6)
  const optionalSize = buf.readUInt16LE(pe + 20)
  const optional = pe + 24
  if (buf.readUInt16LE(optional) !== 0x20b) throw new Error('not a PE32+ (64-bit) image')
  const sectionTable = optional + optionalSize
  const rvaToOffset = (rva) => {
    for (let i = 0; i < sections; i++) {
      const s = sectionTable + i * 40
      const vaddr = buf.readUInt32LE(s + 12)
      const vsize = Math.max(buf.readUInt32LE(s + 8), buf.readUInt32LE(s + 16))
      if (rva >= vaddr && rva < vaddr + vsize) return rva - vaddr + buf.readUInt32LE(s + 20)
    }
    return null
  }
  // The import directory (data directory 1) lists one 20-byte descriptor per DLL.
  const importRva = buf.readUInt32LE(optional + 112 + 8)
  const libraries = []
  let at = importRva ? rvaToOffset(importRva) : null
  while (at !== null && buf.readUInt32LE(at + 12) !== 0) {
    libraries.push(cString(buf, rvaToOffset(buf.readUInt32LE(at + 12))))
    at += 20
  }
  return { format: 'pe', cpu, libraries: [...new Set(libraries.map((l) => l.toLowerCase()))] }
}

/** `{ format: 'elf'|'macho'|'pe', cpu: 'x64'|'arm64', libraries, minos? }` of a binary's bytes. */
function inspectBinary(buf) {
  if (buf.length >= 64 && buf.readUInt32BE(0) === 0x7f454c46) return inspectElf(buf)
  if (buf.length >= 32 && buf.readUInt32LE(0) === 0xfeedfacf) return inspectMachO(buf)
  if (buf.length >= 64 && buf.readUInt16LE(0) === 0x5a4d) return inspectPe(buf)
  throw new Error('not an ELF, 64-bit Mach-O or PE file')
}

/** Compares dotted versions: negative, zero or positive as `a` is older, the same or newer. */
function compareVersions(a, b) {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] || 0) - (y[i] || 0)
    if (d !== 0) return d
  }
  return 0
}

/** The oldest macOS every shipped macOS binary must load on. */
const OLDEST_MACOS = '11.0'

/**
 * What is wrong with the binary of `platform` (e.g. `darwin-arm64`), as a list of sentences
 * (empty when nothing is): the wrong format or CPU, a macOS binary for too new a macOS, a
 * library that the target's systems do not have.
 */
function problems(platform, info) {
  const [os, cpu, abi] = platform.split('-')
  const found = []
  const format = { linux: 'elf', darwin: 'macho', win32: 'pe' }[os]
  if (info.format !== format) found.push(`is ${info.format}, not ${format}`)
  if (info.cpu !== cpu) found.push(`is built for ${info.cpu}, not ${cpu}`)
  if (os === 'darwin') {
    if (!info.minos) found.push('names no minimum macOS version')
    else if (compareVersions(info.minos, OLDEST_MACOS) > 0)
      found.push(`needs macOS ${info.minos}; it must load on ${OLDEST_MACOS} (set MACOSX_DEPLOYMENT_TARGET)`)
    const foreign = info.libraries.filter((l) => !l.startsWith('/usr/lib/') && !l.startsWith('/System/Library/'))
    if (foreign.length) found.push(`links libraries macOS does not have: ${foreign.join(', ')}`)
  }
  if (os === 'win32') {
    // The addon finds N-API in the process that loads it; an import of node or libnode would
    // make Windows look for a DLL that no Node install has.
    const node = info.libraries.filter((l) => /^(lib)?node(\.exe|\.dll)$/.test(l))
    if (node.length) found.push(`imports ${node.join(', ')}; N-API must be resolved at load time`)
  }
  if (os === 'linux') {
    const glibc = info.libraries.includes('libc.so.6')
    if (abi === 'gnu' && !glibc) found.push(`does not link glibc (libc.so.6): ${info.libraries.join(', ')}`)
    if (abi === 'musl' && glibc) found.push('links glibc (libc.so.6), which musl systems do not have')
  }
  return found
}

module.exports = { inspectBinary, problems, compareVersions, machoVersion, OLDEST_MACOS }

if (require.main === module) {
  // node scripts/platforms/inspect.js FILE…: what each binary says about itself.
  const fs = require('node:fs')
  for (const file of process.argv.slice(2))
    process.stdout.write(`${file}: ${JSON.stringify(inspectBinary(fs.readFileSync(file)))}\n`)
}
