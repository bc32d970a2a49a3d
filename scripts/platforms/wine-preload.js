'use strict'
// Preloaded into every node.exe of the Wine test run (NODE_OPTIONS=--require, set by
// test-windows.js); never part of the package or of a native run.
//
// Under Wine 8, turning on TCP keep-alive on a socket that is still connecting makes the
// connection fail (`connect UNKNOWN`, errno -4094); on Windows it does not. Node's fetch
// (undici) does exactly that for every connection, so every fetch() in the tests failed under
// Wine, while http.get and net.connect (which set it after connecting, or not at all) worked.
// Deferring the call until the socket has connected gives the same socket options.
const net = require('node:net')

const setKeepAlive = net.Socket.prototype.setKeepAlive
net.Socket.prototype.setKeepAlive = function (...args) {
  if (this.connecting) {
    this.once('connect', () => setKeepAlive.apply(this, args))
    return this
  }
  return setKeepAlive.apply(this, args)
}
