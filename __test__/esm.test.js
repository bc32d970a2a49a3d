'use strict'
// The ES module face (index.mjs, the "import" condition of package.json's exports): the same
// objects as require('eventlog'), every name, and index.mjs as scripts/gen-esm.js writes it.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const cjs = require('..')
const { render } = require('../scripts/gen-esm')
const { ROOT, tmpdir, within } = require('./helpers')

test('import from "eventlog" gives every CommonJS export, as the same objects', async () => {
  // The package's own name resolves through its exports map (self-reference).
  const esm = await import('eventlog')
  assert.equal(esm.default, cjs)
  const named = Object.keys(esm)
    .filter((k) => k !== 'default')
    .sort()
  const expected = Object.keys(cjs)
    .filter((k) => k !== 'default')
    .sort()
  assert.deepEqual(named, expected)
  for (const name of named) assert.equal(esm[name], cjs[name], name)
  assert.ok(named.includes('ReadOnlyError') && named.includes('stat') && named.includes('verify'))
})

test('index.mjs is what scripts/gen-esm.js writes (run `npm run gen:esm` after adding an export)', () => {
  assert.equal(fs.readFileSync(path.join(ROOT, 'index.mjs'), 'utf8'), render())
})

test('an ES module app opens a log, adds and iterates', async (t) => {
  const dir = tmpdir(t)
  const { default: eventlog, ReadOnlyError } = await import('eventlog')
  const log = eventlog(path.join(dir, 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  await within(5000, log.add({ n: 1 }).promise)
  const seen = []
  for await (const { event } of log.events({ live: false })) seen.push(event.n)
  assert.deepEqual(seen, [1])
  const ro = eventlog({ filename: path.join(dir, 'e-%y-%m-%d.log'), readOnly: true })
  await assert.rejects(ro.add(1).promise, ReadOnlyError)
})
