#!/usr/bin/env node
'use strict'
// Builds the addon for one target, installing its toolchain first if needed, and puts it at
// the repository's root as eventlog.<platform>.node (where the generated loader looks first).
//
//   node scripts/platforms/build.js <platform|triple> [--debug] [--out DIR]
//
// Release builds by default: the tests of a platform test the binary that ships.

const fs = require('node:fs')
const path = require('node:path')
const { findTarget } = require('./targets')
const { prepareBuild, ROOT, run, say } = require('./toolchain')

const HOST = 'x86_64-unknown-linux-gnu'

/** The file cargo leaves for a cdylib named `eventlog` on `triple`. */
function libraryName(triple) {
  if (triple.includes('windows')) return 'eventlog.dll'
  if (triple.includes('apple')) return 'libeventlog.dylib'
  return 'libeventlog.so'
}

/** Builds `target` (from ./targets); returns the path of the .node file it wrote. */
function build(target, { debug = false, out = ROOT } = {}) {
  const { env, subcommand } = prepareBuild(target)
  // The host's own target builds into target/release, where `npm install` already built it.
  const cross = target.triple !== HOST
  const args = [subcommand, '--lib', '-p', 'eventlog', '--locked']
  if (!debug) args.push('--release')
  if (cross) args.push('--target', target.triple)
  const started = Date.now()
  say(`cargo ${args.join(' ')}`)
  run('cargo', args, { cwd: ROOT, env })
  const profileDir = path.join(ROOT, 'target', ...(cross ? [target.triple] : []), debug ? 'debug' : 'release')
  const node = path.join(out, `eventlog.${target.platform}.node`)
  fs.mkdirSync(out, { recursive: true })
  fs.copyFileSync(path.join(profileDir, libraryName(target.triple)), node)
  say(
    `${path.relative(process.cwd(), node)}: ${(fs.statSync(node).size / 1024).toFixed(0)} KiB, built in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  )
  return node
}

module.exports = { build }

if (require.main === module) {
  const argv = process.argv.slice(2)
  const options = { debug: false, out: ROOT }
  let name = null
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--debug') options.debug = true
    else if (argv[i] === '--out' && argv[i + 1]) options.out = path.resolve(argv[++i])
    else if (!name && !argv[i].startsWith('-')) name = argv[i]
    else {
      process.stderr.write(`build: unknown argument ${argv[i]}\n`)
      process.exit(2)
    }
  }
  if (!name) {
    process.stderr.write('usage: node scripts/platforms/build.js <platform|triple> [--debug] [--out DIR]\n')
    process.exit(2)
  }
  try {
    build(findTarget(name), options)
  } catch (err) {
    process.stderr.write(`build: ${err.message}\n`)
    process.exit(1)
  }
}
