'use strict'
// The JavaScript linter, run by `npm run lint`: ESLint's recommended rules over the package's
// own sources, as Node runs them (CommonJS, with .mjs files as ES modules). Layout is left to
// prettier (.prettierrc.json), so no rule here is about formatting.

const js = require('@eslint/js')
const globals = require('globals')

module.exports = [
  {
    // Generated (native.js, native.d.ts by napi-rs), built, installed or downloaded files.
    ignores: ['native.js', 'native.d.ts', '.cache/', 'target/', 'dist/', 'npm/', '**/node_modules/', '.bench-tmp*/'],
  },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: globals.node },
  },
]
