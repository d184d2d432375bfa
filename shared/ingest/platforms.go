package ingest

import (
	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/channel/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Platforms returns the webhook of every channel kind Switchboard supports. A new
// platform is added here, and its kind in switchboard.ChannelKinds.
func Platforms() channel.Registry {
	return channel.Registry{
		switchboard.KindLINE:      line.Webhook{},
		switchboard.KindMessenger: meta.Webhook{Kind: switchboard.KindMessenger},
		switchboard.KindInstagram: meta.Webhook{Kind: switchboard.KindInstagram},
		switchboard.KindWhatsApp:  whatsapp.Webhook{},
		switchboard.KindWidget:    widget.Webhook{},
	}
}
