'use strict'
// DuckDB for a test: SQL over the test S3 server, run by the Python of DuckDB's virtual
// environment (installed on first use, see ./tools.js) with the httpfs extension loaded from
// its PyPI package's file, so nothing is downloaded at run time.

const { execFile } = require('node:child_process')
const path = require('node:path')

const { duckdb } = require('./tools')

const RUNNER = path.join(__dirname, 'duckdb_query.py')

/** The secret that points DuckDB's s3:// paths at `endpoint` (moto takes any credentials). */
function s3Secret(endpoint) {
  return `CREATE SECRET test_s3 (TYPE s3, KEY_ID 'test', SECRET 'test', REGION 'us-east-1',
    ENDPOINT '${new URL(endpoint).host}', URL_STYLE 'path', USE_SSL false)`
}

/**
 * Runs `queries` (each one or more SQL statements) after `setup`; resolves one
 * `{ columns, rows, table }` per query (`table` as DuckDB prints it).
 */
function query({ setup = [], queries }) {
  const { python, httpfs } = duckdb()
  return new Promise((resolve, reject) => {
    const child = execFile(python, [RUNNER, httpfs], { timeout: 60000, env: process.env }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`DuckDB failed: ${err.message}\n${stderr}`))
      resolve(JSON.parse(stdout).results)
    })
    child.stdin.end(JSON.stringify({ setup, queries }))
  })
}

module.exports = { query, s3Secret }
