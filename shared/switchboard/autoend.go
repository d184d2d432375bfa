package switchboard

import (
	"time"
	"unicode/utf8"
)

// SurveyMode says whether closing a conversation by auto-end sends the
// customer a satisfaction survey (SPEC §2).
type SurveyMode string

// Survey modes (001:L1679–L1683). SurveyNone sends nothing. SurveyAutomatic
// sends the team's survey text whenever a conversation is closed, by an agent
// or by auto-end. SurveyAsk lets the agent who closes a conversation decide;
// auto-end, with nobody to ask, sends none. The empty mode is none.
const (
	SurveyNone      SurveyMode = "none"
	SurveyAutomatic SurveyMode = "automatic"
	SurveyAsk       SurveyMode = "ask"
)

// Bounds of an auto-end setting: under a minute would close conversations
// while the customer is still typing, and the timer service keeps timers for
// a week at most in practice; the survey is one text message.
const (
	MinAutoEndAfter = time.Minute
	MaxAutoEndAfter = 7 * 24 * time.Hour
	MaxSurveyText   = 500
)

// AutoEnd is a team's auto-end setting: a conversation in progress whose
// customer does not write within After of the last staff reply is closed by
// the system, and optionally sent a survey (SPEC §2).
type AutoEnd struct {
	Enabled bool `dynamodbav:"Enabled" json:"enabled"`
	// After is counted from the last staff reply, in whole minutes.
	After      time.Duration `dynamodbav:"After" json:"after"`
	Survey     SurveyMode    `dynamodbav:"Survey" json:"survey"`
	SurveyText string        `dynamodbav:"SurveyText" json:"surveyText"`
}

// Validate checks the setting before it is stored. A disabled setting may
// keep its values, but they must still be valid, so switching it on later
// cannot store nonsense.
func (a *AutoEnd) Validate() error {
	switch {
	case a.Enabled && a.After == 0:
		return Errorf(EInvalid, "auto-end needs a time after the last staff reply (1 minute to 7 days)")
	case a.After != 0 && (a.After < MinAutoEndAfter || a.After > MaxAutoEndAfter):
		return Errorf(EInvalid, "auto-end time must be 1 minute to 7 days, not %s", a.After)
	case a.After%time.Minute != 0:
		return Errorf(EInvalid, "auto-end time must be whole minutes, not %s", a.After)
	case a.Survey != "" && a.Survey != SurveyNone && a.Survey != SurveyAutomatic && a.Survey != SurveyAsk:
		return Errorf(EInvalid, "survey must be none, automatic or ask, not %q", a.Survey)
	case utf8.RuneCountInString(a.SurveyText) > MaxSurveyText:
		return Errorf(EInvalid, "survey text must be at most %d characters", MaxSurveyText)
	case (a.Survey == SurveyAutomatic || a.Survey == SurveyAsk) && a.SurveyText == "":
		return Errorf(EInvalid, "a %s survey needs its survey text", a.Survey)
	}
	return nil
}

// Active reports whether auto-end applies.
func (a *AutoEnd) Active() bool { return a != nil && a.Enabled && a.After > 0 }

// SendsSurvey reports whether closing by auto-end sends the survey text.
func (a *AutoEnd) SendsSurvey() bool {
	return a.Active() && a.Survey == SurveyAutomatic && a.SurveyText != ""
}

// SurveyOnAgentClose reports whether an agent closing a conversation sends
// the survey text: always in automatic mode, and in ask mode when the agent
// chose to. It does not depend on auto-end being on.
func (a *AutoEnd) SurveyOnAgentClose(asked bool) bool {
	if a == nil || a.SurveyText == "" {
		return false
	}
	return a.Survey == SurveyAutomatic || (a.Survey == SurveyAsk && asked)
}

// AutoEndTimerID is the id of a conversation's auto-end timer: one per
// conversation, re-armed at each staff reply (the due time and generation
// change, the id does not).
func AutoEndTimerID(conversationID string) string { return "auto_end/" + conversationID }

// AutoEndGeneration identifies the staff reply an auto-end timer was armed
// for: the reply's time in Unix milliseconds. The consumer compares it with
// the conversation's LastStaffAt, so a timer of an older reply does nothing.
func AutoEndGeneration(lastStaffAt time.Time) int64 { return lastStaffAt.UnixMilli() }

// AssignSettings are a team's automation switches that the router reads with
// its rules. Keyword auto-assign is configured by its rules; assignment by
// working hours (SHOPLINE 003) is one switch for the whole team. Auto-end is
// kept here too so the router reads it in the same cached load, at no extra
// request per event.
type AssignSettings struct {
	// WorkingHours assigns conversations that go to a human unassigned to a
	// member within working hours.
	WorkingHours bool `dynamodbav:"WorkingHours" json:"workingHours"`
	// AutoEnd closes conversations whose customer stopped answering (SPEC §2).
	AutoEnd   AutoEnd   `dynamodbav:"AutoEnd" json:"autoEnd"`
	UpdatedAt time.Time `dynamodbav:"UpdatedAt" json:"updatedAt"`
}
