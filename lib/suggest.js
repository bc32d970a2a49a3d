'use strict'
// Naming the option a mistyped one was meant to be: the same name in another case, or one
// edit away (a letter added, dropped, changed, or two neighbours swapped).

/** Whether `a` becomes `b` by one edit: insert, delete, substitute or swap two neighbours. */
function oneEditApart(a, b) {
  if (a === b || Math.abs(a.length - b.length) > 1) return false
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  const restA = a.slice(i + 1)
  const restB = b.slice(i + 1)
  if (a.length === b.length) {
    return restA === restB || (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2))
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1)
}

/** The known name `key` was likely meant as, or null. */
function meantName(key, known) {
  const lower = key.toLowerCase()
  return known.find((name) => name.toLowerCase() === lower || oneEditApart(key, name)) || null
}

/** The message for an unknown option `key` of `where`, naming the one it was likely meant as. */
function unknownOption(where, key, known) {
  const meant = meantName(key, known)
  const hint = meant ? `; did you mean "${meant}"?` : '.'
  return `${where}: unknown option "${key}"${hint} The options are ${known.join(', ')}`
}

module.exports = { meantName, unknownOption, oneEditApart }
