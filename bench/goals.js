'use strict'
// What run.js prints after its table: issue 9's goals for its workloads, and each ratio of ours
// against the others next to the same ratio in the run of record (bench/record.json, the run
// in BENCHMARKS.md). Ratios, not absolute numbers, are compared: the machine drifts, and a
// ratio of two implementations measured in one interleaved run drifts much less.

const RECORD = require('./record.json')
const { ratio, fmtRatio } = require('./report')

/** A ratio (> 1: ours is better) as a number; null when missing or only a bound. */
function plain(r) {
  return typeof r === 'number' ? r : null
}

function metricOf(workloads, name, key) {
  const w = workloads.find((x) => x.name === name)
  return w && { w, m: w.metrics.find((m) => m.key === key) }
}

/** Issue 9's goals that run.js's workloads measure: [goal, measured, verdict]. */
function issue9Goals(workloads, summaries) {
  const rows = []
  for (const [name, what] of [
    ['replay', 'sync callback'],
    ['replay-async', 'promise-returning callback'],
  ]) {
    const x = metricOf(workloads, name, 'eventsPerSec')
    if (!x) continue
    const s = summaries[name]
    const r = plain(ratio(s.ours, s.baseline, x.m, x.w.events))
    rows.push([
      `replay (${what}) ≥ 1.6× the baseline`,
      r === null ? '—' : `${r.toFixed(3)}×`,
      r === null ? '—' : r >= 1.6 ? 'met' : 'not met',
    ])
  }
  const x = metricOf(workloads, 'add-burst', 'maxRssMB')
  if (x) {
    const s = summaries['add-burst']
    const ours = s.ours?.median.maxRssMB
    const base = s.baseline?.median.maxRssMB
    const f = ours && base ? ours / base : null
    rows.push([
      "add-burst peak RSS ≤ 1.1× the baseline's",
      f === null ? '—' : `${ours.toFixed(1)} vs ${base.toFixed(1)} MB = ${f.toFixed(3)}×`,
      f === null ? '—' : f <= 1.1 ? 'met' : 'not met',
    ])
  }
  return rows
}

/**
 * Ratios of ours vs the original and vs the baseline, now and in the run of record. A ratio
 * more than `tolerance` below the record's is marked "lower" (look at it: on this machine
 * single numbers move ±20% between runs, ratios less).
 */
function againstRecord(workloads, summaries, tolerance = 0.15) {
  const rows = []
  for (const w of workloads) {
    const rec = RECORD.workloads[w.name]
    if (!rec) continue
    for (const m of w.metrics) {
      const row = [w.name, m.label]
      let lower = false
      for (const other of ['original', 'baseline']) {
        const then =
          rec.ours?.[m.key] !== undefined && rec[other]?.[m.key] !== undefined
            ? plain(ratio({ median: rec.ours }, { median: rec[other] }, m, w.events))
            : null
        const now = plain(ratio(summaries[w.name].ours, summaries[w.name][other], m, w.events))
        row.push(then === null ? '—' : fmtRatio(then), now === null ? '—' : fmtRatio(now))
        if (other === 'baseline' && then !== null && now !== null && now < then * (1 - tolerance)) lower = true
      }
      row.push(lower ? 'lower' : '')
      rows.push(row)
    }
  }
  return rows
}

function layout(header, rows) {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)))
  const line = (r) =>
    r
      .map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(header), widths.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n')
}

/** The text run.js prints. */
function goalsReport(workloads, summaries) {
  const out = []
  const goals = issue9Goals(workloads, summaries)
  if (goals.length) out.push('Issue 9 goals (this run):\n\n' + layout(['goal', 'measured', ''], goals))
  const rec = againstRecord(workloads, summaries)
  if (rec.length) {
    out.push(
      `Ratios of ours now and in the run of record (${RECORD.date}; "lower": the ratio vs the baseline fell by more than 15%):\n\n` +
        layout(['workload', 'metric', 'vs original then', 'now', 'vs baseline then', 'now', ''], rec),
    )
  }
  return out.join('\n\n')
}

module.exports = { issue9Goals, againstRecord, goalsReport }
