#!/usr/bin/env node
'use strict'
// Issue 7: replay from the archive against replay from local disk. Starts moto (an
// S3-compatible server, as the tests do: __test__/support/) on 127.0.0.1, uploads past days
// with a writable log's archive(), then replays those days, in turn, from a fresh process that
// has only the archive (an empty directory, read-only, the archive option) and from one
// reading the same days from local disk. Goal: archive ≥ 0.5× local. Every replay is checked
// (count, order, positions, prevPos across the days); the archive reader must leave its
// directory empty. Then a seek: `consume(cb, pos)` 1,000 events before the end of one long
// archived day (--seek-events, one day), open to first event in a fresh process with only
// the archive, with the day's uploaded index (under _eventlog/) and with that index deleted. moto is
// stopped by pid at the end; nothing is left running.
//
//   node bench/archive-replay.js [--events=200000] [--days=5] [--runs=5] [--seek-events=1000000] [--alt=DIR]

const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { writeHistory, spread, fileForDay, PATTERN_NAME, todayNumber } = require('./fixtures')
const {
  ROOT,
  useReleaseBuild,
  useAlt,
  tempDir,
  atExit,
  runWorkload,
  resultOf,
  median,
  header,
  layout,
  fmt,
  fmtX,
  saveResults,
  parseArgs,
} = require('./common')

const opts = parseArgs({
  events: 200000,
  days: 5,
  runs: 5,
  'seek-events': 1000000,
  alt: '',
  quick: false,
  'allow-debug-build': false,
})
if (opts.quick) Object.assign(opts, { events: 5000, days: 3, runs: 1, 'seek-events': 20000 })
const TIMEOUT_MS = 180000
const LAUNCHER = path.join(ROOT, '__test__', 'support', 'moto_server.py')
// moto checks that object requests carry credentials, not their signature.
const AUTH = {
  authorization: 'AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
}

