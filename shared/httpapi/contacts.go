package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Contacts as the inbox edits them: the team's name for the customer, note,
// phone, e-mail, member id and custom attributes (the platform's name stays
// read-only, 001:L205), and tags with their counts and log (004).

// Limits of what an operator sets on a contact.
const (
	maxContactName     = 100
	maxContactNote     = 2000
	maxContactMemberID = 100
	maxAttributes      = 100
	maxAttributeText   = 500
	maxTagsPerRequest  = 20
)

var (
	contactEmailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	contactPhoneRE = regexp.MustCompile(`^\+?[0-9][0-9 ().\-]{2,29}$`)
)

// routeContact reads the contact a route's {id} names, for the caller who
// must see it, with its conversation (nil when it has none yet); a contact
// the caller may not see is 404.
func (h *Handler) routeContact(ctx context.Context, r *request) (*viewer, *switchboard.Contact, *switchboard.Conversation, error) {
	v, err := h.viewer(ctx, r.caller)
	if err != nil {
		return nil, nil, nil, err
	}
	ct, err := h.contacts.GetContact(ctx, v.TeamID, r.param("id"))
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := h.conversations.GetConversation(ctx, v.TeamID, ct.ID)
	switch {
	case switchboard.ErrorCode(err) == switchboard.ENotFound:
		c = nil
	case err != nil:
		return nil, nil, nil, err
	}
	if !v.seesContact(ct, c) {
		return nil, nil, nil, switchboard.Errorf(switchboard.ENotFound, "contact not found")
	}
	return v, ct, c, nil
}

// editContact applies edit to the contact a route's {id} names inside the
// store's optimistic update, checking again that the caller sees it, and
// stamps the change with now, which it returns for the caller's records.
func (h *Handler) editContact(ctx context.Context, r *request, edit func(cur *switchboard.Contact, now time.Time) error) (*viewer, *switchboard.Contact, time.Time, error) {
	v, ct, conv, err := h.routeContact(ctx, r)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	now := h.now().UTC()
	upd, err := h.contacts.UpdateContact(ctx, v.TeamID, ct.ID, func(cur *switchboard.Contact) (*switchboard.Contact, error) {
		if !v.seesContact(cur, conv) {
			return nil, switchboard.Errorf(switchboard.ENotFound, "contact not found")
		}
		if err := edit(cur, now); err != nil {
			return nil, err
		}
		cur.UpdatedAt = now
		return cur, nil
	})
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	return v, upd, now, nil
}

// reindex puts the contact's details into its conversation's search text (the
// conversation has the contact's id); a contact without one has nothing to
// update.
func (h *Handler) reindex(ctx context.Context, ct *switchboard.Contact) error {
	_, err := h.conversations.UpdateConversation(ctx, ct.TeamID, ct.ID, func(c *switchboard.Conversation) (*switchboard.Conversation, error) {
		c.IndexContact(ct)
		return c, nil
	})
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return nil
	}
	return err
}

func (h *Handler) getContact(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	_, ct, _, err := h.routeContact(ctx, r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, ct), nil
}

// attributeInput is one custom attribute of PATCH /v1/contacts/{id}: its type
// and a JSON value of that type (a string for text, a number, "YYYY-MM-DD"
// for a date, true or false for a boolean).
type attributeInput struct {
	Type  switchboard.AttributeType `json:"type"`
	Value json.RawMessage           `json:"value"`
}

// contactPatch is the body of PATCH /v1/contacts/{id}; absent fields keep
// their value, an empty string clears one, and an attribute set to null is
// removed.
type contactPatch struct {
	// NativeName is accepted only to refuse it: it is the platform's name.
	NativeName  json.RawMessage            `json:"nativeName"`
	DisplayName *string                    `json:"displayName"`
	Note        *string                    `json:"note"`
	Phone       *string                    `json:"phone"`
	Email       *string                    `json:"email"`
	MemberID    *string                    `json:"memberId"`
	Attributes  map[string]*attributeInput `json:"attributes"`
}

// attributeValue checks a value against its declared type and returns the
// stored form.
func attributeValue(key string, in *attributeInput) (switchboard.AttributeValue, error) {
	raw := bytes.TrimSpace(in.Value)
	bad := func(want string) error {
		return switchboard.Errorf(switchboard.EInvalid, "attribute %q is %s: its value must be %s", key, in.Type, want)
	}
	out := switchboard.AttributeValue{Type: in.Type}
	switch in.Type {
	case switchboard.AttrText:
		var s string
		if json.Unmarshal(raw, &s) != nil || raw[0] != '"' {
			return out, bad("a string")
		}
		if utf8.RuneCountInString(s) > maxAttributeText {
			return out, switchboard.Errorf(switchboard.EInvalid, "attribute %q is longer than %d characters", key, maxAttributeText)
		}
		out.Value = s
	case switchboard.AttrNumber:
		var f float64
		if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &f) != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return out, bad("a number")
		}
		out.Value = strconv.FormatFloat(f, 'f', -1, 64)
	case switchboard.AttrDate:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return out, bad(`a date "YYYY-MM-DD"`)
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return out, bad(`a date "YYYY-MM-DD"`)
		}
		out.Value = s
	case switchboard.AttrBoolean:
		var b bool
		if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &b) != nil {
			return out, bad("true or false")
		}
		out.Value = strconv.FormatBool(b)
	default:
		return out, switchboard.Errorf(switchboard.EInvalid, "attribute %q: type must be text, number, date or boolean", key)
	}
	return out, nil
}

