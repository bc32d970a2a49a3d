'use strict'
// index.d.ts: a sample app in CommonJS and in ES module style (__test__/types/) compiles with
// tsc --noEmit --strict, and its deliberate mistakes (@ts-expect-error) are still errors.

const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')
const { test } = require('node:test')

const { ROOT } = require('./helpers')

const TSC = path.join(ROOT, 'node_modules', '.bin', 'tsc')

function tsc(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(TSC, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
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

test('the sample apps type-check with tsc --strict', async () => {
  const r = await tsc(['-p', path.join('__test__', 'types', 'tsconfig.json'), '--noEmit', '--strict'], 60000)
  assert.equal(r.code, 0, r.out)
})