/** moto on a free port of 127.0.0.1; resolves { endpoint, pid, stop }. */
async function startMoto() {
  const python = require(path.join(ROOT, '__test__', 'support', 'tools.js')).motoPython()
  // stdin is a pipe: moto_server.py also stops when it closes (if this process dies).
  const child = spawn(python, [LAUNCHER, '0'], { stdio: ['pipe', 'pipe', 'pipe'] })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))])
  }
  atExit(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
  })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err = (err + d).slice(-2000)))
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto did not start within 30 s: ${err}`)), 30000)
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) {
        clearTimeout(timer)
        resolve(JSON.parse(line).endpoint)
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`moto exited (${code ?? signal}) before it was ready: ${err}`))
    })
  }).catch(async (e) => {
    await stop()
    throw e
  })
  return { endpoint, pid: child.pid, stop, running: () => child.exitCode === null && child.signalCode === null }
}

/**
 * Uploads one day of `n` events under `prefix/seek/`, then times, in fresh processes with only
 * the archive, `consume(cb, pos)` 1,000 events before the day's end: open to first event, with
 * the day's uploaded index and without it (deleted). Each child checks the event it got.
 */
async function seekSection(eventlog, moto, bucket, archive, n) {
  const dir = tempDir('bench-archive-seek')
  const manifest = writeHistory(path.join(dir, 'log'), [n])
  const [[day]] = manifest.days
  const url = `${archive.url}-seek`
  const writer = eventlog({ filename: path.join(dir, 'log', PATTERN_NAME), archive: { ...archive, url } })
  await writer.add({ today: true }).promise
  const report = await writer.archive()
  await writer.stop()
  if (report.failed.length) throw new Error(`upload failed: ${JSON.stringify(report.failed)}`)
  const target = day * 1e8 + n - 1000
  const child = `
    const fs = require('node:fs'), path = require('node:path')
    const [options, target, dir] = [JSON.parse(process.argv[1]), Number(process.argv[2]), process.argv[3]]
    const t0 = process.hrtime.bigint()
    const log = require(${JSON.stringify(ROOT)})({ filename: path.join(dir, ${JSON.stringify(PATTERN_NAME)}), readOnly: true, archive: options })
    const c = log.consume((event, meta) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      if (meta.pos !== target || meta.prevPos !== target - 1) { console.error('got', meta.pos, meta.prevPos); process.exit(1) }
      c.stop()
      log.stop().then(() => console.log(ms))
    }, target)
  `
  const time = () => {
    const ms = []
    for (let k = 0; k < Math.max(3, opts.runs); k++) {
      const empty = tempDir('bench-archive-seek-reader')
      ms.push(
        Number(
          execFileSync(process.execPath, ['-e', child, JSON.stringify({ ...archive, url }), String(target), empty], {
            timeout: TIMEOUT_MS,
          }).toString(),
        ),
      )
      if (fs.readdirSync(empty).length !== 0) throw new Error('the archive reader created files in its directory')
    }
    return ms
  }
  const withIndex = time()
  const key = `${url.replace(/^s3:\/\/[^/]+\//, '')}/_eventlog/index/${path.basename(fileForDay(path.join(dir, 'log'), day))}.index`
  const res = await fetch(`${moto.endpoint}/${bucket}/${key}`, { method: 'DELETE', headers: AUTH })
  if (!res.ok) throw new Error(`could not delete ${key}: ${res.status}`)
  const without = time()
  const rows = [['index', 'open→first ms (median)', 'runs']]
  rows.push(['uploaded with the day', fmt(median(withIndex), 1), withIndex.map((m) => fmt(m, 1)).join(', ')])
  rows.push(['deleted', fmt(median(without), 1), without.map((m) => fmt(m, 1)).join(', ')])
  console.log(
    `\nSeek 1,000 events before the end of an archived day of ${n.toLocaleString('en-US')} events (${(manifest.bytes / 1e6).toFixed(1)} MB), from a process with only the archive:\n\n${layout(rows, 1)}`,
  )
  console.log(`\nwith the index ÷ without, open→first: ${fmtX(median(without) / median(withIndex))} faster`)
  return { events: n, bytes: manifest.bytes, withIndex, without }
}

async function main() {
  const build = useReleaseBuild({ allowDebug: opts['allow-debug-build'] })
  const altInfo = opts.alt ? useAlt(opts.alt, build) : null
  const info = header('Replay from the archive vs local disk (issue 7)', build)
  if (altInfo) console.log(`alt: ${altInfo}`)
  const impls = opts.alt ? ['ours', 'alt'] : ['ours']
  const eventlog = require(ROOT) // after useReleaseBuild: the private copy of the binary

  const moto = await startMoto()
  console.log(`moto: ${moto.endpoint} (pid ${moto.pid})`)
  try {
    const bucket = `bench-${Date.now().toString(36)}`
    const res = await fetch(`${moto.endpoint}/${bucket}`, { method: 'PUT', headers: AUTH })
    if (!res.ok) throw new Error(`could not create bucket ${bucket}: ${res.status} ${await res.text()}`)
    const archive = {
      url: `s3://${bucket}/prefix`,
      endpoint: moto.endpoint,
      region: 'us-east-1',
      accessKeyId: 'x',
      secretAccessKey: 'y',
    }

    // The days, written straight in the file format, then uploaded by a writable log. An event
    // today seals them (a later day exists); it is not part of what is replayed.
    const source = tempDir('bench-archive-src')
    const manifest = writeHistory(path.join(source, 'log'), spread(opts.events, opts.days))
    const names = fs
      .readdirSync(path.join(source, 'log'))
      .filter((f) => f.endsWith('.log'))
      .sort()
    const t = Date.now()
    const writer = eventlog({ filename: path.join(source, 'log', PATTERN_NAME), archive })
    await writer.add({ today: true }).promise
    // The archiver's own pass at open may have uploaded them already: archive() then reports
    // nothing new. What counts is what the bucket holds: every past day, byte for byte in size.
    const report = await writer.archive()
    writer.stop()
    if (report.failed.length) throw new Error(`upload failed: ${JSON.stringify(report.failed)}`)
    const listing = await (
      await fetch(`${moto.endpoint}/${bucket}?list-type=2&prefix=prefix/`, { headers: AUTH })
    ).text()
    const stored = new Map(
      [...listing.matchAll(/<Key>([^<]*)<\/Key>.*?<Size>(\d+)<\/Size>/gs)].map((m) => [m[1], Number(m[2])]),
    )
    const todayName = path.basename(fileForDay(path.join(source, 'log'), todayNumber()))
    const pastNames = names.filter((n) => n !== todayName)
    for (const name of pastNames) {
      const size = fs.statSync(path.join(source, 'log', name)).size
      if (stored.get(`prefix/${name}`) !== size)
        throw new Error(
          `the bucket holds ${stored.get(`prefix/${name}`)} bytes of ${name}, not ${size}: ${[...stored.keys()].join(', ')}`,
        )
    }
    // Each day, and its index under _eventlog/.
    const dayObjects = [...stored.keys()].filter((k) => !k.includes('/_eventlog/')).length
    if (pastNames.length !== opts.days || dayObjects !== opts.days)
      throw new Error(`the bucket holds ${dayObjects} day objects, expected ${opts.days}`)
    console.log(
      `uploaded ${pastNames.length} days, ${manifest.count.toLocaleString('en-US')} events, ${(manifest.bytes / 1e6).toFixed(1)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    )

    // Local: the same day files, nothing else. Archive: an empty directory.
    const local = tempDir('bench-archive-local')
    fs.mkdirSync(path.join(local, 'log'))
    for (const name of pastNames) {
      fs.copyFileSync(path.join(source, 'log', name), path.join(local, 'log', name))
    }
    if (fs.readdirSync(path.join(local, 'log')).length !== opts.days)
      throw new Error('the local copy does not hold exactly the uploaded days')
    fs.writeFileSync(path.join(local, 'manifest.json'), JSON.stringify(manifest))
    const remote = tempDir('bench-archive-remote')
    fs.mkdirSync(path.join(remote, 'log'))
    fs.writeFileSync(path.join(remote, 'manifest.json'), JSON.stringify(manifest))

    const sources = [
      { key: 'local', dir: local, env: {} },
      { key: 'archive', dir: remote, env: { EVENTLOG_BENCH_ARCHIVE: JSON.stringify(archive) } },
    ]
    const results = {}
    for (const impl of impls) results[impl] = { local: [], archive: [] }
    console.log()
    // What this process and moto spend meanwhile (both share the 2 cores with the replays).
    const procCpuMs = (pid) => {
      try {
        const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
        return ((Number(f[11]) + Number(f[12])) * 1000) / 100 // utime + stime, in clock ticks of 10 ms
      } catch {
        return null
      }
    }
    const ownCpu0 = process.cpuUsage()
    const motoCpu0 = procCpuMs(moto.pid)
    const wall0 = Date.now()
    for (let run = 0; run < opts.runs; run++) {
      for (const s of run % 2 ? [...sources].reverse() : sources) {
        for (const impl of impls) {
          const r = resultOf(
            await runWorkload(impl, 'replay', s.dir, manifest.count, { timeoutMs: TIMEOUT_MS, env: s.env }),
            `${impl} ${s.key}`,
          )
          if (r instanceof Error) throw r
          if (s.key === 'archive' && fs.readdirSync(path.join(remote, 'log')).length !== 0)
            throw new Error('the archive reader created files in its directory')
          results[impl][s.key].push(r)
          console.log(
            `run ${run + 1}/${opts.runs}  ${impl.padEnd(4)} ${s.key.padEnd(8)} ${fmt(r.eventsPerSec)} events/s, ${fmt(r.mbPerSec, 1)} MB/s, open→first ${fmt(r.openMs, 1)} ms`,
          )
        }
      }
    }

    const ownCpu = process.cpuUsage(ownCpu0)
    const motoCpu = procCpuMs(moto.pid)
    console.log(
      `\nduring the ${((Date.now() - wall0) / 1000).toFixed(1)} s of replays: this process used ${((ownCpu.user + ownCpu.system) / 1000).toFixed(0)} ms of CPU` +
        (motoCpu !== null && motoCpu0 !== null ? `, moto ${(motoCpu - motoCpu0).toFixed(0)} ms` : ''),
    )
    const summary = {}
    const rows = [['implementation', 'source', 'events/s', 'MB/s', 'open→first ms', 'CPU µs/event', 'peak RSS MB']]
    for (const impl of impls) {
      summary[impl] = {}
      for (const s of sources) {
        const rs = results[impl][s.key]
        const m = (k) => median(rs.map((r) => r[k]))
        summary[impl][s.key] = {
          eventsPerSec: m('eventsPerSec'),
          mbPerSec: m('mbPerSec'),
          openMs: m('openMs'),
          cpuUsPerEvent: m('cpuUsPerEvent'),
          maxRssMB: m('maxRssMB'),
        }
        const x = summary[impl][s.key]
        rows.push([
          impl,
          s.key,
          fmt(x.eventsPerSec),
          fmt(x.mbPerSec, 1),
          fmt(x.openMs, 1),
          fmt(x.cpuUsPerEvent, 2),
          fmt(x.maxRssMB, 1),
        ])
      }
      summary[impl].ratio = summary[impl].archive.eventsPerSec / summary[impl].local.eventsPerSec
    }
    console.log(
      `\nMedians of ${opts.runs} run(s), ${manifest.count.toLocaleString('en-US')} events in ${opts.days} days (${(manifest.bytes / 1e6 / opts.days).toFixed(1)} MB each):\n\n${layout(rows, 2)}`,
    )
    const r = summary.ours.ratio
    console.log(`\nGoal: replay from the archive ≥ 0.5× local disk: ${fmtX(r)} — ${r >= 0.5 ? 'met' : 'not met'}`)
    const seek =
      opts['seek-events'] > 1000 ? await seekSection(eventlog, moto, bucket, archive, opts['seek-events']) : null
    console.log(
      `\nFull results: ${saveResults(opts.quick ? 'archive-replay-quick' : 'archive-replay', { ...info, opts, summary, results, seek })}`,
    )
  } finally {
    await moto.stop()
  }
  // After the finally, not in it: a throw there would hide the error the run failed with.
  if (moto.running()) throw new Error(`moto (pid ${moto.pid}) is still running`)
  console.log(`moto (pid ${moto.pid}) stopped`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
