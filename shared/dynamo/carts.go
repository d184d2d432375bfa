package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var visitorRecord = record[cart.Visitor]{
	what: "visitor",
	key:  func(v *cart.Visitor) key { return visitorKey(v.TeamID, v.VisitorID) },
	meta: func(v *cart.Visitor) (*int64, *time.Time, *time.Time) { return &v.Version, &v.CreatedAt, &v.UpdatedAt },
	keep: func(next, cur *cart.Visitor) {
		next.TeamID, next.VisitorID, next.CreatedAt = cur.TeamID, cur.VisitorID, cur.CreatedAt
		next.Cart.TeamID, next.Cart.VisitorID = cur.TeamID, cur.VisitorID
	},
}

// GetVisitor reads a visitor of the team: one GetItem.
func (s *Store) GetVisitor(ctx context.Context, teamID, visitorID string) (*cart.Visitor, error) {
	if !validKeyPart(teamID) || !validKeyPart(visitorID) {
		return nil, notFound("visitor")
	}
	return get[cart.Visitor](ctx, s, "visitor", visitorKey(teamID, visitorID))
}

// UpdateVisitor applies fn to the visitor, creating it (with an empty cart) if
// it does not exist, under an optimistic version check: one GetItem and one
// PutItem per round. The cart's own Version mirrors the visitor's.
func (s *Store) UpdateVisitor(ctx context.Context, teamID, visitorID string, fn func(*cart.Visitor) (*cart.Visitor, error)) (*cart.Visitor, error) {
	if !validKeyPart(teamID) || !validKeyPart(visitorID) {
		return nil, switchboard.Errorf(switchboard.EInvalid, "team id or visitor id is missing or malformed")
	}
	fresh := func() *cart.Visitor {
		return &cart.Visitor{TeamID: teamID, VisitorID: visitorID, Cart: cart.Cart{TeamID: teamID, VisitorID: visitorID}}
	}
	return update(ctx, s, visitorRecord, visitorKey(teamID, visitorID), nil, fresh, func(v *cart.Visitor) (*cart.Visitor, error) {
		next, err := fn(v)
		if err != nil || next == nil {
			return next, err
		}
		next.Cart.Version = next.Version + 1
		return next, nil
	})
}

// visitorBinding is the lookup item from a visitor to its contact on one
// channel.
type visitorBinding struct {
	TeamID    string
	VisitorID string
	ChannelID string
	ContactID string
	BoundAt   time.Time
}

// BindVisitorContact records that the visitor is the contact on the contact's
// channel, replacing an earlier binding on that channel: one PutItem. The
// contact's own Bindings are the caller's to update.
func (s *Store) BindVisitorContact(ctx context.Context, teamID, visitorID string, c *switchboard.Contact, at time.Time) error {
	if !validKeyPart(teamID) || !validKeyPart(visitorID) || !validKeyPart(c.ChannelID) || c.ID == "" || c.TeamID != teamID {
		return switchboard.Errorf(switchboard.EInvalid, "team, visitor or contact is missing or malformed")
	}
	b := visitorBinding{TeamID: teamID, VisitorID: visitorID, ChannelID: c.ChannelID, ContactID: c.ID, BoundAt: at.UTC()}
	item, err := attributevalueMarshal(b, "visitor binding")
	if err != nil {
		return err
	}
	k := visitorContactKey(teamID, visitorID, c.ChannelID)
	item[attrPK] = &types.AttributeValueMemberS{Value: k.PK}
	item[attrSK] = &types.AttributeValueMemberS{Value: k.SK}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item})
	return mapErr(err, "bind visitor")
}

// VisitorContactID returns the id of the contact the visitor is bound to on
// the channel, or ENotFound: one GetItem.
func (s *Store) VisitorContactID(ctx context.Context, teamID, visitorID, channelID string) (string, error) {
	if !validKeyPart(teamID) || !validKeyPart(visitorID) || !validKeyPart(channelID) {
		return "", notFound("visitor binding")
	}
	b, err := get[visitorBinding](ctx, s, "visitor binding", visitorContactKey(teamID, visitorID, channelID))
	if err != nil {
		return "", err
	}
	return b.ContactID, nil
}

