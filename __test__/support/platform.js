'use strict'
// Where this test run runs, for the few tests that depend on it. The emulated runs
// (scripts/platforms/test-windows.js under Wine, test-arm64.js under qemu) set the variables;
// a plain `npm test` leaves them unset.
//
// NOT_APPLICABLE is the one list of tests that cannot apply on a platform, each with its
// reason. Everything not listed runs everywhere.

/** 'wine', 'qemu', or null when the suite runs natively. */
const EMULATOR = process.env.EVENTLOG_TEST_EMULATOR || null

/** How much slower than native this run is: deadlines that guard against hangs scale by it. */
const TIME_SCALE = Number(process.env.EVENTLOG_TEST_TIME_SCALE) || 1

/** `ms` scaled for this run's speed (bounded waits stay bounded, only longer). */
function scaled(ms) {
  return Math.ceil(ms * TIME_SCALE)
}

/**
 * `{ file, test, platforms, reason }`: `file` a test file's name in __test__/, `test` the
 * test's full name, `platforms` the values of process.platform (or emulators) it cannot run on.
 */
const NOT_APPLICABLE = []

module.exports = { EMULATOR, TIME_SCALE, scaled, NOT_APPLICABLE }
