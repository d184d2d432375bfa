// Package runner runs Switchboard on one machine without AWS and without
// Docker: it reads template.yaml, creates the template's DynamoDB tables and SQS
// queues on the local emulators, builds every function's bootstrap with the Go
// toolchain, runs each bootstrap as a process speaking the Lambda Runtime API to
// a server in this package, and delivers events to them the way AWS does: HTTP
// API requests as payload format 2.0, SQS event source mappings with partial
// batch failures, and EventBridge schedules.
//
// It does what `sam local` does, minus the containers, so `make run` and the
// end-to-end tests work on a machine that has only Go, Java (DynamoDB Local) and
// Python (moto). Behaviour that matters to the functions' correctness follows
// AWS closely (payload shapes, timeouts, crashes and restarts, which messages
// are deleted after a batch, FIFO ordering per message group); behaviour that
// only matters to operations (IAM, authorizers, CORS, concurrency limits,
// metrics) is left out.
package runner
