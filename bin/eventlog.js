#!/usr/bin/env node
'use strict'
// `eventlog cat | tail | stat | verify | archive PATTERN …`: see lib/cli/main.js, or `eventlog --help`.

require('../lib/cli/main').main(process.argv.slice(2))
