// Package cart holds the rules of cart remarketing (SPEC §6): which add-to-cart,
// checkout and clear events arm or cancel the sequence of up to four reminder
// messages, what happens when one of those timers fires, what the messages
// contain, and how their results are counted and exported.
//
// Everything here is a pure function of its inputs (configuration, cart state,
// contact, the current instant and the team's time zone) returning a decision:
// the state to persist and the timers to arm. The timer service, the cart
// function and the pixel endpoint carry those decisions out, so the rules can be
// tested at any instant without AWS.
//
// Cancelling is done by generations, not by deleting timers: every re-arm or
// cancel increments the cart's Generation, and disabling the feature increments
// the configuration's Epoch. A timer carries both, and a timer whose numbers no
// longer match is ignored when it fires (DESIGN.md, Timers).
package cart
