'use strict'
// The real components some tests need, installed on first use into .cache/ (gitignored),
// so that `npm test` works on a machine where CI never ran: moto, the S3-compatible
// server, in a Python virtual environment. An install goes to a temporary directory that is
// renamed into place when complete, so concurrent test files never see half an install.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..', '..')
const CACHE = path.join(ROOT, '.cache')
const MOTO_SPEC = ['moto[s3]==5.2.5', 'flask', 'flask-cors']

/** The Python of a virtual environment with moto, installing it if needed. */
function motoPython() {
  const venv = path.join(CACHE, 'moto-5.2.5')
  const python = path.join(venv, 'bin', 'python')
  if (fs.existsSync(python)) return python
  fs.mkdirSync(CACHE, { recursive: true })
  const tmp = fs.mkdtempSync(path.join(CACHE, 'moto-installing-'))
  try {
    execFileSync('python3', ['-m', 'venv', tmp], { stdio: 'inherit', timeout: 120000 })
    execFileSync(path.join(tmp, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...MOTO_SPEC], {
      stdio: 'inherit',
      timeout: 600000,
    })
    // A venv's scripts name its directory: make it again in place if another file won.
    try {
      fs.renameSync(tmp, venv)
    } catch (err) {
      if (!fs.existsSync(python)) throw err
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw new Error(`could not install moto (Python 3 with venv and pip, and the PyPI registry, are needed): ${err.message}`)
  }
  return python
}

module.exports = { motoPython, CACHE }

if (require.main === module) {
  // `node __test__/support/tools.js`: install everything now (npm test does this first).
  motoPython()
}
