'use strict'
// The JavaScript linter, run by `npm run lint`: ESLint's recommended rules over the package's
// own sources, as Node runs them (CommonJS, with .mjs files as ES modules). Layout is left to
// prettier (.prettierrc.json); the one rule here about it is the length of a line, which
// prettier leaves to comments and cannot keep in code: 120 columns, but for a string, a
// template, a regular expression or a URL, which read best whole.

const js = require('@eslint/js')
const globals = require('globals')

module.exports = [
  {
    // Generated (native.js, native.d.ts by napi-rs), built, installed or downloaded files.
    ignores: ['native.js', 'native.d.ts', '.cache/', 'target/', 'dist/', 'npm/', '**/node_modules/', '.bench-tmp*/'],
  },
  js.configs.recommended,
  {
    rules: {
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: globals.node },
  },
]
