package ingest

import (
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestPlatformsCoverEveryKind(t *testing.T) {
	reg := Platforms()
	for _, k := range switchboard.ChannelKinds {
		if reg[k] == nil {
			t.Errorf("no webhook for kind %q", k)
		}
	}
	if got, want := len(reg), len(switchboard.ChannelKinds); got != want {
		t.Errorf("registry has %d kinds, want %d", got, want)
	}
}
