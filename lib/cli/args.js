'use strict'
// Reading a command line with util.parseArgs: one pattern, the command's own flags, --help.
// Every mistake becomes a UsageError (exit 2) with one line that says what was wrong.

const { parseArgs } = require('node:util')

const { PER_DAY, realDay, positionProblem } = require('../position')

class UsageError extends Error {
  /** `command`: the command whose --help the hint names (none: the top-level help). */
  constructor(message, command) {
    super(message)
    this.name = 'UsageError'
    this.command = command
  }
}

/**
 * Parses `argv` (what follows the command name) against `options` (parseArgs options). Returns
 * `{ help }` for --help, else `{ pattern, values, args }`: `args` are the arguments after the
 * pattern, at most `maxArgs` of them (a command such as `checkpoint PATTERN NAME` takes one).
 */
function parseCommandLine(command, argv, options, maxArgs = 0) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (err) {
    throw new UsageError(describeParseError(err), command)
  }
  const { values, positionals } = parsed
  if (values.help) return { help: true }
  if (positionals.length === 0) {
    throw new UsageError("missing PATTERN, the log's filename pattern such as 'data/events-%y-%m-%d.log'", command)
  }
  if (positionals.length > 1 + maxArgs) {
    const hint = maxArgs === 0 ? ' (give one PATTERN, quoted)' : ''
    throw new UsageError(`unexpected argument '${positionals[1 + maxArgs]}'${hint}`, command)
  }
  return { help: false, pattern: positionals[0], values, args: positionals.slice(1) }
}

/** parseArgs' messages are long and suggest '--' tricks; ours name the flag and stop. */
function describeParseError(err) {
  const flag = /'(-[^' ]+)/.exec(err.message)
  const name = flag ? flag[1] : undefined
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${name || err.message}`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return name ? `option ${name} needs a value` : err.message
    default:
      return err.message
  }
}

/**
 * A position given on the command line: 16 digits (`2026112600000042`), 0 (the beginning), or
 * a date (`2026-11-26`), which means the day's first position, or with `endOfDay` its last.
 */
function parsePosition(text, flag, command, { endOfDay = false } = {}) {
  const hint =
    'a position has 16 digits, YYYYMMDD then the line in the day (2026112600000042), or give a date (2026-11-26)'
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (date) {
    const day = realDay(Number(date[1]), Number(date[2]), Number(date[3]))
    if (day === undefined) throw new UsageError(`bad date ${text} for ${flag}: no such day`, command)
    return day * PER_DAY + (endOfDay ? PER_DAY - 1 : 0)
  }
  if (!/^\d+$/.test(text)) throw new UsageError(`bad position '${text}' for ${flag}: ${hint}`, command)
  const pos = Number(text)
  if (pos === 0) return 0
  const problem = positionProblem(pos)
  if (problem !== null) throw new UsageError(`bad position ${text} for ${flag}: ${problem}`, command)
  if (text.length !== 16) throw new UsageError(`bad position ${text} for ${flag}: ${hint}`, command)
  return pos
}

/** A count such as `--lines 10`. */
function parseCount(text, flag, command) {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`bad number '${text}' for ${flag}: give a whole number such as 10`, command)
  }
  return Number(text)
}

/** One of a few words, such as `--format pretty`. */
function parseChoice(text, flag, choices, command) {
  if (!choices.includes(text)) {
    throw new UsageError(`bad value '${text}' for ${flag}: use ${choices.join(' or ')}`, command)
  }
  return text
}

module.exports = { UsageError, parseCommandLine, parsePosition, parseCount, parseChoice }
