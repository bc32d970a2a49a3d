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
 * test's full name (a top-level test), or for the core's cargo tests `file` its source under
 * src/core/ and `test` the test's path (`sys::tests::…`); `platforms` the values of
 * process.platform (or emulators) it cannot run on. The emulated runs leave them out through node --test's name
 * pattern (scripts/platforms/test-windows.js), so the test files carry no platform checks.
 */
const NOT_APPLICABLE = [
  {
    file: 'faults.test.js',
    test: 'a file size limit (ulimit -f) fails writes cleanly: every promise settles, no partial line',
    platforms: ['win32'],
    reason: 'Windows has no per-process file size limit (ulimit -f, SIGXFSZ, EFBIG) and no bash to set one',
  },
  {
    file: 'cli.test.js',
    test: 'tail prints the history, then follows an event added by another process; SIGINT exits 0',
    platforms: ['win32'],
    reason:
      "no SIGINT can be sent to a process on Windows: child.kill('SIGINT') is TerminateProcess (Ctrl+C comes only from a console)",
  },
  {
    file: 'faults.test.js',
    test: 'a logfile deleted under a running reader gives a clear error, not a hang',
    platforms: ['wine'],
    reason:
      "Wine keeps a deleted file's name until its last handle closes and reports no DeletePending on the reader's handle, so nothing tells the reader (Windows removes the name, or reports DeletePending, which sys/windows.rs checks)",
  },
  {
    file: 'version.test.js',
    test: 'version:bump sets one version in package.json, package-lock.json, npm/*, Cargo.toml and Cargo.lock',
    platforms: ['wine'],
    reason:
      'checks the lockfile with cargo, and under Wine there is no Windows Rust toolchain (node.exe cannot run the Linux cargo)',
  },
  {
    file: 'install.test.js',
    test: 'without the platform package: require names what is missing and the command, which builds it from source',
    platforms: ['wine'],
    reason:
      'builds from source with cargo, and under Wine there is no Windows Rust toolchain (node.exe cannot run the Linux cargo)',
  },
  {
    file: 'archive.test.js',
    test: 'the server killed mid-upload: nothing is lost or deleted, and the next pass after its return completes',
    platforms: ['wine'],
    reason:
      "the test kills the server when fs.watch shows the upload's state file, and under Wine fs.watch never reports it (the upload itself runs, is verified and pruned); resuming an upload cut off mid-way is tested by the next test, which runs",
  },
  {
    file: 'src/core/sys/mod.rs',
    test: 'sys::tests::a_rename_replaces_a_file_another_handle_holds_open',
    platforms: ['wine'],
    reason:
      "Wine refuses to rename over a file another handle holds open (access denied) even when it was opened sharing delete access, as Windows 10's POSIX rename semantics allow; what a refusal costs (an index or record written again later) is retried by sys::rename_over",
  },
  ...[
    'npx eventlog runs the installed CLI: help, and stat of a log the app wrote',
    'npx eventlog-build --help runs the installed bin',
  ].map((test) => ({
    file: 'install.test.js',
    test,
    platforms: ['wine'],
    reason:
      "npx runs a package's bin through its .cmd shim in cmd.exe, and under Wine what that prints reaches npx empty (exit code 0); the install itself, require() of the installed package and its app run there",
  })),
  ...['the workflows pass actionlint', 'actionlint reports the mistakes of a broken workflow'].map((test) => ({
    file: 'workflow.test.js',
    test,
    platforms: ['wine'],
    reason:
      'actionlint is installed from PyPI into a Python virtual environment, and under Wine there is no Windows Python (node.exe cannot run the Linux one); the workflow file is the same everywhere',
  })),
  ...[
    'several archived days read by DuckDB: counts by event.type and one day match the log, by the glob and by the whole prefix',
    "the README's DuckDB snippets run as written over the archive its tour leaves, printing what it shows",
  ].map((test) => ({
    file: 'lake.test.js',
    test,
    platforms: ['wine'],
    reason:
      'DuckDB is installed from PyPI into a Python virtual environment, and under Wine there is no Windows Python (node.exe cannot run the Linux one); the archived objects it reads are the same bytes everywhere, and the Windows build uploads them in archive.test.js',
  })),
]

module.exports = { EMULATOR, TIME_SCALE, scaled, NOT_APPLICABLE }
