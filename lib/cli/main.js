'use strict'
// The eventlog command line: `eventlog COMMAND PATTERN [options]`. This file picks the command,
// prints help, and turns every failure into one line on stderr and an exit code: 0 done, 1
// failed (or verify found problems), 2 a usage error. Never a stack trace (DEBUG=eventlog:*
// adds it, for bug reports).

const { parseCommandLine, UsageError } = require('./args')
const { Output } = require('./output')

const COMMANDS = [
  require('./cat'),
  require('./tail'),
  require('./stat'),
  require('./verify'),
  require('./checkpoint'),
  require('./archive'),
]

const HELP = `Usage: eventlog COMMAND PATTERN [options]

Looks into an eventlog log from the command line.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)}${c.summary}`).join('\n')}

PATTERN is the log's filename pattern, as given to eventlog(), e.g.
'data/events-%y-%m-%d.log' (quote it). Positions are 16 digits, YYYYMMDD then the
line in the day (2026112600000042); options that take one also take a date (2026-11-26).

Run 'eventlog COMMAND --help' for a command's options.
Exit codes: 0 done, 1 failed or verify found problems, 2 usage error.
`

function warn(message) {
  process.stderr.write(`eventlog: ${message}\n`)
}

/** The one line (and exit code) for an error. */
function describe(err, command) {
  if (err instanceof UsageError || (err && err.code === 'ERR_INVALID_PATTERN')) {
    const where = err.command || command
    return { code: 2, line: `${err.message} (see 'eventlog${where ? ` ${where}` : ''} --help')` }
  }
  return { code: 1, line: (err && err.message) || String(err) }
}

function fail(err, command) {
  const { code, line } = describe(err, command)
  warn(line.split('\n')[0])
  if (/eventlog/.test(process.env.DEBUG || '') && err && err.stack) process.stderr.write(`${err.stack}\n`)
  return code
}

function writeOut(text) {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()))
}

/** Runs the command line `argv` (without node and the script); resolves the exit code. */
async function run(argv) {
  const [name, ...rest] = argv
  let command
  try {
    if (name === undefined) throw new UsageError(`missing COMMAND: ${COMMANDS.map((c) => c.name).join(', ')}`)
    if (name === '--help' || name === '-h' || name === 'help') {
      const about = name === 'help' && rest[0] !== undefined ? COMMANDS.find((c) => c.name === rest[0]) : undefined
      if (name === 'help' && rest[0] !== undefined && about === undefined)
        throw new UsageError(`unknown command '${rest[0]}'`)
      await writeOut(about ? about.help : HELP)
      return 0
    }
    if (name === '--version' || name === '-v') {
      await writeOut(`${require('../../package.json').version}\n`)
      return 0
    }
    command = COMMANDS.find((c) => c.name === name)
    if (command === undefined) {
      throw new UsageError(
        name.startsWith('-') ? `unknown option ${name} (a COMMAND comes first)` : `unknown command '${name}'`,
      )
    }
    const parsed = parseCommandLine(command.name, rest, command.options, command.maxArgs)
    if (parsed.help) {
      await writeOut(command.help)
      return 0
    }
    const out = new Output(process.stdout, {
      onError: (err) => {
        // The reader went away (`| head`): nothing more to say, to anyone.
        if (err.code === 'EPIPE') process.exit(0)
        process.exit(fail(err, command.name))
      },
    })
    return await command.run({ pattern: parsed.pattern, args: parsed.args, values: parsed.values, io: { out, warn } })
  } catch (err) {
    return fail(err, command && command.name)
  }
}

/** The entry point of bin/eventlog.js. */
function main(argv) {
  // A reader that went away (`eventlog --help | head -1`), or a broken stderr: no one is left
  // to tell. (Commands write through lib/cli/output.js, which handles the same.)
  process.stdout.on('error', (err) => err.code === 'EPIPE' && process.exit(0))
  process.stderr.on('error', () => {})
  // A bug of ours still ends in one line, not a stack trace.
  process.on('uncaughtException', (err) => process.exit(fail(err)))
  process.on('unhandledRejection', (err) => process.exit(fail(err)))
  run(argv).then((code) => {
    process.exitCode = code
  })
}

module.exports = { main, run, COMMANDS, HELP }
