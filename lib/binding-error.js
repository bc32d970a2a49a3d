'use strict'
// The error thrown when no native binary loads. The generated loader's own error blames an npm
// bug; this one says which binary was looked for, which platforms have one prebuilt, and the
// command that builds one from source.

const fs = require('node:fs')
const path = require('node:path')
const { currentPlatform, libc, prebuiltPlatforms } = require('./platform')

const PACKAGE_DIR = path.join(__dirname, '..')
const BUILD_COMMAND = 'npx eventlog-build'

/**
 * The message for `platform` (e.g. `linux-x64-gnu`). `found` is where a binary was found that
 * nonetheless failed to load (null when none was found); `override` the value of
 * NAPI_RS_NATIVE_LIBRARY_PATH, if set.
 */
function bindingErrorMessage({ platform, libc, prebuilt, binaryName, file, found, override, cause }) {
  const system = `${process.platform}-${process.arch}${libc ? ` with ${libc}` : ''}`
  const build = `build it from source with a Rust toolchain (https://rustup.rs): run \`${BUILD_COMMAND}\` in your app's directory`
  // The first line of the reason; Windows ends its system messages with \r\n (and the loader
  // with more), so the line is trimmed of its \r as well.
  const reason = cause && cause.message ? ` (${cause.message.split('\n')[0].trimEnd()})` : ''
  if (override) {
    return `eventlog could not load NAPI_RS_NATIVE_LIBRARY_PATH=${override}${reason}. Point it at an eventlog.${platform}.node built for ${system}, unset it, or ${build}.`
  }
  if (found) {
    return `eventlog found its native binary for ${system} at ${found} but could not load it${reason}. Reinstall eventlog, or ${build}.`
  }
  const looked = `eventlog has no native binary for this platform, ${system}: it looked for the package ${binaryName}-${platform} and the file ${file}.`
  const list = `Prebuilt binaries exist for ${prebuilt.join(', ')}.`
  if (prebuilt.includes(platform)) {
    return `${looked} ${list} npm installs yours as the optional dependency ${binaryName}-${platform}, which is missing here: optional dependencies were left out (--omit=optional), or package-lock.json was made on another platform. Reinstall with optional dependencies, or ${build}.`
  }
  return `${looked} ${list} None fits this machine: ${build}.`
}

/** Where a binary for `platform` exists, beside the loader or as the platform package. */
function findBinary(binaryName, platform, file) {
  if (fs.existsSync(file)) return file
  try {
    return require.resolve(`${binaryName}-${platform}`, { paths: [PACKAGE_DIR] })
  } catch {
    return null
  }
}

/** The error to throw for `cause`, the generated loader's failure. */
function bindingError(cause) {
  const pkg = require('../package.json')
  const binaryName = (pkg.napi && pkg.napi.binaryName) || pkg.name
  const platform = currentPlatform()
  const file = path.join(PACKAGE_DIR, `${binaryName}.${platform}.node`)
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH || null
  const found = override ? null : findBinary(binaryName, platform, file)
  // Why a binary that is there failed to load; when none is there, the message says it all and
  // the loader's chain of "Cannot find module" errors would only bury it.
  const failure = found || override ? loadFailure(cause) : null
  const message = bindingErrorMessage({
    platform,
    libc: libc(),
    prebuilt: prebuiltPlatforms(pkg),
    binaryName,
    file,
    found,
    override,
    cause: failure,
  })
  const error = new Error(message)
  error.code = 'ERR_NATIVE_BINDING_NOT_FOUND'
  if (failure) error.cause = failure
  return error
}

/** In the generated loader's chain of errors, the one that says why a file failed to load. */
function loadFailure(err) {
  for (let e = err && err.cause; e; e = e.cause) {
    if (!/^Cannot find module/.test(e.message)) return e
  }
  return null
}

module.exports = { bindingError, bindingErrorMessage, BUILD_COMMAND }
