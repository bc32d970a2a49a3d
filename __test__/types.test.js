'use strict'
// index.d.ts: a sample app in CommonJS and in ES module style (__test__/types/) compiles with
// tsc --noEmit --strict, and its deliberate mistakes (@ts-expect-error) are still errors.

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const { ROOT } = require('./helpers')

// tsc's own script, run with this node: node_modules/.bin/tsc is a shell script on Unix and a
// .cmd on Windows, neither of which spawn() runs everywhere.
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

function tsc(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`tsc did not finish within ${timeoutMs} ms\n${out}`))
    }, timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

test('index.d.ts declares every export of the package', () => {
  const types = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8')
  const names = Object.keys(require('..')).filter((name) => name !== 'default')
  const missing = names.filter((name) => !new RegExp(`^  (class|function|const) ${name}\\b`, 'm').test(types))
  assert.deepEqual(missing, [], 'exports without a declaration in index.d.ts')
})

test('the sample apps type-check with tsc --strict', async () => {
  const r = await tsc(['-p', path.join('__test__', 'types', 'tsconfig.json'), '--noEmit', '--strict'], 60000)
  assert.equal(r.code, 0, r.out)
})
