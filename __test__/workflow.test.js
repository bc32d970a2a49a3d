'use strict'
// The GitHub Actions workflows pass actionlint: a workflow cannot run here, so this is what
// finds its mistakes before a release tag does. Where shellcheck is on the PATH, actionlint runs
// it on every `run:` script too.

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { ROOT, tmpdir } = require('./helpers')
const { run } = require('./support/commands')
const { actionlint } = require('./support/tools')

const WORKFLOWS = path.join(ROOT, '.github', 'workflows')

let bin
before(
  () => {
    bin = actionlint()
  },
  { timeout: 900000 },
)

/** actionlint's verdict on `files`: exit code 0 clean, 1 problems found, above that its own failure. */
function lint(files) {
  return run(bin, ['-no-color', ...files], { cwd: ROOT, timeoutMs: 60000 })
}

test('the workflows pass actionlint', async () => {
  const files = fs
    .readdirSync(WORKFLOWS)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(WORKFLOWS, f))
  // With no file, actionlint would look for workflows itself, and pass on finding none.
  assert.ok(files.length > 0, `no workflow in ${WORKFLOWS}`)
  const r = await lint(files)
  assert.equal(r.code, 0, `actionlint reported problems (exit code ${r.code}):\n${r.stdout}${r.stderr}`)
})

test('actionlint reports the mistakes of a broken workflow', async (t) => {
  const file = path.join(tmpdir(t), 'broken.yml')
  fs.writeFileSync(
    file,
    [
      'on:',
      '  push:',
      "    tags: ['v*']",
      'jobs:',
      '  test:',
      '    needs: biuld',
      '    runs-on: ubuntu-24.04',
      '    steps:',
      '      - uses: actions/setup-node@v6',
      '        with:',
      '          node_version: ${{ matrix.node }}',
      '      - run: npm test',
      '',
    ].join('\n'),
  )
  const r = await lint([file])
  const output = `${r.stdout}${r.stderr}`
  assert.equal(r.code, 1, `expected problems reported (exit code 1), got exit code ${r.code}:\n${output}`)
  // A job that needs a missing one, a misspelt input of a known action, a matrix that is not there.
  assert.match(output, /needs job "biuld" which does not exist .*\[job-needs\]/)
  assert.match(output, /input "node_version" is not defined in action "actions\/setup-node@v6".*\[action\]/)
  assert.match(output, /property "node" is not defined .*\[expression\]/)
})
