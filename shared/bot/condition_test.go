package bot

import (
	"testing"

	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestMet(t *testing.T) {
	c := &sb.Contact{
		MemberID: "M-77", Email: "Mei@Example.com", Phone: "0912-345-678",
		Tags: map[string]sb.TagCount{"vip": {Count: 1}, "tw": {Count: 2}},
		Attributes: map[string]sb.AttributeValue{
			"orders":               {Type: sb.AttrNumber, Value: "12"},
			"birthday":             {Type: sb.AttrDate, Value: "1990-05-01"},
			"newsletter":           {Type: sb.AttrBoolean, Value: "true"},
			"city":                 {Type: sb.AttrText, Value: "Taipei"},
			LoyaltyPointsAttribute: {Type: sb.AttrNumber, Value: "150"},
		},
		Bindings: []sb.Binding{{Kind: "member", ID: "M-77"}},
	}
	bare := &sb.Contact{}
	tests := []struct {
		name    string
		cond    Condition
		contact *sb.Contact
		want    bool
	}{
		{"has any tag", Condition{Field: FieldTag, Operator: OpAny, Tags: []string{"gold", "vip"}}, c, true},
		{"has all tags", Condition{Field: FieldTag, Operator: OpAll, Tags: []string{"vip", "gold"}}, c, false},
		{"has all tags, all there", Condition{Field: FieldTag, Operator: OpAll, Tags: []string{"vip", "tw"}}, c, true},
		{"has none of the tags", Condition{Field: FieldTag, Operator: OpNone, Tags: []string{"gold"}}, c, true},
		{"member id exists", Condition{Field: FieldMemberID, Operator: OpExists}, c, true},
		{"member id exists, none", Condition{Field: FieldMemberID, Operator: OpExists}, bare, false},
		{"member id missing", Condition{Field: FieldMemberID, Operator: OpNotExists}, bare, true},
		{"member id equals", Condition{Field: FieldMemberID, Operator: OpEquals, Value: "M-77"}, c, true},
		{"e-mail equals, any case", Condition{Field: FieldEmail, Operator: OpEquals, Value: "mei@example.COM"}, c, true},
		{"e-mail contains", Condition{Field: FieldEmail, Operator: OpContains, Value: "@example"}, c, true},
		{"phone equals, other punctuation", Condition{Field: FieldPhone, Operator: OpEquals, Value: "0912 345 678"}, c, true},
		{"phone not equals", Condition{Field: FieldPhone, Operator: OpNotEquals, Value: "0912000000"}, c, true},
		{"phone not equals, no phone", Condition{Field: FieldPhone, Operator: OpNotEquals, Value: "0912000000"}, bare, false},
		{"number attribute gt", Condition{Field: FieldAttribute, Attribute: "orders", Operator: OpGT, Value: "9"}, c, true},
		{"number attribute compares as numbers", Condition{Field: FieldAttribute, Attribute: "orders", Operator: OpLT, Value: "100"}, c, true},
		{"number attribute equals 12.0", Condition{Field: FieldAttribute, Attribute: "orders", Operator: OpEquals, Value: "12.0"}, c, true},
		{"date attribute before", Condition{Field: FieldAttribute, Attribute: "birthday", Operator: OpLT, Value: "2000-01-01"}, c, true},
		{"date attribute after", Condition{Field: FieldAttribute, Attribute: "birthday", Operator: OpGTE, Value: "2000-01-01"}, c, false},
		{"boolean attribute", Condition{Field: FieldAttribute, Attribute: "newsletter", Operator: OpEquals, Value: "true"}, c, true},
		{"text attribute contains", Condition{Field: FieldAttribute, Attribute: "city", Operator: OpContains, Value: "tai"}, c, true},
		{"text attribute not equals", Condition{Field: FieldAttribute, Attribute: "city", Operator: OpNotEquals, Value: "Tainan"}, c, true},
		{"missing attribute not exists", Condition{Field: FieldAttribute, Attribute: "shoe", Operator: OpNotExists}, c, true},
		{"missing attribute gt", Condition{Field: FieldAttribute, Attribute: "shoe", Operator: OpGT, Value: "1"}, c, false},
		{"phone binding", Condition{Field: FieldPhoneBinding, Operator: OpExists}, c, true},
		{"no phone binding", Condition{Field: FieldPhoneBinding, Operator: OpNotExists}, bare, true},
		{"visitor binding is not a phone binding", Condition{Field: FieldPhoneBinding, Operator: OpExists}, &sb.Contact{Bindings: []sb.Binding{{Kind: "visitor"}}}, false},
		{"points gte", Condition{Field: FieldPoints, Operator: OpGTE, Value: "150"}, c, true},
		{"points lt", Condition{Field: FieldPoints, Operator: OpLT, Value: "100"}, c, false},
		{"no points", Condition{Field: FieldPoints, Operator: OpLT, Value: "100"}, bare, false},
		{"unknown field", Condition{Field: "age", Operator: OpExists}, c, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Met(&tt.cond, tt.contact); got != tt.want {
				t.Errorf("Met = %t, want %t", got, tt.want)
			}
		})
	}
}
