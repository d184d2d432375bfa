package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestAutoEndSettings(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	got, err := s.AutoEndSettings(ctx, "T1")
	must(t, err)
	if got.Active() {
		t.Fatalf("a team that never set auto-end has it on: %+v", got)
	}
	want := switchboard.AutoEnd{Enabled: true, After: 90 * time.Minute, Survey: switchboard.SurveyAutomatic, SurveyText: "How did we do?"}
	must(t, s.PutAssignSettings(ctx, "T1", &switchboard.AssignSettings{WorkingHours: true, AutoEnd: want}))
	got, err = s.AutoEndSettings(ctx, "T1")
	must(t, err)
	if got != want {
		t.Errorf("AutoEndSettings = %+v, want %+v", got, want)
	}
	settings, err := s.GetAssignSettings(ctx, "T1")
	must(t, err)
	if !settings.WorkingHours || settings.AutoEnd != want {
		t.Errorf("GetAssignSettings = %+v, want working hours and %+v", settings, want)
	}
	bad := &switchboard.AssignSettings{AutoEnd: switchboard.AutoEnd{Enabled: true, After: 30 * time.Second}}
	wantCode(t, s.PutAssignSettings(ctx, "T1", bad), switchboard.EInvalid)
	got, err = s.AutoEndSettings(ctx, "T1")
	must(t, err)
	if got != want {
		t.Errorf("after a refused put, AutoEndSettings = %+v, want %+v", got, want)
	}
}