// apply checks the patch and applies it to ct.
func (in *contactPatch) apply(ct *switchboard.Contact) error {
	if in.NativeName != nil {
		return switchboard.Errorf(switchboard.EInvalid, "nativeName is the name the platform reports and cannot be changed; set displayName instead")
	}
	if in.DisplayName != nil {
		if utf8.RuneCountInString(*in.DisplayName) > maxContactName {
			return switchboard.Errorf(switchboard.EInvalid, "displayName must be at most %d characters", maxContactName)
		}
		ct.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	if in.Note != nil {
		if utf8.RuneCountInString(*in.Note) > maxContactNote {
			return switchboard.Errorf(switchboard.EInvalid, "note must be at most %d characters", maxContactNote)
		}
		ct.Note = *in.Note
	}
	if in.Phone != nil {
		p := strings.TrimSpace(*in.Phone)
		if ct.ChannelKind == switchboard.KindWhatsApp && p != ct.Phone {
			// The WhatsApp number is who the customer is (001:L2358).
			return switchboard.Errorf(switchboard.EInvalid, "a WhatsApp customer's phone is their WhatsApp number and cannot be changed")
		}
		if p != "" && !contactPhoneRE.MatchString(p) {
			return switchboard.Errorf(switchboard.EInvalid, "phone must be digits with optional spaces, dots, dashes, brackets and a leading +, at most 30 characters")
		}
		ct.Phone = p
	}
	if in.Email != nil {
		e := strings.TrimSpace(*in.Email)
		if e != "" && (len(e) > 254 || !contactEmailRE.MatchString(e)) {
			return switchboard.Errorf(switchboard.EInvalid, "email %q is not an e-mail address", e)
		}
		ct.Email = e
	}
	if in.MemberID != nil {
		if utf8.RuneCountInString(*in.MemberID) > maxContactMemberID {
			return switchboard.Errorf(switchboard.EInvalid, "memberId must be at most %d characters", maxContactMemberID)
		}
		ct.MemberID = strings.TrimSpace(*in.MemberID)
	}
	keys := make([]string, 0, len(in.Attributes))
	for k := range in.Attributes {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first problem reported is always the same one
	for _, k := range keys {
		a := in.Attributes[k]
		if !switchboard.ValidAttributeKey(k) {
			return switchboard.Errorf(switchboard.EInvalid, "attribute key %q must be 1 to 64 letters, digits or underscores", k)
		}
		if a == nil {
			delete(ct.Attributes, k)
			continue
		}
		val, err := attributeValue(k, a)
		if err != nil {
			return err
		}
		if old, ok := ct.Attributes[k]; ok && old.Type != val.Type {
			return switchboard.Errorf(switchboard.EInvalid, "attribute %q is %s, not %s; remove it (null) before giving it another type", k, old.Type, val.Type)
		}
		if ct.Attributes == nil {
			ct.Attributes = map[string]switchboard.AttributeValue{}
		}
		ct.Attributes[k] = val
	}
	if len(ct.Attributes) > maxAttributes {
		return switchboard.Errorf(switchboard.EInvalid, "a contact has at most %d attributes", maxAttributes)
	}
	if len(ct.Attributes) == 0 {
		ct.Attributes = nil
	}
	return nil
}

func (h *Handler) updateContact(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in contactPatch
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	_, upd, _, err := h.editContact(ctx, r, func(cur *switchboard.Contact, _ time.Time) error {
		return in.apply(cur)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.reindex(ctx, upd); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, upd), nil
}

// tagsInput is the body of POST /v1/contacts/{id}/tags.
type tagsInput struct {
	Tags []string `json:"tags"`
}

// addTags tags a contact. A tag it already has counts one more; every tag
// applied gets a log record with the time, the contact's channel and the
// source "agent" (004).
func (h *Handler) addTags(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in tagsInput
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var tags []string
	for _, t := range in.Tags {
		if err := switchboard.ValidTagName(t); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 || len(tags) > maxTagsPerRequest {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "tags must list 1 to %d tags", maxTagsPerRequest)
	}
	v, upd, now, err := h.editContact(ctx, r, func(cur *switchboard.Contact, now time.Time) error {
		for _, t := range tags {
			if err := cur.AddTag(t, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	logs := make([]*switchboard.TagLog, 0, len(tags))
	for _, t := range tags {
		logs = append(logs, &switchboard.TagLog{
			ID: h.newID(), TeamID: v.TeamID, ContactID: upd.ID, Tag: t, ChannelID: upd.ChannelID,
			Source: switchboard.TagByAgent, MemberID: v.memberID(), At: now,
		})
	}
	if err := h.contacts.AddTagLogs(ctx, logs); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.reindex(ctx, upd); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, upd), nil
}

// removeTag takes a tag off a contact and deletes its log records (004).
func (h *Handler) removeTag(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	tag := r.param("tag")
	v, upd, _, err := h.editContact(ctx, r, func(cur *switchboard.Contact, _ time.Time) error {
		if !cur.RemoveTag(tag) {
			return switchboard.Errorf(switchboard.ENotFound, "the contact has no tag %q", tag)
		}
		return nil
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if _, err := h.contacts.DeleteTagLogs(ctx, v.TeamID, upd.ID, tag); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.reindex(ctx, upd); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.Empty(http.StatusNoContent), nil
}

// tagLogList is a page of a contact's tagging log, newest first.
type tagLogList struct {
	Items      []*switchboard.TagLog `json:"items"`
	NextCursor string                `json:"nextCursor"`
}

func (h *Handler) listTagLog(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	q := r.query()
	limit, err := limitParam(q)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	v, ct, _, err := h.routeContact(ctx, r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	logs, next, err := h.contacts.ListTagLogs(ctx, v.TeamID, ct.ID, q.Get("cursor"), limit)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if logs == nil {
		logs = []*switchboard.TagLog{}
	}
	return apigw.JSON(http.StatusOK, tagLogList{Items: logs, NextCursor: next}), nil
}
