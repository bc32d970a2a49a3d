'use strict'
// Event ids: 32 characters of [0-9A-Za-z] from a pooled crypto-random buffer.

const crypto = require('node:crypto')

const ALPHABET = Buffer.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 'latin1')
const IDS_PER_REFILL = 256
const randomPool = Buffer.allocUnsafe(8192)
let randomAt = randomPool.length
const idBytes = Buffer.allocUnsafe(32 * IDS_PER_REFILL)
let idText = ''
let idAt = IDS_PER_REFILL

// Ids are made 256 at a time into one string and handed out as slices of it: one allocation
// per id instead of 32 (add() is the hot path).
function refillIds() {
  for (let k = 0; k < idBytes.length;) {
    if (randomAt === randomPool.length) {
      crypto.randomFillSync(randomPool)
      randomAt = 0
    }
    const b = randomPool[randomAt++]
    // 248 = 4 * 62: taking only bytes below it keeps every character equally likely.
    if (b < 248) idBytes[k++] = ALPHABET[b % 62]
  }
  idText = idBytes.latin1Slice(0, idBytes.length)
  idAt = 0
}

function newId() {
  if (idAt === IDS_PER_REFILL) refillIds()
  const start = 32 * idAt++
  return idText.slice(start, start + 32)
}

module.exports = { newId }
