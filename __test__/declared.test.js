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

const source = ts.createSourceFile('index.d.ts', fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8'), ts.ScriptTarget.Latest)

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

test("the README's first Usage snippet runs as written, in an app's directory", async (t) => {
  const { runNode, ROOT } = require('./helpers')
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const usage = readme.slice(readme.indexOf('\n## Usage\n'))
  const snippet = /```js\n([\s\S]*?)```/.exec(usage)[1]
  assert.match(snippet, /require\('eventlog'\)/)
  // Inside the package's own scope, so that require('eventlog') finds it by its name.
  const dir = fs.mkdtempSync(path.join(ROOT, '.readme-snippet-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'usage.js')
  fs.writeFileSync(file, snippet)
  const r = await runNode(undefined, { file, cwd: dir, timeoutMs: 20000 })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stderr, '')
  const [file0] = fs.readdirSync(path.join(dir, 'data')).filter((f) => f.startsWith('events-'))
  assert.match(fs.readFileSync(path.join(dir, 'data', file0), 'utf8'), /^\{"event":\{"type":"deposited","account":"a-1","amount":100\},"meta":\{"id":"[0-9A-Za-z]{32}"\}\}\n$/)
})
