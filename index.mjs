// The ES module entry: the CommonJS package (index.js) as the default export, and each of its
// properties as a named export, so `import eventlog, { ReadOnlyError } from 'eventlog'` works.
import cjs from './index.js'

export default cjs
export const {
  eventlog,
  verify,
  __setTestNow,
  EventlogError,
  InvalidYearError,
  InvalidMonthError,
  InvalidDayError,
  ReadOnlyError,
  TimeIsInFutureError,
  WriteError,
  InvalidPatternError,
  InvalidEventError,
  DayFullError,
  StoppedError,
  ReadError,
  CorruptLineError,
  CallbackError,
} = cjs
