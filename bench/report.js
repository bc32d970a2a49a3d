'use strict'
// Turning the collected outcomes into medians, the printed table and the JSON file.
// Every ratio is oriented so that > 1 means "ours is better": throughput is ours ÷ theirs,
// latency, CPU, RSS and open time are theirs ÷ ours.

// In table order. 'batched' is bench/baseline-batched.js; 'alt' a copy of this package given
// with --alt=DIR (to measure a patch against ours in one interleaved run).
const IMPLS = ['ours', 'original', 'baseline', 'batched', 'alt']

function median(values) {
  if (values.length === 0) return null
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Medians of each metric over the runs that produced a result, plus what went wrong. */
function summarize(workload, outcomes) {
  const measured = outcomes.filter((o) => o.status === 'ok' && !o.result.na)
  const summary = {
    runs: outcomes.length,
    measured: measured.length,
    checksFailed: measured.filter((o) => !o.result.ok).length,
    timeouts: outcomes.filter((o) => o.status === 'timeout').length,
    errors: outcomes.filter((o) => o.status === 'error').map((o) => o.error),
    na: outcomes.find((o) => o.status === 'ok' && o.result.na)?.result.na || null,
    median: {},
  }
  for (const m of workload.metrics) {
    summary.median[m.key] = median(measured.map((o) => o.result[m.key]).filter((v) => typeof v === 'number'))
  }
  const timeout = outcomes.find((o) => o.status === 'timeout')
  if (timeout) {
    summary.timeoutMs = timeout.timeoutMs
    const openMs = outcomes.map((o) => o.partial && o.partial.openMs).filter((v) => typeof v === 'number')
    if (openMs.length) summary.partialOpenMs = median(openMs)
  }
  return summary
}

function fmt(value, metric) {
  if (value === null || value === undefined) return '—'
  const digits = metric.digits ?? (Math.abs(value) >= 100 ? 0 : 1)
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function cell(s, metric, n) {
  if (!s) return '—'
  const v = s.median[metric.key]
  if (v !== null && v !== undefined) return fmt(v, metric) + (s.checksFailed ? ' !' : '')
  if (s.timeoutMs) {
    const secs = s.timeoutMs / 1000
    if (metric.key === 'openMs' && s.partialOpenMs !== undefined) return fmt(s.partialOpenMs, metric)
    if (metric.better === 'higher' && metric.perEvent) return `< ${fmt(n / secs, metric)} (> ${secs} s)`
    return metric.key === 'openMs' ? `> ${secs * 1000}` : 'timeout'
  }
  if (s.na) return 'n/a'
  if (s.errors.length) return 'error'
  return '—'
}

/** Ours relative to another implementation, or a bound when the other one timed out. */
function ratio(ours, theirs, metric, n) {
  if (!ours || !theirs) return null
  const a = ours.median[metric.key]
  let b = theirs.median[metric.key]
  if (typeof a !== 'number' || a === 0) return null
  if (typeof b === 'number') return metric.better === 'higher' ? a / b : b / a
  if (theirs.timeoutMs && metric.perEvent && metric.better === 'higher') {
    b = n / (theirs.timeoutMs / 1000)
    return { atLeast: a / b }
  }
  if (theirs.timeoutMs && metric.key === 'openMs' && theirs.partialOpenMs !== undefined) {
    return theirs.partialOpenMs / a
  }
  return null
}

function fmtRatio(r) {
  if (r === null) return '—'
  if (typeof r === 'object') return `> ${r.atLeast.toFixed(1)}×`
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`
}

/** The table: one row per workload and metric; a column for each implementation measured. */
function table(workloads, summaries) {
  const impls = IMPLS.filter((impl) => workloads.some((w) => w.impls.includes(impl)))
  const others = impls.filter((impl) => impl !== 'ours')
  const rows = [['workload', 'metric', ...impls, ...others.map((o) => `vs ${o}`)]]
  for (const w of workloads) {
    const s = summaries[w.name]
    if (!s) continue
    for (const m of w.metrics) {
      rows.push([
        `${w.title} (n=${w.label})`,
        m.label,
        ...impls.map((impl) => cell(s[impl], m, w.events)),
        ...others.map((o) => fmtRatio(ratio(s.ours, s[o], m, w.events))),
      ])
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  ')]
  let last = ''
  for (const r of rows.slice(1)) {
    out.push(line([r[0] === last ? '' : r[0], ...r.slice(1)]))
    last = r[0]
  }
  return out.join('\n')
}

/** Lines explaining the cells that are not plain numbers. */
function notes(workloads, summaries, outcomes) {
  const out = []
  for (const w of workloads) {
    for (const impl of IMPLS) {
      const s = summaries[w.name]?.[impl]
      if (!s) continue
      if (s.na) out.push(`${w.name} / ${impl}: n/a — ${s.na}`)
      if (s.timeouts)
        out.push(`${w.name} / ${impl}: ${s.timeouts} of ${s.runs} run(s) killed after ${s.timeoutMs / 1000} s`)
      for (const e of new Set(s.errors)) out.push(`${w.name} / ${impl}: ERROR ${e}`)
      if (s.checksFailed) {
        const first = outcomes[w.name][impl].find((o) => o.status === 'ok' && !o.result.ok)
        out.push(
          `${w.name} / ${impl}: result check failed in ${s.checksFailed} run(s) ("!"): ${first.result.failures.slice(0, 3).join('; ')}`,
        )
      }
    }
  }
  return out
}

module.exports = { IMPLS, median, summarize, ratio, fmtRatio, table, notes }
