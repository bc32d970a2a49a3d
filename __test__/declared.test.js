'use strict'
// The types say what the package does: every function on a log object, and every export of
// the package, is declared in index.d.ts (read with the TypeScript compiler's parser), so a
// method added to the code and not to the types fails here.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const ts = require('typescript')
const eventlog = require('..')
const { tmpdir } = require('./helpers')

const source = ts.createSourceFile(
  'index.d.ts',
  fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8'),
  ts.ScriptTarget.Latest,
)

/** The member names of `interface name` anywhere in index.d.ts. */
function membersOf(name) {
  const found = new Set()
  const visit = (node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === name) {
      for (const m of node.members) if (m.name) found.add(m.name.getText(source))
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/** Every name a property of `value` has, enumerable or not. */
function ownNames(value) {
  return Object.getOwnPropertyNames(value).filter((n) => n !== 'constructor')
}

test('every property of a log object is declared on EventLog in index.d.ts', (t) => {
  const log = eventlog(path.join(tmpdir(t), 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  const declared = membersOf('EventLog')
  assert.ok(declared.size > 4, 'the EventLog interface was found')
  const missing = ownNames(log).filter((n) => !declared.has(n))
  assert.deepEqual(missing, [], `on a log object but not in index.d.ts: ${missing.join(', ')}`)
  // And the other way: nothing declared that a log object does not have.
  const extra = [...declared].filter((n) => !(n in log))
  assert.deepEqual(extra, [], `declared but not on a log object: ${extra.join(', ')}`)
})

test('every function on a consumer is declared on Consumer in index.d.ts', (t) => {
  const log = eventlog(path.join(tmpdir(t), 'e-%y-%m-%d.log'))
  t.after(() => log.stop())
  const consumer = log.consume(() => {})
  t.after(() => consumer.stop())
  const declared = membersOf('Consumer')
  const missing = ownNames(consumer).filter((n) => typeof consumer[n] === 'function' && !declared.has(n))
  assert.deepEqual(missing, [])
})
