package events

import (
	"fmt"
	"strings"
)

// LINEBusyDelivery is a realistic busy LINE delivery: ten events of the kinds a
// shop's official account receives (text, image, sticker, postback), from several
// users. The parser's and the ingest handler's benchmarks use this same body so
// their figures can be compared.
func LINEBusyDelivery() []byte {
	const ts = int64(1772431201000)
	var evs []string
	for i := range 10 {
		src := fmt.Sprintf(`{"type":"user","userId":"U8189cf6745fc0d808977bdb0b9f229%02d"}`, i%4)
		id := fmt.Sprintf("01JNBENCH%017d", i)
		rt := fmt.Sprintf(`"replyToken":"38ef843bde154d9b91c21320ffd17a%02d"`, i)
		var extra string
		switch i % 5 {
		case 0, 1:
			extra = rt + fmt.Sprintf(`,"message":{"type":"text","id":"4687895778982625%02d","quoteToken":"q3Plxr4AgKd8vJzL0mQ2ZrW1TkbG9Hx7yNcE5uVfPaQwBsDiOjRtYhGlKm","text":"Hello, do you have this bag in blue? Order #%d"}`, i, 1000+i)
		case 2:
			extra = rt + fmt.Sprintf(`,"message":{"type":"image","id":"3547187050336938%02d","quoteToken":"yHAz4Ua2wx7s6QsB0ZCtUt1zCbAXi7hxHvdNi1zCkT4ADA9m6hqlPuA4rp","contentProvider":{"type":"line"},"imageSet":{"id":"E005D41A7288F41B65593ED38FF6E9834B046AB36A37921A56BC236F13A91855","index":1,"total":2}}`, i)
		case 3:
			extra = rt + fmt.Sprintf(`,"message":{"type":"sticker","id":"15015979%02d","quoteToken":"q1Wl5LhtZWQ0s4H0T9lLkmIbJw8dhk5sQAPbV9c1fzAfn3cdfIaQ1bvzE","stickerId":"52002738","packageId":"11537","stickerResourceType":"ANIMATION","keywords":["cony","sally","Staring","hi","whatsup","line","howdy","HEY","Peeking","wave"]}`, i)
		case 4:
			extra = rt + `,"postback":{"data":"action=buy&itemid=111","params":{"datetime":"2026-03-05T10:00"}}`
		}
		typ := "message"
		if i%5 == 4 {
			typ = "postback"
		}
		evs = append(evs, fmt.Sprintf(`{"type":%q,%s,"webhookEventId":%q,"deliveryContext":{"isRedelivery":false},"timestamp":%d,"source":%s,"mode":"active"}`,
			typ, extra, id, ts+int64(i), src))
	}
	return []byte(`{"destination":"Ud0e1f2a3b4c5d6e7f8091a2b3c4d5e6f","events":[` + strings.Join(evs, ",") + `]}`)
}
