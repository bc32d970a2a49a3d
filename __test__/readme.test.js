'use strict'
// Every JavaScript snippet of the README runs as written, each in a fresh app directory inside
// the package (so that require('eventlog') and import 'eventlog' find it by its name): it
// exits 0 and prints nothing on stderr. The archive's snippet runs against the test S3 server
// (moto, on 127.0.0.1), configured as a user would: by the standard AWS environment variables.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { after, before, test } = require('node:test')

const { ROOT, runNode } = require('./helpers')
const { startMoto, createBucket } = require('./support/s3')

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')

/** Every ```js block: its text and the heading it is under. */
function snippets() {
  const found = []
  let heading = ''
  const lines = README.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('#')) heading = lines[i].replace(/^#+ /, '')
    if (lines[i] !== '```js') continue
    const end = lines.indexOf('```', i + 1)
    found.push({ heading, line: i + 1, code: lines.slice(i + 1, end).join('\n') + '\n' })
    i = end
  }
  return found
}

let moto
before(async () => {
  if (snippets().some((s) => s.code.includes('s3://'))) moto = await startMoto(null)
})
after(() => moto && moto.stop())

test('the README has JavaScript snippets, the first of them right at the top', () => {
  const all = snippets()
  assert.ok(all.length >= 6, `${all.length} snippets`)
  assert.ok(all[0].line < 30, 'the first one opens the README')
})

for (const snippet of snippets()) {
  test(`README line ${snippet.line} (${snippet.heading}) runs as written`, async (t) => {
    const dir = fs.mkdtempSync(path.join(ROOT, '.readme-snippet-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }))
    const esm = /^import /m.test(snippet.code)
    const file = path.join(dir, esm ? 'snippet.mjs' : 'snippet.js')
    fs.writeFileSync(file, snippet.code)
    const env = {}
    const bucket = /s3:\/\/([a-z0-9-]+)/.exec(snippet.code)
    if (bucket) {
      await createBucket(moto.endpoint, bucket[1])
      Object.assign(env, {
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ALLOW_HTTP: 'true',
        AWS_ACCESS_KEY_ID: 'test-access-key',
        AWS_SECRET_ACCESS_KEY: 'test-secret-key',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      })
    }
    const r = await runNode(undefined, { file, cwd: dir, timeoutMs: 30000, env })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    if (snippet.code.includes("add({ type: 'deposited'")) {
      // It wrote what it says, in the original's line format.
      const data = path.join(dir, 'data')
      const [logfile] = fs.readdirSync(data).filter((f) => f.startsWith('events-'))
      assert.match(
        fs.readFileSync(path.join(data, logfile), 'utf8'),
        /^\{"event":\{"type":"deposited","account":"a-1","amount":100\},"meta":\{"id":"[0-9A-Za-z]{32}"\}\}\n/,
      )
    }
  })
}