// Cart configurations carry cart.Config's own Version and UpdatedAt; they have
// no creation time, so the record's creation stamp goes nowhere.
var cartConfigRecord = record[cart.Config]{
	what: "cart configuration",
	key:  func(c *cart.Config) key { return cartConfigKey(c.TeamID, c.ChannelID) },
	meta: func(c *cart.Config) (*int64, *time.Time, *time.Time) {
		var created time.Time
		return &c.Version, &created, &c.UpdatedAt
	},
	keep: func(next, cur *cart.Config) {
		next.TeamID, next.ChannelID, next.ChannelKind = cur.TeamID, cur.ChannelID, cur.ChannelKind
	},
}

// GetCartConfig reads the team's cart configuration for a channel: one GetItem.
func (s *Store) GetCartConfig(ctx context.Context, teamID, channelID string) (*cart.Config, error) {
	if !validKeyPart(teamID) || !validKeyPart(channelID) {
		return nil, notFound("cart configuration")
	}
	return get[cart.Config](ctx, s, "cart configuration", cartConfigKey(teamID, channelID))
}

// ListCartConfigs returns the team's cart configurations, one per channel, in
// channel id order: one strongly consistent Query.
func (s *Store) ListCartConfigs(ctx context.Context, teamID string) ([]*cart.Config, error) {
	if !validKeyPart(teamID) {
		return nil, nil
	}
	return queryAll[cart.Config](ctx, s, cartConfigsOfTeam(teamID), "cart configuration", "list cart configurations")
}

// PutCartConfigs writes configurations together or not at all, each only if
// its stored version is still the one it carries (0: it must not exist yet):
// one PutItem for one, one TransactWriteItems for several, since enabling one
// channel disables the others (cart.SetActiveChannel) and a half-applied
// switch would leave two enabled. Versions and UpdatedAt are set on success; a
// lost race is EConflict.
func (s *Store) PutCartConfigs(ctx context.Context, cfgs ...*cart.Config) error {
	if len(cfgs) == 0 {
		return nil
	}
	if len(cfgs) > 100 {
		return switchboard.Errorf(switchboard.EInvalid, "at most 100 cart configurations at once")
	}
	now := s.clock()
	puts := make([]*types.Put, len(cfgs))
	for i, c := range cfgs {
		if !validKeyPart(c.TeamID) || !validKeyPart(c.ChannelID) {
			return switchboard.Errorf(switchboard.EInvalid, "cart configuration team id or channel id is missing or malformed")
		}
		next := *c
		next.Version = c.Version + 1
		next.UpdatedAt = now
		item, err := cartConfigRecord.item(&next)
		if err != nil {
			return err
		}
		p := &types.Put{TableName: aws.String(s.table), Item: item}
		if c.Version == 0 {
			p.ConditionExpression = aws.String("attribute_not_exists(#pk)")
			p.ExpressionAttributeNames = map[string]string{"#pk": attrPK}
		} else {
			p.ConditionExpression = aws.String("#version = :version")
			p.ExpressionAttributeNames = map[string]string{"#version": "Version"}
			p.ExpressionAttributeValues = map[string]types.AttributeValue{":version": &types.AttributeValueMemberN{Value: itoa(c.Version)}}
		}
		puts[i] = p
	}
	if len(puts) == 1 {
		p := puts[0]
		_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
			ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues,
		})
		if isConditionFailed(err) {
			return switchboard.Errorf(switchboard.EConflict, "cart configuration was changed concurrently; re-read and try again")
		}
		if err != nil {
			return mapErr(err, "put cart configuration")
		}
	} else {
		b, err := s.batcher()
		if err != nil {
			return err
		}
		items := make([]types.TransactWriteItem, len(puts))
		for i, p := range puts {
			items[i] = types.TransactWriteItem{Put: p}
		}
		_, err = b.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *types.TransactionCanceledException
		if asErr(err, &tce) {
			return switchboard.Wrap(switchboard.EConflict, err, "a cart configuration was changed concurrently; re-read and try again")
		}
		if err != nil {
			return mapErr(err, "put cart configurations")
		}
	}
	for _, c := range cfgs {
		c.Version++
		c.UpdatedAt = now
	}
	return nil
}

