'use strict'
// The core's own `cargo test`s, built for another target and run by an emulator: the Rust
// half of `npm run test:windows` (Wine) and `npm run test:arm64` (qemu-user). They exercise
// what the JS suite reaches only through the addon, above all the Windows twins in
// src/core/sys/ (locks, positional I/O, truncation, renames).

const { spawnSync } = require('node:child_process')
const { prepareBuild, ROOT, say } = require('./toolchain')

/**
 * Runs `cargo test -p eventlog-core` for `target` with `runner` (the emulator's command line,
 * as cargo's CARGO_TARGET_<TRIPLE>_RUNNER takes it) and `env` added, leaving out the tests
 * named in `skip`; returns its exit code.
 */
function cargoTestUnder(target, runner, env = {}, skip = []) {
  const prepared = prepareBuild(target)
  const triple = target.triple.toUpperCase().replace(/-/g, '_')
  const args = ['test', '-p', 'eventlog-core', '--locked', '--target', target.triple]
  // The tests listed as not applicable there (__test__/support/platform.js), by exact name.
  if (skip.length > 0) args.push('--', '--exact', ...skip.flatMap((name) => ['--skip', name]))
  say(`cargo ${args.join(' ')} (under ${runner})`)
  const started = Date.now()
  const result = spawnSync('cargo', args, {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...prepared.env, ...env, [`CARGO_TARGET_${triple}_RUNNER`]: runner },
  })
  say(`the core's tests for ${target.platform} took ${((Date.now() - started) / 1000).toFixed(0)} s`)
  if (result.error) throw result.error
  return result.status ?? 1
}

module.exports = { cargoTestUnder }
