// Command eventsign keeps the sample events under events/ consistent after a
// hand edit: it recomputes each webhook sample's signature header (with the
// demo secret) and content-length from its body, and each SQS sample's
// md5OfBody, MessageGroupId and MessageDeduplicationId from its InboundEvent
// body. Run it from the repository root:
//
//	go run ./infra/eventsign          # rewrite stale files in place
//	go run ./infra/eventsign -check   # only report; exit 1 if any file is stale
//
// Webhook files are edited in place (only the two header values change), so
// their hand-kept layout survives; SQS files are re-encoded as indented JSON.
package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/channel/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// signer is how one channel kind signs a webhook body.
type signer struct {
	header string
	sign   func(secret string, body []byte) string
}

// signerFor returns the signer of a channel kind, or false for an unknown kind.
func signerFor(kind switchboard.ChannelKind) (signer, bool) {
	switch kind {
	case switchboard.KindLINE:
		return signer{line.SignatureHeader, line.Sign}, true
	case switchboard.KindMessenger, switchboard.KindInstagram:
		return signer{meta.SignatureHeader, meta.Sign}, true
	case switchboard.KindWhatsApp:
		return signer{whatsapp.SignatureHeader, whatsapp.Sign}, true
	case switchboard.KindWidget:
		return signer{widget.SignatureHeader, widget.Sign}, true
	}
	return signer{}, false
}

func main() {
	dir := flag.String("dir", "events", "the events folder")
	check := flag.Bool("check", false, "report stale files without rewriting them; exit 1 if any")
	flag.Parse()
	stale, err := run(*dir, *check, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "eventsign:", err)
		os.Exit(2)
	}
	if *check && stale > 0 {
		os.Exit(1)
	}
}

// run fixes (or, with check, only counts) every stale sample under dir.
func run(dir string, check bool, out io.Writer) (int, error) {
	stale := 0
	for _, group := range []struct {
		glob string
		fix  func(name string, b []byte) ([]byte, error)
	}{
		{"webhooks/*.json", fixWebhook},
		{"sqs/*.json", fixSQS},
	} {
		names, err := filepath.Glob(filepath.Join(dir, group.glob))
		if err != nil {
			return stale, err
		}
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				return stale, err
			}
			fixed, err := group.fix(name, b)
			if err != nil {
				return stale, fmt.Errorf("%s: %w", name, err)
			}
			if bytes.Equal(fixed, b) {
				continue
			}
			stale++
			if check {
				fmt.Fprintf(out, "stale: %s\n", name)
				continue
			}
			if err := os.WriteFile(name, fixed, 0o644); err != nil {
				return stale, err
			}
			fmt.Fprintf(out, "updated: %s\n", name)
		}
	}
	return stale, nil
}

// fixWebhook recomputes the signature and content-length of a POST sample. GET
// samples (Meta's handshake) carry no body and are left alone.
func fixWebhook(name string, b []byte) ([]byte, error) {
	var req lambdaevents.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return nil, err
	}
	if req.RequestContext.HTTP.Method != "POST" {
		return b, nil
	}
	kind := switchboard.ChannelKind(req.PathParameters["kind"])
	s, ok := signerFor(kind)
	if !ok {
		return nil, fmt.Errorf("pathParameters.kind %q is not a channel kind", kind)
	}
	body, err := events.WebhookSample{Name: filepath.Base(name), Request: req}.Body()
	if err != nil {
		return nil, err
	}
	b, err = setHeader(b, s.header, s.sign(events.DemoSecret, body))
	if err != nil {
		return nil, err
	}
	return setHeader(b, "content-length", strconv.Itoa(len(body)))
}

// setHeader replaces the value of a header in the file's text, so nothing else
// in the file moves.
func setHeader(b []byte, name, value string) ([]byte, error) {
	re := regexp.MustCompile(`("(?i:` + regexp.QuoteMeta(name) + `)"\s*:\s*")[^"]*(")`)
	all := re.FindAllSubmatchIndex(b, -1)
	switch len(all) {
	case 0:
		return nil, fmt.Errorf("no %q header: add one (any value) under \"headers\" and run again", name)
	case 1:
	default:
		return nil, fmt.Errorf("header %q appears %d times", name, len(all))
	}
	loc := all[0]
	out := make([]byte, 0, len(b)+len(value))
	out = append(out, b[:loc[3]]...)
	out = append(out, value...)
	out = append(out, b[loc[4]:]...)
	return out, nil
}

// fixSQS recomputes what SQS and the publisher derive from each record's body.
func fixSQS(_ string, b []byte) ([]byte, error) {
	var e lambdaevents.SQSEvent
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	for i := range e.Records {
		r := &e.Records[i]
		var ev switchboard.InboundEvent
		if err := json.Unmarshal([]byte(r.Body), &ev); err != nil {
			return nil, fmt.Errorf("record %d: the body is not an InboundEvent: %w", i, err)
		}
		sum := md5.Sum([]byte(r.Body))
		r.Md5OfBody = hex.EncodeToString(sum[:])
		if r.Attributes == nil {
			r.Attributes = map[string]string{}
		}
		r.Attributes["MessageGroupId"] = ev.GroupID()
		r.Attributes["MessageDeduplicationId"] = ev.DedupID()
	}
	return encode(e)
}

// encode writes indented JSON without HTML escaping, as the files are kept.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, errors.Join(errors.New("encoding"), err)
	}
	return buf.Bytes(), nil
}
