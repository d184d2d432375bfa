// Package switchboard holds the domain of the Switchboard messaging backend: the
// types every function shares (teams, channels, members, contacts, conversations,
// messages, inbound events), the error codes they fail with, and the interfaces
// that adapters (DynamoDB, SQS, EventBridge, channel platforms) implement.
//
// It imports no AWS package: adapters depend on the domain, never the reverse, so
// the rules here can be tested without any infrastructure.
package switchboard
