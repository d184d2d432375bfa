package bot

import (
	"fmt"
	"reflect"
	"testing"
)

func TestCopy(t *testing.T) {
	src := shopBot()
	src.Refs = map[string]string{"sale": "menu"}
	src.Welcome = map[string]string{"ch1": "menu"}
	n := 0
	newID := func() string { n++; return fmt.Sprintf("N%02d", n) }
	cp := Copy(src, "B2", "Shop (copy)", newID)
	if cp.ID != "B2" || cp.Name != "Shop (copy)" || cp.TeamID != src.TeamID || len(cp.Modules) != len(src.Modules) {
		t.Fatalf("copy = %s %q team %s, %d modules", cp.ID, cp.Name, cp.TeamID, len(cp.Modules))
	}
	if cp.Refs != nil || cp.Welcome != nil {
		t.Errorf("refs %v, welcome %v copied; entry points belong to one bot", cp.Refs, cp.Welcome)
	}
	ids := map[string]string{}
	for i, m := range src.Modules {
		ids[m.ID] = cp.Modules[i].ID
		if cp.Modules[i].ID == m.ID {
			t.Errorf("module %s kept its id", m.ID)
		}
	}
	if err := cp.Validate(); err != nil {
		t.Fatalf("the copy does not validate: %v", err)
	}
	checks := []struct{ what, got, want string }{
		{"button", cp.Modules[0].Cards[0].Buttons[0].ModuleID, ids["prices"]},
		{"add_tags button", cp.Modules[0].Cards[0].Buttons[1].ModuleID, ids["welcome-vip"]},
		{"user input", cp.Modules[3].Cards[0].Input.NextModuleID, ids["thanks"]},
		{"condition met", cp.Modules[5].Cards[0].Condition.MetModuleID, ids["vip"]},
		{"condition not met", cp.Modules[5].Cards[0].Condition.NotMetModuleID, ids["regular"]},
		{"delay", cp.Modules[8].Cards[1].Delay.NextModuleID, ids["reminder"]},
		{"carousel button", cp.Modules[15].Cards[1].Items[1].Buttons[0].ModuleID, ids["vip"]},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s leads to %q, want %q", c.what, c.got, c.want)
		}
	}
	// The source is untouched, whatever is done to the copy.
	cp.Modules[0].Cards[0].Buttons[1].Tags[0] = "changed"
	cp.Modules[5].Cards[0].Condition.Tags[0] = "changed"
	if !reflect.DeepEqual(src.Modules[0].Cards[0].Buttons[1].Tags, []string{"vip"}) || src.Modules[5].Cards[0].Condition.Tags[0] != "vip" || src.Modules[0].ID != "menu" {
		t.Errorf("the source changed with its copy")
	}
}
