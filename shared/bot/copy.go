package bot

import "github.com/switchboard-chat/switchboard/shared/switchboard"

// Copy returns a copy of src named name, with id and fresh module ids
// from newID, and every reference to a module of src moved to its copy. Refs
// and welcomes are left out: an entry point leads to one bot only.
func Copy(src *Bot, id, name string, newID switchboard.IDGen) *Bot {
	ids := make(map[string]string, len(src.Modules))
	for _, m := range src.Modules {
		ids[m.ID] = newID()
	}
	to := func(old string) string {
		if n, ok := ids[old]; ok {
			return n
		}
		return old
	}
	buttons := func(bs []Button) []Button {
		out := make([]Button, len(bs))
		for i, b := range bs {
			b.Tags = append([]string(nil), b.Tags...)
			if b.ModuleID != "" {
				b.ModuleID = to(b.ModuleID)
			}
			out[i] = b
		}
		return out
	}
	b := &Bot{ID: id, TeamID: src.TeamID, Name: name, ChannelKinds: append([]switchboard.ChannelKind(nil), src.ChannelKinds...)}
	for _, m := range src.Modules {
		nm := Module{ID: ids[m.ID], Name: m.Name, Cards: make([]Card, len(m.Cards))}
		for i, c := range m.Cards {
			c.Buttons = buttons(c.Buttons)
			items := make([]CarouselItem, len(c.Items))
			for j, it := range c.Items {
				it.Buttons = buttons(it.Buttons)
				items[j] = it
			}
			c.Items = items
			if c.Input != nil {
				in := *c.Input
				if in.NextModuleID != "" {
					in.NextModuleID = to(in.NextModuleID)
				}
				c.Input = &in
			}
			if c.Condition != nil {
				cd := *c.Condition
				cd.Tags = append([]string(nil), cd.Tags...)
				if cd.MetModuleID != "" {
					cd.MetModuleID = to(cd.MetModuleID)
				}
				if cd.NotMetModuleID != "" {
					cd.NotMetModuleID = to(cd.NotMetModuleID)
				}
				c.Condition = &cd
			}
			if c.API != nil {
				api := *c.API
				api.Headers = make(map[string]string, len(c.API.Headers))
				for k, v := range c.API.Headers {
					api.Headers[k] = v
				}
				if api.SuccessModuleID != "" {
					api.SuccessModuleID = to(api.SuccessModuleID)
				}
				if api.FailureModuleID != "" {
					api.FailureModuleID = to(api.FailureModuleID)
				}
				c.API = &api
			}
			if c.Delay != nil {
				d := *c.Delay
				d.NextModuleID = to(d.NextModuleID)
				c.Delay = &d
			}
			nm.Cards[i] = c
		}
		b.Modules = append(b.Modules, nm)
	}
	return b
}