// PutCartSend records a reminder handed over for sending, on the channel it
// went out on. The key is the send's time and id, both fixed once the cart
// records the send, so recording it again overwrites the same item.
func (s *Store) PutCartSend(ctx context.Context, teamID, channelID string, r cart.SendRecord) error {
	return s.putCartStat(ctx, key{cartStatsPK(teamID, channelID, "SENDS", r.SentAt), cartStatsSK(r.SentAt, r.ID)}, r, teamID, channelID, r.ID, "cart send")
}

// PutCartClick records a click on a reminder's link under a fresh id.
func (s *Store) PutCartClick(ctx context.Context, teamID, channelID, id string, c cart.ClickRecord) error {
	return s.putCartStat(ctx, key{cartStatsPK(teamID, channelID, "CLICKS", c.ClickedAt), cartStatsSK(c.ClickedAt, id)}, c, teamID, channelID, id, "cart click")
}

// PutCartOrder records an order of the team's shop reported with a checkout;
// the same order reported again at the same time is one item.
func (s *Store) PutCartOrder(ctx context.Context, teamID string, o cart.OrderRecord) error {
	return s.putCartStat(ctx, key{cartStatsPK(teamID, "", "ORDERS", o.PlacedAt), cartStatsSK(o.PlacedAt, o.ID)}, o, teamID, "-", o.ID, "cart order")
}

func (s *Store) putCartStat(ctx context.Context, k key, v any, teamID, channelID, id, what string) error {
	if !validKeyPart(teamID) || !validKeyPart(channelID) || !validKeyPart(id) {
		return switchboard.Errorf(switchboard.EInvalid, "%s: team, channel or id is missing or malformed", what)
	}
	item, err := attributevalueMarshal(v, what)
	if err != nil {
		return err
	}
	item[attrPK] = &types.AttributeValueMemberS{Value: k.PK}
	item[attrSK] = &types.AttributeValueMemberS{Value: k.SK}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item})
	return mapErr(err, "record "+what)
}

// CartSends returns the sends of a channel in [from, to): one range Query per
// calendar month the period touches.
func (s *Store) CartSends(ctx context.Context, teamID, channelID string, from, to time.Time) ([]cart.SendRecord, error) {
	all, err := cartStats[cart.SendRecord](ctx, s, teamID, channelID, "SENDS", from, to)
	if err != nil {
		return nil, err
	}
	out := make([]cart.SendRecord, 0, len(all))
	for _, r := range all {
		if !r.SentAt.Before(from) && r.SentAt.Before(to) {
			out = append(out, *r)
		}
	}
	return out, nil
}

// CartClicks returns the clicks on a channel's reminders in [from, to).
func (s *Store) CartClicks(ctx context.Context, teamID, channelID string, from, to time.Time) ([]cart.ClickRecord, error) {
	all, err := cartStats[cart.ClickRecord](ctx, s, teamID, channelID, "CLICKS", from, to)
	if err != nil {
		return nil, err
	}
	out := make([]cart.ClickRecord, 0, len(all))
	for _, r := range all {
		if !r.ClickedAt.Before(from) && r.ClickedAt.Before(to) {
			out = append(out, *r)
		}
	}
	return out, nil
}

