'use strict'
// Running workload children (bench/workloads.js) with a deadline, and collecting their output.
// A child that does not finish in time is killed: for the original, whose consumer polls,
// "slower than the deadline" is the finding, not an error.

const path = require('node:path')
const { startNode } = require('./common')

const WORKLOADS_JS = path.join(__dirname, 'workloads.js')

/**
 * Starts one child. Resolves to { status: 'ok', result } | { status: 'timeout', partial } |
 * { status: 'error', error }. `onMessage` gets IPC messages (cross-process workloads only).
 */
function startChild(args, options) {
  return startNode(WORKLOADS_JS, args, options)
}

/** One workload in one child. */
function runSingle(impl, workload, runDir, n, timeoutMs) {
  return startChild([impl, workload, runDir, String(n)], { timeoutMs }).done
}

/**
 * Cross-process live latency: a read-only consumer child and a writer child on one log. Each
 * delivery the consumer reports is passed on to the writer as "next", so exactly one event is
 * in flight; the writer's add() results go back to the consumer, which checks against them.
 */
async function runCrossProcess(impl, runDir, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let writer = null
  let markReady
  const ready = new Promise((r) => (markReady = r))
  const consumer = startChild([impl, 'live-xproc-consumer', runDir, String(n)], {
    timeoutMs,
    ipc: true,
    onMessage: (m) => {
      if (m.type === 'ready') markReady()
      else if (m.type === 'delivered' && writer && writer.child.connected) writer.child.send({ type: 'next' })
    },
  })
  const first = await Promise.race([ready.then(() => null), consumer.done])
  if (first) return first // the consumer ended before it was ready
  writer = startChild([impl, 'live-xproc-writer', runDir, String(n)], {
    timeoutMs: Math.max(1, deadline - Date.now()),
    ipc: true,
  })
  const w = await writer.done
  if (w.status !== 'ok' || !w.result.ok) {
    consumer.kill()
    await consumer.done
    return w.status === 'ok' ? { status: 'ok', result: { ...w.result, workload: 'live-xproc' } } : w
  }
  if (consumer.child.connected) consumer.child.send({ type: 'finish', adds: w.result.adds })
  const c = await consumer.done
  if (c.status === 'ok') c.result.workload = 'live-xproc'
  return c
}

module.exports = { runSingle, runCrossProcess }
