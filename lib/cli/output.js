'use strict'
// Writing to stdout as fast as the reader takes it and no faster. Text is gathered into
// chunks (one write per 64 KiB, or per turn of the event loop for a trickle of live events);
// a write the stream cannot take at once returns a promise that settles on 'drain', which a
// consume callback returns to hold back the next event. A reader that goes away (EPIPE, as
// in `eventlog cat … | head -1`) ends the process quietly: there is no one left to tell.
// Any other write error ends it with that error on stderr.

const CHUNK = 64 * 1024

class Output {
  /** `onError(err)` is called once the stream fails; EPIPE by default exits with 0. */
  constructor(stream, { onError = () => process.exit(0) } = {}) {
    this.stream = stream
    this.buffer = ''
    this.scheduled = false
    this.draining = null
    this.flushSoon = () => {
      this.scheduled = false
      this.flush()
    }
    stream.on('error', onError)
  }

  /** Queues text; returns a promise when the caller should wait before writing more. */
  write(text) {
    this.buffer += text
    if (this.buffer.length >= CHUNK) return this.flush()
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flushSoon)
    }
    return this.draining || undefined
  }

  /** Hands the buffer to the stream; a promise if the stream is full. */
  flush() {
    if (this.buffer.length > 0) {
      const text = this.buffer
      this.buffer = ''
      if (!this.stream.write(text) && this.draining === null) {
        this.draining = new Promise((resolve) => this.stream.once('drain', resolve)).then(() => {
          this.draining = null
        })
      }
    }
    return this.draining || undefined
  }

  /** Writes everything queued and waits until the stream has taken it. */
  async end() {
    this.flush()
    if (this.draining !== null) await this.draining
  }
}

module.exports = { Output }
