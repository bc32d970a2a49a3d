'use strict'
// Archive failures say what failed: each kind (no credentials, refused credentials, access
// denied, an unreachable store, one that does not answer) has its class and code, a message
// that says what to fix and holds no credential or response body, and background passes that
// fail are told to onArchiveError (or as a warning). The store here is a small HTTP server of
// the test's own on 127.0.0.1 that answers as S3 does when it refuses; the bucket that does not
// exist is tested against moto in archive.test.js. Nothing here sends a packet off this
// machine: the one test of the default credential chain runs in a network namespace of its
// own, with no interface but a loopback that is down.

const assert = require('node:assert/strict')
const { execFile, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const { test } = require('node:test')

const eventlog = require('..')
const { ROOT, tmpdir, within, deferred, runNode, writeLines, DAY_MS } = require('./helpers')

const SECRET = 'secret-value-4711'
const KEY_ID = 'AKIDTESTKEY0815'

/** A log directory with one sealed day, and its pattern. */
function sealedDay(t) {
  const dir = tmpdir(t)
  const day = new Date(Date.now() - 2 * DAY_MS).toISOString().slice(0, 10)
  writeLines(path.join(dir, `e-${day}.log`), [{ a: 1 }])
  return path.join(dir, 'e-%y-%m-%d.log')
}

function archive(endpoint, extra = {}) {
  return {
    url: 's3://some-bucket/logs',
    endpoint,
    region: 'us-east-1',
    accessKeyId: KEY_ID,
    secretAccessKey: SECRET,
    retryTimeoutMs: 500,
    maxRetries: 2,
    pollIntervalMs: 60000,
    ...extra,
  }
}

/**
 * A store on 127.0.0.1 that answers every request with `answer()`: `{ status, code }` (an S3
 * error body with that code, and the caller's access key id in it, as S3 writes for some
 * errors), or 'hang' (never answers). Resolves `{ endpoint, requests(), nth(n), set(answer) }`.
 */
async function fakeStore(t, answer) {
  let count = 0
  const waiting = []
  const sockets = new Set()
  const server = http.createServer((req, res) => {
    count++
    for (const w of waiting.filter((w) => count >= w.n)) w.resolve()
    const a = answer()
    if (a === 'hang') return
    res.writeHead(a.status, { 'content-type': 'application/xml' })
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${a.code}</Code><Message>no</Message><AWSAccessKeyId>${KEY_ID}</AWSAccessKeyId></Error>`,
    )
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const s of sockets) s.destroy()
    return new Promise((resolve) => server.close(resolve))
  })
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    requests: () => count,
    /** Resolves once `n` requests came. */
    nth(n) {
      const d = deferred()
      if (count >= n) d.resolve()
      else waiting.push({ n, resolve: d.resolve })
      return d.promise
    },
    set(next) {
      answer = next
    },
  }
}

/** A loopback port nobody listens on. */
async function closedPort() {
  const s = net.createServer()
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address()
  await new Promise((resolve) => s.close(resolve))
  return port
}

/** What `log.archive()` rejects with, for a log with one sealed day and `options`. */
async function archiveFailure(t, options) {
  const log = eventlog({ filename: sealedDay(t), archive: options, onArchiveError: () => {} })
  t.after(() => log.stop())
  const err = await within(15000, log.archive()).then(
    (r) => assert.fail(`archive() resolved ${JSON.stringify(r)}`),
    (e) => e,
  )
  assert.ok(err instanceof eventlog.ArchiveError, `${err.name}: ${err.message}`)
  for (const s of [SECRET, KEY_ID, '<Error', '<?xml']) assert.ok(!err.message.includes(s), `"${s}" in: ${err.message}`)
  return err
}

test('access denied, refused credentials, an unreachable store and one that does not answer: each its class, code and advice', async (t) => {
  const store = await fakeStore(t, () => ({ status: 403, code: 'AccessDenied' }))
  const denied = await archiveFailure(t, archive(store.endpoint))
  assert.ok(denied instanceof eventlog.ArchiveAccessDeniedError, denied.name)
  assert.equal(denied.code, 'ERR_ARCHIVE_ACCESS_DENIED')
  assert.match(denied.message, /^archive s3:\/\/some-bucket\/logs: .*grant them s3:ListBucket/)
  assert.match(denied.message, /\(AccessDenied\)/)

  store.set(() => ({ status: 403, code: 'SignatureDoesNotMatch' }))
  const refused = await archiveFailure(t, archive(store.endpoint))
  assert.ok(refused instanceof eventlog.ArchiveCredentialsError, refused.name)
  assert.equal(refused.code, 'ERR_ARCHIVE_CREDENTIALS')
  assert.match(refused.message, /the store rejected the credentials \(SignatureDoesNotMatch\)/)

  const port = await closedPort()
  const unreachable = await archiveFailure(t, archive(`http://127.0.0.1:${port}`))
  assert.ok(unreachable instanceof eventlog.ArchiveUnreachableError, unreachable.name)
  assert.equal(unreachable.code, 'ERR_ARCHIVE_UNREACHABLE')
  assert.match(
    unreachable.message,
    new RegExp(`could not connect to the store at http://127\\.0\\.0\\.1:${port} .*check the endpoint`),
  )

  store.set(() => 'hang')
  const started = Date.now()
  const timeout = await archiveFailure(t, archive(store.endpoint))
  assert.ok(timeout instanceof eventlog.ArchiveTimeoutError, timeout.name)
  assert.equal(timeout.code, 'ERR_ARCHIVE_TIMEOUT')
  assert.match(timeout.message, /did not answer within \d+ ms; check the network, or raise archive.retryTimeoutMs/)
  // Bounded by the retry window (500 ms here), not by the 2-minute limit of one request.
  assert.ok(Date.now() - started < 10000, `took ${Date.now() - started} ms`)
})

test('a background pass that fails is told to onArchiveError once per kind of failure, and as a warning without it', async (t) => {
  const store = await fakeStore(t, () => ({ status: 403, code: 'AccessDenied' }))
  const told = []
  const second = deferred()
  const log = eventlog({
    filename: sealedDay(t),
    archive: archive(store.endpoint, { pollIntervalMs: 50 }),
    onArchiveError: (err) => {
      told.push(err)
      if (told.length === 2) second.resolve()
    },
  })
  t.after(() => log.stop())
  // Several failed passes of one kind (each lists the store first)...
  await within(10000, store.nth(4), 'four requests of background passes')
  // ...then another kind.
  store.set(() => ({ status: 404, code: 'NoSuchBucket' }))
  await within(10000, second.promise, 'the second failure told')
  assert.deepEqual(
    told.map((e) => [e instanceof eventlog.ArchiveError, e.code]),
    [
      [true, 'ERR_ARCHIVE_ACCESS_DENIED'],
      [true, 'ERR_ARCHIVE_NO_BUCKET'],
    ],
  )
  assert.match(told[1].message, /the bucket "some-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+; create it/)

  await log.stop()

  // Without onArchiveError: a process warning with the code, once for failures of one kind.
  store.set(() => ({ status: 403, code: 'AccessDenied' }))
  const warnings = []
  const onWarning = (w) => w.name === 'EventlogWarning' && warnings.push(w)
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))
  const quiet = eventlog({ filename: sealedDay(t), archive: archive(store.endpoint, { pollIntervalMs: 50 }) })
  t.after(() => quiet.stop())
  const seen = store.requests()
  await within(10000, store.nth(seen + 4), 'four requests of background passes')
  await quiet.stop()
  // Warnings are emitted on the next tick.
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(
    warnings.map((w) => w.code),
    ['ERR_ARCHIVE_ACCESS_DENIED'],
  )
  assert.match(
    warnings[0].message,
    /^archive s3:\/\/some-bucket\/logs: .*\(background archive pass of .*; pass onArchiveError to handle these\)$/,
  )
  assert.ok(!warnings[0].message.includes(SECRET) && !warnings[0].message.includes(KEY_ID), warnings[0].message)
})

test('the classes of archive failures are ArchiveErrors with stable codes', () => {
  const expected = {
    ArchiveCredentialsError: 'ERR_ARCHIVE_CREDENTIALS',
    ArchiveNoBucketError: 'ERR_ARCHIVE_NO_BUCKET',
    ArchiveAccessDeniedError: 'ERR_ARCHIVE_ACCESS_DENIED',
    ArchiveUnreachableError: 'ERR_ARCHIVE_UNREACHABLE',
    ArchiveTimeoutError: 'ERR_ARCHIVE_TIMEOUT',
  }
  for (const [name, code] of Object.entries(expected)) {
    const err = new eventlog[name]()
    assert.ok(err instanceof eventlog.ArchiveError && err instanceof eventlog.EventlogError, name)
    assert.deepEqual([err.name, err.code], [name, code])
  }
})

test('onArchiveError is a function and needs the archive option', () => {
  assert.throws(
    () => eventlog({ filename: path.join(tmpdir(), 'e-%y-%m-%d.log'), onArchiveError: () => {} }),
    /give the archive option too/,
  )
  assert.throws(
    () =>
      eventlog({
        filename: path.join(tmpdir(), 'e-%y-%m-%d.log'),
        archive: { url: 's3://b-1/p' },
        onArchiveError: 'log',
      }),
    TypeError,
  )
})

// A child that opens a log whose archive has no credentials, makes a pass, and prints what it
// rejected with and how long that took.
const NO_CREDENTIALS = `
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) delete process.env[k]
  const log = eventlog({ filename: process.argv[1], archive: JSON.parse(process.argv[2]), onArchiveError: () => {} })
  const started = Date.now()
  log.archive().then(
    (r) => console.log(JSON.stringify({ resolved: r })),
    (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, ms: Date.now() - started })),
  ).finally(() => log.stop())
`

function noCredentials(endpoint) {
  const options = archive(endpoint)
  delete options.accessKeyId
  delete options.secretAccessKey
  return options
}

test('no credentials with AWS_EC2_METADATA_DISABLED=true: fails at once, and the metadata service is never asked', async (t) => {
  // The metadata service's address is ours here (AWS_METADATA_ENDPOINT), so a request to it
  // would be seen; the store's address too.
  const metadata = await fakeStore(t, () => ({ status: 403, code: 'Forbidden' }))
  const store = await fakeStore(t, () => ({ status: 403, code: 'AccessDenied' }))
  const run = (disabled) =>
    runNode(NO_CREDENTIALS, {
      args: [sealedDay(t), JSON.stringify(noCredentials(store.endpoint))],
      env: { AWS_EC2_METADATA_DISABLED: disabled, AWS_METADATA_ENDPOINT: metadata.endpoint },
    })
  for (const disabled of ['true', 'TRUE']) {
    const r = await run(disabled)
    assert.equal(r.code, 0, r.stderr)
    const got = JSON.parse(r.stdout)
    assert.equal(got.code, 'ERR_ARCHIVE_CREDENTIALS', r.stdout)
    assert.equal(got.name, 'ArchiveCredentialsError')
    assert.match(
      got.message,
      /no credentials: none were given .*AWS_ACCESS_KEY_ID.*AWS_EC2_METADATA_DISABLED is set, so the EC2 instance metadata service was not asked; give credentials/,
    )
    assert.ok(got.ms < 2000, `took ${got.ms} ms`)
  }
  assert.equal(metadata.requests(), 0, 'the metadata service was asked')
  assert.equal(store.requests(), 0, 'an unsigned request went to the store')
  // Any other value asks it, as AWS SDKs do (here: our address, which refuses).
  const r = await run('false')
  assert.equal(r.code, 0, r.stderr)
  const got = JSON.parse(r.stdout)
  assert.equal(got.code, 'ERR_ARCHIVE_CREDENTIALS', r.stdout)
  assert.match(
    got.message,
    new RegExp(`the EC2 instance metadata service gave none \\(asked at ${metadata.endpoint}: .*403`),
  )
  assert.ok(metadata.requests() > 0, 'the metadata service was not asked')
  assert.equal(store.requests(), 0)
})

/** Whether this machine can run a command in a network namespace of its own (`unshare -rn`). */
function canUnshare() {
  try {
    execFileSync('unshare', ['-rn', 'true'], { stdio: 'ignore', timeout: 5000 })
    return true
  } catch {
    return false
  }
}

test('no credentials and no AWS_EC2_METADATA_DISABLED: the default chain asks 169.254.169.254 (in a namespace without a network)', async (t) => {
  const pattern = sealedDay(t)
  const env = { ...process.env }
  delete env.AWS_EC2_METADATA_DISABLED
  delete env.AWS_METADATA_ENDPOINT
  let command = process.execPath
  let args = [
    '-e',
    `const eventlog = require(${JSON.stringify(ROOT)});\n${NO_CREDENTIALS}`,
    pattern,
    JSON.stringify(noCredentials('http://127.0.0.1:9')),
  ]
  let address = '169.254.169.254'
  if (canUnshare()) {
    // A new network namespace: only a loopback interface, and it is down. Nothing can leave.
    args = ['-rn', command, ...args]
    command = 'unshare'
  } else {
    // No namespaces here (not Linux, or not allowed): the chain is pointed at a closed
    // loopback port instead, so that still nothing leaves the machine.
    address = `http://127.0.0.1:${await closedPort()}`
    env.AWS_METADATA_ENDPOINT = address
  }
  const r = await new Promise((resolve) => {
    execFile(command, args, { env, cwd: ROOT, timeout: 30000 }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }),
    )
  })
  assert.equal(r.error, null, `${r.error}\n${r.stderr}`)
  const got = JSON.parse(r.stdout)
  assert.equal(got.code, 'ERR_ARCHIVE_CREDENTIALS', r.stdout)
  assert.match(got.message, /the EC2 instance metadata service gave none \(asked at http:\/\/[^:]*/)
  assert.ok(got.message.includes(address), got.message)
  assert.match(got.message, /AWS_EC2_METADATA_DISABLED=true stops asking/)
  // The suite's own processes never ask it.
  assert.equal(process.env.AWS_EC2_METADATA_DISABLED, 'true')
  assert.ok(fs.existsSync(ROOT))
})
