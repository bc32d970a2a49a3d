// The usage example of the original package's README, unchanged but for printing what it
// consumes. It runs as is against this package: `node examples/readme-app.js`.
const eventlog = require("eventlog");
const { add, consume } = eventlog("data/events-%y-%m-%d.log");

// To add events to the event log:
add({ type: "someevent", id: 1337, customstuff: "anything you' like!" });

// To consume events:
consume((event, meta) => {
	// Do whatever.
	// Return a promise if you want to block more events.
	// No events will be emitted until the promise resolves/rejects.
	console.log(meta.pos, JSON.stringify(event));
});
