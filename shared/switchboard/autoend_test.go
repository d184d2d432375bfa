package switchboard

import (
	"strings"
	"testing"
	"time"
)

func TestAutoEndValidate(t *testing.T) {
	tests := []struct {
		name    string
		in      AutoEnd
		wantErr string
	}{
		{"zero is off", AutoEnd{}, ""},
		{"enabled 30 min", AutoEnd{Enabled: true, After: 30 * time.Minute}, ""},
		{"enabled 7 days with survey", AutoEnd{Enabled: true, After: MaxAutoEndAfter, Survey: SurveyAutomatic, SurveyText: "How did we do?"}, ""},
		{"disabled keeps values", AutoEnd{After: time.Hour, Survey: SurveyNone}, ""},
		{"enabled without time", AutoEnd{Enabled: true}, "needs a time"},
		{"under a minute", AutoEnd{Enabled: true, After: 59 * time.Second}, "1 minute to 7 days"},
		{"over 7 days", AutoEnd{Enabled: true, After: MaxAutoEndAfter + time.Minute}, "1 minute to 7 days"},
		{"not whole minutes", AutoEnd{Enabled: true, After: 90 * time.Second}, "whole minutes"},
		{"unknown survey", AutoEnd{Enabled: true, After: time.Hour, Survey: "sometimes"}, "none, automatic or ask"},
		{"ask with text", AutoEnd{Survey: SurveyAsk, SurveyText: "Rate us"}, ""},
		{"ask without text", AutoEnd{Survey: SurveyAsk}, "ask survey needs its survey text"},
		{"survey text too long", AutoEnd{Enabled: true, After: time.Hour, Survey: SurveyAutomatic, SurveyText: strings.Repeat("好", MaxSurveyText+1)}, "at most 500"},
		{"survey text at limit", AutoEnd{Enabled: true, After: time.Hour, Survey: SurveyAutomatic, SurveyText: strings.Repeat("好", MaxSurveyText)}, ""},
		{"automatic without text", AutoEnd{Enabled: true, After: time.Hour, Survey: SurveyAutomatic}, "needs its survey text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if got, want := ErrorCode(err), EInvalid; got != want {
				t.Fatalf("code = %q, want %q (err %v)", got, want, err)
			}
			if got := ErrorMessage(err); !strings.Contains(got, tt.wantErr) {
				t.Errorf("message = %q, want it to contain %q", got, tt.wantErr)
			}
		})
	}
}

func TestAutoEndSendsSurvey(t *testing.T) {
	tests := []struct {
		name string
		in   *AutoEnd
		want bool
	}{
		{"nil", nil, false},
		{"disabled", &AutoEnd{After: time.Hour, Survey: SurveyAutomatic, SurveyText: "x"}, false},
		{"none", &AutoEnd{Enabled: true, After: time.Hour, Survey: SurveyNone, SurveyText: "x"}, false},
		{"automatic", &AutoEnd{Enabled: true, After: time.Hour, Survey: SurveyAutomatic, SurveyText: "x"}, true},
		{"ask: nobody to ask at auto-end", &AutoEnd{Enabled: true, After: time.Hour, Survey: SurveyAsk, SurveyText: "x"}, false},
	}
	for _, tt := range tests {
		if got := tt.in.SendsSurvey(); got != tt.want {
			t.Errorf("%s: SendsSurvey() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSurveyOnAgentClose(t *testing.T) {
	tests := []struct {
		name  string
		in    *AutoEnd
		asked bool
		want  bool
	}{
		{"nil", nil, true, false},
		{"none, asked", &AutoEnd{Survey: SurveyNone, SurveyText: "x"}, true, false},
		{"automatic, not asked", &AutoEnd{Survey: SurveyAutomatic, SurveyText: "x"}, false, true},
		{"automatic with auto-end off", &AutoEnd{Enabled: false, Survey: SurveyAutomatic, SurveyText: "x"}, false, true},
		{"ask, asked", &AutoEnd{Survey: SurveyAsk, SurveyText: "x"}, true, true},
		{"ask, not asked", &AutoEnd{Survey: SurveyAsk, SurveyText: "x"}, false, false},
		{"no text", &AutoEnd{Survey: SurveyAutomatic}, true, false},
	}
	for _, tt := range tests {
		if got := tt.in.SurveyOnAgentClose(tt.asked); got != tt.want {
			t.Errorf("%s: SurveyOnAgentClose(%v) = %v, want %v", tt.name, tt.asked, got, tt.want)
		}
	}
}
