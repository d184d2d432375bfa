// Package e2e holds the end-to-end tests: the real template.yaml brought up by
// the local runner (infra/runner) on DynamoDB Local and the SQS emulator, every
// function built and run as Lambda runs it, the fake platforms of infra/fakes on
// the other side, and the demo data of infra/demo. A test posts signed webhooks
// to the local HTTP API and looks at what the fake platforms received.
package e2e
