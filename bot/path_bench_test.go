package bot

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tipline/tipline"
	"github.com/tipline/tipline/storage/memory"
)

// BenchmarkAnswerPath: the bot's own work for one answer, as
// BenchmarkThroughput's reporters ask for it (a new reporter's /start),
// from the update as Telegram gives it to the outbox rows queued: intake
// (read, strip, store, claim and screen) and processing as the workers do
// it (the batch's reads, decode, session, flow, render, complete), on the
// memory stores, so that what it measures
// is the bot's CPU and allocations, not a database's.
func BenchmarkAnswerPath(b *testing.B) {
	var (
		bt  *Bot
		mem *memory.Store
	)
	ctx := b.Context()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%100 == 0 {
			// The memory store looks through all it holds: a fresh one
			// now and then keeps its share small and the same.
			b.StopTimer()
			mem = memory.New(nil)
			bt = newFuzzBot(b, mem, fuzzSecret)
			b.StartTimer()
		}
		chat := 7_000_000_000 + int64(i)
		upd := json.RawMessage(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1700000000,"chat":{"id":%d,"type":"private","first_name":"Sreymom","last_name":"Chan","username":"sreymom_pp"},"from":{"id":%d,"is_bot":false,"first_name":"Sreymom","last_name":"Chan","username":"sreymom_pp","language_code":"en"},"text":"/start","entities":[{"offset":0,"length":6,"type":"bot_command"}]}}`, i+1, i+1, chat, chat))
		if err := bt.storeUpdates(ctx, []json.RawMessage{upd}); err != nil {
			b.Fatal(err)
		}
		items := bt.takeIntaken(ctx, 1)
		if len(items) != 1 {
			b.Fatalf("update %d not claimed at intake", i+1)
		}
		// As the workers do (work): the batch's reads, then its update.
		bt.prefetchBatch(ctx, items)
		if err := bt.process(ctx, items[0]); err != nil {
			b.Fatal(err)
		}
		bt.dropPrefetched(items[0])
		if i%100 == 99 {
			b.StopTimer()
			pending, err := mem.OutboxPending(ctx)
			if n := pending[tipline.LaneReply]; err != nil || n < 100 {
				b.Fatalf("%d answers queued for 100 reporters (%v), want a menu each", n, err)
			}
			b.StartTimer()
		}
	}
}
