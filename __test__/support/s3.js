'use strict'
// An S3-compatible server for a test file: moto, spawned directly (never through a shell) on
// 127.0.0.1, stopped by pid in teardown. Each test isolates itself with a bucket of its own.
// Also a TCP proxy in front of it that can refuse or cut connections, to test a store that is
// down or fails mid-upload without touching the server.

const { spawn } = require('node:child_process')
const net = require('node:net')
const path = require('node:path')
const crypto = require('node:crypto')

const { motoPython } = require('./tools')
const { within } = require('../helpers')
const { SERVICES, ask } = require('./services')

const LAUNCHER = path.join(__dirname, 'moto_server.py')

/** Starts moto (on `port`, or any free one); resolves `{ endpoint, port, pid, stop() }`. */
async function startMoto(t, port = 0) {
  if (SERVICES) return startRemoteMoto(t, port)
  const python = motoPython()
  const child = spawn(python, [LAUNCHER, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) resolve(JSON.parse(line).endpoint)
    })
    child.on('exit', (code, signal) => reject(new Error(`moto exited (${code ?? signal}) before it was ready: ${err}`)))
  })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await within(10000, exited, 'moto stopping')
  }
  if (t) t.after(stop)
  let endpoint
  try {
    endpoint = await within(30000, ready, 'moto starting')
  } catch (e) {
    await stop()
    throw e
  }
  return { endpoint, port: Number(new URL(endpoint).port), pid: child.pid, stop }
}

/**
 * startMoto for a run under an emulator: the same server, started on the Linux side by the
 * test services (./services.js), stopped through them. `pid` is null: the process is not ours.
 */
async function startRemoteMoto(t, port) {
  const { id, endpoint } = await ask('POST', `/moto?port=${port}`)
  let stopped = null
  const stop = () => (stopped ??= ask('DELETE', `/moto/${id}`))
  if (t) t.after(stop)
  return { endpoint, port: Number(new URL(endpoint).port), pid: null, stop }
}

// moto answers object requests only when they carry credentials, and checks no signature:
// the test's own requests (made beside the package, to check what it stored) carry this.
const AUTH = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=test-access-key/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
}

/** A request to the server as the test makes it. */
function s3(endpoint, pathname, init = {}) {
  return fetch(`${endpoint}${pathname}`, { ...init, headers: { ...AUTH, ...init.headers } })
}

/** A fresh bucket on the server; resolves its name. */
async function createBucket(endpoint, name = `t-${crypto.randomBytes(6).toString('hex')}`) {
  const res = await s3(endpoint, `/${name}`, { method: 'PUT' })
  if (!res.ok) throw new Error(`could not create bucket ${name}: ${res.status} ${await res.text()}`)
  return name
}

/** The keys in a bucket (under `prefix`). */
async function listKeys(endpoint, bucket, prefix = '') {
  const res = await s3(endpoint, `/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`)
  const xml = await res.text()
  return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]).sort()
}

/** An object's bytes and headers. */
async function getObject(endpoint, bucket, key) {
  const res = await s3(endpoint, `/${bucket}/${key}`)
  if (!res.ok) throw new Error(`GET ${key}: ${res.status}`)
  return { body: Buffer.from(await res.arrayBuffer()), headers: res.headers }
}

/** Puts an object (as someone other than the package would), with `headers` (metadata). */
async function putObject(endpoint, bucket, key, body, headers = {}) {
  const res = await s3(endpoint, `/${bucket}/${key}`, { method: 'PUT', body, headers })
  if (!res.ok) throw new Error(`PUT ${key}: ${res.status}`)
}

/** Deletes an object. */
async function deleteObject(endpoint, bucket, key) {
  const res = await s3(endpoint, `/${bucket}/${key}`, { method: 'DELETE' })
  if (!res.ok) throw new Error(`DELETE ${key}: ${res.status}`)
}

/**
 * A TCP proxy to `port` on 127.0.0.1. `mode`: 'pass', 'refuse' (new and open connections are
 * closed at once). Resolves `{ endpoint, setMode(m), received(), close() }`; `received()` is
 * how many bytes the server has sent through it so far.
 */
async function startProxy(t, port) {
  let mode = 'pass'
  let received = 0
  const sockets = new Set()
  const server = net.createServer((client) => {
    if (mode === 'refuse') return client.destroy()
    const upstream = net.connect(port, '127.0.0.1')
    sockets.add(client).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.on('data', (chunk) => (received += chunk.length))
    upstream.pipe(client)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  if (t) t.after(close)
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    setMode(m) {
      mode = m
      if (m === 'refuse') for (const s of sockets) s.destroy()
    },
    received: () => received,
    close,
  }
}

/** Archive options for a bucket on a server (any credentials do for moto). */
function archiveOptions(endpoint, bucket, extra = {}) {
  return {
    url: `s3://${bucket}/logs`,
    endpoint,
    region: 'us-east-1',
    accessKeyId: 'test-access-key',
    secretAccessKey: 'test-secret-key',
    // Long enough for a busy machine; the tests of failures set their own, shorter.
    retryTimeoutMs: 5000,
    maxRetries: 2,
    pollIntervalMs: 200,
    ...extra,
  }
}

module.exports = { startMoto, createBucket, listKeys, getObject, putObject, deleteObject, startProxy, archiveOptions }