// CartOrders returns the team's reported orders placed in [from, to).
func (s *Store) CartOrders(ctx context.Context, teamID string, from, to time.Time) ([]cart.OrderRecord, error) {
	all, err := cartStats[cart.OrderRecord](ctx, s, teamID, "", "ORDERS", from, to)
	if err != nil {
		return nil, err
	}
	out := make([]cart.OrderRecord, 0, len(all))
	for _, r := range all {
		if !r.PlacedAt.Before(from) && r.PlacedAt.Before(to) {
			out = append(out, *r)
		}
	}
	return out, nil
}

// maxStatsMonths bounds a statistics read: a period of more than three years
// is a mistake, and would be dozens of Queries.
const maxStatsMonths = 40

func cartStats[T any](ctx context.Context, s *Store, teamID, channelID, kind string, from, to time.Time) ([]*T, error) {
	if !validKeyPart(teamID) || (channelID != "" && !validKeyPart(channelID)) || !to.After(from) {
		return nil, nil
	}
	from, to = from.UTC(), to.UTC()
	var all []*T
	month := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	for n := 0; month.Before(to); n++ {
		if n >= maxStatsMonths {
			return nil, switchboard.Errorf(switchboard.EInvalid, "a statistics period may cover at most %d months", maxStatsMonths)
		}
		l := rangeListing{PK: cartStatsPK(teamID, channelID, kind, month), From: cartStatsSK(from, ""), To: cartStatsSK(to, "\U0010FFFF")}
		part, err := queryRange[T](ctx, s, l, "cart "+kind, "read cart statistics")
		if err != nil {
			return nil, err
		}
		all = append(all, part...)
		month = month.AddDate(0, 1, 0)
	}
	return all, nil
}

// DefaultPopupPolicy is the binding popup policy of a team that never saved
// one: shown from the first add-to-cart, at most three times a day. The seed
// names the conditions but not their defaults (001:L5031).
var DefaultPopupPolicy = cart.PopupPolicy{MaxDisplaysPerDay: 3, ShowAfterNthAddToCart: 1}

// popupPolicy is a team's popup policy with its bookkeeping.
type popupPolicy struct {
	TeamID    string
	Policy    cart.PopupPolicy
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

var popupPolicyRecord = record[popupPolicy]{
	what: "popup policy",
	key:  func(p *popupPolicy) key { return popupPolicyKey(p.TeamID) },
	meta: func(p *popupPolicy) (*int64, *time.Time, *time.Time) { return &p.Version, &p.CreatedAt, &p.UpdatedAt },
	keep: func(next, cur *popupPolicy) { next.TeamID, next.CreatedAt = cur.TeamID, cur.CreatedAt },
}

// GetPopupPolicy reads the team's popup policy, or DefaultPopupPolicy when it
// was never saved: one GetItem.
func (s *Store) GetPopupPolicy(ctx context.Context, teamID string) (cart.PopupPolicy, error) {
	if !validKeyPart(teamID) {
		return cart.PopupPolicy{}, notFound("team")
	}
	p, err := get[popupPolicy](ctx, s, "popup policy", popupPolicyKey(teamID))
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return DefaultPopupPolicy, nil
	}
	if err != nil {
		return cart.PopupPolicy{}, err
	}
	return p.Policy, nil
}

// PutPopupPolicy validates and saves the team's popup policy, replacing the
// previous one (the last writer wins; the policy is two numbers set from one
// form): one GetItem and one PutItem.
func (s *Store) PutPopupPolicy(ctx context.Context, teamID string, policy cart.PopupPolicy) error {
	if err := policy.Validate(); err != nil {
		return err
	}
	if !validKeyPart(teamID) {
		return switchboard.Errorf(switchboard.EInvalid, "team id is missing or malformed")
	}
	fresh := func() *popupPolicy { return &popupPolicy{TeamID: teamID} }
	_, err := update(ctx, s, popupPolicyRecord, popupPolicyKey(teamID), nil, fresh, func(p *popupPolicy) (*popupPolicy, error) {
		p.Policy = policy
		return p, nil
	})
	return err
}
