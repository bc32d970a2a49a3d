'use strict'
// Fresh npm apps for the install tests: a directory with a package.json, npm configured only to
// use the local registry (its own user config and cache, so the user's ~/.npmrc and ~/.npm are
// neither read nor touched), and npm's defaults for everything that matters to installing:
// install scripts of dependencies blocked, optional dependencies installed.

const fs = require('node:fs')
const path = require('node:path')
const { ok, run, cleanEnv } = require('./commands')

/** A new app in `dir` (created) using the registry at `registryUrl`. */
function freshApp(dir, registryUrl) {
  const app = path.join(dir, 'app')
  fs.mkdirSync(app, { recursive: true })
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true }, null, 2) + '\n',
  )
  const npmrc = path.join(dir, 'npmrc')
  const host = new URL(registryUrl).host
  fs.writeFileSync(
    npmrc,
    [
      `registry=${registryUrl}`,
      // npm publish wants a token; the registry accepts any.
      `//${host}/:_authToken=anything`,
      // Quiet, and no calls the local registry cannot answer; none of these changes an install.
      'audit=false',
      'fund=false',
      'update-notifier=false',
      '',
    ].join('\n'),
  )
  const env = cleanEnv({ npm_config_userconfig: npmrc, npm_config_cache: path.join(dir, 'npm-cache') })
  return {
    dir: app,
    env,
    /** `npm args` in the app; rejects unless it exits 0. */
    npm: (args, options = {}) => ok('npm', args, { cwd: app, env, timeoutMs: 120000, ...options }),
    /** `npx args` in the app, with `extraEnv`; resolves whatever it exits with. */
    npx: (args, { extraEnv = {}, timeoutMs = 60000 } = {}) =>
      run('npx', args, { cwd: app, env: { ...env, ...extraEnv }, timeoutMs }),
    /** Writes `source` to `name` in the app and runs it with node; resolves whatever it exits with. */
    node: (name, source, { timeoutMs = 30000 } = {}) => {
      fs.writeFileSync(path.join(app, name), source)
      return run(process.execPath, [name], { cwd: app, env, timeoutMs })
    },
  }
}

module.exports = { freshApp }
